"""Tests written to kill mutants of costplan.money that the original suite let survive.

Every expected value is derived by hand (comments) or by a brute-force oracle written
from the docstring's contract, never from the code's output.
"""

from __future__ import annotations

import itertools
import math
import random
from decimal import ROUND_UP, Decimal, localcontext
from fractions import Fraction

import pytest

from costplan.money import PrecisionError, cents, fmt_usd, pusd_to_usd, usd_to_pusd

D = Decimal


def test_usd_to_pusd_is_exact_and_refuses_finer_amounts() -> None:
    # 1.5 USD = 1.5 x 10^12 pico-dollars; 10^-12 USD is one pico-dollar.
    assert usd_to_pusd(D("1.5")) == 1_500_000_000_000
    assert usd_to_pusd(D("0.000000000001")) == 1
    assert usd_to_pusd(D("-2")) == -2 * 10**12
    with pytest.raises(PrecisionError, match=r"amount 1\.0000000000005 USD is finer than 1e-12"):
        usd_to_pusd(D("1.0000000000005"))


def test_pusd_to_usd_of_zero_is_zero() -> None:
    result = pusd_to_usd(0)
    assert result == 0
    assert str(result) == "0"


def _largest_remainder(values: list[Decimal]) -> list[Decimal]:
    """Brute-force oracle for cents(), from its docstring, in Fractions of a cent.

    Floor each value to a cent; k = round-half-even(sum) - sum(floors) cents are missing;
    give one cent to each row of the size-k subset with the largest total remainder,
    ties to the earlier rows (the lexicographically smallest index tuple).
    """
    in_cents = [Fraction(v) * 100 for v in values]
    floors = [math.floor(c) for c in in_cents]
    total = round(sum(in_cents, Fraction(0)))  # round() on a Fraction is half-even
    k = total - sum(floors)
    assert 0 <= k <= len(values)
    best = min(
        itertools.combinations(range(len(values)), k),
        key=lambda s: (-sum(in_cents[i] - floors[i] for i in s), s),
    )
    return [D(f + (1 if i in best else 0)) / 100 for i, f in enumerate(floors)]


def test_cents_matches_largest_remainder_oracle() -> None:
    seed = 20261202
    rng = random.Random(seed)
    for _ in range(3000):
        n = rng.randint(1, 6)
        values = [D(rng.randint(-3000, 3000)) / 1000 for _ in range(n)]
        assert cents(values) == _largest_remainder(values), (seed, values)


def test_cents_by_hand() -> None:
    # 2.759 2.525 0.069 -2.292 0.595: floors 2.75 2.52 0.06 -2.30 0.59 (sum 3.62);
    # the sum 3.656 rounds to 3.66, so 4 cents go to the largest remainders
    # .009 (row 0), .009 (row 2), .008 (row 3), .005 (row 1 before row 4's .005).
    values = [D("2.759"), D("2.525"), D("0.069"), D("-2.292"), D("0.595")]
    assert cents(values) == [D("2.76"), D("2.53"), D("0.07"), D("-2.29"), D("0.59")]


def test_cents_and_fmt_usd_ignore_the_callers_decimal_context() -> None:
    # The rounding rules are the function's contract, not the ambient context's:
    # 0.005 rounds half-even to 0.00 in a total, and 0.125 prints as $0.12.
    with localcontext() as ctx:
        ctx.rounding = ROUND_UP
        assert cents([D("0.005")]) == [D("0.00")]
        assert cents([D("0.006"), D("0.006")]) == [D("0.01"), D("0.00")]
        assert fmt_usd(D("0.125")) == "$0.12"


def test_fmt_usd_sign_and_places() -> None:
    assert fmt_usd(D(0)) == "$0.00"
    assert fmt_usd(D("0.5")) == "$0.50"
    assert fmt_usd(D("-0.004")) == "$0.00"  # rounds to zero first: no "-$0.00"
    assert fmt_usd(D("1234.5678"), places=3) == "$1,234.568"
