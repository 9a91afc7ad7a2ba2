"""Provider share caps of the class-level optimiser: a cap of 0 is a cap, not "no cap"."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from costplan.api import load_inputs, optimize
from costplan.errors import InfeasibleError, InputError

DATA = Path(__file__).parent / "data"


@pytest.fixture
def basic(tmp_path: Path) -> Path:
    dest = tmp_path / "basic"
    shutil.copytree(DATA / "basic", dest)
    return dest / "workload.yaml"


@pytest.mark.parametrize(
    "caps", ["{openai: 0}", "{openai: 0, '*': 1}", "{'*': 0.5, openai: 0, anthropic: 1}"]
)
def test_a_cap_of_zero_forbids_spend_with_the_provider(basic: Path, caps: str) -> None:
    # Every query on big (anthropic): a: 100,000 x $0.000829 = $82.90 and
    # b: 20,000 x $0.0138 = $276.00 (tests/test_explain.py) -> $358.90 <= $500.
    basic.write_text(basic.read_text() + f"constraints:\n  max_provider_share: {caps}\n")
    plan = optimize(load_inputs(basic), budget_usd=Decimal(500), explain=False)
    used = {a.provider for t in plan.tasks for a in t.allocations if a.count}
    assert used == {"anthropic"}
    assert plan.cost_pusd == 358_900_000_000_000
    assert plan.status == "optimal"


def test_share_caps_with_more_than_9_decimals_are_refused(basic: Path) -> None:
    basic.write_text(
        basic.read_text() + "constraints:\n  max_provider_share: {openai: 0.1234567891}\n"
    )
    with pytest.raises(InputError, match=r"max_provider_share\.openai"):
        load_inputs(basic)


def test_a_cap_of_zero_with_a_wildcard_that_leaves_no_room_is_infeasible(basic: Path) -> None:
    # openai may spend nothing and anthropic at most 90%: no plan has any spend at all.
    basic.write_text(
        basic.read_text() + "constraints:\n  max_provider_share: {'*': 0.9, openai: 0}\n"
    )
    with pytest.raises(InfeasibleError):
        optimize(load_inputs(basic), budget_usd=Decimal(500), explain=False)
