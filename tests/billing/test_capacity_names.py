"""Capacity is per underlying sheet model: its variants (``big@high``) and aliases share it.

Figures by hand: big costs 1000 x $2/M + 250 x $8/M = $0.004 per query, small $0.00125."""

from __future__ import annotations

from pathlib import Path

import pytest

from costplan.api import load_inputs, optimize
from costplan.plan import plan_to_dict
from costplan.verify import Sources, check_document

PRICES = """\
currency: USD
models:
  big:
    provider: openai
    input_usd_per_mtok: 2
    output_usd_per_mtok: 8
    aliases: [big-2026-01-01]
    limits: {requests_per_minute: 5}
  small:
    provider: anthropic
    input_usd_per_mtok: 1
    output_usd_per_mtok: 1
"""

WORKLOAD = """\
name: caps
objective: max_quality
budget_usd: 100000
prices: prices.yaml
tasks:
  - name: t
    volume: 1000000
    prompt: {tokens: 1000}
    output_tokens: 250
quality:
  t: {big@high: 0.9, big-2026-01-01: 0.85, small: 0.8}
constraints:
  capacity: {CAPKEY: {requests: 300000}}
"""


@pytest.mark.parametrize("key", ["big", "big@high", "big-2026-01-01"])
def test_capacity_binds_every_name_of_one_model(tmp_path: Path, key: str) -> None:
    # However the capacity is keyed, big@high and big-2026-01-01 are both big: together at
    # most 300,000 requests. The budget does not bind ($4,000 at most), so the best plan puts
    # 300,000 on big@high (0.9) and 700,000 on small (0.8):
    #   quality 0.9 x 300,000 + 0.8 x 700,000 = 270,000 + 560,000 = 830,000
    # (per name, the old rule: 1,000,000 on big@high, quality 900,000).
    (tmp_path / "prices.yaml").write_text(PRICES)
    path = tmp_path / "w.yaml"
    path.write_text(WORKLOAD.replace("CAPKEY", key))
    plan = optimize(load_inputs(path))
    counts = {a.model: a.count for a in plan.tasks[0].allocations}
    assert counts == {"big@high": 300_000, "small": 700_000}
    assert plan.quality_micro_total == 830_000 * 10**6
    doc = plan_to_dict(plan)
    assert check_document(doc, Sources(workload=path)) == []
    # the checker, too, counts both names against big's capacity
    doc["tasks"][0]["allocations"] = [
        {**a, "count": 150_000 if a["model"] == "big@high" else a["count"]}
        for a in doc["tasks"][0]["allocations"]
    ] + [{**doc["tasks"][0]["allocations"][0], "model": "big-2026-01-01", "count": 150_001,
          "quality": "0.85"}]  # fmt: skip
    found = [str(v) for v in check_document(doc, Sources(workload=path))]
    assert any("above its capacity 300,000" in v for v in found), found


def test_rate_limits_are_per_model_not_per_name(tmp_path: Path) -> None:
    # use_rate_limits: big's 5 requests/minute x 43,200 minutes = 216,000 requests per month,
    # shared by big@high and big-2026-01-01: 216,000 on big@high, 784,000 on small:
    #   0.9 x 216,000 + 0.8 x 784,000 = 194,400 + 627,200 = 821,600
    (tmp_path / "prices.yaml").write_text(PRICES)
    path = tmp_path / "w.yaml"
    path.write_text(WORKLOAD.replace("  capacity: {CAPKEY: {requests: 300000}}",
                                     "  use_rate_limits: true"))  # fmt: skip
    plan = optimize(load_inputs(path))
    counts = {a.model: a.count for a in plan.tasks[0].allocations}
    assert counts == {"big@high": 216_000, "small": 784_000}
    assert plan.quality_micro_total == 821_600 * 10**6
