"""What-if price changes at their edges (costplan.pricing.whatif's module docstring).

Oracle: each new rate is computed here in Fractions from the raw numbers,
``ceil(old x (100 + p) / 100)`` to a multiple of 1e-6 USD/Mtok (request fees: of 1e-12 USD),
with the hand figure in a comment; limits of the syntax are read off the docstring.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from costplan.errors import InputError
from costplan.pricing.model import ModelPrice, PriceSchedule, PriceSheet, Rates, Tier
from costplan.pricing.whatif import (
    FIELDS,
    PriceChange,
    apply_price_changes,
    parse_price_change,
    parse_price_changes,
)

D = Decimal


def up(x: Fraction, places: int) -> Fraction:
    """Round up to a multiple of 10^-places (independent of Decimal and costplan.money)."""
    s = x * 10**places
    return Fraction(-(-s.numerator // s.denominator), 10**places)


def new_rate(old: str, percent: str, places: int = 6) -> Fraction:
    return up(Fraction(old) * (100 + Fraction(percent)) / 100, places)


def rates(inp: str, out: str, **more: str) -> Rates:
    return Rates(D(inp), D(out), **{k: D(v) for k, v in more.items()})


def model(name: str, provider: str, base: Rates, **modes: Rates) -> ModelPrice:
    tiers = (Tier(1000, Rates(D("0.000003"), D(7), request_usd=D("0.000000000001"))),)
    return ModelPrice(
        name,
        provider,
        PriceSchedule(base, tiers),
        modes={k: PriceSchedule(v) for k, v in modes.items()},
    )


def sheet(source: str | None = "file") -> PriceSheet:
    a = model(
        "a",
        "Acme",
        rates("0.000001", "3", request_usd="0.000000000003"),
        batch=rates("0.5", "1.5", cache_read_usd_per_mtok="0.25"),
    )
    b = model("b", "other", rates("2", "4", cache_write_1h_usd_per_mtok="5"))
    return PriceSheet({"a": a, "b": b}, source=source, changes=("earlier",))


def parse(text: str) -> PriceChange:
    return parse_price_change(text)


def test_percent_limits_are_inclusive() -> None:
    assert parse("a=-100%").percent == D(-100)
    assert parse("a=+1000000%").percent == D(1_000_000)
    with pytest.raises(InputError, match="cannot fall by more than 100%"):
        parse("a=-100.01%")
    with pytest.raises(InputError, match=r"above \+1000000% is surely a typo"):
        parse("a=+1000000.01%")


def test_errors_name_the_option_given() -> None:
    with pytest.raises(InputError) as info:
        parse_price_change("a=+5", option="--what-if")
    assert info.value.key == "--what-if"
    assert info.value.value == "a=+5"
    assert info.value.message == "cannot read the change: give a signed percentage ending in '%'"
    assert info.value.hint is not None
    assert info.value.hint.startswith("expected [provider:]")
    (c,) = parse_price_changes(["a.input=-5%"], option="--what-if")
    assert c.field == "input_usd_per_mtok"
    assert parse_price_changes(None) == ()
    with pytest.raises(InputError) as info:
        parse_price_changes(["a=5"])  # the default option name
    assert info.value.key == "--price-change"
    assert parse_price_changes([]) == ()
    with pytest.raises(InputError) as info:
        parse_price_changes(["a=5"], option="--y")
    assert info.value.key == "--y"
    assert info.value.message.startswith("the change needs its sign")


def test_syntax_edges() -> None:
    # a signless change with spaces still gets the sign message; '%' may be left out
    for text in ("a= 5 %", "a=5", "a=.5%"):
        with pytest.raises(InputError, match="needs its sign"):
            parse(text)
    with pytest.raises(InputError, match=r"^--price-change: missing '=<change>%'"):
        parse("a+5%")
    c = parse("  provider:  Acme.output = - 2.5 %  ")
    assert (c.pattern, c.by_provider, c.field) == ("Acme", True, "output_usd_per_mtok")
    assert c.percent == D("-2.5")
    c = parse("a.request_usd=+1%")  # a long field name
    assert (c.pattern, c.field) == ("a", "request_usd")
    c = parse("a.latency=+1%")  # not a field: part of the model name
    assert (c.pattern, c.field) == ("a.latency", None)
    for text in (".input=+1%", "provider:.input=+1%", "provider:=+1%"):
        with pytest.raises(InputError, match="missing the model or provider pattern"):
            parse(text)
    c = parse("xprovider:a=+1%")  # 'provider:' only as a prefix
    assert (c.pattern, c.by_provider) == ("xprovider:a", False)


def test_matching_cases() -> None:
    s = sheet()
    assert parse("provider:ACME=+1%").matches(s.models["a"])  # providers: any case
    assert parse("provider:ac*=+1%").matches(s.models["a"])
    assert not parse("A=+1%").matches(s.models["a"])  # model names: exact case
    assert not parse("provider:a=+1%").matches(s.models["a"])  # a provider, not a model


def test_whole_model_change_every_mode_tier_and_fee() -> None:
    after = apply_price_changes(sheet(), parse_price_changes(["a=+50%"]))
    a = after.models["a"]
    base = a.standard.base
    # input 0.000001 x 1.5 = 0.0000015 -> up to 0.000002; output 3 x 1.5 = 4.5
    assert Fraction(base.input_usd_per_mtok) == new_rate("0.000001", "50") == Fraction(2, 10**6)
    assert Fraction(base.output_usd_per_mtok) == new_rate("3", "50") == Fraction(9, 2)
    # the fee keeps 12 decimals: 3e-12 x 1.5 = 4.5e-12 -> up to 5e-12 (not to 1e-6)
    assert Fraction(base.request_usd) == new_rate("0.000000000003", "50", 12)
    assert base.request_usd == D("0.000000000005")
    # absent optional rates stay absent (they follow the rate they default to)
    assert base.cache_read_usd_per_mtok is None
    assert base.reasoning_usd_per_mtok is None
    assert base.cache_write_usd_per_mtok is None
    assert base.cache_write_1h_usd_per_mtok is None
    tier = a.standard.tiers[0]
    assert tier.above_input_tokens == 1000
    assert tier.rates.input_usd_per_mtok == D("0.000005")  # 4.5e-6 -> 5e-6
    assert tier.rates.output_usd_per_mtok == D("10.5")
    assert tier.rates.request_usd == D("0.000000000002")  # 1.5e-12 -> 2e-12
    batch = a.modes["batch"].base
    assert (batch.input_usd_per_mtok, batch.output_usd_per_mtok) == (D("0.75"), D("2.25"))
    assert batch.cache_read_usd_per_mtok == D("0.375")
    assert after.models["b"] == sheet().models["b"]  # unmatched: unchanged
    assert after.source == "file; what-if: a=+50%"
    assert after.changes == ("earlier", "a=+50%")
    assert after.paths == ()


def test_one_field_starts_from_its_default_rate() -> None:
    def field(text: str, name: str = "b") -> Rates:
        return apply_price_changes(sheet(), [parse(text)]).models[name].standard.base

    # b's cache write is absent: it starts from input 2 -> 2 x 1.1 = 2.2
    got = field("b.cache_write=+10%")
    assert got.cache_write_usd_per_mtok == D("2.2")
    assert got.input_usd_per_mtok == D(2)
    assert got.cache_read_usd_per_mtok is None
    # b's reasoning is absent: it starts from output 4 -> 4 x 0.75 = 3
    assert field("b.reasoning=-25%").reasoning_usd_per_mtok == D(3)
    # b's cache read absent: from input 2 -> 2.02
    assert field("b.cache_read=+1%").cache_read_usd_per_mtok == D("2.02")
    # a 1-hour write is not defaulted: a's stays absent; b's own 5 -> 5.5
    assert field("a.cache_write_1h=+10%", "a").cache_write_1h_usd_per_mtok is None
    assert field("b.cache_write_1h=+10%").cache_write_1h_usd_per_mtok == D("5.5")
    # a field change of the fee rounds to 12 decimals: 3e-12 x 1.01 = 3.03e-12 -> 4e-12
    fee = field("a.request=+1%", "a")
    assert Fraction(fee.request_usd) == new_rate("0.000000000003", "1", 12) == Fraction(4, 10**12)
    assert fee.input_usd_per_mtok == D("0.000001")


def test_scale_rounds_up_by_field() -> None:
    c = PriceChange("t", "t", False, None, D("-33.33"))
    # 1 x 66.67 / 100 = 0.6667 exactly (6 decimals: unchanged)
    assert c.scale(D(1), "input_usd_per_mtok") == D("0.6667")
    # 0.000001 x 0.6667 = 6.667e-7 -> 1e-6 per Mtok, but 6.667e-7 USD as a fee
    assert c.scale(D("0.000001"), "output_usd_per_mtok") == D("0.000001")
    assert Fraction(c.scale(D("0.000001"), "request_usd")) == Fraction(6667, 10**10)
    for attr in FIELDS.values():
        places = 12 if attr == "request_usd" else 6
        got = c.scale(D("0.123457"), attr)
        assert Fraction(got) == new_rate("0.123457", "-33.33", places), attr


def test_several_changes_and_no_source() -> None:
    s = sheet(source=None)
    after = apply_price_changes(s, parse_price_changes(["a.output=+10%", "provider:acme=-50%"]))
    # 3 x 1.1 = 3.3, then x 0.5 = 1.65; input 0.000001 x 0.5 = 5e-7 -> up to 1e-6
    base = after.models["a"].standard.base
    assert base.output_usd_per_mtok == D("1.65")
    assert base.input_usd_per_mtok == D("0.000001")
    assert after.source == "what-if: a.output=+10%, provider:acme=-50%"
    assert after.changes == ("earlier", "a.output=+10%", "provider:acme=-50%")
    assert apply_price_changes(s, []) is s
    assert apply_price_changes(s, ()) is s


def test_no_match_names_the_universe() -> None:
    with pytest.raises(InputError) as info:
        apply_price_changes(sheet(), [parse("provider:Acm=+1%")])
    err = info.value
    assert err.message == "no provider in the price sheets matches 'Acm'"
    assert err.key == "--price-change"
    assert err.value == "provider:Acm=+1%"
    assert err.hint == "did you mean 'Acme'?"
    with pytest.raises(InputError) as info:
        apply_price_changes(sheet(), [parse("bb=+1%")])
    assert info.value.message == "no model in the price sheets matches 'bb'"
    assert info.value.hint == "did you mean 'b'?"
    # the first change applies, the second matches nothing: an error, not a partial sheet
    with pytest.raises(InputError, match="'zz'"):
        apply_price_changes(sheet(), parse_price_changes(["a=+1%", "zz=+1%"]))
