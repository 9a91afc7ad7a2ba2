"""Seeded LLM-like class-level instances (``ClassProblem``), for benchmarks and tests.

``n_model`` models with list-price-like input/output prices over two to three orders of
magnitude and quality rising with log price plus per-task noise; per task a token profile
(100-8,000 prompt tokens, 20-1,500 output tokens; cost in pico-dollars, exactly
``tokens x USD/Mtok x 10**6``) and a volume drawn from ``volume``; a 0.55 quality floor on a
``floor_share`` of the tasks, ``split: false`` on a ``no_split`` share; the budget is the
cheapest plan plus ``budget_share`` of the way to the dearest, so it binds.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np


def llm_classes(
    n_task: int,
    seed: int,
    *,
    floor_share: float = 0.5,
    volume: tuple[int, int] = (1_000, 2_000_000),
    no_split: float = 0.0,
    budget_share: Fraction = Fraction(1, 25),
    n_model: int = 20,
) -> Any:
    from costplan.solvers.classlevel import ClassProblem

    rng = np.random.default_rng(seed)
    price_in = np.exp(rng.uniform(np.log(0.05), np.log(15), n_model))  # USD per Mtok
    price_out = price_in * rng.uniform(2, 5, n_model)
    base = 0.45 + 0.4 * np.log(price_in / 0.05) / np.log(300)
    cost, quality = [], []
    for _ in range(n_task):
        tin, tout = int(rng.integers(100, 8000)), int(rng.integers(20, 1500))
        cost.append(np.ceil((price_in * tin + price_out * tout) * 1e6).astype(np.int64))
        quality.append((np.clip(base + rng.normal(0, 0.06, n_model), 0, 1) * 1e6).round())
    task = np.repeat(np.arange(n_task), n_model).astype(np.int64)
    volumes = rng.integers(volume[0], volume[1], n_task).astype(np.int64)
    c = np.concatenate(cost)
    per_task = c.reshape(n_task, n_model)
    lo = int(np.sum(per_task.min(axis=1).astype(object) * volumes.astype(object)))
    hi = int(np.sum(per_task.max(axis=1).astype(object) * volumes.astype(object)))
    floors = np.where(rng.random(n_task) < floor_share, 550_000, -1).astype(np.int64)
    return ClassProblem(
        task=task,
        cost=c,
        quality=np.concatenate(quality).astype(np.int64),
        volume=volumes,
        floor=floors,
        split=np.random.default_rng(seed + 1).random(n_task) >= no_split,
        objective="max_quality",
        budget=lo + (hi - lo) * budget_share.numerator // budget_share.denominator,
    )
