"""The period's total cost of a plan as a distribution (README "Uncertainty").

Model, per task ``t`` with planned volume ``V``, counts ``x_a`` on options ``a`` (mean
cost ``c_a`` and per-query spread ``s_a`` per query, pico-dollars, over ``n`` prompt
samples) and relative volume ``R`` (:mod:`costplan.risk.volume`, mean 1, variance
``k^2``)::

    C_t = sum_a x_a c_a                 planned cost
    Q_t = sum_a x_a s_a^2               per-query noise (queries independent)
    E_t = (sum_a x_a s_a)^2 / n         error of the measured means (ideal bootstrap
                                        v/n per option; options priced on the same samples
                                        taken as perfectly correlated: an upper bound)
    S_t = R_t (C_t + e_t) + noise,  e_t ~ Normal(0, E_t),  Var(noise | R) = R Q_t
    E S = sum_t C_t
    Var S = sum_t [k_t^2 C_t^2 + (1 + k_t^2) E_t + Q_t] + sum_{t != u} rho k_t k_u C_t C_u

``rho`` (the workload's ``volume_correlation``) correlates every two tasks' volume errors
through a common normal factor (a Gaussian copula: ``Z_t = sqrt(rho) Z_0 + sqrt(1 - rho)
e_t``, ``R_t = F_t^-1(Phi(Z_t))``). Sampling errors of different tasks, and queries,
are independent.

* ``normal`` (every volume fixed, normal or Poisson): ``S ~ Normal(E S, Var S)``, the
  normal approximation (central limit over queries and samples; exact for constant
  lengths with normal volumes). Quantile ``q_p = E S + Phi^-1(p) sd``; ``P(S <= B) =
  Phi((B - E S) / sd)`` (1 or 0 when ``sd = 0``).
* ``monte_carlo`` (a skewed two-piece volume): ``D`` draws with
  ``numpy.random.default_rng(seed)``, in this order: ``Z_0`` (D normals); per task in
  workload order ``e`` (D normals, the volume score), ``R_t = F_t^-1(Phi(Z_t))`` clipped
  at 0, then ``D`` normals ``w`` for ``e_t = sqrt(E_t) w``; then ``D`` normals ``xi``:
  ``S = sum_t R_t (C_t + e_t) + sqrt(sum_t R_t Q_t) xi``. Quantile ``q_p`` = the sorted
  draws' element ``ceil(p D) - 1``; ``P(S <= B)`` = the fraction of draws ``<= B``.
  Same inputs and seed: the same bytes.

Quantiles are rounded up to whole pico-dollars; P(S <= B) down to 6 decimals (normal).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from statistics import NormalDist

import numpy as np

from costplan.risk.volume import VolumeSpread

_N = NormalDist()
QUANTILES = (Fraction(1, 2), Fraction(95, 100), Fraction(99, 100))
DEFAULT_DRAWS = 100_000
DEFAULT_SEED = 0


@dataclass(frozen=True)
class TaskCosts:
    """What the model needs of one task: allocations as (count, cost, sd) per query."""

    name: str
    spread: VolumeSpread
    samples: int
    allocations: tuple[tuple[int, int, int], ...]

    @property
    def planned_pusd(self) -> int:
        return sum(x * c for x, c, _ in self.allocations)

    @property
    def noise_var(self) -> int:
        return sum(x * s * s for x, _, s in self.allocations)

    @property
    def mean_error_var(self) -> Fraction:
        return Fraction(sum(x * s for x, _, s in self.allocations) ** 2, max(self.samples, 1))


@dataclass(frozen=True)
class PeriodRisk:
    """The period total's distribution: its figures in pico-dollars."""

    method: str  # normal | monte_carlo | exact (per-query plans: costplan.risk.plans)
    mean_pusd: int
    sd_pusd: int  # rounded up
    quantiles_pusd: tuple[int, int, int]  # P50, P95, P99, rounded up
    p_within_budget: Decimal | None  # None without a budget
    volume_correlation: Decimal = Decimal(0)
    draws: int = 0
    seed: int = 0

    @property
    def p50_pusd(self) -> int:
        return self.quantiles_pusd[0]

    @property
    def p95_pusd(self) -> int:
        return self.quantiles_pusd[1]

    @property
    def p99_pusd(self) -> int:
        return self.quantiles_pusd[2]


def variance(tasks: Sequence[TaskCosts], rho: float) -> float:
    """``Var S`` of the module docstring (pico-dollars squared, float)."""
    total = 0.0
    k = [math.sqrt(t.spread.variance) for t in tasks]
    for t, kt in zip(tasks, k, strict=True):
        c = float(t.planned_pusd)
        total += kt * kt * c * c + (1 + kt * kt) * float(t.mean_error_var) + t.noise_var
    if rho:
        weighted = [kt * t.planned_pusd for t, kt in zip(tasks, k, strict=True)]
        s = sum(weighted)
        total += rho * (s * s - sum(w * w for w in weighted))
    return total


def _ceil(x: float) -> int:
    return math.ceil(x)


def _normal(tasks: Sequence[TaskCosts], rho: float, budget: int | None) -> PeriodRisk:
    mean = sum(t.planned_pusd for t in tasks)
    sd = math.sqrt(variance(tasks, rho))
    qs = tuple(_ceil(mean + _N.inv_cdf(float(p)) * sd) if sd else mean for p in QUANTILES)
    p: Decimal | None = None
    if budget is not None:
        prob = (1.0 if budget >= mean else 0.0) if sd == 0 else _N.cdf((budget - mean) / sd)
        p = Decimal(repr(prob)).quantize(Decimal("0.000001"), rounding=ROUND_FLOOR)
    return PeriodRisk("normal", mean, _ceil(sd), (qs[0], qs[1], qs[2]), p, Decimal(rho))


def draws_of(tasks: Sequence[TaskCosts], rho: float, draws: int, seed: int) -> np.ndarray:
    """The Monte Carlo draws of ``S`` (the module docstring's order), pico-dollars."""
    rng = np.random.default_rng(seed)
    cdf = np.vectorize(_N.cdf, otypes=[float])
    z0 = rng.standard_normal(draws)
    total = np.zeros(draws)
    noise = np.zeros(draws)
    for t in tasks:
        z = math.sqrt(rho) * z0 + math.sqrt(1 - rho) * rng.standard_normal(draws)
        if t.spread.kind == "fixed":
            r = np.ones(draws)
        elif t.spread.kind == "two_piece":
            r = t.spread.ppf(np.clip(cdf(z), 1e-16, 1 - 1e-16))
        else:
            r = 1 + t.spread.sd * z
        r = np.maximum(r, 0.0)
        e = math.sqrt(float(t.mean_error_var)) * rng.standard_normal(draws)
        total += r * (t.planned_pusd + e)
        noise += r * t.noise_var
    result: np.ndarray = total + np.sqrt(noise) * rng.standard_normal(draws)
    return result


def _monte_carlo(
    tasks: Sequence[TaskCosts], rho: float, budget: int | None, draws: int, seed: int
) -> PeriodRisk:
    s = np.sort(draws_of(tasks, rho, draws, seed))
    qs = [_ceil(float(s[math.ceil(p * draws) - 1])) for p in QUANTILES]
    p = None
    if budget is not None:
        p = Decimal(int(np.searchsorted(s, budget, side="right"))) / Decimal(draws)
    return PeriodRisk(
        "monte_carlo", sum(t.planned_pusd for t in tasks), _ceil(math.sqrt(variance(tasks, rho))),
        (qs[0], qs[1], qs[2]), p, Decimal(rho), draws, seed,
    )  # fmt: skip


def period_risk(
    tasks: Sequence[TaskCosts],
    *,
    rho: Decimal = Decimal(0),
    budget_pusd: int | None = None,
    draws: int = DEFAULT_DRAWS,
    seed: int = DEFAULT_SEED,
) -> PeriodRisk:
    """The distribution of the period total (normal when every volume is symmetric)."""
    r = float(rho)
    if all(t.spread.symmetric for t in tasks):
        out = _normal(tasks, r, budget_pusd)
    else:
        out = _monte_carlo(tasks, r, budget_pusd, draws, seed)
    return PeriodRisk(
        out.method, out.mean_pusd, out.sd_pusd, out.quantiles_pusd, out.p_within_budget,
        rho, out.draws, out.seed,
    )  # fmt: skip
