"""What changed between two price sheets: models added, removed, and re-priced.

A model is compared field by field on its *effective* prices (a ``batch:
{discount: 0.5}`` mode is compared as the rates it produces), flattened to
stable field names::

    provider, input_usd_per_mtok, ..., request_usd,
    tiers[>200000].input_usd_per_mtok, ...,
    batch.input_usd_per_mtok, batch.tiers[>200000].output_usd_per_mtok, ...,
    context_window, max_output_tokens, tokenizer, limits.tokens_per_minute, ...

so a new mode or tier shows as fields going from nothing to a price. Percent
change is ``(new - old) / old x 100`` when both are numbers and ``old`` is not
zero. Renderers: :func:`render_table` (terminal), :func:`render_markdown`
(a pull-request comment), :func:`diff_to_json` (Decimal strings).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from costplan.pricing.dump import number
from costplan.pricing.model import MODES, RATE_FIELDS, ModelPrice, PriceSchedule, PriceSheet, Rates
from costplan.pricing.names import canonical_provider

Value = Decimal | int | str
_HUNDRED = Decimal(100)
_PCT = Decimal("0.01")


@dataclass(frozen=True)
class FieldChange:
    """One field of one model: old and new value (None: absent)."""

    field: str
    old: Value | None
    new: Value | None

    @property
    def pct(self) -> Decimal | None:
        """Percent change, 2 decimals, when both are numbers and old is not zero."""
        if not _numeric(self.old) or not _numeric(self.new) or self.old == 0:
            return None
        assert isinstance(self.old, Decimal | int)
        assert isinstance(self.new, Decimal | int)
        return ((Decimal(self.new) - Decimal(self.old)) / Decimal(self.old) * _HUNDRED).quantize(
            _PCT
        )


@dataclass(frozen=True)
class ModelChange:
    name: str
    changes: tuple[FieldChange, ...]


@dataclass(frozen=True)
class ModelSummary:
    """An added or removed model, with its headline prices."""

    name: str
    provider: str
    input_usd_per_mtok: Decimal
    output_usd_per_mtok: Decimal


@dataclass(frozen=True)
class SheetDiff:
    added: tuple[ModelSummary, ...]
    removed: tuple[ModelSummary, ...]
    changed: tuple[ModelChange, ...]
    old_as_of: date | None = None
    new_as_of: date | None = None

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _numeric(v: object) -> bool:
    return isinstance(v, Decimal | int) and not isinstance(v, bool)


def _rates_fields(rates: Rates, prefix: str) -> dict[str, Value]:
    out: dict[str, Value] = {
        prefix + f: v for f in RATE_FIELDS if (v := getattr(rates, f)) is not None
    }
    if rates.request_usd:
        out[prefix + "request_usd"] = rates.request_usd
    return out


def _schedule_fields(schedule: PriceSchedule, prefix: str) -> dict[str, Value]:
    out = _rates_fields(schedule.base, prefix)
    for tier in schedule.tiers:
        out |= _rates_fields(tier.rates, f"{prefix}tiers[>{tier.above_input_tokens}].")
    return out


def model_fields(model: ModelPrice) -> dict[str, Value]:
    """A model flattened to ``field -> value`` (see module docs), in a stable order."""
    out: dict[str, Value] = {"provider": model.provider}
    out |= _schedule_fields(model.standard, "")
    for mode in MODES[1:]:
        if mode in model.modes:
            out |= _schedule_fields(model.modes[mode], f"{mode}.")
    for mode, lat in model.latency_ms.items():
        prefix = "" if mode == "standard" else f"{mode}."
        out[f"{prefix}latency_ms.p50"] = lat.p50
        out[f"{prefix}latency_ms.p95"] = lat.p95
    for region, uplift in sorted(model.regions.items()):
        out[f"regions.{region}.uplift_pct"] = uplift
    if model.context_window is not None:
        out["context_window"] = model.context_window
    if model.max_output_tokens is not None:
        out["max_output_tokens"] = model.max_output_tokens
    if model.min_cacheable_tokens is not None:
        out["min_cacheable_tokens"] = model.min_cacheable_tokens
    if model.tokenizer is not None:
        out["tokenizer"] = model.tokenizer.label
    for f in ("tokens_per_minute", "requests_per_minute"):
        if (v := getattr(model.limits, f)) is not None:
            out[f"limits.{f}"] = v
    return out


def _summary(model: ModelPrice) -> ModelSummary:
    base = model.standard.base
    return ModelSummary(
        model.name, model.provider, base.input_usd_per_mtok, base.output_usd_per_mtok
    )


def _same(a: Value | None, b: Value | None) -> bool:
    if _numeric(a) and _numeric(b):
        return a == b  # Decimal("0.150") == Decimal("0.15") == ...
    return a == b and type(a) is type(b)


def _spellings(model: ModelPrice) -> list[str]:
    """The names ``model`` may go by in another catalog: its name, its aliases, and its
    name without a ``provider/`` part naming its own provider (LiteLLM's
    ``gemini/gemini-2.5-pro`` is genai-prices' ``gemini-2.5-pro``)."""
    out = [model.name, *model.aliases]
    head, slash, tail = model.name.partition("/")
    if slash and tail and canonical_provider(head) == model.provider:
        out.append(tail)
    return out


def match_models(old: PriceSheet, new: PriceSheet) -> dict[str, str]:
    """Old model name -> the new sheet's model it is, by canonical name.

    A model matches by its own name first, then by any of its spellings
    (:func:`_spellings`) resolved through the other sheet's names and aliases
    (:func:`costplan.pricing.names.resolve_name`), looking both ways; each model
    is matched at most once, old models in sorted order."""
    own = set(new.models)  # canonical names only (``in new.models`` also resolves aliases)
    pairs: dict[str, str] = {n: n for n in old.models if n in own}
    taken = set(pairs.values())

    def first(names: list[str], sheet: PriceSheet, used: set[str]) -> str | None:
        for n in names:
            found = sheet.canonical(n)
            if found is not None and found not in used:
                return found
        return None

    for n in sorted(set(old.models) - set(pairs)):
        found = first(_spellings(old.models[n]), new, taken)
        if found is not None:
            pairs[n] = found
            taken.add(found)
    matched_old = set(pairs)
    for m in sorted(set(new.models) - taken):
        found = first(_spellings(new.models[m]), old, matched_old)
        if found is not None:
            pairs[found] = m
            matched_old.add(found)
    return pairs


def diff_price_sheets(old: PriceSheet, new: PriceSheet) -> SheetDiff:
    """Models added, removed and changed from ``old`` to ``new`` (sorted by name).

    Models are paired by canonical name (:func:`match_models`), so a sheet imported
    from another catalog is compared model by model; a pair whose names differ is
    shown as ``OLD = NEW``. Aliases themselves are not compared."""
    pairs = match_models(old, new)
    paired_new = set(pairs.values())
    added = tuple(_summary(new.models[n]) for n in sorted(set(new.models) - paired_new))
    removed = tuple(_summary(old.models[n]) for n in sorted(set(old.models) - set(pairs)))
    changed: list[ModelChange] = []
    for name in sorted(pairs):
        other = pairs[name]
        a, b = model_fields(old.models[name]), model_fields(new.models[other])
        keys = list(a) + [k for k in b if k not in a]
        changes = tuple(
            FieldChange(k, a.get(k), b.get(k)) for k in keys if not _same(a.get(k), b.get(k))
        )
        if changes:
            label = name if name == other else f"{name} = {other}"
            changed.append(ModelChange(label, changes))
    return SheetDiff(added, removed, tuple(changed), old.as_of, new.as_of)


# --- rendering -----------------------------------------------------------------


def _show(v: Value | None) -> str:
    if v is None:
        return "-"
    if isinstance(v, Decimal):
        return number(v)
    return str(v)


def _show_pct(c: FieldChange) -> str:
    pct = c.pct
    if pct is not None:
        return f"{pct:+.1f}%"
    if c.old is None:
        return "new"
    if c.new is None:
        return "removed"
    return "changed" if not _numeric(c.old) or c.old != 0 else "from 0"


def _counts(d: SheetDiff) -> str:
    return f"{len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed"


def render_table(d: SheetDiff, old_label: str, new_label: str) -> str:
    """Plain aligned text for a terminal."""
    lines = [f"{old_label} -> {new_label}: {_counts(d)}"]
    if d.empty:
        return lines[0] + "\n"
    for title, models, sign in (("added", d.added, "+"), ("removed", d.removed, "-")):
        if models:
            lines.append(f"{title}:")
            lines += [
                f"  {sign} {m.name} ({m.provider}): input {number(m.input_usd_per_mtok)}, "
                f"output {number(m.output_usd_per_mtok)} USD/Mtok"
                for m in models
            ]
    if d.changed:
        rows = [("model", "field", "old", "new", "change")]
        for mc in d.changed:
            rows += [
                (mc.name, c.field, _show(c.old), _show(c.new), _show_pct(c)) for c in mc.changes
            ]
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        lines.append("changed:")
        for r in rows:
            cells = [r[0].ljust(widths[0]), r[1].ljust(widths[1])]
            cells += [r[i].rjust(widths[i]) for i in (2, 3, 4)]
            lines.append("  " + "  ".join(cells).rstrip())
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    return f"`{_md(text)}`" if "`" not in text else _md(text)


def render_markdown(d: SheetDiff, old_label: str, new_label: str) -> str:
    """GitHub-flavoured Markdown, for a pull-request comment."""
    out = [f"### Price sheet changes: {_code(old_label)} → {_code(new_label)}", ""]
    dates = ""
    if d.old_as_of or d.new_as_of:
        dates = f" (as of {d.old_as_of or '?'} → {d.new_as_of or '?'})"
    out.append(f"**{_counts(d)}**{dates}")
    if d.empty:
        out += ["", "No price changes."]
        return "\n".join(out) + "\n"
    for title, models in (("Added", d.added), ("Removed", d.removed)):
        if models:
            out += [
                "",
                f"#### {title}",
                "",
                "| model | provider | input $/Mtok | output $/Mtok |",
                "| --- | --- | ---: | ---: |",
            ]
            out += [
                f"| {_code(m.name)} | {_md(m.provider)} | {number(m.input_usd_per_mtok)} | "
                f"{number(m.output_usd_per_mtok)} |"
                for m in models
            ]
    if d.changed:
        out += [
            "",
            "#### Changed",
            "",
            "| model | field | old | new | change |",
            "| --- | --- | ---: | ---: | ---: |",
        ]
        for mc in d.changed:
            out += [
                f"| {_code(mc.name)} | {_code(c.field)} | {_md(_show(c.old))} | "
                f"{_md(_show(c.new))} | {_show_pct(c)} |"
                for c in mc.changes
            ]
    return "\n".join(out) + "\n"


def _json_value(v: Value | None) -> Any:
    if isinstance(v, Decimal):
        return number(v)
    return v


def diff_to_json(d: SheetDiff, old_label: str, new_label: str) -> str:
    """Machine-readable JSON: prices as exact decimal strings, ints as ints."""

    def summary(m: ModelSummary) -> dict[str, Any]:
        return {
            "model": m.name,
            "provider": m.provider,
            "input_usd_per_mtok": number(m.input_usd_per_mtok),
            "output_usd_per_mtok": number(m.output_usd_per_mtok),
        }

    payload = {
        "old": {"file": old_label, "as_of": d.old_as_of.isoformat() if d.old_as_of else None},
        "new": {"file": new_label, "as_of": d.new_as_of.isoformat() if d.new_as_of else None},
        "added": [summary(m) for m in d.added],
        "removed": [summary(m) for m in d.removed],
        "changed": [
            {
                "model": mc.name,
                "changes": [
                    {
                        "field": c.field,
                        "old": _json_value(c.old),
                        "new": _json_value(c.new),
                        "pct": None if c.pct is None else str(c.pct),
                    }
                    for c in mc.changes
                ],
            }
            for mc in d.changed
        ],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
