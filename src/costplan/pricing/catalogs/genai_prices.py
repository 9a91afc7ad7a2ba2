"""Import the price data bundled with the installed ``genai-prices`` package (offline).

Only ``genai_prices.data.providers`` (the data shipped inside the package) is
read; the package's update/download code is never called, and the global
snapshot it may have installed is ignored.

How a catalog model becomes a costplan model, at the date ``as_of``:

* **Price at a date.** A model's conditional prices are resolved like
  ``ModelInfo.get_prices`` does: the last entry whose constraint is active wins
  (a start date on or before ``as_of``, or no constraint); if none is, the first.
  A time-of-day constraint that could decide the price (DeepSeek's off-peak
  hours) cannot be represented in a sheet: the model is skipped.
* **Rates.** ``input_mtok``, ``output_mtok``, ``cache_read_mtok``,
  ``cache_write_mtok``, ``cache_write_1h_mtok`` and ``output_reasoning_mtok`` map
  to the same rates in USD per million tokens; ``requests_kcount`` (USD per
  1000 requests) becomes ``request_usd``. genai-prices bills the *leaf* of each
  usage (input minus cached minus cache writes; output minus priced reasoning),
  which is exactly costplan's split into uncached / cached / cache-write and
  output / reasoning tokens. Without input and output token prices a model is
  skipped; models billed per character or per message are skipped; prices for
  other modalities and tools (audio, images, video, web search, documents,
  citations) do not apply to text-token requests and are left out with a note.
* **Tiers.** genai-prices' ``TieredPrices`` are *threshold* ("cliff") prices:
  when the request's total input tokens exceed a tier's ``start``, every token of
  that price key is billed at the tier price (``calc_unit_price``). That is
  costplan's whole-request rule. Each key may have its own tiers; a costplan tier
  is made at every threshold of any key, with each key at its price for inputs
  just above that threshold, which is exact.
* **Modes.** Price variants selected by request context map to modes:
  ``processing=batch`` -> ``batch``, ``service_tier=flex`` -> ``flex``,
  ``service_tier=priority`` -> ``priority``; a mode is the standard prices with
  the variant's overrides (first matching variant wins per key, as in
  genai-prices). Other variants (``service_tier=fast``, routes, search types)
  have no costplan mode and are noted, except regional routes (``route:
  VENDOR/REGION``) that raise every price by one factor: they become the model's
  ``regions: {REGION: {uplift_pct: ...}}`` (:mod:`costplan.pricing.regions`).
* **Names.** The catalog's model id; the provider is the catalog's provider id made
  canonical (:func:`costplan.pricing.names.canonical_provider`). The model's name
  matcher is kept: ``equals`` clauses as ``aliases``, ``starts_with`` clauses as
  ``alias_prefixes`` (others are noted); an alias that another model's name or an
  earlier model already has is dropped with a note (:func:`tidy_aliases`).
  When several selected providers list the same id, the provider genai-prices
  itself picks for the bare id (``calc_price`` without ``provider_id``) keeps it
  and the others are named ``id@provider``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from costplan.errors import InputError
from costplan.pricing.catalogs.common import (
    Findings,
    ImportResult,
    RoundingLog,
    Selector,
    Unrepresentable,
    fit_context,
    make_rates,
    per_mtok,
    request_fee,
    tidy_aliases,
    tokenizer_for,
)
from costplan.pricing.model import ModelPrice, PriceSchedule, Rates, Tier
from costplan.pricing.names import canonical_provider

if TYPE_CHECKING:
    from genai_prices import types as gp

#: genai-prices price keys carried over, and the costplan rate each becomes.
TEXT_KEYS: Mapping[str, str] = {
    "input_mtok": "input_usd_per_mtok",
    "output_mtok": "output_usd_per_mtok",
    "cache_read_mtok": "cache_read_usd_per_mtok",
    "cache_write_mtok": "cache_write_usd_per_mtok",
    "cache_write_1h_mtok": "cache_write_1h_usd_per_mtok",
    "output_reasoning_mtok": "reasoning_usd_per_mtok",
}
FEE_KEY = "requests_kcount"
#: Keys whose presence means text itself is billed in another unit.
UNFAITHFUL_KEYS: Mapping[str, str] = {
    "input_mchars": "input is billed per character",
    "input_text_messages_kcount": "input is billed per message",
}
#: The request context of each costplan mode.
MODE_CONTEXTS: Mapping[str, Mapping[str, str]] = {
    "batch": {"processing": "batch"},
    "flex": {"service_tier": "flex"},
    "priority": {"service_tier": "priority"},
}


@dataclass(frozen=True)
class CatalogEntry:
    """One imported model with its catalog objects (for cross-checks)."""

    name: str
    provider: Any  # genai_prices.types.Provider
    model: Any  # genai_prices.types.ModelInfo


def load_catalog() -> tuple[list[gp.Provider], str]:
    """The bundled providers and the package version (never the network)."""
    try:
        from importlib.metadata import version

        from genai_prices.data import providers
    except ImportError:
        raise InputError(
            "the Python package 'genai-prices' is not installed (module 'genai_prices')",
            hint="install it with: pip install genai-prices",
        ) from None
    return providers, version("genai-prices")


def moment(as_of: date) -> datetime:
    """The request timestamp used to resolve prices on ``as_of`` (noon UTC)."""
    return datetime.combine(as_of, time(12, 0), tzinfo=UTC)


def import_genai_prices(selector: Selector, as_of: date) -> ImportResult:
    """Models of the bundled genai-prices data priced on ``as_of`` (see module docs)."""
    result, _ = import_genai_prices_with_entries(selector, as_of)
    return result


def import_genai_prices_with_entries(
    selector: Selector, as_of: date
) -> tuple[ImportResult, tuple[CatalogEntry, ...]]:
    """:func:`import_genai_prices`, also returning each model's catalog objects."""
    from genai_prices import types as gp

    providers, pkg_version = load_catalog()
    findings = Findings()
    ts = moment(as_of)
    priced: list[tuple[Any, Any, ModelPrice]] = []
    for provider in providers:
        for info in provider.models:
            if not selector.matches(provider.id, info.id):
                continue
            try:
                price = _model_price(provider, info, ts, as_of, findings, gp)
            except Unrepresentable as exc:
                findings.skip(provider.id, info.id, str(exc))
                continue
            priced.append((provider, info, price))

    names = _names(priced, providers)
    models: dict[str, ModelPrice] = {}
    entries: list[CatalogEntry] = []
    for (provider, info, price), name in zip(priced, names, strict=True):
        if name in models:
            findings.skip(provider.id, info.id, f"name {name!r} is already taken by another model")
            continue
        bare = "@" not in name  # a qualified id@provider takes no aliases (the bare id has them)
        aliases, prefixes = _matcher_names(provider.id, info, findings, gp) if bare else ((), ())
        models[name] = replace(price, name=name, aliases=aliases, alias_prefixes=prefixes)
        entries.append(CatalogEntry(name, provider, info))
    result = ImportResult(
        models=tidy_aliases(models, findings),
        as_of=as_of,
        source=f"genai-prices {pkg_version} bundled data",
        findings=tuple(findings.items),
    )
    return result, tuple(entries)


def _names(priced: list[tuple[Any, Any, ModelPrice]], providers: list[Any]) -> list[str]:
    """Model ids, qualified as ``id@provider`` where several providers share one."""
    from genai_prices.data_snapshot import DataSnapshot

    counts = Counter(info.id for _, info, _ in priced)
    snapshot = DataSnapshot(providers=providers, from_auto_update=False)
    owner: dict[str, tuple[Any, Any] | None] = {}
    out: list[str] = []
    for provider, info, _ in priced:
        if counts[info.id] == 1:
            out.append(info.id)
            continue
        if info.id not in owner:
            try:
                owner[info.id] = snapshot.find_provider_model(info.id, None, None, None)
            except LookupError:
                owner[info.id] = None
        found = owner[info.id]
        bare = found is not None and found[0] is provider and found[1] is info
        out.append(info.id if bare else f"{info.id}@{provider.id}")
    return out


def _matcher_names(
    pid: str, info: Any, findings: Findings, gp: Any
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Aliases (``equals`` clauses) and alias prefixes (``starts_with``) of the model's
    matcher, through ``or``; any other clause (``contains``, ``and``, regex, ...)
    cannot be a sheet name and is noted."""
    exact: list[str] = []
    prefixes: list[str] = []
    other: list[str] = []

    def walk(clause: Any) -> None:
        if isinstance(clause, gp.ClauseOr):
            for c in clause.or_:
                walk(c)
        elif isinstance(clause, gp.ClauseEquals):
            if clause.equals != info.id:
                exact.append(clause.equals)
        elif isinstance(clause, gp.ClauseStartsWith):
            prefixes.append(clause.starts_with)
        else:
            other.append(type(clause).__name__.removeprefix("Clause").lower())

    if getattr(info, "match", None) is not None:
        walk(info.match)
    if other:
        findings.note(
            pid, info.id,
            "name matcher clauses not carried as aliases: " + ", ".join(sorted(set(other))),
        )  # fmt: skip
    return tuple(dict.fromkeys(exact)), tuple(dict.fromkeys(prefixes))


def _model_price(
    provider: Any, info: Any, ts: datetime, as_of: date, findings: Findings, gp: Any
) -> ModelPrice:
    pid, mid = provider.id, info.id
    standard = _standard_prices(info, ts, gp)
    prices = _price_dict(standard)
    if not prices:
        raise Unrepresentable("the catalog has no price for this model")
    for key, why in UNFAITHFUL_KEYS.items():
        if key in prices:
            raise Unrepresentable(f"{why} ({key})")
    for key, label in (("input_mtok", "input"), ("output_mtok", "output")):
        if key not in prices:
            others = ", ".join(sorted(prices))
            raise Unrepresentable(f"no {label} token price (catalog prices: {others})")
    _check_consistent(standard)

    log = RoundingLog()
    schedule = _schedule(prices, log, "")
    left_out = sorted(k for k in prices if k not in TEXT_KEYS and k != FEE_KEY)
    if left_out:
        findings.note(pid, mid, "prices not represented: " + ", ".join(left_out))

    modes: dict[str, PriceSchedule] = {}
    for mode, context in MODE_CONTEXTS.items():
        try:
            overrides = _overrides(info, ts, context, gp)
        except Unrepresentable as exc:
            findings.note(pid, mid, f"{mode} mode left out: {exc}")
            continue
        if not overrides:
            continue
        mode_schedule = _schedule({**prices, **overrides}, log, f"{mode}.")
        if mode_schedule != schedule:
            modes[mode] = mode_schedule
    regions = _regions(info, ts, prices, findings, pid, mid, gp)
    _note_other_variants(info, ts, findings, pid, mid, gp, set(regions))
    _note_future_prices(info, as_of, findings, pid, mid, gp)
    log.report(findings, pid, mid)

    ctx, _ = fit_context(info.context_window, None, findings, pid, mid)
    return ModelPrice(
        name=mid,
        provider=canonical_provider(pid),
        standard=schedule,
        modes=modes,
        context_window=ctx,
        tokenizer=tokenizer_for(pid, mid),
        regions=regions,
    )


def _regions(
    info: Any, ts: datetime, prices: Mapping[str, Any], findings: Findings, pid: str, mid: str,
    gp: Any,
) -> dict[str, Decimal]:  # fmt: skip
    """Regional routes (``route: VENDOR/REGION`` variants) as uplifts: the region's
    ``uplift_pct`` when every overridden price is the standard one times the same
    factor (exactly, after costplan's rounding up) and no other price differs."""
    from costplan.money import price_up

    out: dict[str, Decimal] = {}
    routes = {
        v.when["route"]
        for v in getattr(info, "price_variants", None) or ()
        if set(v.when) == {"route"} and "/" in str(v.when["route"])
    }
    for route in sorted(routes):
        region = str(route).rsplit("/", 1)[1]
        try:
            overrides = _overrides(info, ts, {"route": route}, gp)
        except Unrepresentable:
            continue
        pairs = [(prices.get(k), v) for k, v in overrides.items()]
        if not pairs or any(not isinstance(a, Decimal) or not isinstance(b, Decimal) or not a
                            for a, b in pairs):  # fmt: skip
            continue
        base, routed = pairs[0]
        uplift = ((routed / base - 1) * 100).normalize()
        factor = (100 + uplift) / 100
        same = set(overrides) == {k for k in prices if k in TEXT_KEYS} and all(
            price_up(a * factor) == b for a, b in pairs
        )
        if uplift >= 0 and same and uplift == uplift.quantize(Decimal("1e-6")):
            out[region] = uplift
        else:
            findings.note(pid, mid, f"route {route} is not one uplift on every price: left out")
    return out


def _price_dict(price: Any) -> dict[str, Any]:
    """Price key -> Decimal | TieredPrices, without unset keys."""
    return {k: v for k, v in vars(price).items() if not k.startswith("_") and v is not None}


def _standard_prices(info: Any, ts: datetime, gp: Any) -> Any:
    """``ModelInfo.get_prices(ts)`` without context, refusing time-of-day prices."""
    if isinstance(info.prices, gp.ModelPrice):
        return info.prices
    for conditional in reversed(info.prices):
        constraint = conditional.constraint
        if isinstance(constraint, gp.TimeOfDateConstraint):
            raise Unrepresentable(
                "the price depends on the time of day "
                f"({constraint.start_time}-{constraint.end_time} UTC, e.g. off-peak hours)"
            )
        if constraint is None or constraint.active(ts):
            return conditional.prices
    return info.prices[0].prices


def _overrides(info: Any, ts: datetime, context: Mapping[str, str], gp: Any) -> dict[str, Any]:
    """Price overrides of the variants matching ``context`` (first wins per key)."""
    out: dict[str, Any] = {}
    for variant in getattr(info, "price_variants", None) or ():
        if not all(context.get(k) == v for k, v in variant.when.items()):
            continue
        constraint = variant.constraint
        if isinstance(constraint, gp.TimeOfDateConstraint):
            raise Unrepresentable("its price depends on the time of day")
        if constraint is not None and not constraint.active(ts):
            continue
        for key, value in _price_dict(variant.prices).items():
            out.setdefault(key, value)
    return out


def _note_other_variants(
    info: Any, ts: datetime, findings: Findings, pid: str, mid: str, gp: Any,
    regions: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:  # fmt: skip
    mode_whens = [dict(c) for c in MODE_CONTEXTS.values()]
    mode_whens += [
        dict(v.when)
        for v in getattr(info, "price_variants", None) or ()
        if set(v.when) == {"route"} and str(v.when["route"]).rsplit("/", 1)[-1] in regions
    ]
    seen: set[str] = set()
    for variant in getattr(info, "price_variants", None) or ():
        if dict(variant.when) in mode_whens or not _price_dict(variant.prices):
            continue
        constraint = variant.constraint
        if (
            constraint is not None
            and not isinstance(constraint, gp.TimeOfDateConstraint)
            and not constraint.active(ts)
        ):
            continue
        label = ", ".join(f"{k}={v}" for k, v in sorted(variant.when.items()))
        if label not in seen:
            seen.add(label)
            findings.note(pid, mid, f"price variant {label} left out (costplan has no such mode)")


def _note_future_prices(
    info: Any, as_of: date, findings: Findings, pid: str, mid: str, gp: Any
) -> None:
    starts: list[date] = []
    conditionals = [] if isinstance(info.prices, gp.ModelPrice) else list(info.prices)
    for item in [*conditionals, *(getattr(info, "price_variants", None) or ())]:
        constraint = item.constraint
        if isinstance(constraint, gp.StartDateConstraint) and constraint.start_date > as_of:
            starts.append(constraint.start_date)
    if starts:
        first = min(starts).isoformat()
        findings.note(
            pid, mid, f"the catalog has a price change on {first}, after as_of (re-import then)"
        )


def _check_consistent(price: Any) -> None:
    """genai-prices' own check that the price keys form a consistent set."""
    from genai_prices.types import Usage

    try:
        price.calc_price(Usage(input_tokens=1, output_tokens=1))
    except ValueError as exc:
        raise Unrepresentable(f"genai-prices rejects this price set: {exc}") from None


def _schedule(prices: Mapping[str, Any], log: RoundingLog, where: str) -> PriceSchedule:
    """A :class:`PriceSchedule` from genai-prices keys (see module docs on tiers)."""
    from genai_prices.types import TieredPrices

    thresholds = sorted(
        {t.start for v in prices.values() if isinstance(v, TieredPrices) for t in v.tiers}
    )
    if thresholds and thresholds[0] <= 0:
        raise Unrepresentable("a price tier starts at 0 input tokens")

    fee_raw = prices.get(FEE_KEY)
    if isinstance(fee_raw, TieredPrices):
        raise Unrepresentable("the per-request fee is tiered")
    fee = request_fee(fee_raw / 1000) if fee_raw is not None else Decimal(0)

    def at(threshold: int | None) -> Rates:
        label = f"{where}tiers[>{threshold}]." if threshold is not None else where
        values: dict[str, Decimal] = {}
        for key, field in TEXT_KEYS.items():
            raw = prices.get(key)
            if raw is None:
                continue
            values[field] = log.take(per_mtok(_price_at(raw, threshold), per=10**6), label + key)
        return make_rates(values, fee)

    return PriceSchedule(base=at(None), tiers=tuple(Tier(t, at(t)) for t in thresholds))


def _price_at(raw: Any, threshold: int | None) -> Decimal:
    """A key's price for requests with input just above ``threshold`` (None: base)."""
    from genai_prices.types import TieredPrices

    if not isinstance(raw, TieredPrices):
        if not isinstance(raw, Decimal):
            raise Unrepresentable(f"unexpected price value {raw!r}")
        return raw
    price: Decimal = raw.base
    for tier in sorted(raw.tiers, key=lambda t: t.start):
        if threshold is not None and tier.start <= threshold:
            price = tier.price
    return price
