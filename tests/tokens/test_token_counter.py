"""TokenCounter: one encoding pass per encoding, counts equal to raw tiktoken x factor."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
import tiktoken.core

from costplan.tokens import FAMILY_FACTORS, TokenizerSpec, family_spec, get_encoding
from costplan.tokens.count import TokenCounter

TEXTS = [
    "Summarise the ticket below in two sentences.",
    "def f(x):\n    return x ** 2  # square",
    "",
    "<|endoftext|> is data here",
    "naïve café — 東京 🚀" * 3,
]


def _oracle(texts: list[str], encoding: str, factor: Decimal | None) -> list[int]:
    """Raw tiktoken, one text at a time, and the ceiling in exact fractions."""
    enc = get_encoding(encoding)  # type: ignore[arg-type]
    out = []
    for t in texts:
        n = len(enc.encode_ordinary(t))
        out.append(n if factor is None else -(-Fraction(n) * Fraction(factor) // 1))
    return [int(v) for v in out]


SPECS = [
    TokenizerSpec.exact("o200k_base"),
    TokenizerSpec.exact("cl100k_base"),
    *(family_spec(f) for f in FAMILY_FACTORS),
    TokenizerSpec.estimate("custom", Decimal("1.337")),
]


def test_counts_equal_raw_tiktoken_times_the_factor_for_every_spec() -> None:
    counter = TokenCounter(TEXTS)
    for spec in SPECS:
        got = counter.counts(spec).tolist()
        assert got == _oracle(TEXTS, spec.encoding, spec.factor), spec.label


def test_each_text_is_encoded_once_per_encoding(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = tiktoken.core.Encoding.encode_ordinary_batch

    def spy(self: tiktoken.core.Encoding, texts: list[str], **kw: object) -> list[list[int]]:
        calls.append(self.name)
        return original(self, texts, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(tiktoken.core.Encoding, "encode_ordinary_batch", spy)
    counter = TokenCounter(TEXTS)
    for spec in SPECS:
        counter.counts(spec)
    encodings = {s.encoding for s in SPECS}
    # one batch call per encoding (the texts fit one batch), whatever the number of specs
    assert sorted(calls) == sorted(encodings)
    assert len(SPECS) > len(encodings)


def test_counts_are_int64_arrays_of_the_text_count() -> None:
    arr = TokenCounter(TEXTS).counts(family_spec("claude"))
    assert arr.dtype == np.int64
    assert arr.shape == (len(TEXTS),)
