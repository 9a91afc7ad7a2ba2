"""JSON documents of the commands' results (``--format json``).

Contract: every payload is plain JSON (dicts, lists, strings, ints, bools,
None); money is an exact decimal string in USD (``usd_str``: at most 12
decimals, never a float); quality is a decimal string. Each document is
described by a JSON Schema in :mod:`costplan.output_schemas`
(``costplan schema output-<command>``). ``optimize`` and ``assign`` print the
plan document itself (:func:`costplan.plan.plan_to_dict`, as in a ``.json``
plan file); ``check``, ``prices diff`` and ``reconcile`` have their own
builders next to their renderers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from costplan.money import usd_str

if TYPE_CHECKING:
    from costplan.frontier import Frontier
    from costplan.options import Option, OptionTable

JSON_VERSION = 1  # "format" of every document here; bumped on an incompatible change


def _option(o: Option, volume: int) -> dict[str, Any]:
    return {
        "label": o.label,
        "model": o.model,
        "provider": o.provider,
        "kind": o.kind,
        "mode": o.mode,
        "cache": o.cache,
        "quality": f"{o.quality:f}",
        "prompt_tokens_mean": o.prompt_tokens_mean,
        "cached_tokens": o.cached_tokens,
        "output_tokens": o.output_tokens,
        "reasoning_tokens": o.reasoning_tokens,
        "tokens_estimated": o.tokens_estimated,
        "tokenizer": o.tokenizer,
        "cost_source": o.cost_source,
        "cost_per_query_usd": usd_str(o.cost_pusd),
        "cost_per_period_usd": usd_str(o.cost_pusd * volume),
        "excluded": o.excluded,
        "detail": o.detail,
    }


def estimate_json(table: OptionTable) -> dict[str, Any]:
    """Every task's options, usable and excluded, cheapest first (ties: workload order).

    ``cost_per_period_usd`` is ``cost_per_query_usd`` x the task's volume, exactly.
    """
    w = table.workload
    tasks = []
    for t in w.tasks:
        opts = sorted(table.for_task(t.name, usable_only=False), key=lambda o: o.cost_pusd)
        tasks.append(
            {
                "name": t.name,
                "volume": t.volume,
                "min_quality": None if t.min_quality is None else f"{t.min_quality:f}",
                "options": [_option(o, t.volume) for o in opts],
            }
        )
    return {"format": JSON_VERSION, "workload": w.name, "period": w.period, "tasks": tasks}


def frontier_json(frontier: Frontier, aiq_range: tuple[Decimal, Decimal] | None) -> dict[str, Any]:
    """The frontier's points (the CSV's columns, with JSON types), knee and AIQ."""
    from costplan.frontier import frontier_rows
    from costplan.money import budget_to_pusd

    points = []
    for row in frontier_rows(frontier):
        marginal = row["marginal_mean_quality_per_1k_usd"]
        points.append(
            {
                **row,
                "marginal_mean_quality_per_1k_usd": marginal or None,
                "knee": row["knee"] == "true",
            }
        )
    between = None
    if aiq_range is not None:
        lo, hi = aiq_range
        value = frontier.aiq_between(budget_to_pusd(lo), budget_to_pusd(hi))
        between = {"lo_usd": f"{lo:f}", "hi_usd": f"{hi:f}", "aiq": f"{value}"}
    return {
        "format": JSON_VERSION,
        "workload": frontier.workload,
        "period": frontier.period,
        "volume": frontier.volume,
        "budget_usd": None if frontier.budget_pusd is None else usd_str(frontier.budget_pusd),
        "min_cost_usd": usd_str(frontier.min_cost_pusd),
        "max_cost_usd": usd_str(frontier.max_cost_pusd),
        "aiq": f"{frontier.aiq}",
        "aiq_between": between,
        "knee": frontier.knee,
        "all_optimal": frontier.all_optimal,
        "points": points,
    }


def latency_frontier_json(points: tuple[Any, ...], workload: str, period: str) -> dict[str, Any]:
    """``frontier --latency``: the non-dominated (cost, quality, p95 latency) plans, as
    :func:`costplan.latency_frontier.latency_csv` has them (sorted by latency, then cost),
    each with its solver status. ``points`` are :class:`costplan.latency_frontier.LatencyPoint`."""
    rows = [
        {
            "latency_p95_ms": p.latency_p95_ms,
            "cost_usd": usd_str(p.cost_pusd),
            "mean_quality": f"{p.mean_quality.quantize(Decimal('0.000001')):f}",
            "quality_queries": f"{Decimal(p.quality_micro_total) / 10**6:f}",
            "status": p.plan.status,
        }
        for p in points
    ]
    return {
        "format": JSON_VERSION,
        "workload": workload,
        "period": period,
        "volume": points[0].volume if points else 0,
        "all_optimal": all(r["status"] == "optimal" for r in rows),
        "points": rows,
    }
