"""`optimize --price-change`: the what-if plan, and the plan before the change."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import Runner, edit


def test_optimize_price_change_prints_before_and_after(
    run: Runner, basic: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan.json"
    r = run(
        "optimize",
        basic / "workload.yaml",
        "--price-change",
        "provider:anthropic=+20%",
        "-o",
        out,
    )
    assert r.code == 0, r.err
    # before: all on big, $358.90 (tests/basic_figures.py), mean quality 0.925; after: big
    # (anthropic) 20% dearer, still within the $500 budget: $358.90 x 1.2 = $430.68
    assert (
        "before the price change: $358.90, mean quality 0.9250 -> after: $430.68, "
        "mean quality 0.9250" in r.out
    )
    plan = json.loads(out.read_text())
    assert plan["totals"]["cost_usd"] == "430.68"
    assert plan["prices"]["source"] == "test; what-if: provider:anthropic=+20%"

    # The same plan as with an edited price sheet.
    edit(basic / "prices.yaml", "input_usd_per_mtok: 3\n", "input_usd_per_mtok: 3.6\n")
    edit(basic / "prices.yaml", "output_usd_per_mtok: 15\n", "output_usd_per_mtok: 18\n")
    edit(basic / "prices.yaml", "cache_read_usd_per_mtok: 0.3\n", "cache_read_usd_per_mtok: 0.36\n")
    edited = tmp_path / "edited.json"
    assert run("optimize", basic / "workload.yaml", "-o", edited, "-q").code == 0
    assert json.loads(edited.read_text())["tasks"] == plan["tasks"]


def test_optimize_price_change_when_the_old_prices_had_no_plan(run: Runner, basic: Path) -> None:
    r = run("optimize", basic / "workload.yaml", "--budget", "10", "--price-change", "*=-80%")
    assert r.code == 0, r.err
    assert "before the price change: no plan (no plan fits the budget" in r.out


def test_optimize_bad_price_change_exits_2(run: Runner, basic: Path) -> None:
    r = run("optimize", basic / "workload.yaml", "--price-change", "big=+10")
    assert r.code == 2
    assert r.err.startswith("error: --price-change: cannot read the change")
    assert r.out == ""
