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
(rationals), rounded down to 6 decimals (never overstated).

The parts: :mod:`costplan.frontier_points` (result types),
:mod:`costplan.frontier_hull` (hull, knee, AIQ), :mod:`costplan.frontier_lp` (the LP
relaxation), :mod:`costplan.frontier_csv` (CSV output); this module solves the points
and re-exports the public names.
"""

from __future__ import annotations

from costplan.errors import InputError
from costplan.formulation import certificate_of, index_table, side_rows
from costplan.frontier_csv import FRONTIER_CSV_COLUMNS, frontier_csv, frontier_rows
from costplan.frontier_hull import aiq, knee_index, upper_hull
from costplan.frontier_lp import MAX_LP_VERTICES, LpRelaxation
from costplan.frontier_points import Frontier, FrontierPoint, _pairs
from costplan.money import budget_to_pusd
from costplan.optimize import plan_from_counts, solve_table
from costplan.options import OptionTable
from costplan.preflight import verify_plan

__all__ = [
    "FRONTIER_CSV_COLUMNS", "MAX_LP_VERTICES", "MAX_POINTS", "Frontier", "FrontierPoint",
    "LpRelaxation", "aiq", "compute_frontier", "frontier_csv", "frontier_rows", "knee_index",
    "upper_hull",
]  # fmt: skip

MAX_POINTS = 1000


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
