"""Per-query allocation with side constraints: exact, on a safely reduced model.

Formulation (``G`` queries, ``K`` options, rows ``r`` of side constraints)::

    x[g, k] in {0, 1},  sum_k x[g, k] = 1,  x[g, k] = 0 where not feasible
    max_value: maximise sum value x  s.t.  sum cost x <= budget   (and sum value x >= min_value)
    min_cost:  minimise sum cost x   s.t.  sum value x >= min_value (and sum cost x <= budget)
    rows:      sum_{g,k} coef_r[g, k] x[g, k] <= rhs_r            for every side constraint r
    den_s * sum part_s x <= num_s * sum whole_s x      for every share row s (num/den exact)

Side constraints (model capacity, provider share caps, per-task quality floors) break the
LP-hull reduction of :mod:`costplan.solvers.mckp`: a hull-dominated option can be the only
way to respect a binding capacity. So the reduction here keeps every option that is not
dominated in *every* dimension: option ``k`` of query ``g`` is dropped only when another
option ``j`` has value >= , cost <= and every row coefficient <= (ties to the lower index).
Any plan using ``k`` can then switch to ``j`` without losing value or breaking a constraint,
so the reduction is exact (a share row counts with its combined coefficient
``den * part - num * whole``, in Python integers when int64 could overflow). The reduced
model goes to CP-SAT (one boolean per kept (query, option), exactly one per query, all data
exact integers, fixed seed, nothing scaled); ``bound`` is CP-SAT's proven bound (a float,
widened and rounded away from the objective to an exact integer) and the status is decided by
:func:`costplan.solvers.protocol.settle`. The certificate prices the budget (or quality) row by
the LP of the problem without side rows (their prices are 0, which is valid: ``D`` is then the
bound of a relaxation) and its proof is ``search`` (CP-SAT's).

Warm start: the problem without side rows is solved first by the exact per-query core
(:func:`costplan.solvers.mckp.solve_mckp`, which scales to millions). Its feasible set
contains this problem's, so its optimum bounds this problem; when its plan also satisfies
every side row, that plan *is* optimal here, with the same bound and certificate, and CP-SAT
never runs (a constraint that does not bind costs nothing). Otherwise its plan is CP-SAT's
solution hint.

Lagrangian phase (:mod:`costplan.solvers.sidelag`), when some side row binds: the side
rows are priced, the budget (or quality) row solved by the exact LP at each price, giving a
plan that meets every row exactly and a bound ``D`` whose prices are the certificate (by the
checker's row labels). That plan is CP-SAT's hint; it is the answer when ``floor(D)`` proves
it optimal, when the problem has more than :data:`CPSAT_MAX_CHOICES` usable (query, option)
pairs, or when CP-SAT stops (time or work limit) with nothing better: ``feasible`` with the
exact gap to the best proven bound (CP-SAT's, the unconstrained optimum's, ``D``). Only when
no plan at all is known is a ``SolverLimitError`` raised.

Scale: the CP-SAT phase is intended for up to tens of thousands of queries with binding
side constraints (the reduced model has a few booleans per query).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from costplan.errors import SolverLimitError
from costplan.solvers.cpsat import cp_solver
from costplan.solvers.mckp import MckpProblem, MckpResult, relax
from costplan.solvers.protocol import Certificate, Sense, Solution, round_bound, settle
from costplan.solvers.sidelag import LagrangianResult, SideRow, lagrangian_plan

I64 = npt.NDArray[np.int64]
_LIMIT = 2**62
#: Above this many usable (query, option) pairs CP-SAT is not tried: the Lagrangian plan and
#: bound are the answer (CP-SAT builds one boolean per pair and stalls from ~10**5).
CPSAT_MAX_CHOICES = 200_000


@dataclass(frozen=True)
class LinearConstraint:
    """``sum_g coef[g, choice[g]] <= rhs``."""

    coef: I64  # (G, K)
    rhs: int
    label: str = ""
    name: str = ""  # stable row label (floor:<task>, capacity:<model>, share:<provider>)

    @property
    def key(self) -> str:
        return self.name or self.label


@dataclass(frozen=True)
class ShareConstraint:
    """``den * sum_g part[g, choice[g]] <= num * sum_g whole[g, choice[g]]``, ``whole >= 0``.

    A spend-share cap ``num/den`` (in lowest terms, ``0 <= num <= den``) of the spend
    ``part`` in the total ``whole``. Kept as a ratio rather than one row of
    coefficients ``den * part - num * whole``, whose sums overflow int64 for fine caps
    (0.333333 has den = 10**6) on large spends. CP-SAT gets it exactly, with every
    term small, through integer auxiliaries ``P = sum part x``, ``W = sum whole x``
    and ``W = den * Q + R`` (``0 <= R < den``)::

        P <= num * Q + F,   den * F <= num * R,   F >= 0

    Equivalent: ``num * W / den = num * Q + num * R / den``, and the largest integer
    ``F`` allowed is ``floor(num * R / den)``, so the rows hold iff ``P`` (an integer)
    is at most ``num * W / den``. Terms are bounded by ``W`` and ``num * den`` (< 2**62
    is required: caps with at most 9 decimals).
    """

    part: I64  # (G, K)
    whole: I64  # (G, K), >= 0
    num: int
    den: int
    label: str = ""
    name: str = ""  # stable row label (share:<provider>)

    @property
    def key(self) -> str:
        return self.name or self.label

    def combined(self) -> npt.NDArray[Any]:
        """``den * part - num * whole`` per (query, option), exact (object dtype if needed)."""
        big = (int(np.abs(self.part).max(initial=0)) * self.den
               + int(np.abs(self.whole).max(initial=0)) * self.num)  # fmt: skip
        part, whole = (self.part, self.whole) if big < 2**62 else (
            self.part.astype(object), self.whole.astype(object))  # fmt: skip
        out: npt.NDArray[Any] = part * self.den - whole * self.num
        return out


def undominated(
    cost: I64,
    value: I64,
    feasible: npt.NDArray[np.bool_],
    rows: Sequence[LinearConstraint],
    shares: Sequence[ShareConstraint] = (),
) -> npt.NDArray[np.bool_]:
    """Options not dominated in every dimension (see the module docstring), (G, K)."""
    k = cost.shape[1]
    keep = feasible.copy()
    coefs = [r.coef for r in rows] + [s.combined() for s in shares]
    for j in range(k):
        for i in range(k):
            if i == j:
                continue
            # j dominates i: j feasible, value >=, cost <=, every coef <=, and
            # (strictly better somewhere, or equal everywhere with j < i).
            dom = feasible[:, j] & keep[:, i]
            if not dom.any():
                continue
            dom &= value[:, j] >= value[:, i]
            dom &= cost[:, j] <= cost[:, i]
            strict = (value[:, j] > value[:, i]) | (cost[:, j] < cost[:, i])
            for coef in coefs:
                dom &= coef[:, j] <= coef[:, i]
                strict |= coef[:, j] < coef[:, i]
            dom &= strict | (j < i)
            keep[dom, i] = False
    return keep


def _check_range(name: str, coef: I64, keep: npt.NDArray[np.bool_]) -> None:
    worst = int(np.abs(np.where(keep, coef, 0)).max(axis=1).astype(object).sum())
    if worst >= _LIMIT:
        raise SolverLimitError(f"{name} too large for exact integer solving ({worst})")


def _add_share(
    model: Any, xs: list[Any], part: list[int], whole: list[int], s: ShareConstraint, j: int
) -> None:
    """The exact small-term rows of one share constraint (see :class:`ShareConstraint`)."""
    from ortools.sat.python import cp_model

    w_max = sum(max(0, c) for c in whole)
    p_lo, p_hi = sum(min(0, c) for c in part), sum(max(0, c) for c in part)
    p = model.new_int_var(p_lo, p_hi, f"share{j}_part")
    w = model.new_int_var(0, w_max, f"share{j}_whole")
    q = model.new_int_var(0, w_max // s.den, f"share{j}_q")
    r = model.new_int_var(0, s.den - 1, f"share{j}_r")
    f = model.new_int_var(0, s.num, f"share{j}_f")
    model.add(p == cp_model.LinearExpr.weighted_sum(xs, part))
    model.add(w == cp_model.LinearExpr.weighted_sum(xs, whole))
    model.add(w == s.den * q + r)
    model.add(s.den * f <= s.num * r)
    model.add(p <= s.num * q + f)


def solve_constrained(
    problem: MckpProblem,
    rows: Sequence[LinearConstraint],
    *,
    shares: Sequence[ShareConstraint] = (),
    time_limit_s: float | None = 60.0,
    num_workers: int = 1,
    seed: int = 0,
) -> MckpResult:
    """Solve ``problem`` with side ``rows`` exactly (see the module docstring)."""
    from costplan.solvers.mckp import solve_mckp

    t0 = time.perf_counter()
    cost = np.asarray(problem.cost, dtype=np.int64)
    value = np.asarray(problem.value, dtype=np.int64)
    feasible = np.asarray(problem.feasible, dtype=np.bool_)
    free = solve_mckp(problem, time_limit_s=time_limit_s)
    if free.status == "infeasible":  # a restriction of an infeasible problem is infeasible
        return free
    if free.status in ("optimal", "feasible") and _satisfies(free.choice, rows, shares):
        return _warm(free, problem, cost, value, rows, shares, time.perf_counter() - t0)
    lag, lag_cert = _lagrangian(problem, cost, value, feasible, rows, shares, _lp_price(free))
    maximize = problem.objective == "max_value"
    sense: Sense = "max" if maximize else "min"
    if time_limit_s is not None:
        time_limit_s = max(0.1, time_limit_s - (time.perf_counter() - t0))
    if lag.plan is not None and lag_cert is not None and lag_cert.lagrangian_bound is not None:
        z = _objective(cost, value, lag.plan, maximize)
        big = int(feasible.sum()) > CPSAT_MAX_CHOICES
        if big or round_bound(lag_cert.lagrangian_bound, sense) == z:  # no search needed
            info: dict[str, float | int] = {
                     "groups": int(cost.shape[0]), "options": int(cost.shape[1]),
                     "side_rows": len(rows) + len(shares), "cpsat_status": -1,
                     "lagrangian_evaluations": lag.evaluations, "lagrangian_moves": lag.moves,
                     "lagrangian_restricted": lag.restricted,
                     "t_total": time.perf_counter() - t0}  # fmt: skip
            return _finish(problem, cost, value, free, lag.plan, None, lag_cert, rows, shares,
                           "lagrangian", info, t0)  # fmt: skip
    from ortools.sat.python import cp_model  # imported only when CP-SAT runs (about 1 s)

    keep = undominated(cost, value, feasible, rows, shares)
    for name, arr in (
        ("costs", cost),
        ("values", value),
        *((r.label or "row", r.coef) for r in rows),
        *((s.label or "share", a) for s in shares for a in (s.part, s.whole)),
    ):
        _check_range(name, arr, keep)
    for s in shares:
        if not 0 <= s.num <= s.den or s.num * s.den >= _LIMIT or (s.whole < 0).any():
            raise SolverLimitError(f"{s.label or 'share'}: cap {s.num}/{s.den} out of range")
    gi, ki = np.nonzero(keep)
    model = cp_model.CpModel()
    xs = [model.new_bool_var(f"x{g}_{k}") for g, k in zip(gi.tolist(), ki.tolist(), strict=True)]
    starts = np.searchsorted(gi, np.arange(cost.shape[0] + 1))
    for g in range(cost.shape[0]):
        model.add_exactly_one(xs[starts[g] : starts[g + 1]])
    c = cost[gi, ki].tolist()
    v = value[gi, ki].tolist()
    cost_expr = cp_model.LinearExpr.weighted_sum(xs, c)
    value_expr = cp_model.LinearExpr.weighted_sum(xs, v)
    if problem.budget is not None:
        model.add(cost_expr <= int(problem.budget))
    if problem.min_value is not None:
        model.add(value_expr >= int(problem.min_value))
    for r in rows:
        model.add(cp_model.LinearExpr.weighted_sum(xs, r.coef[gi, ki].tolist()) <= int(r.rhs))
    for j, s in enumerate(shares):
        _add_share(model, xs, s.part[gi, ki].tolist(), s.whole[gi, ki].tolist(), s, j)
    hint = lag.plan if lag.plan is not None else (
        free.choice if free.status in ("optimal", "feasible") else None)  # fmt: skip
    if hint is not None:  # the Lagrangian plan (else the unconstrained one) as a hint
        hinted = ki == np.asarray(hint)[gi]
        for x, h in zip(xs, hinted.tolist(), strict=True):
            model.add_hint(x, h)
    if maximize:
        model.maximize(value_expr)
    else:
        model.minimize(cost_expr)
    solver = cp_solver(time_limit_s, num_workers=num_workers, seed=seed)
    code = solver.solve(model)
    stats: dict[str, float | int] = {
        "groups": int(cost.shape[0]),
        "options": int(cost.shape[1]),
        "kept_options": len(xs),
        "side_rows": len(rows) + len(shares),
        "lagrangian_evaluations": lag.evaluations,
        "lagrangian_moves": lag.moves,
        "lagrangian_restricted": lag.restricted,
        "cpsat_status": int(code),
    }
    empty = np.zeros(cost.shape[0], dtype=np.int64)
    if code == cp_model.INFEASIBLE:
        stats["t_total"] = time.perf_counter() - t0
        return Solution("infeasible", empty, 0, None, None, method="cp-sat", stats=stats)
    bound: int | None = None
    choice: I64 | None = None
    method = "cp-sat"
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        chosen = np.asarray([solver.boolean_value(x) for x in xs], dtype=np.bool_)
        choice = empty.copy()
        choice[gi[chosen]] = ki[chosen]
        if code == cp_model.OPTIMAL:
            bound = _objective(cost, value, choice, maximize)
        else:
            raw = float(solver.best_objective_bound)
            margin = abs(raw) * 2.0**-50 + 1e-6
            bound = math.floor(raw + margin) if maximize else math.ceil(raw - margin)
    if lag.plan is not None and (choice is None or _better(
            _objective(cost, value, lag.plan, maximize),
            _objective(cost, value, choice, maximize), maximize)):  # fmt: skip
        choice, method = lag.plan, "lagrangian (cp-sat did not improve it)"
    if choice is None:
        raise SolverLimitError(
            "no plan satisfying the side constraints found within the time limit",
            hint="raise --time-limit",
        )
    stats["t_total"] = time.perf_counter() - t0
    return _finish(problem, cost, value, free, choice, bound, lag_cert, rows, shares, method,
                   stats, t0)  # fmt: skip


def _finish(problem: MckpProblem, cost: I64, value: I64, free: MckpResult, choice: I64,
            bound: int | None, lag_cert: Certificate | None, rows: Sequence[LinearConstraint],
            shares: Sequence[ShareConstraint], method: str, stats: dict[str, float | int],
            t0: float) -> MckpResult:  # fmt: skip
    """The answer for a plan meeting every row: status by :func:`settle` from the best
    bound known (CP-SAT's, the unconstrained problem's, the certificate's ``D``)."""
    maximize = problem.objective == "max_value"
    sense: Sense = "max" if maximize else "min"
    if free.bound is not None:  # the problem without side rows is a relaxation
        fb = int(free.bound)
        bound = fb if bound is None else (min(bound, fb) if maximize else max(bound, fb))
    objective = _objective(cost, value, choice, maximize)
    cert = lag_cert or _certificate(problem, cost, value, np.asarray(problem.feasible))
    if cert.lagrangian_bound is not None and cert.proof != "none":
        tight = round_bound(cert.lagrangian_bound, sense) == objective
        cert = dataclasses.replace(cert, proof="lagrangian" if tight else "search")
    status, ub, gap = settle(sense, objective, bound, cert)
    slack = _slack(problem, cost, value, choice, rows, shares)
    return Solution(status, choice, objective, ub, gap, cert, slack, (), method,
                    time.perf_counter() - t0, stats)  # fmt: skip


def _objective(cost: I64, value: I64, choice: I64, maximize: bool) -> int:
    at = np.arange(cost.shape[0])
    return int(value[at, choice].sum(dtype=np.int64) if maximize
               else cost[at, choice].sum(dtype=np.int64))  # fmt: skip


def _better(a: int, b: int, maximize: bool) -> bool:
    return a > b if maximize else a < b


def _lp_price(free: MckpResult) -> Fraction | None:
    """The LP price of the primary row in the unconstrained solve (its certificate's budget or
    quality price; 0 when absent), the same in :mod:`~costplan.solvers.sidelag`'s canonical
    units (the per-query shifts of the canonical form do not move it); ``None``: unknown."""
    cert = free.certificate
    if cert is None:
        return None
    return next(iter(cert.prices.values()), Fraction(0))


def _lagrangian(
    problem: MckpProblem,
    cost: I64,
    value: I64,
    feasible: npt.NDArray[np.bool_],
    rows: Sequence[LinearConstraint],
    shares: Sequence[ShareConstraint],
    warm: Fraction | None = None,
) -> tuple[LagrangianResult, Certificate | None]:
    """The side rows priced by :mod:`costplan.solvers.sidelag`: its incumbent and the
    certificate of its least ``D`` (prices by the checker's row labels). ``warm``: the
    unconstrained solve's LP price, where the search's first evaluation looks first."""
    maximize = problem.objective == "max_value"
    side = [SideRow(r.coef, int(r.rhs), r.key) for r in rows]
    side += [SideRow(s.combined(), 0, s.key, s.den) for s in shares]
    extra: list[SideRow] = []
    if maximize:
        cap = None if problem.budget is None else int(problem.budget)
        if problem.min_value is not None:
            extra.append(SideRow(-value, -int(problem.min_value), "quality"))
        obj, weight = value, cost
    else:
        cap = None if problem.min_value is None else -int(problem.min_value)
        if problem.budget is not None:
            extra.append(SideRow(cost, int(problem.budget), "budget"))
        obj, weight = -cost, -value
    lag = lagrangian_plan(obj, weight, feasible, cap, side, extra, warm)
    if lag.best is None:
        return lag, None
    prices = dict(lag.prices)
    if lag.best.lam > 0 and cap is not None:
        prices["budget" if maximize else "quality"] = lag.best.lam
    d = lag.best.d if maximize else -lag.best.d
    sense: Sense = "max" if maximize else "min"
    return lag, Certificate(sense, prices, d, "search")


def _row_sum(coef: I64, choice: I64) -> int:
    """``sum_g coef[g, choice[g]]`` in Python integers (no int64 overflow)."""
    return int(coef[np.arange(coef.shape[0]), choice].astype(object).sum())


def _satisfies(
    choice: I64, rows: Sequence[LinearConstraint], shares: Sequence[ShareConstraint]
) -> bool:
    """Does the per-query ``choice`` meet every side row and share cap, exactly?"""
    choice = np.asarray(choice, dtype=np.int64)
    if any(_row_sum(r.coef, choice) > int(r.rhs) for r in rows):
        return False
    return all(
        s.den * _row_sum(s.part, choice) <= s.num * _row_sum(s.whole, choice) for s in shares
    )


def _slack(
    problem: MckpProblem,
    cost: I64,
    value: I64,
    choice: I64,
    rows: Sequence[LinearConstraint],
    shares: Sequence[ShareConstraint],
) -> dict[str, Fraction]:
    """Slack of every row at ``choice``, by stable label (>= 0 when the row holds)."""
    slack: dict[str, Fraction] = {}
    if problem.budget is not None:
        slack["budget"] = Fraction(int(problem.budget) - _row_sum(cost, choice))
    if problem.min_value is not None:
        slack["quality"] = Fraction(_row_sum(value, choice) - int(problem.min_value))
    for r in rows:
        slack[r.key] = Fraction(int(r.rhs) - _row_sum(r.coef, choice))
    for s in shares:  # num * whole - den * part, in the share row's own (pusd x den) unit
        whole, part = _row_sum(s.whole, choice), _row_sum(s.part, choice)
        slack[s.key or "share"] = Fraction(s.num * whole - s.den * part)
    return slack


def _warm(
    free: MckpResult,
    problem: MckpProblem,
    cost: I64,
    value: I64,
    rows: Sequence[LinearConstraint],
    shares: Sequence[ShareConstraint],
    wall_s: float,
) -> MckpResult:
    """The unconstrained plan, which meets every side row: optimal here with its own bound
    and certificate (the unconstrained problem is a relaxation of this one)."""
    import dataclasses

    choice = np.asarray(free.choice, dtype=np.int64)
    stats = {**free.stats, "side_rows": len(rows) + len(shares), "side_rows_binding": 0}
    return dataclasses.replace(
        free,
        slack={**free.slack, **_slack(problem, cost, value, choice, rows, shares)},
        method=f"{free.method or 'mckp'} (side rows slack)",
        wall_s=wall_s,
        stats=stats,
    )


def _certificate(
    problem: MckpProblem, cost: I64, value: I64, feasible: npt.NDArray[np.bool_]
) -> Certificate:
    """The LP price of the budget (max_value) or quality (min_cost) row without the side rows,
    and the exact ``D`` it proves (``docs/certificate.md``); side rows priced 0."""
    maximize = problem.objective == "max_value"
    try:
        if maximize:
            cap = None if problem.budget is None else int(problem.budget)
            rel = relax(value, cost, feasible, cap)
        else:
            cap = None if problem.min_value is None else -int(problem.min_value)
            rel = relax(-cost, -value, feasible, cap)
    except (OverflowError, ValueError):
        rel = None
    sense: Sense = "max" if maximize else "min"
    if rel is None:
        return Certificate(sense, {}, None, "search")
    label = "budget" if maximize else "quality"
    prices = {label: rel.lam} if rel.lam > 0 else {}
    return Certificate(sense, prices, rel.bound if maximize else -rel.bound, "search")
