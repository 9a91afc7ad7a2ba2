"""Plans that hold with a stated probability: chance constraints by outer approximation.

**Budget** (``--confidence c``): ``P(S <= B) >= c`` for the period total ``S`` of
:mod:`costplan.risk.period` under its normal approximation is ``E S + z sd S <= B`` with
``z = Phi^-1(c)``. ``E S = sum_o c_o x_o``; ``Var S = |L x|^2 + sum_t Q_t(x)`` with the linear
forms ``L``: per task ``sqrt(1 - rho) k_t sum_{o in t} c_o x_o`` and
``sqrt((1 + k_t^2) / n_t) sum_{o in t} sd_o x_o``, and one common
``sqrt(rho) sum_o k_t(o) c_o x_o``. The per-query noise ``Q_t = sum x_o sd_o^2`` enters
under a square root of a *linear* term (not convex), so it is replaced by its largest
value ``Q* = sum_t V_t max_{o in t} sd_o^2`` (safe: it only raises sd, and at real
volumes it is a fraction of a cent). The constraint

    g(x) = c . x + z |(L x, sqrt Q*)| <= B                 (a second-order cone)

is convex. **Floors** (``--floor-confidence c_f``): ``P(q_t >= f_t) >= c_f`` under
:mod:`costplan.risk.quality`'s normal approximation is, per task with a floor,
``f_t V_t - q . x_t + z_f |(se_o x_o)_{o in t}| <= 0`` (a cone again, in micro-units).

**Solving exactly**: outer approximation. Each cone ``a . x + z |M x + m| <= b`` is
replaced by linear cuts ``a . x + z <u, M x + m> <= b`` for unit vectors ``u`` (Cauchy-
Schwarz: every cut is implied by the cone, so the cut problem is a relaxation), the cut
coefficients rounded down and the right-hand side up (still a relaxation). Start with
no cuts; solve with the exact class-level solver; if the optimum ``x*`` satisfies every
cone (evaluated with a margin of 1e-12 relative + 1 unit), it is optimal for the cone
problem (an optimum of a relaxation that is feasible); otherwise add the cut at ``x*``
(``u = (M x* + m) / |M x* + m|``, tight at ``x*``) and repeat. The relaxation's proven
bound is a bound on the best plan meeting the chance constraints; the gap reported is
between it and the plan. The status is ``feasible`` even at gap 0: the checker re-derives
that the plan meets the chance constraints, not the relaxation bound, so ``optimal``
(which needs a re-derivable certificate) is not claimed. If ``MAX_ROUNDS`` rounds do not
converge, a safe plan is solved from the linearisation ``|v| <= sum |v_i|`` (every
solution meets the cones) and the gap to the last relaxation bound is reported.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

from costplan.solvers.classlevel import ClassProblem, ClassSolution, LinearRow, solve_class

MAX_ROUNDS = 60
_N = NormalDist()


@dataclass(frozen=True)
class Cone:
    """``lin . x + z |M x + m| <= rhs`` (``M``: rows of per-option coefficients)."""

    name: str
    lin: npt.NDArray[np.float64]
    rows: npt.NDArray[np.float64]  # (J, O)
    const: npt.NDArray[np.float64]  # (J,)
    z: float
    rhs: float

    def value(self, x: npt.NDArray[np.int64]) -> float:
        v = self.rows @ x.astype(float) + self.const
        return float(self.lin @ x.astype(float)) + self.z * float(np.sqrt(v @ v))

    def holds(self, x: npt.NDArray[np.int64]) -> bool:
        return self.value(x) <= self.rhs - 1e-12 * abs(self.rhs) - 1

    def cut(self, x: npt.NDArray[np.int64], k: int) -> LinearRow:
        """The cut tight at ``x``, rounded to a relaxation (module docstring)."""
        v = self.rows @ x.astype(float) + self.const
        norm = float(np.sqrt(v @ v))
        u = v / norm if norm > 0 else np.zeros_like(v)
        u = u * (1 - 1e-12)  # |u| < 1: float error never makes the cut stricter
        coef = self.lin + self.z * (u @ self.rows)
        rhs = self.rhs - self.z * float(u @ self.const)
        return LinearRow(
            coef=np.floor(coef).astype(np.int64), rhs=math.ceil(rhs),
            label=f"{self.name} cut {k}", name=f"cut:{self.name}:{k}",
        )  # fmt: skip

    def safe_row(self) -> LinearRow:
        """``lin . x + z (sum |M_j| x + sum |m_j|) <= rhs`` (implies the cone), rounded safe."""
        coef = self.lin + self.z * np.abs(self.rows).sum(axis=0)
        rhs = self.rhs - self.z * float(np.abs(self.const).sum())
        return LinearRow(
            coef=np.ceil(coef).astype(np.int64), rhs=math.floor(rhs),
            label=f"{self.name} (safe)", name=f"safe:{self.name}",
        )  # fmt: skip


@dataclass(frozen=True)
class ChanceInputs:
    """Per option: cost sd (pusd) and quality se; per task: k, samples n; and rho."""

    sd: Sequence[int]
    se: Sequence[float | None]
    k: Sequence[float]
    samples: Sequence[int]
    rho: float


def budget_cone(p: ClassProblem, d: ChanceInputs, confidence: float) -> Cone:
    """The budget's cone of the module docstring (pico-dollars)."""
    assert p.budget is not None
    tasks = len(p.volume)
    cost = p.cost.astype(float)
    sd = np.asarray(d.sd, dtype=float)
    k = np.asarray(d.k, dtype=float)[p.task]
    rows = [math.sqrt(d.rho) * k * cost]
    for t in range(tasks):
        mine = (p.task == t).astype(float)
        rows.append(math.sqrt(1 - d.rho) * k * cost * mine)
        rows.append(math.sqrt((1 + d.k[t] ** 2) / max(d.samples[t], 1)) * sd * mine)
    q_star = sum(
        int(p.volume[t]) * max((d.sd[o] ** 2 for o in _options_of(p, t)), default=0)
        for t in range(tasks)
    )
    matrix = np.vstack([*rows, np.zeros(len(cost))])
    const = np.zeros(len(rows) + 1)
    const[-1] = math.sqrt(q_star)
    return Cone("budget", cost, matrix, const, _N.inv_cdf(confidence), float(p.budget))


def _options_of(p: ClassProblem, t: int) -> list[int]:
    return [int(o) for o in np.flatnonzero(p.task == t)]


def floor_cones(p: ClassProblem, d: ChanceInputs, confidence: float) -> list[Cone]:
    """One cone per task with a floor and stated quality errors (micro-units)."""
    out = []
    z = _N.inv_cdf(confidence)
    for t in range(len(p.volume)):
        mine = _options_of(p, t)
        if p.floor[t] < 0 or not any(d.se[o] for o in mine):
            continue
        lin = np.where(p.task == t, -p.quality.astype(float), 0.0)
        rows = np.zeros((len(mine), len(p.cost)))
        for j, o in enumerate(mine):
            rows[j, o] = (d.se[o] or 0.0) * 1e6
        name = p.names[t] if p.names else str(t)
        out.append(Cone(f"floor:{name}", lin, rows, np.zeros(len(mine)), z,
                        -float(p.floor[t]) * int(p.volume[t])))  # fmt: skip
    return out


@dataclass(frozen=True)
class ChanceResult:
    solution: ClassSolution
    rounds: int
    converged: bool
    bound: int | None  # on the best plan meeting the cones (objective's unit)


def solve_chance(
    p: ClassProblem, cones: Sequence[Cone], *, time_limit_s: float = 60.0
) -> ChanceResult:
    """Outer approximation (module docstring); raises nothing itself: the solver's
    ``infeasible`` / ``unknown`` statuses come back in the solution."""
    cuts: list[LinearRow] = []
    bound: int | None = None
    sol = None
    for rounds in range(1, MAX_ROUNDS + 1):
        relaxed = dataclasses.replace(p, extra=(*p.extra, *cuts))
        sol = solve_class(relaxed, time_limit_s=time_limit_s, method="cp-sat")
        if sol.status in ("infeasible", "unknown"):
            return ChanceResult(sol, rounds, False, None)
        if sol.bound is not None:
            better = min if p.objective == "max_quality" else max
            bound = sol.bound if bound is None else better(bound, sol.bound)
        x = np.asarray(sol.x, dtype=np.int64)
        broken = [c for c in cones if not c.holds(x)]
        if not broken:
            return ChanceResult(_with_bound(sol, bound), rounds, True, bound)
        cuts.extend(c.cut(x, rounds) for c in broken)
    safe = dataclasses.replace(p, extra=(*p.extra, *(c.safe_row() for c in cones)))
    sol = solve_class(safe, time_limit_s=time_limit_s, method="cp-sat")
    return ChanceResult(_with_bound(sol, bound), MAX_ROUNDS, False, bound)


def _with_bound(sol: ClassSolution, bound: int | None) -> ClassSolution:
    """The solution judged against the relaxation bound, claimed ``feasible`` with that gap
    (0 when the bound equals the objective): the cone test uses float margins and the
    independent checker does not re-derive the relaxation bound, so no certificate backs an
    ``optimal`` claim (the unconditional rule of :mod:`costplan.verify`)."""
    if sol.status in ("infeasible", "unknown") or bound is None:
        return sol
    gap = Fraction(abs(bound - sol.objective), max(1, abs(sol.objective)))
    return dataclasses.replace(sol, status="feasible", bound=bound, gap=gap, certificate=None)
