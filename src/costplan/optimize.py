"""Library core of ``costplan optimize``: option table -> solver -> Plan.

Use from Python::

    from costplan.api import load_inputs, optimize
    table = load_inputs(Path("workload.yaml"))
    plan = optimize(table)

Raises :class:`InfeasibleError` with an explanation a person can act on when no
plan meets the floors within the budget, :class:`SolverLimitError` when the time
limit passes before any plan is found.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from costplan.baselines import baselines
from costplan.errors import InfeasibleError, InputError, SolverLimitError
from costplan.explain import EXPLAIN_TIME_LIMIT_S, explain_plan
from costplan.formulation import Indexed, certificate_of, index_table, side_rows
from costplan.money import budget_to_pusd, fmt_over_budget, fmt_usd, pusd_to_usd
from costplan.options import Option, OptionTable
from costplan.plan import Allocation, Plan, TaskPlan
from costplan.preflight import verify_plan
from costplan.solvers.classlevel import ClassProblem, ClassSolution, solve_class
from costplan.workload.model import (
    Objective,
)


def _explain_infeasible(
    table: OptionTable, idx: Indexed, budget_pusd: int, time_limit_s: float
) -> InfeasibleError:
    """Cheapest plan meeting the floors, and the tasks whose floors cost the most."""
    w = table.workload
    p = idx.problem
    # Robust plans budget p95 costs: explain in the same terms.
    cost = p.cost if p.budget_cost is None else p.budget_cost
    relaxed = ClassProblem(
        p.task, cost, p.quality, p.volume, p.floor, p.split, "min_cost", None, p.extra
    )
    sol = solve_class(relaxed, time_limit_s=time_limit_s)
    if sol.status not in ("optimal", "feasible"):
        return _explain_without_budget(table, idx, time_limit_s)
    cheapest = sol.objective
    premiums: list[tuple[int, int, str, str]] = []
    for t in w.tasks:
        mask = p.task == t.index
        task_cost = int(np.sum(cost[mask] * sol.counts[mask]))
        floorless = int(cost[mask].min()) * t.volume
        premiums.append((task_cost - floorless, task_cost, t.name, str(t.min_quality)))
    premiums.sort(reverse=True)
    extra, task_cost, name, floor = premiums[0]
    cheapest_text, budget_text, shortfall = fmt_over_budget(cheapest, budget_pusd)
    message = (
        f"no plan fits the budget: the cheapest plan meeting every quality floor costs "
        f"{cheapest_text}"
        + (" at p95 lengths" if p.budget_cost is not None else "")
        + f"; budget is {budget_text}"
    )
    if extra > 0:
        message += (
            f". Task {name!r} forces most of it: {fmt_usd(pusd_to_usd(task_cost))} at its floor "
            f"{floor}, {fmt_usd(pusd_to_usd(extra))} more than its cheapest model"
        )
    hint = f"raise the budget by {shortfall}" + (
        f" or lower the min_quality of {name!r}" if extra > 0 else ""
    )
    return InfeasibleError(message, file=w.path, key="budget_usd", hint=hint)


def _explain_without_budget(
    table: OptionTable, idx: Indexed, time_limit_s: float
) -> InfeasibleError:
    """Floors and side constraints conflict, whatever the budget: name the constraints."""
    w = table.workload
    p = idx.problem
    labels = [row.label for row in p.extra]
    if labels:
        return InfeasibleError(
            "no plan meets every quality floor within the side constraints ("
            + "; ".join(labels)
            + "), whatever the budget",
            file=w.path,
            key="constraints",
            hint="raise a capacity or share cap, or lower a min_quality",
        )
    del time_limit_s
    return InfeasibleError("no plan meets every quality floor", file=w.path)


MAX_BUDGET_USD = Decimal(10**12)  # as the workload schema's budget_usd


def resolve_budget(
    table: OptionTable, budget_usd: Decimal | None, objective: Objective
) -> int | None:
    """The budget in pico-dollars from the CLI or the workload; required for max_quality."""
    w = table.workload
    budget = budget_usd if budget_usd is not None else w.budget_usd
    if budget is None and objective == "max_quality":
        raise InputError(
            "budget_usd is required for objective max_quality",
            file=w.path,
            key="budget_usd",
            hint="set 'budget_usd:' in the workload or pass --budget",
        )
    if budget is not None and not (budget.is_finite() and 0 <= budget <= MAX_BUDGET_USD):
        # Checked here, not only in the CLI: a library caller's budget is input too.
        raise InputError(
            f"budget must be a finite amount between 0 and {MAX_BUDGET_USD:,} USD",
            value=budget,
        )
    return None if budget is None else budget_to_pusd(budget)


def solve_table(
    table: OptionTable,
    *,
    objective: Objective,
    budget_pusd: int | None,
    time_limit_s: float = 60.0,
    robust: bool = False,
    relative_gap: float = 0.0,
) -> tuple[list[Option], ClassSolution]:
    """Solve; raise InfeasibleError / SolverLimitError when there is no plan.

    ``robust``: the budget must hold with every query at p95 prompt and output lengths.
    ``relative_gap``: accept a plan proven within this relative gap (0: prove optimality).
    """
    idx = index_table(table, objective, budget_pusd, robust)
    sol = solve_class(idx.problem, time_limit_s=time_limit_s, relative_gap=relative_gap)
    if sol.status == "infeasible":
        if budget_pusd is None:
            raise _explain_without_budget(table, idx, time_limit_s)
        raise _explain_infeasible(table, idx, budget_pusd, time_limit_s)
    if sol.status == "unknown":
        raise SolverLimitError(
            f"no plan found within the time limit of {time_limit_s:g} s",
            hint="raise --time-limit",
        )
    return idx.options, sol


def optimize(
    table: OptionTable,
    *,
    objective: Objective | None = None,
    budget_usd: Decimal | None = None,
    time_limit_s: float = 60.0,
    inputs: dict[str, str] | None = None,
    robust: bool = False,
    explain: bool = True,
    relative_gap: float = 0.0,
    confidence: float | None = None,
    floor_confidence: float | None = None,
) -> Plan:
    """The optimal plan for the table's workload (see the module docstring).

    ``confidence``: P(period cost <= budget) >= this; ``floor_confidence``: P(task mean
    quality >= floor) >= this, for every floor (:mod:`costplan.risk.chance`; no
    explanations are attached to such plans).

    ``robust``: plan so that the budget holds even at p95 lengths (budget at risk = 0).
    ``relative_gap``: stop once proven within this relative gap (status ``feasible``,
    with the gap); 0 asks for a proof of optimality.
    ``explain``: attach :class:`~costplan.explain.Explanations` (marginal value of
    budget, runner-ups, binding constraints; one or two extra small solves).
    """
    w = table.workload
    objective = objective or w.objective
    budget_pusd = resolve_budget(table, budget_usd, objective)
    if confidence is not None or floor_confidence is not None:
        from costplan.commitments import refuse

        refuse(table, "--confidence / --floor-confidence")
        return _optimize_chance(
            table, objective, budget_pusd, time_limit_s, inputs, confidence, floor_confidence
        )
    if w.commitments:
        return _optimize_commitments(table, objective, budget_pusd, time_limit_s, inputs, robust)
    options, sol = solve_table(
        table,
        objective=objective,
        budget_pusd=budget_pusd,
        time_limit_s=time_limit_s,
        robust=robust,
        relative_gap=relative_gap,
    )
    plan = plan_from_counts(
        table,
        options,
        [int(c) for c in sol.counts],
        objective=objective,
        budget_pusd=budget_pusd,
        status=sol.status,
        bound=sol.bound,
        gap=sol.gap,
        solver={"name": sol.method, "money_scale_pusd": sol.scale},
        inputs=inputs,
        certificate=certificate_of(sol, objective, side_rows(table, options)),
    )
    if robust:
        note = "robust plan: the budget holds with every query at p95 prompt and output lengths"
        plan = dataclasses.replace(plan, notes=(*plan.notes, note), robust=True)
    # A second, independent computation must agree before anyone sees the plan.
    plan = verify_plan(plan, table)
    if explain:
        limit = min(time_limit_s, EXPLAIN_TIME_LIMIT_S)
        why = explain_plan(
            table,
            plan,
            slack=sol.slack,
            robust=robust,
            time_limit_s=limit,
            relative_gap=relative_gap,
        )
        plan = dataclasses.replace(plan, explanations=why)
    if table.workload.current:  # the 'current' allocation as a baseline, same sheets
        from costplan.today import compare

        plan = dataclasses.replace(plan, today=compare(table, plan))
    return plan


def _optimize_commitments(
    table: OptionTable,
    objective: Objective,
    budget_pusd: int | None,
    time_limit_s: float,
    inputs: dict[str, str] | None,
    robust: bool,
) -> Plan:
    """The best plan over every on/off subset of the commitments (:mod:`costplan.commitments`),
    checked; no explanations (they re-solve without commitments)."""
    from costplan.commitments import plan_with_commitments

    plan: Plan = plan_with_commitments(
        table, objective=objective, budget_pusd=budget_pusd, time_limit_s=time_limit_s,
        inputs=inputs, robust=robust,
    )  # fmt: skip
    plan = verify_plan(plan, table)
    if table.workload.current:
        from costplan.today import compare

        plan = dataclasses.replace(plan, today=compare(table, plan))
    return plan


def _optimize_chance(
    table: OptionTable,
    objective: Objective,
    budget_pusd: int | None,
    time_limit_s: float,
    inputs: dict[str, str] | None,
    confidence: float | None,
    floor_confidence: float | None,
) -> Plan:
    """A plan meeting the chance constraints (:mod:`costplan.risk.chance`), checked."""
    from costplan.risk.chance import (
        ChanceInputs,
        budget_cone,
        floor_cones,
        solve_chance,
    )  # fmt: skip

    w = table.workload
    for c, flag in ((confidence, "--confidence"), (floor_confidence, "--floor-confidence")):
        if c is not None and not 0.5 <= c < 1:
            raise InputError(f"{flag} must be at least 0.5 and below 1", value=c)
    if confidence is not None:
        if budget_pusd is None:
            raise InputError("--confidence needs a budget (budget_usd or --budget)")
        skewed = [t.name for t in w.tasks if not t.volume_spread.symmetric]
        if skewed:
            raise InputError(
                "--confidence uses the normal approximation, which needs symmetric volume "
                f"ranges; skewed: {', '.join(skewed)}",
                file=w.path,
                hint="give cv, or p05/p95 symmetric about the mean",
            )
    idx = index_table(table, objective, budget_pusd)
    samples = {o.task: o.samples for o in idx.options}
    data = ChanceInputs(
        sd=[o.cost_sd_pusd for o in idx.options],
        se=[o.quality_se for o in idx.options],
        k=[math.sqrt(t.volume_spread.variance) for t in w.tasks],
        samples=[samples.get(t.name, 1) for t in w.tasks],
        rho=float(w.volume_correlation),
    )
    cones = [] if confidence is None else [budget_cone(idx.problem, data, confidence)]
    if floor_confidence is not None:
        cones += floor_cones(idx.problem, data, floor_confidence)
    res = solve_chance(idx.problem, cones, time_limit_s=time_limit_s)
    sol = res.solution
    if sol.status == "infeasible":
        raise InfeasibleError(
            "no plan meets the floors and the budget at the stated confidence",
            file=w.path,
            hint="lower --confidence / --floor-confidence, raise the budget or lower floors",
        )
    if sol.status == "unknown":
        raise SolverLimitError(
            f"no plan found within the time limit of {time_limit_s:g} s", hint="raise --time-limit"
        )
    chance = {
        "confidence": None if confidence is None else repr(confidence),
        "floor_confidence": None if floor_confidence is None else repr(floor_confidence),
        "method": "outer approximation" if res.converged else "safe linearisation",
        "rounds": res.rounds,
    }
    plan = plan_from_counts(
        table, idx.options, [int(c) for c in sol.counts], objective=objective,
        budget_pusd=budget_pusd, status=sol.status, bound=sol.bound, gap=sol.gap,
        solver={"name": f"{sol.method} + {chance['method']}", "money_scale_pusd": sol.scale},
        inputs=inputs,
    )  # fmt: skip
    note = f"chance-constrained plan ({chance['method']}, {res.rounds} solve(s)): " + "; ".join(
        f"{what} >= {c}"
        for what, c in (("P(cost <= budget)", confidence), ("P(floor met)", floor_confidence))
        if c is not None
    )
    plan = dataclasses.replace(plan, chance=chance, notes=(*plan.notes, note))
    verify_plan(plan, table)
    return plan


def _cascade_notes(
    table: OptionTable, options: Sequence[Option], counts: Sequence[int]
) -> list[str]:
    """Say when a chosen cascade beats every single model of at least its quality."""
    notes = []
    for o, n in zip(options, counts, strict=True):
        if n <= 0 or o.kind != "cascade":
            continue
        rivals = [
            r
            for r in table.for_task(o.task)
            if r.kind == "model" and r.quality >= o.quality and r.mode == o.mode
        ]
        if not rivals:
            notes.append(
                f"{o.task}: cascade {o.model} ({o.detail}) reaches quality {o.quality}, "
                "above every single model"
            )
            continue
        best = min(rivals, key=lambda r: (r.cost_pusd, r.model))
        if best.cost_pusd > o.cost_pusd:
            saving = (best.cost_pusd - o.cost_pusd) / best.cost_pusd * 100
            notes.append(
                f"{o.task}: cascade {o.model} ({o.detail}) wins: "
                f"{fmt_usd(pusd_to_usd(o.cost_pusd * 1000), places=4)} per 1k queries at quality "
                f"{o.quality}, vs {fmt_usd(pusd_to_usd(best.cost_pusd * 1000), places=4)} for "
                f"{best.model} at {best.quality} ({saving:.0f}% cheaper)"
            )
    return notes


def _cache_notes(table: OptionTable, options: Sequence[Option], counts: Sequence[int]) -> list[str]:
    """The TTL break-even of every used option of a task with a cache policy."""
    from costplan.pricing.caching import break_even_note

    notes = []
    for o, n in zip(options, counts, strict=True):
        task = table.workload.task(o.task)
        if n <= 0 or o.kind != "model" or task.cache is None or o.commitment:
            continue
        schedule = table.sheet.models[o.model].schedule(o.mode)
        note = break_even_note(o.task, o.label, schedule, o.cache, task.cache.hit_rates)
        if note is not None:
            notes.append(note + (f" ({o.detail})" if o.detail else ""))
    return notes


def plan_from_counts(
    table: OptionTable,
    options: Sequence[Option],
    counts: Sequence[int],
    *,
    objective: Objective,
    budget_pusd: int | None,
    status: str,
    bound: int | None,
    gap: Fraction | None,
    solver: dict[str, object],
    inputs: dict[str, str] | None = None,
    certificate: dict[str, Any] | None = None,
) -> Plan:
    """Assemble a :class:`Plan` from per-option counts (zero counts dropped)."""
    w = table.workload
    by_task: dict[str, list[Allocation]] = {t.name: [] for t in w.tasks}
    for o, n in zip(options, counts, strict=True):
        if n > 0:
            by_task[o.task].append(
                Allocation(
                    model=o.model,
                    provider=o.provider,
                    mode=o.mode,
                    count=n,
                    cost_per_query_pusd=o.cost_pusd,
                    quality=o.quality,
                    cost_source=o.cost_source,
                    kind=o.kind,
                    detail=o.detail,
                    cache=o.cache,
                    commitment=o.commitment,
                    cost_p95_per_query_pusd=o.cost_p95_pusd,
                    cost_sd_per_query_pusd=o.cost_sd_pusd,
                    quality_se=o.quality_se,
                    prompt_tokens_mean=Decimal(repr(o.prompt_tokens_mean)).quantize(
                        Decimal("0.001")
                    ),
                    cached_tokens=o.cached_tokens,
                    output_tokens=o.output_tokens,
                    reasoning_tokens=o.reasoning_tokens,
                )
            )
    samples: dict[str, int] = {}  # prompt samples behind the used options' costs
    for o, n in zip(options, counts, strict=True):
        if n > 0:
            samples[o.task] = max(samples.get(o.task, 1), o.samples)
    tasks = tuple(
        TaskPlan(
            t.name,
            t.volume,
            t.min_quality,
            tuple(
                sorted(
                    by_task[t.name],
                    key=lambda a: (-a.count, a.model, a.mode, a.cache, a.commitment),
                )
            ),
            samples=samples.get(t.name, 1),
            volume_spread=t.volume_spread,
        )
        for t in w.tasks
    )
    if inputs is None:
        inputs = {}
        if w.doc is not None:
            inputs[str(w.doc.path)] = w.doc.sha256
        inputs.update(table.sheet.sha256)
    from costplan.latency import slo_notes

    notes = _cascade_notes(table, options, counts) + _cache_notes(table, options, counts)
    notes += slo_notes(table)
    if any(o.tokens_estimated for o in options):
        notes.append(
            "prompt tokens for non-OpenAI tokenizers are estimated from o200k counts "
            "times a family factor"
        )
    plan = Plan(
        workload=w.name,
        period=w.period,
        objective=objective,
        budget_pusd=budget_pusd,
        status=status,
        bound=bound,
        gap=gap,
        tasks=tasks,
        inputs=inputs,
        prices_as_of=table.sheet.as_of.isoformat() if table.sheet.as_of else None,
        prices_source=table.sheet.source,
        baselines=baselines(table, budget_pusd),
        solver=solver,
        notes=tuple(notes),
        workload_path=str(w.path) if w.path is not None else None,
        certificate=certificate,
    )
    from costplan.risk.plans import risk_of_plan

    return dataclasses.replace(plan, risk=risk_of_plan(plan, w.volume_correlation))
