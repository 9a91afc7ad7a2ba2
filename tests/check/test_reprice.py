"""costplan.check: re-pricing uses optimize's arithmetic, to the pico-dollar."""

from __future__ import annotations

import shutil
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from costplan.check import check_plan, judge, reprice, restrict_to_sheet
from costplan.errors import InputError
from costplan.optimize import optimize, plan_from_counts
from costplan.options import build_options
from costplan.planio import read_plan, write_plan
from costplan.pricing.load import load_price_sheet
from costplan.pricing.whatif import apply_price_changes, parse_price_changes
from costplan.workload.load import load_workload

ROOT = Path(__file__).parent.parent.parent
DATA = ROOT / "tests" / "data"


@pytest.fixture
def saved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tests/data/basic solved at $300 (two models, a batch row), saved and read back."""
    folder = tmp_path / "basic"
    shutil.copytree(DATA / "basic", folder)
    monkeypatch.chdir(folder)
    workload = load_workload(Path("workload.yaml"))
    plan = optimize(
        build_options(workload, load_price_sheet(Path("prices.yaml"))), budget_usd=Decimal(300)
    )
    assert {(a.model, a.mode) for t in plan.tasks for a in t.allocations} >= {
        ("big", "standard"),
        ("small", "batch"),
    }
    write_plan(plan, folder / "plan.yaml")
    return folder / "plan.yaml"


def test_same_sheets_reproduce_the_plan_to_the_pico_dollar(saved: Path) -> None:
    plan = read_plan(saved)
    result = check_plan(plan, plan_path=saved)
    assert result.passed, result.failures
    assert result.warnings == ()
    for tp, tc in zip(plan.tasks, result.tasks, strict=True):
        for a, ac in zip(tp.allocations, tc.allocations, strict=True):
            assert ac.new_cost_per_query_pusd == a.cost_per_query_pusd
        assert tc.new_cost_pusd == tc.old_cost_pusd == tp.cost_pusd
    assert result.new_cost_pusd == result.old_cost_pusd == plan.cost_pusd
    assert result.change_pct == 0


#: Cost per query in pico-dollars after anthropic +17.5% and small.output -3%, by hand from
#: tests/basic_figures.py's token counts. big: input 3 x 1.175 = 3.525, output 15 x 1.175 =
#: 17.625, cache read 0.3 x 1.175 = 0.3525; small: output 0.6 x 0.97 = 0.582 (all exact).
REPRICED_PUSD = {
    # 65/3 x 0.15 + 50 x 0.582 = 3.25 + 29.1 = 32.35 micro-dollars
    ("a", "small", "standard"): 32_350_000,
    # 79/3 x 3.525 + 50 x 17.625 = 92.825 + 881.25 = 974.075 micro-dollars
    ("a", "big", "standard"): 974_075_000,
    # 3,000 x 0.15 + 1,000 x 0.075 + 300 x 0.582 = 450 + 75 + 174.6 = 699.6 micro-dollars
    ("b", "small", "standard"): 699_600_000,
    ("b", "small", "batch"): 349_800_000,  # half of it
    # 3,000 x 3.525 + 1,000 x 0.3525 + 300 x 17.625 = 10,575 + 352.5 + 5,287.5 = 16,215
    ("b", "big", "standard"): 16_215_000_000,
}


def test_new_prices_equal_count_times_the_hand_repriced_cost(saved: Path) -> None:
    plan = read_plan(saved)
    changes = parse_price_changes(["provider:anthropic=+17.5%", "small.output=-3%"])
    result = check_plan(plan, plan_path=saved, price_changes=changes)

    # Independently: sum(count x the hand-derived cost per query).
    workload = load_workload(Path("workload.yaml"))
    sheet = apply_price_changes(load_price_sheet(Path("prices.yaml")), changes)
    table = build_options(workload, sheet)
    cost = REPRICED_PUSD
    assert {(o.task, o.model, o.mode): o.cost_pusd for o in table.usable()} == cost
    expected = {
        t.name: sum(a.count * cost[(t.name, a.model, a.mode)] for a in t.allocations)
        for t in plan.tasks
    }
    assert {t.name: t.new_cost_pusd for t in result.tasks} == expected
    assert result.new_cost_pusd == sum(expected.values())
    assert result.new_cost_pusd != plan.cost_pusd

    # And optimize's own assembly of the same allocation prices it identically.
    counts = {(t.name, a.model, a.mode): a.count for t in plan.tasks for a in t.allocations}
    options = list(table.usable())
    fresh = plan_from_counts(
        table,
        options,
        [counts.get((o.task, o.model, o.mode), 0) for o in options],
        objective="max_quality",
        budget_pusd=plan.budget_pusd,
        status="optimal",
        bound=0.0,
        gap=0.0,
        solver={},
    )
    assert fresh.cost_pusd == result.new_cost_pusd
    assert {t.name: t.cost_pusd for t in fresh.tasks} == expected


def test_max_increase_is_compared_exactly(saved: Path) -> None:
    plan = read_plan(saved)
    result = check_plan(plan, plan_path=saved, price_changes=parse_price_changes(["*=+10%"]))
    old, new = result.old_cost_pusd, result.new_cost_pusd
    assert new is not None
    exact = Decimal(new - old) * 100 / old
    assert result.change_pct == exact
    at = judge(result.tasks, budget_pusd=None, budget_from="plan", max_increase_pct=exact)
    assert at == ()
    below = judge(
        result.tasks,
        budget_pusd=None,
        budget_from="plan",
        max_increase_pct=exact - Decimal("1e-20"),
    )
    assert len(below) == 1
    assert below[0].startswith("total cost rises +")


def test_budget_is_compared_in_pico_dollars(saved: Path) -> None:
    plan = read_plan(saved)
    sheet = load_price_sheet(Path("prices.yaml"))
    tasks = reprice(plan, build_options(load_workload(Path("workload.yaml")), sheet))
    total = sum(t.new_cost_pusd or 0 for t in tasks)
    assert judge(tasks, budget_pusd=total, budget_from="plan", max_increase_pct=None) == ()
    over = judge(tasks, budget_pusd=total - 1, budget_from="--budget", max_increase_pct=None)
    assert len(over) == 1
    assert "over --budget of" in over[0]


def test_restrict_to_sheet_drops_the_missing_model_everywhere() -> None:
    workload = load_workload(ROOT / "examples" / "cascade" / "workload.yaml")
    sheet = load_price_sheet(ROOT / "examples" / "cascade" / "prices.yaml")
    assert restrict_to_sheet(workload, sheet) == (workload, ())
    models = {k: v for k, v in sheet.models.items() if k != "gpt-4.1"}
    smaller = replace(sheet, models=models)
    restricted, gone = restrict_to_sheet(workload, smaller)
    assert gone == ("gpt-4.1",)
    assert "gpt-4.1" not in restricted.quality["support-answer"]
    assert restricted.tasks[0].cascades == ()  # its second step is gone
    build_options(restricted, smaller)  # no longer refers to the missing model


def test_cascade_plan_reprices_and_fails_when_a_step_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "cascade"
    shutil.copytree(ROOT / "examples" / "cascade", folder)
    monkeypatch.chdir(folder)
    workload = load_workload(Path("workload.yaml"))
    plan = optimize(build_options(workload, load_price_sheet(Path("prices.yaml"))))
    assert any(a.kind == "cascade" for t in plan.tasks for a in t.allocations)
    same = check_plan(plan)
    assert same.passed
    assert same.new_cost_pusd == plan.cost_pusd

    text = Path("prices.yaml").read_text()
    start, end = text.index("  gpt-4.1:\n"), text.index("  gpt-4o-mini:\n")
    Path("no-41.yaml").write_text(text[:start] + text[end:])
    gone = check_plan(plan, prices=[Path("no-41.yaml")], reoptimize=True)
    assert gone.failures == (
        "task 'support-answer': cascade 'mini-then-4.1' uses 'gpt-4.1', "
        "not in the new price sheets",
    )
    assert gone.new_cost_pusd is None
    assert gone.reoptimized is not None
    assert gone.reoptimized.plan is None
    assert "needs min_quality 0.92" in (gone.reoptimized.error or "")


def test_plan_task_missing_from_the_workload_is_an_input_error(saved: Path) -> None:
    plan = read_plan(saved)
    renamed = replace(plan, tasks=(replace(plan.tasks[0], name="gone"), *plan.tasks[1:]))
    with pytest.raises(InputError, match="the plan's task 'gone' is not in the workload"):
        check_plan(renamed, plan_path=saved)
