"""dump_price_sheet: stable YAML that loads back to the same sheet."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from costplan.pricing.dump import dump_price_sheet, number, scalar
from costplan.pricing.load import load_price_sheet, sheet_from_document
from costplan.pricing.model import Limits, ModelPrice, PriceSchedule, PriceSheet, Rates, Tier
from costplan.tokens.tokenizer import parse_tokenizer
from costplan.yamlsource import parse_yaml_text

BASIC = Path(__file__).parent.parent / "data" / "basic" / "prices.yaml"


def _reload(text: str) -> PriceSheet:
    return sheet_from_document(parse_yaml_text(text, Path("dumped.yaml")))


def test_basic_sheet_round_trips_with_discount_written_as_rates() -> None:
    sheet = load_price_sheet(BASIC)
    text = dump_price_sheet(sheet, header="line one\nline two")
    assert text.startswith("# line one\n# line two\ncurrency: USD\nas_of: 2026-11-01\n")
    assert 'source: "test"\n' in text
    # batch: {discount: 0.5} is written as the rates it means.
    assert "    batch:\n      input_usd_per_mtok: 0.075\n      output_usd_per_mtok: 0.3\n" in text
    back = _reload(text)
    assert dict(back.models) == dict(sheet.models)
    assert (back.as_of, back.source) == (sheet.as_of, sheet.source)
    assert list(back.models) == ["big", "small"]  # sorted by name
    assert dump_price_sheet(back, header="line one\nline two") == text  # a fixed point


def test_numbers_are_plain_exact_decimals() -> None:
    assert number(Decimal("1E+1")) == "10"
    assert number(Decimal("0.150")) == "0.15"
    assert number(Decimal("0.000001")) == "0.000001"
    assert number(Decimal("-0")) == "0"
    assert number(Decimal("2.50E-3")) == "0.0025"
    assert number(7) == "7"


def test_names_are_quoted_only_when_needed() -> None:
    assert scalar("gpt-4o") == "gpt-4o"
    assert scalar("openai/gpt-4o") == "openai/gpt-4o"
    assert scalar("claude-haiku-4-5@google") == "claude-haiku-4-5@google"
    for tricky in ("true", "null", "1.5", "2024-01-01", "~x", "a: b", "@cf/x", "x:free", "# c"):
        assert scalar(tricky).startswith('"'), tricky


prices = st.decimals(min_value=0, max_value=1000, places=6, allow_nan=False, allow_infinity=False)
optional_prices = st.none() | prices
fees = st.decimals(min_value=0, max_value=1, places=12, allow_nan=False, allow_infinity=False)


@st.composite
def rates(draw: st.DrawFn) -> Rates:
    return Rates(
        input_usd_per_mtok=draw(prices),
        output_usd_per_mtok=draw(prices),
        cache_read_usd_per_mtok=draw(optional_prices),
        cache_write_usd_per_mtok=draw(optional_prices),
        cache_write_1h_usd_per_mtok=draw(optional_prices),
        reasoning_usd_per_mtok=draw(optional_prices),
        request_usd=draw(fees),
    )


@st.composite
def schedules(draw: st.DrawFn) -> PriceSchedule:
    thresholds = draw(st.lists(st.integers(1, 2_000_000), max_size=3, unique=True))
    return PriceSchedule(
        base=draw(rates()), tiers=tuple(Tier(t, draw(rates())) for t in sorted(thresholds))
    )


TOKENIZERS = [
    parse_tokenizer(v, file=None, key=None)
    for v in (
        "o200k_base",
        "cl100k_base",
        "openai",
        "claude",
        "gemini",
        {"family": "claude", "factor": Decimal("1.3")},
        {"family": "cohere", "factor": Decimal("1.15")},
    )
]
names = st.text(min_size=1, max_size=30).filter(lambda s: s.strip() == s and s != "")


@st.composite
def models(draw: st.DrawFn, name: str) -> ModelPrice:
    ctx = draw(st.none() | st.integers(1, 10**7))
    out = draw(st.none() | st.integers(1, ctx or 10**7))
    return ModelPrice(
        name=name,
        provider=draw(names),
        standard=draw(schedules()),
        modes={m: draw(schedules()) for m in ("batch", "flex", "priority") if draw(st.booleans())},
        context_window=ctx,
        max_output_tokens=out,
        tokenizer=draw(st.none() | st.sampled_from(TOKENIZERS)),
        limits=Limits(
            tokens_per_minute=draw(st.none() | st.integers(1, 10**9)),
            requests_per_minute=draw(st.none() | st.integers(1, 10**6)),
        ),
        min_cacheable_tokens=draw(st.none() | st.integers(0, 10**6)),
    )


@st.composite
def sheets(draw: st.DrawFn) -> PriceSheet:
    model_names = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    return PriceSheet(
        models={n: draw(models(n)) for n in model_names},
        as_of=draw(st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))),
        source=draw(st.none() | st.text(max_size=40)),
    )


@settings(max_examples=60, deadline=None)
@given(sheets())
def test_any_sheet_round_trips_exactly(sheet: PriceSheet) -> None:
    text = dump_price_sheet(sheet)
    back = _reload(text)
    assert dict(back.models) == dict(sheet.models)
    assert (back.as_of, back.source) == (sheet.as_of, sheet.source)
