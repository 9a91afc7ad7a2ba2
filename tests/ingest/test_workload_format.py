"""Workload additions: per-model profiles, quality with n/stderr, today's allocation, sidecar."""

from __future__ import annotations

import hashlib
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from costplan.api import load_inputs, optimize
from costplan.errors import InputError
from costplan.preflight import verify_plan
from costplan.workload.load import load_workload

BASIC = Path(__file__).resolve().parents[1] / "data" / "basic"

# prices (tests/data/basic/prices.yaml), USD per million tokens:
#   small: input 0.15, output 0.6 (reasoning at the output price)
#   big:   input 3,    output 15
WORKLOAD = """
name: profiles
budget_usd: 1000
prices: prices.yaml
tasks:
  - name: t
    volume: 1000
    prompt: {tokens: 1000}
    output_tokens: 100
    reasoning_tokens: 2500
    profiles:
      small: {output_tokens: {mean: 50, p95: 80}, reasoning_tokens: 0}
      big: {output_tokens: 120}
quality:
  t:
    small: {score: 0.7, n: 400}
    big: {score: 0.9, stderr: 0.01}
current:
  t: {big: 0.75, small: 0.25}
"""


def _write(tmp_path: Path, text: str) -> Path:
    shutil.copy(BASIC / "prices.yaml", tmp_path / "prices.yaml")
    p = tmp_path / "w.yaml"
    p.write_text(text)
    return p


def test_profiles_price_each_model_with_its_own_tokens(tmp_path: Path) -> None:
    table = load_inputs(_write(tmp_path, WORKLOAD))
    small = next(o for o in table.options if o.model == "small")
    big = next(o for o in table.options if o.model == "big")
    # small: 1000 x 0.15 + 50 x 0.6 + 0 reasoning = 180 micro-USD = 180e6 pico-USD
    assert small.cost_pusd == 180_000_000
    assert (small.output_tokens, small.output_tokens_p95, small.reasoning_tokens) == (50, 80, 0)
    # big: output from its profile (120), reasoning falls back to the task's 2500:
    # 1000 x 3 + 120 x 15 + 2500 x 15 = 3000 + 1800 + 37500 = 42300 micro-USD
    assert big.cost_pusd == 42_300_000_000
    assert big.reasoning_tokens == 2500


def test_plan_with_profiles_passes_the_independent_check(tmp_path: Path) -> None:
    table = load_inputs(_write(tmp_path, WORKLOAD))
    plan = optimize(table, explain=False)
    verify_plan(plan, table)  # raises on any cost the checker recomputes differently


def test_quality_stats_and_current(tmp_path: Path) -> None:
    w = load_workload(_write(tmp_path, WORKLOAD))
    assert w.quality["t"] == {"small": Decimal("0.7"), "big": Decimal("0.9")}
    assert w.quality_stats["t"]["small"].n == 400
    assert w.quality_stats["t"]["big"].stderr == Decimal("0.01")
    assert w.current == {"t": {"big": Decimal("0.75"), "small": Decimal("0.25")}}


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("t: {big: 0.75, small: 0.25}", "t: {big: 0.75, small: 0.2}", "sum to exactly 1"),
        ("t: {big: 0.75, small: 0.25}", "u: {big: 1}", "current allocation names an unknown task"),
        (
            "      big: {output_tokens: 120}",
            "      bigg: {output_tokens: 120}",
            "profile for a model",
        ),
        ("small: {score: 0.7, n: 400}", "small: {score: 0.7, n: 0}", "n"),
    ],
)
def test_bad_additions(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_workload(_write(tmp_path, WORKLOAD.replace(old, new)))


def test_sidecar_hash_is_checked(tmp_path: Path) -> None:
    side = tmp_path / "w.traffic.json"
    side.write_text("{}")
    digest = hashlib.sha256(b"{}").hexdigest()
    text = WORKLOAD + f"empirical: {{file: w.traffic.json, sha256: {digest}}}\n"
    assert load_workload(_write(tmp_path, text)).empirical == (side, digest)
    side.write_text("{ }")
    with pytest.raises(InputError, match="sha256 differs"):
        load_workload(_write(tmp_path, text))


def test_checker_refuses_a_plan_priced_without_the_profiles(tmp_path: Path) -> None:
    from costplan.errors import InternalError

    with_profiles = load_inputs(_write(tmp_path, WORKLOAD))
    a = tmp_path / "a"
    a.mkdir()
    no_profiles = WORKLOAD.replace(
        "      small: {output_tokens: {mean: 50, p95: 80}, reasoning_tokens: 0}\n", ""
    )
    # min_cost without floors puts every query on 'small', whose profile changes its cost
    plan = optimize(load_inputs(_write(a, no_profiles)), objective="min_cost", explain=False)
    assert {al.model for tp in plan.tasks for al in tp.allocations} == {"small"}
    with pytest.raises(InternalError, match="cost"):
        verify_plan(plan, with_profiles)
