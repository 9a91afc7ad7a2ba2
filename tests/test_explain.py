"""Explanations: marginal value of budget, binding constraints, runner-ups, plan files.

Numbers for tests/data/basic (costs per query, exact):
  task a (100,000 queries, floor 0.8): small $0.00003325 (0.78), big $0.000829 (0.93)
  task b (20,000 queries, batch):      small (batch) $0.0003525 (0.7), big $0.0138 (0.9)
The LP frontier has two segments: first 'a' moves to big (0.15 quality for $0.00079575
a query), up to $89.95; then 'b' moves to big (0.2 for $0.0134475 a query).
"""

from __future__ import annotations

import io
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console

from costplan.api import load_inputs, optimize
from costplan.errors import InfeasibleError, InputError, InternalError
from costplan.explain import explain_plan
from costplan.money import PUSD_PER_USD
from costplan.optimize import solve_table
from costplan.planio import read_plan, write_plan
from costplan.report.terminal import render_plan

DATA = Path(__file__).parent / "data"
USD = PUSD_PER_USD
SLOPE_A = 0.15 / 0.00079575  # quality-weighted queries per USD while 'a' upgrades
SLOPE_B = 0.2 / 0.0134475  # ... while 'b' upgrades


@pytest.fixture
def basic(tmp_path: Path) -> Path:
    dest = tmp_path / "basic"
    shutil.copytree(DATA / "basic", dest)
    return dest / "workload.yaml"


def quality_at(path: Path, budget: Decimal) -> int:
    return optimize(load_inputs(path), budget_usd=budget, explain=False).quality_micro_total


@pytest.mark.parametrize(
    ("budget", "slope", "dq"),
    [
        # $200 lies inside the second LP segment [$89.95, $358.90]; $50 inside the first.
        (Decimal(200), SLOPE_B, 0.2),
        (Decimal(50), SLOPE_A, 0.15),
    ],
)
def test_marginal_value_agrees_with_finite_difference(
    basic: Path, budget: Decimal, slope: float, dq: float
) -> None:
    table = load_inputs(basic)
    plan = optimize(table, budget_usd=budget)
    assert plan.explanations is not None
    m = plan.explanations.marginal
    assert m is not None
    assert m.status == "optimal"
    assert m.at_pusd == int(budget) * USD
    assert m.delta_pusd == max(int(budget) * USD // 100, USD)  # 1%, at least $1
    # The LP shadow price is the slope of the relaxed frontier there.
    assert m.lp_quality_per_usd == pytest.approx(slope, rel=1e-5)  # 6 significant digits
    # Finite difference of two independent solves, delta = $20 each side (both stay in
    # the segment). On this segment the integer optimum is the LP value minus less than
    # one query's upgrade (dq quality-weighted queries): leftover money below one
    # upgrade's price cannot buy quality. So the two-solve difference is within
    # dq / (2 * delta) of the slope; the plan's own one-sided difference (delta =
    # m.delta) is within dq / delta.
    delta = Decimal(20)
    fd = (quality_at(basic, budget + delta) - quality_at(basic, budget - delta)) / 10**6
    fd /= 2 * float(delta)
    assert abs(fd - slope) <= dq / (2 * float(delta))
    assert abs(float(m.quality_per_usd) - slope) <= dq / (m.delta_pusd / USD)
    assert m.quality_gain_micro == quality_at(basic, budget + Decimal(m.delta_pusd) / USD) - (
        plan.quality_micro_total
    )


def test_budget_beyond_the_best_plan_has_no_value(basic: Path) -> None:
    plan = optimize(load_inputs(basic), budget_usd=Decimal(500))
    e = plan.explanations
    assert e is not None
    assert e.marginal is not None
    assert e.budget is not None
    assert e.marginal.quality_gain_micro == 0
    assert e.marginal.lp_quality_per_usd == 0
    assert e.budget.binds is False
    assert e.budget.cheapest_upgrade_pusd is None  # every query is on its best option
    assert e.budget.slack_pusd == 500 * USD - plan.cost_pusd


def test_binding_budget_and_floor_slack(basic: Path) -> None:
    plan = optimize(load_inputs(basic), budget_usd=Decimal(200))
    e = plan.explanations
    assert e is not None
    assert e.budget is not None
    # Cheapest upgrade: one 'b' query from small (batch) to big, $0.0134475.
    assert e.budget.cheapest_upgrade_pusd == 13_447_500_000
    assert 0 <= e.budget.slack_pusd < 13_447_500_000
    assert e.budget.binds is True
    (floor,) = e.floors
    assert (floor.task, floor.binds) == ("a", False)
    assert floor.mean_slack == Decimal("0.13")  # all of 'a' on big: 0.93 - 0.8


def test_min_cost_plan_floor_binds_budget_does_not(basic: Path) -> None:
    table = load_inputs(basic)
    plan = optimize(table, objective="min_cost")
    e = plan.explanations
    assert e is not None
    assert e.budget is not None
    assert e.marginal is not None
    assert e.budget.binds is False  # min_cost: cost is minimised, the budget is idle
    (floor,) = e.floors
    assert floor.binds is True
    # 13,334 of 100,000 on big: 100,000 x 0.78 + 13,334 x 0.15 = 80,000.1 >= 80,000.
    assert floor.slack_micro == 100_000
    # Marginal value from the cheapest plan: the first LP segment.
    assert e.marginal.at_pusd == plan.cost_pusd
    assert e.marginal.lp_quality_per_usd == pytest.approx(SLOPE_A, rel=1e-5)  # 6 significant digits


def test_runner_ups(basic: Path) -> None:
    plan = optimize(load_inputs(basic), budget_usd=Decimal(200))
    assert plan.explanations is not None
    a, b = plan.explanations.runner_ups
    # 'a' is all on big; the only other option is small, which misses the floor.
    assert (a.task, a.current, a.label) == ("a", "big", "small")
    assert a.whole_cost_delta_pusd == -100_000 * 795_750_000
    assert a.whole_quality_delta_micro == -100_000 * 150_000
    assert (a.query_cost_delta_pusd, a.query_quality_delta_micro) == (-795_750_000, -150_000)
    assert a.meets_floor is False
    assert a.within_budget is True
    # 'b' uses both undominated options (small standard is dominated by small batch):
    # the runner-up is its second allocation.
    tb = next(t for t in plan.tasks if t.name == "b")
    main = tb.allocations[0]
    assert b.current == main.label
    assert b.label != main.label
    assert b.label in {x.label for x in tb.allocations}
    assert b.query_cost_delta_pusd == b.cost_per_query_pusd - main.cost_per_query_pusd
    whole = b.cost_per_query_pusd * tb.volume - tb.cost_pusd
    assert b.whole_cost_delta_pusd == whole
    assert b.within_budget == (plan.cost_pusd + whole <= 200 * USD)


def test_split_false_costs_quality(basic: Path) -> None:
    text = basic.read_text().replace(
        "    latency: batch\n", "    latency: batch\n    split: false\n"
    )
    basic.write_text(text)
    plan = optimize(load_inputs(basic), budget_usd=Decimal(200))
    assert plan.explanations is not None
    s = plan.explanations.split
    assert s is not None
    assert s.status == "optimal"
    (choice,) = s.tasks
    assert (choice.task, choice.chosen, choice.relaxed_splits) == ("b", "small (batch)", True)
    # The relaxed answer is exactly the plan with splitting allowed.
    basic.write_text(text.replace("    split: false\n", ""))
    free = optimize(load_inputs(basic), budget_usd=Decimal(200), explain=False)
    assert s.relaxed_quality_micro == free.quality_micro_total
    assert s.relaxed_quality_micro > plan.quality_micro_total
    buf = io.StringIO()
    render_plan(plan, Console(file=buf, width=250, highlight=False))
    assert "split: false: letting every task split would give +0.0136 mean quality" in (
        buf.getvalue()
    )
    assert "(would split: 'b')" in buf.getvalue()
    # Moving the whole of 'b' is the only move: its budget upgrade is the whole task.
    assert plan.explanations.budget is not None
    assert plan.explanations.budget.cheapest_upgrade_pusd == 20_000 * 13_447_500_000


def test_capacity_row_binds(basic: Path) -> None:
    basic.write_text(basic.read_text() + "constraints:\n  capacity: {big: {requests: 50000}}\n")
    plan = optimize(load_inputs(basic), budget_usd=Decimal(500))
    assert plan.explanations is not None
    (side,) = plan.explanations.side
    assert side.label == "capacity of big: 50,000 requests"
    assert side.binds is True
    big = sum(a.count for t in plan.tasks for a in t.allocations if a.model == "big")
    assert big == 50_000


def test_explain_plan_is_what_optimize_attaches(basic: Path) -> None:
    table = load_inputs(basic)
    plan = optimize(table, budget_usd=Decimal(120))
    _, sol = solve_table(table, objective="max_quality", budget_pusd=120 * USD)
    assert explain_plan(table, plan, slack=sol.slack) == plan.explanations


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_explanations_round_trip_through_plan_files(
    basic: Path, tmp_path: Path, suffix: str
) -> None:
    basic.write_text(
        basic.read_text().replace("    latency: batch\n", "    latency: batch\n    split: false\n")
    )
    plan = optimize(load_inputs(basic), budget_usd=Decimal(200))
    out = tmp_path / f"plan{suffix}"
    write_plan(plan, out)
    again = read_plan(out)
    assert again.explanations == plan.explanations
    text = out.read_text()
    assert "marginal_value_of_budget" in text
    assert "13447500" not in text  # money is written in USD, never in pico-dollars


def test_malformed_explanations_are_located(basic: Path, tmp_path: Path) -> None:
    plan = optimize(load_inputs(basic), budget_usd=Decimal(200))
    out = tmp_path / "plan.yaml"
    write_plan(plan, out)
    text = out.read_text()
    assert "    binds: true\n" in text
    out.write_text(text.replace("    binds: true\n", "    binds: maybe\n", 1))
    with pytest.raises(InputError, match=r"explanations\.budget\.binds: expected true or false"):
        read_plan(out)
    out.write_text(text.replace("  slack_usd: ", "  slack_dollars: ", 1))
    with pytest.raises(InputError, match=r"explanations\.budget\.slack_usd: missing key"):
        read_plan(out)


def test_terminal_report_shows_a_few_lines(basic: Path) -> None:
    plan = optimize(load_inputs(basic), budget_usd=Decimal(200))
    buf = io.StringIO()
    render_plan(plan, Console(file=buf, width=200, highlight=False))
    out = buf.getvalue()
    assert "why this plan:" in out
    # At $200: a all on big and b on small (batch) cost $89.95 (module docstring); the
    # other $110.05 moves floor(110.05 / 0.0134475) = 8,183 of b to big, $110.0409 of it:
    # $0.009075 is left (shown rounded down), less than one more upgrade, $0.0134475.
    assert "budget binds: $0.00" in out
    assert "the cheapest upgrade costs $0.013448" in out
    # At $202: floor(112.05 / 0.0134475) = 8,332, i.e. 149 more b queries x 0.2 quality.
    assert (
        "marginal value of budget: +$2.00 over budget $200.00 buys +29.8 quality-weighted queries"
        in out
    )
    assert "LP shadow price 14.87" in out  # 0.2 / $0.0134475 = 14.873 quality per dollar
    assert "floors: 'a' >= 0.8 met (slack +0.1300)" in out  # all on big: 0.93 - 0.8
    # all of a on small instead: 100,000 x ($0.00003325 - $0.000829) = -$79.575
    assert "runner-up for 'a': small instead of big: whole task -$79.58" in out
    assert "(misses floor)" in out


def test_robust_plan_binding_counts_p95_costs(basic: Path) -> None:
    plan = optimize(load_inputs(basic), budget_usd=Decimal(400), robust=True)
    assert plan.explanations is not None
    b = plan.explanations.budget
    assert b is not None
    # The robust budget row counts every query at its p95 cost, so does the slack.
    assert b.slack_pusd == 400 * USD - plan.cost_p95_pusd
    assert b.binds is True
    m = plan.explanations.marginal
    assert m is not None
    again = optimize(load_inputs(basic), budget_usd=Decimal(404), robust=True, explain=False)
    assert m.quality_gain_micro == again.quality_micro_total - plan.quality_micro_total


@pytest.mark.parametrize("part", ["marginal", "split"])
def test_a_bug_in_a_re_solve_surfaces(
    basic: Path, monkeypatch: pytest.MonkeyPatch, part: str
) -> None:
    """An InternalError inside an explanation's re-solve is a bug: it must not be
    swallowed as "no explanation" (only infeasible or timed-out re-solves are)."""
    import costplan.optimize

    if part == "split":
        text = basic.read_text()
        basic.write_text(text.replace("latency: batch\n", "latency: batch\n    split: false\n"))
    table = load_inputs(basic)
    plan = optimize(table, budget_usd=Decimal(200), explain=False)
    _, sol = solve_table(table, objective="max_quality", budget_pusd=200 * USD)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise InternalError("planted bug")

    monkeypatch.setattr(costplan.optimize, "solve_table", broken)
    with pytest.raises(InternalError, match="planted bug"):
        explain_plan(table, plan, slack=sol.slack)


def test_an_infeasible_re_solve_only_drops_its_explanation(
    basic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import costplan.optimize

    table = load_inputs(basic)
    plan = optimize(table, budget_usd=Decimal(200), explain=False)
    _, sol = solve_table(table, objective="max_quality", budget_pusd=200 * USD)

    def infeasible(*_args: object, **_kwargs: object) -> None:
        raise InfeasibleError("no plan")

    monkeypatch.setattr(costplan.optimize, "solve_table", infeasible)
    e = explain_plan(table, plan, slack=sol.slack)
    assert e.marginal is None
