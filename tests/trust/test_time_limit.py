"""Solver time limits: --time-limit is honoured; at the limit the best plan is written
with its gap and exit code 3, or, without any plan, a SolverLimitError (exit 3)."""

from __future__ import annotations

import random
import time
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

PRICES = ("1.000001", "2.000003", "3.000007", "4.000013", "5.000017", "6.000023")


def hard_instance(folder: Path, tasks: int = 30, seed: int = 5) -> Path:
    """A subset-sum in disguise: 30 tasks with split: false, quality proportional to cost
    (every option equally efficient), volumes and prompts co-prime-ish, and a budget
    half-way between the cheapest and the dearest plan. CP-SAT finds a plan in
    milliseconds but cannot prove the best one for seconds: its bound stays ~1e-3 above.
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


def test_time_limit_reached_writes_the_plan_with_its_gap(run: Runner, tmp_path: Path) -> None:
    workload = hard_instance(tmp_path)
    out = tmp_path / "plan.yaml"
    r = run("optimize", workload, "--time-limit", "0.2", "--out", out)
    assert r.code == 3, r.err
    assert r.err == ""
    plan = yaml.safe_load(out.read_text())
    assert plan["status"] == "feasible"
    assert Fraction(plan["gap"]) > 0  # an exact rational string
    assert "status: feasible" in r.out
    gap_text = r.out.split("gap: ", 1)[1].split()[0]
    assert float(gap_text) > 0
    assert Decimal(plan["totals"]["cost_usd"]) <= Decimal(plan["budget_usd"])


def test_time_limit_is_honoured(tmp_path: Path) -> None:
    table = load_inputs(hard_instance(tmp_path))
    start = time.perf_counter()
    plan = optimize(table, time_limit_s=0.3, explain=False)
    elapsed = time.perf_counter() - start
    assert plan.status == "feasible"  # not proven in 0.3 s...
    assert elapsed < 3.0  # ...and it stopped (generous: CI machines are slow)
    assert plan.gap > 0
    assert plan.bound > plan.quality_micro_total


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
    run: Runner, tmp_path: Path
) -> None:
    # The hard instance's bound stays ~1e-3 above any plan for seconds: with --gap 0.01
    # the search stops as soon as the plan is proven within 1%, exit 0, and the plan
    # still says "feasible" with its measured gap: "optimal" always means a proof.
    workload = hard_instance(tmp_path)
    out = tmp_path / "plan.yaml"
    start = time.perf_counter()
    r = run("optimize", workload, "--gap", "0.01", "--time-limit", "30", "--out", out)
    assert time.perf_counter() - start < 20  # stopped on the gap, not the 30 s limit
    assert r.code == 0, r.err
    plan = yaml.safe_load(out.read_text())
    assert plan["status"] == "feasible"
    assert 0 < Fraction(plan["gap"]) <= Fraction(1, 100)


def test_gap_option_is_validated(run: Runner, basic: Path) -> None:
    r = run("optimize", basic / "workload.yaml", "--gap", "2")
    assert r.code == 2
    assert "--gap" in r.err
