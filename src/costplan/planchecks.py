"""The internal consistency of a plan file, checked when it is read.

A plan file states many things twice: each row's quality and its quality total,
shares and counts, each task's and the whole plan's mean quality, the budget and
the cost. :func:`check_consistency` refuses a file in which two of them disagree
(or a field has a value costplan never writes), naming the key path, the stated
value and what the rest of the file implies. It needs no workload or price sheet:
re-pricing against those is the independent verifier's job (``costplan.verify``),
and the money totals are checked by ``verify_plan_file``.

Derived values are recomputed exactly as :func:`costplan.plan.plan_to_dict`
states them (``x.xxxxxx`` quality, ``count / volume`` shares to 6 places), so a
file costplan wrote always passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from costplan.options import QUALITY_SCALE
from costplan.plan import Plan
from costplan.yamlsource import SourceDocument

STATUSES = ("optimal", "feasible")
OBJECTIVES = ("max_quality", "min_cost")
PERIODS = ("hour", "day", "week", "month", "quarter", "year")
MODES = ("standard", "batch", "flex", "priority")
KINDS = ("model", "cascade")
_HINT = "the file was edited or corrupted: re-run costplan optimize to regenerate it"
_MICRO = Decimal("0.000001")


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


class _Checker:
    def __init__(self, doc: SourceDocument) -> None:
        self.doc = doc

    def one_of(self, value: Any, allowed: tuple[str, ...], key: tuple[str | int, ...]) -> None:
        if value not in allowed:
            raise self.doc.error(
                f"must be one of {', '.join(allowed)}", key, value, hint="costplan writes no other"
            )

    def equal(self, stated: Any, want: Decimal, key: tuple[str | int, ...], why: str) -> None:
        got = _decimal(stated)
        if got is None or got != want:
            raise self.doc.error(
                f"does not match {why}, which gives {want:f}", key, stated, hint=_HINT
            )


def _quality(micro_total: int) -> Decimal:
    return (Decimal(micro_total) / QUALITY_SCALE).quantize(_MICRO)


def _mean(micro_total: int, volume: int) -> Decimal:
    if volume == 0:
        return Decimal(0).quantize(_MICRO)
    return (Decimal(micro_total) / QUALITY_SCALE / volume).quantize(_MICRO)


def check_consistency(doc: SourceDocument, plan: Plan) -> None:
    """Refuse a plan file whose fields contradict each other (see the module doc).

    ``plan`` is the Plan rebuilt from ``doc``; the raw document supplies the
    stated values. Raises :class:`~costplan.errors.InputError` at the first
    contradiction, in file order.
    """
    data: Mapping[str, Any] = doc.data if isinstance(doc.data, dict) else {}
    c = _Checker(doc)
    c.one_of(data.get("period"), PERIODS, ("period",))
    c.one_of(data.get("objective"), OBJECTIVES, ("objective",))
    c.one_of(data.get("status"), STATUSES, ("status",))
    raw_tasks = data.get("tasks") or []
    names: dict[str, int] = {}
    for i, (tp, raw) in enumerate(zip(plan.tasks, raw_tasks, strict=False)):
        if tp.name in names:
            raise doc.error(
                f"duplicate task name (first at tasks[{names[tp.name]}])",
                ("tasks", i, "name"),
                tp.name,
                hint=_HINT,
            )
        names[tp.name] = i
        _check_rows(c, i, tp, raw.get("allocations") or [])
        c.equal(
            raw.get("mean_quality"),
            _mean(tp.quality_micro_total, tp.volume),
            ("tasks", i, "mean_quality"),
            "the task's rows",
        )
        if tp.min_quality is not None and tp.volume > 0:
            floor = int((tp.min_quality * QUALITY_SCALE).to_integral_value())
            if tp.quality_micro_total < floor * tp.volume:
                raise doc.error(
                    f"the task's rows give mean quality {_mean(tp.quality_micro_total, tp.volume)}"
                    ", below its min_quality",
                    ("tasks", i, "min_quality"),
                    raw.get("min_quality"),
                    hint=_HINT,
                )
    totals = data.get("totals") or {}
    if "quality_queries" in totals:
        c.equal(
            totals["quality_queries"],
            _quality(plan.quality_micro_total),
            ("totals", "quality_queries"),
            "the plan's rows",
        )
    if "mean_quality" in totals:
        c.equal(
            totals["mean_quality"],
            _mean(plan.quality_micro_total, plan.volume),
            ("totals", "mean_quality"),
            "the plan's rows",
        )
    _check_budget(doc, plan)


def _check_rows(c: _Checker, i: int, tp: Any, rows: list[Any]) -> None:
    seen: dict[tuple[str, str, str], int] = {}
    for j, (a, raw) in enumerate(zip(tp.allocations, rows, strict=False)):
        key: tuple[str | int, ...] = ("tasks", i, "allocations", j)
        c.one_of(a.mode, MODES, (*key, "mode"))
        c.one_of(a.kind, KINDS, (*key, "kind"))
        ident = (a.model, a.mode, a.kind)
        if ident in seen:
            raise c.doc.error(
                f"the same model and mode twice in one task (first at allocations[{seen[ident]}])",
                (*key, "model"),
                a.model,
                hint=_HINT,
            )
        seen[ident] = j
        if "share" in raw:
            share = (Decimal(a.count) / tp.volume).quantize(_MICRO) if tp.volume else Decimal(0)
            c.equal(
                raw["share"],
                share,
                (*key, "share"),
                f"count / volume ({a.count:,} / {tp.volume:,})",
            )
        if not a.per_query and "quality_queries" in raw:
            c.equal(
                raw["quality_queries"],
                _quality(a.quality_micro_total),
                (*key, "quality_queries"),
                f"count x quality ({a.count:,} x {a.quality})",
            )


def _check_budget(doc: SourceDocument, plan: Plan) -> None:
    """A plan within its own budget: the cost (a robust plan: the cost at p95 lengths)."""
    if plan.budget_pusd is None:
        return
    cost = plan.cost_p95_pusd if plan.robust else plan.cost_pusd
    if cost > plan.budget_pusd:
        from costplan.money import usd_str

        what = "cost at p95 lengths" if plan.robust else "cost"
        raise doc.error(
            f"the plan's {what} {usd_str(cost)} USD is above its own budget",
            ("budget_usd",),
            (doc.data or {}).get("budget_usd") if isinstance(doc.data, dict) else None,
            hint=_HINT,
        )
