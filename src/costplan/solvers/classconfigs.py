"""The class-level MCKP core's integer configurations: what each task may do within a margin.

Given prices ``lam, mu`` and losses ``d_o`` (:mod:`costplan.solvers.classprices`), every
feasible plan ``x`` satisfies ``Q(x) = D - sum_t P_t(x_t) - lam (B - b.x)`` with every
penalty ``P_t >= 0``. So for a margin ``G``, a plan of quality ``>= D' - G`` (``D' = D - sum_t
L_t``, ``L_t`` the least integer penalty of task ``t``, :func:`least_penalties`) has every
``P_t <= L_t + G``: this module enumerates, per task, the integer configurations (counts per
option summing to ``V_t``, meeting the floor) of penalty ``<= L_t + G`` (:func:`build`).

They are few: each option's count is bounded by ``G / d_o`` and the floor slack by ``G /
mu_t``. The exception is a *free* task (:func:`is_free`), whose zero-loss options can trade
queries at no penalty (the LP's fractional task when its floor does not bind): the trade is
limited only by the budget, and it is enumerated over the cost window the budget leaves once
the other tasks' configurations are known (such a plan's budget slack is at most ``G / lam``).

Contract: the enumeration is a *superset* of the exact set (floats decide with a relative
margin ``_REL``, so an uncertain configuration is kept; the MCKP core then decides exactly),
in a fixed order (deterministic). A shared :class:`Work` limit (candidates looked at, and wall
time) raises :class:`TooMany` when hit; callers then give up (``None``) and CP-SAT decides.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from costplan.solvers.classprices import Prices, penalty

if TYPE_CHECKING:
    from costplan.solvers.classlevel import ClassProblem

I64 = npt.NDArray[np.int64]
_MAX_OPTIONS = 4_096  # configurations per task: beyond, the core DP meets long collinear lines
_REL = 1e-9  # float margin when testing penalties: an uncertain configuration is kept


@dataclass(frozen=True)
class Task:
    options: I64  # option ids of the task, in order
    configs: list[tuple[int, ...]]  # counts per option (aligned with options)


def _within(total: int, loss: list[float], tol: float) -> Iterator[tuple[int, ...]]:
    """Count vectors ``y >= 0`` with ``sum y <= total`` and ``sum loss * y <= tol`` (all loss
    > 0), in a fixed order."""
    if not loss:
        yield ()
        return
    for first in range(min(total, int(tol / loss[0])) + 1):
        for rest in _within(total - first, loss[1:], tol - first * loss[0]):
            yield (first, *rest)


class TooMany(Exception):
    """Enumeration over its work limit or past the deadline: the caller falls back."""


class Work:
    """Shared limit on enumeration steps (candidates looked at, kept or not) and wall time."""

    def __init__(self, steps: int, deadline: float) -> None:
        self.left = steps
        self.deadline = deadline

    def tick(self) -> None:
        self.left -= 1
        if self.left < 0 or (self.left % 4096 == 0 and time.perf_counter() > self.deadline):
            raise TooMany


def _basic(opts: I64, pr: Prices) -> list[int]:
    """Positions of the zero-loss options of a task (the LP's candidates for its volume)."""
    return [k for k, o in enumerate(opts) if pr.loss[int(o)] == 0]


def is_free(p: ClassProblem, t: int, opts: I64, pr: Prices) -> bool:
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
    work: Work,
    window: tuple[float, float] = (-math.inf, math.inf),
) -> list[tuple[int, ...]]:
    """Configurations of task ``t`` with penalty <= margin (a float superset of the exact set).

    Loss options (``d > 0``) get counts up to ``margin / d``; the rest of the volume is split
    among the zero-loss options, where the floor slack (``<= margin / mu``) and the task's cost
    ``window`` bound the last two counts by an interval instead of a scan. Raises ``TooMany``
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
    work: Work,
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


def least_penalties(
    p: ClassProblem, bcost: I64, groups: list[I64], pr: Prices, work: Work
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
        if is_free(p, t, g, pr) or int(p.volume[t]) == 0:
            out.append(Fraction(0))
            continue
        try:
            configs = least_configs(p, bcost, t, g, pr, work)
        except TooMany:
            return None
        if not configs:
            return [Fraction(0)] * len(groups)  # no configuration: infeasible, decided later
        out.append(min(penalty(p, t, g, pr, x) for x in configs))
    return out


def least_configs(
    p: ClassProblem, bcost: I64, t: int, opts: I64, pr: Prices, work: Work
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


def build(
    p: ClassProblem,
    bcost: I64,
    groups: list[I64],
    pr: Prices,
    floor_pen: list[float],
    margin: float,
    work: Work,
) -> tuple[list[Task], I64, I64, npt.NDArray[np.bool_]] | None:
    """Every task's configurations of penalty ``<= floor_pen[t] + margin``, as MCKP arrays;
    ``None`` over a cap.

    Free tasks come last: the budget leaves them a cost window. A plan of quality ``>= D' -
    margin`` has budget slack ``<= margin / lam``, so its total cost is in ``[B - margin / lam,
    B]``; a free task's cost is that minus the other tasks' costs, whose ranges are known once
    their configurations are (another free task counts with its full range).
    """
    assert p.budget is not None
    found: dict[int, list[tuple[int, ...]]] = {}
    free = [t for t, g in enumerate(groups) if is_free(p, t, g, pr)]
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
    except TooMany:
        return None
    tasks = [Task(groups[t], found[t]) for t in range(len(groups))]
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
