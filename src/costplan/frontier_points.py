"""The frontier's result types: exact points (each a plan) and the frontier of them.

Contract: frozen data. :class:`FrontierPoint` is one exact plan at a budget;
:class:`Frontier` holds the points in budget order with the knee and AIQ, and derives
from them the marginal quality per $1,000 and AIQ over any cost range (exact, through
:mod:`costplan.frontier_hull`). :func:`costplan.frontier.compute_frontier` builds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from costplan.frontier_hull import aiq, upper_hull
from costplan.money import PUSD_PER_USD
from costplan.options import QUALITY_SCALE
from costplan.plan import Plan, mean_quality

__all__ = ["Frontier", "FrontierPoint"]


@dataclass(frozen=True)
class FrontierPoint:
    """One exact plan on the frontier: ``max_quality`` at ``budget_pusd``."""

    budget_pusd: int
    cost_pusd: int
    quality_micro_total: int
    volume: int
    status: str  # optimal | feasible (time limit)
    kind: str  # "grid" (evenly spaced budget) or "breakpoint" (LP vertex)
    plan: Plan = field(repr=False, compare=False)

    @property
    def mean_quality(self) -> Decimal:
        return mean_quality(self.quality_micro_total, self.volume)


@dataclass(frozen=True)
class Frontier:
    workload: str
    period: str
    volume: int
    points: tuple[FrontierPoint, ...]  # in budget order
    knee: int | None  # index into points
    aiq: Decimal  # over [C_min, C_max], see the module docstring
    budget_pusd: int | None = None  # the workload's own budget, for reference
    lp_vertices_pusd: tuple[int, ...] = ()  # costs of the LP relaxation's interior vertices
    ends_status: str = "optimal"  # "feasible" when C_min or C_max is not proven

    @property
    def min_cost_pusd(self) -> int:
        return self.points[0].cost_pusd

    @property
    def max_cost_pusd(self) -> int:
        return self.points[-1].cost_pusd

    @property
    def all_optimal(self) -> bool:
        return self.ends_status == "optimal" and all(p.status == "optimal" for p in self.points)

    def marginal_per_1k(self, i: int) -> Decimal | None:
        """Mean quality gained per extra $1,000 from point ``i - 1`` to point ``i``.

        None for the first point and when the two points cost the same.
        """
        if i <= 0:
            return None
        a, b = self.points[i - 1], self.points[i]
        if b.cost_pusd == a.cost_pusd or self.volume == 0:
            return None
        rate = Fraction(b.quality_micro_total - a.quality_micro_total, QUALITY_SCALE * self.volume)
        rate /= Fraction(b.cost_pusd - a.cost_pusd, 1000 * PUSD_PER_USD)
        return Decimal(rate.numerator) / Decimal(rate.denominator)

    def aiq_between(self, lo_pusd: int, hi_pusd: int) -> Decimal:
        """AIQ over an explicit cost range (the same range makes frontiers comparable)."""
        return aiq(upper_hull(_pairs(self.points, self.volume)), lo_pusd, hi_pusd)


def _pairs(points: Sequence[FrontierPoint], volume: int) -> list[tuple[int, Fraction]]:
    """Distinct (cost, exact mean quality) vertices in cost order."""
    out: list[tuple[int, Fraction]] = []
    for p in sorted(points, key=lambda p: (p.cost_pusd, p.quality_micro_total)):
        q = Fraction(p.quality_micro_total, QUALITY_SCALE * volume) if volume else Fraction(0)
        if out and out[-1][0] == p.cost_pusd:
            out[-1] = (p.cost_pusd, max(out[-1][1], q))
        else:
            out.append((p.cost_pusd, q))
    return out
