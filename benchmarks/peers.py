"""Peers of costplan's exact per-query solve on the same instance, each in its own child.

The instance is what ``costplan assign`` solves for a query file: ``build_arrays`` of the
file and the price sheet (cost in pico-dollars, value in quality micro-units, feasibility),
``max_value`` under the budget, saved once as ``.npz`` (:func:`save_instance`). Then:

* ``ours``: ``solve_mckp`` (the exact solve alone, as inside ``assign``);
* ``highs_mip``: the same 0/1 model (one binary per feasible (query, model), one
  ``sum_k x_gk = 1`` row per query, the budget row) by HiGHS through
  ``scipy.optimize.milp``, with a time limit; reports whether it found a solution, its
  objective and HiGHS's own relative gap;
* ``highs_lp``: its LP relaxation (``0 <= x <= 1``) by HiGHS (``scipy.optimize.linprog``,
  ``method="highs"``), the same time limit;
* ``naive``: the naive CP-SAT model of ``benchmarks/solve.py`` (one boolean per option).

HiGHS works in doubles: its objective is rounded to the nearest integer for the table,
and its solution is re-scored exactly on the integers (``exact_objective``, with whether it
meets the budget exactly). Run: ``python benchmarks/peers.py PEER INSTANCE.npz LIMIT``
(prints one JSON object); ``run_all.py`` does this for every peer and size.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent


def save_instance(queries: Path, prices: Path, budget_usd: int, out: Path) -> None:
    from costplan.assign import build_arrays
    from costplan.pricing.load import load_price_sheets
    from costplan.queries import load_queries

    qs = load_queries(queries, default_output_tokens=100)
    _, cost, value, feasible, _ = build_arrays(qs, load_price_sheets([prices]))
    np.savez(out, cost=cost, value=value, feasible=feasible, budget=budget_usd * 10**12,
             min_value=0)  # fmt: skip


def _load(path: str) -> tuple[Any, Any, Any, int]:
    data = np.load(path)
    return data["cost"], data["value"], data["feasible"], int(data["budget"])


def ours(path: str, limit: float) -> dict[str, Any]:
    from costplan.solvers.mckp import MckpProblem, solve_mckp

    cost, value, feasible, budget = _load(path)
    t = time.perf_counter()
    r = solve_mckp(
        MckpProblem(
            cost=cost,
            value=value,
            feasible=feasible,
            budget=budget,
            objective="max_value",
            min_value=None,
        ),
        time_limit_s=limit,
    )
    wall = time.perf_counter() - t
    return {"status": r.status, "wall_s": wall, "objective": r.objective,
            "bound": r.bound_exact}  # fmt: skip


def _model(path: str) -> tuple[Any, ...]:
    """(c, A, row_low, row_high, gi, ki, cost, value, budget): ``max v.x`` as ``min -v.x``."""
    from scipy.sparse import csr_matrix, vstack

    cost, value, feasible, budget = _load(path)
    gi, ki = np.nonzero(feasible)
    n, g = gi.size, cost.shape[0]
    one = csr_matrix((np.ones(n), (gi, np.arange(n))), shape=(g, n))
    spend = csr_matrix(cost[gi, ki].astype(np.float64)[None, :])
    a = vstack([one, spend]).tocsr()
    low = np.concatenate([np.ones(g), [-np.inf]])
    high = np.concatenate([np.ones(g), [float(budget)]])
    c = -value[gi, ki].astype(np.float64)
    return c, a, low, high, gi, ki, cost, value, budget


def _exact(x: Any, gi: Any, ki: Any, cost: Any, value: Any, budget: int) -> dict[str, Any]:
    """The solution re-scored on the integers: one option per query (the largest x)."""
    g = cost.shape[0]
    best = np.full(g, -1.0)
    pick = np.zeros(g, dtype=np.int64)
    order = np.argsort(x, kind="stable")  # ascending: the last write per query is its max
    pick[gi[order]] = ki[order]
    best[gi[order]] = x[order]
    whole = bool(np.all(np.abs(x - np.rint(x)) < 1e-6)) and bool(np.all(best > 0.5))
    rows = np.arange(g)
    spent = int(cost[rows, pick].sum())
    return {"exact_objective": int(value[rows, pick].sum()), "integral": whole,
            "within_budget": spent <= budget}  # fmt: skip


def highs_mip(path: str, limit: float) -> dict[str, Any]:
    from scipy.optimize import Bounds, LinearConstraint, milp

    t = time.perf_counter()
    c, a, low, high, gi, ki, cost, value, budget = _model(path)
    res = milp(
        c,
        constraints=LinearConstraint(a, low, high),
        integrality=np.ones(len(c)),
        bounds=Bounds(0, 1),
        options={"time_limit": limit, "presolve": True},
    )
    wall = time.perf_counter() - t
    found = res.x is not None
    out: dict[str, Any] = {"status": "optimal" if res.status == 0 else
                           "feasible" if found else "no solution",
                           "wall_s": wall, "message": str(res.message),
                           "objective": round(-res.fun) if found else None,
                           "gap": None if not found else getattr(res, "mip_gap", None)}  # fmt: skip
    if found:
        out.update(_exact(res.x, gi, ki, cost, value, budget))
    return out


def highs_lp(path: str, limit: float) -> dict[str, Any]:
    from scipy.optimize import linprog

    t = time.perf_counter()
    c, a, low, high, *_ = _model(path)
    g = a.shape[0] - 1
    res = linprog(
        c,
        A_ub=a[g:],
        b_ub=high[g:],
        A_eq=a[:g],
        b_eq=low[:g],
        bounds=(0, 1),
        method="highs",
        options={"time_limit": limit, "presolve": True},
    )
    wall = time.perf_counter() - t
    return {"status": "optimal" if res.status == 0 else str(res.message)[:60],
            "wall_s": wall, "objective": None if res.x is None else -res.fun}  # fmt: skip


def naive(path: str, limit: float) -> dict[str, Any]:
    sys.path.insert(0, str(HERE))
    from solve import _naive

    got = _naive(path, "max_value", limit, 2)
    return {"status": got["status"], "wall_s": got["wall_s"], "objective": got["objective"]}


PEERS = {"ours": ours, "highs_mip": highs_mip, "highs_lp": highs_lp, "naive": naive}


def main() -> None:
    peer, path, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
    got = PEERS[peer](path, limit)
    got["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(got))


if __name__ == "__main__":
    main()
