"""The driver side of ``assign --engine dask``'s distributed solve (worker side:
:mod:`costplan.dask_shard`).

Contract: :func:`solve_distributed` returns the :class:`~costplan.solvers.protocol.Solution`
that :func:`costplan.solvers.mckp.solve_mckp` returns on the concatenated shards (same plan,
objective, bound, status, certificate and integer statistics), while the problem's arrays
stay on the workers. What reaches the driver: per-shard sums, the steps tied with the
critical step, the rows of the groups the incumbent's fill may move, the rows of the exact
core's groups, and at the end each query's choice, cost and quality (O(queries), not
O(queries x options)).

Phases, each the single-process solver's (``mckp`` module docstring, steps 1-5):

1. hull per shard (workers);
2. LP: the driver finds the critical float efficiency ``e*`` of the greedy's sorted order by
   count-weighted median pivots over the shards' sorted steps (``W(> e*) <= capacity <
   W(>= e*)``), orders the steps tied at ``e*`` by (rank, group) as the stable sort does, and
   so gets the critical step, ``lam`` and the residual; the workers build the argmax and
   greedy plans and the exact sums of the bound ``L(lam)``;
3. incumbent: ``mckp._fill`` on the driver over the only groups with a candidate move;
4. fixing: ``mckp._fix`` on each shard with the driver's threshold ``L - (z + 1)``;
5. exact core: :func:`costplan.solvers.mckp.exact_core` on the driver, over the core rows.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from costplan import dask_shard as ws
from costplan.errors import SolverLimitError
from costplan.solvers.mckp import (
    CoreInput,
    Status,
    _certificate,
    _Core,
    _fill,
    _floor,
    exact_core,
)
from costplan.solvers.protocol import Solution, settle


@dataclass(frozen=True)
class Distributed:
    """The solution, each query's cost and quality, the per-query rows' ids and tasks, and
    the shards' (any quality given, all 0/1) flags for the correctness note."""

    solution: Solution
    ids: tuple[str, ...]
    tasks: tuple[str, ...]
    cost: Any
    quality: Any
    correctness: bool


class Infeasible(Exception):
    """No plan meets the budget row; ``cheapest``: the cheapest plan's total cost."""

    def __init__(self, cheapest: int) -> None:
        super().__init__(cheapest)
        self.cheapest = cheapest


def _run(client: Any, fn: Any, futures: Sequence[Any], *args: Any) -> list[Any]:
    return list(client.gather([client.submit(fn, f, *args, pure=False) for f in futures]))


def _critical(client: Any, shards: Sequence[Any], cap: int,
              ) -> tuple[float, tuple[int, int, int, int], int]:  # fmt: skip
    """``e*``, the critical step (rank, global group, dp, dw) and the weight taken before it."""
    lo, hi = 0.0, float("inf")  # every efficiency is > 0 and finite
    while True:
        rounds = _run(client, ws.inside, shards, lo, hi)
        cands = sorted((e, n) for n, e in rounds if e is not None)
        if not cands:
            raise AssertionError("float search lost the critical step")  # pragma: no cover
        half, acc, piv = sum(n for _, n in cands) / 2, 0, cands[-1][0]
        for e, n in cands:
            acc += n
            if acc >= half:
                piv = e
                break
        got = _run(client, ws.weights, shards, piv)
        w_gt, w_ge = sum(a for a, _ in got), sum(b for _, b in got)
        if w_ge <= cap:
            hi = piv
        elif w_gt > cap:
            lo = piv
        else:
            break
    tied = _run(client, ws.ties, shards, piv)
    rank = np.concatenate([t[0] for t in tied])
    group = np.concatenate([t[1] for t in tied])
    dp = np.concatenate([t[2] for t in tied])
    dw = np.concatenate([t[3] for t in tied])
    o = np.lexsort((group, rank))
    cum = np.cumsum(dw[o])
    f = int(np.searchsorted(cum, cap - w_gt, side="right"))
    i = int(o[f])
    used = w_gt + (int(cum[f - 1]) if f else 0)
    return piv, (int(rank[i]), int(group[i]), int(dp[i]), int(dw[i])), used


def solve_distributed(
    client: Any,
    built: list[Any],
    sizes: Sequence[int],
    *,
    maximize: bool,
    budget: int | None,
    min_value: int | None,
    time_limit_s: float | None,
) -> Distributed:
    """Solve the shards' MCKP as ``solve_mckp`` would (module docstring). ``built``: futures
    of each shard's ``(query set, arrays)``, emptied here once the shards are prepared (which
    releases them on the workers)."""
    t0 = time.perf_counter()
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(int).tolist()
    shards = [client.submit(ws.prepare, b, s, maximize, pure=False)
              for b, s in zip(built, starts, strict=True)]  # fmt: skip
    sums: list[ws.Summary] = _run(client, ws.summary, shards)
    built.clear()  # the workers now keep the canonical form only
    g = sum(s.groups for s in sums)
    k_opts = client.submit(lambda s: s.p.shape[1], shards[0], pure=False).result()
    stats: dict[str, float | int] = {"groups": g, "options": k_opts}
    offset = sum(s.offset for s in sums)
    if maximize:
        cap = None if budget is None else budget - offset
    else:
        cap = None if min_value is None else offset - min_value
    if cap is not None and cap < 0:
        raise Infeasible(offset if maximize else -1)
    stats["t_prepare"] = 0.0
    stats["t_hull"] = time.perf_counter() - t0
    stats["undominated"] = sum(s.undominated for s in sums)
    stats["hull_points"] = sum(s.hull_points for s in sums)
    t = time.perf_counter()
    base = sum(s.base for s in sums)
    total_w = sum(s.step_weight for s in sums)
    binding = cap is not None and total_w > cap
    e, crit, used = _critical(client, shards, cap) if binding and cap is not None else (
        0.0, None, 0)  # fmt: skip
    lps = [client.submit(ws.lp, s, e, crit, pure=False) for s in shards]
    lsums = _run(client, ws.lp_sums, lps)
    sum_dp, sum_dw = sum(x[0] for x in lsums), sum(x[1] for x in lsums)
    p0, w0, greedy_p = (sum(x[i] for x in lsums) for i in (2, 3, 4))
    lam = Fraction(0) if crit is None else Fraction(crit[2], crit[3])
    lp = Fraction(base + sum_dp) + (lam * (cap - sum_dw) if crit is not None and cap is not None
                                    else 0)  # fmt: skip
    stats["t_lp"] = time.perf_counter() - t
    stats["lp_steps"] = sum(s.steps for s in sums)
    stats["lp_bound"] = float(lp)
    ub = _floor(lp)
    run = _Run(client, shards, lps, maximize, budget, min_value, stats, t0)
    if crit is None or cap is None:
        return run.finish("greedy", None, "optimal", ub, lp, lam, None)
    residual = cap - used

    t = time.perf_counter()
    stats["greedy"] = greedy_p if maximize else -greedy_p
    fill = [client.submit(ws.fill_rows, s, x, residual, pure=False)
            for s, x in zip(shards, lps, strict=True)]  # fmt: skip
    fr = client.gather(fill)
    fg = np.concatenate([r[0] for r in fr])
    fp, fw = np.concatenate([r[1] for r in fr]), np.concatenate([r[2] for r in fr])
    fu, f_greedy = np.concatenate([r[3] for r in fr]), np.concatenate([r[4] for r in fr])
    f_plan, _, moves = _fill(fp, fw, fu, f_greedy, residual) if fg.size else (f_greedy, 0, 0)
    idx = np.arange(fg.size)
    z = greedy_p + int(fp[idx, f_plan].sum()) - int(fp[idx, f_greedy].sum())
    moved = f_plan != f_greedy
    inc_groups, inc_options = fg[moved], f_plan[moved]  # the incumbent: greedy + these moves
    stats["t_fill"] = time.perf_counter() - t
    stats["fill_moves"] = moves
    stats["incumbent_initial"] = z if maximize else -z

    deadline = None if time_limit_s is None else t0 + time_limit_s
    t = time.perf_counter()
    core: _Core | None = None
    if z < ub:
        cr = client.gather([client.submit(ws.core_rows, s, x, lam, lp - (z + 1), pure=False)
                            for s, x in zip(shards, lps, strict=True)])  # fmt: skip
        cg = np.concatenate([r[0] for r in cr])
        core = _Core(cg, np.concatenate([r[1] for r in cr]))
        c_p, c_w = np.concatenate([r[2] for r in cr]), np.concatenate([r[3] for r in cr])
        c_arg, c_inc = np.concatenate([r[4] for r in cr]), np.concatenate([r[5] for r in cr])
        pos = np.searchsorted(cg, inc_groups)
        hit = (pos < cg.size) & (cg[np.minimum(pos, max(cg.size - 1, 0))] == inc_groups)
        c_inc[pos[hit]] = inc_options[hit]
    else:
        cg = np.zeros(0, np.int64)
        c_p = c_w = np.zeros((0, k_opts), np.int64)
        c_arg = c_inc = cg
    stats["t_fix"] = time.perf_counter() - t
    stats["core_groups"] = 0 if core is None else int(core.groups.size)
    stats["core_options"] = 0 if core is None else int(np.isfinite(core.loss).sum())
    question = CoreInput(c_p, c_w, c_arg, c_inc, None if core is None else core.loss, lam, lp,
                         p0, cap - w0, z, ub)  # fmt: skip
    out = exact_core(question, deadline=deadline, core_limit=100_000, num_workers=1,
                     stats=stats)  # fmt: skip
    if out.switch is None:
        return run.finish("greedy", (inc_groups, inc_options), out.status, out.ub, lp, lam, core)
    return run.finish("argmax", (cg, out.switch), out.status, out.ub, lp, lam, core)


@dataclass(frozen=True)
class _Run:
    client: Any
    shards: Sequence[Any]
    lps: Sequence[Any]
    maximize: bool
    budget: int | None
    min_value: int | None
    stats: dict[str, float | int]
    t0: float

    def finish(self, base: str, changes: tuple[Any, Any] | None, status: Status, ub: int,
               lp: Fraction, lam: Fraction, core: _Core | None) -> Distributed:  # fmt: skip
        """The final plan built on the workers, then ``solve_mckp``'s ``finish``."""
        maximize, stats = self.maximize, self.stats
        sizes = [len(x) for x in _run(self.client, lambda s: s.ids, self.shards)]
        got = []
        start = 0
        for s, x, n in zip(self.shards, self.lps, sizes, strict=True):
            groups = options = np.zeros(0, np.int64)
            if changes is not None:
                m = (changes[0] >= start) & (changes[0] < start + n)
                groups, options = changes[0][m] - start, changes[1][m]
            got.append(self.client.submit(ws.choose, s, x, base, groups, options, maximize,
                                          pure=False))  # fmt: skip
            start += n
        parts = self.client.gather(got)
        if not all(p[5] for p in parts):
            raise AssertionError("distributed plan uses an infeasible option")  # pragma: no cover
        plan = np.concatenate([p[2] for p in parts])
        cost = np.concatenate([p[3] for p in parts])
        value = np.concatenate([p[4] for p in parts])
        total_cost, total_value = int(cost.sum()), int(value.sum())
        objective = total_value if maximize else total_cost
        obj_p = objective if maximize else -objective
        bound_exact = ub if maximize else -ub
        lp_out = lp if maximize else -lp
        # the secondary constraint, checked on the (proven) optimum as solve_mckp does
        short = (maximize and self.min_value is not None and objective < self.min_value) or (
            not maximize and self.budget is not None and objective > self.budget
        )
        if short:
            secondary = self.min_value if maximize else self.budget
            assert secondary is not None
            if status != "optimal" and (ub >= secondary if maximize else -ub <= secondary):
                raise SolverLimitError("no plan meeting the value floor found within the limits"
                                       if maximize else
                                       "no plan within the budget found within the limits",
                                       key="min_value" if maximize else "budget",
                                       value=secondary)  # fmt: skip
            raise Infeasible(-1)
        stats["wall_s"] = time.perf_counter() - self.t0
        t_cert = time.perf_counter()
        cert = _certificate(maximize, lam, lp_out, core, lp, obj_p, status)
        status2, bound2, gap = settle("max" if maximize else "min", objective, bound_exact, cert)
        slack: dict[str, Fraction] = {}
        if self.budget is not None:
            slack["budget"] = Fraction(self.budget - total_cost)
        if self.min_value is not None:
            slack["quality"] = Fraction(total_value - self.min_value)
        stats["t_certificate"] = time.perf_counter() - t_cert
        sol = Solution(status=status2, x=plan, objective=objective, bound=bound2, gap=gap,
                       certificate=cert, slack=slack, method="mckp", wall_s=stats["wall_s"],
                       stats=stats, lp_bound=lp_out)  # fmt: skip
        flags = _run(self.client, lambda s: s.correctness, self.shards)
        correct = any(a for a, _ in flags) and all(b for a, b in flags if a)
        return Distributed(
            sol,
            tuple(i for p in parts for i in p[0]),
            tuple(t for p in parts for t in p[1]),
            cost,
            value,
            correct,
        )
