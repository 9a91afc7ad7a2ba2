"""Class-level allocation with many classes, solved on the per-query MCKP core.

The class-level problem (see :mod:`costplan.solvers.classlevel` for the full formulation) with a
budget and per-task quality floors, and no other side rows::

    maximise    sum_o q_o x_o
    subject to  sum_{o in t} x_o = V_t,   sum_{o in t} (q_o - f_t) x_o >= 0     every task t
                sum_o b_o x_o <= B,       x_o >= 0 integer (x_o in {0, V_t} if not split)

CP-SAT proves it quickly for tens of tasks but stalls near a relative gap of 1e-6 with hundreds
of tasks: the LP optimum is fractional in every task whose floor binds, and closing the last
rounding losses is a knapsack over all of them. This module closes it with the machinery of
:mod:`costplan.solvers.mckp`:

1. *LP bound.* Per task, the (cost, quality) points a task can reach on average form a polygon:
   the hull of its options cut by ``quality >= f_t``; its vertices are the options above the
   floor and the two-option mixes exactly at the floor. :func:`~costplan.solvers.mckp.relax`
   (the same hull + greedy as per-query allocation; a task is a group whose profit and weight
   are scaled by its volume) finds the step that binds the budget; its exact efficiency is the
   budget price ``lam``. Per task, the floor price ``mu_t`` minimises
   ``max_o (q_o - lam b_o + mu_t (q_o - f_t))`` over ``mu_t >= 0`` (a 1-D convex
   piecewise-linear minimum at a crossing of two lines, recomputed exactly).
2. *Exact Lagrangian bound and penalties.* For **any** ``lam, mu >= 0`` and any feasible ``x``::

       Q(x) = D - sum_t P_t(x_t) - lam * (B - b.x),        D = lam B + sum_t V_t A_t,
       P_t(x_t) = sum_{o in t} d_o x_o + mu_t s_t(x_t) >= 0

   with ``a_o = q_o - lam b_o + mu_t (q_o - f_t)``, ``A_t = max a_o``, ``d_o = A_t - a_o >= 0``
   and ``s_t`` the floor slack. ``D`` (computed exactly with fractions) is a valid bound
   whatever float rounding chose ``lam`` and ``mu``; it equals the LP optimum at the LP's
   prices. Each task's *least* integer penalty ``L_t = min P_t`` (a binding floor makes every
   integer configuration pay for rounding its mix up to the floor) tightens it to the
   Lagrangian bound with integer tasks, ``D' = D - sum_t L_t``; a plan with ``Q >= D' - G``
   has every ``P_t <= L_t + G``.
3. *Configurations.* For a margin ``G``, each task's integer configurations with
   ``P_t <= L_t + G`` are enumerated (few: each option's count is bounded by its ``d_o`` and the
   floor slack by ``mu_t``). The exception is a *free* task, whose zero-loss options can trade
   queries at no penalty (the LP's fractional task when its floor does not bind): there the
   trade is limited only by the budget, and it is enumerated over the cost window that the
   budget leaves once the other tasks' configurations are known (the budget slack of such a
   plan is at most ``G / lam``).
4. *Exact core.* Choosing one configuration per task under the budget is an MCKP (group = task,
   option = configuration), solved exactly by :func:`~costplan.solvers.mckp.solve_mckp`. If its
   optimum ``Z >= D' - G`` it is the optimum of the whole problem (every plan of quality
   ``>= D' - G`` was among the configurations). Otherwise the optimum is below ``D' - G``; the
   margin grows to ``D' - Z`` (which makes the next round final) but by at most 4x a round.
5. *Tie-break.* Among plans of the optimal quality the cheapest is chosen by a second, min-cost
   MCKP over the same configurations with the quality floor ``Z`` (every such plan is among
   them); for robust plans, whose budget is on p95-length costs, by CP-SAT over the same
   configurations.

Options dominated within their task (no better quality, no lower cost or budget cost) are
dropped first: no plan needs them.

Enumeration is capped (``max_work`` candidate configurations per round, and the time limit);
when a cap is hit the function returns ``None`` and the caller uses CP-SAT on the full model.
That happens when the LP is far from the integer optimum in budget terms, e.g. when the
fractional task has ``split: false`` and many queries (measured in ``benchmarks/README.md``).
Deterministic: configurations are enumerated in a fixed order and the MCKP core is
deterministic.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from costplan.errors import InputError
from costplan.solvers import classbound
from costplan.solvers.classlevel import ClassProblem, ClassSolution, finish
from costplan.solvers.mckp import MckpProblem, relax, solve_mckp
from costplan.solvers.protocol import Scaling, Solution

I64 = npt.NDArray[np.int64]
_LIMIT = 2**60  # totals fed to the MCKP core stay below its 2**61 limit
_MAX_OPTIONS = 4_096  # configurations per task: beyond, the core DP meets long collinear lines
_REL = 1e-9  # float margin when testing penalties: an uncertain configuration is kept


@dataclass(frozen=True)
class Prices:
    """Lagrangian prices and what they prove (all exact)."""

    lam: Fraction  # budget price
    mu: tuple[Fraction, ...]  # per-task floor price (0 without a floor)
    bound: Fraction  # D: upper bound on the optimal quality
    loss: tuple[Fraction, ...]  # d_o >= 0 per option
    critical: int | None  # the task whose LP step sets lam (None: the budget does not bind)


@dataclass(frozen=True)
class _Task:
    options: I64  # option ids of the task, in order
    configs: list[tuple[int, ...]]  # counts per option (aligned with options)


def _floor_vertices(b: I64, q: I64, f: int) -> list[tuple[Fraction, int]]:
    """Vertices (cost, quality) per query of a task's polygon ``hull(options) & quality >= f``."""
    if f < 0:
        return [(Fraction(int(c)), int(v)) for c, v in zip(b, q, strict=True)]
    out = [(Fraction(int(c)), int(v)) for c, v in zip(b, q, strict=True) if v >= f]
    for i in range(len(b)):
        if q[i] <= f:
            continue
        for j in range(len(b)):
            if q[j] >= f:
                continue
            w = Fraction(f - int(q[j]), int(q[i]) - int(q[j]))  # share of option i
            out.append((int(b[j]) + w * (int(b[i]) - int(b[j])), f))
    return out


def _floor_price(alpha: list[Fraction], beta: list[int]) -> Fraction:
    """``argmin_{mu >= 0} max_o alpha_o + mu beta_o``, exactly.

    The minimum of this convex piecewise-linear function is at 0 or where a line that does
    not fall (``beta >= 0``: an option at the floor counts, as it may be the only one meeting
    it) crosses a falling one; float picks the candidate, the crossing is then recomputed
    exactly (an exact price keeps exact ties, which the configurations rely on).
    """
    af = np.asarray([float(a) for a in alpha])
    bf = np.asarray(beta, dtype=np.float64)
    up, dn = np.flatnonzero(bf >= 0), np.flatnonzero(bf < 0)
    if not (up.size and dn.size):
        return Fraction(0)
    ii, jj = np.meshgrid(up, dn, indexing="ij")
    i, j = ii.ravel(), jj.ravel()
    mu = (af[j] - af[i]) / (bf[i] - bf[j])
    keep = mu > 0
    cands = np.concatenate([[0.0], mu[keep]])
    pair_i = np.concatenate([[-1], i[keep]])
    pair_j = np.concatenate([[-1], j[keep]])
    phi = (af[None, :] + cands[:, None] * bf[None, :]).max(axis=1)
    best = int(np.argmin(phi))
    if best == 0:
        return Fraction(0)
    bi, bj = int(pair_i[best]), int(pair_j[best])
    return max(Fraction(0), (alpha[bj] - alpha[bi]) / (beta[bi] - beta[bj]))


def prices(p: ClassProblem, budget_cost: I64) -> Prices | None:
    """Budget and floor prices from the LP, with the exact bound they prove.

    ``None`` when even the relaxation cannot meet the budget or a floor (then no plan can).
    """
    assert p.budget is not None
    n_task = len(p.volume)
    groups = [np.flatnonzero(p.task == t) for t in range(n_task)]
    # a task without queries meets any floor
    floor = [int(f) if int(n) > 0 else -1 for f, n in zip(p.floor, p.volume, strict=True)]
    verts = [_floor_vertices(budget_cost[g], p.quality[g], floor[t]) for t, g in enumerate(groups)]
    if any(not v for v in verts):
        return None  # some task has no option reaching its floor
    width = max(len(v) for v in verts)
    # weights rounded down (and the capacity up) only make the relaxation looser, which keeps
    # its price a price; exactness comes from recomputing D below.
    top = sum(int(p.volume[t]) * (int(max(c for c, _ in v)) + 1) for t, v in enumerate(verts))
    scale = 1
    while top // scale >= _LIMIT:
        scale *= 10
    profit = np.zeros((n_task, width), np.int64)
    weight = np.zeros((n_task, width), np.int64)
    feas = np.zeros((n_task, width), np.bool_)
    for t, vs in enumerate(verts):
        n = int(p.volume[t])
        for k, (c, v) in enumerate(vs):
            profit[t, k] = n * v
            weight[t, k] = math.floor(n * c / scale)
            feas[t, k] = True
    rel = relax(profit, weight, feas, -(-p.budget // scale))
    if rel is None:
        return None
    lam = Fraction(0)
    if rel.critical is not None:
        # The exact efficiency of the step that binds: the relaxation's weights were rounded,
        # but at the exact price the fractional task's two vertices tie exactly, which is what
        # makes its move a free line rather than thousands of near-free configurations.
        t, i, j = rel.critical
        (c_i, q_i), (c_j, q_j) = verts[t][i], verts[t][j]
        lam = Fraction(q_j - q_i) / (c_j - c_i) if c_j != c_i else rel.lam / scale
    # q - lam b as one Fraction each (the same values as the operator form, without its
    # intermediate Fractions: this runs over every option at every solve)
    ln, ld = lam.numerator, lam.denominator
    qs, bs = p.quality.tolist(), budget_cost.tolist()
    alphas = [[Fraction(qs[o] * ld - ln * bs[o], ld) for o in g.tolist()] for g in groups]
    mus, loss, best = _task_prices(p, groups, floor, alphas)
    bound = lam * p.budget + sum(
        (int(n) * a for n, a in zip(p.volume, best, strict=True)), Fraction(0)
    )
    critical = None if rel.critical is None else rel.critical[0]
    return Prices(lam, tuple(mus), bound, tuple(loss), critical)


def _task_prices(
    p: ClassProblem, groups: list[I64], floor: list[int], alphas: list[list[Fraction]]
) -> tuple[list[Fraction], list[Fraction], list[Fraction]]:
    """Per task, from each option's priced profit ``alpha_o`` (``q - lam b`` or ``-cost``): the
    floor price ``mu_t``, each option's loss ``d_o = A_t - a_o`` with ``a_o = alpha_o + mu_t (q_o
    - f_t)``, and ``A_t = max a_o``. ``floor[t] < 0``: no floor (``mu_t = 0``)."""
    mus: list[Fraction] = []
    loss: list[Fraction] = [Fraction(0)] * len(p.cost)
    best: list[Fraction] = []
    for t, (g, alpha) in enumerate(zip(groups, alphas, strict=True)):
        beta = [int(p.quality[o]) - max(0, floor[t]) for o in g]
        mu = Fraction(0) if floor[t] < 0 else _floor_price(alpha, beta)
        a = list(alpha) if mu == 0 else [al + mu * be for al, be in zip(alpha, beta, strict=True)]
        top = max(a)
        for o, ao in zip(g, a, strict=True):
            loss[int(o)] = top - ao
        mus.append(mu)
        best.append(top)
    return mus, loss, best


def relaxation_bound(p: ClassProblem) -> int:
    """A bound on the optimum of ``p`` at exact money (no scale), valid with or without side
    rows: the Lagrangian (LP) bound ``D`` without them for ``max_quality`` with a budget, else
    each task at its best polygon vertex (max quality, or the least cost meeting its floor).

    Used where a solver worked at a money scale above 1 and did not prove its plan: its own
    bound is then a bound on the scaled (more constrained) model, not on this one.
    """
    base = dataclasses.replace(p, extra=())
    best_q = sum(int(p.volume[t]) * int(p.quality[p.task == t].max()) for t in range(len(p.volume)))
    if p.objective == "max_quality":
        if p.budget is None:
            return best_q
        bcost = p.cost if p.budget_cost is None else p.budget_cost
        pr = prices(base, bcost)
        return best_q if pr is None else min(best_q, math.floor(pr.bound))
    total = Fraction(0)
    for t in range(len(p.volume)):
        g = np.flatnonzero(p.task == t)
        f = int(p.floor[t]) if p.volume[t] > 0 else -1
        verts = _floor_vertices(p.cost[g], p.quality[g], f)
        total += int(p.volume[t]) * min((c for c, _ in verts), default=Fraction(0))
    return math.ceil(total)


def _within(total: int, loss: list[float], tol: float) -> Iterator[tuple[int, ...]]:
    """Count vectors ``y >= 0`` with ``sum y <= total`` and ``sum loss * y <= tol`` (all loss
    > 0), in a fixed order."""
    if not loss:
        yield ()
        return
    for first in range(min(total, int(tol / loss[0])) + 1):
        for rest in _within(total - first, loss[1:], tol - first * loss[0]):
            yield (first, *rest)


class _TooMany(Exception):
    """Enumeration over its work limit or past the deadline: the caller falls back."""


class _Work:
    """Shared limit on enumeration steps (candidates looked at, kept or not) and wall time."""

    def __init__(self, steps: int, deadline: float) -> None:
        self.left = steps
        self.deadline = deadline

    def tick(self) -> None:
        self.left -= 1
        if self.left < 0 or (self.left % 4096 == 0 and time.perf_counter() > self.deadline):
            raise _TooMany


def _basic(opts: I64, pr: Prices) -> list[int]:
    """Positions of the zero-loss options of a task (the LP's candidates for its volume)."""
    return [k for k, o in enumerate(opts) if pr.loss[int(o)] == 0]


def _free(p: ClassProblem, t: int, opts: I64, pr: Prices) -> bool:
    """Whether task ``t`` has configurations that no penalty bounds (a *free* task).

    Zero-loss options can trade queries at no penalty when the floor does not bind (two or more
    of them) or, with a binding floor, along the directions that keep the floor slack constant
    (three or more). Only the budget then limits them: such tasks get a cost window.
    """
    if not p.split[t]:
        return False
    n_basic = len(_basic(opts, pr))
    return n_basic >= 3 or (n_basic == 2 and pr.mu[t] == 0)


def _interval(lo: int, hi: int, a: int, coef: int, low: float, high: float) -> tuple[int, int]:
    """Narrow ``[lo, hi]`` to (a superset of) the integers ``j`` with ``low <= a + coef * j <=
    high``: float bounds are widened, the caller checks exact constraints itself."""
    low -= 1e-9 * abs(low) + 1
    high += 1e-9 * abs(high) + 1
    if coef == 0:
        return (lo, hi) if low <= a <= high else (1, 0)
    if coef > 0:
        if low > -math.inf:
            lo = max(lo, math.ceil((low - a) / coef - 1e-9))
        if high < math.inf:
            hi = min(hi, math.floor((high - a) / coef + 1e-9))
    else:
        if high < math.inf:
            lo = max(lo, math.ceil((high - a) / coef - 1e-9))
        if low > -math.inf:
            hi = min(hi, math.floor((low - a) / coef + 1e-9))
    return lo, hi


def _task_configs(
    p: ClassProblem,
    bcost: I64,
    t: int,
    opts: I64,
    pr: Prices,
    margin: float,
    work: _Work,
    window: tuple[float, float] = (-math.inf, math.inf),
) -> list[tuple[int, ...]]:
    """Configurations of task ``t`` with penalty <= margin (a float superset of the exact set).

    Loss options (``d > 0``) get counts up to ``margin / d``; the rest of the volume is split
    among the zero-loss options, where the floor slack (``<= margin / mu``) and the task's cost
    ``window`` bound the last two counts by an interval instead of a scan. Raises ``_TooMany``
    when ``work`` runs out.
    """
    n = int(p.volume[t])
    f = int(p.floor[t]) if n > 0 else -1
    q = [int(p.quality[o]) for o in opts]
    c = [int(bcost[o]) for o in opts]
    beta = [0 if f < 0 else qk - f for qk in q]
    d = [float(pr.loss[int(o)]) for o in opts]
    mu = float(pr.mu[t])
    m = len(opts)
    tol = margin * (1 + _REL) + 1e-6
    basic = _basic(opts, pr)
    out: list[tuple[int, ...]] = []

    def add(x: list[int]) -> None:
        work.tick()
        slack = sum(beta[k] * x[k] for k in range(m))
        if slack < 0 or sum(d[k] * x[k] for k in range(m)) + mu * slack > tol:
            return
        out.append(tuple(x))

    if not p.split[t]:
        for k in range(m):
            x = [0] * m
            x[k] = n
            add(x)
        return out
    nonbasic = [k for k in range(m) if k not in basic]
    for y in _within(n, [d[k] for k in nonbasic], tol):
        work.tick()
        x = [0] * m
        for k, cnt in zip(nonbasic, y, strict=True):
            x[k] = cnt
        pen = sum(d[k] * x[k] for k in range(m))
        if pen > tol:
            continue
        smax = math.inf if mu == 0 else (tol - pen) / mu
        srange = (0.0 if f >= 0 else -math.inf, smax)
        _split_basic(x, basic, n - sum(y), beta, c, srange, window, add, work)
    return out


def _split_basic(
    x: list[int],
    basic: list[int],
    rest: int,
    beta: list[int],
    cost: list[int],
    slack_range: tuple[float, float],
    window: tuple[float, float],
    add: Callable[[list[int]], None],
    work: _Work,
) -> None:
    """Every split of ``rest`` queries among the zero-loss options ``basic`` that keeps the
    task's floor slack in ``slack_range`` and its cost in ``window`` (added to ``x``)."""
    if len(basic) == 1:
        z = list(x)
        z[basic[0]] = rest
        add(z)
        return
    if len(basic) > 2:
        for cnt in range(rest + 1):
            work.tick()
            z = list(x)
            z[basic[0]] = cnt
            _split_basic(z, basic[1:], rest - cnt, beta, cost, slack_range, window, add, work)
        return
    u, v = basic
    s0 = sum(b * k for b, k in zip(beta, x, strict=True)) + beta[u] * rest
    c0 = sum(a * k for a, k in zip(cost, x, strict=True)) + cost[u] * rest
    lo, hi = _interval(0, rest, s0, beta[v] - beta[u], *slack_range)
    lo, hi = _interval(lo, hi, c0, cost[v] - cost[u], *window)
    for j in range(lo, hi + 1):
        z = list(x)
        z[u], z[v] = rest - j, j
        add(z)


def _least_penalties(
    p: ClassProblem, bcost: I64, groups: list[I64], pr: Prices, work: _Work
) -> list[Fraction] | None:
    """Per task, a lower bound on the penalty of every integer configuration (exact: the least
    one, found by enumerating with a growing cap; 0 for free tasks, whose lines can be free).

    A floor that binds in the LP makes every integer configuration pay for rounding its
    two-option mix up to the floor; subtracting these from ``D`` gives the tighter, still valid,
    Lagrangian bound ``D'`` (each task solved in integers), and the margin then only covers what
    the tasks lose *beyond* their least penalties.
    """
    out: list[Fraction] = []
    for t, g in enumerate(groups):
        if _free(p, t, g, pr) or int(p.volume[t]) == 0:
            out.append(Fraction(0))
            continue
        try:
            configs = _least_configs(p, bcost, t, g, pr, work)
        except _TooMany:
            return None
        if not configs:
            return [Fraction(0)] * len(groups)  # no configuration: infeasible, decided later
        out.append(min(_penalty(p, t, g, pr, x) for x in configs))
    return out


def _least_configs(
    p: ClassProblem, bcost: I64, t: int, opts: I64, pr: Prices, work: _Work
) -> list[tuple[int, ...]]:
    """Task ``t``'s configurations within the smallest penalty cap (1, 4, 16, ...) that admits
    any, so the least-penalty configuration is among them; ``[]`` when none exists at all."""
    cap = 1.0
    while cap <= 1e30:
        configs = _task_configs(p, bcost, t, opts, pr, cap, work)
        if configs:
            return configs
        cap *= 4
    return []


def _penalty(p: ClassProblem, t: int, opts: I64, pr: Prices, x: tuple[int, ...]) -> Fraction:
    """Exact ``P_t(x) = sum d_o x_o + mu_t * slack``."""
    f = int(p.floor[t])
    pen = sum((pr.loss[int(o)] * c for o, c in zip(opts, x, strict=True)), Fraction(0))
    if f >= 0 and pr.mu[t]:
        pen += pr.mu[t] * sum((int(p.quality[o]) - f) * c for o, c in zip(opts, x, strict=True))
    return pen


def _undominated(p: ClassProblem, bcost: I64) -> npt.NDArray[np.bool_]:
    """Options no other option of the same task beats or equals on quality, cost and budget cost
    (of identical options the first is kept). Dropping the others loses no plan: swapping a
    dominated option for its dominator keeps every floor and the budget, and is no worse in
    quality or cost."""
    keep = np.ones(len(p.cost), np.bool_)
    for t in range(len(p.volume)):
        g = np.flatnonzero(p.task == t)
        q, c, b = p.quality[g], p.cost[g], bcost[g]
        ge = (q[:, None] >= q[None, :]) & (c[:, None] <= c[None, :]) & (b[:, None] <= b[None, :])
        same = (q[:, None] == q[None, :]) & (c[:, None] == c[None, :]) & (b[:, None] == b[None, :])
        earlier = np.arange(g.size)[:, None] < np.arange(g.size)[None, :]
        beaten = (ge & ~same) | (same & earlier)  # [i, j]: option i makes option j redundant
        keep[g] = ~beaten.any(axis=0)
    return keep


def solve_class_mckp(
    p: ClassProblem,
    *,
    time_limit_s: float = 60.0,
    max_work: int = 1_000_000,
) -> ClassSolution | None:
    """Solve ``p`` exactly on the MCKP core, or ``None`` when this method does not apply.

    Applies without extra rows to ``max_quality`` with a budget (the budget row uses
    ``budget_cost`` when given, for robust plans; the tie-break minimises ``cost``) and to
    ``min_cost`` (see :func:`_solve_min_cost`). ``None`` also
    when the enumeration limit or the time limit is hit, or when the exact core does not close
    in time: the caller then solves with CP-SAT. Like the CP-SAT path, money is solved at a
    power-of-ten ``scale`` (costs rounded up, the budget down) when totals pass ~$1M per period;
    the scaled optimum is then repaired by exact moves and its status decided on the exact
    Lagrangian bound of the unscaled problem (``optimal`` only when that proves it).
    """
    if p.extra or (p.objective == "max_quality" and p.budget is None):
        return None
    start = time.perf_counter()
    bcost = p.cost if p.budget_cost is None else p.budget_cost
    keep = _undominated(p, bcost)
    # A task with split: false sends all its queries to one option, so an option below its
    # floor can never serve it; dropping those keeps the LP from mixing across its floor.
    t_of = p.task
    below = ~p.split[t_of] & (p.floor[t_of] >= 0) & (p.quality < p.floor[t_of])
    keep &= ~(below & (p.volume[t_of] > 0))
    if np.any(np.bincount(p.task[keep], minlength=len(p.volume)) == 0):
        return _infeasible(len(p.cost), start)
    if p.objective == "min_cost":
        if p.budget is not None and p.budget_cost is not None:
            return None  # a p95 budget couples the tasks: CP-SAT
        low = _solve_min_cost(_restrict(p, keep), keep, start + time_limit_s, max_work)
        if low is None or low.status != "optimal":
            return low
        return finish(p, low.counts, low.objective, "mckp", start, (), dict(low.stats))
    # Money scale as in classlevel: costs rounded up and the budget down to a power-of-ten unit
    # so that every total fits the core's exact int64 sums (1 for plans up to ~$1M per period).
    assert p.budget is not None
    # Exact money first: the core sees configuration costs shifted by each task's cheapest one,
    # so only one task's total must fit int64 (and the shifted sums the core's 2**61 limit).
    # Only past that is money divided by a power of ten (costs up, the budget down).
    sol: ClassSolution | None = None
    scale = 1
    per_task = np.maximum(p.cost, bcost).astype(object) * p.volume[p.task].astype(object)
    if int(per_task.max(initial=0)) < _LIMIT:
        try:
            sol = _branch(_restrict(p, keep), start + time_limit_s, max_work, 0)
        except InputError:  # shifted totals still past 2**61: solve at a coarser unit
            sol = None
            scale = 10
    else:
        scale = 10
    if scale > 1:
        top = int(np.sum(per_task))
        while max(top, p.budget) // scale >= _LIMIT:
            scale *= 10
        sol = _branch(_restrict(p, keep, scale), start + time_limit_s, max_work, 0)
    if sol is None or (scale > 1 and sol.status != "optimal"):
        return None  # gave up, or infeasible only at the stricter scale: CP-SAT decides
    if sol.status == "infeasible":
        return _infeasible(len(p.cost), start)
    counts = np.zeros(len(p.cost), np.int64)
    counts[keep] = sol.counts
    if scale > 1:
        # the search proved optimality of the stricter scaled model only
        counts = classbound.repair(p, counts)
        scaling = (Scaling("money", scale),)
        out = finish(p, counts, None, "mckp", start, scaling, dict(sol.stats))
        if out.status == "optimal":
            return out
        # the looser twin (costs down, budget up) is a relaxation: its proven optimum bounds
        # p's quality, and its plan, when exactly feasible, is p's optimum
        twin = _branch(_restrict(p, keep, scale, up=False), start + time_limit_s, max_work, 0)
        if twin is None or twin.status != "optimal":
            return out
        cand = np.zeros(len(p.cost), np.int64)
        cand[keep] = twin.counts
        prices = None if out.certificate is None else dict(out.certificate.prices)
        if classbound.feasible(p, cand) and classbound.objective_of(p, cand) > out.objective:
            counts = classbound.repair(p, cand)
        return finish(p, counts, twin.objective, "mckp", start, scaling, dict(sol.stats), prices)
    objective = classbound.objective_of(p, counts)
    return finish(p, counts, objective, "mckp", start, (), dict(sol.stats))


def _restrict(
    p: ClassProblem, keep: npt.NDArray[np.bool_], scale: int = 1, up: bool = True
) -> ClassProblem:
    """``p`` with only the options in ``keep``, money in units of ``scale`` pico-dollars (costs
    rounded up, the budget down: a plan feasible here is feasible exactly; ``up=False``: the
    other way round, a relaxation whose optimum bounds ``p``'s)."""

    def down(c: I64) -> I64:
        return -(-c[keep] // scale) if up else c[keep] // scale

    return ClassProblem(
        task=p.task[keep],
        cost=down(p.cost),
        quality=p.quality[keep],
        volume=p.volume,
        floor=p.floor,
        split=p.split,
        objective=p.objective,
        budget=None if p.budget is None else (p.budget // scale if up else -(-p.budget // scale)),
        budget_cost=None if p.budget_cost is None else down(p.budget_cost),
    )


def _solve_min_cost(
    p: ClassProblem, keep: npt.NDArray[np.bool_], deadline: float, max_work: int
) -> ClassSolution | None:
    """``min_cost`` without side rows: the tasks are independent, and each one's cheapest
    configuration is its least-penalty one under the prices ``lam = 0`` and ``mu_t`` (profit
    ``-cost``: ``-cost(x) = V_t A_t - P_t(x)``), found by enumerating with a growing cap; the
    tie-break takes the best quality among those. A budget on the same cost is then only a
    check (a robust budget, on other costs, couples the tasks: the caller does not come here).
    ``None`` (CP-SAT decides) when a task is free (zero-penalty trades) or a limit is hit.
    Exact integers throughout, so no money scale is needed. ``keep`` maps back to the caller's
    options.
    """
    start = time.perf_counter()
    groups = [np.flatnonzero(p.task == t) for t in range(len(p.volume))]
    floor = [int(f) if int(n) > 0 else -1 for f, n in zip(p.floor, p.volume, strict=True)]
    alphas = [[Fraction(-int(p.cost[o])) for o in g] for g in groups]
    mus, loss, _ = _task_prices(p, groups, floor, alphas)
    pr = Prices(Fraction(0), tuple(mus), Fraction(0), tuple(loss), None)
    work = _Work(max_work, deadline)
    counts = np.zeros(len(p.cost), np.int64)
    for t, g in enumerate(groups):
        if _free(p, t, g, pr):
            return None
        try:
            configs = _least_configs(p, p.cost, t, g, pr, work)
        except _TooMany:
            return None
        if not configs:
            return _infeasible(keep.size, start)
        x = np.asarray(configs, np.int64)
        cost = [int(v) for v in x @ p.cost[g]]
        quality = [int(v) for v in x @ p.quality[g]]
        best = min(range(len(configs)), key=lambda k: (cost[k], -quality[k], k))
        counts[g] = x[best]
    if p.budget is not None and int(np.sum(p.cost.astype(object) * counts)) > p.budget:
        return _infeasible(keep.size, start)
    objective = int(np.sum(p.cost.astype(object) * counts))
    full = np.zeros(keep.size, np.int64)
    full[keep] = counts
    # exact integers throughout: the per-task search proves the optimum of the unscaled problem
    return _optimal(full, objective, start, {})


_MAX_DEPTH = 2  # nested branchings on split: false tasks


def _branch(p: ClassProblem, deadline: float, max_work: int, depth: int) -> ClassSolution | None:
    """:func:`_solve`, or, when it gives up and the LP's fractional task has ``split: false``,
    one solve per option of that task (the task sends all its queries to that option): the
    branches partition the plans, so the best branch optimum (quality, then cost) is the
    optimum. Such a task leaves a budget gap of up to its whole volume that no margin covers
    cheaply; fixing it restores a near-integral LP."""
    sol, pr = _solve(p, deadline, max_work)
    critical = None if pr is None else pr.critical
    if sol is not None or critical is None or p.split[critical] or depth >= _MAX_DEPTH:
        return sol
    best: ClassSolution | None = None
    best_key = (0, 0)
    for o in np.flatnonzero(p.task == critical):
        keep = (p.task != critical) | (np.arange(len(p.task)) == o)
        part = _branch(_restrict(p, keep), deadline, max_work, depth + 1)
        if part is None:
            return None
        if part.status != "optimal":
            continue
        counts = np.zeros(len(p.cost), np.int64)
        counts[keep] = part.counts
        key = (int(np.sum(p.quality * counts)), -int(np.sum(p.cost * counts)))
        if best is None or key > best_key:
            best, best_key = dataclasses.replace(part, x=counts), key
    return best if best is not None else _infeasible(len(p.cost), time.perf_counter())


def _solve(
    p: ClassProblem, deadline: float, max_work: int
) -> tuple[ClassSolution | None, Prices | None]:
    """(solution or ``None`` if this method gave up, the prices it used)."""
    assert p.budget is not None
    start = time.perf_counter()
    n_task = len(p.volume)
    bcost = p.cost if p.budget_cost is None else p.budget_cost
    groups = [np.flatnonzero(p.task == t) for t in range(n_task)]
    pr = prices(p, bcost)
    if pr is None:
        return _infeasible(len(p.cost), start), None
    work = _Work(max_work, deadline)
    least = _least_penalties(p, bcost, groups, pr, work)
    if least is None:
        return None, pr
    # D' = D - sum of the tasks' least penalties: the Lagrangian bound with integer tasks
    bound = pr.bound - sum(least, Fraction(0))
    floor_pen = [float(x) for x in least]
    stats: dict[str, float] = {"lp_bound": float(pr.bound), "lagrangian_bound": float(bound)}
    # every plan has quality >= q_min, so a margin of D' - q_min covers all of them: the last
    # round then decides feasibility too
    q_min = sum(int(p.volume[t]) * int(p.quality[g].min()) for t, g in enumerate(groups))
    full = max(Fraction(0), bound - q_min)
    margin = min(full, Fraction(max(1, n_task)))  # first guess; grows below
    best_counts: I64 | None = None
    best_q = -1
    rounds = 0
    while True:
        rounds += 1
        built = _build(p, bcost, groups, pr, floor_pen, float(margin), _Work(max_work, deadline))
        if built is None:
            return None, pr
        tasks, cost, value, feas = built
        if feas.size == 0:  # some task has no configuration within the margin
            if margin >= full:
                return _infeasible(len(p.cost), start), pr
            margin = min(full, margin * 4)
            continue
        res = solve_mckp(
            _shifted(cost, value, feas, p.budget, "max_value", None),
            time_limit_s=max(0.1, deadline - time.perf_counter()),
        )
        if res.status == "feasible":
            return None, pr  # the core did not close in time: let CP-SAT try with its own proof
        if res.status == "optimal":
            if res.objective > best_q:
                best_q = res.objective
                best_counts = _counts(p, tasks, res.choice)
            if res.objective >= math.ceil(bound - margin):
                break
            # the optimum is below D - margin; D - Z covers it (a final round), but a poor Z
            # would make that round huge, so grow by at most 4x per round
            margin = min(bound - res.objective, 4 * margin)
        else:
            if margin >= full:
                return _infeasible(len(p.cost), start), pr
            margin = min(full, margin * 4)
        if time.perf_counter() >= deadline:
            return None, pr
    assert best_counts is not None
    # Tie-break: the cheapest plan of the optimal quality (all such plans are configuration
    # plans of this round). With one cost it is a min-cost MCKP; a robust plan's budget is on
    # another cost, so a small CP-SAT model over the configurations decides it.
    if p.budget_cost is None:
        tie = solve_mckp(
            _shifted(cost, value, feas, p.budget, "min_cost", best_q),
            time_limit_s=max(0.1, deadline - time.perf_counter()),
        )
        if tie.status == "optimal":
            best_counts = _counts(p, tasks, tie.choice)
    else:
        choice = _cheapest(p, tasks, cost, value, best_q, deadline)
        if choice is not None:
            best_counts = _counts(p, tasks, choice)
    objective = int(np.sum(p.quality * best_counts))
    stats.update({"rounds": float(rounds), "configs": float(feas.sum()), "margin": float(margin)})
    return _optimal(best_counts, objective, start, stats), pr


def _cheapest(
    p: ClassProblem,
    tasks: list[_Task],
    bcost: I64,
    value: I64,
    quality: int,
    deadline: float,
) -> I64 | None:
    """Configuration choice of least ``cost`` with quality >= ``quality`` and budget cost <=
    the budget (CP-SAT, exact), or ``None`` if not proven in time."""
    from ortools.sat.python import cp_model

    from costplan.solvers.cpsat import cp_solver

    model = cp_model.CpModel()
    pick: list[list[Any]] = []
    cost_terms = []
    budget_terms = []
    value_terms = []
    for t, task in enumerate(tasks):
        real = np.asarray(task.configs, np.int64) @ p.cost[task.options]
        row = []
        for k in range(len(task.configs)):
            v = model.new_bool_var(f"c{t}_{k}")
            row.append(v)
            cost_terms.append(int(real[k]) * v)
            budget_terms.append(int(bcost[t, k]) * v)
            value_terms.append(int(value[t, k]) * v)
        model.add_exactly_one(row)
        pick.append(row)
    model.add(sum(value_terms) >= quality)
    assert p.budget is not None
    model.add(sum(budget_terms) <= p.budget)
    model.minimize(sum(cost_terms))
    solver = cp_solver(max(0.1, deadline - time.perf_counter()))
    if solver.solve(model) != cp_model.OPTIMAL:
        return None
    return np.asarray(
        [next(k for k, v in enumerate(row) if solver.value(v)) for row in pick], np.int64
    )


def _shifted(
    cost: I64, value: I64, feas: npt.NDArray[np.bool_], budget: int, objective: Any, floor: Any
) -> MckpProblem:
    """The core MCKP with every task's configuration costs shifted by its cheapest one (and
    the budget by their sum): the same plans and optimum, smaller exact sums. A budget below
    the shift is kept negative, which the core reports as infeasible."""
    big = np.iinfo(np.int64).max
    low = np.where(feas, cost, big).min(axis=1)
    shifted = np.where(feas, cost - low[:, None], 0)
    return MckpProblem(shifted, value, feas, budget - int(low.astype(object).sum()), objective,
                       min_value=floor)  # fmt: skip


def _infeasible(n_options: int, start: float) -> ClassSolution:
    zeros = np.zeros(n_options, np.int64)
    wall = time.perf_counter() - start
    return Solution("infeasible", zeros, 0, None, None, method="mckp", wall_s=wall)


def _optimal(counts: I64, objective: int, start: float, stats: dict[str, float]) -> Solution:
    """An internal result: ``counts`` proven optimal for the problem this module was given
    (the caller decides what that proves about the user's problem and adds the certificate)."""
    wall = time.perf_counter() - start
    return Solution("optimal", counts, objective, objective, Fraction(0), method="mckp",
                    wall_s=wall, stats=stats)  # fmt: skip


def _counts(p: ClassProblem, tasks: list[_Task], choice: I64) -> I64:
    counts = np.zeros(len(p.cost), np.int64)
    for task, k in zip(tasks, choice, strict=True):
        counts[task.options] = task.configs[int(k)]
    return counts


def _build(
    p: ClassProblem,
    bcost: I64,
    groups: list[I64],
    pr: Prices,
    floor_pen: list[float],
    margin: float,
    work: _Work,
) -> tuple[list[_Task], I64, I64, npt.NDArray[np.bool_]] | None:
    """Every task's configurations of penalty ``<= floor_pen[t] + margin``, as MCKP arrays;
    ``None`` over a cap.

    Free tasks come last: the budget leaves them a cost window. A plan of quality ``>= D' -
    margin`` has budget slack ``<= margin / lam``, so its total cost is in ``[B - margin / lam,
    B]``; a free task's cost is that minus the other tasks' costs, whose ranges are known once
    their configurations are (another free task counts with its full range).
    """
    assert p.budget is not None
    found: dict[int, list[tuple[int, ...]]] = {}
    free = [t for t, g in enumerate(groups) if _free(p, t, g, pr)]
    lo_sum = hi_sum = 0
    try:
        for t, g in enumerate(groups):
            if t in free:
                continue
            configs = _task_configs(p, bcost, t, g, pr, floor_pen[t] + margin, work)
            found[t] = configs
            if configs:
                costs = np.asarray(configs, np.int64) @ bcost[g]
                lo_sum += int(costs.min())
                hi_sum += int(costs.max())
        full = {}
        for t in free:
            g = groups[t]
            full[t] = (
                int(p.volume[t]) * int(bcost[g].min()),
                int(p.volume[t]) * int(bcost[g].max()),
            )
        slack = math.inf if pr.lam == 0 else margin / float(pr.lam) * (1 + _REL) + 1
        for t in free:
            others_lo = lo_sum + sum(full[u][0] for u in free if u != t)
            others_hi = hi_sum + sum(full[u][1] for u in free if u != t)
            window = (p.budget - slack - others_hi, float(p.budget - others_lo))
            tol = floor_pen[t] + margin
            found[t] = _task_configs(p, bcost, t, groups[t], pr, tol, work, window)
    except _TooMany:
        return None
    tasks = [_Task(groups[t], found[t]) for t in range(len(groups))]
    if any(not task.configs for task in tasks):
        empty = np.zeros((0, 0), np.int64)
        return tasks, empty, empty, np.zeros((0, 0), np.bool_)
    width = max(len(task.configs) for task in tasks)
    if width > _MAX_OPTIONS:
        return None
    cost = np.zeros((len(tasks), width), np.int64)
    value = np.zeros((len(tasks), width), np.int64)
    feas = np.zeros((len(tasks), width), np.bool_)
    for t, task in enumerate(tasks):
        x = np.asarray(task.configs, np.int64)  # (C, m)
        cost[t, : len(x)] = x @ bcost[task.options]
        value[t, : len(x)] = x @ p.quality[task.options]
        feas[t, : len(x)] = True
    return tasks, cost, value, feas
