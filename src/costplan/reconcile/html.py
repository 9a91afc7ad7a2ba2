"""HTML report of a reconciliation: one self-contained file with a waterfall chart.

The same tables as the markdown report (:mod:`costplan.reconcile.render`), every user
string escaped, and an inline SVG waterfall from the plan's cost to the actual cost:
one bar for the plan, one floating bar per effect in stage order (volume, unplanned,
mix, length, cache, price; rises red, falls green), one bar for the actual cost. Each
bar is ``<g id="costplan-waterfall-K">`` (K = 0 plan, 1-6 the effects, 7 actual); the
chart is drawn from exact cents and is a picture, never a source of numbers.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from costplan.money import pusd_to_usd
from costplan.reconcile import render
from costplan.textsafe import printable

if TYPE_CHECKING:
    from costplan.reconcile.run import Reconciled

STAGES = ("volume", "unplanned", "mix", "length", "cache", "price")


def _e(text: object) -> str:
    return html.escape(printable(str(text)), quote=True)


def waterfall_svg(rec: Reconciled) -> str:
    """The plan -> effects -> actual waterfall as one inline ``<svg>`` element."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    from costplan.report import charts

    r = rec.result
    effects = r.effects.as_dict()
    plan = float(pusd_to_usd(r.plan_cost_pusd))
    labels = ["plan", *STAGES, "actual"]
    with charts.chart_style("costplan-waterfall"):
        fig = Figure(figsize=(8.0, 3.6), dpi=100)
        ax = fig.add_subplot()
        level = plan
        bars = [(0.0, plan, "#4e79a7")]
        for name in STAGES:
            d = float(pusd_to_usd(effects[name]))
            bottom = level if d >= 0 else level + d
            bars.append((bottom, abs(d), "#e15759" if d > 0 else "#59a14f"))
            level += d
        bars.append((0.0, float(pusd_to_usd(r.actual_cost_pusd)), "#4e79a7"))
        for k, (bottom, height, colour) in enumerate(bars):
            patch = ax.bar([k], [height], bottom=[bottom], color=colour, width=0.6)
            patch.patches[0].set_gid(f"costplan-waterfall-{k}")
        ax.set_xticks(range(len(labels)), labels)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: charts.money_label(v)))
        ax.set_ylabel("cost per period (USD)")
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        return charts.figure_svg(fig, "chart-waterfall", "plan to actual, by effect")


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["<table>", "<thead><tr>"]
    out += [f'<th{"" if i == 0 else " class=num"}>{_e(h)}</th>' for i, h in enumerate(header)]
    out += ["</tr></thead>", "<tbody>"]
    for row in rows:
        cls = ' class="total"' if row and row[0] == "total" else ""
        cells = "".join(
            f'<td{"" if i == 0 else " class=num"}>{_e(c)}</td>' for i, c in enumerate(row)
        )
        out.append(f"<tr{cls}>{cells}</tr>")
    return [*out, "</tbody>", "</table>"]


_CSS = (
    "body{font:15px/1.5 system-ui,sans-serif;margin:0}main{max-width:1100px;margin:0 auto;"
    "padding:24px}table{border-collapse:collapse;margin:.4em 0 1em;"
    "font-variant-numeric:tabular-nums}th,td{padding:4px 10px;border-bottom:1px solid #d1d9e0;"
    "text-align:left}.num{text-align:right;white-space:nowrap}tr.total td{font-weight:700}"
    "figure svg{max-width:100%;height:auto}.fail{color:#b42318;font-weight:600}"
)


def render_html(rec: Reconciled, gate: Sequence[str] | None) -> str:
    """The whole report as one HTML5 document that loads nothing (ends with a newline)."""
    title = f"Plan against actual: {rec.plan.workload}"
    out = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f"<title>{_e(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>", "<main>",
        f"<h1>{_e(title)}</h1>", f"<p>{_e(render.headline(rec))}</p>",
    ]
    if gate is not None:
        if gate:
            out += ['<p class="fail">gate failed:</p>', "<ul>"]
            out += [f"<li>{_e(g)}</li>" for g in gate] + ["</ul>"]
        else:
            out.append("<p>gate passed</p>")
    diff = Decimal(rec.result.actual_cost_pusd - rec.result.plan_cost_pusd)
    out += [
        '<section id="waterfall">', "<h2>From plan to actual</h2>", "<figure>",
        waterfall_svg(rec),
        f"<figcaption>{_e(render.METHOD)} Difference: {_e(diff / 10**12)} USD.</figcaption>",
        "</figure>", "</section>",
        '<section id="tasks">', "<h2>Per task</h2>", *_table(*render.task_rows(rec)),
        "</section>", '<section id="effects">', "<h2>Where the difference came from</h2>",
        *_table(*render.effect_rows(rec)), "</section>",
        '<section id="models">', "<h2>Per task and model</h2>", *_table(*render.model_rows(rec)),
        "</section>", '<section id="totals">', "<h2>Per model and in total</h2>",
        *_table(*render.total_rows(rec)), "</section>",
    ]
    lines = [*rec.warnings, *rec.result.notes]
    if lines:
        out += ['<section id="notes">', "<h2>Notes</h2>", "<ul>"]
        out += [f"<li>{_e(n)}</li>" for n in lines] + ["</ul>", "</section>"]
    out += ["</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"
