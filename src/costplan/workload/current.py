"""Today's allocation as whole queries: the one rounding rule for ``current`` shares."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction


def today_counts(volume: int, shares: Mapping[str, Decimal]) -> dict[str, int]:
    """Queries per model: ``floor(volume x share)``, then the leftover queries one each to
    the largest remainders (ties by model name). Shares sum to 1, so counts sum to volume."""
    exact = {m: Fraction(s) * volume for m, s in shares.items()}
    counts = {m: v.numerator // v.denominator for m, v in exact.items()}
    left = volume - sum(counts.values())
    for m in sorted(exact, key=lambda m: (-(exact[m] - counts[m]), m))[: max(left, 0)]:
        counts[m] += 1
    return counts
