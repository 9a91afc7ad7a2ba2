"""Markdown report: exact tables, escaping, optional sections."""

from __future__ import annotations

import re
from decimal import Decimal

from costplan.plan import Plan
from costplan.report.markdown import ALLOCATION_HEADER, TASKS_HEADER, md_escape, render_markdown
from tests.report.plans import TASK_1, USD, explained_plan, frontier, hostile_plan


def _table_after(text: str, heading: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(heading) + 2
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    return lines[start:end]


def _cells(line: str) -> list[str]:
    return re.split(r"(?<!\\)\|", line)[1:-1]


def test_allocation_table_exact() -> None:
    text = render_markdown(hostile_plan())
    table = _table_after(text, "## Allocation")
    assert table[0] == ALLOCATION_HEADER
    assert table[0] == (
        "| task | model (mode) | provider | queries | share | quality | \\$/1k queries | cost |"
    )
    assert table[1] == "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"
    assert table[2] == (
        '| tri\\|age \\<script\\>alert("x")\\</script\\> | m\\|1 | openai | 1 | 33.3% | 0.780 '
        "| \\$333.3333 | \\$0.33 |"
    )
    assert table[-1] == "| **total** |  |  | **25** |  | **0.8060** |  | **\\$1.02** |"
    # Names with pipes never add a column.
    assert {len(_cells(row)) for row in table} == {8}
    assert len(table) == 2 + 7 + 1


def test_tasks_table_has_costs_per_task_and_totals() -> None:
    table = _table_after(render_markdown(hostile_plan()), "## Tasks")
    assert table[0] == TASKS_HEADER
    assert table[2].endswith("| 3 | 0.8 | 0.8600 | \\$1.00 |")
    assert table[-1] == "| **total** | **25** |  | **0.8060** | **\\$1.02** |"


def test_summary_lines() -> None:
    text = render_markdown(hostile_plan())
    assert text.startswith("# costplan: demo \\<\\&\\> \\| team (max_quality, per month)\n")
    assert "- budget \\$1.50: plan costs \\$1.02, \\$0.48 left (32.0%)\n" in text
    assert "- status: optimal; objective: mean quality; gap: 0 (proven optimal)\n" in text
    assert "budget at risk" not in text  # replaced by the period-cost line (costplan.risk)
    assert "| work\\|load \\<1\\>.yaml | `" + "ab" * 32 + "` |" in text
    assert "- prices as of 2026-11-01 (list \\<prices\\> \\& co)" in text
    assert "- note with \\<tag\\> \\& \\| pipe" in text
    assert "| all on m\\|1: every task on \\<m\\|1\\> | \\$2.00 (over budget) |" in text


def test_feasible_plan_shows_gap_and_bound() -> None:
    text = render_markdown(hostile_plan(status="feasible", gap=0.0125, bound=21_000_000.0))
    assert "- status: feasible; objective: mean quality; gap: 0.0125\n" in text
    assert "- bound: mean quality at most 0.8400\n" in text


def test_optional_sections_only_when_present() -> None:
    plain = render_markdown(hostile_plan())
    assert "## Explanations" not in plain
    assert "## Frontier" not in plain
    text = render_markdown(explained_plan(), frontier())
    assert "## Explanations\n\n- marginal quality per usd: 0.0125\n" in text
    assert "### binding\n\n- budget\n- floor of \\<tri\\|age\\>\n" in text
    runner = _table_after(text, "### runners up")
    assert runner[0] == "| task | model | quality loss | saving |"
    assert runner[2].endswith("| \\<b\\>c\\</b\\> | 0.02 | \\$0.12 |")
    points = _table_after(text, "## Frontier: best mean quality for each budget")
    assert points[2:] == [
        "| \\$0.50 | 0.7000 |  |",
        "| \\$1.00 | 0.8000 | knee |",
        "| \\$1.50 | 0.8600 |  |",
        "| \\$2.00 | 0.8800 |  |",
    ]
    assert (
        "This plan: \\$1.02 at mean quality 0.8060.\n\n"
        "knee at \\$1.00 (mean quality 0.8000): beyond it each extra dollar buys much less "
        "quality\nAIQ (average mean quality over the frontier's cost range): 0.812345\n"
    ) in text


def test_escape_keeps_snake_case_and_collapses_newlines() -> None:
    assert md_escape("gpt_4o_mini") == "gpt_4o_mini"
    assert md_escape("_x_") == "\\_x\\_"
    assert md_escape("a\nb | `c`") == "a b \\| \\`c\\`"


def test_pure_and_deterministic(solved_plan: Plan) -> None:
    assert render_markdown(solved_plan) == render_markdown(solved_plan)
    assert render_markdown(solved_plan).endswith("\n")
    assert not render_markdown(solved_plan).endswith("\n\n")
    assert Decimal(0) <= solved_plan.mean_quality <= 1


def test_real_explanations_use_the_terminal_words_and_a_runner_up_table() -> None:
    from costplan.explain import BudgetBinding, Explanations, FloorBinding, RunnerUp
    from costplan.report.terminal import explanation_lines

    e = Explanations(
        marginal=None,
        budget=BudgetBinding(3 * USD // 2, 48 * USD // 100, 5 * USD // 100, False),
        floors=(FloorBinding(TASK_1, Decimal("0.8"), 180_000, 3, False),),
        runner_ups=(
            RunnerUp(
                task=TASK_1,
                current="big*",
                label="<b>c</b>",
                model="<b>c</b>",
                mode="standard",
                kind="model",
                cost_per_query_pusd=USD // 1000,
                quality=Decimal("0.85"),
                whole_cost_delta_pusd=-997 * USD // 1000,
                whole_quality_delta_micro=-30_000,
                query_cost_delta_pusd=-332 * USD // 1000,
                query_quality_delta_micro=-50_000,
                splittable=True,
                meets_floor=True,
                within_budget=True,
            ),
        ),
    )
    plan = hostile_plan(explanations=e)
    text = render_markdown(plan)
    section = text[text.index("## Explanations") : text.index("## Notes")]
    for line in explanation_lines(plan, max_runner_ups=0)[1:-1]:
        assert f"- {md_escape(line.strip())}\n" in section
    assert "- budget does not bind: \\$0.480000 left\n" in section  # the terminal's words
    table = _table_after(text, "### runner-ups")
    assert table[0] == (
        "| task | now | runner-up | \\$/query | quality | whole task: cost "
        "| whole task: mean quality | one query instead | caveats |"
    )
    assert table[2] == (
        '| tri\\|age \\<script\\>alert("x")\\</script\\> | big\\* | \\<b\\>c\\</b\\> | \\$0.001000 '
        "| 0.850 | -\\$0.997000 | -0.0100 | -\\$0.332000, -0.050 quality | - |"
    )


def test_solved_plan_report_has_explanations(solved_plan: Plan) -> None:
    assert solved_plan.explanations is not None
    text = render_markdown(solved_plan)
    assert "## Explanations\n\n- budget binds:" in text or "- budget does not bind" in text
    assert "### runner-ups" in text
