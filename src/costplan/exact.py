"""Exact rationals as text: the one way plan files write bounds, gaps and prices.

An integer or a finite decimal is written as one (``"12"``, ``"-0.125"``, at most 24 fraction
digits, no exponent); any other rational as ``"p/q"``. Never rounded
(``docs/certificate.md``).
"""

from __future__ import annotations

from fractions import Fraction


def rational_str(v: Fraction | int) -> str:
    """Exact text of a rational: an integer or finite decimal when it is one (at most 24
    fraction digits), else ``p/q``. Never rounded."""
    f = Fraction(v)
    if f.denominator == 1:
        return str(f.numerator)
    d = f.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    places = max(twos, fives)
    if d != 1 or places > 24:
        return f"{f.numerator}/{f.denominator}"
    scaled = abs(f.numerator) * 10**places // f.denominator
    sign = "-" if f < 0 else ""
    whole, frac = divmod(scaled, 10**places)
    return f"{sign}{whole}.{frac:0{places}d}".rstrip("0")


def parse_rational(text: str) -> Fraction:
    """Inverse of :func:`rational_str` (``ValueError`` for anything else)."""
    t = text.strip()
    if not t or "e" in t.lower() or "_" in t or t.lower() in ("nan", "inf", "-inf", "infinity"):
        raise ValueError(f"not an exact rational: {text!r}")
    return Fraction(t)
