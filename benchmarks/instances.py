"""Seeded MCKP benchmark instances: (G groups) x (K options), integer cost and value arrays.

Families
--------
``uncorrelated``
    cost ~ U[1, 10**6], value ~ U[0, 10**6] independently (classic random MCKP).
``weakly``
    weakly correlated: cost ~ U[1, 10**6], value = cost + U[-10**5, 10**5] clipped at 0.
``llm``
    LLM-like per-query allocation. ~20 models with list-price-like input/output prices (USD per
    million tokens, spread over three orders of magnitude) and context windows; per-query input
    and output token counts are log-normal; cost is in pico-dollars, exactly
    ``in_tokens * in_price + out_tokens * out_price`` at 10**6 pico-dollars per USD/Mtok;
    quality rises with log price plus per-model and per-query noise (micro-units in [0, 10**6]);
    a few models are dominated (priced high, quality of a cheaper tier); queries longer than a
    model's context window cannot use it.

Every instance's budget is ``min plan cost + fraction * (cost of the max-value plan - min plan
cost)`` (``fraction`` default 0.3), so the budget binds. ``min_value`` (for min_cost runs) is the
value of the midpoint between the cheapest and the max-value plan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FAMILIES = ("uncorrelated", "weakly", "llm")


@dataclass(frozen=True)
class Instance:
    family: str
    cost: npt.NDArray[np.int64]
    value: npt.NDArray[np.int64]
    feasible: npt.NDArray[np.bool_]
    budget: int
    min_value: int


def _finish(
    family: str,
    cost: npt.NDArray[np.int64],
    value: npt.NDArray[np.int64],
    feasible: npt.NDArray[np.bool_],
    fraction: float,
) -> Instance:
    big = np.iinfo(np.int64).max
    cmin = np.where(feasible, cost, big).min(axis=1)
    vbest = np.where(feasible, value, -big).max(axis=1)
    # cost of the max-value plan: cheapest option among the max-value ones per group
    at_best = feasible & (value == vbest[:, None])
    cbest = np.where(at_best, cost, big).min(axis=1)
    vcheap = np.where(feasible & (cost == cmin[:, None]), value, -big).max(axis=1)
    lo, hi = int(cmin.sum()), int(cbest.sum())
    budget = lo + int(fraction * (hi - lo))
    min_value = (int(vcheap.sum()) + int(vbest.sum())) // 2
    return Instance(family, cost, value, feasible, budget, min_value)


def uncorrelated(g: int, k: int = 20, seed: int = 0, fraction: float = 0.3) -> Instance:
    rng = np.random.default_rng(seed)
    cost = rng.integers(1, 10**6, size=(g, k), dtype=np.int64)
    value = rng.integers(0, 10**6, size=(g, k), dtype=np.int64)
    return _finish("uncorrelated", cost, value, np.ones((g, k), dtype=np.bool_), fraction)


def weakly(g: int, k: int = 20, seed: int = 0, fraction: float = 0.3) -> Instance:
    rng = np.random.default_rng(seed)
    cost = rng.integers(1, 10**6, size=(g, k), dtype=np.int64)
    value = np.maximum(0, cost + rng.integers(-(10**5), 10**5, size=(g, k), dtype=np.int64))
    return _finish("weakly", cost, value, np.ones((g, k), dtype=np.bool_), fraction)


def llm(g: int, k: int = 20, seed: int = 0, fraction: float = 0.3) -> Instance:
    rng = np.random.default_rng(seed)
    # list-price-like tiers: input USD/Mtok log-uniform in [0.05, 60]; output 2-5x input
    in_price = np.exp(rng.uniform(np.log(0.05), np.log(60.0), size=k))
    out_price = in_price * rng.uniform(2.0, 5.0, size=k)
    # prices in pico-dollars per token (1 USD/Mtok = 10**6 pico-dollars per token), integer
    in_pico = np.round(in_price * 1e6).astype(np.int64)
    out_pico = np.round(out_price * 1e6).astype(np.int64)
    context = rng.choice([8_192, 32_768, 128_000, 200_000, 1_000_000], size=k)
    base = 0.35 + 0.09 * np.log(in_price / 0.05)  # quality rises with log price
    base += rng.normal(0.0, 0.03, size=k)
    n_dom = max(1, k // 7)  # a few overpriced models: quality of a much cheaper tier
    dom = rng.choice(k, size=n_dom, replace=False)
    base[dom] -= 0.25
    tin = np.ceil(rng.lognormal(np.log(800.0), 1.2, size=g)).astype(np.int64)
    tout = np.ceil(rng.lognormal(np.log(300.0), 0.8, size=g)).astype(np.int64)
    cost = tin[:, None] * in_pico[None, :] + tout[:, None] * out_pico[None, :]
    difficulty = rng.normal(0.0, 0.12, size=g)
    noise = rng.normal(0.0, 0.05, size=(g, k))
    q = np.clip(base[None, :] - difficulty[:, None] + noise, 0.0, 1.0)
    value = np.round(q * 1e6).astype(np.int64)
    feasible = (tin + tout)[:, None] <= context[None, :]
    largest = int(np.argmax(context))
    feasible[:, largest] = True  # the long-context model accepts everything
    return _finish("llm", cost, value, feasible, fraction)


def make(family: str, g: int, k: int = 20, seed: int = 0, fraction: float = 0.3) -> Instance:
    if family == "uncorrelated":
        return uncorrelated(g, k, seed, fraction)
    if family == "weakly":
        return weakly(g, k, seed, fraction)
    if family == "llm":
        return llm(g, k, seed, fraction)
    raise ValueError(f"unknown family {family!r}; choose from {', '.join(FAMILIES)}")
