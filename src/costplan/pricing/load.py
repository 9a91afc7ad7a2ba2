"""Load price sheet files into :class:`PriceSheet` (exact Decimal, USD)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from costplan.errors import InputError
from costplan.latency import LatencyMs
from costplan.money import PrecisionError, amount_up, price_to_pusd_per_token, price_up
from costplan.pricing.model import (
    RATE_FIELDS,
    Limits,
    ModelPrice,
    PriceSchedule,
    PriceSheet,
    Rates,
    Tier,
)
from costplan.pricing.names import canonical_provider
from costplan.pricing.schema import ModeIn, ModelIn, PriceSheetIn, RatesIn, TierIn
from costplan.tokens.tokenizer import parse_tokenizer
from costplan.validation import validate
from costplan.yamlsource import SourceDocument, load_document

#: Largest price accepted, in USD per million tokens after currency conversion:
#: $0.01 per token, about 16x the dearest public list price. It keeps a request's
#: exact cost (at most ~4e8 tokens) inside int64 pico-dollars.
MAX_PRICE_USD_PER_MTOK = Decimal(10_000)
#: Largest per-request fee accepted, in USD.
MAX_REQUEST_FEE_USD = Decimal(1_000)
#: Accepted exchange rates (USD per unit of the sheet's currency).
USD_PER_UNIT_RANGE = (Decimal("1e-9"), Decimal("1e6"))


class _Converter:
    """Builds domain objects from a validated sheet, converting currency."""

    def __init__(self, doc: SourceDocument, rate: Decimal | None) -> None:
        self.doc = doc
        self.rate = rate

    def _at_most(
        self, value: Decimal, limit: Decimal, key: tuple[str | int, ...], what: str
    ) -> None:
        """Refuse ``value`` (in the sheet's currency) above ``limit`` USD, before any
        arithmetic on it (a huge value would overflow the decimal context)."""
        cap = limit / self.rate if self.rate is not None else limit
        if value > cap:
            converted = (
                f" ({cap.normalize():f} {self.doc.data.get('currency')})" if self.rate else ""
            )
            raise self.doc.error(
                f"{what} is above the largest accepted {limit:,} USD{converted}",
                key,
                value,
                hint="prices are USD per million tokens: is this a per-token price or a typo?"
                if "price" in what
                else None,
            )

    def usd(self, value: Decimal | None, key: tuple[str | int, ...]) -> Decimal | None:
        if value is None:
            return None
        self._at_most(value, MAX_PRICE_USD_PER_MTOK, key, "price per million tokens")
        if self.rate is not None:
            # Converted prices are rounded up to the package's exact unit (1e-6 USD/Mtok).
            return price_up(value * self.rate)
        try:
            price_to_pusd_per_token(value)
        except PrecisionError as exc:
            raise self.doc.error(str(exc), key, value) from None
        return value

    def fee(self, value: Decimal | None, key: tuple[str | int, ...]) -> Decimal:
        if value is None:
            return Decimal(0)
        self._at_most(value, MAX_REQUEST_FEE_USD, key, "request fee")
        if self.rate is not None:
            return amount_up(value * self.rate)  # converted: rounded up to a pico-dollar
        if value * 10**12 != (value * 10**12).to_integral_value():
            raise self.doc.error("request fee is finer than 1e-12 USD", key, value)
        return value

    def rates(self, r: RatesIn | TierIn, key: tuple[str | int, ...]) -> Rates:
        vals = {f: self.usd(getattr(r, f), (*key, f)) for f in RATE_FIELDS}
        return Rates(
            input_usd_per_mtok=vals["input_usd_per_mtok"] or Decimal(0),
            output_usd_per_mtok=vals["output_usd_per_mtok"] or Decimal(0),
            cache_read_usd_per_mtok=vals["cache_read_usd_per_mtok"],
            cache_write_usd_per_mtok=vals["cache_write_usd_per_mtok"],
            cache_write_1h_usd_per_mtok=vals["cache_write_1h_usd_per_mtok"],
            reasoning_usd_per_mtok=vals["reasoning_usd_per_mtok"],
            request_usd=self.fee(r.request_usd, (*key, "request_usd")),
        )

    def tiers(self, tiers: Sequence[TierIn], key: tuple[str | int, ...]) -> tuple[Tier, ...]:
        out: list[Tier] = []
        for i, t in enumerate(tiers):
            if out and t.above_input_tokens <= out[-1].above_input_tokens:
                raise self.doc.error(
                    "tier thresholds must increase strictly",
                    (*key, i, "above_input_tokens"),
                    t.above_input_tokens,
                )
            out.append(Tier(t.above_input_tokens, self.rates(t, (*key, i))))
        return tuple(out)

    def mode(self, m: ModeIn, std: PriceSchedule, key: tuple[str | int, ...]) -> PriceSchedule:
        if m.discount is not None:
            factor = 1 - m.discount

            def scale(r: Rates) -> Rates:
                # Every per-token rate, rounded up; the per-request fee is not discounted.
                scaled = {
                    f: price_up(v * factor) for f in RATE_FIELDS if (v := getattr(r, f)) is not None
                }
                return dataclasses.replace(r, **scaled)

            return std.map_rates(scale)
        base = RatesIn(
            input_usd_per_mtok=m.input_usd_per_mtok or Decimal(0),
            output_usd_per_mtok=m.output_usd_per_mtok or Decimal(0),
            cache_read_usd_per_mtok=m.cache_read_usd_per_mtok,
            cache_write_usd_per_mtok=m.cache_write_usd_per_mtok,
            cache_write_1h_usd_per_mtok=m.cache_write_1h_usd_per_mtok,
            reasoning_usd_per_mtok=m.reasoning_usd_per_mtok,
            request_usd=m.request_usd,
        )
        return PriceSchedule(self.rates(base, key), self.tiers(m.tiers, (*key, "tiers")))

    def model(self, name: str, m: ModelIn) -> ModelPrice:
        key: tuple[str | int, ...] = ("models", name)
        std = PriceSchedule(self.rates(m, key), self.tiers(m.tiers, (*key, "tiers")))
        modes = {
            mode: self.mode(spec, std, (*key, mode))
            for mode, spec in (("batch", m.batch), ("flex", m.flex), ("priority", m.priority))
            if spec is not None
        }
        tokenizer = None
        if m.tokenizer is not None:
            tokenizer = parse_tokenizer(
                m.tokenizer,
                file=self.doc.path,
                key=("models", name, "tokenizer"),
                line=self.doc.line_of(("models", name, "tokenizer")),
            )
        if (
            m.max_output_tokens is not None
            and m.context_window is not None
            and m.max_output_tokens > m.context_window
        ):
            raise self.doc.error(
                "max_output_tokens exceeds context_window",
                (*key, "max_output_tokens"),
                m.max_output_tokens,
            )
        limits = Limits(
            tokens_per_minute=m.limits.tokens_per_minute if m.limits else None,
            requests_per_minute=m.limits.requests_per_minute if m.limits else None,
        )
        return ModelPrice(
            name=name,
            provider=canonical_provider(m.provider),
            standard=std,
            modes=modes,
            context_window=m.context_window,
            max_output_tokens=m.max_output_tokens,
            tokenizer=tokenizer,
            limits=limits,
            min_cacheable_tokens=m.min_cacheable_tokens,
            latency_ms={
                mode: LatencyMs(spec.latency_ms.p50, spec.latency_ms.p95)
                for mode, spec in (
                    ("standard", m), ("batch", m.batch), ("flex", m.flex), ("priority", m.priority)
                )
                if spec is not None and spec.latency_ms is not None
            },
            regions={r: spec.uplift_pct for r, spec in m.regions.items()},
            aliases=tuple(m.aliases),
            alias_prefixes=tuple(m.alias_prefixes),
        )


def sheet_from_document(doc: SourceDocument) -> PriceSheet:
    """Validate a parsed document and build the :class:`PriceSheet`."""
    parsed = validate(PriceSheetIn, doc, what="price sheet")
    rate: Decimal | None = None
    if parsed.currency != "USD":
        if parsed.usd_per_unit is None:
            raise doc.error(
                f"prices in {parsed.currency} need an exchange rate",
                ("currency",),
                parsed.currency,
                hint="add 'usd_per_unit: <USD per 1 " + parsed.currency + ">'",
            )
        rate = parsed.usd_per_unit
        low, high = USD_PER_UNIT_RANGE
        if not low <= rate <= high:
            raise doc.error(
                f"exchange rate must be between {low:f} and {high:,f} USD per {parsed.currency}",
                ("usd_per_unit",),
                rate,
            )
    conv = _Converter(doc, rate)
    folded: dict[str, str] = {}
    for name in parsed.models:
        if not isinstance(name, str) or not name.strip():
            raise doc.error("model names must be non-empty strings", ("models",), name)
        first = folded.setdefault(name.casefold(), name)
        if first != name:
            raise doc.error(
                f"model name differs from {first!r} (line {doc.line_of(('models', first))}) "
                "only in case",
                ("models", name),
                name,
                hint="model names are case-sensitive: use one spelling",
            )
    _check_aliases(doc, parsed, folded)
    models = {name: conv.model(name, m) for name, m in parsed.models.items()}
    return PriceSheet(
        models=models,
        currency="USD",
        as_of=parsed.as_of,
        source=parsed.source,
        paths=(doc.path,),
        sha256={str(doc.path): doc.sha256},
    )


def _check_aliases(doc: SourceDocument, parsed: PriceSheetIn, folded: dict[str, str]) -> None:
    """An alias names one model only: never another model's name (in any case), nor
    another alias; an alias prefix belongs to one model."""
    owner: dict[str, str] = {}
    prefix_owner: dict[str, str] = {}
    for name, m in parsed.models.items():
        for j, alias in enumerate(m.aliases):
            key = ("models", name, "aliases", j)
            if alias.casefold() in folded:
                raise doc.error(
                    f"alias is the name of model {folded[alias.casefold()]!r}", key, alias
                )
            first = owner.setdefault(alias.casefold(), name)
            if first != name:
                raise doc.error(f"alias is also an alias of {first!r}", key, alias)
        for j, prefix in enumerate(m.alias_prefixes):
            first = prefix_owner.setdefault(prefix, name)
            if first != name:
                raise doc.error(
                    f"alias prefix is also one of {first!r}",
                    ("models", name, "alias_prefixes", j),
                    prefix,
                )


def load_price_sheet(path: Path) -> PriceSheet:
    """Load and validate one price sheet (YAML, or JSON by suffix)."""
    return sheet_from_document(load_document(path, what="price sheet"))


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return False


def load_price_sheets(paths: Sequence[Path]) -> PriceSheet:
    """Load several sheets into one. A model (or a spelling of it differing only in
    case) defined in two sheets is an error naming both files: which price wins
    must never depend on the order of the files. A file given twice is read once."""
    if not paths:
        raise InputError("no price sheet given", hint="pass --prices FILE or set 'prices:'")
    sheet: PriceSheet | None = None
    seen: list[Path] = []
    owner: dict[str, tuple[str, str]] = {}  # casefolded name -> (name, "file:line")
    for p in paths:
        if any(_same_file(p, q) for q in seen):
            continue
        seen.append(p)
        doc = load_document(p, what="price sheet")
        new = sheet_from_document(doc)
        keyed: list[tuple[str, tuple[str | int, ...]]] = [(n, ("models", n)) for n in new.models]
        keyed += [
            (a, ("models", n, "aliases", j))
            for n, m in new.models.items()
            for j, a in enumerate(m.aliases)
        ]
        for name, key in keyed:
            here = f"{p}:{doc.line_of(key)}"
            first = owner.setdefault(name.casefold(), (name, here))
            if first[1] != here:
                same = "" if first[0] == name else f" (as {first[0]!r})"
                raise doc.error(
                    f"model is also defined in another price sheet: {first[1]}{same}",
                    key,
                    name,
                    hint="define each model in one sheet (remove it from one of them)",
                )
        sheet = new if sheet is None else sheet.merged_with(new)
    assert sheet is not None
    return sheet
