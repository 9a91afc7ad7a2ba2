"""What a traffic log says beyond means: the volume's spread and the observed caching.

**Volume spread** (``volume: {mean, cv}``, README "Uncertainty"), from the day-by-day
request series: the ``n`` UTC days from the first request's to the last one's
(days without requests count 0; the first and last may be partial), their mean
``m`` and sample variance ``s^2`` (divisor ``n - 1``). A period of ``D`` days is
forecast as ``D x m``; its error has two parts, the estimate of the daily rate
(variance ``D^2 s^2 / n``) and the period's own day-to-day noise (``D s^2``, days
taken as independent), so::

    cv = sqrt(D^2 s^2 / n + D s^2) / (D m) = (s / m) x sqrt(1/n + 1/D)

rounded *up* to 1e-6 (more spread, never less) and capped at 10 (the schema's
bound). Fewer than two days, or ``s = 0``, give no spread (a plain volume).

**Caching** (``cache: {hit_rate: {5m: h}, ttl: auto}`` with
``shared_prefix_tokens: P``, README "Prompt caching"), for tasks whose every row
is one request: a request *hit* when it read cached input (``cached > 0``);
``h`` = hits / requests rounded *down* to 1e-6, ``P`` = the hits' mean cached
tokens rounded *down* (both the conservative side: fewer cached tokens). The rate
is filed under ``5m``, the TTL both OpenAI's automatic caching and Anthropic's
default use; ``auto`` lets the solver choose between it and no caching. Bucketed
sources (usage APIs) cannot tell hits per request: their mean cached tokens are
billed at the cache-read price on every query, as without a policy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from fractions import Fraction

from costplan.workload.model import MINUTES_PER_PERIOD

MICRO = 10**6
MAX_CV = Decimal(10)


def daily_counts(days: Sequence[tuple[str, int]]) -> list[int]:
    """Requests per UTC day from the first listed day to the last, 0 where none."""
    if not days:
        return []
    by_day = {date.fromisoformat(d).toordinal(): n for d, n in days}
    first, last = min(by_day), max(by_day)
    return [by_day.get(d, 0) for d in range(first, last + 1)]


def volume_cv(days: Sequence[tuple[str, int]], period: str) -> Decimal | None:
    """The period volume's coefficient of variation (see the module docstring), or None."""
    counts = daily_counts(days)
    n = len(counts)
    if n < 2 or sum(counts) == 0:
        return None
    m = Fraction(sum(counts), n)
    s2 = sum(((Fraction(c) - m) ** 2 for c in counts), Fraction(0)) / (n - 1)
    if s2 == 0:
        return None
    d = Fraction(MINUTES_PER_PERIOD[period], 24 * 60)
    cv2: Fraction = s2 / (m * m) * (Fraction(1, n) + 1 / d) * MICRO**2
    k = math.isqrt(cv2.numerator // cv2.denominator)
    while k * k < cv2:  # the smallest k with k^2 >= cv2: sqrt rounded up
        k += 1
    return min(Decimal(k) / MICRO, MAX_CV)


def cache_policy(
    requests: int, hits: int | None, cached_in_hits: int
) -> tuple[int, Decimal] | None:
    """``(P, h)``: the cached prefix and the hit rate (see the module docstring), or None."""
    if not hits or requests <= 0:
        return None
    prefix = cached_in_hits // hits
    rate = Decimal(hits * MICRO // requests) / MICRO
    if prefix == 0 or rate == 0:
        return None
    return prefix, rate
