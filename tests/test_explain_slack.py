"""Explanations read which rows bind from the solver's slack, by stable row label.

Hand-built instances on tests/data/basic (costs per query, exact; see tests/test_explain.py):
  task a (100,000 queries, floor 0.8): small $0.00003325 (0.78), big $0.000829 (0.93)
  task b (20,000 queries, batch):      small (batch) $0.0003525 (0.7), big $0.0138 (0.9)
Everything on big costs 100,000 x 0.000829 + 20,000 x 0.0138 = 82.9 + 276 = $358.90.
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from costplan.api import load_inputs, optimize
from costplan.errors import InternalError
from costplan.explain import explain_plan
from costplan.money import PUSD_PER_USD
from costplan.optimize import resolve_budget, solve_table

DATA = Path(__file__).parent / "data"
USD = PUSD_PER_USD


@pytest.fixture
def basic(tmp_path: Path) -> Path:
    dest = tmp_path / "basic"
    shutil.copytree(DATA / "basic", dest)
    return dest / "workload.yaml"


def test_slack_by_label_of_a_budget_with_room_and_an_idle_floor(basic: Path) -> None:
    """$500 buys everything on big ($358.90): the budget's slack is $141.10 and nothing
    binds; task a's floor slack is 100,000 x (0.93 - 0.8) = 13,000 quality-queries."""
    table = load_inputs(basic)
    _, sol = solve_table(table, objective="max_quality", budget_pusd=500 * USD)
    assert sol.slack["budget"] == Fraction(141_100_000_000_000)  # $141.10 in pusd
    assert sol.slack["floor:a"] == Fraction(13_000 * 10**6)
    plan = optimize(table, budget_usd=Decimal(500))
    e = plan.explanations
    assert e is not None
    assert e.budget is not None
    assert (e.budget.slack_pusd, e.budget.binds) == (141_100_000_000_000, False)
    (floor,) = e.floors
    assert (floor.task, floor.slack_micro, floor.binds) == ("a", 13_000 * 10**6, False)


def test_capacity_rows_by_label(basic: Path) -> None:
    """A capacity of 50,000 requests on big at $500: the plan uses all of it (slack 0, it
    binds); a capacity of 200,000 leaves 200,000 - 120,000 = 80,000 (everything on big)."""
    text = basic.read_text()
    for cap, left, binds in ((50_000, 0, True), (200_000, 80_000, False)):
        basic.write_text(text + f"constraints:\n  capacity: {{big: {{requests: {cap}}}}}\n")
        table = load_inputs(basic)
        _, sol = solve_table(table, objective="max_quality", budget_pusd=500 * USD)
        assert sol.slack["capacity:big:requests"] == left
        plan = optimize(table, budget_usd=Decimal(500))
        assert plan.explanations is not None
        (side,) = plan.explanations.side
        assert side.binds is binds, cap


def test_the_explanation_follows_the_slack_it_is_given(basic: Path) -> None:
    """The same $200 plan explained with other slacks: the budget binds at its real slack
    (below the cheapest upgrade, one b query to big: $0.0134475), not with $1,000 left; the
    floor's slack is the one given; a row the slack lacks is an internal error naming it."""
    table = load_inputs(basic)
    plan = optimize(table, budget_usd=Decimal(200), explain=False)
    _, sol = solve_table(table, objective="max_quality", budget_pusd=200 * USD)
    real = explain_plan(table, plan, slack=sol.slack)
    assert real.budget is not None
    assert real.budget.cheapest_upgrade_pusd == 13_447_500_000
    assert real.budget.binds is True
    other = {**sol.slack, "budget": Fraction(1000 * USD), "floor:a": Fraction(7)}
    e = explain_plan(table, plan, slack=other)
    assert e.budget is not None
    assert (e.budget.slack_pusd, e.budget.binds) == (1000 * USD, False)
    (floor,) = e.floors
    assert floor.slack_micro == 7
    for label in ("budget", "floor:a"):
        missing = {k: v for k, v in sol.slack.items() if k != label}
        with pytest.raises(InternalError, match=f"no slack for row '{label}'"):
            explain_plan(table, plan, slack=missing)


def test_a_min_cost_floor_binds_by_its_label(basic: Path) -> None:
    """min_cost: 13,334 of task a's 100,000 queries on big, 100,000 x 0.78 + 13,334 x 0.15 =
    80,000.1 quality-queries against a floor of 80,000: slack 0.1 (100,000 micro), and one
    query moved back to small would lose 0.15: the floor binds."""
    table = load_inputs(basic)
    budget = resolve_budget(table, None, "min_cost")  # the workload's $500
    _, sol = solve_table(table, objective="min_cost", budget_pusd=budget)
    assert sol.slack["floor:a"] == 100_000
    plan = optimize(table, objective="min_cost")
    assert plan.explanations is not None
    (floor,) = plan.explanations.floors
    assert (floor.slack_micro, floor.binds) == (100_000, True)
