"""The cost-quality Pareto frontier: exact plans from the cheapest to the best.

Ends (both solved exactly with the class-level solver):

* ``C_min``: cost of the cheapest plan meeting every quality floor (``min_cost``,
  no budget);
* ``C_max``: cost of the cheapest plan of maximum quality (``max_quality`` with no
  budget, then the cheapest such plan).

Points: ``N`` budgets evenly spaced on ``[C_min, C_max]``,
``B_i = C_min + floor((C_max - C_min) * i / (N - 1))``, plus up to ``N`` **breakpoints
of the LP relaxation** inside that range (see below): those where the marginal value
of money drops most, the knee's candidates. Each point is an exact
``max_quality`` solve at its budget (then the cheapest plan of that quality), so
every point is a Pareto-optimal plan: no plan is cheaper at the same quality or
better at the same cost. The frontier ``f(B)`` is monotone: more budget never
lowers quality, and (because ties go to the cheaper plan) never lowers cost.

LP breakpoints: relaxing counts to reals (and ``split: false`` to split) makes
the problem an LP whose value as a function of the budget is concave and
piecewise linear; its vertices are where the marginal value of money changes.
They are found by the classic chord ("NISE") search: between two frontier
vertices ``L`` and ``R`` solve ``max quality - lambda * cost`` with ``lambda``
the chord's slope; a point above the chord is a new vertex, otherwise the
segment is straight. Each vertex costs two GLOP solves; the integer solve at a
vertex's cost lands on (or within a query's rounding of) the LP vertex.

Hull: integer effects (one query more or less on a task) put some exact points
slightly below the straight line between their neighbours. Knee and AIQ are
computed on the **upper concave hull** of the distinct (cost, mean quality)
points, as RouterBench does with its non-decreasing convex hull: any point on a
hull segment is reachable, up to integer rounding, by mixing the two plans at its
ends query by query. Every hull vertex is one of the exact points.

Knee: with hull vertices in cost order and segment slopes
``s_j = (q_j - q_{j-1}) / (c_j - c_{j-1})`` (strictly decreasing on the hull), the
knee is the interior vertex ``j`` with the largest drop ``s_j - s_{j+1}``: where
the next dollar starts buying the least extra quality compared with the previous
one. Slopes are exact rationals; ties go to the cheaper vertex; there is no knee
with fewer than three hull vertices.

AIQ (after RouterBench's *Average Improvement in Quality*, arXiv:2403.12031): the
area under the frontier with cost normalised to ``[0, 1]``::

    AIQ = 1 / (c_hi - c_lo) * integral_{c_lo}^{c_hi} q(c) dc

where ``q(c)`` is the **mean quality** (0..1) at cost ``c`` on the hull (linear
between hull vertices), ``q(c) = 0`` below ``C_min`` (no plan meets the floors)
and ``q(c) = q(C_max)`` above ``C_max``. By default ``[c_lo, c_hi] = [C_min,
C_max]``, the frontier's own range, so AIQ is the average mean quality over it;
to compare price sheets or model pools, pass the same explicit range for each
(:meth:`Frontier.aiq_between`, ``--aiq-range``). With a single distinct point
(``C_min = C_max``) AIQ is that point's mean quality. Computed exactly
(rationals), rounded half-even to 6 decimals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from costplan.errors import InputError
from costplan.formulation import certificate_of, index_table, side_rows
from costplan.money import PUSD_PER_USD, budget_to_pusd, usd_str
from costplan.optimize import plan_from_counts, solve_table
from costplan.options import QUALITY_SCALE, OptionTable
from costplan.plan import Plan, mean_quality
from costplan.preflight import verify_plan

if TYPE_CHECKING:
    from costplan.solvers.classlevel import ClassProblem

MAX_POINTS = 1000
MAX_LP_VERTICES = 64
_LP_TOL = 1e-7  # a chord must be beaten by more than GLOP's tolerances to reveal a vertex


@dataclass(frozen=True)
class FrontierPoint:
    """One exact plan on the frontier: ``max_quality`` at ``budget_pusd``."""

    budget_pusd: int
    cost_pusd: int
    quality_micro_total: int
    volume: int
    status: str  # optimal | feasible (time limit)
    kind: str  # "grid" (evenly spaced budget) or "breakpoint" (LP vertex)
    plan: Plan = field(repr=False, compare=False)

    @property
    def mean_quality(self) -> Decimal:
        return mean_quality(self.quality_micro_total, self.volume)


@dataclass(frozen=True)
class Frontier:
    workload: str
    period: str
    volume: int
    points: tuple[FrontierPoint, ...]  # in budget order
    knee: int | None  # index into points
    aiq: Decimal  # over [C_min, C_max], see the module docstring
    budget_pusd: int | None = None  # the workload's own budget, for reference
    lp_vertices_pusd: tuple[int, ...] = ()  # costs of the LP relaxation's interior vertices
    ends_status: str = "optimal"  # "feasible" when C_min or C_max is not proven

    @property
    def min_cost_pusd(self) -> int:
        return self.points[0].cost_pusd

    @property
    def max_cost_pusd(self) -> int:
        return self.points[-1].cost_pusd

    @property
    def all_optimal(self) -> bool:
        return self.ends_status == "optimal" and all(p.status == "optimal" for p in self.points)

    def marginal_per_1k(self, i: int) -> Decimal | None:
        """Mean quality gained per extra $1,000 from point ``i - 1`` to point ``i``.

        None for the first point and when the two points cost the same.
        """
        if i <= 0:
            return None
        a, b = self.points[i - 1], self.points[i]
        if b.cost_pusd == a.cost_pusd or self.volume == 0:
            return None
        rate = Fraction(b.quality_micro_total - a.quality_micro_total, QUALITY_SCALE * self.volume)
        rate /= Fraction(b.cost_pusd - a.cost_pusd, 1000 * PUSD_PER_USD)
        return Decimal(rate.numerator) / Decimal(rate.denominator)

    def aiq_between(self, lo_pusd: int, hi_pusd: int) -> Decimal:
        """AIQ over an explicit cost range (the same range makes frontiers comparable)."""
        return aiq(upper_hull(_pairs(self.points, self.volume)), lo_pusd, hi_pusd)


def _pairs(points: Sequence[FrontierPoint], volume: int) -> list[tuple[int, Fraction]]:
    """Distinct (cost, exact mean quality) vertices in cost order."""
    out: list[tuple[int, Fraction]] = []
    for p in sorted(points, key=lambda p: (p.cost_pusd, p.quality_micro_total)):
        q = Fraction(p.quality_micro_total, QUALITY_SCALE * volume) if volume else Fraction(0)
        if out and out[-1][0] == p.cost_pusd:
            out[-1] = (p.cost_pusd, max(out[-1][1], q))
        else:
            out.append((p.cost_pusd, q))
    return out


def upper_hull(vertices: Sequence[tuple[int, Fraction]]) -> list[tuple[int, Fraction]]:
    """Upper concave hull of distinct (cost, quality) vertices in cost order.

    Points on or below the segment joining their neighbours are dropped, so the
    hull's slopes strictly decrease.
    """
    hull: list[tuple[int, Fraction]] = []
    for c, q in vertices:
        while len(hull) >= 2:
            (c0, q0), (c1, q1) = hull[-2], hull[-1]
            # drop the middle point when it is not strictly above the chord
            if (q1 - q0) * (c - c0) <= (q - q0) * (c1 - c0):
                hull.pop()
            else:
                break
        hull.append((c, q))
    return hull


def knee_index(vertices: Sequence[tuple[int, Fraction]]) -> int | None:
    """Index (into ``vertices``: hull vertices in cost order) of the largest slope drop."""
    if len(vertices) < 3:
        return None
    slopes = [(q1 - q0) / (c1 - c0) for (c0, q0), (c1, q1) in pairwise(vertices)]
    best, best_drop = None, Fraction(0)
    for j in range(1, len(slopes)):
        drop = slopes[j - 1] - slopes[j]
        if drop > best_drop:
            best, best_drop = j, drop
    return best


def aiq(vertices: Sequence[tuple[int, Fraction]], lo_pusd: int, hi_pusd: int) -> Decimal:
    """Area under the frontier over ``[lo, hi]``, divided by ``hi - lo`` (see module doc)."""
    if not vertices:
        raise ValueError("empty frontier")
    if hi_pusd < lo_pusd:
        raise InputError("the AIQ range must have lo <= hi", value=(lo_pusd, hi_pusd))
    first_c = vertices[0][0]
    last_c, last_q = vertices[-1]
    if hi_pusd == lo_pusd:
        c = lo_pusd
        value = Fraction(0) if c < first_c else _interp(vertices, c)
        return _dec6(value)
    # Linear pieces (x0, y0, x1, y1); the outer ones are constant.
    pieces: list[tuple[Fraction, Fraction, Fraction, Fraction]] = []
    lo, hi = Fraction(lo_pusd), Fraction(hi_pusd)
    if lo < first_c:
        pieces.append((lo, Fraction(0), Fraction(first_c), Fraction(0)))
    for (c0, q0), (c1, q1) in pairwise(vertices):
        pieces.append((Fraction(c0), q0, Fraction(c1), q1))
    if hi > last_c:
        pieces.append((Fraction(last_c), last_q, hi, last_q))
    area = Fraction(0)
    for x0, y0, x1, y1 in pieces:
        a, b = max(x0, lo), min(x1, hi)
        if b <= a:
            continue
        ya = y0 + (y1 - y0) * (a - x0) / (x1 - x0)
        yb = y0 + (y1 - y0) * (b - x0) / (x1 - x0)
        area += (b - a) * (ya + yb) / 2
    return _dec6(area / (hi - lo))


def _interp(vertices: Sequence[tuple[int, Fraction]], c: int) -> Fraction:
    if c >= vertices[-1][0]:
        return vertices[-1][1]
    for (c0, q0), (c1, q1) in pairwise(vertices):
        if c0 <= c <= c1:
            return q0 + (q1 - q0) * Fraction(c - c0, c1 - c0)
    return vertices[0][1]


def _dec6(x: Fraction) -> Decimal:
    """A reported quality to 6 decimals, rounded down (never overstated)."""
    return (Decimal(x.numerator) / Decimal(x.denominator)).quantize(
        Decimal("0.000001"), rounding=ROUND_FLOOR
    )


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


def _point(table: OptionTable, budget: int, kind: str, time_limit_s: float) -> FrontierPoint:
    options, sol = solve_table(
        table, objective="max_quality", budget_pusd=budget, time_limit_s=time_limit_s
    )
    counts = [int(c) for c in sol.counts]
    plan = plan_from_counts(
        table,
        options,
        counts,
        objective="max_quality",
        budget_pusd=budget,
        status=sol.status,
        bound=sol.bound,
        gap=sol.gap,
        solver={"name": sol.method, "money_scale_pusd": sol.scale},
        certificate=certificate_of(sol, "max_quality", side_rows(table, options)),
    )
    plan = verify_plan(plan, table)  # every point is a plan: the independent checker must agree
    return FrontierPoint(
        budget_pusd=budget,
        cost_pusd=plan.cost_pusd,
        quality_micro_total=plan.quality_micro_total,
        volume=plan.volume,
        status=plan.status,
        kind=kind,
        plan=plan,
    )


def compute_frontier(
    table: OptionTable,
    *,
    points: int = 10,
    breakpoints: bool = True,
    time_limit_s: float = 10.0,
) -> Frontier:
    """The exact cost-quality frontier of ``table`` (see the module docstring).

    ``points``: evenly spaced budgets from ``C_min`` to ``C_max`` (2..1000; equal
    budgets are solved once). ``breakpoints``: also solve at the LP relaxation's
    vertices. ``time_limit_s`` applies to each solve. Raises InfeasibleError when
    no plan meets every floor, SolverLimitError when a solve finds no plan.
    """
    if not 2 <= points <= MAX_POINTS:
        raise InputError(f"points must be between 2 and {MAX_POINTS}", value=points)
    from costplan.commitments import refuse

    refuse(table, "frontier")
    w = table.workload
    _, cheapest = solve_table(
        table, objective="min_cost", budget_pusd=None, time_limit_s=time_limit_s
    )
    options, best = solve_table(
        table, objective="max_quality", budget_pusd=None, time_limit_s=time_limit_s
    )
    c_min = cheapest.objective
    c_max = sum(int(n) * o.cost_pusd for n, o in zip(best.counts, options, strict=True))
    # The cheapest plan of maximum quality can never cost less than the cheapest plan.
    c_max = max(c_max, c_min)
    budgets: dict[int, str] = {}
    for i in range(points):
        budgets.setdefault(c_min + (c_max - c_min) * i // (points - 1), "grid")
    lp_costs: list[int] = []
    if breakpoints:
        lp = LpRelaxation(index_table(table, "max_quality", None).problem)
        # The LP's own ends differ from the integer ends by rounding: interior only.
        # At most ``points`` of them, where the marginal value drops most (the knee's
        # candidates): a large table's LP has dozens of vertices, each an exact solve.
        lp_costs = lp.sharpest_costs_pusd(points)
        for c in lp_costs:
            if c_min < c < c_max:
                budgets.setdefault(c, "breakpoint")
    from costplan.verify import reuse_inputs

    with reuse_inputs():  # every point is checked against the same files: read them once
        solved = tuple(_point(table, b, budgets[b], time_limit_s) for b in sorted(budgets))
    volume = sum(t.volume for t in w.tasks)
    vertices = upper_hull(_pairs(solved, volume))
    k = knee_index(vertices)
    knee = None
    if k is not None:
        knee = next(i for i, p in enumerate(solved) if p.cost_pusd == vertices[k][0])
    return Frontier(
        workload=w.name,
        period=w.period,
        volume=volume,
        points=solved,
        knee=knee,
        aiq=aiq(vertices, vertices[0][0], vertices[-1][0]),
        budget_pusd=None if w.budget_usd is None else budget_to_pusd(w.budget_usd),
        lp_vertices_pusd=tuple(lp_costs),
        ends_status="optimal"
        if cheapest.status == "optimal" and best.status == "optimal"
        else "feasible",
    )


FRONTIER_CSV_COLUMNS = (
    "kind",
    "budget_usd",
    "cost_usd",
    "mean_quality",
    "quality_queries",
    "marginal_mean_quality_per_1k_usd",
    "status",
    "knee",
)


def frontier_rows(frontier: Frontier) -> list[dict[str, Any]]:
    """One dict per point, exact money strings (``FRONTIER_CSV_COLUMNS`` order)."""
    rows = []
    for i, p in enumerate(frontier.points):
        m = frontier.marginal_per_1k(i)
        rows.append(
            {
                "kind": p.kind,
                "budget_usd": usd_str(p.budget_pusd),
                "cost_usd": usd_str(p.cost_pusd),
                "mean_quality": f"{p.mean_quality.quantize(Decimal('0.000001')):f}",
                "quality_queries": f"{Decimal(p.quality_micro_total) / QUALITY_SCALE:f}",
                "marginal_mean_quality_per_1k_usd": "" if m is None else f"{m:.6g}",
                "status": p.status,
                "knee": "true" if i == frontier.knee else "false",
            }
        )
    return rows


def frontier_csv(frontier: Frontier) -> str:
    """The frontier as CSV text (header + one row per point)."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FRONTIER_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(frontier_rows(frontier))
    return buf.getvalue()
