"""Plan-file form of :class:`~costplan.explain.Explanations`: written exactly (money as
USD strings, quality in exact quality-weighted queries) and read back with every error
located by its key path."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from costplan.explain import (
    BudgetBinding,
    Explanations,
    FloorBinding,
    MarginalValue,
    RunnerUp,
    SideBinding,
    SplitChoice,
    SplitEffect,
    rate_str,
)
from costplan.money import usd_str, usd_to_pusd
from costplan.options import QUALITY_SCALE

if TYPE_CHECKING:
    from costplan.yamlsource import SourceDocument


def _qq(micro: int) -> str:
    """Quality-weighted queries, exact (micro-units / 1e6)."""
    return f"{Decimal(micro) / QUALITY_SCALE:f}"


def explanations_to_dict(e: Explanations) -> dict[str, Any]:
    """Plan-file form: money as exact USD strings, quality in exact quality-queries."""
    out: dict[str, Any] = {}
    m = e.marginal
    out["marginal_value_of_budget"] = (
        None
        if m is None
        else {
            "at_usd": usd_str(m.at_pusd),
            "delta_usd": usd_str(m.delta_pusd),
            "quality_gain": _qq(m.quality_gain_micro),
            "quality_per_usd": rate_str(m.quality_per_usd),
            "lp_quality_per_usd": None
            if m.lp_quality_per_usd is None
            else rate_str(m.lp_quality_per_usd),
            "status": m.status,
        }
    )
    b = e.budget
    out["budget"] = (
        None
        if b is None
        else {
            "budget_usd": usd_str(b.budget_pusd),
            "slack_usd": usd_str(b.slack_pusd),
            "cheapest_upgrade_usd": None
            if b.cheapest_upgrade_pusd is None
            else usd_str(b.cheapest_upgrade_pusd),
            "binds": b.binds,
        }
    )
    out["floors"] = [
        {
            "task": f.task,
            "min_quality": str(f.min_quality),
            "slack": _qq(f.slack_micro),
            "volume": f.volume,
            "binds": f.binds,
        }
        for f in e.floors
    ]
    out["side_constraints"] = [{"label": s.label, "binds": s.binds} for s in e.side]
    s = e.split
    out["split"] = (
        None
        if s is None
        else {
            "relaxed_cost_usd": usd_str(s.relaxed_cost_pusd),
            "relaxed_quality": _qq(s.relaxed_quality_micro),
            "status": s.status,
            "tasks": [
                {"task": c.task, "chosen": c.chosen, "relaxed_splits": c.relaxed_splits}
                for c in s.tasks
            ],
        }
    )
    out["runner_ups"] = [
        {
            "task": r.task,
            "current": r.current,
            "label": r.label,
            "model": r.model,
            "mode": r.mode,
            "kind": r.kind,
            "cost_per_query_usd": usd_str(r.cost_per_query_pusd),
            "quality": str(r.quality),
            "whole_task": {
                "cost_delta_usd": usd_str(r.whole_cost_delta_pusd),
                "quality_delta": _qq(r.whole_quality_delta_micro),
            },
            "one_query": {
                "cost_delta_usd": usd_str(r.query_cost_delta_pusd),
                "quality_delta": _qq(r.query_quality_delta_micro),
            },
            "splittable": r.splittable,
            "meets_floor": r.meets_floor,
            "within_budget": r.within_budget,
        }
        for r in e.runner_ups
    ]
    return out


class _Reader:
    """Typed access to a plan file's ``explanations`` section, errors located by key."""

    def __init__(self, doc: SourceDocument) -> None:
        self.doc = doc

    def _get(self, data: Any, path: tuple[str | int, ...], key: str | int) -> Any:
        if isinstance(key, str):
            if not isinstance(data, Mapping) or key not in data:
                raise self.doc.error("missing key in explanations", (*path, key))
            return data[key]
        if not isinstance(data, list) or key >= len(data):
            raise self.doc.error("expected a list in explanations", path)
        return data[key]

    def text(self, data: Any, path: tuple[str | int, ...], key: str) -> str:
        v = self._get(data, path, key)
        if not isinstance(v, str):
            raise self.doc.error("expected a string", (*path, key), v)
        return v

    def flag(self, data: Any, path: tuple[str | int, ...], key: str) -> bool:
        v = self._get(data, path, key)
        if not isinstance(v, bool):
            raise self.doc.error("expected true or false", (*path, key), v)
        return v

    def integer(self, data: Any, path: tuple[str | int, ...], key: str) -> int:
        v = self._get(data, path, key)
        if not isinstance(v, int) or isinstance(v, bool):
            raise self.doc.error("expected an integer", (*path, key), v)
        return v

    def decimal(self, data: Any, path: tuple[str | int, ...], key: str) -> Decimal:
        v = self._get(data, path, key)
        try:
            d = Decimal(str(v))
        except InvalidOperation:
            raise self.doc.error("expected a decimal number", (*path, key), v) from None
        if isinstance(v, bool) or not d.is_finite():
            raise self.doc.error("expected a decimal number", (*path, key), v)
        return d

    def money(self, data: Any, path: tuple[str | int, ...], key: str) -> int:
        d = self.decimal(data, path, key)
        try:
            return usd_to_pusd(d)
        except ValueError as exc:
            raise self.doc.error(str(exc), (*path, key), d) from None

    def micro(self, data: Any, path: tuple[str | int, ...], key: str) -> int:
        d = self.decimal(data, path, key) * QUALITY_SCALE
        if d != d.to_integral_value():
            raise self.doc.error("finer than 1e-6 quality", (*path, key), d)
        return int(d)

    def items(self, data: Any, path: tuple[str | int, ...], key: str) -> list[Any]:
        v = self._get(data, path, key)
        if not isinstance(v, list):
            raise self.doc.error("expected a list", (*path, key), v)
        return v

    def section(self, data: Any, path: tuple[str | int, ...], key: str) -> Any:
        v = self._get(data, path, key)
        if v is not None and not isinstance(v, Mapping):
            raise self.doc.error("expected a mapping or null", (*path, key), v)
        return v


def read_explanations(doc: SourceDocument, data: Any) -> Explanations | None:
    """Rebuild :class:`Explanations` from a plan file's section (None stays None).

    Derived values (``quality_per_usd``) are recomputed, not read.
    """
    if data is None:
        return None
    r = _Reader(doc)
    root: tuple[str | int, ...] = ("explanations",)
    if not isinstance(data, Mapping):
        raise doc.error("expected a mapping", root, data)

    marginal = None
    m = r.section(data, root, "marginal_value_of_budget")
    if m is not None:
        mp = (*root, "marginal_value_of_budget")
        lp = m.get("lp_quality_per_usd")
        marginal = MarginalValue(
            r.money(m, mp, "at_usd"),
            r.money(m, mp, "delta_usd"),
            r.micro(m, mp, "quality_gain"),
            r.text(m, mp, "status"),
            None if lp is None else float(r.decimal(m, mp, "lp_quality_per_usd")),
        )
    budget = None
    b = r.section(data, root, "budget")
    if b is not None:
        bp = (*root, "budget")
        up = b.get("cheapest_upgrade_usd")
        budget = BudgetBinding(
            r.money(b, bp, "budget_usd"),
            r.money(b, bp, "slack_usd"),
            None if up is None else r.money(b, bp, "cheapest_upgrade_usd"),
            r.flag(b, bp, "binds"),
        )
    floors = []
    for i, f in enumerate(r.items(data, root, "floors")):
        fp = (*root, "floors", i)
        floors.append(
            FloorBinding(
                r.text(f, fp, "task"),
                r.decimal(f, fp, "min_quality"),
                r.micro(f, fp, "slack"),
                r.integer(f, fp, "volume"),
                r.flag(f, fp, "binds"),
            )
        )
    side = [
        SideBinding(
            r.text(s, (*root, "side_constraints", i), "label"),
            r.flag(s, (*root, "side_constraints", i), "binds"),
        )
        for i, s in enumerate(r.items(data, root, "side_constraints"))
    ]
    split = None
    s = r.section(data, root, "split")
    if s is not None:
        sp = (*root, "split")
        split = SplitEffect(
            r.money(s, sp, "relaxed_cost_usd"),
            r.micro(s, sp, "relaxed_quality"),
            r.text(s, sp, "status"),
            tuple(
                SplitChoice(
                    r.text(c, (*sp, "tasks", i), "task"),
                    r.text(c, (*sp, "tasks", i), "chosen"),
                    r.flag(c, (*sp, "tasks", i), "relaxed_splits"),
                )
                for i, c in enumerate(r.items(s, sp, "tasks"))
            ),
        )
    runner_ups = []
    for i, u in enumerate(r.items(data, root, "runner_ups")):
        up_ = (*root, "runner_ups", i)
        whole = r.section(u, up_, "whole_task") or {}
        one = r.section(u, up_, "one_query") or {}
        runner_ups.append(
            RunnerUp(
                task=r.text(u, up_, "task"),
                current=r.text(u, up_, "current"),
                label=r.text(u, up_, "label"),
                model=r.text(u, up_, "model"),
                mode=r.text(u, up_, "mode"),
                kind=r.text(u, up_, "kind"),
                cost_per_query_pusd=r.money(u, up_, "cost_per_query_usd"),
                quality=r.decimal(u, up_, "quality"),
                whole_cost_delta_pusd=r.money(whole, (*up_, "whole_task"), "cost_delta_usd"),
                whole_quality_delta_micro=r.micro(whole, (*up_, "whole_task"), "quality_delta"),
                query_cost_delta_pusd=r.money(one, (*up_, "one_query"), "cost_delta_usd"),
                query_quality_delta_micro=r.micro(one, (*up_, "one_query"), "quality_delta"),
                splittable=r.flag(u, up_, "splittable"),
                meets_floor=r.flag(u, up_, "meets_floor"),
                within_budget=r.flag(u, up_, "within_budget"),
            )
        )
    return Explanations(
        marginal=marginal,
        budget=budget,
        floors=tuple(floors),
        side=tuple(side),
        split=split,
        runner_ups=tuple(runner_ups),
    )
