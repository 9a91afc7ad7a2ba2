"""Sanity checks of a valid price sheet: prices that are legal but probably wrong.

The loader rejects what is *invalid* (unknown keys, negative prices, unknown
tokenizers, duplicate model names, ...). :func:`lint_price_sheet` then looks
for what is *suspicious*, each a :class:`LintWarning` located by key path and
line, with the offending value:

* ``as_of`` or ``source`` missing (a sheet should say when and where from);
* a zero input or output price ("free?");
* cached input dearer than uncached input (cache read > input);
* output cheaper than input (unusual for generative models: swapped columns?);
* a ``batch`` or ``flex`` price dearer than the standard one;
* a long-context tier cheaper than the base price, or a tier threshold at or
  above the context window (it could never apply).

Checks apply to every schedule: standard, each mode, and each tier of each.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from costplan.errors import format_key_path
from costplan.pricing.dump import number
from costplan.pricing.model import ModelPrice, PriceSchedule, PriceSheet, Rates
from costplan.yamlsource import KeyPath, SourceDocument

CHEAPER_MODES = ("batch", "flex")


@dataclass(frozen=True)
class LintWarning:
    """One suspicious value: where it is, what is odd, and the value."""

    file: Path
    line: int | None
    key: KeyPath
    message: str
    value: object = None

    def render(self) -> str:
        """``file:line: key: message (got value)``."""
        where = f"{self.file}:{self.line}" if self.line is not None else str(self.file)
        text = f"{where}: {format_key_path(self.key)}: {self.message}"
        if self.value is not None:
            shown = number(self.value) if isinstance(self.value, Decimal) else self.value
            text += f" (got {shown})"
        return text


def lint_price_sheet(doc: SourceDocument, sheet: PriceSheet) -> list[LintWarning]:
    """Warnings for ``sheet`` (loaded from ``doc``), in file order."""
    found: list[LintWarning] = []

    def warn(key: KeyPath, message: str, value: object = None, /) -> None:
        found.append(LintWarning(doc.path, doc.line_of(key) or 1, key, message, value))

    data = doc.data if isinstance(doc.data, dict) else {}
    for top in ("as_of", "source"):
        if data.get(top) in (None, ""):
            warn((top,), f"missing '{top}' (say when and where these prices come from)")
    for name, model in sheet.models.items():
        _lint_model(name, model, warn)
    found.sort(key=lambda w: (w.line or 0, format_key_path(w.key)))
    return found


class _Warn(Protocol):
    def __call__(self, key: KeyPath, message: str, value: object = None, /) -> None: ...


def _schedules(model: ModelPrice) -> Iterator[tuple[str, PriceSchedule, KeyPath]]:
    yield "standard", model.standard, ("models", model.name)
    for mode, schedule in model.modes.items():
        yield mode, schedule, ("models", model.name, mode)


def _lint_model(name: str, model: ModelPrice, warn: _Warn) -> None:
    base = model.standard.base
    for field, label in (("input_usd_per_mtok", "input"), ("output_usd_per_mtok", "output")):
        if getattr(base, field) == 0:
            warn(("models", name, field), f"{label} price is zero: free?", Decimal(0))
    for mode, schedule, key in _schedules(model):
        _lint_rates(schedule.base, key, warn)
        for i, tier in enumerate(schedule.tiers):
            tier_key = (*key, "tiers", i)
            _lint_rates(tier.rates, tier_key, warn)
            for field, label in (
                ("input_usd_per_mtok", "input"),
                ("output_usd_per_mtok", "output"),
            ):
                t, b = getattr(tier.rates, field), getattr(schedule.base, field)
                if t < b:
                    warn(
                        (*tier_key, field),
                        f"tier {label} price is lower than the base price {number(b)}",
                        t,
                    )
            if model.context_window is not None and tier.above_input_tokens >= model.context_window:
                warn(
                    (*tier_key, "above_input_tokens"),
                    f"tier can never apply: threshold is not below the context window "
                    f"{model.context_window}",
                    tier.above_input_tokens,
                )
        if mode in CHEAPER_MODES:
            for field, label in (
                ("input_usd_per_mtok", "input"),
                ("output_usd_per_mtok", "output"),
            ):
                m, s = getattr(schedule.base, field), getattr(base, field)
                if m > s:
                    warn(
                        (*key, field),
                        f"{mode} {label} price is higher than the standard price {number(s)}",
                        m,
                    )


def _lint_rates(rates: Rates, key: KeyPath, warn: _Warn) -> None:
    cache_read = rates.cache_read_usd_per_mtok
    if cache_read is not None and cache_read > rates.input_usd_per_mtok:
        warn(
            (*key, "cache_read_usd_per_mtok"),
            f"cache read price is higher than the input price {number(rates.input_usd_per_mtok)}",
            cache_read,
        )
    if rates.output_usd_per_mtok < rates.input_usd_per_mtok:
        warn(
            (*key, "output_usd_per_mtok"),
            f"output price is lower than the input price {number(rates.input_usd_per_mtok)} "
            "(unusual: swapped?)",
            rates.output_usd_per_mtok,
        )
