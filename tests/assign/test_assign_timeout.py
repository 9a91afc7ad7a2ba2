"""``costplan assign`` with a side constraint, CP-SAT stopped before it finds a plan: the
Lagrangian plan is still written, ``feasible`` with its exact gap, exit 3, and the
independent checker (``costplan verify``) re-derives it from the raw inputs.

No wall clock: a deterministic work limit (``tests.worklimit``) stops CP-SAT; what is
asserted is its recorded status and the written files. The share cap is checked here in
Python integers from the written per-query costs (``10 * spend(anthropic) <= 9 * spend``).
"""

from __future__ import annotations

import csv
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.cli.conftest import Runner
from tests.worklimit import limit_cpsat, status

PRICES = Path(__file__).parent.parent / "data" / "basic" / "prices.yaml"  # small, big


def write_queries(path: Path, n: int, seed: int = 3) -> None:
    rng = np.random.default_rng(seed)
    with path.open("w") as fh:
        for g in range(n):
            q = {"small": int(rng.integers(300, 900)), "big": int(rng.integers(500, 1000))}
            fh.write(json.dumps({
                "id": f"q{g}", "task": f"t{g % 3}",
                "prompt_tokens": int(rng.integers(10, 5000)),
                "output_tokens": int(rng.integers(1, 500)),
                "quality": {m: v / 1000 for m, v in q.items()},
            }) + "\n")  # fmt: skip


def test_stopped_run_writes_its_best_feasible_plan(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    solvers = limit_cpsat(monkeypatch, deterministic_time=1e-6)
    queries, out, plan_path = tmp_path / "q.jsonl", tmp_path / "a.csv", tmp_path / "plan.yaml"
    write_queries(queries, 3000)
    r = run("assign", queries, "--prices", PRICES, "--budget", "20",
            "--max-provider-share", "anthropic=0.9", "--time-limit", "600",
            "-o", out, "--plan", plan_path, "-q")  # fmt: skip
    assert [status(s) for s in solvers] == ["UNKNOWN"]
    assert r.code == 3, r.err
    plan = yaml.safe_load(plan_path.read_text())
    assert plan["status"] == "feasible"
    bound, best = Fraction(plan["bound"]), Fraction(plan["totals"]["quality_queries"])
    assert Fraction(plan["gap"]) == (bound - best) / best
    assert bound > best
    cert = plan["certificate"]
    assert Fraction(cert["prices"]["share:anthropic"]) > 0
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3000
    spend = [Fraction(row["cost_usd"]) for row in rows]
    big = sum(c for c, row in zip(spend, rows, strict=True) if row["model"] == "big")
    assert 10 * big <= 9 * sum(spend)
    assert sum(spend) <= 20
    v = run("verify", plan_path, "-p", PRICES, "--queries", queries, "--assignments", out)
    assert v.code == 0, v.out + v.err
    assert "status feasible re-derived" in v.out
