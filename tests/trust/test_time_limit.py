"""Solver limits: --time-limit reaches CP-SAT; at a limit the best plan is written with
its gap and exit code 3, or, without any plan, a SolverLimitError (exit 3).

No test here depends on this machine's speed: CP-SAT is stopped by a deterministic
work limit (``tests.worklimit``), and what is asserted is its statistics and what
costplan made of them, never elapsed time.
"""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import yaml

import costplan.optimize as optimize_mod
from costplan.api import load_inputs
from costplan.optimize import optimize
from costplan.solvers.classlevel import ClassSolution
from tests.trust.conftest import Runner
from tests.worklimit import limit_cpsat, status

PRICES = ("1.000001", "2.000003", "3.000007", "4.000013", "5.000017", "6.000023")


def hard_instance(folder: Path, tasks: int = 30, seed: int = 5) -> Path:
    """A subset-sum in disguise: 30 tasks with split: false, quality proportional to cost
    (every option equally efficient), volumes and prompts co-prime-ish, and a budget
    half-way between the cheapest and the dearest plan. CP-SAT finds a plan in
    milliseconds but cannot prove the best one for seconds: its bound stays ~1e-3 above
    (with a deterministic limit of 0.05: FEASIBLE, ~5,000 branches, gap ~4.6e-4).
    """
    rng = random.Random(seed)
    prices = [Decimal(p) for p in PRICES]
    models = {
        f"m{i}": {"provider": f"p{i % 3}", "input_usd_per_mtok": str(p), "output_usd_per_mtok": 0}
        for i, p in enumerate(prices)
    }
    task_list, quality = [], {}
    low = high = 0
    for t in range(tasks):
        tokens, volume = rng.randint(1000, 9999), rng.randint(10007, 99991)
        task_list.append(
            {
                "name": f"t{t}",
                "volume": volume,
                "prompt": {"tokens": tokens},
                "output_tokens": 0,
                "split": False,
            }
        )
        quality[f"t{t}"] = {
            m: str((p * tokens / 100000).quantize(Decimal("0.000001")))
            for m, p in zip(models, prices, strict=True)
        }
        low += prices[0] * tokens * volume
        high += prices[-1] * tokens * volume
    budget = ((low + high) / 2 / 10**6).quantize(Decimal("0.01"))
    (folder / "prices.yaml").write_text(yaml.safe_dump({"currency": "USD", "models": models}))
    workload = {
        "name": "hard",
        "budget_usd": str(budget),
        "prices": "prices.yaml",
        "tasks": task_list,
        "quality": quality,
    }
    (folder / "workload.yaml").write_text(yaml.safe_dump(workload, sort_keys=False))
    return folder / "workload.yaml"


#: CP-SAT's deterministic work limit that stops it on the hard instance before a proof
#: (about 0.5 s of wall time on this machine, whatever the load).
UNPROVEN = 0.05


def test_work_limit_reached_writes_the_plan_with_its_gap(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    solvers = limit_cpsat(monkeypatch, deterministic_time=UNPROVEN)
    workload = hard_instance(tmp_path)
    out = tmp_path / "plan.yaml"
    r = run("optimize", workload, "--time-limit", "600", "--out", out)
    # CP-SAT stopped at the work limit with a plan and no proof...
    assert [status(s) for s in solvers[:1]] == ["FEASIBLE"]
    first = solvers[0]
    assert first.deterministic_time >= UNPROVEN
    assert first.num_branches > 0
    # ...and costplan says so: exit 3, the plan written with its (positive) gap
    assert r.code == 3, r.err
    assert r.err == ""
    plan = yaml.safe_load(out.read_text())
    assert plan["status"] == "feasible"
    assert Fraction(plan["gap"]) > 0  # an exact rational string
    assert "status: feasible" in r.out
    gap_text = r.out.split("gap: ", 1)[1].split()[0]
    assert float(gap_text) > 0
    assert Decimal(plan["totals"]["cost_usd"]) <= Decimal(plan["budget_usd"])
    # CP-SAT itself had a gap...
    assert first.best_objective_bound > first.objective_value
    # ...and the plan's gap is the exact one on the unscaled problem, from the plan's own
    # bound and objective (both in quality-queries): (bound - objective) / objective
    assert plan["bound_unit"] == "quality_queries"
    bound, best = Fraction(plan["bound"]), Fraction(plan["totals"]["quality_queries"])
    assert bound > best
    assert Fraction(plan["gap"]) == (bound - best) / best


def test_time_limit_reaches_cpsat_and_an_unproven_plan_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    solvers = limit_cpsat(monkeypatch, deterministic_time=UNPROVEN)
    table = load_inputs(hard_instance(tmp_path))
    plan = optimize(table, time_limit_s=30, explain=False)
    # every CP-SAT solve got at most the time limit (it is what stops a real run), less
    # what costplan spent before it; the work limit stopped this one first, whatever the load
    assert solvers
    assert all(0 < s.parameters.max_time_in_seconds <= 30 for s in solvers)
    assert status(solvers[0]) == "FEASIBLE"
    assert plan.status == "feasible"  # not proven...
    assert plan.gap > 0
    assert plan.bound > plan.quality_micro_total  # ...and the bound says by how much


def test_no_plan_within_the_work_limit_is_a_solver_limit_error(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CP-SAT allowed no conflict at all finds no plan on the hard instance (UNKNOWN): the
    # real path from CP-SAT's status to exit 3, no plan file.
    solvers = limit_cpsat(monkeypatch, conflicts=0)
    out = tmp_path / "plan.yaml"
    r = run("optimize", hard_instance(tmp_path), "--time-limit", "7", "--out", out)
    assert [status(s) for s in solvers] == ["UNKNOWN"]
    assert r.code == 3
    assert r.err == "error: no plan found within the time limit of 7 s; raise --time-limit\n"
    assert not out.exists()


def test_no_plan_at_the_limit_is_a_solver_limit_error(
    run: Runner, basic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def nothing_found(problem: object, **_: object) -> ClassSolution:
        n = len(problem.cost)  # type: ignore[attr-defined]
        return ClassSolution("unknown", np.zeros(n, np.int64), 0, None, None)

    monkeypatch.setattr(optimize_mod, "solve_class", nothing_found)
    out = tmp_path / "plan.yaml"
    r = run("optimize", basic / "workload.yaml", "--time-limit", "0.2", "--out", out)
    assert r.code == 3
    assert r.err == "error: no plan found within the time limit of 0.2 s; raise --time-limit\n"
    assert not out.exists()


def test_accepted_gap_stops_early_with_exit_0_and_honest_status(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The hard instance's bound stays ~1e-3 above any plan for seconds: with --gap 0.01
    # the search stops as soon as the plan is proven within 1%, exit 0, and the plan
    # still says "feasible" with its measured gap: "optimal" always means a proof.
    # A deterministic limit far above what the gap needs (~0.001) makes "stopped on the
    # gap, not on a limit" a property of CP-SAT's status, not of the clock.
    solvers = limit_cpsat(monkeypatch, deterministic_time=5.0)
    workload = hard_instance(tmp_path)
    out = tmp_path / "plan.yaml"
    r = run("optimize", workload, "--gap", "0.01", "--time-limit", "600", "--out", out)
    first = solvers[0]
    assert first.parameters.relative_gap_limit == 0.01
    assert status(first) == "OPTIMAL"  # CP-SAT's word for "within relative_gap_limit"
    assert first.deterministic_time < 5.0
    assert first.best_objective_bound > first.objective_value  # not a proof
    assert r.code == 0, r.err
    plan = yaml.safe_load(out.read_text())
    assert plan["status"] == "feasible"
    assert 0 < Fraction(plan["gap"]) <= Fraction(1, 100)


def test_gap_option_is_validated(run: Runner, basic: Path) -> None:
    r = run("optimize", basic / "workload.yaml", "--gap", "2")
    assert r.code == 2
    assert "--gap" in r.err
