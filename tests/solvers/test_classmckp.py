"""The class-level MCKP method against independent oracles.

* brute force on thousands of small random instances (floors, split = false, robust budgets);
* CP-SAT (the other, independent method) on medium instances with many exact ties, where it
  proves optimality quickly;
* on many-task instances that CP-SAT cannot prove, CP-SAT's own incumbent and bound bracket
  the MCKP answer, and the answer never exceeds the exact Lagrangian (LP) bound.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.class_instances import llm_classes
from costplan.solvers.classlevel import MANY_TASKS, ClassProblem, ClassSolution, solve_class
from costplan.solvers.classmckp import relaxation_bound, solve_class_mckp
from tests.solvers.classlevel_oracle import brute_force, class_problem, spend_range
from tests.solvers.lp_oracle import class_lp
from tests.solvers.test_classlevel import check_against_oracle, random_problem
from tests.worklimit import limit_cpsat

#: CP-SAT's deterministic work limit for the reference solves of many-task instances.
CPSAT_WORK = 0.15  # ~2-4 s of CPU on this machine, what the 5 s wall limit gave


def _mckp(p: ClassProblem) -> ClassSolution:
    sol = solve_class_mckp(p, time_limit_s=10)
    assert sol is not None, "the MCKP method gave up on a small instance"
    assert sol.status in ("optimal", "infeasible")
    return sol


def _check_feasible(p: ClassProblem, counts: np.ndarray) -> None:
    _check_floors(p, counts)
    spend = p.cost if p.budget_cost is None else p.budget_cost
    assert p.budget is not None
    assert int(np.sum(spend * counts)) <= p.budget


def _check_floors(p: ClassProblem, counts: np.ndarray) -> None:
    assert (counts >= 0).all()
    for t in range(len(p.volume)):
        m = p.task == t
        assert counts[m].sum() == p.volume[t]
        if not p.split[t]:
            assert np.count_nonzero(counts[m]) <= 1
        if p.floor[t] >= 0:
            assert int(np.sum((p.quality[m] - p.floor[t]) * counts[m])) >= 0


@pytest.mark.parametrize("seed", range(4))
def test_matches_brute_force_on_2000_instances(seed: int) -> None:
    rng = np.random.default_rng(1000 + seed)
    for _ in range(500):
        p = random_problem(rng, "max_quality")
        check_against_oracle(p, _mckp(p))


def test_robust_budget_matches_brute_force() -> None:
    rng = np.random.default_rng(77)
    for _ in range(400):
        p = random_problem(rng, "max_quality", robust=True)
        check_against_oracle(p, _mckp(p))


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), robust=st.booleans())
def test_matches_brute_force_hypothesis(seed: int, robust: bool) -> None:
    p = random_problem(np.random.default_rng(seed), "max_quality", robust=robust)
    check_against_oracle(p, _mckp(p))


def _medium(rng: np.random.Generator, *, ties: bool) -> ClassProblem:
    n_task, k = int(rng.integers(2, 40)), int(rng.integers(2, 8))
    task = np.repeat(np.arange(n_task), k)
    if ties:  # a handful of distinct values: exact ties everywhere (degenerate LPs)
        cost = rng.integers(0, 6, n_task * k) * 10
        quality = rng.integers(0, 6, n_task * k) * 100_000
        floor = np.where(rng.random(n_task) < 0.5, rng.integers(0, 6, n_task) * 100_000, -1)
    else:
        cost = rng.integers(0, 10**7, n_task * k)
        quality = rng.integers(0, 10**6, n_task * k)
        floor = np.where(rng.random(n_task) < 0.5, rng.integers(0, 10**6, n_task), -1)
    volume = rng.integers(0, int(rng.choice([5, 100, 3000])), n_task)
    lo, hi = spend_range(task, cost, volume)
    split = rng.random(n_task) < 0.85
    return class_problem(
        task, cost, quality, volume, floor, split, budget=int(rng.integers(lo, hi + 2))
    )


@pytest.mark.parametrize("ties", [False, True])
def test_matches_cpsat_on_medium_instances(ties: bool) -> None:
    rng = np.random.default_rng(5 if ties else 6)
    answered = 0
    for _ in range(40):
        p = _medium(rng, ties=ties)
        ours = solve_class_mckp(p, time_limit_s=20)
        ref = solve_class(p, time_limit_s=30, method="cp-sat")
        assert ref.status in ("optimal", "infeasible")
        if ours is None:  # gave up (degenerate enumeration): the caller would use CP-SAT
            continue
        answered += 1
        assert ours.status == ref.status
        if ref.status == "optimal":
            _check_feasible(p, ours.counts)
            pair = (int(np.sum(p.quality * ours.counts)), int(np.sum(p.cost * ours.counts)))
            assert pair == (int(np.sum(p.quality * ref.counts)), int(np.sum(p.cost * ref.counts)))
    assert answered >= 36  # giving up is the exception, not the rule


def _many(n_task: int, seed: int, no_split: float = 0.0) -> ClassProblem:
    """LLM-like, 20 models, a floor on half of the tasks, volumes up to 20k: money at scale 1."""
    problem: ClassProblem = llm_classes(n_task, seed, volume=(100, 20_000), no_split=no_split)
    return problem


@pytest.mark.parametrize(("seed", "no_split"), [(1, 0.0), (2, 0.0), (3, 0.2)])
def test_many_tasks_proven_and_bracketed_by_cpsat(
    seed: int, no_split: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = _many(200, seed, no_split)
    sol = solve_class(p, time_limit_s=60)
    assert sol.method == "mckp"
    assert sol.status == "optimal"
    assert sol.scale == 1
    _check_feasible(p, sol.counts)
    assert sol.objective == int(np.sum(p.quality * sol.counts)) == sol.bound
    # the LP relaxation built in the test (GLOP): at least the optimum, and close to it
    lp = class_lp(p)
    assert lp is not None
    assert sol.objective <= lp * (1 + 1e-9)
    assert lp - sol.objective < 1e-6 * sol.objective  # the integer gap is tiny here
    # CP-SAT, an independent method, cannot beat it and cannot prove less (stopped on a
    # deterministic work limit: what it reaches does not depend on this machine's load)
    limit_cpsat(monkeypatch, deterministic_time=CPSAT_WORK)
    ref = solve_class(p, time_limit_s=600, method="cp-sat")
    assert ref.status in ("optimal", "feasible")
    assert ref.objective <= sol.objective <= ref.bound


def test_auto_uses_the_mckp_core_for_many_tasks_and_cpsat_otherwise() -> None:
    p = _many(MANY_TASKS, 3)
    assert solve_class(p).method == "mckp"
    small = _many(MANY_TASKS - 1, 3)
    assert solve_class(small).method == "cp-sat"
    assert solve_class(small, method="mckp").method == "mckp"


def test_side_rows_go_to_cpsat() -> None:
    rng = np.random.default_rng(3)
    for objective in ("max_quality", "min_cost"):
        p = random_problem(rng, objective, with_rows=True)
        assert solve_class_mckp(p) is None
        assert solve_class(p, method="mckp").method == "cp-sat"


def test_gives_up_cleanly_and_cpsat_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    p = _many(MANY_TASKS, 4)
    assert solve_class_mckp(p, max_work=3) is None  # enumeration limit hit
    import costplan.solvers.classmckp as classmckp

    real = classmckp.solve_class_mckp
    monkeypatch.setattr(
        classmckp, "solve_class_mckp", lambda q, **_: real(q, time_limit_s=60, max_work=3)
    )
    sol = solve_class(p, time_limit_s=30)
    assert sol.method == "cp-sat"
    assert sol.status in ("optimal", "feasible")
    best = real(p)
    assert best is not None
    assert sol.objective <= best.objective


def test_same_answer_twice() -> None:
    p = _many(60, 5)
    one, two = solve_class_mckp(p), solve_class_mckp(p)
    assert one is not None
    assert two is not None
    assert one.counts.tolist() == two.counts.tolist()


def test_money_beyond_the_exact_range_is_solved_at_a_coarser_scale() -> None:
    """Costs and budget times 10^5: the same plans are feasible (an exact change of unit), so
    the optimum quality is the same as at scale 1. Past 2**60 pusd per task the core works at
    a coarser unit, and what it claims must still hold for the exact problem: ``optimal`` only
    with that same optimum, otherwise a bound at or above it and the exact gap."""
    p = _many(40, 6)
    big = ClassProblem(
        task=p.task,
        cost=p.cost * 100_000,  # ~$10^4 x the money: totals pass 2**60 pico-dollars
        quality=p.quality,
        volume=p.volume,
        floor=p.floor,
        split=p.split,
        objective="max_quality",
        budget=None if p.budget is None else p.budget * 100_000,
    )
    ref = solve_class_mckp(p)  # at scale 1, where the exact core proves its optimum
    assert ref is not None
    assert ref.status == "optimal"
    assert ref.scale == 1
    cpsat = solve_class(p, time_limit_s=5, method="cp-sat")  # an independent bracket
    assert cpsat.bound is not None
    assert cpsat.objective <= ref.objective <= cpsat.bound
    sol = solve_class_mckp(big)
    assert sol is not None
    assert sol.scale > 1  # the scaled path really ran
    _check_feasible(big, sol.counts)  # feasible exactly, not only at the solver's scale
    assert sol.objective == int(np.sum(big.quality * sol.counts))
    assert sol.bound is not None
    assert sol.objective <= ref.objective <= sol.bound
    if sol.status == "optimal":
        assert sol.objective == ref.objective == sol.bound
    else:
        assert sol.status == "feasible"
        assert sol.gap == Fraction(sol.bound - sol.objective, sol.objective)


@pytest.mark.parametrize("objective", ["max_quality", "min_cost"])
def test_relaxation_bound_is_a_bound_on_300_instances(objective: str) -> None:
    """The bound reported for unproven plans at a money scale above 1 never cuts off the
    exact optimum (side rows and robust budgets included)."""
    rng = np.random.default_rng(31 if objective == "max_quality" else 32)
    checked = 0
    for i in range(300):
        p = random_problem(rng, objective, with_rows=i % 2 == 0, robust=i % 3 == 0)
        best = brute_force(p)
        if best is None:
            continue
        checked += 1
        if objective == "max_quality":
            assert relaxation_bound(p) >= best[0]
        else:
            assert relaxation_bound(p) <= best[0]
    assert checked > 80  # the rest are infeasible


def test_min_cost_matches_brute_force() -> None:
    rng = np.random.default_rng(41)
    for i in range(600):
        p = random_problem(rng, "min_cost", robust=i % 4 == 0)
        sol = solve_class_mckp(p)
        if sol is None:  # a free task: CP-SAT decides (rare)
            continue
        check_against_oracle(p, sol)


def test_min_cost_with_many_tasks_is_proven(monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    p = dataclasses.replace(_many(300, 8), objective="min_cost", budget=None)
    sol = solve_class(p, time_limit_s=60)
    assert sol.method == "mckp"
    assert sol.status == "optimal"
    _check_floors(p, sol.counts)
    limit_cpsat(monkeypatch, deterministic_time=CPSAT_WORK)
    ref = solve_class(p, time_limit_s=600, method="cp-sat")  # cannot be cheaper
    assert ref.objective >= sol.objective
    lp = class_lp(p)  # the LP relaxation built in the test (GLOP)
    assert lp is not None
    assert sol.objective >= lp * (1 - 1e-9)
    assert sol.objective - lp < 1e-4 * sol.objective  # the integer gap: 7.5e-6 measured
