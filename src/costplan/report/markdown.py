"""Markdown report of a Plan, for pull requests and docs (GitHub-flavoured tables).

:func:`render_markdown` is pure: the same Plan gives the same text. Money is
rounded to cents by :mod:`costplan.report.tables`, so every totals row equals
the sum of the rows above it, and the totals equal the terminal's and the HTML
report's. User strings (task, model, file names) are escaped so that a name
with ``|``, ``*`` or ``<`` cannot break a table or inject markup.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from costplan.money import fmt_usd as _fmt_usd
from costplan.money import pusd_to_usd
from costplan.plan import Plan
from costplan.report import tables as tb
from costplan.report.evidence import evidence_sections
from costplan.textsafe import printable

ALLOCATION_HEADER = (
    "| task | model (mode) | provider | queries | share | quality | \\$/1k queries | cost |"
)
TASKS_HEADER = "| task | queries | min quality | mean quality | cost |"

# Backslash-escapable punctuation that could start markup ('$' starts math on GitHub),
# plus '_' where it is not
# inside a word (GFM ignores intraword underscores: keep snake_case names readable).
_SPECIAL = re.compile(r"([\\`*\[\]<>|~#!&$]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def md_escape(text: str) -> str:
    """Escape ``text`` for a markdown paragraph or table cell (one line): control
    characters first (costplan.textsafe, so the file is safe to ``cat``), then markup."""
    return _SPECIAL.sub(lambda m: "\\" + m.group(0), printable(" ".join(str(text).split())))


def fmt_usd(value: Decimal, places: int = 2) -> str:
    """A money amount for markdown: ``\\$1,234.56`` (an unescaped ``$`` can pair up
    with another one on the line into a math span on GitHub)."""
    return md_escape(_fmt_usd(value, places=places))


def _table(header: Sequence[str], align: str, rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |"]
    lines.append("|" + "|".join(" ---: " if a == "r" else " --- " for a in align) + "|")
    lines.extend("| " + " | ".join(r) + " |" for r in rows)
    return lines


def _allocation(plan: Plan, t: tb.PlanTables) -> list[str]:
    rows = []
    for r in t.rows:
        a = r.alloc
        rows.append(
            (
                md_escape(r.task.name),
                md_escape(f"{a.label} ({a.detail})" if a.detail else a.label),
                md_escape(a.provider),
                f"{a.count:,}",
                f"{r.share * 100:.1f}%",
                f"{a.quality:.3f}",
                fmt_usd(r.per_1k_usd, places=4),
                fmt_usd(r.cost),
            )
        )
    rows += [(md_escape(label), "", "", "", "", "", "", fmt_usd(fee)) for label, fee in t.fees]
    rows.append(
        (
            "**total**",
            "",
            "",
            f"**{plan.volume:,}**",
            "",
            f"**{plan.mean_quality:.4f}**",
            "",
            f"**{fmt_usd(t.total)}**",
        )
    )
    header = ALLOCATION_HEADER.strip("| ").split(" | ")  # already escaped
    return _table(header, "lllrrrrr", rows)


def _tasks(plan: Plan, t: tb.PlanTables) -> list[str]:
    rows = []
    for tt in t.tasks:
        task = tt.task
        rows.append(
            (
                md_escape(task.name),
                f"{task.volume:,}",
                "-" if task.min_quality is None else f"{task.min_quality}",
                f"{task.mean_quality:.4f}",
                fmt_usd(tt.cost),
            )
        )
    rows += [(md_escape(label), "", "", "", fmt_usd(fee)) for label, fee in t.fees]
    rows.append(
        (
            "**total**",
            f"**{plan.volume:,}**",
            "",
            f"**{plan.mean_quality:.4f}**",
            f"**{fmt_usd(t.total)}**",
        )
    )
    header = TASKS_HEADER.strip("| ").split(" | ")
    return _table(header, "lrrrr", rows)


def _baselines(plan: Plan, t: tb.PlanTables) -> list[str]:
    rows = []
    for b in plan.baselines:
        cost = pusd_to_usd(b.cost_pusd)
        saving = cost - t.total
        versus = f"saves {fmt_usd(saving)}" if saving >= 0 else f"costs {fmt_usd(-saving)} more"
        rows.append(
            (
                f"{md_escape(b.label)}: {md_escape(b.description)}",
                fmt_usd(cost) + ("" if b.within_budget else " (over budget)"),
                f"{b.mean_quality:.4f}",
                "met" if b.meets_floors else "missed",
                f"{versus}, quality {plan.mean_quality - b.mean_quality:+.4f}",
            )
        )
    return _table(("policy", "cost", "mean quality", "floors", "plan vs policy"), "lrrlr", rows)


def _blocks(items: Sequence[tb.Block]) -> list[str]:
    out: list[str] = []
    for block in items:
        if isinstance(block, tb.Text):
            out += [md_escape(block.text), ""]
        elif isinstance(block, tb.Pairs):
            if block.title:
                out += [f"### {md_escape(block.title)}", ""]
            out += [f"- {md_escape(k)}: {md_escape(v)}" for k, v in block.items]
            out += [""] if block.items else []
        elif isinstance(block, tb.Items):
            if block.title:
                out += [f"### {md_escape(block.title)}", ""]
            out += [*(f"- {md_escape(i)}" for i in block.items), ""]
        else:
            if block.title:
                out += [f"### {md_escape(block.title)}", ""]
            cells = [[md_escape(c) for c in row] for row in block.rows]
            out += _table([md_escape(h) for h in block.header], "l" * len(block.header), cells)
            out += [""]
    return out


def _frontier(plan: Plan, t: tb.PlanTables, frontier: Any) -> list[str]:
    points = tb.frontier_points(frontier)
    out = ["## Frontier: best mean quality for each budget", ""]
    if not points:
        return [*out, "The frontier has no feasible point.", ""]
    knee = tb.frontier_knee(frontier)
    rows = [
        (fmt_usd(p.cost_usd), f"{p.mean_quality:.4f}", "knee" if p == knee else "") for p in points
    ]
    out += _table(("cost", "mean quality", ""), "rrl", rows)
    out += ["", f"This plan: {fmt_usd(t.total)} at mean quality {plan.mean_quality:.4f}."]
    out += ["", *(md_escape(line) for line in tb.frontier_lines(frontier)), ""]
    return out


def _today(plan: Plan) -> list[str]:
    from costplan.today import spend_rows, table_rows

    assert plan.today is not None
    header, rows = table_rows(plan.today)
    out = ["## Today vs plan", "", "Today: the workload's `current` allocation, same prices.", ""]
    out += _table(header, "l" + "r" * (len(header) - 1), [[md_escape(c) for c in r] for r in rows])
    header, rows = spend_rows(plan.today)
    if rows:
        out += ["", "Logged vs recomputed spend per model (over the traffic's span):", ""]
        out += _table(
            header, "l" + "r" * (len(header) - 1), [[md_escape(c) for c in r] for r in rows]
        )
    return [*out, ""]


def render_markdown(plan: Plan, frontier: Any = None) -> str:
    """The whole report as GitHub-flavoured markdown (ends with one newline).

    Sections: summary (budget, status, period-cost distribution, quality interval),
    allocation per task and model with a totals row, tasks, baselines,
    explanations and frontier when present, notes, inputs' provenance.
    """
    t = tb.plan_tables(plan)
    out = [f"# {md_escape(tb.title(plan))}", ""]
    out += [
        f"- {md_escape(tb.budget_line(plan, t))}",
        f"- {md_escape(tb.status_line(plan))}",
    ]
    bound = tb.bound_text(plan)
    if bound is not None and plan.status != "optimal":
        out.append(f"- bound: {md_escape(bound)}")
    period = tb.period_line(plan)
    if period is not None:
        out.append(f"- {md_escape(period)}")
    quality = tb.quality_line(plan)
    if quality is not None:
        out.append(f"- {md_escape(quality)}")
    out += ["", "## Allocation", "", *_allocation(plan, t), ""]
    out += ["## Tasks", "", *_tasks(plan, t), ""]
    if plan.commitments:
        from costplan.report.commitments import HEADER, commitment_rows

        rows = [tuple(md_escape(x) for x in r) for r in commitment_rows(plan)]
        out += ["## Commitments", "", *_table(HEADER, "llrrrrl", rows), ""]
    if plan.today is not None:
        out += _today(plan)
    if plan.baselines:
        out += ["## Against simple policies", "", *_baselines(plan, t), ""]
    explanations = tb.explanations_of(plan)
    if explanations is not None:
        out += ["## Explanations", "", *_blocks(tb.explanation_blocks(plan))]
    for heading, blocks in evidence_sections(plan):
        out += [f"## {md_escape(heading)}", "", *_blocks(blocks)]
    if frontier is not None:
        out += _frontier(plan, t, frontier)
    if plan.notes:
        out += ["## Notes", "", *(f"- {md_escape(n)}" for n in plan.notes), ""]
    out += ["## Inputs", ""]
    if plan.inputs:
        rows = [(md_escape(path), f"`{digest}`") for path, digest in plan.inputs.items()]
        out += [*_table(("file", "sha256"), "ll", rows), ""]
    prices = f"prices as of {plan.prices_as_of or '?'} ({plan.prices_source or 'no source'})"
    out += [f"- {md_escape(prices)}"]
    if plan.solver:
        solver = ", ".join(f"{k}: {v}" for k, v in plan.solver.items())
        out += [f"- solver: {md_escape(solver)}"]
    return "\n".join(out).rstrip("\n") + "\n"
