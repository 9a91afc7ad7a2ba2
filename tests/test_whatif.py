"""What-if price changes: syntax, matching, exact Decimal arithmetic (CLI: tests/check)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from costplan.errors import InputError
from costplan.money import price_to_pusd_per_token
from costplan.pricing.load import sheet_from_document
from costplan.pricing.model import PriceSheet, Rates
from costplan.pricing.whatif import (
    PriceChange,
    apply_price_changes,
    parse_price_change,
    parse_price_changes,
)
from costplan.yamlsource import parse_yaml_text

SHEET = """
currency: USD
source: test
models:
  gpt-4o:
    provider: openai
    input_usd_per_mtok: 2.5
    output_usd_per_mtok: 10
    cache_read_usd_per_mtok: 1.25
    batch: {discount: 0.5}
    tiers:
      - {above_input_tokens: 200000, input_usd_per_mtok: 5, output_usd_per_mtok: 20}
  gpt-4o-mini:
    provider: openai
    input_usd_per_mtok: 0.15
    output_usd_per_mtok: 0.6
  claude-sonnet-4:
    provider: Anthropic
    input_usd_per_mtok: 3
    output_usd_per_mtok: 15
    request_usd: 0.000001
    priority: {input_usd_per_mtok: 6, output_usd_per_mtok: 30}
  gemini-2.5-flash:
    provider: google
    input_usd_per_mtok: 0.000005
    output_usd_per_mtok: 0.000015
  bedrock.claude-v1:0:
    provider: aws
    input_usd_per_mtok: 8
    output_usd_per_mtok: 24
"""


def sheet() -> PriceSheet:
    return sheet_from_document(parse_yaml_text(SHEET, Path("prices.yaml")))


def change(text: str, base: PriceSheet | None = None) -> PriceSheet:
    return apply_price_changes(base or sheet(), parse_price_changes([text]))


# --- syntax ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "pattern", "by_provider", "field", "percent"),
    [
        ("provider:anthropic=+20%", "anthropic", True, None, "20"),
        ("gpt-4o=-50%", "gpt-4o", False, None, "-50"),
        ("gpt-4o.output=+10%", "gpt-4o", False, "output_usd_per_mtok", "10"),
        ("gpt-4o.cache_read_usd_per_mtok=+1%", "gpt-4o", False, "cache_read_usd_per_mtok", "1"),
        ("gemini-2.5-flash=+12.5%", "gemini-2.5-flash", False, None, "12.5"),
        ("gemini-2.5-flash.input=-100%", "gemini-2.5-flash", False, "input_usd_per_mtok", "-100"),
        ("bedrock.claude-v1:0=+1%", "bedrock.claude-v1:0", False, None, "1"),
        (" claude-* = + 5 % ", "claude-*", False, None, "5"),
        ("provider:open*.request=+100%", "open*", True, "request_usd", "100"),
    ],
)
def test_parse(text: str, pattern: str, by_provider: bool, field: str | None, percent: str) -> None:
    c = parse_price_change(text)
    assert (c.pattern, c.by_provider, c.field, c.percent) == (
        pattern,
        by_provider,
        field,
        Decimal(percent),
    )
    assert c.text == text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("gpt-4o", "missing '=<change>%'"),
        ("gpt-4o=20%", "the change needs its sign, '+' or '-' (e.g. +20%, not 20%)"),
        ("gpt-4o=+20", "cannot read the change: give a signed percentage ending in '%'"),
        ("gpt-4o=+x%", "cannot read the change"),
        ("=+5%", "cannot read the change"),
        ("provider:=+5%", "missing the model or provider pattern before '='"),
        ("gpt-4o=-101%", "a price cannot fall by more than 100%"),
        ("gpt-4o=+10000000%", "a change above +1000000% is surely a typo"),
    ],
)
def test_bad_syntax_names_the_option_and_value(text: str, why: str) -> None:
    with pytest.raises(InputError) as err:
        parse_price_change(text)
    message = str(err.value)
    assert message.startswith(f"--price-change: {why}")
    assert f"(got {text!r})" in message
    assert "expected [provider:]PATTERN[.FIELD]=+N% or -N%" in message


# --- matching ------------------------------------------------------------------------


def test_patterns_match_model_names_and_providers() -> None:
    s = sheet()

    def hits(text: str) -> set[str]:
        c = parse_price_change(text)
        return {name for name, m in s.models.items() if c.matches(m)}

    assert hits("gpt-4o=+1%") == {"gpt-4o"}  # exact, not a prefix
    assert hits("gpt-4o*=+1%") == {"gpt-4o", "gpt-4o-mini"}
    assert hits("GPT-4o=+1%") == set()  # model names are case-sensitive
    assert hits("provider:anthropic=+1%") == {"claude-sonnet-4"}  # providers are not
    assert hits("provider:open*=+1%") == {"gpt-4o", "gpt-4o-mini"}
    assert hits("*=+1%") == set(s.models)


def test_no_match_is_an_error_with_a_suggestion() -> None:
    with pytest.raises(InputError) as err:
        change("gpt-4p=+1%")
    assert str(err.value) == (
        "--price-change: no model in the price sheets matches 'gpt-4p' (got 'gpt-4p=+1%'); "
        "did you mean 'gpt-4o'?"
    )
    with pytest.raises(InputError, match="no provider in the price sheets matches 'antropic'"):
        change("provider:antropic=+1%")


# --- arithmetic ----------------------------------------------------------------------


def _all_rates(s: PriceSheet, name: str) -> list[Rates]:
    m = s.models[name]
    schedules = [m.standard, *m.modes.values()]
    return [r for sc in schedules for r in (sc.base, *(t.rates for t in sc.tiers))]


def test_every_rate_of_every_mode_and_tier_changes() -> None:
    before, after = sheet(), change("gpt-4o=+20%")
    old, new = _all_rates(before, "gpt-4o"), _all_rates(after, "gpt-4o")
    assert len(old) == 4  # standard and batch, each with base and one tier
    for o, n in zip(old, new, strict=True):
        assert n.input_usd_per_mtok == o.input_usd_per_mtok * Decimal("1.2")
        assert n.output_usd_per_mtok == o.output_usd_per_mtok * Decimal("1.2")
        if o.cache_read_usd_per_mtok is None:  # absent stays absent: it follows input
            assert n.cache_read_usd_per_mtok is None
        else:
            assert n.cache_read_usd_per_mtok == o.cache_read_usd_per_mtok * Decimal("1.2")
    assert after.models["gpt-4o"].modes["batch"].base.input_usd_per_mtok == Decimal("1.5")
    assert after.models["gpt-4o"].standard.tiers[0].rates.output_usd_per_mtok == Decimal(24)
    for name in ("gpt-4o-mini", "claude-sonnet-4", "gemini-2.5-flash"):
        assert after.models[name] == before.models[name]
    assert after.source == "test; what-if: gpt-4o=+20%"
    assert after.paths == before.paths
    assert after.sha256 == before.sha256


def test_one_field_changes_only_that_rate() -> None:
    before, after = sheet(), change("gpt-4o.output=+10%")
    for o, n in zip(_all_rates(before, "gpt-4o"), _all_rates(after, "gpt-4o"), strict=True):
        assert n.output_usd_per_mtok == o.output_usd_per_mtok * Decimal("1.1")
        assert n.input_usd_per_mtok == o.input_usd_per_mtok
        assert n.cache_read_usd_per_mtok == o.cache_read_usd_per_mtok


def test_one_absent_rate_starts_from_the_rate_it_defaults_to() -> None:
    after = change("gpt-4o-mini.cache_read=+10%").models["gpt-4o-mini"].standard.base
    assert after.cache_read_usd_per_mtok == Decimal("0.165")  # 110% of input 0.15
    assert after.input_usd_per_mtok == Decimal("0.15")
    reasoning = change("gpt-4o-mini.reasoning=-50%").models["gpt-4o-mini"].standard.base
    assert reasoning.reasoning_usd_per_mtok == Decimal("0.3")  # half of output 0.6


def test_rounding_is_up_to_six_decimals_and_fees_to_pico_dollars() -> None:
    flash = change("gemini-2.5-flash=-50%").models["gemini-2.5-flash"].standard.base
    assert flash.input_usd_per_mtok == Decimal("0.000003")  # 0.0000025 -> up
    assert flash.output_usd_per_mtok == Decimal("0.000008")  # 0.0000075 -> up
    fee = change("claude-*.request=+12.5%").models["claude-sonnet-4"].standard.base
    assert fee.request_usd == Decimal("0.000001125")  # exact: fees keep 12 decimals
    priority = change("claude-*=+12.5%").models["claude-sonnet-4"].modes["priority"].base
    assert priority.output_usd_per_mtok == Decimal("33.75")


def test_changes_compound_in_order() -> None:
    twice = apply_price_changes(sheet(), parse_price_changes(["gpt-4o=+10%", "gpt-4o*=+10%"]))
    assert twice.models["gpt-4o"].standard.base.input_usd_per_mtok == Decimal("3.025")
    assert twice.models["gpt-4o-mini"].standard.base.input_usd_per_mtok == Decimal("0.165")
    assert twice.source == "test; what-if: gpt-4o=+10%, gpt-4o*=+10%"


def _round_up(x: Fraction) -> Fraction:
    """Round up to a multiple of 1e-6 (independent of Decimal)."""
    scaled = x * 10**6
    return Fraction(-(-scaled.numerator // scaled.denominator), 10**6)


@given(
    micro=st.integers(min_value=0, max_value=10**9),
    hundredths=st.integers(min_value=-10_000, max_value=100_000),
)
def test_arithmetic_is_exact(micro: int, hundredths: int) -> None:
    price = Decimal(micro).scaleb(-6)
    percent = Decimal(hundredths).scaleb(-2)
    c = PriceChange("x", "x", False, None, percent)
    new = c.scale(price, "input_usd_per_mtok")
    exact = Fraction(micro, 10**6) * (100 + Fraction(hundredths, 100)) / 100
    assert Fraction(new) == _round_up(exact)
    assert Fraction(new) >= exact  # never understates a cost
    price_to_pusd_per_token(new)  # still an exact pico-dollar price: never raises
