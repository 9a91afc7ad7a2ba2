"""Library core of ``costplan assign``: one model per query, at scale.

Formulation (multiple-choice knapsack; groups g = queries, options k = model x mode)::

    choose  exactly one feasible option k(g) for every query g
    max_quality:  maximise sum_g q[g, k(g)]  s.t.  sum_g c[g, k(g)] <= budget
    min_cost:     minimise sum_g c[g, k(g)]  s.t.  sum_g q[g, k(g)] >= floor x G
    side rows:    per-model capacity (requests, tokens), provider spend shares,
                  per-task quality floors (each ``sum_g a_r[g, k(g)] <= b_r``)

``c`` is the exact cost of the query in pico-dollars from the one cost function
(:func:`costplan.pricing.cost.request_cost_pusd`, vectorised over queries),
``q`` the predicted quality in micro-units. An option is infeasible for a query
when the model has no quality for it or its request does not fit the context
window / max output. The solver (:mod:`costplan.solvers.mckp`) reduces each
query to its LP-undominated options, solves the LP by greedy, and closes the gap
exactly; the LP value is reported as the bound.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from costplan.errors import InfeasibleError, InputError, InternalError, SolverLimitError
from costplan.hindsight import notes_for as hindsight_notes
from costplan.money import floor_to_micro, fmt_over_budget
from costplan.options import tokenizer_for
from costplan.plan import AS_GIVEN, Allocation, Plan, TaskPlan
from costplan.preflight import verify_assignment
from costplan.pricing.cost import request_cost_pusd
from costplan.pricing.model import PriceSheet
from costplan.queries import QUALITY_SCALE, QuerySet
from costplan.risk.plans import exact_risk
from costplan.tokens.tokenizer import TokenizerSpec
from costplan.validation import did_you_mean
from costplan.workload.model import share_cap

if TYPE_CHECKING:
    from costplan.solvers.constrained import LinearConstraint, ShareConstraint
    from costplan.solvers.protocol import Solution

Objective = Literal["max_quality", "min_cost"]
#: Share caps have at most 9 decimals, which keeps ``num * den`` of a cap below 2**62.
MAX_SHARE_DENOMINATOR = 10**9


@dataclass(frozen=True)
class AssignOption:
    model: str
    provider: str
    mode: str


@dataclass(frozen=True)
class AssignSideConstraints:
    """Capacity per model per period, provider spend-share caps, per-task mean floors."""

    capacity_requests: dict[str, int]
    capacity_tokens: dict[str, int]
    max_provider_share: dict[str, Decimal]
    task_min_quality: dict[str, Decimal]

    @classmethod
    def none(cls) -> AssignSideConstraints:
        return cls({}, {}, {}, {})


@dataclass(frozen=True)
class Assignment:
    """The answer: one option per query, with exact per-query money and the summary plan."""

    queries: QuerySet
    options: tuple[AssignOption, ...]
    choice: npt.NDArray[np.int64]  # (G,) option index
    cost_pusd: npt.NDArray[np.int64]  # (G,) cost of the chosen option
    quality_micro: npt.NDArray[np.int64]  # (G,)
    plan: Plan


def _token_matrix(
    qs: QuerySet,
    sheet: PriceSheet,
    progress: Callable[[int], None] | None,
) -> dict[str, npt.NDArray[np.int64]]:
    """Prompt tokens per query for each model (each text encoded once per encoding)."""
    from costplan.tokens.count import TokenCounter

    out: dict[str, npt.NDArray[np.int64]] = {}
    if qs.prompt_tokens is not None:
        return dict.fromkeys(qs.models, qs.prompt_tokens)
    assert qs.texts is not None
    counter = TokenCounter(qs.texts, progress=progress)
    by_spec: dict[TokenizerSpec, npt.NDArray[np.int64]] = {}
    for m in qs.models:
        spec = tokenizer_for(sheet.models[m])
        if spec not in by_spec:
            by_spec[spec] = counter.counts(spec)
        out[m] = by_spec[spec]
    return out


#: Options and (G, K) arrays: cost (pico-dollars), value (micro), feasible, tokens.
Arrays = tuple[
    tuple[AssignOption, ...],
    npt.NDArray[np.int64],
    npt.NDArray[np.int64],
    npt.NDArray[np.bool_],
    npt.NDArray[np.int64],
]


def build_arrays(
    qs: QuerySet,
    sheet: PriceSheet,
    *,
    modes: Sequence[str] = ("standard",),
    progress: Callable[[int], None] | None = None,
) -> Arrays:
    """Options and (G, K) arrays: cost (pico-dollars), value (micro), feasible, tokens."""
    for m in qs.models:
        if m not in sheet.models:
            where = ", ".join(str(p) for p in sheet.paths) or "the price sheet"
            raise InputError(
                f"unknown model in the query file's quality (not in {where})",
                file=qs.path,
                key=f"quality.{m}",
                value=m,
                hint=did_you_mean(m, sheet.models),
            )
    tokens = _token_matrix(qs, sheet, progress)
    # The option list first, then each (G, K) array allocated once and filled column by
    # column: no list of columns beside a stacked copy beside an astype copy (three times
    # the matrix at the peak before).
    columns: list[tuple[int, str, str]] = []  # (model column, model, mode) per option
    for k, m in enumerate(qs.models):
        for mode in modes:
            if mode in sheet.models[m].available_modes():
                columns.append((k, m, mode))
    options = tuple(AssignOption(m, sheet.models[m].provider, mode) for _, m, mode in columns)
    shape = (qs.size, len(columns))
    cost = np.empty(shape, dtype=np.int64)
    value = np.empty(shape, dtype=np.int64)
    feasible = np.empty(shape, dtype=np.bool_)
    # Token use per query depends only on the prompt-token array (shared by every model of
    # one tokenizer): one (G,) total per distinct array, and a read-only broadcast view
    # instead of a (G, K) matrix when every option shares it (token counts given).
    totals: dict[int, npt.NDArray[np.int64]] = {}
    for j, (k, m, mode) in enumerate(columns):
        model = sheet.models[m]
        prompt = tokens[m]
        total_in = prompt + qs.cached_tokens
        if id(prompt) not in totals:
            totals[id(prompt)] = (total_in + qs.output_tokens).astype(np.int64, copy=False)
        fits = np.ones(qs.size, dtype=np.bool_)
        if model.context_window is not None:
            fits &= total_in + qs.output_tokens <= model.context_window
        if model.max_output_tokens is not None:
            fits &= qs.output_tokens <= model.max_output_tokens
        cost[:, j] = request_cost_pusd(
            model.schedule(mode), uncached=prompt, cached=qs.cached_tokens, output=qs.output_tokens
        )
        q = qs.quality_micro[:, k]
        np.maximum(q, 0, out=value[:, j])
        np.logical_and(fits, q >= 0, out=feasible[:, j])
    token_use: npt.NDArray[np.int64]
    if len(totals) == 1:
        token_use = np.broadcast_to(next(iter(totals.values()))[:, None], shape)
    else:
        token_use = np.empty(shape, dtype=np.int64)
        for j, (_, m, _) in enumerate(columns):
            token_use[:, j] = totals[id(tokens[m])]
    empty = ~feasible.any(axis=1)
    if empty.any():
        g = int(np.flatnonzero(empty)[0])
        raise InfeasibleError(
            f"query {qs.ids[g]!r} has no usable model "
            f"({int(empty.sum())} such queries): no quality given, or the request does not fit "
            "any model's context window",
            file=qs.path,
        )
    return options, cost, value, feasible, token_use


def _side_rows(
    qs: QuerySet,
    options: Sequence[AssignOption],
    cost: npt.NDArray[np.int64],
    value: npt.NDArray[np.int64],
    token_use: npt.NDArray[np.int64],
    side: AssignSideConstraints,
) -> tuple[list[LinearConstraint], list[ShareConstraint]]:
    """Side constraints: rows ``sum_g coef[g, k(g)] <= rhs`` and exact share rows.

    A share cap ``s = num/den`` of provider ``p`` is ``den * spend(p) <= num * spend(all)``,
    kept as a ratio (:class:`~costplan.solvers.constrained.ShareConstraint`) so that its
    sums stay exact and small whatever ``den`` is.
    """
    from costplan.solvers.constrained import LinearConstraint, ShareConstraint

    rows: list[LinearConstraint] = []
    shares: list[ShareConstraint] = []
    models = [o.model for o in options]
    providers = [o.provider for o in options]
    for m, limit in side.capacity_requests.items():
        mask = np.asarray([x == m for x in models])
        coef = np.broadcast_to(mask.astype(np.int64), cost.shape).copy()
        rows.append(LinearConstraint(coef, limit, f"capacity of {m}: {limit:,} requests",
                                     f"capacity:{m}:requests"))
    for m, limit in side.capacity_tokens.items():
        mask = np.asarray([x == m for x in models])
        rows.append(LinearConstraint(token_use * mask, limit, f"capacity of {m}: {limit:,} tokens",
                                     f"capacity:{m}:tokens"))
    for prov in sorted(set(providers)):
        share = share_cap(side.max_provider_share, prov)
        if share is None or share >= 1:
            continue
        f = Fraction(share)
        if f.denominator > MAX_SHARE_DENOMINATOR:
            raise InputError(
                "a share cap has at most 9 decimals",
                key=f"--max-provider-share {prov}",
                value=share,
            )
        mask = np.asarray([p == prov for p in providers])
        label = f"{prov} at most {share * 100:g}% of spend"
        shares.append(ShareConstraint(cost * mask, cost, f.numerator, f.denominator, label,
                                      f"share:{prov}"))
    tasks = np.asarray(qs.tasks)
    for task, floor in side.task_min_quality.items():
        in_task = tasks == task
        if not in_task.any():
            raise InputError("quality floor for a task no query has", value=task)
        f_micro = floor_to_micro(floor)
        # sum_{g in task} (floor - q) <= 0
        coef = np.where(in_task[:, None], f_micro - value, 0).astype(np.int64)
        rows.append(LinearConstraint(coef, 0, f"task {task} mean quality >= {floor}",
                                     f"floor:{task}"))
    return rows, shares


def assign(
    qs: QuerySet,
    sheet: PriceSheet,
    *,
    objective: Objective = "max_quality",
    budget_pusd: int | None = None,
    min_mean_quality: Decimal | None = None,
    modes: Sequence[str] = ("standard",),
    side: AssignSideConstraints | None = None,
    time_limit_s: float | None = 60.0,
    progress: Callable[[int], None] | None = None,
    arrays: Arrays | None = None,
) -> Assignment:
    """Assign every query to one option (see the module docstring).

    ``arrays``: what :func:`build_arrays` returns for ``qs``, when already built (the Dask
    engine builds them shard by shard with that function); None builds them here.
    """
    from costplan.solvers.constrained import solve_constrained
    from costplan.solvers.mckp import MckpProblem, solve_mckp

    if objective == "max_quality" and budget_pusd is None:
        raise InputError("a budget is required for objective max_quality", hint="pass --budget")
    options, cost, value, feasible, token_use = arrays or build_arrays(
        qs, sheet, modes=modes, progress=progress
    )
    rows, shares = _side_rows(
        qs, options, cost, value, token_use, side or AssignSideConstraints.none()
    )
    min_value = None
    if min_mean_quality is not None:
        # The whole floor rounded up once: sum_g q_g >= ceil(floor x 10**6 x G).
        min_value = -(-Fraction(min_mean_quality) * QUALITY_SCALE * qs.size // 1)
    problem = MckpProblem(
        cost=cost,
        value=value,
        feasible=feasible,
        budget=budget_pusd,
        objective="max_value" if objective == "max_quality" else "min_cost",
        min_value=min_value,
    )
    if rows or shares:
        result = solve_constrained(problem, rows, shares=shares, time_limit_s=time_limit_s)
    else:
        result = solve_mckp(problem, time_limit_s=time_limit_s)
    if result.status == "infeasible":
        cheapest = int(np.where(feasible, cost, np.iinfo(np.int64).max).min(axis=1).sum())
        if objective == "max_quality" and budget_pusd is not None and cheapest > budget_pusd:
            cost_text, budget_text, shortfall = fmt_over_budget(cheapest, budget_pusd)
            raise InfeasibleError(
                f"no assignment fits the budget: the cheapest model for every query costs "
                f"{cost_text}; budget is {budget_text}",
                hint=f"raise the budget by {shortfall}",
            )
        labels = "; ".join([r.label for r in rows] + [s.label for s in shares])
        labels = labels or "the quality floor"
        raise InfeasibleError(f"no assignment meets the constraints ({labels})")
    if result.status not in ("optimal", "feasible"):
        raise SolverLimitError("no assignment found within the time limit")
    g = np.arange(qs.size)
    if not feasible[g, result.choice].all():
        raise InternalError("per-query assignment uses an infeasible option (a solver bug)")
    return finish_assignment(qs, sheet, options, result, cost[g, result.choice],
                             value[g, result.choice], objective=objective,
                             budget_pusd=budget_pusd, min_mean_quality=min_mean_quality,
                             modes=modes, side=side, notes=hindsight_notes(qs))  # fmt: skip


def finish_assignment(
    qs: QuerySet,
    sheet: PriceSheet,
    options: Sequence[AssignOption],
    result: Solution,
    chosen_cost: npt.NDArray[np.int64],
    chosen_q: npt.NDArray[np.int64],
    *,
    objective: Objective,
    budget_pusd: int | None,
    min_mean_quality: Decimal | None,
    modes: Sequence[str],
    side: AssignSideConstraints | None,
    notes: tuple[str, ...],
) -> Assignment:
    """The summary plan of a solved assignment, checked by the independent checker.

    ``result``: a feasible or optimal solution; ``chosen_cost``/``chosen_q``: each query's
    cost and quality under ``result.choice``; ``notes``: appended to the plan's notes. Only
    ``qs``'s ids, tasks, path, digest and default output are read (the Dask engine hands over a
    query set without the per-model columns).
    """
    from costplan.solvers.protocol import certificate_to_dict

    plan = _summary_plan(
        qs, sheet, options, result.choice, chosen_cost, chosen_q,
        objective=objective, budget_pusd=budget_pusd, status=result.status,
        bound=result.bound, gap=result.gap, stats=dict(result.stats),
        certificate=certificate_to_dict(  # the checker re-derives every proof kind
            result, "quality_micro" if objective == "max_quality" else "pusd",
            checkable=("lagrangian", "core", "search"),
        ),
    )  # fmt: skip
    plan = dataclasses.replace(plan, assign=_settings(qs, modes, min_mean_quality, side))
    # The independent checker re-prices the plan document, query by query, before anyone sees it.
    plan = verify_assignment(plan, qs, sheet, list(options), result.choice, chosen_cost,
                             chosen_q)  # fmt: skip
    plan = dataclasses.replace(plan, notes=(*plan.notes, *notes))
    if budget_pusd is not None and int(chosen_cost.sum()) > budget_pusd:
        raise InternalError("per-query assignment exceeds the budget (a solver bug)")
    return Assignment(qs, tuple(options), result.choice, chosen_cost, chosen_q, plan)


def _settings(
    qs: QuerySet,
    modes: Sequence[str],
    min_mean_quality: Decimal | None,
    side: AssignSideConstraints | None,
) -> dict[str, Any]:
    """What the plan was solved under, recorded in the plan file (``assign:``)."""
    s = side or AssignSideConstraints.none()
    return {
        "modes": list(modes),
        "output_tokens": qs.default_output_tokens,
        "min_quality": None if min_mean_quality is None else str(min_mean_quality),
        "capacity_requests": dict(s.capacity_requests),
        "capacity_tokens": dict(s.capacity_tokens),
        "max_provider_share": {p: str(v) for p, v in s.max_provider_share.items()},
        "task_min_quality": {t: str(v) for t, v in s.task_min_quality.items()},
    }


def write_assignments(result: Assignment, path: Path) -> None:
    """Per-query results, ``.csv`` or ``.jsonl`` (CSV on standard output), atomically and
    streamed (:mod:`costplan.assignio`): id, task, model, mode, cost, quality.

    Money is the exact decimal string of the query's pico-dollar cost.
    """
    from costplan.assignio import write_rows
    from costplan.safeio import is_stdout

    qs = result.queries
    write_rows(path, is_stdout(path), ids=qs.ids, tasks=qs.tasks,
               labels=[(o.model, o.mode) for o in result.options], choice=result.choice,
               cost_pusd=result.cost_pusd, quality_micro=result.quality_micro)  # fmt: skip


def _task_codes(tasks: Sequence[str]) -> tuple[list[str], npt.NDArray[np.int64]]:
    """The distinct tasks in order of first appearance, and each query's index into them
    (Arrow's dictionary encoding keeps that order; no Python loop over the queries)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(pa.array(tasks, type=pa.string()))
    names = [str(t) for t in enc.dictionary.to_pylist()]
    return names, enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)


def _summary_plan(
    qs: QuerySet,
    sheet: PriceSheet,
    options: Sequence[AssignOption],
    choice: npt.NDArray[np.int64],
    cost: npt.NDArray[np.int64],
    quality: npt.NDArray[np.int64],
    *,
    objective: Objective,
    budget_pusd: int | None,
    status: str,
    bound: int | None,
    gap: Fraction | None,
    stats: dict[str, float | int],
    certificate: dict[str, Any] | None = None,
) -> Plan:
    """Aggregate per (task, option) with exact totals, so totals equal the per-query sums."""
    task_names, task_idx = _task_codes(qs.tasks)
    key = task_idx * len(options) + choice
    n_keys = len(task_names) * len(options)
    counts = np.bincount(key, minlength=n_keys)
    # Exact integer sums in int64 when they cannot overflow, else in Python ints.
    safe = int(cost.max(initial=0)) * len(cost) < 2**62
    dtype: type = np.int64 if safe else object
    cost_sum: npt.NDArray[Any] = np.zeros(n_keys, dtype=dtype)
    np.add.at(cost_sum, key, cost.astype(dtype))
    q_sum = np.zeros(n_keys, dtype=np.int64)
    np.add.at(q_sum, key, quality)
    # Each query's realised quality as an independent Bernoulli of its predicted
    # probability p: the allocation's total has variance sum p (1 - p) (README
    # "Uncertainty"); 0/1 outcomes from an eval have none, and then no interval is claimed.
    p = quality.astype(np.float64) / QUALITY_SCALE
    q_var = np.bincount(key, weights=p * (1 - p), minlength=n_keys)
    volume = np.bincount(task_idx, minlength=len(task_names))
    tasks = []
    for t, name in enumerate(task_names):
        allocs = []
        for k, o in enumerate(options):
            i = t * len(options) + k
            n = int(counts[i])
            if n == 0:
                continue
            total = int(cost_sum[i])
            qtot = int(q_sum[i])
            allocs.append(
                Allocation(
                    model=o.model,
                    provider=o.provider,
                    mode=o.mode,
                    count=n,
                    cost_per_query_pusd=total // n,
                    quality=(Decimal(qtot) / QUALITY_SCALE / n).quantize(
                        Decimal("0.000001"), rounding=ROUND_FLOOR
                    ),
                    cost_source="per-query",
                    cost_total_pusd=total,
                    quality_total_micro=qtot,
                    quality_se=float(np.sqrt(q_var[i])) / n if q_var[i] > 0 else None,
                )
            )
        allocs.sort(key=lambda a: (-a.count, a.model, a.mode))
        tasks.append(TaskPlan(name or "(all)", int(volume[t]), None, tuple(allocs)))
    return Plan(
        workload=qs.path.name,
        period=AS_GIVEN,
        objective=objective,
        budget_pusd=budget_pusd,
        status=status,
        bound=bound,
        gap=gap,
        tasks=tuple(tasks),
        inputs={str(qs.path): qs.sha256, **sheet.sha256},
        solver={"name": "mckp", **{k: v for k, v in stats.items() if isinstance(v, int)}},
        certificate=certificate,
        risk=exact_risk(int(cost_sum.sum()), budget_pusd),
    )
