"""Latency of an option: p50/p95 per (task, model or variant, mode), and task SLOs.

Where a latency comes from, first found wins:

1. the task's ``profiles.<model>.latency_ms`` for that mode (``{p50, p95}`` is the
   standard mode's; ``{standard: {...}, batch: {...}}`` gives modes one by one);
   ``workload build`` writes it from traffic logs that carry a latency column;
2. the price sheet: ``latency_ms: {p50, p95}`` on the model (standard mode) or
   inside a mode (``batch: {discount: 0.5, latency_ms: {...}}``);
3. unknown (None).

A task's ``max_latency_p95_ms`` is an SLO: an option whose p95 is above it, or is
unknown, is excluded with the reason (a plan never relies on a latency nobody
measured). A cascade's latency is the **sum** of its steps' (a query may pass
through every step; conservative), unknown if any step's is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from costplan.options import OptionTable

#: Words every SLO exclusion reason contains (see :func:`slo_exclusion`).
SLO_WORDS = "the task's SLO"


@dataclass(frozen=True)
class LatencyMs:
    """Median and 95th-percentile latency of one request, whole milliseconds."""

    p50: int
    p95: int


def cascade_latency(steps: Sequence[LatencyMs | None]) -> LatencyMs | None:
    """The sum of the steps' latencies (None if any is unknown, or no step)."""
    if not steps or any(s is None for s in steps):
        return None
    known = [s for s in steps if s is not None]
    return LatencyMs(sum(s.p50 for s in known), sum(s.p95 for s in known))


def slo_exclusion(slo_ms: int | None, latency: LatencyMs | None, label: str) -> str | None:
    """Why an option breaks the task's p95 latency SLO, or None (also without an SLO)."""
    if slo_ms is None:
        return None
    if latency is None:
        return f"no p95 latency known for {label}; the task's SLO is {slo_ms:,} ms"
    if latency.p95 > slo_ms:
        return f"p95 latency {latency.p95:,} ms is above the task's SLO of {slo_ms:,} ms"
    return None


def slo_notes(table: OptionTable) -> list[str]:
    """One plan note per task with an SLO naming the options it excludes, and why."""
    notes = []
    for task in table.workload.tasks:
        if task.max_latency_p95_ms is None:
            continue
        why: dict[str, str] = {}
        for o in table.for_task(task.name, usable_only=False):
            if o.excluded is not None and SLO_WORDS in o.excluded:
                name = f"cascade {o.model}" if o.kind == "cascade" else o.model
                label = name if o.mode == "standard" else f"{name} ({o.mode})"
                why.setdefault(label, o.excluded)
        if why:
            listed = "; ".join(f"{k}: {v}" for k, v in why.items())
            notes.append(
                f"{task.name}: the p95 latency SLO of {task.max_latency_p95_ms:,} ms "
                f"excludes {listed}"
            )
    return notes
