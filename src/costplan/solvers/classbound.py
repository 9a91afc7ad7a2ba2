"""Exact Lagrangian bound, row slack and exact repair for the class-level problem.

The one labelled formulation is :class:`~costplan.solvers.classlevel.ClassProblem` (exact
integers; rows labelled ``budget``, ``floor:<task>``, ``split:<task>`` and each side row's
``key``). Every class-level back end reads it; this module is what they share to make their
claims exact on the **unscaled** problem (``docs/certificate.md``):

* :func:`lagrangian_bound` -- ``D`` at any prices ``>= 0``, exactly (Python integers on a common
  denominator). In *max form* (``w_o = q_o`` for ``max_quality``, ``w_o = -c_o`` for
  ``min_cost``)::

      a_o = w_o - lam b_o + mu_t (q_o - f_t) - sum_r nu_r a_ro
      D_max = lam B + sum_r nu_r rhs_r + sum_t V_t max_{o in t} a_o

  ``max_quality``: ``quality(x) <= D_max``; ``min_cost``: ``cost(x) >= D = -D_max``.
* :func:`find_prices` -- good prices: exact LP prices from
  :func:`costplan.solvers.classprices.prices` without side rows, else GLOP's duals of the LP
  relaxation (floats made rational; any non-negative price is valid, exactness comes from
  recomputing ``D``) with each floor price re-optimised exactly for its task.
* :func:`slack` -- ``rhs - lhs`` of every row, exact.
* :func:`repair` -- exact improving moves (queries moved between two options of a task while
  every exact row holds): closes the rounding a scaled model introduced.
"""

from __future__ import annotations

import math
import time
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from costplan.solvers.protocol import Certificate, Proof, Sense

if TYPE_CHECKING:
    from costplan.solvers.classlevel import ClassProblem

I64 = npt.NDArray[np.int64]


def sense_of(p: ClassProblem) -> Sense:
    return "max" if p.objective == "max_quality" else "min"


def task_label(p: ClassProblem, t: int) -> str:
    return p.names[t] if t < len(p.names) else str(t)


def floor_label(p: ClassProblem, t: int) -> str:
    return f"floor:{task_label(p, t)}"


def objective_of(p: ClassProblem, counts: I64) -> int:
    """Exact objective of ``counts``: total quality (micro) or total cost (pusd)."""
    coef = p.quality if p.objective == "max_quality" else p.cost
    return sum(int(a) * int(n) for a, n in zip(coef, counts, strict=True) if n)


def _bcost(p: ClassProblem) -> I64:
    return p.cost if p.budget_cost is None else p.budget_cost


def _has_floor(p: ClassProblem, t: int) -> bool:
    return int(p.floor[t]) >= 0 and int(p.volume[t]) > 0


def lagrangian_bound(p: ClassProblem, prices: dict[str, Fraction]) -> Fraction:
    """``D`` (see the module docstring) for non-negative ``prices`` by row label, exactly."""
    if any(v < 0 for v in prices.values()):
        raise ValueError("Lagrangian prices must be >= 0")
    lam = prices.get("budget", Fraction(0)) if p.budget is not None else Fraction(0)
    nus = [prices.get(r.key, Fraction(0)) for r in p.extra]
    mus = [prices.get(floor_label(p, t), Fraction(0)) if _has_floor(p, t) else Fraction(0)
           for t in range(len(p.volume))]  # fmt: skip
    den = math.lcm(lam.denominator, *(v.denominator for v in (*nus, *mus)))
    lam_n = int(lam * den)
    nu_n = [int(v * den) for v in nus]
    mu_n = [int(v * den) for v in mus]
    w = p.quality if p.objective == "max_quality" else -p.cost
    b = _bcost(p)
    best: dict[int, int] = {}
    for o in range(len(p.cost)):
        t = int(p.task[o])
        a = int(w[o]) * den - lam_n * int(b[o])
        if mu_n[t]:
            a += mu_n[t] * (int(p.quality[o]) - int(p.floor[t]))
        for nu, row in zip(nu_n, p.extra, strict=True):
            if nu:
                a -= nu * int(row.coef[o])
        if t not in best or a > best[t]:
            best[t] = a
    total = sum(int(p.volume[t]) * a for t, a in best.items())
    if p.budget is not None:
        total += lam_n * int(p.budget)
    total += sum(nu * int(row.rhs) for nu, row in zip(nu_n, p.extra, strict=True))
    d_max = Fraction(total, den)
    return d_max if p.objective == "max_quality" else -d_max


def slack(p: ClassProblem, counts: I64) -> dict[str, Fraction]:
    """``rhs - lhs`` per row label (``>= 0`` when the row holds; floors in micro-quality)."""
    out: dict[str, Fraction] = {}
    n = [int(v) for v in counts]
    if p.budget is not None:
        b = _bcost(p)
        out["budget"] = Fraction(int(p.budget) - sum(int(b[o]) * n[o] for o in range(len(n))))
    for t in range(len(p.volume)):
        opts = np.flatnonzero(p.task == t)
        if _has_floor(p, t):
            f = int(p.floor[t])
            out[floor_label(p, t)] = Fraction(sum((int(p.quality[o]) - f) * n[o] for o in opts))
        if not p.split[t] and int(p.volume[t]) > 0:
            used = sum(1 for o in opts if n[o] > 0)
            out[f"split:{task_label(p, t)}"] = Fraction(1 - used)
    for row in p.extra:
        out[row.key] = Fraction(int(row.rhs) - sum(int(row.coef[o]) * n[o] for o in range(len(n))))
    return out


def certificate(
    p: ClassProblem, prices: dict[str, Fraction], proof: Proof = "search"
) -> Certificate:
    return Certificate(sense_of(p), dict(prices), lagrangian_bound(p, prices), proof)


def proof_for(p: ClassProblem, prices: dict[str, Fraction], objective: int) -> Proof:
    """``lagrangian`` when ``D`` alone proves ``objective`` optimal, else ``search``."""
    d = lagrangian_bound(p, prices)
    tight = math.floor(d) if p.objective == "max_quality" else math.ceil(d)
    return "lagrangian" if tight == objective else "search"


# ----------------------------------------------------------------------------- prices


def find_prices(p: ClassProblem) -> dict[str, Fraction]:
    """Non-negative prices by row label that make ``D`` small (see the module docstring)."""
    from costplan.solvers.classprices import prices as lp_prices

    if not p.extra and p.budget is not None and p.objective == "max_quality":
        import dataclasses

        pr = lp_prices(dataclasses.replace(p, extra=()), _bcost(p))
        if pr is not None:
            return _labelled(p, pr.lam, pr.mu, [])
    if not p.extra and p.budget_cost is None:
        # no coupling row can bind in the LP's favour: lam = 0, exact floor prices per task
        return _labelled(p, Fraction(0), _refine_mu(p, Fraction(0), []), [])
    lam, nus = _glop_prices(p)
    return _labelled(p, lam, _refine_mu(p, lam, nus), nus)


def _labelled(
    p: ClassProblem, lam: Fraction, mus: list[Fraction] | tuple[Fraction, ...], nus: list[Fraction]
) -> dict[str, Fraction]:
    out: dict[str, Fraction] = {}
    if p.budget is not None and lam > 0:
        out["budget"] = lam
    for t, mu in enumerate(mus):
        if mu > 0 and _has_floor(p, t):
            out[floor_label(p, t)] = mu
    for row, nu in zip(p.extra, nus, strict=True):
        if nu > 0:
            out[row.key] = nu
    return out


def _refine_mu(p: ClassProblem, lam: Fraction, nus: list[Fraction]) -> list[Fraction]:
    """Per task, the exact floor price minimising its term of ``D`` given ``lam`` and ``nus``."""
    from costplan.solvers.classprices import task_prices

    groups = [np.flatnonzero(p.task == t) for t in range(len(p.volume))]
    floor = [int(f) if int(n) > 0 else -1 for f, n in zip(p.floor, p.volume, strict=True)]
    w = p.quality if p.objective == "max_quality" else -p.cost
    b = _bcost(p)
    alphas = []
    for g in groups:
        al = []
        for o in g:
            a = Fraction(int(w[o])) - lam * int(b[o])
            for nu, row in zip(nus, p.extra, strict=True):
                if nu:
                    a -= nu * int(row.coef[o])
            al.append(a)
        alphas.append(al)
    mus, _, _ = task_prices(p, groups, floor, alphas)
    return mus


def _glop_prices(p: ClassProblem) -> tuple[Fraction, list[Fraction]]:
    """(budget price, side-row prices) from GLOP's duals of the LP relaxation, in max form;
    zeros when the LP is not solved. Rows are normalised by their largest coefficient for the
    float solve and the duals mapped back."""
    from ortools.linear_solver import pywraplp

    zero = (Fraction(0), [Fraction(0)] * len(p.extra))
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:
        return zero
    n_opt = len(p.cost)
    x = [solver.NumVar(0.0, float(p.volume[p.task[o]]), f"x{o}") for o in range(n_opt)]
    for t in range(len(p.volume)):
        opts = np.flatnonzero(p.task == t)
        solver.Add(sum(x[o] for o in opts) == float(p.volume[t]))
        if _has_floor(p, t):
            f = int(p.floor[t])
            solver.Add(sum((int(p.quality[o]) - f) / 1e6 * x[o] for o in opts) >= 0)
    w = p.quality if p.objective == "max_quality" else -p.cost
    wscale = max(1, max((abs(int(v)) for v in w), default=1))
    rows: list[tuple[object, int]] = []
    if p.budget is not None:
        b = _bcost(p)
        s = max(1, int(np.max(b)) if b.size else 1)
        expr = sum(int(b[o]) / s * x[o] for o in range(n_opt))
        rows.append((solver.Add(expr <= p.budget / s), s))
    for row in p.extra:
        s = max(1, max(abs(int(c)) for c in row.coef))
        expr = sum(int(row.coef[o]) / s * x[o] for o in range(n_opt) if int(row.coef[o]) != 0)
        rows.append((solver.Add(expr <= int(row.rhs) / s), s))
    solver.Maximize(sum(int(w[o]) / wscale * x[o] for o in range(n_opt)))
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return zero
    prices = [
        Fraction(max(0.0, abs(c.dual_value()))).limit_denominator(10**12) * wscale / s  # type: ignore[attr-defined]
        for c, s in rows
    ]
    lam = prices.pop(0) if p.budget is not None else Fraction(0)
    return lam, prices


# ----------------------------------------------------------------------------- repair


def repair(p: ClassProblem, counts: I64, *, max_moves: int = 500, time_s: float = 2.0) -> I64:
    """``counts`` improved by exact moves (queries of a task from option ``i`` to ``j``) that
    raise the objective (``max_quality``: quality, then lower cost; ``min_cost``: lower cost)
    while budget, floors, ``split`` and every side row hold exactly. Best move first, ties to
    the lowest (task, i, j). ``counts`` must be feasible exactly; the result is."""
    deadline = time.perf_counter() + time_s
    x = [int(v) for v in counts]
    maximize = p.objective == "max_quality"
    # global rows as (coef per option, slack), "<=" form; floors per task as (floor, slack)
    rows: list[tuple[list[int], int]] = []
    if p.budget is not None:
        b = [int(v) for v in _bcost(p)]
        rows.append((b, int(p.budget) - sum(bi * xi for bi, xi in zip(b, x, strict=True))))
    for row in p.extra:
        coef = [int(c) for c in row.coef]
        rows.append((coef, int(row.rhs) - sum(c * xi for c, xi in zip(coef, x, strict=True))))
    quality = [int(q) for q in p.quality]
    floors: dict[int, list[int]] = {}  # task -> [floor, slack]
    for t in range(len(p.volume)):
        if _has_floor(p, t):
            f = int(p.floor[t])
            opts_t = np.flatnonzero(p.task == t)
            floors[t] = [f, sum((quality[o] - f) * x[o] for o in opts_t)]
    if any(s < 0 for _, s in rows) or any(fs[1] < 0 for fs in floors.values()):
        return counts
    gain1 = [int(q) for q in p.quality] if maximize else [-int(c) for c in p.cost]
    gain2 = [-int(c) for c in p.cost] if maximize else [int(q) for q in p.quality]
    groups = [[int(o) for o in np.flatnonzero(p.task == t)] for t in range(len(p.volume))]
    for _ in range(max_moves):
        if time.perf_counter() > deadline:
            break
        best: tuple[int, int, int, int, int, int] | None = None  # gain1, gain2, -t, -i, -j, k
        for t, opts in enumerate(groups):
            vol = int(p.volume[t])
            for i in opts:
                if x[i] == 0:
                    continue
                for j in opts:
                    d1, d2 = gain1[j] - gain1[i], gain2[j] - gain2[i]
                    if j == i or (d1, d2) <= (0, 0):
                        continue
                    k = x[i]
                    if t in floors and quality[j] < quality[i]:
                        k = min(k, floors[t][1] // (quality[i] - quality[j]))
                    for coef, s in rows:
                        d = coef[j] - coef[i]
                        if d > 0:
                            k = min(k, s // d)
                    if k <= 0 or (not p.split[t] and k < vol):
                        continue
                    cand = (k * d1, k * d2, -t, -i, -j, k)
                    if best is None or cand > best:
                        best = cand
        if best is None:
            break
        _, _, t, i, j, k = best
        t, i, j = -t, -i, -j
        x[i] -= k
        x[j] += k
        if t in floors:
            floors[t][1] += k * (quality[j] - quality[i])
        rows = [(coef, s - k * (coef[j] - coef[i])) for coef, s in rows]
    return np.asarray(x, dtype=np.int64)


def feasible(p: ClassProblem, counts: I64) -> bool:
    """Whether ``counts`` meets every row of ``p`` exactly (volumes, split, budget, floors,
    side rows)."""
    x = [int(v) for v in counts]
    if any(v < 0 for v in x):
        return False
    for t in range(len(p.volume)):
        opts = np.flatnonzero(p.task == t)
        if sum(x[o] for o in opts) != int(p.volume[t]):
            return False
    return all(v >= 0 for v in slack(p, counts).values())
