"""The risk figures in plan files: round trip, refused edits, the checker, bad input."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from costplan.api import load_inputs, optimize
from costplan.errors import InputError
from costplan.plan import plan_to_dict
from costplan.planio import dump_plan, read_plan, write_plan
from costplan.verify import Sources, check_document
from tests.risk.conftest import Make

SKEWED = (
    "  - {name: t, volume: {mean: 140000, p05: 110000, p95: 180000}, "
    "prompt: {tokens: 1000}, output_tokens: 0}\n"
    "  - {name: u, volume: {mean: 50000, cv: 0.2}, prompt: {tokens: 300}, output_tokens: 0}\n"
)
QUALITY = "  t: {m: 0.9, m2: 0.95}\n  u: {m: 0.9}\n"


@pytest.fixture
def workload(make: Make) -> Path:
    return make(SKEWED, QUALITY, extra="volume_correlation: 0.3\n")


def test_round_trip_keeps_the_risk_and_refuses_an_edit(workload: Path, tmp_path: Path) -> None:
    plan = optimize(load_inputs(workload))
    assert plan.risk is not None
    assert plan.risk.method == "monte_carlo"
    out = tmp_path / "plan.yaml"
    write_plan(plan, out)
    again = read_plan(out)
    assert again.risk == plan.risk
    assert [t.volume_spread for t in again.tasks] == [t.volume_spread for t in plan.tasks]
    assert dump_plan(again, "yaml") == out.read_text()
    p95 = f"'{plan_to_dict(plan)['risk']['p95_usd']}'"
    out.write_text(out.read_text().replace(f"p95_usd: {p95}", "p95_usd: '1.00'", 1))
    with pytest.raises(InputError, match=r"risk\.p95_usd"):
        read_plan(out)


def _tamper(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    bad = copy.deepcopy(doc)
    target = bad
    for k in path[:-1]:
        target = target[k]
    target[path[-1]] = value
    return bad


@pytest.mark.parametrize(
    ("path", "value", "where"),
    [
        (("risk", "p99_usd"), "99999", "risk.p99_usd"),
        (("risk", "p_within_budget"), "0.5", "risk.p_within_budget"),
        (("risk", "method"), "normal", "risk.method"),
        (("tasks", 0, "samples"), 7, "tasks[0].samples"),
        (("tasks", 1, "volume_spread", "sd"), 0.1, "tasks[1].volume_spread.sd"),
        (("tasks", 0, "allocations", 0, "cost_sd_per_query_usd"), "0.001",
         "tasks[0].allocations[0].cost_sd_per_query_usd"),
    ],
)
def test_checker_refuses_wrong_risk_figures(
    workload: Path, path: tuple[Any, ...], value: Any, where: str
) -> None:
    doc = plan_to_dict(optimize(load_inputs(workload), budget_usd=None))
    sources = Sources(workload=workload)
    assert check_document(doc, sources) == []
    found = [str(v) for v in check_document(_tamper(doc, path, value), sources)]
    assert any(where in v for v in found), found


@pytest.mark.parametrize(
    ("volume", "message"),
    [
        ("{mean: 100, p05: 120, p95: 150}", "p05 <= mean <= p95"),
        ("{mean: 100, p05: 99, p95: 200}", "too skewed"),
        ("{mean: 100, cv: 0.1, p05: 90, p95: 110}", "give one spread"),
        ("{mean: 100, p05: 90}", "both p05 and p95"),
    ],
)
def test_bad_volume_is_one_located_error(make: Make, volume: str, message: str) -> None:
    path = make(
        f"  - {{name: t, volume: {volume}, prompt: {{tokens: 10}}, output_tokens: 0}}\n",
        "  t: {m: 0.9}\n",
    )
    with pytest.raises(InputError) as info:
        load_inputs(path)
    text = str(info.value)
    assert message in text
    assert "tasks" in text
    assert "volume" in text
    assert "\n" not in text
