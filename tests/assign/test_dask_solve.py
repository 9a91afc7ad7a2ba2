"""The distributed solve (:mod:`costplan.dask_solve`) against the single-process solver.

Oracles: :func:`costplan.solvers.mckp.solve_mckp` on the shards' arrays concatenated (the
distributed solve must return the same solution: plan, objective, bound, status, LP value,
certificate, slack and integer statistics), and the exact dynamic programme of
``tests/solvers/test_mckp_medium.py`` (no solver code) for the optimum itself. Instances:
the medium generator's families, including ``ties`` (values and costs below 6, so many
groups share an efficiency and the greedy's tie order by (step rank, group) across shards
decides the plan), shards of unequal sizes (one a single group), and the CP-SAT core path
(DP disabled). Every case must agree (success rate 100%); seeds are printed.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from costplan.dask_solve import solve_distributed
from costplan.queries import QuerySet
from costplan.solvers import mckp, mckp_core
from costplan.solvers.mckp import MckpProblem, solve_mckp
from tests.solvers.test_mckp_medium import dp_optimum, make_problem


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as c:  # fmt: skip
        yield c


def _shards(problem: MckpProblem, cuts: list[int]) -> tuple[list[Any], list[int]]:
    """Each shard's ``(query set, arrays)`` as the engine's workers hold them."""
    parts, sizes = [], []
    bounds = [0, *cuts, problem.cost.shape[0]]
    for a, b in itertools.pairwise(bounds):
        ids = tuple(f"q{i}" for i in range(a, b))
        zero = np.zeros(b - a, np.int64)
        qs = QuerySet(Path("s"), ids, ("t",) * (b - a), ("m",), np.full((b - a, 1), 5),
                      None, None, zero, zero, "x")  # fmt: skip
        arrays = ((), problem.cost[a:b], problem.value[a:b], problem.feasible[a:b], None)
        parts.append((qs, arrays))
        sizes.append(b - a)
    return parts, sizes


def _same(client: Any, problem: MckpProblem, cuts: list[int]) -> mckp.MckpResult:
    want = solve_mckp(problem)
    parts, sizes = _shards(problem, cuts)
    got = solve_distributed(client, client.scatter(parts), sizes,
                            maximize=problem.objective == "max_value", budget=problem.budget,
                            min_value=problem.min_value, time_limit_s=None).solution  # fmt: skip
    assert got.choice.tobytes() == want.choice.tobytes()
    for field in ("status", "objective", "bound", "gap", "lp_bound", "certificate", "slack"):
        assert getattr(got, field) == getattr(want, field), field
    ints = lambda s: {k: v for k, v in s.items() if isinstance(v, int)}  # noqa: E731
    assert ints(got.stats) == ints(want.stats)
    return want


CASES = [  # (groups, options, family, objective, seed, shard cuts)
    (600, 8, "uncorrelated", "max_value", 1, [200, 350]),
    (600, 8, "weakly", "max_value", 2, [1, 300]),
    (500, 6, "ties", "max_value", 3, [250]),
    (500, 6, "ties", "min_cost", 4, [100, 101, 400]),
    (400, 10, "weakly", "min_cost", 5, [399]),
    (700, 5, "uncorrelated", "min_cost", 6, [350]),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[2]}-{c[3]}-{c[4]}" for c in CASES])
def test_distributed_solve_is_the_single_process_solve(client: Any, case: tuple[Any, ...]) -> None:
    g, k, family, objective, seed, cuts = case
    print("seed", seed)
    problem = make_problem(g, k, family, objective, seed)
    want = _same(client, problem, cuts)
    assert want.status == "optimal"
    assert want.objective == dp_optimum(problem)


def test_core_cases_are_exercised() -> None:
    """At least half of the cases above need the exact core (else they prove little)."""
    cores = 0
    for g, k, family, objective, seed, _ in CASES:
        problem = make_problem(g, k, family, objective, seed)
        cores += solve_mckp(problem).stats["core_groups"] > 0
    assert cores >= len(CASES) // 2


def test_cpsat_core_path(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mckp_core, "_DP_MAX_STATES", 0)  # every DP aborts: CP-SAT on the core
    problem = make_problem(400, 8, "weakly", "max_value", 7)
    want = _same(client, problem, [130, 260])
    assert want.stats.get("cpsat_groups", 0) > 0
    assert want.objective == dp_optimum(problem)


@pytest.mark.parametrize("fraction", [0.0, 1.0])
def test_extreme_budgets(client: Any, fraction: float) -> None:
    """Budget = the cheapest plan (nothing to move) and = the dearest (does not bind)."""
    for objective in ("max_value", "min_cost"):
        problem = make_problem(300, 6, "uncorrelated", objective, 8, fraction=fraction)
        want = _same(client, problem, [150])
        assert want.objective == dp_optimum(problem)
