"""Charts for the HTML report: matplotlib figures as inline SVG text.

Contract of every function here: it returns one ``<svg ...>...</svg>`` element
(no XML declaration, no DOCTYPE, no metadata, no dates) that

* parses as XML on its own (``xml.etree.ElementTree.fromstring``),
* references no URL except the SVG namespace (``xlink:href`` is rewritten to
  SVG 2's plain ``href``, so the xlink namespace is not needed),
* is byte-for-byte the same for the same input: ``svg.hashsalt`` fixes the
  element ids (distinct per chart so that two charts in one page never share an
  id), and text is kept as ``<text>`` (``svg.fonttype: none``) rather than glyph
  paths.

matplotlib is imported lazily (it is slow to import) and only through
:class:`matplotlib.figure.Figure`, never pyplot: no global figure state and no
GUI backend; ``savefig(format="svg")`` uses the SVG backend directly. Money is
drawn from exact cents converted to float at the very end: the chart is a
picture, never a source of numbers.
"""

from __future__ import annotations

import html
import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from costplan.report.tables import FrontierPoint, PlanTables
from costplan.textsafe import printable

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_RC: dict[Any, Any] = {
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": False,
}
# matplotlib writes an RDF block (creator URL, date) unless each key is set to None.
_NO_METADATA: dict[str, str | None] = {"Date": None, "Creator": None, "Format": None, "Type": None}
_PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)


def mpl_text(text: str) -> str:
    """A user string safe for matplotlib text: paired ``$`` would start mathtext.

    With every ``$`` escaped the text has no unescaped dollar, so matplotlib draws
    it as plain text and only turns ``\\$`` back into ``$``.
    """
    return printable(text).replace("$", r"\$")


def money_label(value: float) -> str:
    """An axis label for ``value`` USD: whole dollars from $100, cents below (mathtext-safe)."""
    if value == 0:
        return mpl_text("$0")
    return mpl_text(f"${value:,.0f}" if abs(value) >= 100 else f"${value:,.2f}")


@contextmanager
def chart_style(salt: str) -> Iterator[None]:
    """costplan's matplotlib settings, with ``salt`` for SVG ids that do not change between runs."""
    import matplotlib

    with matplotlib.rc_context({**_RC, "svg.hashsalt": salt}):
        yield


def figure_svg(fig: Figure, prefix: str, title: str) -> str:
    """``fig`` as an SVG element to inline in HTML (no metadata; see :func:`inline_svg`)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata=_NO_METADATA, bbox_inches="tight")
    return inline_svg(buf.getvalue(), prefix=prefix, title=title)


def inline_svg(text: str, *, prefix: str, title: str) -> str:
    """matplotlib's SVG document reduced to an element fit to inline in HTML.

    Drops the XML declaration and DOCTYPE, rewrites ``xlink:href`` to ``href``,
    labels the image for screen readers (``role="img"``, ``aria-label``) and
    prefixes every element id (and each reference to it) with ``prefix-`` so
    that several charts can share one HTML page: matplotlib numbers its
    groups (``figure_1``, ``axes_1``...) the same way in every figure. Ids that
    already start with ``costplan-`` are the chart's own documented ids and stay.
    """
    svg = text[text.index("<svg") :].strip()
    svg = svg.replace("xlink:href=", "href=")
    svg = re.sub(r'\s+xmlns:xlink="[^"]*"', "", svg, count=1)
    label = html.escape(printable(title), quote=True)
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1)

    def own(ident: str) -> str:
        return ident if ident.startswith("costplan-") else f"{prefix}-{ident}"

    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{own(m.group(1))}"', svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{own(m.group(1))}"', svg)
    return re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{own(m.group(1))})", svg)


def allocation_svg(tables: PlanTables) -> str:
    """Stacked horizontal bar per task: cost by model (mode).

    Every bar segment is a ``<g id="costplan-bar-K">`` group, K the index of the
    allocation row in ``tables.rows``; a model keeps its colour across tasks.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    labels: list[str] = []
    for r in tables.rows:
        if r.alloc.label not in labels:
            labels.append(r.alloc.label)
    colour = {label: _PALETTE[i % len(_PALETTE)] for i, label in enumerate(labels)}
    task_names = [t.task.name for t in tables.tasks]
    ypos = {id(t.task): len(tables.tasks) - 1 - i for i, t in enumerate(tables.tasks)}

    with chart_style("costplan-allocation"):
        fig = Figure(figsize=(8.0, 1.4 + 0.42 * max(1, len(task_names))), dpi=100)
        ax = fig.add_subplot()
        left = dict.fromkeys(ypos, 0.0)
        seen: set[str] = set()
        for k, r in enumerate(tables.rows):
            key = id(r.task)
            label = r.alloc.label
            bars = ax.barh(
                [ypos[key]],
                [float(r.cost)],
                left=[left[key]],
                height=0.6,
                color=colour[label],
                edgecolor="white",
                linewidth=0.6,
                label=mpl_text(label) if label not in seen else "_nolegend_",
            )
            bars.patches[0].set_gid(f"costplan-bar-{k}")
            seen.add(label)
            left[key] += float(r.cost)
        ax.set_yticks(range(len(task_names)), [mpl_text(n) for n in reversed(task_names)])
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: money_label(v)))
        ax.set_xlabel("cost per period (USD)")
        ax.set_xlim(left=0)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        if labels:
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        return figure_svg(fig, "chart-allocation", "cost by task and model")


def frontier_svg(
    points: Sequence[FrontierPoint],
    plan_cost: Decimal,
    plan_quality: Decimal,
    budget: Decimal | None = None,
    knee: FrontierPoint | None = None,
) -> str:
    """Best mean quality against cost, with this plan's point marked.

    The frontier line is ``<g id="costplan-frontier">``, the plan's point
    ``<g id="costplan-plan-point">``, the budget (when given) ``costplan-budget``
    and the knee (when given) ``costplan-knee``.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    with chart_style("costplan-frontier"):
        fig = Figure(figsize=(8.0, 4.2), dpi=100)
        ax = fig.add_subplot()
        (line,) = ax.plot(
            [float(p.cost_usd) for p in points],
            [float(p.mean_quality) for p in points],
            marker="o",
            markersize=4,
            color="#4e79a7",
            label="best mean quality for the cost",
            drawstyle="steps-post",
        )
        line.set_gid("costplan-frontier")
        (point,) = ax.plot(
            [float(plan_cost)],
            [float(plan_quality)],
            marker="*",
            markersize=14,
            linestyle="none",
            color="#e15759",
            label="this plan",
            zorder=4,
        )
        point.set_gid("costplan-plan-point")
        if knee is not None:
            (mark,) = ax.plot(
                [float(knee.cost_usd)],
                [float(knee.mean_quality)],
                marker="D",
                markersize=8,
                linestyle="none",
                markerfacecolor="none",
                markeredgecolor="#59a14f",
                markeredgewidth=1.6,
                label="knee: extra money buys much less beyond it",
                zorder=3,
            )
            mark.set_gid("costplan-knee")
        if budget is not None:
            rule = ax.axvline(
                float(budget), color="#888888", linestyle="--", linewidth=1, label="budget"
            )
            rule.set_gid("costplan-budget")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: money_label(v)))
        ax.set_xlabel("cost per period (USD)")
        ax.set_ylabel("mean quality")
        ax.grid(color="#dddddd", linewidth=0.6)
        ax.legend(loc="lower right", frameon=False)
        return figure_svg(fig, "chart-frontier", "quality-cost frontier")
