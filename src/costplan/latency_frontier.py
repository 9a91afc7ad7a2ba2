"""The three-way frontier: cost, quality and p95 latency (``frontier --latency``).

A plan's latency is the **largest p95** of the options it uses (a query of any
task may hit the slowest of them); options of unknown latency take no part.
For every latency level ``L`` (each distinct p95 of a usable option, ascending)
the options slower than ``L`` are excluded and the exact cost-quality frontier
of what is left is computed (:func:`costplan.frontier.compute_frontier`, exact
plans at evenly spaced budgets and LP breakpoints); a level at which some task
has no option, or no plan meets the floors, has no points. Every plan found is
tagged with its own latency (at most ``L``), and only the plans no other plan
**dominates** are kept: ``a`` dominates ``b`` when ``a`` costs no more, has no
lower total quality and no higher latency, and differs in at least one. So each
point is a Pareto-optimal plan in (cost, quality, latency) among the plans
found, and the cheapest and the best plan of every level are exact.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from costplan.errors import InfeasibleError
from costplan.options import OptionTable
from costplan.plan import Plan, mean_quality


@dataclass(frozen=True)
class LatencyPoint:
    """One exact plan: its cost, total quality (micro units) and p95 latency."""

    latency_p95_ms: int
    cost_pusd: int
    quality_micro_total: int
    volume: int
    plan: Plan = dataclasses.field(repr=False, compare=False)

    @property
    def mean_quality(self) -> Decimal:
        return mean_quality(self.quality_micro_total, self.volume)


def within(table: OptionTable, level_ms: int) -> OptionTable:
    """``table`` with every option slower than ``level_ms`` (or unknown) excluded."""
    options = tuple(
        o
        if o.excluded is not None or (o.latency is not None and o.latency.p95 <= level_ms)
        else dataclasses.replace(o, excluded=f"p95 latency above the level {level_ms:,} ms")
        for o in table.options
    )
    return dataclasses.replace(table, options=options, latency_cap_ms=level_ms)


def plan_latency(plan: Plan, table: OptionTable) -> int:
    """The largest p95 (ms) of the options ``plan`` uses (all known, see :func:`within`)."""
    p95: dict[tuple[str, str, str, str, str], int] = {
        (o.task, o.kind, o.model, o.mode, o.cache): o.latency.p95
        for o in table.options
        if o.latency is not None
    }
    used = [
        p95[(t.name, a.kind, a.model, a.mode, a.cache)]
        for t in plan.tasks
        for a in t.allocations
        if a.count > 0
    ]
    return max(used, default=0)


def dominates(a: LatencyPoint, b: LatencyPoint) -> bool:
    """``a`` is no worse than ``b`` on all three axes and better on one."""
    no_worse = (
        a.cost_pusd <= b.cost_pusd
        and a.quality_micro_total >= b.quality_micro_total
        and a.latency_p95_ms <= b.latency_p95_ms
    )
    key_a = (a.cost_pusd, a.quality_micro_total, a.latency_p95_ms)
    key_b = (b.cost_pusd, b.quality_micro_total, b.latency_p95_ms)
    return no_worse and key_a != key_b


def latency_frontier(
    table: OptionTable, *, points: int = 10, time_limit_s: float = 10.0
) -> tuple[LatencyPoint, ...]:
    """The non-dominated plans over every latency level (see the module docs),
    sorted by latency, then cost. Raises InfeasibleError when no level has a plan."""
    from costplan.frontier import compute_frontier

    levels = sorted({o.latency.p95 for o in table.usable() if o.latency is not None})
    found: dict[tuple[int, int, int], LatencyPoint] = {}
    for level in levels:
        restricted = within(table, level)
        tasks = [t for t in table.workload.tasks if t.volume > 0]
        if any(not restricted.for_task(t.name) for t in tasks):
            continue
        try:
            f = compute_frontier(restricted, points=points, time_limit_s=time_limit_s)
        except InfeasibleError:
            continue
        for p in f.points:
            lat = plan_latency(p.plan, restricted)
            point = LatencyPoint(lat, p.cost_pusd, p.quality_micro_total, p.volume, p.plan)
            found.setdefault((lat, p.cost_pusd, p.quality_micro_total), point)
    if not found:
        raise InfeasibleError(
            "no plan at any latency level: options of known latency cannot meet the floors",
            hint="give latency_ms for more models (profiles or the price sheet)",
        )
    kept = [p for p in found.values() if not any(dominates(q, p) for q in found.values())]
    return tuple(sorted(kept, key=lambda p: (p.latency_p95_ms, p.cost_pusd)))


LATENCY_CSV_COLUMNS = ("latency_p95_ms", "cost_usd", "mean_quality", "quality_queries")


def latency_csv(points: tuple[LatencyPoint, ...]) -> str:
    """The three-way frontier as CSV text (header + one row per point)."""
    from costplan.money import usd_str

    rows = [",".join(LATENCY_CSV_COLUMNS)]
    for p in points:
        rows.append(
            f"{p.latency_p95_ms},{usd_str(p.cost_pusd)},"
            f"{p.mean_quality.quantize(Decimal('0.000001')):f},"
            f"{Decimal(p.quality_micro_total) / 10**6:f}"
        )
    return "\n".join(rows) + "\n"


def latency_lines(points: tuple[LatencyPoint, ...], period: str) -> list[str]:
    """A plain table for the terminal: latency, cost per period, mean quality."""
    from costplan.money import fmt_usd, pusd_to_usd

    lines = [f"cost / quality / latency frontier ({len(points)} non-dominated plans)"]
    lines.append(f"{'p95 latency':>12}  {'cost per ' + period:>16}  {'mean quality':>12}")
    for p in points:
        cost = fmt_usd(pusd_to_usd(p.cost_pusd))
        q = p.mean_quality.quantize(Decimal("0.0001"))
        lines.append(f"{p.latency_p95_ms:>9,} ms  {cost:>16}  {q:>12}")
    return lines
