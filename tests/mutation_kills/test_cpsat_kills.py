"""solvers/cpsat.py (the one CP-SAT configuration) against its documented contract: each
parameter read back from the solver it returns, and a tiny model solved to its hand optimum.
"""

from __future__ import annotations

import math

from costplan.solvers.cpsat import cp_solver


def test_the_default_solver_is_single_threaded_seeded_and_leaves_sigint_alone() -> None:
    prm = cp_solver(7.5).parameters
    assert prm.max_time_in_seconds == 7.5
    assert prm.num_workers == 1
    assert prm.random_seed == 0
    assert prm.catch_sigint_signal is False
    assert prm.interleave_search is False  # only with several workers
    assert prm.relative_gap_limit == 0.0  # no gap: CP-SAT's own default, 0


def test_time_limits_below_a_hundredth_of_a_second_are_raised_to_it() -> None:
    assert cp_solver(0.0).parameters.max_time_in_seconds == 0.01
    assert cp_solver(-3.0).parameters.max_time_in_seconds == 0.01
    assert cp_solver(0.01).parameters.max_time_in_seconds == 0.01
    assert cp_solver(0.02).parameters.max_time_in_seconds == 0.02
    # None: no limit set (CP-SAT's default is unbounded)
    assert math.isinf(cp_solver(None).parameters.max_time_in_seconds)


def test_workers_seed_and_relative_gap_are_passed_through() -> None:
    prm = cp_solver(1.0, num_workers=3, seed=17, relative_gap=1e-4).parameters
    assert prm.num_workers == 3
    assert prm.random_seed == 17
    assert prm.relative_gap_limit == 1e-4
    assert prm.interleave_search is True  # several workers: deterministic interleaving
    assert prm.catch_sigint_signal is False
    two = cp_solver(1.0, num_workers=2).parameters
    assert two.interleave_search is True
    assert two.num_workers == 2
    # a negative gap is not a gap: left at 0
    assert cp_solver(1.0, relative_gap=-1.0).parameters.relative_gap_limit == 0.0


def test_it_solves_a_small_model_to_its_hand_optimum() -> None:
    from ortools.sat.python import cp_model

    # maximise 3a + 2b with a + b <= 4, a <= 3, integers: a = 3, b = 1, value 11 (by hand)
    m = cp_model.CpModel()
    a = m.new_int_var(0, 3, "a")
    b = m.new_int_var(0, 10, "b")
    m.add(a + b <= 4)
    m.maximize(3 * a + 2 * b)
    solver = cp_solver(10.0)
    assert solver.solve(m) == cp_model.OPTIMAL
    assert (solver.value(a), solver.value(b), solver.objective_value) == (3, 1, 11.0)
