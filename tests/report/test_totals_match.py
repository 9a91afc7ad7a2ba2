"""Terminal, markdown and HTML reports of one Plan print the same rows and totals."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from costplan.money import CENT, pusd_to_usd
from costplan.plan import Plan
from costplan.report.html import render_html
from costplan.report.markdown import render_markdown
from tests.report import extract
from tests.report.plans import hostile_plan


def _check(plan: Plan) -> None:
    term, _ = extract.terminal(plan)
    md = extract.markdown(render_markdown(plan))
    page = extract.html(render_html(plan))
    n = sum(len(t.allocations) for t in plan.tasks)
    assert len(term.rows) == len(md.rows) == len(page.rows) == n
    # The same printed row amounts everywhere, and each total is the sum of its rows.
    assert term.rows == md.rows == page.rows
    assert term.total == md.total == page.total == sum(md.rows, Decimal(0))
    # ... and that total is the exact plan cost rounded to cents.
    exact = pusd_to_usd(plan.cost_pusd)
    assert md.total == exact.quantize(CENT, rounding=ROUND_HALF_EVEN)


def test_totals_match_to_the_cent_on_awkward_rounding() -> None:
    plan = hostile_plan()
    # Rounding each row alone would not add up: three rows of exactly $0.005.
    assert sum(Decimal(a.cost_pusd).scaleb(-12) for a in plan.tasks[1].allocations) == Decimal(
        "0.015"
    )
    _check(plan)
    assert extract.markdown(render_markdown(plan)).rows[2:5] == [
        Decimal("0.01"),
        Decimal("0.01"),
        Decimal("0.00"),
    ]


def test_totals_match_on_a_solved_plan(solved_plan: Plan) -> None:
    assert sum(len(t.allocations) for t in solved_plan.tasks) >= 3
    _check(solved_plan)


def test_period_cost_line_is_identical_everywhere() -> None:
    import dataclasses
    from decimal import Decimal as D
    from html import escape

    from costplan.report.markdown import md_escape
    from costplan.risk.period import PeriodRisk

    p = 10**12
    risk = PeriodRisk("normal", 102 * p // 100, p // 4, (102 * p // 100, 150 * p // 100,
                      183 * p // 100), D("0.731234"))  # fmt: skip
    plan = dataclasses.replace(hostile_plan(), risk=risk)
    _, term = extract.terminal(plan)
    line = next(x for x in term.splitlines() if x.startswith("period cost"))
    assert line == (
        "period cost P50 $1.02, P95 $1.50, P99 $1.83; P(cost <= budget) = 73.1% "
        "(normal approximation; sd $0.25)"
    )
    assert f"- {md_escape(line)}\n" in render_markdown(plan)
    assert f'<li id="period-cost">{escape(line)}</li>' in render_html(plan)
