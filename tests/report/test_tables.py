"""Shared rows and totals: cents add up, shares sum to one, optional sections read."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from costplan.report import tables as tb
from tests.report.plans import USD, frontier, hostile_plan


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12))
def test_shares_sum_to_one_and_stay_within_a_millionth(counts: list[int]) -> None:
    volume = sum(counts)
    out = tb.shares(counts, volume)
    if volume == 0:
        assert out == [Decimal(0)] * len(counts)
        return
    assert sum(out, Decimal(0)) == 1
    for c, s in zip(counts, out, strict=True):
        assert s >= 0
        exponent = s.as_tuple().exponent
        assert isinstance(exponent, int)
        assert exponent >= -6
        assert abs(s - Decimal(c) / volume) < Decimal("0.000001")


def test_shares_give_leftover_units_to_largest_remainders() -> None:
    assert tb.shares([1, 1, 1], 3) == [
        Decimal("0.333334"),
        Decimal("0.333333"),
        Decimal("0.333333"),
    ]
    assert tb.shares([2, 1], 3) == [Decimal("0.666667"), Decimal("0.333333")]


def test_rows_and_task_totals_add_up() -> None:
    t = tb.plan_tables(hostile_plan())
    assert t.total == sum((r.cost for r in t.rows), Decimal(0)) == Decimal("1.02")
    assert t.total == sum((x.cost for x in t.tasks), Decimal(0))
    assert t.total_p95 == sum((x.cost_p95 for x in t.tasks), Decimal(0)) == Decimal("1.83")
    assert [r.first for r in t.rows] == [True, False, True, False, False, True, False]
    assert t.rows[0].share == Decimal(1) / 3
    assert t.budget == Decimal("1.5")


def test_period_line_wording() -> None:
    import dataclasses

    from costplan.risk.period import PeriodRisk

    # Quantiles round up to the cent (1 pico-dollar over $1.50 shows $1.51), the
    # probability down to 0.1 points; Monte Carlo plans name their draws and seed.
    risk = PeriodRisk("monte_carlo", USD, USD // 10 + 1, (USD, 3 * USD // 2 + 1, 2 * USD),
                      Decimal("0.95999"), draws=1000, seed=7)  # fmt: skip
    assert tb.period_line(dataclasses.replace(hostile_plan(), risk=risk)) == (
        "period cost P50 $1.00, P95 $1.51, P99 $2.00; P(cost <= budget) = 95.9% "
        "(Monte Carlo, 1,000 draws, seed 7; sd $0.11)"
    )
    no_budget = dataclasses.replace(risk, p_within_budget=None)
    line = tb.period_line(dataclasses.replace(hostile_plan(), risk=no_budget))
    assert line is not None
    assert "P(cost <= budget)" not in line
    assert tb.period_line(hostile_plan()) is None  # no risk: nothing claimed
    none = tb.plan_tables(hostile_plan(budget_pusd=None, objective="min_cost"))
    assert tb.budget_line(hostile_plan(budget_pusd=None), none) == (
        "no budget: plan costs $1.02 per month"
    )


@dataclass(frozen=True)
class _Step:
    saving_pusd: int
    fee_usd: Decimal
    quality_per_usd: Decimal
    ok: bool


def test_blocks_format_by_unit_suffix() -> None:
    (pairs,) = tb.blocks(_Step(12 * USD // 100, Decimal("3.5"), Decimal("0.2"), True))
    assert isinstance(pairs, tb.Pairs)
    assert pairs.items == (
        ("saving", "$0.12"),
        ("fee", "$3.50"),
        ("quality per usd", "0.2"),
        ("ok", "yes"),
    )
    assert tb.blocks(None) == []
    assert tb.blocks("plain words") == [tb.Text("plain words")]
    (grid,) = tb.blocks([{"task": "a", "cost_pusd": USD}, {"task": "b", "extra": 2}], "t")
    assert grid == tb.Grid("t", ("task", "cost", "extra"), (("a", "$1.00", "-"), ("b", "-", "2")))


def test_frontier_points_duck_typed() -> None:
    pts = tb.frontier_points(frontier())
    assert [p.cost_usd for p in pts] == [Decimal("0.5"), Decimal(1), Decimal("1.5"), Decimal(2)]
    mapping = [
        {"budget_usd": "7", "mean_quality": "0.9"},
        {"cost_usd": Decimal("3"), "quality": 0.5},
        {"cost_usd": None, "mean_quality": "0.1"},  # infeasible point: left out
    ]
    assert tb.frontier_points(mapping) == [
        tb.FrontierPoint(Decimal(3), Decimal("0.5")),
        tb.FrontierPoint(Decimal(7), Decimal("0.9")),
    ]
