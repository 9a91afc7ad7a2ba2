from __future__ import annotations

from pathlib import Path

import pytest

from costplan.api import load_inputs, optimize
from costplan.errors import InputError
from costplan.planio import dump_plan, read_plan, write_plan

DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_plan_round_trips_byte_for_byte(tmp_path: Path, suffix: str) -> None:
    plan = optimize(load_inputs(DATA / "basic" / "workload.yaml"))
    out = tmp_path / f"plan{suffix}"
    write_plan(plan, out)
    again = read_plan(out)
    assert again.cost_pusd == plan.cost_pusd
    assert again.quality_micro_total == plan.quality_micro_total
    assert dump_plan(again, suffix[1:]) == out.read_text()


def test_plan_with_counts_not_summing_to_volume_is_rejected(tmp_path: Path) -> None:
    plan = optimize(load_inputs(DATA / "basic" / "workload.yaml"))
    out = tmp_path / "plan.yaml"
    write_plan(plan, out)
    out.write_text(out.read_text().replace("count: 100000", "count: 99999", 1))
    with pytest.raises(InputError, match=r"allocation counts sum to 99999, not the task volume"):
        read_plan(out)
