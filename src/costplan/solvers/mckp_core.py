"""The exact phase of the MCKP: incumbent fill, reduced-profit fixing and the exact core.

Contract (steps 3-5 of :mod:`costplan.solvers.mckp`, canonical arrays throughout): ``_fill``
improves an integer plan within the leftover capacity; ``_fix`` keeps, per group, the options
whose reduced-profit loss against ``lam`` may be within a slack (a float lower bound with a
rigorous margin: an option is dropped only when its exact loss exceeds the slack) and returns
the *core* groups; ``_dp`` answers "is there a plan of profit >= T?" exactly or aborts at its
state limit; :func:`exact_core` runs the bound-driven deepening over the core (DP first, CP-SAT
from :mod:`costplan.solvers.mckp_cpsat` when the DP aborts) and returns the proven status and
bound. ``_DP_MAX_STATES`` and ``_DP_MAX_TOTAL`` are read at call time by ``exact_core`` (tests
patch them on this module).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import numpy as np
import numpy.typing as npt

from costplan.solvers.mckp_cpsat import _solve_sub
from costplan.solvers.mckp_problem import Status
from costplan.solvers.mckp_relax import _CHUNK

__all__ = ["CoreInput", "CoreOutcome", "exact_core"]

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]

_DP_MAX_STATES = 1 << 21  # DP states after one group: above this the DP hands over to CP-SAT
_DP_MAX_TOTAL = 1 << 25  # DP states summed over groups (traceback memory: 6 bytes each)


def _floor(q: Fraction) -> int:
    return q.numerator // q.denominator


def _to_float_up(q: Fraction) -> float:
    """A float >= q (conversion rounds to nearest; step up one relative ulp-ish margin)."""
    f = float(q)
    return f + abs(f) * 2.0**-50 + 2.0**-1000


# ----------------------------------------------------------------------------- incumbent


def _fill(
    p: I64, w: I64, und: Bool, plan: I64, residual: int, max_moves: int = 256
) -> tuple[I64, int, int]:
    """Spend leftover capacity: repeatedly apply the single move with the largest profit gain."""
    plan = plan.copy()
    if residual <= 0:
        return plan, residual, 0
    g = p.shape[0]
    cand_g: list[I64] = []
    cand_k: list[I64] = []
    for s in range(0, g, _CHUNK):
        e = min(g, s + _CHUNK)
        r = np.arange(s, e)
        pc, wc = p[r, plan[s:e]], w[r, plan[s:e]]
        dwc = w[s:e] - wc[:, None]
        ok = und[s:e] & (dwc > 0) & (dwc <= residual) & (p[s:e] > pc[:, None])
        gi, ki = np.nonzero(ok)
        cand_g.append(gi + s)
        cand_k.append(ki.astype(np.int64))
    cg = np.concatenate(cand_g)
    ck = np.concatenate(cand_k)
    moves = 0
    while cg.size and moves < max_moves:
        dpc = p[cg, ck] - p[cg, plan[cg]]
        dwc = w[cg, ck] - w[cg, plan[cg]]
        ok = (dpc > 0) & (dwc > 0) & (dwc <= residual)
        cg, ck, dpc, dwc = cg[ok], ck[ok], dpc[ok], dwc[ok]
        if cg.size == 0:
            break
        best = np.lexsort((ck, cg, dwc, -dpc))[0]
        plan[cg[best]] = ck[best]
        residual -= int(dwc[best])
        moves += 1
    return plan, residual, moves


# ----------------------------------------------------------------------------- fixing


@dataclass(frozen=True)
class _Core:
    """Groups with a second option whose reduced-profit loss may be within the slack."""

    groups: I64  # core group ids (ascending)
    loss: F64  # (len(groups), K) lower bound on each option's loss; +inf if eliminated, -inf at h


def _fix(p: I64, w: I64, und: Bool, argmax: I64, lam: Fraction, slack: Fraction) -> _Core:
    """Reduced-profit fixing: keep options whose loss ``r*_g - r[g, k]`` may be <= ``slack``.

    The loss is computed in float64 minus a rigorous rounding bound, so an option is dropped only
    when its exact loss exceeds the slack.
    """
    g, k = p.shape
    lam_f = float(lam)
    lim = _to_float_up(slack)
    groups: list[I64] = []
    losses: list[F64] = []
    for s in range(0, g, _CHUNK):
        e = min(g, s + _CHUNK)
        r = np.arange(e - s)
        am = argmax[s:e]
        pb, wb = p[s:e], w[s:e]
        dpk = (pb[r, am][:, None] - pb).astype(np.float64)
        dwk = (wb[r, am][:, None] - wb).astype(np.float64)
        loss = dpk - lam_f * dwk
        loss -= (np.abs(dpk) + lam_f * np.abs(dwk)) * 2.0**-48  # exact loss >= this
        keep = und[s:e] & (loss <= lim)
        keep[r, am] = False
        ci = np.flatnonzero(keep.any(axis=1))
        if ci.size:
            lo = np.where(keep[ci], loss[ci], np.inf)
            lo[np.arange(ci.size), am[ci]] = -np.inf
            groups.append(ci + s)
            losses.append(lo)
    return _Core(
        np.concatenate(groups) if groups else np.zeros(0, np.int64),
        np.concatenate(losses) if losses else np.zeros((0, k), np.float64),
    )


# ----------------------------------------------------------------------------- exact core DP


@dataclass(frozen=True)
class _DpResult:
    outcome: Literal["found", "none", "aborted"]
    groups: I64  # groups whose option differs from the argmax plan's (when found)
    options: I64
    profit: int
    layers: int
    peak_states: int
    total_states: int


def _dp(
    p: I64,
    w: I64,
    argmax: I64,
    groups: I64,
    keep: Bool,
    lam: Fraction,
    p0: int,
    c0: int,
    target: int,
    deadline: float | None,
    max_states: int,
    max_total: int,
) -> _DpResult:
    """Best plan of profit >= ``target``, or a proof that there is none (exact).

    Every group starts at its reduced-profit argmax (plan profit ``p0``, residual capacity
    ``c0``); ``groups`` may switch to their ``keep`` options. States are (weight change, profit
    change) pairs; after each group only Pareto-undominated states survive, and a state is
    pruned when even the LP of the remaining groups cannot lift it to ``target``: from the
    argmax, extra capacity ``c >= 0`` buys profit at most at the best remaining forward
    efficiency ``lam+ <= lam``, and a deficit ``c < 0`` costs at least the smallest remaining
    backward efficiency ``lam- >= lam``. Groups are processed nearest-to-``lam`` first, so the
    remaining groups' efficiencies are far from ``lam`` and the bound is tight.
    """
    empty = np.zeros(0, np.int64)
    m = groups.size
    hg = argmax[groups]
    d_w = np.where(keep, w[groups] - w[groups, hg][:, None], 0)
    d_p = np.where(keep, p[groups] - p[groups, hg][:, None], 0)
    fwd_m = keep & (d_w > 0)
    bwd_m = keep & (d_w < 0)
    fwd = np.where(fwd_m, d_p / np.where(fwd_m, d_w, 1), 0.0).max(axis=1)
    bwd = np.where(bwd_m, d_p / np.where(bwd_m, d_w, 1), np.inf).min(axis=1)
    lam_f = float(lam)
    score = np.minimum(np.where(fwd_m.any(axis=1), lam_f - fwd, np.inf), bwd - lam_f)
    order = np.argsort(score, kind="stable")
    fwd, bwd = fwd[order], bwd[order]
    lam_plus = np.maximum.accumulate(np.append(fwd, 0.0)[::-1])[::-1] * (1 + 2.0**-48)
    lam_minus = np.minimum.accumulate(np.append(bwd, np.inf)[::-1])[::-1] * (1 - 2.0**-48)
    base = p0 - target
    sw = np.zeros(1, np.int64)
    sp = np.zeros(1, np.int64)
    parents: list[npt.NDArray[np.int32]] = []
    opts: list[npt.NDArray[np.int16]] = []
    peak = total = 0
    for i in range(m):
        row = order[i]
        ks = np.flatnonzero(keep[row])  # includes the argmax option (change 0, 0)
        n_s = sw.size
        cw = (sw[None, :] + d_w[row, ks][:, None]).ravel()
        cp = (sp[None, :] + d_p[row, ks][:, None]).ravel()
        o = np.lexsort((-cp, cw))
        cw, cp = cw[o], cp[o]
        und = np.empty(cw.size, dtype=np.bool_)
        und[0] = True
        und[1:] = cp[1:] > np.maximum.accumulate(cp)[:-1]
        c = c0 - cw
        a = (base + cp).astype(np.float64)
        ext = np.empty(c.size, dtype=np.float64)
        pos = c >= 0
        ext[pos] = lam_plus[i + 1] * c[pos].astype(np.float64)
        neg = ~pos
        ext[neg] = (
            -np.inf if np.isinf(lam_minus[i + 1]) else lam_minus[i + 1] * c[neg].astype(np.float64)
        )
        ub = a + ext
        # rounding tolerance of a + ext (an infinite ext, a deficit no group left can repay,
        # must not make it -inf and keep the state)
        tol = (np.abs(a) + np.where(np.isinf(ext), 0.0, np.abs(ext))) * 2.0**-49
        alive = und & (ub >= -tol)
        o = o[alive]
        sw, sp = cw[alive], cp[alive]
        parents.append((o % n_s).astype(np.int32))
        opts.append(ks[o // n_s].astype(np.int16))
        peak = max(peak, sw.size)
        total += sw.size
        if sw.size == 0:
            return _DpResult("none", empty, empty, 0, i + 1, peak, total)
        if (
            sw.size > max_states
            or total > max_total
            or (deadline is not None and time.perf_counter() > deadline)
        ):
            return _DpResult("aborted", empty, empty, 0, i + 1, peak, total)
    j = int(np.searchsorted(sw, c0, side="right")) - 1
    if j < 0 or p0 + int(sp[j]) < target:
        return _DpResult("none", empty, empty, 0, m, peak, total)
    profit = p0 + int(sp[j])
    chosen = np.empty(m, dtype=np.int64)
    for i in range(m - 1, -1, -1):
        chosen[order[i]] = opts[i][j]
        j = int(parents[i][j])
    return _DpResult("found", groups, chosen, profit, m, peak, total)


@dataclass(frozen=True)
class CoreInput:
    """The exact phase's question, restricted to the core groups.

    Rows are the core groups (those ``_fix`` kept with a second option), in ascending order of
    the whole problem's groups: their canonical ``p``/``w`` rows, their LP-argmax and incumbent
    options, and ``loss`` (``_fix``'s lower bounds; ``None`` when there is no core). The rest are
    whole-problem figures: the dual ``lam``, the LP value ``lp``, the argmax plan's profit ``p0``
    and residual capacity ``c0``, the incumbent's profit ``z`` and the integer bound ``ub``.
    Every other group stays at its argmax option in any plan the phase builds, so these rows and
    figures are all it reads (the Dask engine gathers exactly them from its workers).
    """

    p: I64
    w: I64
    argmax: I64
    incumbent: I64
    loss: F64 | None
    lam: Fraction
    lp: Fraction
    p0: int
    c0: int
    z: int
    ub: int


@dataclass(frozen=True)
class CoreOutcome:
    """``status``/``ub``/``z`` after the exact phase; ``switch``: ``None`` when the plan is the
    incumbent, else the core groups' options of a plan that is the argmax elsewhere."""

    status: Status
    ub: int
    z: int
    switch: I64 | None


def exact_core(
    q: CoreInput,
    *,
    deadline: float | None,
    core_limit: int,
    num_workers: int,
    stats: dict[str, float | int],
) -> CoreOutcome:
    """Bound-driven deepening on the core (module docstring, step 5).

    Targets T = floor(L) - depth (depth from gap/512, growing): "is there a plan of profit
    >= T?" only involves options of loss <= L - T, so early questions are tiny. A DP answer
    "found" is the optimum; "none" lowers ub to T - 1; an aborted DP (state limit) hands the
    same restricted question to CP-SAT. Fills the ``t_dp``/``t_cpsat``/``dp_*`` statistics.
    """
    p, w, argmax, lam, lp = q.p, q.w, q.argmax, q.lam, q.lp
    z, ub, cur, switch = q.z, q.ub, q.incumbent, None
    status: Status = "feasible"
    t_dp = cpsat_wall = 0.0
    runs = dp_layers = dp_peak = dp_total = 0
    top_target = ub
    depth = (ub - (z + 1)) // 512  # targets: top_target - depth, depth growing
    groups = np.arange(p.shape[0])
    while q.loss is not None:
        if z >= ub:
            status, ub = "optimal", z
            break
        if deadline is not None and time.perf_counter() >= deadline:
            break
        target = max(z + 1, top_target - depth)
        sel = q.loss <= _to_float_up(lp - target)
        in_run = sel.sum(axis=1) >= 2
        run_groups, run_keep = groups[in_run], sel[in_run]
        runs += 1
        t = time.perf_counter()
        res = _dp(p, w, argmax, run_groups, run_keep, lam, q.p0, q.c0, target, deadline,
                  _DP_MAX_STATES, _DP_MAX_TOTAL)  # fmt: skip
        t_dp += time.perf_counter() - t
        dp_layers += res.layers
        dp_peak = max(dp_peak, res.peak_states)
        dp_total += res.total_states
        if res.outcome == "found":
            switch = argmax.copy()
            switch[res.groups] = res.options
            z = res.profit
            status, ub = "optimal", z
            break
        if res.outcome == "none":
            ub = target - 1
            # the DP's work grows steeply with the depth: double it while runs are cheap, then
            # advance by a quarter (at least one integer step)
            depth = 2 * depth + 1 if res.total_states < 200_000 else depth + max(1, depth // 4)
            continue
        # DP aborted: CP-SAT on the same restricted question, if small enough and time is left
        if run_groups.size > core_limit:
            break
        if deadline is not None and time.perf_counter() >= deadline:
            break
        # the groups outside the run stay at their argmax: capacity c0 plus the run's argmax use
        sub_cap = q.c0 + int(w[run_groups, argmax[run_groups]].sum())
        sub = _solve_sub(p, w, run_groups, run_keep, sub_cap, cur[run_groups], deadline,
                         num_workers)  # fmt: skip
        cpsat_wall += sub.wall
        stats["cpsat_groups"] = int(run_groups.size)
        fixed = q.p0 - int(p[run_groups, argmax[run_groups]].sum())
        if sub.plan is not None:
            cz = fixed + int(p[run_groups, sub.plan].sum())
            if cz > z:
                switch = argmax.copy()
                switch[run_groups] = sub.plan
                cur, z = switch, cz
        if sub.proven:
            if z >= target:
                status, ub = "optimal", z
                break
            ub = target - 1
            depth = depth + max(1, depth // 4)
            continue
        if sub.bound is not None:
            ub = min(ub, max(target - 1, fixed + sub.bound))
        break
    if z >= ub:
        status, ub = "optimal", z
    stats["t_dp"] = t_dp
    stats["t_cpsat"] = cpsat_wall
    stats["dp_runs"] = runs
    stats["dp_layers"] = dp_layers
    stats["dp_peak_states"] = dp_peak
    stats["dp_total_states"] = dp_total
    return CoreOutcome(status, ub, z, switch)
