"""The simple policies a plan is shown beside: everything on one model (the best-quality
one that fits the budget, the cheapest one meeting every floor), else per-task choices."""

from __future__ import annotations

from costplan.options import Option, OptionTable
from costplan.plan import Baseline
from costplan.workload.model import Workload


def baselines(table: OptionTable, budget_pusd: int | None) -> tuple[Baseline, ...]:
    """Everything on one model: the best-quality one that fits, and the cheapest one
    that meets every floor. A model qualifies when every task can use it (its
    cheapest mode per task). Falls back to per-task choices when no model serves all."""
    w = table.workload
    volume = sum(t.volume for t in w.tasks)
    single = _single_policies(table)

    def fits(cost: int) -> bool:
        return budget_pusd is None or cost <= budget_pusd

    def policy(pick: dict[str, Option]) -> tuple[int, int, bool]:
        return _policy(w, pick)

    out: list[Baseline] = []
    if single:
        fitting = [m for m in single if fits(single[m][0])] or list(single)
        best = max(fitting, key=lambda m: (single[m][1], -single[m][0], m))
        c, q, f = single[best]
        out.append(
            Baseline(
                f"all on {best}",
                "best-quality single model that fits the budget"
                if fits(c)
                else "best-quality single model (none fits the budget)",
                c,
                q,
                volume,
                f,
                fits(c),
            )
        )
        meeting = [m for m in single if single[m][2]]
        if meeting:
            cheap = min(meeting, key=lambda m: (single[m][0], -single[m][1], m))
            if cheap == best:
                first = out[0]
                out[0] = Baseline(
                    first.label,
                    first.description + "; also the cheapest meeting every floor",
                    first.cost_pusd,
                    first.quality_micro_total,
                    first.volume,
                    first.meets_floors,
                    first.within_budget,
                )
                return tuple(out)
            c, q, f = single[cheap]
            out.append(
                Baseline(
                    f"all on {cheap}",
                    "cheapest single model meeting every floor",
                    c,
                    q,
                    volume,
                    f,
                    fits(c),
                )
            )
        return tuple(out)
    per_task = _per_task(table)
    if not all(per_task.values()):
        return ()  # a task only a cascade can serve: no single-model policy to compare
    best_pick = {
        t.name: max(per_task[t.name], key=lambda o: (o.quality, -o.cost_pusd)) for t in w.tasks
    }
    c, q, f = policy(best_pick)
    out.append(
        Baseline(
            "best model per task",
            "each task on its best-quality model (no single model serves every task)",
            c,
            q,
            volume,
            f,
            fits(c),
        )
    )
    cheap_pick: dict[str, Option] = {}
    for t in w.tasks:
        ok = [o for o in per_task[t.name] if t.min_quality is None or o.quality >= t.min_quality]
        if ok:
            cheap_pick[t.name] = min(ok, key=lambda o: (o.cost_pusd, -o.quality))
    if len(cheap_pick) == len(w.tasks):
        c, q, f = policy(cheap_pick)
        out.append(
            Baseline(
                "cheapest per task",
                "each task on its cheapest model meeting its floor",
                c,
                q,
                volume,
                f,
                fits(c),
            )
        )
    return tuple(out)


def _per_task(table: OptionTable) -> dict[str, list[Option]]:
    w = table.workload
    return {t.name: [o for o in table.for_task(t.name) if o.kind == "model"] for t in w.tasks}


def _policy(w: Workload, pick: dict[str, Option]) -> tuple[int, int, bool]:
    """(cost, quality micro-total, meets every floor) of ``pick`` (task -> option)."""
    cost = sum(pick[t.name].cost_pusd * t.volume for t in w.tasks)
    quality = sum(pick[t.name].quality_micro * t.volume for t in w.tasks)
    floors = all(
        t.min_quality is None or t.volume == 0 or pick[t.name].quality >= t.min_quality
        for t in w.tasks
    )
    return cost, quality, floors


#: The last tables' single-model policies (``frontier`` asks for one table's at every point).
_SINGLES: list[tuple[OptionTable, dict[str, tuple[int, int, bool]]]] = []


def _single_policies(table: OptionTable) -> dict[str, tuple[int, int, bool]]:
    """Per model serving every task: (cost, quality micro-total, meets every floor) of the
    plan that puts every task on that model's cheapest option. Budget-free, so computed
    once per table."""
    for seen, single in _SINGLES:
        if seen is table:
            return single
    w = table.workload
    per_task = _per_task(table)
    models = sorted({o.model for opts in per_task.values() for o in opts})
    by_model: dict[str, dict[str, Option]] = {}
    for t in w.tasks:  # each task's cheapest option per model, in one pass
        for o in per_task[t.name]:
            best = by_model.setdefault(o.model, {}).get(t.name)
            if best is None or (o.cost_pusd, o.mode) < (best.cost_pusd, best.mode):
                by_model[o.model][t.name] = o

    single = {m: _policy(w, by_model[m]) for m in models if len(by_model[m]) == len(w.tasks)}
    _SINGLES[:] = [*_SINGLES[-3:], (table, single)]
    return single
