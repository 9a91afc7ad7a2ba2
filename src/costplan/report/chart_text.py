"""Terminal rendering of a cost-quality frontier: a Unicode chart and a table.

The chart is plain text (one string per line) so that it prints the same in a
terminal, a CI log or a test: ``●`` marks an exact plan, ``◆`` the knee, ``·``
the straight line between neighbouring plans, ``▲`` under the x axis the
workload's own budget when it lies inside the frontier's cost range.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from itertools import pairwise
from typing import TYPE_CHECKING

from costplan.money import fmt_usd, pusd_to_usd

if TYPE_CHECKING:
    from rich.console import Console

    from costplan.frontier import Frontier

POINT, KNEE, LINE, BUDGET = "●", "◆", "·", "▲"


def frontier_chart(
    points: Sequence[tuple[float, float]],
    *,
    knee: int | None = None,
    budget: float | None = None,
    width: int = 60,
    height: int = 12,
) -> list[str]:
    """Lines of a text chart of ``(cost_usd, mean_quality)`` points in cost order.

    ``knee`` indexes ``points``; ``budget`` (USD) is marked under the x axis when it
    lies within the points' cost range. Floats are fine here: this is a picture.
    """
    if not points:
        return []
    width, height = max(width, 10), max(height, 3)
    xs = [c for c, _ in points]
    ys = [q for _, q in points]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)

    def col(x: float) -> int:
        return 0 if x1 == x0 else round((x - x0) / (x1 - x0) * (width - 1))

    def row(y: float) -> int:  # 0 = top line
        if y1 == y0:
            return height // 2
        return height - 1 - round((y - y0) / (y1 - y0) * (height - 1))

    grid = [[" "] * width for _ in range(height)]
    for (xa, ya), (xb, yb) in pairwise(points):
        ca, cb = col(xa), col(xb)
        for c in range(ca + 1, cb):
            y = ya + (yb - ya) * (c - ca) / (cb - ca)
            grid[row(y)][c] = LINE
    for i, (x, y) in enumerate(points):
        grid[row(y)][col(x)] = KNEE if i == knee else POINT

    top, bottom = f"{y1:.4f}", f"{y0:.4f}"
    pad = max(len(top), len(bottom))
    lines = []
    for r, cells in enumerate(grid):
        label = top if r == 0 else bottom if r == height - 1 else ""
        tick = "┤" if label else "│"
        lines.append(f"{label:>{pad}} {tick}{''.join(cells).rstrip()}")
    lines.append(" " * pad + " └" + "─" * width)
    if budget is not None and x0 <= budget <= x1:
        lines.append(" " * (pad + 2) + " " * col(budget) + BUDGET)
    left = fmt_usd(Decimal(repr(x0)))
    right = fmt_usd(Decimal(repr(x1)))
    gap = max(1, width - len(left) - len(right))
    lines.append(" " * (pad + 2) + left + " " * gap + right)
    return lines


def render_frontier(frontier: Frontier, console: Console) -> None:
    """Chart, table (budget, cost, mean quality, marginal per $1k), knee and AIQ lines."""
    from rich.table import Table

    f = frontier
    per = f.period
    console.print(
        f"costplan frontier: {f.workload} (per {per}, {f.volume:,} queries)", markup=False
    )
    distinct: list[tuple[float, float]] = []
    knee_at: int | None = None
    for i, p in enumerate(f.points):
        xy = (float(pusd_to_usd(p.cost_pusd)), float(p.mean_quality))
        if distinct and distinct[-1][0] == xy[0]:
            continue
        if i == f.knee:
            knee_at = len(distinct)
        distinct.append(xy)
    budget = None if f.budget_pusd is None else float(pusd_to_usd(f.budget_pusd))
    for line in frontier_chart(distinct, knee=knee_at, budget=budget):
        console.print(line, markup=False)
    legend = f"{POINT} exact plan   {KNEE} knee   {LINE} between plans"
    if f.budget_pusd is not None and f.min_cost_pusd <= f.budget_pusd <= f.max_cost_pusd:
        legend += f"   {BUDGET} workload budget"
    console.print(legend, markup=False)

    table = Table(title="frontier points (each an exact max_quality plan)", title_justify="left")
    for name, just in (
        ("#", "right"),
        ("budget", "right"),
        ("cost", "right"),
        ("mean quality", "right"),
        ("quality / $1k", "right"),
        ("point", "left"),
    ):
        table.add_column(name, justify=just)  # type: ignore[arg-type]
    for i, p in enumerate(f.points):
        m = f.marginal_per_1k(i)
        marks = [p.kind]
        if i == f.knee:
            marks.append(f"{KNEE} knee")
        if p.status != "optimal":
            marks.append(p.status)
        table.add_row(
            str(i + 1),
            fmt_usd(pusd_to_usd(p.budget_pusd)),
            fmt_usd(pusd_to_usd(p.cost_pusd)),
            f"{p.mean_quality:.4f}",
            "-" if m is None else f"{m:+.4g}",
            ", ".join(marks),
        )
    console.print(table)

    lines = []
    if f.knee is not None:
        k = f.points[f.knee]
        before = f.marginal_per_1k(f.knee)
        later = (f.marginal_per_1k(j) for j in range(f.knee + 1, len(f.points)))
        after = next((m for m in later if m is not None), None)
        text = f"knee: {fmt_usd(pusd_to_usd(k.cost_pusd))} at mean quality {k.mean_quality:.4f}"
        if before is not None and after is not None:
            text += f": each extra $1k buys {after:.4g} mean quality beyond it, {before:.4g} before"
        lines.append(text)
    else:
        lines.append("knee: none (fewer than three distinct plans, or no drop in slope)")
    lines.append(
        f"AIQ (mean quality averaged over cost normalised to [0, 1] from "
        f"{fmt_usd(pusd_to_usd(f.min_cost_pusd))} to {fmt_usd(pusd_to_usd(f.max_cost_pusd))}): "
        f"{f.aiq}"
    )
    if f.budget_pusd is not None:
        b = fmt_usd(pusd_to_usd(f.budget_pusd))
        if f.budget_pusd > f.max_cost_pusd:
            idle = fmt_usd(pusd_to_usd(f.budget_pusd - f.max_cost_pusd))
            lines.append(
                f"workload budget {b}: the best plan costs "
                f"{fmt_usd(pusd_to_usd(f.max_cost_pusd))}; {idle} of the budget buys nothing"
            )
        elif f.budget_pusd < f.min_cost_pusd:
            lines.append(
                f"workload budget {b}: below the cheapest plan meeting every floor "
                f"({fmt_usd(pusd_to_usd(f.min_cost_pusd))})"
            )
        else:
            lines.append(f"workload budget {b}: inside the frontier ({BUDGET} on the chart)")
    if not f.all_optimal:
        lines.append(
            "status: some solves hit the time limit; points marked 'feasible' are not proven"
        )
    for line in lines:
        console.print(line, markup=False)
