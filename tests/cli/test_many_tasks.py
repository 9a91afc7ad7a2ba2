"""`costplan optimize` on a workload with many tasks: proven on the MCKP core, end to end."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import yaml

from costplan.solvers.classlevel import MANY_TASKS
from tests.cli.conftest import Runner

N_TASKS = 2 * MANY_TASKS


def _write_workload(root: Path) -> Path:
    rng = np.random.default_rng(11)
    models = {
        f"m{k}": {
            "provider": ["openai", "anthropic", "google"][k % 3],
            "input_usd_per_mtok": str(round(float(0.1 * 1.7**k), 3)),
            "output_usd_per_mtok": str(round(float(0.4 * 1.7**k), 3)),
            "context_window": 200000,
            "tokenizer": "o200k_base",
        }
        for k in range(8)
    }
    sheet = {"currency": "USD", "as_of": "2026-11-01", "source": "test", "models": models}
    (root / "prices.yaml").write_text(yaml.safe_dump(sheet))
    tasks, quality = [], {}
    for t in range(N_TASKS):
        name = f"task-{t:02d}"
        task = {
            "name": name,
            "volume": int(rng.integers(1_000, 200_000)),
            "prompt": {"tokens": int(rng.integers(200, 6_000))},
            "output_tokens": int(rng.integers(20, 800)),
        }
        if t % 2 == 0:
            task["min_quality"] = 0.6
        tasks.append(task)
        scores = np.clip(0.5 + 0.05 * np.arange(8) + rng.normal(0, 0.05, 8), 0, 1)
        quality[name] = {f"m{k}": round(float(scores[k]), 3) for k in range(8)}
    workload = {
        "name": "many",
        "period": "month",
        "budget_usd": 9000,
        "objective": "max_quality",
        "prices": "prices.yaml",
        "tasks": tasks,
        "quality": quality,
    }
    path = root / "workload.yaml"
    path.write_text(yaml.safe_dump(workload, sort_keys=False))
    return path


def test_many_tasks_are_proven_on_the_mckp_core(run: Runner, tmp_path: Path) -> None:
    workload = _write_workload(tmp_path)
    out = tmp_path / "plan.yaml"
    r = run("optimize", workload, "--out", out)
    assert r.code == 0, r.err
    assert "status: optimal" in r.out
    plan = yaml.safe_load(out.read_text())
    assert plan["status"] == "optimal"
    assert plan["solver"]["name"] == "mckp"
    assert Decimal(plan["gap"]) == 0
    total = sum(Decimal(t["cost_usd"]) for t in plan["tasks"])
    assert total == Decimal(plan["totals"]["cost_usd"]) <= Decimal(9000)
    assert len(plan["tasks"]) == N_TASKS
    # the CI gate accepts the plan it was given, against the same prices
    assert run("check", out).code == 0
