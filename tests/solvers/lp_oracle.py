"""The LP relaxation of a class-level problem, built here from its raw arrays and solved
by GLOP: an oracle that shares no code with costplan's solvers (only the ClassProblem
container is read).

Formulation (x_o continuous in [0, V_t]): sum_{o in t} x_o = V_t; floors
sum_{o in t} (q_o - f_t) x_o >= 0; the budget sum b_o x_o <= B (b = budget_cost when
given, else cost). A ``split: false`` task serves all its queries on one option, which
must then meet the floor on its own: its options below the floor are left out (a valid
relaxation of the integer problem, and the one whose optimum the MCKP method reaches).
The optimum is a float (GLOP's tolerance, ~1e-9 relative): compare with a tolerance.
"""

from __future__ import annotations

from costplan.solvers.classlevel import ClassProblem


def class_lp(p: ClassProblem) -> float | None:
    """The LP optimum (quality for max_quality, cost for min_cost); None if infeasible."""
    from ortools.linear_solver import pywraplp

    lp = pywraplp.Solver.CreateSolver("GLOP")
    spend = p.cost if p.budget_cost is None else p.budget_cost
    x: dict[int, object] = {}
    for t, vol in enumerate(p.volume.tolist()):
        floor = int(p.floor[t])
        opts = [o for o in range(len(p.task)) if int(p.task[o]) == t]
        if not p.split[t] and floor >= 0:
            opts = [o for o in opts if int(p.quality[o]) >= floor]
        if not opts:
            return None
        for o in opts:
            x[o] = lp.NumVar(0.0, float(vol), f"x{o}")
        lp.Add(sum(x[o] for o in opts) == float(vol))
        if floor >= 0:
            lp.Add(sum(float(int(p.quality[o]) - floor) * x[o] for o in opts) >= 0.0)
    if p.budget is not None:
        lp.Add(sum(float(spend[o]) * v for o, v in x.items()) <= float(p.budget))
    quality = sum(float(p.quality[o]) * v for o, v in x.items())
    cost = sum(float(p.cost[o]) * v for o, v in x.items())
    if p.objective == "max_quality":
        lp.Maximize(quality)
    else:
        lp.Minimize(cost)
    code = lp.Solve()
    if code == pywraplp.Solver.INFEASIBLE:
        return None
    assert code == pywraplp.Solver.OPTIMAL, code
    return float(lp.Objective().Value())
