"""The frontier as rows and CSV text (``costplan frontier --csv``).

Contract: :func:`frontier_rows` gives one dict per point in ``FRONTIER_CSV_COLUMNS``
order, money as exact USD strings and quality to 6 decimals; :func:`frontier_csv` writes
them with a header. Nothing is computed here beyond formatting.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from costplan.frontier_points import Frontier
from costplan.money import usd_str
from costplan.options import QUALITY_SCALE

__all__ = ["FRONTIER_CSV_COLUMNS", "frontier_csv", "frontier_rows"]


FRONTIER_CSV_COLUMNS = (
    "kind",
    "budget_usd",
    "cost_usd",
    "mean_quality",
    "quality_queries",
    "marginal_mean_quality_per_1k_usd",
    "status",
    "knee",
)


def frontier_rows(frontier: Frontier) -> list[dict[str, Any]]:
    """One dict per point, exact money strings (``FRONTIER_CSV_COLUMNS`` order)."""
    rows = []
    for i, p in enumerate(frontier.points):
        m = frontier.marginal_per_1k(i)
        rows.append(
            {
                "kind": p.kind,
                "budget_usd": usd_str(p.budget_pusd),
                "cost_usd": usd_str(p.cost_pusd),
                "mean_quality": f"{p.mean_quality.quantize(Decimal('0.000001')):f}",
                "quality_queries": f"{Decimal(p.quality_micro_total) / QUALITY_SCALE:f}",
                "marginal_mean_quality_per_1k_usd": "" if m is None else f"{m:.6g}",
                "status": p.status,
                "knee": "true" if i == frontier.knee else "false",
            }
        )
    return rows


def frontier_csv(frontier: Frontier) -> str:
    """The frontier as CSV text (header + one row per point)."""
    import csv
    import io

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FRONTIER_CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(frontier_rows(frontier))
    return buf.getvalue()
