"""The LP relaxation of the class-level model, for the frontier's breakpoints.

Contract: :class:`LpRelaxation` relaxes a :class:`ClassProblem`'s counts to shares and
solves it with GLOP (floats, not exact): its frontier's vertices by the chord search, the
interior vertices where the marginal value of money drops most (as pico-dollar costs, the
budgets worth an exact solve), and the budget's shadow price. Its numbers only choose
where to solve exactly; no reported figure comes from them.
"""

from __future__ import annotations

import math
from itertools import pairwise
from typing import TYPE_CHECKING

from costplan.money import PUSD_PER_USD
from costplan.options import QUALITY_SCALE

if TYPE_CHECKING:
    from costplan.solvers.classlevel import ClassProblem

__all__ = ["MAX_LP_VERTICES", "LpRelaxation"]

MAX_LP_VERTICES = 64
_LP_TOL = 1e-7  # a chord must be beaten by more than GLOP's tolerances to reveal a vertex


class LpRelaxation:
    """The class-level model with counts relaxed to shares in [0, 1], solved with GLOP.

    Variables ``s_o`` = share of task ``t(o)``'s volume on option ``o``. Rows:
    ``sum_{o in t} s_o = 1``; floors ``sum (q_o - f_t) s_o >= 0``; side rows
    ``sum a_o V_t s_o <= b`` (each scaled by its largest coefficient); a budget row
    ``sum c_o V_t s_o <= B`` and a quality row (for lexicographic solves).
    ``split: false`` is relaxed (a task may split). Costs are scaled by
    ``cost_ref`` (total cost with every task on its dearest option) and quality
    to the mean, so coefficients are O(1) for GLOP.
    """

    def __init__(self, problem: ClassProblem) -> None:
        from ortools.linear_solver import pywraplp

        p = problem
        self._solver = s = pywraplp.Solver.CreateSolver("GLOP")
        n_opt = len(p.cost)
        vol = [int(p.volume[int(p.task[o])]) for o in range(n_opt)]
        self.volume = int(sum(int(v) for v in p.volume))
        dearest: dict[int, int] = {}
        for o in range(n_opt):
            t = int(p.task[o])
            dearest[t] = max(dearest.get(t, 0), int(p.cost[o]))
        self.cost_ref = max(1, sum(int(p.volume[t]) * c for t, c in dearest.items()))
        live = [o for o in range(n_opt) if vol[o] > 0]
        self._x = {o: s.NumVar(0.0, 1.0, f"s{o}") for o in live}
        by_task: dict[int, list[int]] = {}
        for o in live:
            by_task.setdefault(int(p.task[o]), []).append(o)
        for t, opts in by_task.items():
            s.Add(sum(self._x[o] for o in opts) == 1)
            if p.floor[t] >= 0:
                f = int(p.floor[t])
                s.Add(sum((int(p.quality[o]) - f) / QUALITY_SCALE * self._x[o] for o in opts) >= 0)
        for row in p.extra:
            coef = {o: float(int(row.coef[o]) * vol[o]) for o in live if int(row.coef[o]) != 0}
            norm = max([abs(c) for c in coef.values()] + [abs(float(row.rhs)), 1.0])
            if coef:
                s.Add(sum(c / norm * self._x[o] for o, c in coef.items()) <= float(row.rhs) / norm)
        self._cost = {o: int(p.cost[o]) * vol[o] / self.cost_ref for o in live}
        self._quality = {
            o: int(p.quality[o]) * vol[o] / (QUALITY_SCALE * max(1, self.volume)) for o in live
        }
        inf = s.infinity()
        self._budget = s.Constraint(-inf, inf)
        self._qrow = s.Constraint(-inf, inf)
        for o in live:
            self._budget.SetCoefficient(self._x[o], self._cost[o])
            self._qrow.SetCoefficient(self._x[o], self._quality[o])
        # The same numbers as lists in variable order (the only variables, created in
        # ``live`` order): a solve sets the objective and reads the solution without a
        # dictionary look-up per option.
        self._vars = [self._x[o] for o in live]
        self._cost_list = [self._cost[o] for o in live]
        self._quality_list = [self._quality[o] for o in live]

    def _solve(
        self,
        wq: float,
        wc: float,
        budget: float | None = None,
        qmin: float | None = None,
    ) -> tuple[float, float, float] | None:
        """Maximise ``wq * quality - wc * cost``; (norm cost, mean quality, budget dual)."""
        from ortools.linear_solver import pywraplp

        s = self._solver
        inf = s.infinity()
        self._budget.SetUb(inf if budget is None else budget)
        self._qrow.SetLb(-inf if qmin is None else qmin)
        from ortools.linear_solver import linear_solver_pb2

        obj = s.Objective()
        obj.Clear()
        put = obj.SetCoefficient
        for x, q, c in zip(self._vars, self._quality_list, self._cost_list, strict=True):
            put(x, wq * q - wc * c)
        obj.SetMaximization()
        if s.Solve() != pywraplp.Solver.OPTIMAL:
            return None
        # Every variable's value in one call (the values solution_value() returns), summed in
        # the same order as before, so the floats are the same.
        response = linear_solver_pb2.MPSolutionResponse()
        s.FillSolutionResponseProto(response)
        values = list(response.variable_value)
        cost = sum(c * v for c, v in zip(self._cost_list, values, strict=True))
        quality = sum(q * v for q, v in zip(self._quality_list, values, strict=True))
        return cost, quality, float(self._budget.dual_value())

    def budget_dual(self, budget_pusd: int) -> float | None:
        """LP shadow price of the budget: quality-weighted queries per extra USD.

        None when the LP is infeasible at that budget (below its cheapest plan).
        """
        got = self._solve(1.0, 0.0, budget=budget_pusd / self.cost_ref)
        if got is None:
            return None
        # dual is d(mean quality)/d(normalised cost); convert to queries per USD.
        return max(0.0, got[2]) * self.volume * PUSD_PER_USD / self.cost_ref

    def vertices(self, limit: int = MAX_LP_VERTICES) -> list[tuple[float, float]]:
        """Vertices (normalised cost, mean quality) of the LP frontier, cost order."""
        cheap = self._solve(0.0, 1.0)
        if cheap is None:
            return []
        low = self._solve(1.0, 0.0, budget=cheap[0] * (1 + 1e-9) + 1e-12)
        best = self._solve(1.0, 0.0)
        if low is None or best is None:
            return []
        high = self._solve(0.0, 1.0, qmin=best[1] - 1e-9 * max(1.0, abs(best[1])))
        if high is None:
            return []
        left, right = (low[0], low[1]), (high[0], high[1])
        found = [left, right]
        stack = [(left, right)]
        while stack and len(found) < limit:
            a, b = stack.pop()
            if b[0] - a[0] <= _LP_TOL:
                continue
            lam = (b[1] - a[1]) / (b[0] - a[0])
            got = self._solve(1.0, lam)
            if got is None:
                continue
            gain = (got[1] - lam * got[0]) - (a[1] - lam * a[0])
            if gain > _LP_TOL and a[0] + _LP_TOL < got[0] < b[0] - _LP_TOL:
                mid = (got[0], got[1])
                found.append(mid)
                stack.extend([(a, mid), (mid, b)])
        return sorted(found)

    def sharpest_costs_pusd(self, keep: int) -> list[int]:
        """The interior vertices' costs where the marginal value of money drops most
        (``s_j - s_{j+1}``, the knee's measure), at most ``keep`` of them, cost order."""
        v = self.vertices()
        slopes = [(q1 - q0) / (c1 - c0) if c1 > c0 else math.inf
                  for (c0, q0), (c1, q1) in pairwise(v)]  # fmt: skip
        drops = [(slopes[j - 1] - slopes[j], j) for j in range(1, len(v) - 1)]
        chosen = sorted(j for _, j in sorted(drops, key=lambda d: (-d[0], d[1]))[:keep])
        return [round(v[j][0] * self.cost_ref) for j in chosen]
