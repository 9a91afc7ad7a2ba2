"""The internal consistency of a plan file, checked when it is read.

A plan file states many things twice: each row's quality and its quality total,
shares and counts, each task's and the whole plan's mean quality, the budget and
the cost. :func:`check_consistency` refuses a file in which two of them disagree
(or a field has a value costplan never writes), naming the key path, the stated
value and what the rest of the file implies. It needs no workload or price sheet:
re-pricing against those is the independent verifier's job (``costplan.verify``),
and the money totals are checked by ``verify_plan_file``.

Derived values are what :func:`costplan.plan.plan_to_dict` writes for the plan
rebuilt from the file's rows (the same rounding by construction), so a file
costplan wrote always passes.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from costplan.options import QUALITY_SCALE
from costplan.plan import AS_GIVEN, Plan, plan_to_dict
from costplan.yamlsource import SourceDocument

STATUSES = ("optimal", "feasible")
OBJECTIVES = ("max_quality", "min_cost")
PERIODS = ("hour", "day", "week", "month", "quarter", "year")
MODES = ("standard", "batch", "flex", "priority")
KINDS = ("model", "cascade")
_HINT = "the file was edited or corrupted: re-run costplan optimize to regenerate it"


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


def check_consistency(doc: SourceDocument, plan: Plan) -> None:
    """Refuse a plan file whose fields contradict each other (see the module doc).

    ``plan`` is the Plan rebuilt from ``doc``; the raw document supplies the
    stated values. Raises :class:`~costplan.errors.InputError` at the first
    contradiction, in file order.
    """
    data: Mapping[str, Any] = doc.data if isinstance(doc.data, dict) else {}
    want = plan_to_dict(plan)
    c = _Checker(doc)
    per_query = bool(plan.tasks) and all(
        a.per_query for t in plan.tasks for a in t.allocations
    )  # costplan assign: the query file is the period, whatever it covers
    c.one_of(data.get("period"), (*PERIODS, AS_GIVEN) if per_query else PERIODS, ("period",))
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
        want_t = want["tasks"][i]
        _check_rows(c, i, tp, raw.get("allocations") or [], want_t["allocations"])
        c.equal(
            raw.get("mean_quality"),
            Decimal(want_t["mean_quality"]),
            ("tasks", i, "mean_quality"),
            "the task's rows",
        )
        if tp.min_quality is not None and tp.volume > 0:
            floor = int((tp.min_quality * QUALITY_SCALE).to_integral_value())
            if tp.quality_micro_total < floor * tp.volume:
                raise doc.error(
                    f"the task's rows give mean quality {want_t['mean_quality']}, below its "
                    "min_quality",
                    ("tasks", i, "min_quality"),
                    raw.get("min_quality"),
                    hint=_HINT,
                )
    totals = data.get("totals") or {}
    if "quality_queries" in totals:
        c.equal(
            totals["quality_queries"],
            Decimal(want["totals"]["quality_queries"]),
            ("totals", "quality_queries"),
            "the plan's rows",
        )
    if "mean_quality" in totals:
        c.equal(
            totals["mean_quality"],
            Decimal(want["totals"]["mean_quality"]),
            ("totals", "mean_quality"),
            "the plan's rows",
        )
    _check_budget(doc, plan)


def _check_rows(c: _Checker, i: int, tp: Any, rows: list[Any], want: list[Any]) -> None:
    seen: dict[tuple[str, ...], int] = {}
    for j, (a, raw, w) in enumerate(zip(tp.allocations, rows, want, strict=False)):
        key: tuple[str | int, ...] = ("tasks", i, "allocations", j)
        c.one_of(a.mode, MODES, (*key, "mode"))
        c.one_of(a.kind, KINDS, (*key, "kind"))
        ident = (a.model, a.mode, a.kind, a.cache, a.commitment)
        if ident in seen:
            raise c.doc.error(
                f"the same model and mode twice in one task (first at allocations[{seen[ident]}])",
                (*key, "model"),
                a.model,
                hint=_HINT,
            )
        seen[ident] = j
        if "share" in raw:
            share = Decimal(w["share"])
            c.equal(
                raw["share"],
                share,
                (*key, "share"),
                f"count / volume ({a.count:,} / {tp.volume:,})",
            )
        if not a.per_query and "quality_queries" in raw:
            c.equal(
                raw["quality_queries"],
                Decimal(w["quality_queries"]),
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
