"""`costplan assign`: per-query allocation, exact totals, side constraints, CLI."""

from __future__ import annotations

import csv
import itertools
import json
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
import yaml

from costplan.assign import AssignSideConstraints, assign
from costplan.pricing.load import load_price_sheet
from costplan.queries import load_queries
from tests.cli.conftest import Runner

PRICES = Path(__file__).parent.parent / "data" / "basic" / "prices.yaml"


def write_queries(tmp_path: Path, n: int, seed: int = 0, text: bool = False) -> Path:
    rng = np.random.default_rng(seed)
    lines = []
    for g in range(n):
        record: dict[str, object] = {"id": f"q{g}", "task": "ab"[g % 2]}
        if text:
            record["text"] = " ".join(["word"] * int(rng.integers(1, 200)))
        else:
            record["prompt_tokens"] = int(rng.integers(10, 5000))
        record["output_tokens"] = int(rng.integers(1, 500))
        record["quality"] = {
            "small": round(float(rng.random()), 3),
            "big": round(float(rng.random()), 3),
        }
        lines.append(json.dumps(record))
    p = tmp_path / "queries.jsonl"
    p.write_text("\n".join(lines) + "\n")
    return p


#: basic/prices.yaml in pico-dollars per token: $0.15 / $0.6 (small), $3 / $15 (big) per
#: million input / output tokens; a $/Mtok price is that many micro-dollars per token.
RAW_PUSD_PER_TOKEN = {"small": (150_000, 600_000), "big": (3_000_000, 15_000_000)}


def raw_options(path: Path) -> list[list[tuple[int, int]]]:
    """Per query, per model (small, big): (cost pico-dollars, quality millionths), from
    the query file's raw numbers and the prices above (standard mode, no cache)."""
    out = []
    for line in path.read_text().splitlines():
        record = json.loads(line)
        row = []
        for model, (per_in, per_out) in RAW_PUSD_PER_TOKEN.items():
            cost = record["prompt_tokens"] * per_in + record["output_tokens"] * per_out
            row.append((cost, int(Decimal(str(record["quality"][model])) * 10**6)))
        out.append(row)
    return out


def test_small_instances_equal_brute_force(tmp_path: Path) -> None:
    sheet = load_price_sheet(PRICES)
    for seed in range(25):
        path = write_queries(tmp_path, 5, seed)
        qs = load_queries(path)
        rows = raw_options(path)
        cheapest = sum(min(c for c, _ in row) for row in rows)
        dearest = sum(max(c for c, _ in row) for row in rows)
        budget = (cheapest + dearest) // 2
        result = assign(qs, sheet, budget_pusd=budget)
        plans = [
            (sum(q for _, q in plan), sum(c for c, _ in plan)) for plan in itertools.product(*rows)
        ]
        best = max(q for q, c in plans if c <= budget)
        assert result.plan.status == "optimal"
        assert int(result.quality_micro.sum()) == best
        assert int(result.cost_pusd.sum()) <= budget
        # each query's recorded cost and quality are its raw option's
        for g, k in enumerate(result.choice):
            model = result.options[int(k)].model
            assert (int(result.cost_pusd[g]), int(result.quality_micro[g])) == rows[g][
                list(RAW_PUSD_PER_TOKEN).index(model)
            ]
        assert result.plan.cost_pusd == int(result.cost_pusd.sum())
        assert result.plan.quality_micro_total == int(result.quality_micro.sum())


def test_side_constraints_hold(tmp_path: Path) -> None:
    sheet = load_price_sheet(PRICES)
    qs = load_queries(write_queries(tmp_path, 60, seed=3))
    side = AssignSideConstraints(
        capacity_requests={"big": 10},
        capacity_tokens={},
        max_provider_share={},
        task_min_quality={"a": Decimal("0.5")},
    )
    result = assign(qs, sheet, budget_pusd=10**12, side=side)
    models = [result.options[k].model for k in result.choice]
    assert models.count("big") <= 10
    in_a = np.asarray(qs.tasks) == "a"
    assert int(result.quality_micro[in_a].sum()) >= 500_000 * int(in_a.sum())
    assert result.plan.status == "optimal"


def test_cli_writes_rows_and_summary_with_equal_totals(run: Runner, tmp_path: Path) -> None:
    q = write_queries(tmp_path, 200, seed=5)
    out, plan_file = tmp_path / "rows.csv", tmp_path / "plan.yaml"
    r = run("assign", q, "--prices", PRICES, "--budget", "0.5", "-o", out, "--plan", plan_file)
    assert r.code == 0, r.err
    assert "queries: 200;" in r.out
    assert "total quality " in r.out
    assert "(bound " in r.out
    assert "gap 0" in r.out
    assert "budget at risk" not in r.out
    with out.open() as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 200
    total = sum(Decimal(row["cost_usd"]) for row in rows)
    plan = yaml.safe_load(plan_file.read_text())
    assert Decimal(plan["totals"]["cost_usd"]) == total
    assert total <= Decimal("0.5")
    by_task: dict[str, Decimal] = {}
    for row in rows:
        by_task[row["task"]] = by_task.get(row["task"], Decimal(0)) + Decimal(row["cost_usd"])
    assert {t["name"]: Decimal(t["cost_usd"]) for t in plan["tasks"]} == by_task


def test_cli_text_queries_and_capacity(run: Runner, tmp_path: Path) -> None:
    q = write_queries(tmp_path, 30, seed=1, text=True)
    out = tmp_path / "rows.jsonl"
    r = run("assign", q, "--prices", PRICES, "--budget", "1", "--capacity", "big=3", "-o", out)
    assert r.code == 0, r.err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sum(row["model"] == "big" for row in rows) <= 3


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (
            ("--budget", "1", "--objective", "fast"),
            2,
            "--objective must be max_quality or min_cost",
        ),
        ((), 2, "a budget is required for objective max_quality"),
        (("--budget", "1", "--capacity", "big"), 2, "--capacity takes NAME=VALUE (got 'big')"),
        (("--budget", "1", "--capacity", "huge=5"), 2, "--capacity names a model that is not in"),
        (("--budget", "1", "--max-provider-share", "openai=2"), 2, "must be a number from 0 to 1"),
        (
            (
                "--budget",
                "0.000001",
            ),
            1,
            "no assignment fits the budget: the cheapest model",
        ),
        (("--objective", "min_cost", "--min-quality", "1"), 1, "no assignment meets"),
    ],
)
def test_cli_errors(
    run: Runner, tmp_path: Path, args: tuple[str, ...], code: int, fragment: str
) -> None:
    q = write_queries(tmp_path, 20, seed=2)
    r = run("assign", q, "--prices", PRICES, *args)
    assert r.code == code, (r.out, r.err)
    assert fragment in r.err
    assert "Traceback" not in r.err


def test_unknown_model_in_queries(run: Runner, tmp_path: Path) -> None:
    q = tmp_path / "q.jsonl"
    q.write_text('{"id": "a", "prompt_tokens": 5, "output_tokens": 5, "quality": {"smal": 1}}\n')
    r = run("assign", q, "--prices", PRICES, "--budget", "1")
    assert r.code == 2
    assert "quality.smal: unknown model in the query file's quality" in r.err
    assert "did you mean 'small'?" in r.err
