"""The period-cost distribution against closed forms derived by hand (README "Uncertainty").

Prices (conftest): a query of ``u`` prompt tokens costs ``u`` micro-dollars, nothing else.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest

from costplan.api import load_inputs, optimize
from costplan.risk.moments import ceil_sqrt, plug_in_variance
from costplan.risk.volume import fit_two_piece
from tests.risk.conftest import Make

Z = NormalDist().inv_cdf
PUSD = 10**12


def poisson_ppf(p: float, lam: int) -> int:
    """Least k with P(Poisson(lam) <= k) >= p, by summing the pmf (log-space terms)."""
    total, k = 0.0, 0
    while True:
        total += math.exp(k * math.log(lam) - lam - math.lgamma(k + 1))
        if total >= p:
            return k
        k += 1


def _plan(path: Path, budget: str | None = None):  # type: ignore[no-untyped-def]
    inputs = load_inputs(path)
    from decimal import Decimal

    return optimize(inputs, budget_usd=None if budget is None else Decimal(budget))


def test_constant_lengths_normal_volume_quantiles_are_the_volume_quantiles(make: Make) -> None:
    # 1000 tokens per query at $1/Mtok: c = $0.001 exactly. Volume Normal(1e6, sd) with
    # p05 = 900,000, p95 = 1,100,000: the cost is c * N, so its quantiles are c times the
    # volume's: P50 = $1,000, P95 = c * p95 = $1,100, P99 = c * (1e6 + z99 / z95 * 1e5).
    path = make(
        "  - {name: t, volume: {mean: 1000000, p05: 900000, p95: 1100000}, "
        "prompt: {tokens: 1000}, output_tokens: 0}\n",
        "  t: {m: 0.9}\n",
    )
    plan = _plan(path, budget="1100")
    r = plan.risk
    assert r is not None
    assert r.method == "normal"
    assert r.mean_pusd == 1000 * PUSD
    assert r.p50_pusd == 1000 * PUSD
    assert abs(r.p95_pusd - 1100 * PUSD) <= 1e-9 * 1100 * PUSD
    p99 = 0.001 * (1e6 + Z(0.99) / Z(0.95) * 1e5) * PUSD
    assert abs(r.p99_pusd - p99) <= 1e-9 * p99
    # the budget is the volume's 95th percentile priced: P(cost <= budget) = 0.95
    assert r.p_within_budget is not None
    assert abs(float(r.p_within_budget) - 0.95) < 2e-6


def test_constant_lengths_poisson_volume_is_within_one_query_of_the_exact_quantile(
    make: Make,
) -> None:
    # Poisson(10,000) volume, c = $0.001: normal approximation q_p = c (V + z_p sqrt V).
    # Exact Poisson quantiles (summed pmf) differ by the Cornish-Fisher term (z^2 - 1)/6 plus
    # the half-query of discreteness: under one query, i.e. under c.
    path = make(
        "  - {name: t, volume: {mean: 10000, distribution: poisson}, "
        "prompt: {tokens: 1000}, output_tokens: 0}\n",
        "  t: {m: 0.9}\n",
    )
    r = _plan(path).risk
    assert r is not None
    assert r.method == "normal"
    c = 0.001 * PUSD
    for p, q in zip((0.5, 0.95, 0.99), r.quantiles_pusd, strict=True):
        assert abs(q - c * (10000 + Z(p) * 100)) <= 1e-9 * q
        assert abs(q - c * poisson_ppf(p, 10000)) <= c


def test_known_sample_gives_the_bootstraps_mean_error(make: Make, tmp_path: Path) -> None:
    # Four prompt samples; each costs its o200k token count in micro-dollars. The ideal
    # bootstrap's variance of the mean is found here by enumerating all 4^4 resamples.
    texts = ["hello", "hello world again", "a much longer prompt about invoices " * 3,
             "x " * 40]  # fmt: skip
    folder = tmp_path / "s"
    folder.mkdir()
    for i, text in enumerate(texts):
        (folder / f"{i}.txt").write_text(text)
    # counted by the independent checker's own o200k reader (not costplan.tokens)
    from costplan.verify import tokens

    counts = tokens.count(texts, tokens.counter_for("o200k_base", "openai"))
    costs = [u * 10**6 for u in counts]  # pico-dollars per sample
    assert len(set(costs)) == 4
    means = [Fraction(sum(s), 4) for s in itertools.product(costs, repeat=4)]
    grand = sum(means, Fraction(0)) / len(means)
    boot_var = sum(((m - grand) ** 2 for m in means), Fraction(0)) / len(means)
    mean = Fraction(sum(costs), 4)
    v = sum(((c - mean) ** 2 for c in costs), Fraction(0)) / 4  # plug-in per-query variance
    assert boot_var == v / 4  # the closed form the module uses
    assert plug_in_variance(costs) == v

    path = make(
        "  - {name: t, volume: 1000, prompt: {samples: \"s/*.txt\"}, output_tokens: 0}\n",
        "  t: {m: 0.9}\n",
    )
    plan = _plan(path)
    (a,) = plan.tasks[0].allocations
    sd = a.cost_sd_per_query_pusd
    assert sd == math.ceil(math.sqrt(v))
    assert plan.tasks[0].samples == 4
    # fixed volume: Var = V sd^2 (queries) + V^2 sd^2 / n (the mean's bootstrap error)
    r = plan.risk
    assert r is not None
    want = math.sqrt(1000 * sd**2 + 1000**2 * sd**2 / 4)
    assert abs(r.sd_pusd - want) <= 1
    assert abs(r.p95_pusd - (r.mean_pusd + Z(0.95) * want)) <= 1e-9 * r.p95_pusd


@pytest.mark.parametrize(("rho", "combine"), [("0", "root"), ("1", "sum")])
def test_volume_correlation(make: Make, rho: str, combine: str) -> None:
    # Two tasks, constant costs C1 = $1,000 (1e6 x $0.001) and C2 = $4,000 (2e6 queries of
    # 2000 tokens x $1/Mtok... $0.002), cv 0.1 each: sd_t = 0.1 C_t = $100 and $400.
    # Independent: sqrt(100^2 + 400^2); perfectly correlated: 100 + 400.
    path = make(
        "  - {name: a, volume: {mean: 1000000, cv: 0.1}, prompt: {tokens: 1000}, "
        "output_tokens: 0}\n"
        "  - {name: b, volume: {mean: 2000000, cv: 0.1}, prompt: {tokens: 2000}, "
        "output_tokens: 0}\n",
        "  a: {m: 0.9}\n  b: {m: 0.9}\n",
        extra=f"volume_correlation: {rho}\n",
    )
    r = _plan(path).risk
    assert r is not None
    want = math.hypot(100, 400) if combine == "root" else 500.0
    assert abs(r.sd_pusd / PUSD - want) < 1e-6


def test_two_piece_volume_matches_its_mean_and_quantiles() -> None:
    # Independent of the fit's own formulas: integrate the density numerically.
    s = fit_two_piece(140_000, 110_000, 180_000)
    assert s is not None
    x = np.linspace(s.mode - 12 * s.s1, s.mode + 12 * s.s2, 2_000_001)
    sig = np.where(x < s.mode, s.s1, s.s2)
    norm = 2 / (math.sqrt(2 * math.pi) * (s.s1 + s.s2))
    dens = norm * np.exp(-((x - s.mode) ** 2) / (2 * sig**2))
    dx = x[1] - x[0]
    assert abs(float((dens * dx).sum()) - 1) < 1e-6
    assert abs(float((x * dens * dx).sum()) - 1) < 1e-6  # mean: R = N / V has mean 1
    cdf = np.cumsum(dens) * dx
    assert abs(float(np.interp(0.05, cdf, x)) * 140_000 - 110_000) < 5
    assert abs(float(np.interp(0.95, cdf, x)) * 140_000 - 180_000) < 5
    var = float(((x - 1) ** 2 * dens * dx).sum())
    assert abs(var - s.variance) < 1e-6 * s.variance


def test_skewed_volume_monte_carlo_is_deterministic_and_hits_the_quantiles(make: Make) -> None:
    # Constant cost c = $0.001; volume mean 140,000 with p05 110,000 and p95 180,000
    # (skewed): Monte Carlo. The cost's 5%/95% points are c x the volume's, so
    # P(cost <= c x 180,000 = $180) = 0.95 within Monte Carlo error (sd sqrt(.95 .05 / D)).
    path = make(
        "  - {name: t, volume: {mean: 140000, p05: 110000, p95: 180000}, "
        "prompt: {tokens: 1000}, output_tokens: 0}\n",
        "  t: {m: 0.9}\n",
    )
    first, second = _plan(path, budget="180").risk, _plan(path, budget="180").risk
    assert first == second  # same seed, same bytes
    assert first is not None
    assert first.method == "monte_carlo"
    assert first.draws == 100_000
    se = math.sqrt(0.95 * 0.05 / first.draws)
    assert first.p_within_budget is not None
    assert abs(float(first.p_within_budget) - 0.95) < 4 * se
    assert first.mean_pusd == 140 * PUSD


def test_ceil_sqrt_is_the_least_root() -> None:
    for x in [Fraction(0), Fraction(1), Fraction(2), Fraction(10**30 + 1), Fraction(7, 3)]:
        s = ceil_sqrt(x)
        assert s * s >= x
        assert (s == 0 or (s - 1) ** 2 < x)
