"""The certificate and slacks of a solved MCKP (``docs/certificate.md``).

Contract: ``_certificate`` states the prices (``budget`` for max_value, ``quality`` for
min_cost), the LP value ``D`` and the proof kind (``lagrangian`` when the rounded LP equals the
plan, ``core`` with the fixing threshold and core groups when the exact phase closed the gap,
else ``search``); it reads only what the solve computed and decides nothing. ``_slack`` gives
the unused budget and the value above the floor of a plan, exactly.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import numpy.typing as npt

from costplan.solvers.mckp_core import _Core, _floor, _to_float_up
from costplan.solvers.mckp_problem import MckpProblem
from costplan.solvers.protocol import Certificate, Proof

I64 = npt.NDArray[np.int64]


def _certificate(
    maximize: bool,
    lam: Fraction,
    d: Fraction | None,
    core: _Core | None,
    lp: Fraction | None,
    z: int,
    status: str,
) -> Certificate:
    """Prices and proof of a solved problem (``docs/certificate.md``). ``lp``/``z``: the LP
    value and the plan's profit in canonical form. ``core``: the fixing the exact phase used
    (threshold ``lp - (z0 + 1)`` for the initial incumbent ``z0 <= z``), narrowed here to the
    groups with two or more options of loss bound ``<= S = lp - (z + 1)``."""
    label = "budget" if maximize else "quality"
    prices = {label: lam} if lam > 0 else {}
    proof: Proof = "search"
    threshold: Fraction | None = None
    groups: tuple[int, ...] | None = None
    if status == "optimal" and lp is not None:
        if _floor(lp) == z:
            proof = "lagrangian"
        elif core is not None:
            proof = "core"
            threshold = lp - (z + 1)
            sel = core.loss <= _to_float_up(threshold)
            groups = tuple(int(v) for v in core.groups[sel.sum(axis=1) >= 2])
    return Certificate("max" if maximize else "min", prices, d, proof, threshold, groups)


def _slack(
    problem: MckpProblem, cost: I64, value: I64, plan: I64, objective: int
) -> dict[str, Fraction]:
    rows = np.arange(cost.shape[0])
    out: dict[str, Fraction] = {}
    total_cost = int(cost[rows, plan].sum()) if cost.shape[0] else 0
    total_value = int(value[rows, plan].sum()) if cost.shape[0] else 0
    if problem.budget is not None:
        out["budget"] = Fraction(int(problem.budget) - total_cost)
    if problem.min_value is not None:
        out["quality"] = Fraction(total_value - int(problem.min_value))
    del objective
    return out
