"""HTML report of a Plan: one self-contained file (inline CSS, inline SVG charts).

:func:`render_html` returns a complete HTML5 document that loads nothing: no
external stylesheet, script, font, image or URL (the only ``http`` string is the
SVG namespace inside the charts). It shows the same tables as the markdown
report, computed by :mod:`costplan.report.tables` (totals equal the sum of the
rows to the cent, and equal the terminal's), plus two matplotlib charts drawn
as inline SVG by :mod:`costplan.report.charts`: cost by task and model, and
the quality-cost frontier when one is given. Every user string is escaped with
:func:`html.escape`. Money cells carry ``data-usd`` with their exact printed
amount, so scripts can read the tables without parsing ``$1,234.56``.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from costplan.money import CENT, fmt_usd, pusd_to_usd
from costplan.plan import Plan
from costplan.report import charts
from costplan.report import tables as tb
from costplan.report.evidence import evidence_sections
from costplan.textsafe import printable

_CSS = """
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --rule: #d1d9e0; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
       margin: 0; background: #fff; }
main { max-width: 1100px; margin: 0 auto; padding: 24px; }
h1 { font-size: 1.6em; margin: 0 0 .4em; }
h2 { font-size: 1.2em; margin: 1.8em 0 .5em; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1em; margin: 1.2em 0 .4em; }
ul.summary { list-style: none; padding: 0; margin: 0; }
ul.summary li { margin: .15em 0; }
.risk-over { color: #b42318; font-weight: 600; }
table { border-collapse: collapse; margin: .4em 0 1em; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--rule); text-align: left;
         vertical-align: top; }
thead th { border-bottom: 2px solid var(--ink); }
td.num, th.num { text-align: right; white-space: nowrap; }
tr.total td, tr.total th { font-weight: 700; border-top: 2px solid var(--ink); }
td { white-space: nowrap; }  /* names never break at a hyphen: the table scrolls instead */
.desc { color: var(--muted); font-size: .9em; white-space: normal; min-width: 14em; }
code { font-size: .85em; word-break: break-all; }
h1, h2, li, p, figcaption { overflow-wrap: anywhere; }
figure { margin: 1em 0; }
.scroll { overflow-x: auto; max-width: 100%; }
.chart svg { display: block; height: auto; max-width: 100%; min-width: var(--min-width); }
figcaption { color: var(--muted); font-size: .9em; }
@media (max-width: 600px) { main { padding: 12px; } body { font-size: 14px; } }
"""
#: Layout (checked in headless Chromium at 400 and 1280 px, tests/report/test_html_browser.py):
#: every table sits in a ``div.scroll`` that scrolls sideways, so a wide table never widens
#: the page; a chart is never drawn narrower than its 9 pt text needs to stay above 10 px
#: (``_chart``) and scrolls in its own ``div.scroll`` on a narrower screen.


def _e(text: object) -> str:
    """Control characters escaped (costplan.textsafe), then HTML's own escaping."""
    return html.escape(printable(str(text)), quote=True)


def _cell(text: str, *, num: bool = False, usd: Decimal | None = None, head: bool = False) -> str:
    tag = "th" if head else "td"
    attrs = ' class="num"' if num else ""
    if usd is not None:  # the printed amount, as a plain decimal
        attrs += f' data-usd="{usd.quantize(CENT, rounding=ROUND_HALF_EVEN):f}"'
    return f"<{tag}{attrs}>{text}</{tag}>"


def _table(
    header: Sequence[tuple[str, bool]],
    rows: Sequence[str],
    total: str | None = None,
    cls: str = "",
) -> list[str]:
    """``header``: (escaped label, numeric?) pairs; ``rows``/``total``: ``<tr>`` contents."""
    out = ['<div class="scroll">', f'<table class="{cls}">' if cls else "<table>", "<thead><tr>"]
    out += [_cell(label, num=num, head=True) for label, num in header]
    out += ["</tr></thead>", "<tbody>"]
    out += [f"<tr>{r}</tr>" for r in rows]
    out.append("</tbody>")
    if total is not None:
        out.append(f'<tfoot><tr class="total">{total}</tr></tfoot>')
    out += ["</table>", "</div>"]
    return out


_SVG_WIDTH = re.compile(r'<svg\b[^>]*?\swidth="([0-9.]+)pt"')
#: Chart text is 9 pt (``costplan.report.charts``): at 7/6 px per pt of the chart's width it
#: renders at 10.5 px, the narrowest a chart is drawn (the default is 4/3 px per pt).
_MIN_PX_PER_PT = Decimal(7) / 6


def _chart(svg: str) -> str:
    """An inline SVG chart in its own sideways-scrolling box, never drawn narrower than
    its text needs (see the layout note)."""
    m = _SVG_WIDTH.search(svg)
    if m is None:
        return f'<div class="scroll chart">{svg}</div>'
    floor = math.ceil(Decimal(m[1]) * _MIN_PX_PER_PT)
    return f'<div class="scroll chart" style="--min-width: {floor}px">{svg}</div>'


def _money(value: Decimal) -> str:
    return _cell(_e(fmt_usd(value)), num=True, usd=value)


def _allocation(plan: Plan, t: tb.PlanTables) -> list[str]:
    rows = []
    for r in t.rows:
        a = r.alloc
        rows.append(
            _cell(_e(r.task.name))
            + _cell(_e(a.label) + (f'<div class="desc">{_e(a.detail)}</div>' if a.detail else ""))
            + _cell(_e(a.provider))
            + _cell(f"{a.count:,}", num=True)
            + _cell(f"{r.share * 100:.1f}%", num=True)
            + _cell(f"{a.quality:.3f}", num=True)
            + _cell(_e(fmt_usd(r.per_1k_usd, places=4)), num=True)
            + _money(r.cost)
        )
    rows += [_cell(_e(label)) + _cell("") * 6 + _money(fee) for label, fee in t.fees]
    total = (
        _cell("total", head=True)
        + _cell("")
        + _cell("")
        + _cell(f"{plan.volume:,}", num=True)
        + _cell("")
        + _cell(f"{plan.mean_quality:.4f}", num=True)
        + _cell("")
        + _money(t.total)
    )
    header = [
        ("task", False),
        ("model (mode)", False),
        ("provider", False),
        ("queries", True),
        ("share", True),
        ("quality", True),
        ("$/1k queries", True),
        ("cost", True),
    ]
    return _table(header, rows, total, cls="allocation")


def _tasks(plan: Plan, t: tb.PlanTables) -> list[str]:
    rows = []
    for tt in t.tasks:
        task = tt.task
        rows.append(
            _cell(_e(task.name))
            + _cell(f"{task.volume:,}", num=True)
            + _cell("-" if task.min_quality is None else _e(task.min_quality), num=True)
            + _cell(f"{task.mean_quality:.4f}", num=True)
            + _money(tt.cost)
        )
    rows += [_cell(_e(label)) + _cell("") * 3 + _money(fee) for label, fee in t.fees]
    total = (
        _cell("total", head=True)
        + _cell(f"{plan.volume:,}", num=True)
        + _cell("")
        + _cell(f"{plan.mean_quality:.4f}", num=True)
        + _money(t.total)
    )
    header = [
        ("task", False),
        ("queries", True),
        ("min quality", True),
        ("mean quality", True),
        ("cost", True),
    ]
    return _table(header, rows, total, cls="tasks")


def _baselines(plan: Plan, t: tb.PlanTables) -> list[str]:
    rows = []
    for b in plan.baselines:
        cost = pusd_to_usd(b.cost_pusd)
        saving = cost - t.total
        versus = f"saves {fmt_usd(saving)}" if saving >= 0 else f"costs {fmt_usd(-saving)} more"
        over = "" if b.within_budget else " (over budget)"
        rows.append(
            _cell(f'{_e(b.label)}<div class="desc">{_e(b.description)}</div>')
            + _cell(_e(fmt_usd(cost) + over), num=True, usd=cost)
            + _cell(f"{b.mean_quality:.4f}", num=True)
            + _cell("met" if b.meets_floors else "missed")
            + _cell(_e(f"{versus}, quality {plan.mean_quality - b.mean_quality:+.4f}"), num=True)
        )
    header = [
        ("policy", False),
        ("cost", True),
        ("mean quality", True),
        ("floors", False),
        ("plan vs policy", True),
    ]
    return _table(header, rows, cls="baselines")


def _today(plan: Plan) -> list[str]:
    from costplan.today import spend_rows, table_rows

    assert plan.today is not None
    out = ['<section id="today">', "<h2>Today vs plan</h2>"]
    out.append('<p class="desc">Today: the workload\'s current allocation, same prices.</p>')
    for header, rows in (table_rows(plan.today), spend_rows(plan.today)):
        if not rows:
            continue
        head = [(_e(h), i > 0) for i, h in enumerate(header)]
        body = ["".join(_cell(_e(c), num=i > 0) for i, c in enumerate(r)) for r in rows]
        out += _table(head, body, cls="today")
    out.append("</section>")
    return out


def _blocks(items: Sequence[tb.Block]) -> list[str]:
    out: list[str] = []
    for block in items:
        if isinstance(block, tb.Text):
            out.append(f"<p>{_e(block.text)}</p>")
        elif isinstance(block, tb.Pairs):
            if block.title:
                out.append(f"<h3>{_e(block.title)}</h3>")
            if block.items:
                out.append("<ul>")
                out += [f"<li>{_e(k)}: {_e(v)}</li>" for k, v in block.items]
                out.append("</ul>")
        elif isinstance(block, tb.Items):
            if block.title:
                out.append(f"<h3>{_e(block.title)}</h3>")
            out += ["<ul>", *(f"<li>{_e(i)}</li>" for i in block.items), "</ul>"]
        else:
            if block.title:
                out.append(f"<h3>{_e(block.title)}</h3>")
            rows = ["".join(_cell(_e(c)) for c in row) for row in block.rows]
            out += _table([(_e(h), False) for h in block.header], rows)
    return out


def _frontier(plan: Plan, t: tb.PlanTables, frontier: Any) -> list[str]:
    points = tb.frontier_points(frontier)
    out = ['<section id="frontier">', "<h2>Frontier: best mean quality for each budget</h2>"]
    if not points:
        return [*out, "<p>The frontier has no feasible point.</p>", "</section>"]
    knee = tb.frontier_knee(frontier)
    svg = charts.frontier_svg(points, t.total, plan.mean_quality, t.budget, knee)
    out += [
        "<figure>",
        _chart(svg),
        "<figcaption>Best mean quality reachable at each cost; the star is this plan "
        f"({_e(fmt_usd(t.total))}, mean quality {plan.mean_quality:.4f}).</figcaption>",
        "</figure>",
    ]
    out += [f"<p>{_e(line)}</p>" for line in tb.frontier_lines(frontier)]
    rows = [
        _money(p.cost_usd)
        + _cell(f"{p.mean_quality:.4f}", num=True)
        + _cell("knee" if p == knee else "")
        for p in points
    ]
    out += _table([("cost", True), ("mean quality", True), ("", False)], rows, cls="frontier")
    return [*out, "</section>"]


def render_html(plan: Plan, frontier: Any = None) -> str:
    """The whole report as one self-contained HTML5 document (ends with a newline).

    ``frontier``: a frontier from ``costplan.frontier.compute_frontier`` (or any
    object :func:`costplan.report.tables.frontier_points` reads); drawn when given.
    """
    t = tb.plan_tables(plan)
    title = tb.title(plan)
    summary = [tb.budget_line(plan, t), tb.status_line(plan)]
    bound = tb.bound_text(plan)
    if bound is not None and plan.status != "optimal":
        summary.append(f"bound: {bound}")
    items = [f"<li>{_e(s)}</li>" for s in summary]
    period = tb.period_line(plan)
    if period is not None:
        items.append(f'<li id="period-cost">{_e(period)}</li>')
    quality = tb.quality_line(plan)
    if quality is not None:
        items.append(f'<li id="quality-interval">{_e(quality)}</li>')

    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<main>",
        f"<h1>{_e(title)}</h1>",
        '<ul class="summary">',
        *items,
        "</ul>",
        '<section id="allocation">',
        "<h2>Allocation</h2>",
        *_allocation(plan, t),
        "<figure>",
        _chart(charts.allocation_svg(t)),
        "<figcaption>Cost per task, stacked by model (mode).</figcaption>",
        "</figure>",
        "</section>",
        '<section id="tasks">',
        "<h2>Tasks</h2>",
        *_tasks(plan, t),
        "</section>",
    ]
    if plan.commitments:
        from costplan.report.commitments import HEADER, commitment_rows

        body = ["".join(_cell(_e(x)) for x in r) for r in commitment_rows(plan)]
        out += ['<section id="commitments">', "<h2>Commitments</h2>",
                *_table([(_e(h), False) for h in HEADER], body), "</section>"]  # fmt: skip
    if plan.today is not None:
        out += _today(plan)
    if plan.baselines:
        out += [
            '<section id="baselines">',
            "<h2>Against simple policies</h2>",
            *_baselines(plan, t),
            "</section>",
        ]
    explanations = tb.explanations_of(plan)
    if explanations is not None:
        out += [
            '<section id="explanations">',
            "<h2>Explanations</h2>",
            *_blocks(tb.explanation_blocks(plan)),
            "</section>",
        ]
    for k, (heading, blocks) in enumerate(evidence_sections(plan)):
        out += [f'<section id="evidence-{k}">', f"<h2>{_e(heading)}</h2>", *_blocks(blocks)]
        out.append("</section>")
    if frontier is not None:
        out += _frontier(plan, t, frontier)
    if plan.notes:
        out += ['<section id="notes">', "<h2>Notes</h2>", "<ul>"]
        out += [f"<li>{_e(n)}</li>" for n in plan.notes]
        out += ["</ul>", "</section>"]
    out += ['<section id="inputs">', "<h2>Inputs</h2>"]
    if plan.inputs:
        rows = [
            _cell(_e(path)) + _cell(f"<code>{_e(digest)}</code>")
            for path, digest in plan.inputs.items()
        ]
        out += _table([("file", False), ("sha256", False)], rows, cls="inputs")
    prices = f"prices as of {plan.prices_as_of or '?'} ({plan.prices_source or 'no source'})"
    out += ["<ul>", f"<li>{_e(prices)}</li>"]
    if plan.solver:
        solver = ", ".join(f"{k}: {v}" for k, v in plan.solver.items())
        out.append(f"<li>solver: {_e(solver)}</li>")
    out += ["</ul>", "</section>", "</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
