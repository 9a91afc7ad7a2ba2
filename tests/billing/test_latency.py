"""Latency: p50/p95 per (task, model or variant, mode), the task SLO, and the
three-way (cost, quality, latency) frontier checked against brute force.

Every expected figure is derived by hand in the test."""

from __future__ import annotations

import itertools
from pathlib import Path

from costplan.api import load_inputs, optimize
from costplan.latency_frontier import latency_frontier
from costplan.pricing.load import load_price_sheet
from tests.cli.conftest import Runner

PRICES = """\
currency: USD
models:
  fast:
    provider: openai
    input_usd_per_mtok: 1
    output_usd_per_mtok: 2
    latency_ms: {p50: 300, p95: 800}
  slow:
    provider: anthropic
    input_usd_per_mtok: 3
    output_usd_per_mtok: 15
    latency_ms: {p50: 1500, p95: 4000}
    batch: {discount: 0.5, latency_ms: {p50: 600000, p95: 3600000}}
  unmeasured:
    provider: openai
    input_usd_per_mtok: 0.1
    output_usd_per_mtok: 0.1
"""

WORKLOAD = """\
name: latency
objective: min_cost
prices: prices.yaml
tasks:
  - name: t
    volume: 100
    prompt: {tokens: 1000}
    output_tokens: 100
    min_quality: 0.8
    max_latency_p95_ms: 2000
    profiles:
      slow@quick: {latency_ms: {p50: 500, p95: 1200}}
quality:
  t: {fast: 0.7, slow: 0.95, slow@quick: 0.85, unmeasured: 0.99}
"""

# per query: fast 1000 x 1 + 100 x 2 = 1,200 micro-USD; slow (and slow@quick, same
# sheet entry) 1000 x 3 + 100 x 15 = 4,500 micro-USD
FAST, QUICK = 1_200 * 10**6, 4_500 * 10**6


def _write(tmp: Path, workload: str = WORKLOAD) -> Path:
    (tmp / "prices.yaml").write_text(PRICES)
    w = tmp / "workload.yaml"
    w.write_text(workload)
    return w


def test_options_over_the_slo_or_unmeasured_are_excluded_with_the_reason(tmp_path: Path) -> None:
    table = load_inputs(_write(tmp_path))
    why = {o.model: o.excluded for o in table.options}
    assert why["fast"] is None
    assert why["slow@quick"] is None  # its profile: p95 1,200 ms <= 2,000
    assert why["slow"] == "p95 latency 4,000 ms is above the task's SLO of 2,000 ms"
    assert why["unmeasured"] == "no p95 latency known for unmeasured; the task's SLO is 2,000 ms"
    lat = {o.model: o.latency for o in table.options}
    assert (lat["fast"].p50, lat["fast"].p95) == (300, 800)  # type: ignore[union-attr]
    assert (lat["slow@quick"].p50, lat["slow@quick"].p95) == (500, 1200)  # type: ignore[union-attr]


def test_the_plan_meets_the_floor_within_the_slo_and_says_what_it_excluded(
    tmp_path: Path,
) -> None:
    # 0.85 x + 0.7 (100 - x) >= 80  <=>  x >= 66.67 -> 67 on slow@quick, 33 on fast:
    # 67 x 4,500 + 33 x 1,200 = 301,500 + 39,600 = 341,100 micro-USD = $0.3411
    plan = optimize(load_inputs(_write(tmp_path)), explain=False)
    counts = {a.model: a.count for t in plan.tasks for a in t.allocations}
    assert counts == {"slow@quick": 67, "fast": 33}
    assert plan.cost_pusd == 67 * QUICK + 33 * FAST == 341_100 * 10**6
    (note,) = [n for n in plan.notes if "latency SLO" in n]
    assert note == (
        "t: the p95 latency SLO of 2,000 ms excludes slow: p95 latency 4,000 ms is above the "
        "task's SLO of 2,000 ms; unmeasured: no p95 latency known for unmeasured; the task's "
        "SLO is 2,000 ms"
    )


def test_the_checker_applies_the_same_slo(tmp_path: Path, run: Runner) -> None:
    out = tmp_path / "plan.yaml"
    assert run("optimize", _write(tmp_path), "-o", out, "-q").code == 0
    r = run("verify", out)
    assert r.code == 0, r.out + r.err


def test_sheet_latency_per_mode_loads(tmp_path: Path) -> None:
    _write(tmp_path)
    slow = load_price_sheet(tmp_path / "prices.yaml").models["slow"]
    assert slow.latency_ms["standard"].p95 == 4000
    assert slow.latency_ms["batch"].p95 == 3_600_000  # an hour


FRONTIER = """\
name: three-way
objective: max_quality
budget_usd: 1
prices: prices.yaml
tasks:
  - name: t
    volume: 3
    prompt: {tokens: 1000}
    output_tokens: 100
    profiles:
      slow@quick: {latency_ms: {p50: 500, p95: 1200}}
quality:
  t: {fast: 0.7, slow: 0.95, slow@quick: 0.85}
"""


def _brute_force() -> set[tuple[int, int, int]]:
    """Every (cost pusd, quality micro, p95 latency) of every split of 3 queries over
    fast / slow@quick / slow, then the non-dominated ones."""
    options = [(FAST, 700_000, 800), (QUICK, 850_000, 1200), (QUICK, 950_000, 4000)]
    plans = set()
    for counts in itertools.product(range(4), repeat=3):
        if sum(counts) != 3:
            continue
        cost = sum(n * o[0] for n, o in zip(counts, options, strict=True))
        quality = sum(n * o[1] for n, o in zip(counts, options, strict=True))
        latency = max(o[2] for n, o in zip(counts, options, strict=True) if n)
        plans.add((cost, quality, latency))

    def dominated(p: tuple[int, int, int]) -> bool:
        return any(q != p and q[0] <= p[0] and q[1] >= p[1] and q[2] <= p[2] for q in plans)

    return {p for p in plans if not dominated(p)}


def test_the_three_way_frontier_matches_brute_force(tmp_path: Path) -> None:
    pareto = _brute_force()
    # by hand: at 800 ms only fast: (3,600e6, 2.1e6); at 1,200 ms every mix of fast and
    # quick; at 4,000 ms slow adds quality 0.95 at the same price as quick, so any quick
    # is dominated by slow there and only mixes of fast and slow survive.
    assert (3 * FAST, 2_100_000, 800) in pareto
    assert (3 * QUICK, 2_850_000, 4000) in pareto
    assert (3 * QUICK, 2_550_000, 1200) in pareto
    points = latency_frontier(load_inputs(_write(tmp_path, FRONTIER)), points=10)
    found = {(p.cost_pusd, p.quality_micro_total, p.latency_p95_ms) for p in points}
    assert found == pareto
    for p in points:  # each point's plan is what it says
        assert p.plan.cost_pusd == p.cost_pusd
        assert p.plan.quality_micro_total == p.quality_micro_total


def test_frontier_latency_cli_writes_the_points(tmp_path: Path, run: Runner) -> None:
    out = tmp_path / "f.csv"
    r = run("frontier", _write(tmp_path, FRONTIER), "--latency", "-o", out)
    assert r.code == 0, r.err
    rows = out.read_text().splitlines()
    assert rows[0] == "latency_p95_ms,cost_usd,mean_quality,quality_queries"
    # the fastest plan: 3 queries on fast, 3 x $0.0012 = $0.0036, quality 0.7
    assert rows[1] == "800,0.0036,0.700000,2.1"
    assert len(rows) - 1 == len(_brute_force())
