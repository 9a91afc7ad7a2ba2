"""Brute-force oracle for the class-level problem: enumerate every allocation."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import numpy as np

from costplan.solvers.classlevel import ClassProblem


def _compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)


def brute_force(p: ClassProblem) -> tuple[int, int] | None:
    """Best (primary, secondary) objective pair, or None when infeasible.

    max_quality: maximise quality, then minimise cost; min_cost: minimise cost,
    then maximise quality. Returned as (quality, cost) or (cost, quality). The
    budget applies to ``budget_cost`` when given (robust plans), else to ``cost``.
    """
    budget_cost = p.cost if p.budget_cost is None else p.budget_cost
    per_task = []
    for t in range(len(p.volume)):
        opts = [int(o) for o in np.flatnonzero(p.task == t)]
        vol = int(p.volume[t])
        choices = []
        if p.split[t]:
            candidates = list(_compositions(vol, len(opts)))
        else:
            candidates = [
                tuple(vol if j == k else 0 for j in range(len(opts))) for k in range(len(opts))
            ]
        for counts in candidates:
            q = sum(int(p.quality[o]) * c for o, c in zip(opts, counts, strict=True))
            cost = sum(int(p.cost[o]) * c for o, c in zip(opts, counts, strict=True))
            spend = sum(int(budget_cost[o]) * c for o, c in zip(opts, counts, strict=True))
            if p.floor[t] >= 0 and q < int(p.floor[t]) * vol:
                continue
            choices.append((q, cost, spend, dict(zip(opts, counts, strict=True))))
        if not choices:
            return None
        per_task.append(choices)
    best: tuple[int, int] | None = None
    for combo in itertools.product(*per_task):
        q = sum(c[0] for c in combo)
        cost = sum(c[1] for c in combo)
        if p.budget is not None and sum(c[2] for c in combo) > p.budget:
            continue
        counts_by_option: dict[int, int] = {}
        for c in combo:
            counts_by_option.update(c[3])
        if any(
            sum(int(row.coef[o]) * n for o, n in counts_by_option.items()) > row.rhs
            for row in p.extra
        ):
            continue
        key = (q, -cost) if p.objective == "max_quality" else (-cost, q)
        if best is None or key > best:
            best = key
    if best is None:
        return None
    return (best[0], -best[1]) if p.objective == "max_quality" else (-best[0], best[1])


def spend_range(task: np.ndarray, cost: np.ndarray, volume: np.ndarray) -> tuple[int, int]:
    """Cost of the cheapest and of the dearest plan (every task at one extreme option)."""
    n_task = len(volume)
    low = sum(int(cost[task == t].min()) * int(volume[t]) for t in range(n_task))
    high = sum(int(cost[task == t].max()) * int(volume[t]) for t in range(n_task))
    return low, high


def class_problem(
    task: np.ndarray,
    cost: np.ndarray,
    quality: np.ndarray,
    volume: np.ndarray,
    floor: np.ndarray,
    split: np.ndarray,
    budget: int | None,
) -> ClassProblem:
    """A max_quality ``ClassProblem`` from plain arrays (cast to the solver's int64)."""
    return ClassProblem(
        task=task.astype(np.int64),
        cost=cost.astype(np.int64),
        quality=quality.astype(np.int64),
        volume=volume.astype(np.int64),
        floor=floor.astype(np.int64),
        split=split.astype(np.bool_),
        objective="max_quality",
        budget=budget,
    )
