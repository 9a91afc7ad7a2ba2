"""Per-query cost spread from the prompt samples (README "Uncertainty").

Over the ``n`` samples' exact costs ``c_i`` (pico-dollars) the plug-in variance is
``v = (1/n) sum (c_i - cbar)^2``. It is both the per-query variance and, divided by
``n``, the variance of the sample mean under the ideal bootstrap (resampling the ``n``
samples with replacement, all ``n^n`` resamples: ``Var* (mean) = v / n`` exactly, so no
resampling is needed and the figure is deterministic). Standard deviations are stored
as whole pico-dollars rounded **up**: ``ceil(sqrt(v))``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction


def plug_in_variance(numerators: Sequence[int], denominator: int = 1) -> Fraction:
    """``(1/n) sum (c_i - cbar)^2`` of ``c_i = numerators[i] / denominator``, exactly."""
    n = len(numerators)
    if n == 0:
        return Fraction(0)
    total = sum(numerators)
    squares = sum(k * k for k in numerators)
    return Fraction(n * squares - total * total, n * n * denominator * denominator)


def ceil_sqrt(x: Fraction) -> int:
    """The least integer ``s >= 0`` with ``s^2 >= x`` (exact)."""
    if x <= 0:
        return 0
    s = math.isqrt(x.numerator // x.denominator)
    while s * s * x.denominator < x.numerator:
        s += 1
    return s
