"""The MCKP's input and output types and the preparation of its canonical form.

Contract: ``MckpProblem`` is the problem as the caller states it (see the formulation in
:mod:`costplan.solvers.mckp`), ``MckpResult`` (= ``Solution``) the answer. ``_validate`` raises
``InputError`` for malformed arrays and returns them as int64; ``_canonical`` maps either
objective to *maximise profit s.t. weight <= capacity* (weights >= 0, a weight-0 option per
group, infeasible cells at profit 0 and weight ``_SENTINEL``) and enforces the 2**61 limit on
the exact sums. ``_start_plan`` and ``_profit`` are small exact helpers on canonical arrays.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from costplan.errors import InputError
from costplan.solvers.mckp_relax import _CHUNK, _SENTINEL
from costplan.solvers.protocol import Solution

__all__ = ["MckpProblem", "MckpResult", "Objective", "Status"]

Status = Literal["optimal", "feasible", "infeasible"]
Objective = Literal["max_value", "min_cost"]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]

_LIMIT = 2**61  # bound on sum_g max_k |cost| and |value|: every exact sum fits in int64


@dataclass(frozen=True)
class MckpProblem:
    """One multiple-choice knapsack: every group picks exactly one feasible option."""

    cost: I64  # (G, K) >= 0, integer money units (e.g. nano-dollars)
    value: I64  # (G, K) integer quality units (e.g. micro-units)
    feasible: Bool  # (G, K), every row has at least one True
    budget: int | None  # max total cost (max_value); also checked for min_cost
    objective: Objective
    min_value: int | None = None  # total value floor (min_cost); also checked for max_value


# One Solution type for every back end (``x`` = option per group here; ``choice`` reads it).
# ``bound`` is the best proven bound on the optimum (>= for max_value, <= for min_cost), an exact
# integer: the LP relaxation rounded to the integer scale, tightened by the exact core solve; it
# equals ``objective`` exactly when ``status == "optimal"``. ``lp_bound`` is the exact LP value (a
# ``Fraction``; ``None`` when infeasible); ``gap = |bound - objective| / max(1, |objective|)``
# (a ``Fraction``). When infeasible, ``choice`` is the plan closest to feasibility (cheapest plan
# for max_value, highest-value plan for min_cost), ``objective`` its objective and ``bound``
# ``None``. The certificate: the budget price (max_value; the ``quality`` price for min_cost),
# ``D`` = the LP value, and for ``proof: core`` the fixing threshold and the core groups
# (``docs/certificate.md``).
MckpResult = Solution


def _validate(problem: MckpProblem) -> tuple[I64, I64, Bool]:
    cost = np.asarray(problem.cost)
    value = np.asarray(problem.value)
    feas = np.asarray(problem.feasible)
    if problem.objective not in ("max_value", "min_cost"):
        raise InputError("unknown objective", key="objective", value=problem.objective)
    for name, arr in (("cost", cost), ("value", value)):
        if arr.ndim != 2:
            raise InputError(f"{name} must be a (groups, options) array", key=name, value=arr.shape)
        if not np.issubdtype(arr.dtype, np.integer):
            raise InputError(
                f"{name} must be integers",
                key=name,
                value=str(arr.dtype),
                hint="scale money/quality to integer units before solving",
            )
    if feas.dtype != np.bool_:
        raise InputError("feasible must be a boolean array", key="feasible", value=str(feas.dtype))
    if not (cost.shape == value.shape == feas.shape):
        raise InputError(
            "cost, value and feasible must have the same shape",
            key="cost",
            value=(cost.shape, value.shape, feas.shape),
        )
    g, k = cost.shape
    if k == 0 and g > 0:
        raise InputError("every group needs at least one option", key="feasible", value=(g, k))
    if k > np.iinfo(np.int16).max:
        raise InputError("too many options per group", key="cost", value=k)
    cost = cost.astype(np.int64, copy=False)
    value = value.astype(np.int64, copy=False)
    if g == 0:
        return cost, value, feas
    empty = np.flatnonzero(~feas.any(axis=1))
    if empty.size:
        raise InputError(
            "a group has no feasible option",
            key=("feasible", int(empty[0])),
            hint="drop the query or allow at least one model",
        )
    return cost, value, feas


def _canonical(cost: I64, value: I64, feas: Bool, maximize: bool) -> tuple[I64, I64, I64]:
    """(profit, weight, per-group offset) of the canonical form, built chunk by chunk.

    ``offset`` is the per-group min cost (max_value) or max value (min_cost). Also checks that
    costs are >= 0 and that the exact sums stay below 2**61. Infeasible cells get profit 0 and
    weight ``_SENTINEL`` whatever the input held there.
    """
    g, k = cost.shape
    p = np.empty((g, k), dtype=np.int64)
    w = np.empty((g, k), dtype=np.int64)
    offset = np.empty(g, dtype=np.int64)
    cmax_total = vabs_total = 0.0
    big = np.iinfo(np.int64).max
    for s in range(0, g, _CHUNK):
        e = min(g, s + _CHUNK)
        c, v, f = cost[s:e], value[s:e], feas[s:e]
        neg = f & (c < 0)
        if neg.any():
            g0, k0 = np.argwhere(neg)[0]
            raise InputError(
                "costs must be >= 0",
                key=("cost", int(g0) + s, int(k0)),
                value=int(c[g0, k0]),
            )
        cmax_total += float(np.where(f, c, 0).max(axis=1).astype(np.float64).sum())
        vabs = np.where(f, np.abs(v), 0)
        vabs_total += float(vabs.max(axis=1).astype(np.float64).sum())
        # |-2**63| wraps to -2**63 (a row of only such values would lower the total): refuse
        if np.any(f & (v == np.iinfo(np.int64).min)):
            vabs_total = float(_LIMIT)
        if maximize:
            off = np.where(f, c, big).min(axis=1)
            p[s:e] = np.where(f, v, 0)
            w[s:e] = np.where(f, c - off[:, None], _SENTINEL)
        else:
            off = np.where(f, v, -big).max(axis=1)
            p[s:e] = np.where(f, -c, 0)
            w[s:e] = np.where(f, off[:, None] - v, _SENTINEL)
        offset[s:e] = off
    if cmax_total >= _LIMIT or vabs_total >= _LIMIT:
        raise InputError(
            "costs or values too large for exact int64 sums (limit 2**61 over all groups)",
            key="cost" if cmax_total >= _LIMIT else "value",
            hint="use a coarser integer unit",
        )
    return p, w, offset


def _start_plan(p: I64, w: I64, feas: Bool) -> I64:
    """Weight-0 option of maximal profit per group (lowest index on ties)."""
    cand = feas & (w == 0)
    best: I64 = np.where(cand, p, np.iinfo(np.int64).min).argmax(axis=1).astype(np.int64)
    return best


def _profit(a: I64, plan: I64) -> int:
    return int(a[np.arange(a.shape[0]), plan].sum())
