"""Today vs plan on a small hand-made workload (no traffic): prices by hand."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from costplan.api import load_inputs, optimize
from costplan.errors import InputError
from costplan.planio import read_plan, write_plan
from costplan.workload.current import today_counts

BASIC = Path(__file__).resolve().parents[1] / "data" / "basic"

# basic prices: small 0.15 in / 0.6 out; big 3 in / 15 out (USD per million tokens)
WORKLOAD = """
name: today
objective: min_cost
prices: prices.yaml
tasks:
  - name: t
    volume: 7
    prompt: {tokens: 1000}
    output_tokens: 100
    min_quality: 0.7
quality:
  t: {small: 0.7}
current:
  t: {big: 0.5, small: 0.5}
"""


def _table(tmp_path: Path, text: str = WORKLOAD):  # type: ignore[no-untyped-def]
    shutil.copy(BASIC / "prices.yaml", tmp_path / "prices.yaml")
    (tmp_path / "w.yaml").write_text(text)
    return load_inputs(tmp_path / "w.yaml")


def test_today_counts_largest_remainder() -> None:
    from decimal import Decimal

    # 7 x 0.5 = 3.5 each: floors 3 + 3, one left, tie broken by name: 'big' first
    assert today_counts(7, {"small": Decimal("0.5"), "big": Decimal("0.5")}) == {
        "small": 3,
        "big": 4,
    }
    # 10 x (0.333333, 0.333333, 0.333334) = 3.33333, 3.33333, 3.33334 -> the last gets the 1
    shares = {"a": Decimal("0.333333"), "b": Decimal("0.333333"), "c": Decimal("0.333334")}
    assert today_counts(10, shares) == {"a": 3, "b": 3, "c": 4}


def test_unscored_model_is_priced_quality_unknown(tmp_path: Path) -> None:
    plan = optimize(_table(tmp_path), explain=False)
    assert plan.today is not None
    (t,) = plan.today.tasks
    # today: big 4 (unscored here), small 3.
    # big per query 1000 x 3 + 100 x 15 = 4500 micro-USD; small 150 + 60 = 210
    assert dict(t.counts) == {"big": 4, "small": 3}
    assert t.cost_pusd == (4 * 4500 + 3 * 210) * 10**6
    assert t.quality_micro_total is None  # big has no score for t
    assert t.plan_cost_pusd == 7 * 210 * 10**6  # the plan: all on small
    # the plan file keeps it
    out = tmp_path / "plan.yaml"
    write_plan(plan, out)
    assert read_plan(out).today == plan.today


def test_model_run_today_must_be_priced(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"current.t.huge: a model run today is not in"):
        optimize(_table(tmp_path, WORKLOAD.replace("big: 0.5", "huge: 0.5")), explain=False)


def test_no_current_no_today(tmp_path: Path) -> None:
    text = WORKLOAD.replace("current:\n  t: {big: 0.5, small: 0.5}\n", "")
    assert optimize(_table(tmp_path, text), explain=False).today is None
