"""Don't pay for what the eval cannot resolve; how stable the plan is (README "Uncertainty").

**Within noise.** For a task whose best option (highest quality) is ``b``, an option ``o``
is *within noise* of it at confidence ``c`` when

    q_b - q_o <= z sqrt(se_b^2 + se_o^2),     z = Phi^-1((1 + c) / 2)   (c 0.95: z 1.96)

(the two scores' difference is not resolved by their evals at level ``c``; an option
without a stated error has ``se = 0``). Each model counts once, at its cheapest usable
option, and so does each cascade (at its stated quality); the *tied models* of a task are
the models and cascades of the options within noise.

**The cheapest tied plan** is the exact min-cost plan of the same workload in which each
task may use only its tied models and cascades, with the workload's floors and side
constraints (capacities, provider shares) and without its budget:

    minimise  sum_o c_o x_o   s.t.  sum_{o in t} x_o = V_t,  x_o = 0 unless o's model is
              tied on t,  floors, capacity and share rows as in the plan

solved and checked like any plan (its status and exact gap are reported). Per task, the
section also shows the task all on its best option and all on its cheapest tied option.

**Stability.** ``k`` redraws (``numpy.random.default_rng(seed)``, in option-table order):
each option's quality redrawn as ``clip(q + se Z, 0, 1)``, rounded to 6 decimals, the
plan re-solved with them; per task, the share of redraws whose *main choice* (the option
with the most queries) is the plan's own.
"""

from __future__ import annotations

import dataclasses
import math
from decimal import Decimal
from statistics import NormalDist

import numpy as np

from costplan.options import Option, OptionTable
from costplan.plan import Plan
from costplan.risk.evidence import NoiseRow, NoiseSection, StabilitySection, TiedPlan
from costplan.workload.model import Task


def z_of(confidence: Decimal) -> float:
    """Two-sided ``z`` of a confidence: ``Phi^-1((1 + c) / 2)`` (0.95 -> 1.959964)."""
    return NormalDist().inv_cdf((1 + float(confidence)) / 2)


def _se(o: Option) -> float:
    return o.quality_se or 0.0


def _cheapest_per_model(table: OptionTable, task: str) -> list[Option]:
    """Each model's (and each cascade's) cheapest usable option on ``task``."""
    per_model: dict[str, Option] = {}
    for o in table.for_task(task):
        if o.model not in per_model or o.cost_pusd < per_model[o.model].cost_pusd:
            per_model[o.model] = o
    return list(per_model.values())


def within_noise(table: OptionTable, z: float = 1.96) -> list[NoiseRow]:
    """Per task: its best option, the models within noise, the cheapest usable tied one."""
    out = []
    for t in table.workload.tasks:
        usable = _cheapest_per_model(table, t.name)
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
            NoiseRow(
                t.name, best.label, tuple(sorted(o.model for o in tied)),
                None if cheap is None else cheap.label,
                best.cost_pusd * t.volume,
                0 if cheap is None else cheap.cost_pusd * t.volume,
            )
        )  # fmt: skip
    return out


def _models(t: Task, tied: tuple[str, ...]) -> tuple[str, ...]:
    """The task's ``allow`` list cut to its tied models (its cascades' names dropped)."""
    cascades = {c.name for c in t.cascades}
    keep = tuple(m for m in tied if m not in cascades)
    return keep if t.allow is None else tuple(m for m in t.allow if m in keep)


def tied_plan(table: OptionTable, rows: list[NoiseRow], time_limit_s: float) -> TiedPlan:
    """The exact min-cost plan using only models within noise of each task's best.

    The workload's floors and side constraints (capacity, provider share) stay; its budget
    does not (the question is what the tied plan costs, not whether it fits).
    """
    from costplan.errors import InfeasibleError
    from costplan.optimize import optimize
    from costplan.options import build_options

    allow = {r.task: r.tied for r in rows}
    w = table.workload
    tasks = tuple(
        dataclasses.replace(
            t, allow=_models(t, allow[t.name]),
            cascades=tuple(c for c in t.cascades if c.name in allow[t.name]),
        ) if t.name in allow else t
        for t in w.tasks
    )  # fmt: skip
    workload = dataclasses.replace(w, tasks=tasks, budget_usd=None)
    restricted = dataclasses.replace(
        build_options(workload, table.sheet), allow_override=allow,
        latency_cap_ms=table.latency_cap_ms,
    )  # fmt: skip
    try:
        plan = optimize(
            restricted, objective="min_cost", time_limit_s=time_limit_s, explain=False
        )
    except InfeasibleError:
        return TiedPlan("infeasible", None, None, {})
    return TiedPlan(plan.status, plan.cost_pusd, plan.gap, main_choices(plan))


def noise_section(
    table: OptionTable, confidence: Decimal = Decimal("0.95"), time_limit_s: float = 60.0
) -> NoiseSection:
    """The ``noise`` section of a plan (module docstring and :mod:`costplan.risk.evidence`)."""
    z = z_of(confidence)
    rows = within_noise(table, z)
    return NoiseSection(confidence, z, tuple(rows), tied_plan(table, rows, time_limit_s))


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
) -> StabilitySection:
    """Per task: how many of ``k`` redraws keep the plan's main choice (module docs)."""
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
    return StabilitySection(k, seed, mine, kept)
