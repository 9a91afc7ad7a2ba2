"""Exact frontier geometry on distinct (cost, mean quality) vertices in cost order.

Contract: pure functions on exact rationals (no solver, no plan): :func:`upper_hull`
keeps the upper concave hull (slopes strictly decreasing), :func:`knee_index` finds the
hull vertex with the largest slope drop (ties to the cheaper; None below three vertices),
:func:`aiq` is the area under the hull over a cost range divided by its width, rounded
down to 6 decimals. The definitions are in :mod:`costplan.frontier`'s docstring.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from itertools import pairwise

from costplan.errors import InputError

__all__ = ["aiq", "knee_index", "upper_hull"]


def upper_hull(vertices: Sequence[tuple[int, Fraction]]) -> list[tuple[int, Fraction]]:
    """Upper concave hull of distinct (cost, quality) vertices in cost order.

    Points on or below the segment joining their neighbours are dropped, so the
    hull's slopes strictly decrease.
    """
    hull: list[tuple[int, Fraction]] = []
    for c, q in vertices:
        while len(hull) >= 2:
            (c0, q0), (c1, q1) = hull[-2], hull[-1]
            # drop the middle point when it is not strictly above the chord
            if (q1 - q0) * (c - c0) <= (q - q0) * (c1 - c0):
                hull.pop()
            else:
                break
        hull.append((c, q))
    return hull


def knee_index(vertices: Sequence[tuple[int, Fraction]]) -> int | None:
    """Index (into ``vertices``: hull vertices in cost order) of the largest slope drop."""
    if len(vertices) < 3:
        return None
    slopes = [(q1 - q0) / (c1 - c0) for (c0, q0), (c1, q1) in pairwise(vertices)]
    best, best_drop = None, Fraction(0)
    for j in range(1, len(slopes)):
        drop = slopes[j - 1] - slopes[j]
        if drop > best_drop:
            best, best_drop = j, drop
    return best


def aiq(vertices: Sequence[tuple[int, Fraction]], lo_pusd: int, hi_pusd: int) -> Decimal:
    """Area under the frontier over ``[lo, hi]``, divided by ``hi - lo`` (see module doc)."""
    if not vertices:
        raise ValueError("empty frontier")
    if hi_pusd < lo_pusd:
        raise InputError("the AIQ range must have lo <= hi", value=(lo_pusd, hi_pusd))
    first_c = vertices[0][0]
    last_c, last_q = vertices[-1]
    if hi_pusd == lo_pusd:
        c = lo_pusd
        value = Fraction(0) if c < first_c else _interp(vertices, c)
        return _dec6(value)
    # Linear pieces (x0, y0, x1, y1); the outer ones are constant.
    pieces: list[tuple[Fraction, Fraction, Fraction, Fraction]] = []
    lo, hi = Fraction(lo_pusd), Fraction(hi_pusd)
    if lo < first_c:
        pieces.append((lo, Fraction(0), Fraction(first_c), Fraction(0)))
    for (c0, q0), (c1, q1) in pairwise(vertices):
        pieces.append((Fraction(c0), q0, Fraction(c1), q1))
    if hi > last_c:
        pieces.append((Fraction(last_c), last_q, hi, last_q))
    area = Fraction(0)
    for x0, y0, x1, y1 in pieces:
        a, b = max(x0, lo), min(x1, hi)
        if b <= a:
            continue
        ya = y0 + (y1 - y0) * (a - x0) / (x1 - x0)
        yb = y0 + (y1 - y0) * (b - x0) / (x1 - x0)
        area += (b - a) * (ya + yb) / 2
    return _dec6(area / (hi - lo))


def _interp(vertices: Sequence[tuple[int, Fraction]], c: int) -> Fraction:
    if c >= vertices[-1][0]:
        return vertices[-1][1]
    for (c0, q0), (c1, q1) in pairwise(vertices):
        if c0 <= c <= c1:
            return q0 + (q1 - q0) * Fraction(c - c0, c1 - c0)
    return vertices[0][1]


def _dec6(x: Fraction) -> Decimal:
    """A reported quality to 6 decimals, rounded down (never overstated).

    Floored in integers: a Decimal division first rounds to the context's 28 digits, which
    can carry a value just below a 6-decimal step up onto it before any floor is applied."""
    return Decimal(math.floor(x * 10**6)).scaleb(-6)
