"""Checks of a per-query plan document (``costplan assign``).

Without the query file only the document's own arithmetic is checked: counts
sum to each task's volume, every task total and the plan totals are the sums of
their rows, the budget holds, and status, gap and bound agree with the
objective.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from costplan.verify.classplan import HALF_MICRO, check_budget, check_claim
from costplan.verify.findings import Findings, exact, usd
from costplan.verify.prices import PUSD

if TYPE_CHECKING:
    from costplan.verify import Sources


@dataclass(frozen=True)
class QueryRows:
    """Per-query rows: query id, task, model, mode, exact cost and quality (micro-units)."""

    ids: tuple[str, ...]
    tasks: tuple[str, ...]
    models: tuple[str, ...]
    modes: tuple[str, ...]
    cost_pusd: npt.NDArray[np.int64]
    quality_micro: npt.NDArray[np.int64]


def _pusd(value: Any) -> int | None:
    x = exact(value)
    if x is None or x < 0 or (x * PUSD).denominator != 1:
        return None
    return int(x * PUSD)


def check_per_query(doc: dict[str, Any], sources: Sources, f: Findings) -> None:
    del sources  # the query file is read by a later version
    total = 0
    quality = Fraction(0)
    volume = 0
    for i, t in enumerate(doc["tasks"]):
        key = ("tasks", i)
        task_cost = 0
        task_q = Fraction(0)
        n = 0
        for j, a in enumerate(t["allocations"]):
            akey = (*key, "allocations", j)
            count = a.get("count")
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                f.add((*akey, "count"), f"{count!r} is not an integer >= 0")
                continue
            cost = _pusd(a.get("cost_usd"))
            if cost is None:
                f.add((*akey, "cost_usd"), f"{a.get('cost_usd')!r} is not an amount")
                continue
            q = exact(a.get("quality_queries"))
            if q is None or q < 0 or q > count:
                f.add((*akey, "quality_queries"), f"{a.get('quality_queries')!r} is not "
                      f"between 0 and the row's {count} queries")  # fmt: skip
                q = Fraction(0)
            n += count
            task_cost += cost
            task_q += q
        if t.get("volume") != n:
            f.add((*key, "volume"), f"{t.get('volume')!r}, the counts sum to {n:,}")
        if _pusd(t.get("cost_usd")) != task_cost:
            f.add((*key, "cost_usd"), f"{t.get('cost_usd')!r} USD, rows sum to {usd(task_cost)}")
        volume += n
        total += task_cost
        quality += task_q
    totals = doc["totals"]
    if totals.get("volume") != volume:
        f.add(("totals", "volume"), f"{totals.get('volume')!r}, rows sum to {volume:,}")
    if _pusd(totals.get("cost_usd")) != total:
        f.add(("totals", "cost_usd"), f"{totals.get('cost_usd')!r} USD, rows sum to {usd(total)}")
    got_q = exact(totals.get("quality_queries"))
    if got_q is None or abs(got_q - quality) > HALF_MICRO * (len(doc["tasks"]) + 1):
        f.add(("totals", "quality_queries"), f"{totals.get('quality_queries')!r}, rows sum to "
              f"{float(quality):.6f}")  # fmt: skip
    check_budget(f, doc, total, robust=False)
    objective = quality if doc.get("objective") == "max_quality" else Fraction(total, PUSD)
    check_claim(f, doc, objective)
