"""Options within noise, the cheapest tied plan, stability over redraws (hand-derived)."""

from __future__ import annotations

from costplan.api import load_inputs, optimize
from costplan.risk.noise import noise_notes, stability, within_noise
from tests.risk.conftest import Make


def test_within_noise_and_cheapest_tied(make: Make) -> None:
    # m (10 micro-dollars) 0.90 n 100: se = sqrt(.9 x .1 / 100) = 0.03; m2 (20) 0.95
    # stderr 0.01. Difference 0.05 <= 1.96 sqrt(0.03^2 + 0.01^2) = 0.0620: m is within
    # noise, and the cheapest tied plan is all on m: 1000 x 10 micro-dollars = $0.01,
    # against $0.02 for the best-quality plan. With n = 400 (se 0.015) the bound is
    # 1.96 x sqrt(0.015^2 + 0.01^2) = 0.0353 < 0.05: not within noise.
    path = make(
        "  - {name: t, volume: 1000, prompt: {tokens: 10}, output_tokens: 0}\n",
        "  t:\n    m: {score: 0.90, n: 100}\n    m2: {score: 0.95, stderr: 0.01}\n",
        extra="budget_usd: 1\n",
    )
    table = load_inputs(path)
    (row,) = within_noise(table)
    assert row.best == "m2"
    assert set(row.tied) == {"m", "m2"}
    assert row.cheapest_tied == "m"
    assert row.cheapest_tied_cost_pusd == 1000 * 10 * 10**6
    assert row.best_cost_pusd == 1000 * 20 * 10**6
    lines = noise_notes(table, optimize(table))
    assert "within noise of m2 on 't' (z 1.96): m" in lines[0]
    assert "$0.01; the best-quality plan costs $0.02" in lines[1]
    tight = make(
        "  - {name: t, volume: 1000, prompt: {tokens: 10}, output_tokens: 0}\n",
        "  t:\n    m: {score: 0.90, n: 400}\n    m2: {score: 0.95, stderr: 0.01}\n",
        extra="budget_usd: 1\n",
    )
    (row,) = within_noise(load_inputs(tight))
    assert row.tied == ("m2",)


def test_stability_is_certain_without_errors_and_seeded_with_them(make: Make) -> None:
    # No stated errors: every redraw is the workload itself, so each task keeps its
    # choice in all k redraws. With wide errors on two close scores the share is below
    # 1 and the same for the same seed.
    exact = make(
        "  - {name: t, volume: 100, prompt: {tokens: 10}, output_tokens: 0}\n",
        "  t: {m: 0.90, m2: 0.95}\n",
        extra="budget_usd: 1\n",
    )
    table = load_inputs(exact)
    assert stability(table, optimize(table, objective="max_quality"), k=4) == {"t": 1}
    noisy = make(
        "  - {name: t, volume: 100, prompt: {tokens: 10}, output_tokens: 0}\n",
        "  t:\n    m: {score: 0.90, stderr: 0.1}\n    m2: {score: 0.91, stderr: 0.1}\n",
        extra="budget_usd: 1\n",
    )
    table = load_inputs(noisy)
    plan = optimize(table, objective="max_quality")
    first = stability(table, plan, k=10, seed=3)
    assert first == stability(table, plan, k=10, seed=3)
    assert 0 < first["t"] < 1
