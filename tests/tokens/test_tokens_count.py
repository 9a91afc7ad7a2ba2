"""count_tokens: exact counts, exact family estimates, batching and progress."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from costplan.tokens import TokenizerSpec, count_tokens, get_encoding, parse_tokenizer
from costplan.tokens.count import apply_factor

TEXTS = [
    "hello" + " hello" * 99,  # exactly 100 o200k_base tokens
    "The quick brown fox jumps over the lazy dog.",
    "def f(x):\n    return x * 2\n",
    "今天天气很好",
    "🦊🚀",
    "",
]


@pytest.mark.parametrize("encoding", ["o200k_base", "cl100k_base"])
def test_exact_counts_match_the_encoding(encoding: str) -> None:
    spec = parse_tokenizer(encoding, file=None, key="tokenizer")
    counts = count_tokens(TEXTS, spec)
    enc = get_encoding(encoding)
    assert counts.dtype == np.int64
    assert counts.shape == (len(TEXTS),)
    assert counts.tolist() == [len(enc.encode_ordinary(t)) for t in TEXTS]
    assert counts[-1] == 0


def test_first_text_is_exactly_100_o200k_tokens() -> None:
    assert count_tokens(TEXTS[:1], TokenizerSpec())[0] == 100


def test_special_token_text_is_counted_as_ordinary_text() -> None:
    counts = count_tokens(["<|endoftext|>", "a<|endofprompt|>b"], TokenizerSpec())
    assert counts.tolist() == [7, 9]


def test_family_estimate_is_ceil_of_o200k_times_factor() -> None:
    base = count_tokens(TEXTS, TokenizerSpec())
    spec = parse_tokenizer("claude", file=None, key="tokenizer")
    assert spec.estimated
    estimate = count_tokens(TEXTS, spec)
    assert estimate.tolist() == [math.ceil(Decimal(int(n)) * Decimal("1.20")) for n in base]
    assert estimate[0] == 120


def test_estimate_uses_exact_decimal_arithmetic() -> None:
    # In binary floating point 100 * 1.1 == 110.00000000000001, whose ceil is 111.
    assert math.ceil(100 * 1.1) == 111
    spec = TokenizerSpec.estimate("custom", Decimal("1.1"))
    assert count_tokens(TEXTS[:1], spec).tolist() == [110]
    counts = np.arange(0, 2000, dtype=np.int64)
    expected = [math.ceil(Decimal(int(n)) * Decimal("1.1")) for n in counts]
    assert apply_factor(counts, Decimal("1.1")).tolist() == expected


def test_apply_factor_without_int64_overflow() -> None:
    counts = np.array([0, 3, 10**12], dtype=np.int64)
    factor = Decimal("1.0000000000000000001")  # numerator far beyond int64
    result = apply_factor(counts, factor)
    assert result.dtype == np.int64
    assert result.tolist() == [0, 4, 10**12 + 1]
    assert apply_factor(np.array([], dtype=np.int64), factor).tolist() == []


def test_batches_and_progress() -> None:
    texts = [f"text number {i}" for i in range(25)]
    seen: list[int] = []
    batched = count_tokens(texts, TokenizerSpec(), progress=seen.append, batch_size=10)
    assert seen == [10, 20, 25]
    assert batched.tolist() == count_tokens(texts, TokenizerSpec(), batch_size=1000).tolist()


def test_empty_input() -> None:
    seen: list[int] = []
    counts = count_tokens([], TokenizerSpec(), progress=seen.append)
    assert counts.dtype == np.int64
    assert counts.shape == (0,)
    assert seen == []


def test_invalid_batch_size() -> None:
    with pytest.raises(ValueError, match="positive"):
        count_tokens(["x"], TokenizerSpec(), batch_size=0)
