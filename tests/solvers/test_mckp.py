"""MCKP solver against brute force on thousands of tiny instances, plus edge cases.

Every result is checked for: the objective equals brute force, the plan picks one feasible
option per group, respects the budget and the value floor, its reported objective is the plan's
exact objective, the bound is on the right side of the optimum, and ``optimal`` <=> gap 0.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costplan.errors import InputError, SolverLimitError
from costplan.solvers import mckp, mckp_core
from costplan.solvers.mckp import MckpProblem, MckpResult, Objective, solve_mckp
from tests.solvers.oracle import all_plans, brute_force_mckp


def check_against_oracle(problem: MckpProblem, result: MckpResult) -> None:
    cost, value, feas = problem.cost, problem.value, problem.feasible
    expected = brute_force_mckp(
        cost, value, feas, problem.objective, problem.budget, problem.min_value
    )
    maximize = problem.objective == "max_value"
    if expected is None:
        assert result.status == "infeasible"
        assert result.bound is None  # no bound, no gap, no certificate for an infeasible plan
        assert result.gap is None
        return
    g = cost.shape[0]
    choice = result.choice
    assert choice.dtype == np.int64
    assert choice.shape == (g,)
    assert feas[np.arange(g), choice].all(), "picked an infeasible option"
    total_cost = sum(int(cost[i, choice[i]]) for i in range(g))
    total_value = sum(int(value[i, choice[i]]) for i in range(g))
    if problem.budget is not None:
        assert total_cost <= problem.budget
    if problem.min_value is not None:
        assert total_value >= problem.min_value
    assert result.objective == (total_value if maximize else total_cost)
    assert result.status == "optimal"
    assert result.objective == expected
    assert result.gap == 0
    assert isinstance(result.bound, int)  # exact, never a float
    assert result.bound == expected
    # the LP bound is a valid relaxation bound
    assert result.lp_bound is not None
    if maximize:
        assert result.lp_bound >= expected
    else:
        assert result.lp_bound <= expected


def random_problem(rng: np.random.Generator) -> MckpProblem:
    g = int(rng.integers(1, 7))
    k = int(rng.integers(1, 5))
    scale = int(rng.choice([2, 5, 30, 10**6]))
    cost = rng.integers(0, scale, size=(g, k))
    value = rng.integers(-scale // 3, scale, size=(g, k))
    if rng.random() < 0.3:  # correlated: many exact ties and collinear options
        value = cost + rng.integers(0, 2, size=(g, k))
    feas = rng.random((g, k)) < 0.8
    feas[np.arange(g), rng.integers(0, k, size=g)] = True
    objective = "max_value" if rng.random() < 0.5 else "min_cost"
    lo_c = int(np.where(feas, cost, 10**18).min(axis=1).sum())
    hi_c = int(np.where(feas, cost, -1).max(axis=1).sum())
    lo_v = int(np.where(feas, value, 10**18).min(axis=1).sum())
    hi_v = int(np.where(feas, value, -(10**18)).max(axis=1).sum())
    budget = min_value = None
    if objective == "max_value" or rng.random() < 0.2:
        budget = int(rng.integers(lo_c - 2, hi_c + 3))
    if (objective == "min_cost" or rng.random() < 0.2) and rng.random() < 0.9:
        min_value = int(rng.integers(lo_v - 2, hi_v + 3))
    return MckpProblem(cost, value, feas, budget, objective, min_value)  # type: ignore[arg-type]


def test_seeded_random_instances_match_brute_force() -> None:
    rng = np.random.default_rng(20240601)
    outcomes = {"optimal": 0, "infeasible": 0}
    for _ in range(2500):
        problem = random_problem(rng)
        result = solve_mckp(problem)
        check_against_oracle(problem, result)
        outcomes[result.status] += 1
    assert outcomes["optimal"] > 1500
    assert outcomes["infeasible"] > 50


@st.composite
def problems(draw: st.DrawFn, max_abs: int = 40) -> MckpProblem:
    g = draw(st.integers(1, 6))
    k = draw(st.integers(1, 4))
    cells = st.integers(0, max_abs)
    cost = np.array(draw(st.lists(cells, min_size=g * k, max_size=g * k)), dtype=np.int64)
    value = np.array(
        draw(st.lists(st.integers(-max_abs, max_abs), min_size=g * k, max_size=g * k)),
        dtype=np.int64,
    )
    feas = np.array(draw(st.lists(st.booleans(), min_size=g * k, max_size=g * k)), dtype=bool)
    cost, value, feas = cost.reshape(g, k), value.reshape(g, k), feas.reshape(g, k)
    first = draw(st.lists(st.integers(0, k - 1), min_size=g, max_size=g))
    feas[np.arange(g), first] = True
    objective: Objective = draw(st.sampled_from(["max_value", "min_cost"]))
    span = g * max_abs + 2
    budget = draw(st.none() | st.integers(-2, span)) if objective == "max_value" else None
    min_value = draw(st.none() | st.integers(-span, span)) if objective == "min_cost" else None
    return MckpProblem(cost, value, feas, budget, objective, min_value)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_hypothesis_small_ranges_match_brute_force(problem: MckpProblem) -> None:
    check_against_oracle(problem, solve_mckp(problem))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_abs=2**58))
def test_hypothesis_huge_integers_are_exact(problem: MckpProblem) -> None:
    # sums up to 6 * 2**58 < 2**61: every comparison must stay exact (no float shortcuts)
    check_against_oracle(problem, solve_mckp(problem))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_abs=3), st.data())
def test_hypothesis_secondary_constraints(problem: MckpProblem, data: st.DataObject) -> None:
    # a floor with max_value, a budget with min_cost: both are checked on the optimum
    g = problem.cost.shape[0]
    if problem.objective == "max_value":
        floor = data.draw(st.integers(-3 * g - 1, 3 * g + 1))
        problem = MckpProblem(
            problem.cost, problem.value, problem.feasible, problem.budget, "max_value", floor
        )
    else:
        budget = data.draw(st.integers(-1, 3 * g + 1))
        problem = MckpProblem(
            problem.cost, problem.value, problem.feasible, budget, "min_cost", problem.min_value
        )
    check_against_oracle(problem, solve_mckp(problem))


def test_cpsat_fallback_matches_brute_force(monkeypatch: pytest.MonkeyPatch) -> None:
    # With the DP state limit at 0 every exact question goes to CP-SAT on the reduced core.
    monkeypatch.setattr(mckp_core, "_DP_MAX_STATES", 0)
    rng = np.random.default_rng(7)
    used_cpsat = 0
    for _ in range(300):
        problem = random_problem(rng)
        result = solve_mckp(problem)
        check_against_oracle(problem, result)
        used_cpsat += int(result.stats.get("t_cpsat", 0.0) > 0)
    assert used_cpsat > 20


def test_core_limit_zero_returns_a_valid_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # No exact phase at all: the plan must still be feasible and the bound valid.
    monkeypatch.setattr(mckp_core, "_DP_MAX_STATES", 0)
    rng = np.random.default_rng(11)
    unproven = 0
    for _ in range(400):
        p = random_problem(rng)
        best = brute_force_mckp(p.cost, p.value, p.feasible, p.objective, p.budget, p.min_value)
        try:
            result = solve_mckp(p, core_limit=0)
        except SolverLimitError:
            # undecided secondary constraint: only possible when there is one
            secondary = p.min_value if p.objective == "max_value" else p.budget
            assert secondary is not None
            continue
        if best is None:
            assert result.status == "infeasible"
            continue
        if result.status == "optimal":
            assert result.objective == best
            continue
        unproven += 1
        assert result.status == "feasible"
        assert result.gap > 0
        if p.objective == "max_value":
            assert result.bound_exact is not None
            assert result.objective <= best <= result.bound_exact
        else:
            assert result.bound_exact is not None
            assert result.bound_exact <= best <= result.objective
        assert result.gap == Fraction(
            abs(result.bound_exact - result.objective), max(1, abs(result.objective))
        )
    assert unproven > 5


# ----------------------------------------------------------------------------- exact helpers


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.tuples(*[st.integers(0, 2**63 - 1)] * 4) | st.tuples(*[st.integers(0, 2**31)] * 4),
        min_size=1,
        max_size=20,
    )
)
def test_prod_sign_is_exact(rows: list[tuple[int, int, int, int]]) -> None:
    a, b, c, d = (np.array(col, dtype=np.int64) for col in zip(*rows, strict=True))
    got = mckp._prod_sign(a, b, c, d)
    want = [(x * y > z * u) - (x * y < z * u) for x, y, z, u in rows]
    assert got.tolist() == want


def test_prod_sign_near_ties() -> None:
    # a*b and c*d differ by 1 at ~2**124: invisible to float64
    a = np.array([2**62 - 1, 3 * 2**40, 2**61], dtype=np.int64)
    b = np.array([2**62 + 1, 2**40, 2**61], dtype=np.int64)
    c = np.array([2**62, 2**40, 2**61], dtype=np.int64)
    d = np.array([2**62, 3 * 2**40, 2**61 - 1], dtype=np.int64)
    assert mckp._prod_sign(a, b, c, d).tolist() == [-1, 0, 1]


# ----------------------------------------------------------------------------- edge cases


def arr(rows: list[list[int]]) -> npt.NDArray[np.int64]:
    return np.array(rows, dtype=np.int64)


def test_single_option_per_group() -> None:
    cost, value = arr([[3], [4], [5]]), arr([[1], [2], [3]])
    feas = np.ones((3, 1), dtype=bool)
    ok = solve_mckp(MckpProblem(cost, value, feas, 12, "max_value"))
    assert ok.status == "optimal"
    assert ok.objective == 6
    assert ok.choice.tolist() == [0, 0, 0]
    bad = solve_mckp(MckpProblem(cost, value, feas, 11, "max_value"))
    assert bad.status == "infeasible"
    assert bad.bound is None
    assert bad.gap is None


def test_all_options_equal_picks_lowest_index() -> None:
    cost = np.full((50, 5), 7, dtype=np.int64)
    value = np.full((50, 5), 3, dtype=np.int64)
    feas = np.ones((50, 5), dtype=bool)
    feas[::3, 0] = False
    for problem in (
        MckpProblem(cost, value, feas, 350, "max_value"),
        MckpProblem(cost, value, feas, None, "min_cost", 150),
    ):
        result = solve_mckp(problem)
        assert result.status == "optimal"
        assert result.choice.tolist() == [1 if i % 3 == 0 else 0 for i in range(50)]
        # every option is the same point: one hull point per query, no LP step, so the exact
        # phase (reduced-cost fixing, core) never runs and the LP value alone is the proof
        assert result.stats["lp_steps"] == 0
        assert "core_groups" not in result.stats
        assert result.certificate is not None
        assert result.certificate.proof == "lagrangian"


def test_budget_exactly_at_cheapest_plan() -> None:
    cost = arr([[5, 1, 9], [2, 2, 8], [0, 4, 4]])
    value = arr([[9, 1, 10], [3, 5, 9], [1, 7, 8]])
    feas = np.ones((3, 3), dtype=bool)
    result = solve_mckp(MckpProblem(cost, value, feas, 1 + 2 + 0, "max_value"))
    # the cheapest plan, breaking cost ties by value: options 1, 1 (value 5 > 3), 0
    assert result.status == "optimal"
    assert result.choice.tolist() == [1, 1, 0]
    assert result.objective == 1 + 5 + 1
    short = solve_mckp(MckpProblem(cost, value, feas, 2, "max_value"))
    assert short.status == "infeasible"
    assert short.choice.tolist() == [1, 1, 0]  # the closest plan: the cheapest one
    assert short.objective == 7


def test_zero_costs_take_the_best_value() -> None:
    cost = np.zeros((4, 3), dtype=np.int64)
    value = arr([[1, 5, 5], [-3, -2, -9], [0, 0, 0], [4, 1, 2]])
    feas = np.ones((4, 3), dtype=bool)
    result = solve_mckp(MckpProblem(cost, value, feas, 0, "max_value"))
    assert result.status == "optimal"
    assert result.choice.tolist() == [1, 1, 0, 0]
    assert result.objective == 5 - 2 + 0 + 4


def test_min_cost_infeasible_floor_and_no_floor() -> None:
    cost, value = arr([[1, 3], [2, 6]]), arr([[1, 4], [2, 5]])
    feas = np.ones((2, 2), dtype=bool)
    none = solve_mckp(MckpProblem(cost, value, feas, None, "min_cost"))
    assert none.status == "optimal"
    assert none.objective == 3
    assert none.choice.tolist() == [0, 0]
    high = solve_mckp(MckpProblem(cost, value, feas, None, "min_cost", 10))
    assert high.status == "infeasible"
    assert high.bound is None
    assert high.choice.tolist() == [1, 1]  # closest: the highest-value plan
    exact = solve_mckp(MckpProblem(cost, value, feas, None, "min_cost", 9))
    assert exact.status == "optimal"
    assert exact.objective == 9


def test_no_budget_takes_best_value_then_cheapest() -> None:
    cost, value = arr([[4, 2, 9]]), arr([[7, 7, 1]])
    result = solve_mckp(MckpProblem(cost, value, np.ones((1, 3), dtype=bool), None, "max_value"))
    assert result.choice.tolist() == [1]
    assert result.objective == 7
    assert result.status == "optimal"


def test_empty_problem() -> None:
    e = np.zeros((0, 3), dtype=np.int64)
    ok = solve_mckp(MckpProblem(e, e, np.zeros((0, 3), dtype=bool), 0, "max_value"))
    assert ok.status == "optimal"
    assert ok.objective == 0
    assert ok.choice.shape == (0,)
    neg = solve_mckp(MckpProblem(e, e, np.zeros((0, 3), dtype=bool), -1, "max_value"))
    assert neg.status == "infeasible"


def test_exact_lp_bound_is_a_fraction() -> None:
    # one group, fractional LP: options (0, 0) and (3, 10); budget 2 -> LP = 20/3
    result = solve_mckp(
        MckpProblem(arr([[0, 3]]), arr([[0, 10]]), np.ones((1, 2), bool), 2, "max_value")
    )
    assert result.lp_bound == Fraction(20, 3)
    assert result.objective == 0
    assert result.status == "optimal"
    assert result.bound == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cost": np.zeros((2, 2))}, "integers"),
        ({"feasible": np.ones((2, 2), dtype=np.int64)}, "boolean"),
        ({"cost": np.zeros((2, 3), dtype=np.int64)}, "same shape"),
        ({"feasible": np.array([[True, False], [False, False]])}, "no feasible option"),
        ({"cost": np.array([[0, -1], [0, 0]], dtype=np.int64)}, "costs must be >= 0"),
        ({"value": np.array([[2**61, 0], [0, 0]], dtype=np.int64)}, "too large"),
        ({"objective": "min_value"}, "unknown objective"),
    ],
)
def test_invalid_input_raises_input_error(kwargs: dict[str, object], match: str) -> None:
    base: dict[str, object] = {
        "cost": np.zeros((2, 2), dtype=np.int64),
        "value": np.zeros((2, 2), dtype=np.int64),
        "feasible": np.ones((2, 2), dtype=bool),
        "budget": 5,
        "objective": "max_value",
    }
    base.update(kwargs)
    with pytest.raises(InputError, match=match):
        solve_mckp(MckpProblem(**base))  # type: ignore[arg-type]


def test_infeasible_options_may_hold_garbage() -> None:
    cost = arr([[-5, 1], [2, 2**62]])
    value = arr([[np.iinfo(np.int64).min, 3], [4, 2**62]])
    feas = np.array([[False, True], [True, False]])
    result = solve_mckp(MckpProblem(cost, value, feas, 3, "max_value"))
    assert result.status == "optimal"
    assert result.choice.tolist() == [1, 0]
    assert result.objective == 7


def test_plans_list_is_complete() -> None:
    plans, costs, values = all_plans(arr([[1, 2]]), arr([[3, 4]]), np.array([[True, True]]))
    assert plans == [(0,), (1,)]
    assert costs == [1, 2]
    assert values == [3, 4]


# ----------------------------------------------------------------------------- relax (reusable)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_abs=20), st.data())
def test_relax_gives_a_valid_lagrangian_bound_for_a_side_constraint(
    problem: MckpProblem, data: st.DataObject
) -> None:
    # side constraint sum coef[g, x_g] <= rhs, priced in with mu = n / d (see relax's docstring)
    g, k = problem.cost.shape
    coef = np.array(
        data.draw(st.lists(st.integers(0, 5), min_size=g * k, max_size=g * k)), dtype=np.int64
    ).reshape(g, k)
    rhs = data.draw(st.integers(0, 5 * g))
    n, d = data.draw(st.integers(0, 12)), data.draw(st.integers(1, 4))
    budget = problem.budget if problem.budget is not None else 10**6
    plans, costs, values = all_plans(problem.cost, problem.value, problem.feasible)
    best = None
    for plan, c, v in zip(plans, costs, values, strict=True):
        if c <= budget and sum(int(coef[i, j]) for i, j in enumerate(plan)) <= rhs:
            best = v if best is None else max(best, v)
    rel = mckp.relax(d * problem.value - n * coef, problem.cost, problem.feasible, budget)
    if rel is None:  # even the cheapest plan breaks the budget
        assert min(costs) > budget
        return
    assert (rel.bound + n * rhs) / d >= (best if best is not None else -(10**9))
    # and the plans it returns are feasible for the budget
    rows = np.arange(g)
    assert int(problem.cost[rows, rel.greedy].sum()) <= budget
    assert problem.feasible[rows, rel.argmax].all()
