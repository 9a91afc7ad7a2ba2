"""Count tokens of many texts at once.

Contract:

* ``count_tokens(texts, spec)[i]`` is the token count of ``texts[i]``: exact for
  an exact spec, ``ceil(o200k_base count x factor)`` (exact rational arithmetic,
  no float rounding) for an estimated one.
* Text that looks like a special token (``<|endoftext|>``) is counted as the
  ordinary text it is: prompts are data, never control tokens.
* Texts are encoded in batches of ``batch_size`` with tiktoken's threaded
  ``encode_ordinary_batch``; ``progress`` (if given) is called after each batch
  with the number of texts done so far (the last call is ``len(texts)``).
* :class:`TokenCounter` encodes one list of texts at most once per *encoding*:
  every estimated family is that encoding's count times a factor, so a price
  sheet with ten tokenizer settings over two encodings costs two passes, not ten.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Final

import numpy as np
from numpy.typing import NDArray

from costplan.tokens.encodings import EncodingName, get_encoding
from costplan.tokens.tokenizer import TokenizerSpec

DEFAULT_BATCH_SIZE: Final = 1000
# Largest count for which count * numerator stays far from int64 overflow.
_INT64_SAFE: Final = 2**62


def count_tokens(
    texts: Sequence[str],
    spec: TokenizerSpec,
    *,
    progress: Callable[[int], None] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    num_threads: int = 8,
) -> NDArray[np.int64]:
    """Token count of each text under ``spec``, as an int64 array of ``len(texts)``.

    ``batch_size`` and ``num_threads`` must be positive (``ValueError``).
    """
    counts = encoding_counts(
        texts, spec.encoding, progress=progress, batch_size=batch_size, num_threads=num_threads
    )
    if spec.factor is None:
        return counts
    return apply_factor(counts, spec.factor)


def encoding_counts(
    texts: Sequence[str],
    encoding_name: EncodingName,
    *,
    progress: Callable[[int], None] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    num_threads: int = 8,
) -> NDArray[np.int64]:
    """Exact ``encoding_name`` count of each text (no factor), as int64."""
    if batch_size < 1 or num_threads < 1:
        raise ValueError("batch_size and num_threads must be positive")
    encoding = get_encoding(encoding_name)
    counts = np.empty(len(texts), dtype=np.int64)
    for start in range(0, len(texts), batch_size):
        batch = list(texts[start : start + batch_size])
        encoded = encoding.encode_ordinary_batch(batch, num_threads=num_threads)
        # map(len) runs in C: no Python-level loop over the texts
        counts[start : start + len(batch)] = np.fromiter(
            map(len, encoded), dtype=np.int64, count=len(encoded)
        )
        if progress is not None:
            progress(start + len(batch))
    return counts


class TokenCounter:
    """Counts of one fixed list of texts under many specs, encoding each text once
    per encoding (the factor of an estimated spec is applied to the cached exact
    counts, which is exactly what :func:`count_tokens` computes)."""

    def __init__(
        self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None
    ) -> None:
        self._texts = texts
        self._progress = progress
        self._by_encoding: dict[EncodingName, NDArray[np.int64]] = {}

    def counts(self, spec: TokenizerSpec) -> NDArray[np.int64]:
        """``count_tokens(texts, spec)``, from the cached pass of ``spec.encoding``."""
        raw = self._by_encoding.get(spec.encoding)
        if raw is None:
            raw = encoding_counts(self._texts, spec.encoding, progress=self._progress)
            self._by_encoding[spec.encoding] = raw
        if spec.factor is None:
            return raw
        return apply_factor(raw, spec.factor)


def apply_factor(counts: NDArray[np.int64], factor: Decimal) -> NDArray[np.int64]:
    """``ceil(count x factor)`` element-wise, computed exactly (no float rounding).

    ``factor`` must be a finite, non-negative Decimal.
    """
    numerator, denominator = factor.as_integer_ratio()
    if numerator < 0:
        raise ValueError(f"factor must not be negative, got {factor}")
    largest = int(counts.max()) if counts.size else 0
    if max(numerator, denominator, largest * numerator) >= _INT64_SAFE:
        exact = [-(-int(c) * numerator // denominator) for c in counts.tolist()]
        return np.asarray(exact, dtype=np.int64)
    # ceil(a / b) == -((-a) // b) for integers, b > 0
    scaled: NDArray[np.int64] = -((-counts * numerator) // denominator)
    return scaled.astype(np.int64, copy=False)
