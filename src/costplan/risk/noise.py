"""Don't pay for what the eval cannot resolve; how stable the plan is (README "Uncertainty").

**Within noise.** For a task whose best option (highest quality) is ``b``, an option ``o``
is *within noise* of it at ``z`` (1.96: 95%) when

    q_b - q_o <= z sqrt(se_b^2 + se_o^2)

(the two scores' difference is not resolved by their evals; an option without a stated
error has ``se = 0``). Each model counts once, at its cheapest usable option. The
*cheapest tied plan* serves each task with its cheapest option that is within noise of
the task's best and meets the task's floor (side constraints: capacities, provider
shares, are not applied to it); it is reported next to the best-quality plan's cost.

**Stability.** ``k`` redraws (``numpy.random.default_rng(seed)``, in option-table order):
each option's quality redrawn as ``clip(q + se Z, 0, 1)``, rounded to 6 decimals, the
plan re-solved with them; per task, the share of redraws whose *main choice* (the option
with the most queries) is the plan's own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np

from costplan.options import Option, OptionTable
from costplan.plan import Plan


@dataclass(frozen=True)
class TaskNoise:
    task: str
    best: str  # label of the best option
    tied: tuple[str, ...]  # labels within noise of it (the best included)
    cheapest_tied: str | None  # None: no tied option meets the floor
    cheapest_tied_cost_pusd: int
    best_cost_pusd: int  # the task all on its best option (cheapest at the top quality)


def _se(o: Option) -> float:
    return o.quality_se or 0.0


def within_noise(table: OptionTable, z: float = 1.96) -> list[TaskNoise]:
    """Per task: its best option, the options within noise, the cheapest usable one."""
    out = []
    for t in table.workload.tasks:
        per_model: dict[str, Option] = {}
        for o in table.for_task(t.name):  # each model at its cheapest usable option
            if o.kind == "model" and (
                o.model not in per_model or o.cost_pusd < per_model[o.model].cost_pusd
            ):
                per_model[o.model] = o
        usable = list(per_model.values())
        if not usable:
            continue
        best = max(usable, key=lambda o: (o.quality, -o.cost_pusd))
        tied = [
            o for o in usable
            if float(best.quality - o.quality) <= z * math.hypot(_se(best), _se(o))
        ]  # fmt: skip
        ok = [o for o in tied if t.min_quality is None or o.quality >= t.min_quality]
        cheap = min(ok, key=lambda o: (o.cost_pusd, o.label), default=None)
        out.append(
            TaskNoise(
                t.name, best.label, tuple(o.label for o in tied),
                None if cheap is None else cheap.label,
                0 if cheap is None else cheap.cost_pusd * t.volume,
                best.cost_pusd * t.volume,
            )
        )  # fmt: skip
    return out


def noise_notes(table: OptionTable, plan: Plan, z: float = 1.96) -> list[str]:
    """Report lines: per task the options within noise, and the cheapest tied plan."""
    from costplan.money import fmt_usd, pusd_to_usd

    rows = within_noise(table, z)
    lines = []
    for r in rows:
        others = [label for label in r.tied if label != r.best]
        if others:
            lines.append(f"within noise of {r.best} on {r.task!r} (z {z:g}): {', '.join(others)}")
    if all(r.cheapest_tied is not None for r in rows):
        total = sum(r.cheapest_tied_cost_pusd for r in rows)
        best = sum(r.best_cost_pusd for r in rows)
        lines.append(
            f"cheapest plan statistically tied with the best-quality plan (every task within "
            f"noise of its best, floors met): {fmt_usd(pusd_to_usd(total))}; the best-quality "
            f"plan costs {fmt_usd(pusd_to_usd(best))}, "
            f"this plan {fmt_usd(pusd_to_usd(plan.cost_pusd))}"
        )
    return lines


def main_choices(plan: Plan) -> dict[str, str]:
    """Per task, the label of the allocation with the most queries."""
    return {
        t.name: max(t.allocations, key=lambda a: a.count).label
        for t in plan.tasks if t.allocations
    }  # fmt: skip


def _main_choices_of(table: OptionTable, plan: Plan, time_limit_s: float) -> dict[str, str]:
    """The main choice per task of the re-solved problem (solver only: a redrawn table is
    not the workload's, so it is not a plan anyone is given or that the checker judges)."""
    from costplan.optimize import solve_table

    options, sol = solve_table(
        table, objective=plan.objective,  # type: ignore[arg-type]
        budget_pusd=plan.budget_pusd, time_limit_s=time_limit_s,
    )  # fmt: skip
    best: dict[str, tuple[int, str]] = {}
    for o, n in zip(options, sol.counts, strict=True):
        if int(n) > best.get(o.task, (0, ""))[0]:
            best[o.task] = (int(n), o.label)
    return {t: label for t, (_, label) in best.items()}


def stability(
    table: OptionTable,
    plan: Plan,
    k: int,
    seed: int = 0,
    time_limit_s: float = 60.0,
) -> dict[str, Decimal]:
    """Per task: the share of ``k`` redraws keeping the plan's main choice (module docs)."""
    from costplan.options import build_options

    rng = np.random.default_rng(seed)
    mine = main_choices(plan)
    kept = dict.fromkeys(mine, 0)
    seen: set[tuple[str, str]] = set()
    models = []
    for o in table.options:  # one draw per (task, model), in option-table order
        if o.kind == "model" and (o.task, o.model) not in seen:
            seen.add((o.task, o.model))
            models.append((o.task, o.model, float(o.quality), _se(o)))
    for _ in range(k):
        draws = rng.standard_normal(len(models))
        override: dict[str, dict[str, Decimal]] = {}
        for (task, model, q, se), zz in zip(models, draws, strict=True):
            value = min(1.0, max(0.0, q + se * float(zz)))
            override.setdefault(task, {})[model] = Decimal(f"{value:.6f}")
        for task, per in table.workload.quality.items():  # options not drawn keep their score
            for model, q0 in per.items():
                override.setdefault(task, {}).setdefault(model, q0)
        redrawn = build_options(table.workload, table.sheet, quality_override=override)
        for task, label in _main_choices_of(redrawn, plan, time_limit_s).items():
            if mine.get(task) == label:
                kept[task] += 1
    return {t: Decimal(n) / k for t, n in kept.items()}
