from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from costplan.money import (
    PrecisionError,
    budget_to_pusd,
    cents,
    fmt_usd,
    price_to_pusd_per_token,
    pusd_to_usd,
    usd_str,
)


def test_price_is_exact_pico_dollars_per_token() -> None:
    assert price_to_pusd_per_token(Decimal("0.075")) == 75_000
    assert price_to_pusd_per_token(Decimal("15")) == 15_000_000
    assert price_to_pusd_per_token(Decimal("0.000001")) == 1


def test_price_finer_than_unit_is_rejected() -> None:
    with pytest.raises(PrecisionError, match="more than 6 decimals"):
        price_to_pusd_per_token(Decimal("0.0000001"))


def test_budget_rounds_down_and_amounts_round_trip() -> None:
    assert budget_to_pusd(Decimal("12000.5")) == 12_000_500_000_000_000
    assert budget_to_pusd(Decimal("0.0000000000019")) == 1
    assert pusd_to_usd(1_234_567) == Decimal("0.000001234567")
    assert usd_str(1_234_567) == "0.000001234567"
    assert usd_str(12_000 * 10**12) == "12000"
    assert usd_str(0) == "0"


def test_millions_of_sub_micro_dollar_queries_total_exactly() -> None:
    per_query = price_to_pusd_per_token(Decimal("0.075")) * 3  # 3 tokens: 2.25e-7 USD
    total = per_query * 7_000_001
    assert pusd_to_usd(total) == Decimal("0.075") * 3 * 7_000_001 / 10**6


@given(st.lists(st.decimals(min_value=0, max_value=10**6, places=6), min_size=1, max_size=30))
def test_rounded_rows_sum_to_rounded_total(values: list[Decimal]) -> None:
    rows = cents(values)
    assert sum(rows, Decimal(0)) == sum(values, Decimal(0)).quantize(Decimal("0.01"))
    for r, v in zip(rows, values, strict=True):
        assert abs(r - v) < Decimal("0.01")


def test_fmt_usd() -> None:
    assert fmt_usd(Decimal("14210.546")) == "$14,210.55"
    assert fmt_usd(Decimal("-3.5")) == "-$3.50"


def test_usd_str_negative_and_exact() -> None:
    assert usd_str(-1) == "-0.000000000001"
    assert usd_str(-(10**12)) == "-1"
    assert usd_str(10**12 + 5) == "1.000000000005"
