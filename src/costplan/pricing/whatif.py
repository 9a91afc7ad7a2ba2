"""What-if price changes: ``--price-change 'provider:anthropic=+20%'``.

Syntax of one change (``parse_price_change``)::

    [provider:]PATTERN[.FIELD]=(+|-)PERCENT%

* ``PATTERN`` is an :mod:`fnmatch` pattern on model names (case-sensitive:
  ``gpt-4o``, ``claude-*``), or with ``provider:`` on provider names
  (case-insensitive: ``provider:anthropic``).
* ``FIELD`` (optional) limits the change to one rate: ``input``, ``output``,
  ``cache_read``, ``cache_write``, ``cache_write_1h``, ``reasoning`` or
  ``request`` (the long names, e.g. ``output_usd_per_mtok``, work too). A dot
  starts a field only when what follows it is a field name, so model names with
  dots (``gemini-2.5-flash``) stay whole.
* ``PERCENT`` is a signed decimal; the sign is required so that ``=20%`` is never
  misread as "set to 20%". It must be at least -100.

Arithmetic (``apply_price_changes``), exact in :class:`~decimal.Decimal`: every
matched rate of every serving mode and every long-context tier becomes::

    new = round_up(old * (100 + PERCENT) / 100, 6 decimals)   # USD per Mtok
    new = round_up(old * (100 + PERCENT) / 100, 12 decimals)  # request fee, USD

so that the result is again an exact pico-dollar price (see :mod:`costplan.money`);
rounding up never understates a cost.
A change of the whole model leaves absent optional rates absent: they keep
following the rate they default to (cached input -> input, reasoning -> output),
which changes with it. A change of one absent optional rate starts from the rate
it defaults to (``gpt-4o.cache_read=+10%`` without a cache-read price means 110%
of the input price for cached input). Several changes apply in the order given,
each to the result of the previous one. A change that matches no model is an
error (a typo would otherwise be a silent no-op).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fnmatch import fnmatchcase

from costplan.errors import InputError
from costplan.money import amount_up, price_up
from costplan.pricing.model import ModelPrice, PriceSheet, Rates
from costplan.validation import did_you_mean

SYNTAX = "[provider:]PATTERN[.FIELD]=+N% or -N%, e.g. 'gpt-4o=-50%', 'provider:anthropic=+20%'"

# short name -> Rates attribute
FIELDS = {
    "input": "input_usd_per_mtok",
    "output": "output_usd_per_mtok",
    "cache_read": "cache_read_usd_per_mtok",
    "cache_write": "cache_write_usd_per_mtok",
    "cache_write_1h": "cache_write_1h_usd_per_mtok",
    "reasoning": "reasoning_usd_per_mtok",
    "request": "request_usd",
}
_LONG = {v: v for v in FIELDS.values()}
# An absent optional rate is billed at this one (see costplan.pricing.cost).
_DEFAULTS_TO = {
    "cache_read_usd_per_mtok": "input_usd_per_mtok",
    "cache_write_usd_per_mtok": "input_usd_per_mtok",
    "reasoning_usd_per_mtok": "output_usd_per_mtok",
}
_MAX_PERCENT = Decimal(1_000_000)
_CHANGE = re.compile(r"^(?P<target>[^=]+)=\s*(?P<percent>[+-]\s*[0-9]+(?:\.[0-9]+)?)\s*%$")


@dataclass(frozen=True)
class PriceChange:
    """One parsed ``--price-change``: which models, which rate, by how many percent."""

    text: str
    pattern: str
    by_provider: bool
    field: str | None  # a Rates attribute, or None for every rate
    percent: Decimal

    def matches(self, model: ModelPrice) -> bool:
        if self.by_provider:
            return fnmatchcase(model.provider.lower(), self.pattern.lower())
        return fnmatchcase(model.name, self.pattern)

    def scale(self, value: Decimal, attr: str) -> Decimal:
        """``value`` changed by ``percent``, rounded up to the exact unit of ``attr``."""
        changed = value * (100 + self.percent) / 100
        return amount_up(changed) if attr == "request_usd" else price_up(changed)


def parse_price_change(text: str, *, option: str = "--price-change") -> PriceChange:
    """Parse one change; raises :class:`InputError` naming ``option`` and the value."""

    def bad(why: str) -> InputError:
        return InputError(why, key=option, value=text, hint=f"expected {SYNTAX}")

    m = _CHANGE.match(text.strip())
    if m is None:
        if "=" not in text:
            raise bad("missing '=<change>%'")
        if re.search(r"=\s*[0-9.]+\s*%?\s*$", text):
            raise bad("the change needs its sign, '+' or '-' (e.g. +20%, not 20%)")
        raise bad("cannot read the change: give a signed percentage ending in '%'")
    target = m.group("target").strip()
    percent = Decimal(m.group("percent").replace(" ", ""))
    if percent < -100:
        raise bad("a price cannot fall by more than 100%")
    if percent > _MAX_PERCENT:
        raise bad(f"a change above +{_MAX_PERCENT}% is surely a typo")
    by_provider = False
    if target.startswith("provider:"):  # other colons belong to model names ("...-v1:0")
        by_provider = True
        target = target.removeprefix("provider:").strip()
    field = None
    head, dot, tail = target.rpartition(".")
    if dot and (tail in FIELDS or tail in _LONG):
        field = FIELDS.get(tail, tail)
        target = head
    if not target:
        raise bad("missing the model or provider pattern before '='")
    return PriceChange(text, target, by_provider, field, percent)


def parse_price_changes(
    texts: Sequence[str] | None, *, option: str = "--price-change"
) -> tuple[PriceChange, ...]:
    return tuple(parse_price_change(t, option=option) for t in texts or ())


def _rates(r: Rates, change: PriceChange) -> Rates:
    updates: dict[str, Decimal | None] = {}
    attrs = (change.field,) if change.field is not None else tuple(FIELDS.values())
    for attr in attrs:
        value: Decimal | None = getattr(r, attr)
        if value is None and change.field is not None and attr in _DEFAULTS_TO:
            value = getattr(r, _DEFAULTS_TO[attr])
        if value is not None:
            updates[attr] = change.scale(value, attr)
    return replace(r, **updates)  # type: ignore[arg-type]


def _model(m: ModelPrice, change: PriceChange) -> ModelPrice:
    def f(r: Rates) -> Rates:
        return _rates(r, change)

    return replace(
        m,
        standard=m.standard.map_rates(f),
        modes={name: s.map_rates(f) for name, s in m.modes.items()},
    )


def apply_price_changes(sheet: PriceSheet, changes: Sequence[PriceChange]) -> PriceSheet:
    """A new sheet with ``changes`` applied in order (see the module docstring).

    The sheet keeps its paths and hashes (the files it was read from) and notes
    the changes in ``source``, which plans record.
    """
    if not changes:
        return sheet
    models = dict(sheet.models)
    for change in changes:
        hit = [name for name, m in models.items() if change.matches(m)]
        if not hit:
            universe = (
                sorted({m.provider for m in models.values()}) if change.by_provider else models
            )
            what = "provider" if change.by_provider else "model"
            raise InputError(
                f"no {what} in the price sheets matches {change.pattern!r}",
                key="--price-change",
                value=change.text,
                hint=did_you_mean(change.pattern, universe),
            )
        for name in hit:
            models[name] = _model(models[name], change)
    note = "what-if: " + ", ".join(c.text for c in changes)
    return replace(
        sheet,
        models=models,
        source=f"{sheet.source}; {note}" if sheet.source else note,
        changes=(*sheet.changes, *(c.text for c in changes)),
    )
