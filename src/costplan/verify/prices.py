"""The checker's own price sheets: raw files -> exact integer rates per token.

Arithmetic (the README's "File formats", "Money is exact" and what-if sections,
restated; every number is a :class:`~fractions.Fraction` from its source text):

* A rate in USD per million tokens ``p`` is ``p * 10**6`` pico-dollars per token;
  it must be a whole number (at most 6 decimals).
* ``currency: XYZ`` with ``usd_per_unit: r``: every per-token rate becomes
  ``derived(p * r)`` and every request fee ``derived_fee(fee * r)``.
* A mode (``batch``, ``flex``, ``priority``) is either full rates (its own base
  rates, fee and tiers; nothing inherited) or ``discount: d``: the standard
  schedule (base and every tier) with every per-token rate ``derived(p * (1 - d))``
  and the request fee unchanged.
* A what-if change ``[provider:]PATTERN[.FIELD]=+-N%`` (applied in order, after
  loading) turns every matched rate ``p`` of every mode and tier into
  ``derived(p * (100 + N) / 100)`` (fees: ``derived_fee``); a change of
  one absent optional rate starts from the rate it defaults to.
* ``derived`` rounds **up** to the exact unit (10**-6 USD per Mtok), derived fees up to a
  pico-dollar: the README's rounding table (always in the user's disfavour).
* Several sheets: a model in a later sheet replaces the earlier one entirely.
* Regions: a workload's ``region:`` raises every rate and fee of a model listing it
  by its ``uplift_pct`` (derived, rounded up); models listing other regions only
  are not usable (:func:`in_region`).
* Names: providers compared by one id, model names resolved through aliases
  (:mod:`costplan.verify.names`).

Absent ``cache_read`` bills cached input at the input rate; absent ``reasoning``
bills reasoning tokens at the output rate.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from fractions import Fraction
from pathlib import Path
from typing import Any

from costplan.errors import InputError
from costplan.verify.names import Named, provider_id
from costplan.verify.raw import RawFile, as_number, read_file

PUSD = 10**12
MICRO = Fraction(1, 10**6)
RATE_KEYS = (
    "input_usd_per_mtok",
    "output_usd_per_mtok",
    "cache_read_usd_per_mtok",
    "cache_write_usd_per_mtok",
    "cache_write_1h_usd_per_mtok",
    "reasoning_usd_per_mtok",
)
FEE_KEY = "request_usd"
MODE_NAMES = ("batch", "flex", "priority")


def round_up(x: Fraction, unit: Fraction) -> Fraction:
    """``x`` rounded up to a multiple of ``unit`` (in the user's disfavour)."""
    q = x / unit
    return -((-q.numerator) // q.denominator) * unit


def derived(x: Fraction) -> Fraction:
    """A derived per-token price (discount, currency, what-if) in USD per Mtok, rounded up."""
    return round_up(x, MICRO)


def derived_fee(x: Fraction) -> Fraction:
    """A derived request fee (currency, what-if) in USD, rounded up to a pico-dollar."""
    return round_up(x, Fraction(1, PUSD))


@dataclass(frozen=True)
class Rates:
    """USD per million tokens (None: absent, defaults apply) and a USD fee per request."""

    usd_per_mtok: tuple[tuple[str, Fraction], ...]
    fee_usd: Fraction

    def get(self, key: str) -> Fraction | None:
        return dict(self.usd_per_mtok).get(key)

    def with_rates(self, values: dict[str, Fraction], fee: Fraction | None = None) -> Rates:
        merged = dict(self.usd_per_mtok)
        merged.update(values)
        ordered = tuple((k, merged[k]) for k in RATE_KEYS if k in merged)
        return Rates(ordered, self.fee_usd if fee is None else fee)

    def per_token(self, key: str) -> int:
        """Pico-dollars per token of rate ``key`` with its default applied."""
        value = self.get(key)
        if value is None:
            # An unpriced kind of token is billed as its parent: a 1-hour write as a write,
            # a write or a read as input, reasoning as output.
            fallback = {
                "cache_read_usd_per_mtok": "input_usd_per_mtok",
                "cache_write_usd_per_mtok": "input_usd_per_mtok",
                "cache_write_1h_usd_per_mtok": "cache_write_usd_per_mtok",
                "reasoning_usd_per_mtok": "output_usd_per_mtok",
            }.get(key)
            return self.per_token(fallback) if fallback else 0
        scaled = (value or Fraction(0)) * 10**6
        if scaled.denominator != 1:
            raise InputError(f"price {float(value or 0)} USD per Mtok is finer than 1e-6", key=key)
        return int(scaled)

    def fee_pusd(self) -> int:
        scaled = self.fee_usd * PUSD
        if scaled.denominator != 1:
            raise InputError("request fee is finer than 1e-12 USD", key=FEE_KEY)
        return int(scaled)


@dataclass(frozen=True)
class Schedule:
    base: Rates
    tiers: tuple[tuple[int, Rates], ...]  # (above_input_tokens, rates), ascending

    def rates_for(self, total_input: int) -> Rates:
        """The highest tier whose threshold ``total_input`` exceeds, else the base."""
        chosen = self.base
        for above, rates in self.tiers:
            if total_input > above:
                chosen = rates
        return chosen

    def mapped(self, f: Any) -> Schedule:
        return Schedule(f(self.base), tuple((a, f(r)) for a, r in self.tiers))


@dataclass(frozen=True)
class Model:
    name: str
    provider: str
    modes: tuple[tuple[str, Schedule], ...]  # "standard" first
    context_window: int | None
    max_output_tokens: int | None
    tokenizer: Any  # the raw ``tokenizer:`` value, or None
    requests_per_minute: int | None
    tokens_per_minute: int | None
    min_cacheable_tokens: int | None = None
    aliases: tuple[str, ...] = ()
    alias_prefixes: tuple[str, ...] = ()
    latency_p95: tuple[tuple[str, int], ...] = ()  # (mode, p95 ms) from ``latency_ms``
    regions: tuple[tuple[str, Fraction], ...] = ()  # (region, uplift percent)

    def schedule(self, mode: str) -> Schedule | None:
        return dict(self.modes).get(mode)


@dataclass(frozen=True)
class Sheet:
    models: dict[str, Model]
    files: tuple[RawFile, ...]


def _num(value: Any, where: str) -> Fraction:
    x = as_number(value)
    if x is None:
        raise InputError("expected a number", key=where, value=value)
    if x < 0:
        raise InputError("a price cannot be negative", key=where, value=value)
    return x


def _opt_int(value: Any, where: str) -> int | None:
    return None if value is None else int(_num(value, where))


class _Reader:
    def __init__(self, f: RawFile) -> None:
        self.file = f
        data = f.data
        if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
            raise InputError("price sheet needs a 'models' mapping", file=f.path)
        self.rate: Fraction | None = None
        if data.get("currency", "USD") != "USD":
            self.rate = _num(data.get("usd_per_unit"), "usd_per_unit")
            if self.rate == 0:
                raise InputError("usd_per_unit must be positive", file=f.path, key="usd_per_unit")

    def price(self, value: Any, where: str) -> Fraction:
        p = _num(value, where)
        return derived(p * self.rate) if self.rate is not None else p

    def rates(self, spec: dict[str, Any], where: str) -> Rates:
        vals = tuple(
            (k, self.price(spec[k], f"{where}.{k}")) for k in RATE_KEYS if spec.get(k) is not None
        )
        fee = _num(spec.get(FEE_KEY) or 0, f"{where}.{FEE_KEY}")
        return Rates(vals, derived_fee(fee * self.rate) if self.rate is not None else fee)

    def schedule(self, spec: dict[str, Any], where: str) -> Schedule:
        tiers = []
        for i, t in enumerate(spec.get("tiers") or []):
            if not isinstance(t, dict):
                raise InputError("a tier must be a mapping", file=self.file.path, key=where)
            above = int(_num(t.get("above_input_tokens"), f"{where}.tiers[{i}]"))
            tiers.append((above, self.rates(t, f"{where}.tiers[{i}]")))
        tiers.sort(key=lambda x: x[0])
        return Schedule(self.rates(spec, where), tuple(tiers))

    def model(self, name: str, spec: Any) -> Model:
        where = f"models.{name}"
        if not isinstance(spec, dict):
            raise InputError("a model must be a mapping", file=self.file.path, key=where)
        std = self.schedule(spec, where)
        modes: list[tuple[str, Schedule]] = [("standard", std)]
        for mode in MODE_NAMES:
            m = spec.get(mode)
            if m is None:
                continue
            if not isinstance(m, dict):
                raise InputError("a mode must be a mapping", file=self.file.path, key=where)
            if m.get("discount") is not None:
                factor = 1 - _num(m["discount"], f"{where}.{mode}.discount")

                def scale(r: Rates, factor: Fraction = factor) -> Rates:
                    return r.with_rates({k: derived(v * factor) for k, v in r.usd_per_mtok})

                modes.append((mode, std.mapped(scale)))
            else:
                modes.append((mode, self.schedule(m, f"{where}.{mode}")))
        limits = spec.get("limits") or {}
        return Model(
            name=name,
            provider=provider_id(str(spec.get("provider", ""))),
            modes=tuple(modes),
            context_window=_opt_int(spec.get("context_window"), f"{where}.context_window"),
            max_output_tokens=_opt_int(spec.get("max_output_tokens"), f"{where}.max_output"),
            tokenizer=spec.get("tokenizer"),
            requests_per_minute=_opt_int(limits.get("requests_per_minute"), f"{where}.limits"),
            tokens_per_minute=_opt_int(limits.get("tokens_per_minute"), f"{where}.limits"),
            min_cacheable_tokens=_opt_int(spec.get("min_cacheable_tokens"), f"{where}.min_cache"),
            aliases=tuple(str(a) for a in spec.get("aliases") or ()),
            regions=tuple(
                (str(r), _num((v or {}).get("uplift_pct", 0), f"{where}.regions.{r}"))
                for r, v in (spec.get("regions") or {}).items()
            ),
            latency_p95=tuple(
                (mode, _opt_int(lat.get("p95"), f"{where}.latency_ms") or 0)
                for mode, part in (("standard", spec), *((m, spec.get(m)) for m in MODE_NAMES))
                if isinstance(part, dict) and isinstance(lat := part.get("latency_ms"), dict)
            ),
            alias_prefixes=tuple(str(a) for a in spec.get("alias_prefixes") or ()),
        )


def load_sheets(paths: Sequence[Path], changes: Sequence[str] = ()) -> Sheet:
    """Read the sheets (later models replace earlier ones), then apply ``changes``."""
    models: dict[str, Model] = {}
    files = []
    for path in paths:
        f = read_file(path, "price sheet")
        files.append(f)
        reader = _Reader(f)
        for name, spec in f.data["models"].items():
            models[str(name)] = reader.model(str(name), spec)
    for text in changes:
        models = apply_change(models, text)
    return Sheet(named(models), tuple(files))


def in_region(sheet: Sheet, region: str | None) -> Sheet:
    """The sheet as billed in ``region``: a model listing it has every rate times
    ``(100 + uplift) / 100`` (``derived``) and every fee so (``derived_fee``); a model
    listing other regions only is left out (not usable); one listing none is as is."""
    if region is None:
        return sheet
    out: dict[str, Model] = {}
    for name, m in sheet.models.items():
        regions = dict(m.regions)
        if regions and region not in regions:
            continue
        factor = (100 + regions.get(region, Fraction(0))) / 100

        def up(r: Rates, factor: Fraction = factor) -> Rates:
            return r.with_rates({k: derived(v * factor) for k, v in r.usd_per_mtok},
                                derived_fee(r.fee_usd * factor))  # fmt: skip

        out[name] = replace(m, modes=tuple((mode, s.mapped(up)) for mode, s in m.modes))
    return Sheet(named(out), sheet.files)


def named(models: dict[str, Model]) -> dict[str, Model]:
    """``models`` whose lookups also resolve aliases and alias prefixes
    (:mod:`costplan.verify.names`); the first model listing an alias keeps it."""
    aliases: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    for name, m in models.items():
        for a in m.aliases:
            if a not in models:
                aliases.setdefault(a, name)
        for p in m.alias_prefixes:
            prefixes.setdefault(p, name)
    return Named(models, aliases, prefixes, lambda m, n: replace(m, name=n))


# ---------------------------------------------------------------- what-if changes

_CHANGE = re.compile(r"^(?P<target>[^=]+)=\s*(?P<sign>[+-])\s*(?P<num>[0-9]+(?:\.[0-9]+)?)\s*%$")
_SHORT = {k.removesuffix("_usd_per_mtok"): k for k in RATE_KEYS} | {"request": FEE_KEY}
_DEFAULT_OF = {
    "cache_read_usd_per_mtok": "input_usd_per_mtok",
    "cache_write_usd_per_mtok": "input_usd_per_mtok",
    "reasoning_usd_per_mtok": "output_usd_per_mtok",
}


def apply_change(models: dict[str, Model], text: str) -> dict[str, Model]:
    """``models`` with one what-if change applied (see the module docstring)."""
    m = _CHANGE.match(text.strip())
    if m is None:
        raise InputError("cannot read the price change", key="--price-change", value=text)
    target = m.group("target").strip()
    percent = Fraction(m.group("num")) * (1 if m.group("sign") == "+" else -1)
    by_provider = target.startswith("provider:")
    if by_provider:
        target = target.removeprefix("provider:").strip()
    field = None
    head, dot, tail = target.rpartition(".")
    if dot and (tail in _SHORT or tail in _SHORT.values()):
        field = _SHORT.get(tail, tail)
        target = head
    factor = (100 + percent) / 100

    def change_rates(r: Rates) -> Rates:
        keys = (field,) if field is not None else (*RATE_KEYS, FEE_KEY)
        values: dict[str, Fraction] = {}
        fee = None
        for k in keys:
            if k == FEE_KEY:
                fee = derived_fee(r.fee_usd * factor)
                continue
            v = r.get(k)
            if v is None and field is not None and k in _DEFAULT_OF:
                v = r.get(_DEFAULT_OF[k])
            if v is not None:
                values[k] = derived(v * factor)
        return r.with_rates(values, fee)

    out = dict(models)
    hit = False
    for name, model in models.items():
        matched = (
            fnmatchcase(model.provider.lower(), target.lower())
            if by_provider
            else fnmatchcase(name, target)
        )
        if matched:
            hit = True
            modes = tuple((mode, s.mapped(change_rates)) for mode, s in model.modes)
            out[name] = replace(model, modes=modes)
    if not hit:
        raise InputError("the price change matches no model", key="--price-change", value=text)
    return out
