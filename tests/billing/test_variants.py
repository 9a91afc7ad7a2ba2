"""Model variants as options: ``BASE@LEVEL`` priced from BASE's sheet entry, with its
own quality and token profile; the exact solver chooses among them.

Expected figures are derived by hand below (and the mix by brute force)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from costplan.api import load_inputs, optimize
from tests.cli.conftest import Runner

PRICES = """\
currency: USD
models:
  gpt-5:
    provider: openai
    input_usd_per_mtok: 1.25
    output_usd_per_mtok: 10
"""

WORKLOAD = """\
name: variants
objective: min_cost
prices: prices.yaml
tasks:
  - name: t
    volume: 1000
    prompt: {tokens: 1000}
    output_tokens: 100
    min_quality: 0.9
    profiles:
      gpt-5@low: {reasoning_tokens: 200}
      gpt-5@high: {reasoning_tokens: 4000}
quality:
  t: {gpt-5@low: 0.8, gpt-5@high: 0.95}
"""

# Per query, reasoning billed at the output rate (the sheet has no reasoning rate):
#   low:  1000 x 1.25 + (100 + 200) x 10  =  1,250 + 3,000  =  4,250 micro-USD
#   high: 1000 x 1.25 + (100 + 4000) x 10 =  1,250 + 41,000 = 42,250 micro-USD
LOW_PUSD = 4_250 * 10**6
HIGH_PUSD = 42_250 * 10**6


def _write(tmp: Path) -> Path:
    (tmp / "prices.yaml").write_text(PRICES)
    w = tmp / "workload.yaml"
    w.write_text(WORKLOAD)
    return w


def test_each_variant_is_priced_from_the_base_entry_with_its_own_tokens(tmp_path: Path) -> None:
    table = load_inputs(_write(tmp_path))
    cost = {o.model: o.cost_pusd for o in table.options}
    assert cost == {"gpt-5@low": LOW_PUSD, "gpt-5@high": HIGH_PUSD}
    assert {o.provider for o in table.options} == {"openai"}


def _brute_force() -> tuple[int, int]:
    """(queries on high, total pusd) of the cheapest split meeting the mean floor 0.9."""
    best: tuple[int, int] | None = None
    for high in range(1001):
        quality = Fraction(95, 100) * high + Fraction(8, 10) * (1000 - high)
        if quality < Fraction(9, 10) * 1000:
            continue
        total = high * HIGH_PUSD + (1000 - high) * LOW_PUSD
        if best is None or total < best[1]:
            best = (high, total)
    assert best is not None
    return best


def test_the_solver_chooses_the_cheapest_mix_of_variants(tmp_path: Path) -> None:
    # 0.95 h + 0.8 (1000 - h) >= 900  <=>  h >= 666.67  ->  h = 667:
    # 667 x $0.04225 + 333 x $0.00425 = $28.18075 + $1.41525 = $29.596
    assert _brute_force() == (667, 29_596 * 10**9)
    plan = optimize(load_inputs(_write(tmp_path)), explain=False)
    counts = {a.model: a.count for t in plan.tasks for a in t.allocations}
    assert counts == {"gpt-5@high": 667, "gpt-5@low": 333}
    assert plan.cost_pusd == 29_596 * 10**9


def test_a_variant_plan_passes_the_independent_checker(tmp_path: Path, run: Runner) -> None:
    out = tmp_path / "plan.yaml"
    r = run("optimize", _write(tmp_path), "-o", out, "-q")
    assert r.code == 0, r.err
    r = run("verify", out)
    assert r.code == 0, r.out + r.err


def test_estimate_compares_the_variants(tmp_path: Path, run: Runner) -> None:
    r = run("estimate", _write(tmp_path))
    assert r.code == 0, r.err
    assert "gpt-5@low" in r.out
    assert "gpt-5@high" in r.out


def test_an_unknown_base_is_still_an_unknown_model(tmp_path: Path, run: Runner) -> None:
    w = _write(tmp_path)
    w.write_text(WORKLOAD.replace("gpt-5@low", "gpt-9@low"))
    r = run("estimate", w)
    assert r.code == 2
    assert "unknown model in the quality table" in r.err
    assert "gpt-9@low" in r.err
