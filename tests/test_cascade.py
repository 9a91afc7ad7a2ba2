"""Cascades (FrugalGPT): priced like single models, and chosen when they win."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from costplan.api import load_inputs, optimize
from costplan.errors import InputError

EXAMPLE = Path(__file__).parent.parent / "examples" / "cascade" / "workload.yaml"


def test_cascade_cost_is_reach_weighted_sum_of_step_costs() -> None:
    table = load_inputs(EXAMPLE)
    by_name = {o.model: o for o in table.for_task("support-answer")}
    mini, big, cascade = by_name["gpt-4.1-mini"], by_name["gpt-4.1"], by_name["mini-then-4.1"]
    assert mini.cost_pusd == 1_240_000_000  # 1800 x 0.4 + 1200 x 0.1 + 250 x 1.6 per Mtok
    assert big.cost_pusd == 6_200_000_000  # 1800 x 2 + 1200 x 0.5 + 250 x 8 = 6,200 micro-$
    # 1,240 + 0.22 x 6,200 = 1,240 + 1,364 = 2,604 micro-dollars a query
    assert cascade.cost_pusd == 2_604_000_000
    assert cascade.cost_pusd == mini.cost_pusd + big.cost_pusd * 22 // 100
    assert cascade.kind == "cascade"
    assert [c.reach for c in cascade.components] == [Decimal(1), Decimal("0.22")]


def test_cascade_beats_every_single_model_at_equal_quality() -> None:
    table = load_inputs(EXAMPLE)
    plan = optimize(table)
    (task,) = plan.tasks
    (alloc,) = task.allocations
    assert alloc.kind == "cascade"
    assert alloc.model == "mini-then-4.1"
    assert plan.cost_pusd == 1_302 * 10**12  # 500,000 x $0.002604 = $1,302
    singles = [o for o in table.for_task("support-answer") if o.kind == "model"]
    assert all(o.cost_pusd * 500_000 > plan.cost_pusd for o in singles if o.quality >= 0.92)
    assert any("cascade mini-then-4.1" in n and "58% cheaper" in n for n in plan.notes)


def test_capacity_counts_cascade_steps_by_reach(tmp_path: Path) -> None:
    # gpt-4.1 may serve 100,000 requests: the cascade sends it 22% of its queries,
    # so the cascade can serve at most 454,545 of the 500,000 queries.
    text = EXAMPLE.read_text().replace(
        "prices: prices.yaml", f"prices: {EXAMPLE.parent}/prices.yaml"
    )
    text += "constraints:\n  capacity: {gpt-4.1: {requests: 100000}}\n"
    wl = tmp_path / "w.yaml"
    wl.write_text(text.replace("min_quality: 0.92", "min_quality: 0.9"))
    plan = optimize(load_inputs(wl))
    counts = {a.model: a.count for a in plan.tasks[0].allocations}
    big_requests = Decimal(counts.get("mini-then-4.1", 0)) * Decimal("0.22") + counts.get(
        "gpt-4.1", 0
    )
    assert big_requests <= 100_000
    assert counts["mini-then-4.1"] > 0


def test_cascade_with_unknown_step_is_located(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace(
        "prices: prices.yaml", f"prices: {EXAMPLE.parent}/prices.yaml"
    )
    wl = tmp_path / "w.yaml"
    wl.write_text(text.replace("steps: [gpt-4.1-mini, gpt-4.1]", "steps: [gpt-4.1-mini, gpt-4.2]"))
    with pytest.raises(InputError) as err:
        load_inputs(wl)
    assert "tasks[0].cascades[0].steps[1]: unknown model in a cascade" in str(err.value)
    assert "did you mean 'gpt-4.1'?" in str(err.value)


def test_cascade_rate_count_must_match_steps(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace("escalate: 0.22", "escalate: [0.22, 0.1]")
    wl = tmp_path / "w.yaml"
    wl.write_text(text)
    with pytest.raises(
        InputError, match=r"'escalate' needs 1 rate\(s\), one per step after the first"
    ):
        load_inputs(wl)
