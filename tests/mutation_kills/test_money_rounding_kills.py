"""Kill tests for the rounding helpers of costplan.money (README "Money is exact").

Every expected value is worked out by hand in the comments: the rule is rounding in the
user's disfavour (derived prices and costs up, budgets and qualities down, floors up).
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import pytest

from costplan.money import (
    PrecisionError,
    _fmt_rounded,
    amount_up,
    budget_to_pusd,
    floor_to_micro,
    fmt_over_budget,
    fmt_usd,
    price_to_pusd_per_token,
    price_up,
    quality_to_micro,
    usd_str,
)

D = Decimal


def test_price_to_pusd_per_token_by_hand() -> None:
    # 2.5 USD per 10^6 tokens = 2.5 x 10^12 / 10^6 = 2,500,000 pusd per token
    assert price_to_pusd_per_token(D("2.5")) == 2_500_000
    assert price_to_pusd_per_token(D("0.000001")) == 1  # the finest price: 1 pusd per token
    assert price_to_pusd_per_token(D("0")) == 0
    with pytest.raises(PrecisionError, match=r"^price 1E-7 USD per million tokens has more than "
                       r"6 decimals$"):  # fmt: skip
        price_to_pusd_per_token(D("0.0000001"))


def test_price_up_rounds_up_to_a_millionth() -> None:
    assert price_up(D("0.1234561")) == D("0.123457")  # 0.1234561 -> next 1e-6 above
    assert price_up(D("2.50000000001")) == D("2.500001")
    assert str(price_up(D("0.123456"))) == "0.123456"  # already exact: unchanged, 6 places
    assert str(price_up(D("3"))) == "3.000000"
    assert price_up(D("-0.0000015")) == D("-0.000001")  # up = towards +infinity


def test_amount_up_rounds_up_to_a_pico_dollar() -> None:
    assert amount_up(D("0.0000000000001")) == D("1e-12")  # 0.1 pusd -> 1 pusd
    assert amount_up(D("1.0000000000011")) == D("1.000000000002")
    assert amount_up(D("0.5")).as_tuple().exponent == -12
    assert amount_up(D("-0.0000000000019")) == D("-1e-12")  # ceiling of -1.9 pusd is -1


def test_quality_rounds_down_and_floors_round_up() -> None:
    # 0.7999995 x 10^6 = 799,999.5: a quality counts as 799,999, a floor needs 800,000
    assert quality_to_micro(D("0.7999995")) == 799_999
    assert floor_to_micro(D("0.7999995")) == 800_000
    # 0.8000005 x 10^6 = 800,000.5: quality 800,000, floor 800,001
    assert quality_to_micro(D("0.8000005")) == 800_000
    assert floor_to_micro(D("0.8000005")) == 800_001
    assert quality_to_micro(D("0.8")) == floor_to_micro(D("0.8")) == 800_000
    assert quality_to_micro(D("1")) == 1_000_000
    assert quality_to_micro(D("-0.0000005")) == -1  # floor of -0.5
    assert floor_to_micro(D("-0.0000005")) == 0  # ceiling of -0.5


def test_budget_rounds_down_to_a_pico_dollar() -> None:
    assert budget_to_pusd(D("12")) == 12 * 10**12
    assert budget_to_pusd(D("0.0000000000019")) == 1  # 1.9 pusd -> 1
    assert budget_to_pusd(D("-0.0000000000001")) == -1  # floor of -0.1 pusd


def test_usd_str_by_hand() -> None:
    assert usd_str(1_500_000_000_000) == "1.5"
    assert usd_str(2 * 10**12) == "2"
    assert usd_str(0) == "0"
    assert usd_str(10) == "0.00000000001"
    assert usd_str(-1) == "-0.000000000001"
    assert usd_str(-3 * 10**12) == "-3"
    assert usd_str(10**12 + 10**11) == "1.1"


def test_fmt_usd_places_and_grouping() -> None:
    assert fmt_usd(D("1234.5678"), places=3) == "$1,234.568"
    assert fmt_usd(D("1234567.891")) == "$1,234,567.89"
    assert fmt_usd(D("-2.5")) == "-$2.50"
    assert fmt_usd(D("0.125")) == "$0.12"  # half-even for display only
    assert fmt_usd(D("7"), places=0) == "$7"


def test_fmt_rounded_directions_and_sign() -> None:
    # -1234.567 USD at 2 places: ceiling -1234.56, floor -1234.57
    assert _fmt_rounded(-1_234_567 * 10**9, 2, ROUND_CEILING) == "-$1,234.56"
    assert _fmt_rounded(-1_234_567 * 10**9, 2, ROUND_FLOOR) == "-$1,234.57"
    assert _fmt_rounded(1_234_567 * 10**9, 2, ROUND_CEILING) == "$1,234.57"
    assert _fmt_rounded(1_234_567 * 10**9, 2, ROUND_FLOOR) == "$1,234.56"
    assert _fmt_rounded(5 * 10**11, 4, ROUND_FLOOR) == "$0.5000"


@pytest.mark.parametrize(
    ("cost", "budget", "expected"),
    [
        # short = 234.56 USD, the budget a whole number of cents: 2 places suffice
        (1_234_560_000_000_000, 10**15, ("$1,234.56", "$1,000.00", "$234.56")),
        # short = 1 pusd: 12 places (the most), the budget exact
        (520_000_000_001, 520_000_000_000,
         ("$0.520000000001", "$0.520000000000", "$0.000000000001")),
        # short = 5,000,000,001 pusd (0.005000000001 USD): 2 places would show $0.00...; at 3
        # places it is >= 10^9 pusd and the budget ($1) is exact; cost and short round up
        (1_005_000_000_001, 10**12, ("$1.006", "$1.000", "$0.006")),
        # the budget 1.500000000001 is exact only at 12 places
        (2 * 10**12, 1_500_000_000_001,
         ("$2.000000000000", "$1.500000000001", "$0.499999999999")),
        # within the budget: no shortfall, every place shown, nothing negative
        (10**12, 2 * 10**12, ("$1.000000000000", "$2.000000000000", "$0.000000000000")),
        # short = 10^10 pusd exactly (one cent), budget whole cents: 2 places
        (10**12 + 10**10, 10**12, ("$1.01", "$1.00", "$0.01")),
        # short just below one cent: 3 places; budget 10^12 - 10^9 is exact at 3
        (10**12 + 9_999_999_999 - 10**9, 10**12 - 10**9, ("$1.009", "$0.999", "$0.010")),
    ],
)  # fmt: skip
def test_fmt_over_budget_by_hand(cost: int, budget: int, expected: tuple[str, str, str]) -> None:
    assert fmt_over_budget(cost, budget) == expected
