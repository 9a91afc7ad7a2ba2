"""Why a plan is what it is: the value of more budget, runner-ups, binding constraints.

:func:`explain_plan` answers three questions about an optimal plan (quality is
counted in *quality-weighted queries*, the sum of expected quality over queries;
money in pico-dollars, exact):

(a) **Marginal value of budget** at ``at`` = the plan's budget (``max_quality``)
    or its cost (``min_cost``: what spending a little more than the cheapest
    plan would buy). Two numbers:

    * finite difference (what the report shows): re-solve ``max_quality`` at
      ``at + delta`` with ``delta = max(1% of at, $1)`` and divide the quality
      gained over the plan by ``delta``. It is what a re-plan really buys,
      integer effects included, so it is noisy when ``delta`` buys only a few
      queries' upgrades;
    * LP shadow price: the dual of the budget row of the LP relaxation
      (:class:`costplan.frontier.LpRelaxation`, GLOP) at ``at``: the slope of
      the relaxed frontier, free of integer effects. At an LP breakpoint it is
      one of the two neighbouring slopes.

    Zero when the plan already has the best quality available.

(b) **Runner-up** per task: the best-quality usable option the plan does not
    use (ties: the cheaper; options dominated by another of the task's options,
    no better and no cheaper, are skipped), or, when there is none, the best
    one the plan uses besides the task's main (largest) allocation. The effect of moving the
    task's whole volume to it, and of moving one query from the main
    allocation, on cost and quality; whether the whole move keeps the floor
    and the budget.

(c) **Binding constraints**:

    * the budget (``max_quality``) binds when its slack is smaller than the
      cheapest quality-raising move: one query of a splittable task (or the
      whole of a ``split: false`` task) to a better option. With ``min_cost`` the
      budget never binds (cost is what is minimised);
    * a quality floor binds when some cheaper, weaker move exists in the task
      (one query, or the whole task when it may not split) and every such move
      would take the task below its floor; its slack is reported either way;
    * a side row (capacity, provider share) binds when its slack is smaller
      than its smallest positive coefficient (not one more query fits);

    Every slack is the solver's, read from :attr:`Solution.slack
    <costplan.solvers.protocol.Solution.slack>` by its stable row label (``budget``,
    ``floor:<task>``, ``capacity:<model>:requests|tokens``, ``share:<provider>``), not
    re-derived here; a row the problem has and the slack lacks is an internal error;
    * ``split: false``: the plan is re-solved with every task allowed to split;
      the objective it would gain and which tasks would then split.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from costplan.errors import InfeasibleError, InternalError, SolverLimitError
from costplan.money import PUSD_PER_USD
from costplan.options import QUALITY_SCALE

if TYPE_CHECKING:
    from costplan.options import Option, OptionTable
    from costplan.plan import Plan
    from costplan.solvers.classlevel import ClassProblem

EXPLAIN_TIME_LIMIT_S = 10.0  # per extra solve; optimize() uses min(its limit, this)
MIN_DELTA_PUSD = PUSD_PER_USD  # $1
DELTA_FRACTION = 100  # delta = at / 100 (1%)
#: A re-solve that may legitimately have no answer: the explanation is then omitted.
#: Any other error (InternalError above all: a bug) propagates.
_NO_ANSWER = (InfeasibleError, SolverLimitError)


@dataclass(frozen=True)
class MarginalValue:
    """What ``delta_pusd`` more budget buys at ``at_pusd`` (see the module docstring)."""

    at_pusd: int
    delta_pusd: int
    quality_gain_micro: int  # f(at + delta) - quality(plan), quality micro-units
    status: str  # status of the re-solve at at + delta
    lp_quality_per_usd: float | None = None  # LP shadow price, 6 significant digits

    @property
    def quality_per_usd(self) -> Decimal:
        """Finite difference: quality-weighted queries per extra USD."""
        return (
            Decimal(self.quality_gain_micro)
            / QUALITY_SCALE
            / (Decimal(self.delta_pusd) / PUSD_PER_USD)
        )


@dataclass(frozen=True)
class BudgetBinding:
    budget_pusd: int
    slack_pusd: int  # budget - cost the budget row counts (p95 cost for robust plans)
    cheapest_upgrade_pusd: int | None  # cheapest quality-raising move; None: none exists
    binds: bool


@dataclass(frozen=True)
class FloorBinding:
    task: str
    min_quality: Decimal
    slack_micro: int  # sum over the task's queries of (quality - floor), micro-units
    volume: int
    binds: bool

    @property
    def mean_slack(self) -> Decimal:
        """Task mean quality minus its floor."""
        if self.volume == 0:
            return Decimal(0)
        return Decimal(self.slack_micro) / QUALITY_SCALE / self.volume


@dataclass(frozen=True)
class SideBinding:
    label: str
    binds: bool


@dataclass(frozen=True)
class SplitChoice:
    task: str
    chosen: str  # label of the one option the plan uses
    relaxed_splits: bool  # the plan re-solved with splitting allowed splits this task


@dataclass(frozen=True)
class SplitEffect:
    """The same question with every task allowed to split."""

    relaxed_cost_pusd: int
    relaxed_quality_micro: int
    status: str
    tasks: tuple[SplitChoice, ...]


@dataclass(frozen=True)
class RunnerUp:
    task: str
    current: str  # label of the task's main allocation
    label: str  # label of the runner-up option
    model: str
    mode: str
    kind: str
    cost_per_query_pusd: int
    quality: Decimal
    whole_cost_delta_pusd: int  # whole task moved to the runner-up
    whole_quality_delta_micro: int
    query_cost_delta_pusd: int  # one query moved from the main allocation
    query_quality_delta_micro: int
    splittable: bool  # False: only the whole move is allowed (split: false)
    meets_floor: bool  # the whole move keeps the task's floor
    within_budget: bool  # the whole move keeps the plan within its budget


@dataclass(frozen=True)
class Explanations:
    marginal: MarginalValue | None
    budget: BudgetBinding | None
    floors: tuple[FloorBinding, ...] = ()
    side: tuple[SideBinding, ...] = ()
    split: SplitEffect | None = None
    runner_ups: tuple[RunnerUp, ...] = ()


# ---------------------------------------------------------------- computation


def _key(task: str, kind: str, model: str, mode: str, cache: str) -> tuple[str, ...]:
    return (task, kind, model, mode, cache)


@dataclass(frozen=True)
class _Solved:
    """The plan laid over the solver's option index."""

    options: list[Option]
    counts: list[int]  # per option
    budget_cost: list[int]  # per option: what the budget row counts (p95 when robust)
    by_task: dict[str, list[int]]  # task name -> option indices
    problem: ClassProblem


def explain_plan(
    table: OptionTable,
    plan: Plan,
    *,
    slack: Mapping[str, Fraction],
    robust: bool = False,
    time_limit_s: float = EXPLAIN_TIME_LIMIT_S,
    relative_gap: float = 0.0,
) -> Explanations:
    """Explanations for ``plan``, a solution of ``table`` (see the module docstring).

    ``slack``: the solver's slack by row label (``Solution.slack`` of the solve that gave
    ``plan``); which rows bind is read from it. ``robust``: the plan's budget row counts
    p95 costs (as ``optimize(robust=True)``). Extra solves: one CP-SAT re-solve, one LP,
    and one more CP-SAT solve when a task has ``split: false``; each limited to
    ``time_limit_s``. A part whose solve fails (time limit) is left out (None) rather than
    failing the plan. ``relative_gap``:
    the re-solves accept the same gap as the plan did.
    """
    # Imported here: optimize imports this module for explain_plan.
    from costplan.formulation import index_table

    idx = index_table(table, plan.objective, plan.budget_pusd, robust)  # type: ignore[arg-type]
    p = idx.problem
    where = {_key(o.task, o.kind, o.model, o.mode, o.cache): i for i, o in enumerate(idx.options)}
    counts = [0] * len(idx.options)
    for tp in plan.tasks:
        for a in tp.allocations:
            i = where.get(_key(tp.name, a.kind, a.model, a.mode, a.cache))
            if i is not None:
                counts[i] = a.count
    by_task: dict[str, list[int]] = {}
    for i, o in enumerate(idx.options):
        by_task.setdefault(o.task, []).append(i)
    budget_cost = p.budget_cost if p.budget_cost is not None else p.cost
    s = _Solved(idx.options, counts, [int(c) for c in budget_cost], by_task, p)
    return Explanations(
        marginal=_marginal(table, plan, s, robust, time_limit_s, relative_gap),
        budget=_budget_binding(table, plan, s, slack),
        floors=_floor_bindings(table, s, slack),
        side=tuple(
            SideBinding(row.label, _row_binds([int(a) for a in row.coef], _slack(slack, row.key)))
            for row in p.extra
        ),
        split=_split_effect(table, plan, robust, time_limit_s, relative_gap),
        runner_ups=_runner_ups(table, plan, s.options, s.counts, s.by_task),
    )


def _slack(slack: Mapping[str, Fraction], label: str) -> int:
    """The solver's slack of row ``label``, an integer in the row's own units."""
    value = slack.get(label)
    if value is None:
        raise InternalError(f"the solver reported no slack for row {label!r}")
    if value.denominator != 1:
        raise InternalError(f"row {label!r} has a fractional slack {value}")
    return int(value)


def _budget_binding(
    table: OptionTable, plan: Plan, s: _Solved, slack: Mapping[str, Fraction]
) -> BudgetBinding | None:
    if plan.budget_pusd is None:
        return None
    upgrade: int | None = None
    for t in table.workload.tasks:
        opts = s.by_task.get(t.name, [])
        for i in opts:
            if s.counts[i] == 0:
                continue
            for j in opts:
                if s.options[j].quality_micro > s.options[i].quality_micro:
                    d = s.budget_cost[j] - s.budget_cost[i]
                    d = d if t.split else d * t.volume
                    upgrade = d if upgrade is None else min(upgrade, d)
    left = _slack(slack, "budget")
    binds = plan.objective == "max_quality" and upgrade is not None and upgrade > left
    return BudgetBinding(plan.budget_pusd, left, upgrade, binds)


def _floor_bindings(
    table: OptionTable, s: _Solved, slack: Mapping[str, Fraction]
) -> tuple[FloorBinding, ...]:
    out = []
    q = [o.quality_micro for o in s.options]
    c = [o.cost_pusd for o in s.options]
    for t in table.workload.tasks:
        if t.min_quality is None or t.volume == 0:
            continue
        opts = s.by_task.get(t.name, [])
        left = _slack(slack, f"floor:{t.name}")
        # Quality lost by each cheaper, weaker move (one query, or the whole task).
        losses = [
            (q[i] - q[j]) * (1 if t.split else t.volume)
            for i in opts
            if s.counts[i] > 0
            for j in opts
            if c[j] < c[i] and q[j] < q[i]
        ]
        binds = bool(losses) and min(losses) > left
        out.append(FloorBinding(t.name, t.min_quality, left, t.volume, binds))
    return tuple(out)


def _row_binds(coef: Sequence[int], left: int) -> bool:
    """Not one more query fits: slack below the smallest positive coefficient."""
    positive = [a for a in coef if a > 0]
    return bool(positive) and left < min(positive)


def _marginal(
    table: OptionTable,
    plan: Plan,
    s: _Solved,
    robust: bool,
    time_limit_s: float,
    relative_gap: float = 0.0,
) -> MarginalValue | None:
    from costplan.frontier import LpRelaxation
    from costplan.optimize import solve_table

    # min_cost: from the plan's own cost, as the budget row counts it (p95 when robust).
    spent = sum(c * n for c, n in zip(s.budget_cost, s.counts, strict=True))
    at = plan.budget_pusd if plan.objective == "max_quality" else spent
    if at is None:
        return None
    delta = max(at // DELTA_FRACTION, MIN_DELTA_PUSD)
    try:
        options, sol = solve_table(
            table,
            objective="max_quality",
            budget_pusd=at + delta,
            time_limit_s=time_limit_s,
            robust=robust,
            relative_gap=relative_gap,
        )
    except _NO_ANSWER:
        return None
    quality = sum(int(n) * o.quality_micro for n, o in zip(sol.counts, options, strict=True))
    # The LP's budget row uses expected costs; robust plans' rows use p95 costs.
    problem = s.problem
    if problem.budget_cost is not None:
        problem = dataclasses.replace(problem, cost=problem.budget_cost)
    dual = LpRelaxation(problem).budget_dual(at)
    return MarginalValue(
        at,
        delta,
        quality - plan.quality_micro_total,
        sol.status,
        # Held as written in plan files (6 significant digits) so that files round-trip.
        None if dual is None else float(rate_str(dual)),
    )


def _split_effect(
    table: OptionTable, plan: Plan, robust: bool, time_limit_s: float, relative_gap: float = 0.0
) -> SplitEffect | None:
    from costplan.optimize import solve_table

    w = table.workload
    fixed = [t for t in w.tasks if not t.split and t.volume > 0]
    if not fixed:
        return None
    relaxed = dataclasses.replace(
        table,
        workload=dataclasses.replace(
            w, tasks=tuple(dataclasses.replace(t, split=True) for t in w.tasks)
        ),
    )
    try:
        options, sol = solve_table(
            relaxed,
            objective=plan.objective,  # type: ignore[arg-type]
            budget_pusd=plan.budget_pusd,
            time_limit_s=time_limit_s,
            robust=robust,
            relative_gap=relative_gap,
        )
    except _NO_ANSWER:
        return None
    used: dict[str, int] = {}
    for n, o in zip(sol.counts, options, strict=True):
        if n > 0:
            used[o.task] = used.get(o.task, 0) + 1
    plan_tasks = {t.name: t for t in plan.tasks}
    choices = tuple(
        SplitChoice(
            t.name,
            plan_tasks[t.name].allocations[0].label if plan_tasks[t.name].allocations else "",
            used.get(t.name, 0) > 1,
        )
        for t in fixed
    )
    return SplitEffect(
        relaxed_cost_pusd=sum(
            int(n) * o.cost_pusd for n, o in zip(sol.counts, options, strict=True)
        ),
        relaxed_quality_micro=sum(
            int(n) * o.quality_micro for n, o in zip(sol.counts, options, strict=True)
        ),
        status=sol.status,
        tasks=choices,
    )


def _runner_ups(
    table: OptionTable,
    plan: Plan,
    options: Sequence[Option],
    counts: Sequence[int],
    by_task: Mapping[str, list[int]],
) -> tuple[RunnerUp, ...]:
    out = []
    plan_cost = plan.cost_pusd
    for t in table.workload.tasks:
        opts = by_task.get(t.name, [])
        used = sorted((o for o in opts if counts[o] > 0), key=lambda o: -counts[o])
        if t.volume == 0 or not used:
            continue
        main = used[0]
        # A dominated option (another is at least as good and no dearer) is never a
        # sensible alternative, e.g. standard mode beside a cheaper batch mode.
        sensible = [o for o, beaten in zip(opts, _dominated(options, opts), strict=True)
                    if not beaten]  # fmt: skip
        candidates = [o for o in sensible if counts[o] == 0] or used[1:]
        if not candidates:
            continue
        r = max(candidates, key=lambda o: (options[o].quality_micro, -options[o].cost_pusd))
        ro, mo = options[r], options[main]
        task_cost = sum(options[o].cost_pusd * counts[o] for o in opts)
        task_quality = sum(options[o].quality_micro * counts[o] for o in opts)
        whole_cost = ro.cost_pusd * t.volume - task_cost
        out.append(
            RunnerUp(
                task=t.name,
                current=mo.label,
                label=ro.label,
                model=ro.model,
                mode=ro.mode,
                kind=ro.kind,
                cost_per_query_pusd=ro.cost_pusd,
                quality=ro.quality,
                whole_cost_delta_pusd=whole_cost,
                whole_quality_delta_micro=ro.quality_micro * t.volume - task_quality,
                query_cost_delta_pusd=ro.cost_pusd - mo.cost_pusd,
                query_quality_delta_micro=ro.quality_micro - mo.quality_micro,
                splittable=t.split,
                meets_floor=t.min_quality is None or ro.quality >= t.min_quality,
                within_budget=plan.budget_pusd is None
                or plan_cost + whole_cost <= plan.budget_pusd,
            )
        )
    return tuple(out)


def _dominated(options: Sequence[Option], opts: Sequence[int]) -> list[bool]:
    """Per option of ``opts``: does another one have at least its quality at no more cost,
    and is strictly better in one of the two? In O(n log n): sorted by cost, option ``a``
    is dominated exactly when an option strictly cheaper has quality ``>= q_a``, or one of
    the same cost has quality ``> q_a``."""
    q = [options[i].quality_micro for i in opts]
    c = [options[i].cost_pusd for i in opts]
    order = sorted(range(len(opts)), key=lambda k: (c[k], -q[k]))  # cost up, quality down
    out = [False] * len(opts)
    best_cheaper = None  # the best quality among options strictly cheaper than this cost
    k = 0
    while k < len(order):
        cost = c[order[k]]
        top = q[order[k]]  # the best quality at this cost (quality down within a cost)
        end = k
        while end < len(order) and c[order[end]] == cost:
            end += 1
        for i in order[k:end]:
            out[i] = (best_cheaper is not None and best_cheaper >= q[i]) or top > q[i]
        best_cheaper = top if best_cheaper is None else max(best_cheaper, top)
        k = end
    return out


def rate_str(x: float | Decimal) -> str:
    """A rate as plan files write it: 6 significant digits."""
    return f"{x:.6g}"
