"""Export: LiteLLM proxy config (routing weights = plan shares) and exact CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from costplan.api import load_inputs, optimize
from costplan.errors import InputError
from costplan.export import CSV_COLUMNS, export_plan, to_csv, to_litellm
from costplan.money import PUSD_PER_USD
from costplan.plan import Plan
from costplan.planio import read_plan, write_plan
from tests.report.plans import TASK_1, TASK_2, TASK_3, hostile_plan

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def solved() -> Plan:
    return optimize(load_inputs(DATA / "basic" / "workload.yaml"), budget_usd=Decimal(300))


def _check_weights(plan: Plan, config: dict) -> None:  # type: ignore[type-arg]
    """Each task's synchronous allocations form the group <task>, its batch ones the group
    batch:<task>; weights sum to exactly 1 per group, and each is the allocation's share
    of its group's queries (within the 6-decimal rounding)."""
    by_group: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for d in config["model_list"]:
        by_group.setdefault(d["model_name"], []).append(d)
    expected = {}
    for t in plan.tasks:
        for batch in (False, True):
            mine = [a for a in t.allocations if a.count and (a.mode == "batch") == batch]
            if mine:
                expected["batch:" + t.name if batch else t.name] = (t, mine)
    assert set(by_group) == set(expected)
    for group, (t, allocs) in expected.items():
        deployments = by_group[group]
        assert len(deployments) == len(allocs)
        weights = [Decimal(str(d["litellm_params"]["weight"])) for d in deployments]
        assert sum(weights, Decimal(0)) == 1  # exactly, per group
        total = sum(a.count for a in allocs)
        for a, d, w in zip(allocs, deployments, weights, strict=True):
            assert isinstance(d["litellm_params"]["weight"], float)
            assert abs(w - Decimal(a.count) / total) < Decimal("0.000001")
            share = Decimal(d["model_info"]["costplan_share"])
            assert abs(share - Decimal(a.count) / t.volume) < Decimal("0.000001")
            assert d["model_info"]["costplan_count"] == a.count
            assert d["model_info"]["costplan_serving_mode"] == a.mode
            assert (a.mode == "batch") == group.startswith("batch:")


def test_litellm_config_is_valid_yaml_with_plan_shares(solved: Plan) -> None:
    text = to_litellm(solved)
    config = yaml.safe_load(text)
    assert list(config) == ["model_list", "router_settings"]
    assert config["router_settings"] == {"routing_strategy": "simple-shuffle"}
    _check_weights(solved, config)
    models = {d["litellm_params"]["model"] for d in config["model_list"]}
    assert models <= {"openai/small", "anthropic/big"}
    assert "LITELLM_MASTER_KEY" in text  # the proxy refuses to start without one
    for d in config["model_list"]:
        provider = d["litellm_params"]["model"].split("/")[0].upper()
        assert d["litellm_params"]["api_key"] == f"os.environ/{provider}_API_KEY"


def test_litellm_names_batch_cascade_and_providers() -> None:
    plan = hostile_plan()
    text = to_litellm(plan)
    config = yaml.safe_load(text)
    _check_weights(plan, config)
    entries = [(d["model_name"], d["litellm_params"]["model"]) for d in config["model_list"]]
    assert entries == [
        (TASK_1, "openai/m|1"),
        (TASK_1, "vertex_ai/big*"),  # google, not a Gemini model: Vertex AI's model garden
        (TASK_2, "vertex_ai/big*"),
        (TASK_2, "anthropic/<b>c</b>"),
        (TASK_3, "openai/m|1"),
        (TASK_3, "openai/m|1"),  # the cascade's first step
        ("batch:" + TASK_2, "openai/m|1"),  # batch: its own group, after the traffic
    ]
    weights = [d["litellm_params"]["weight"] for d in config["model_list"]]
    # TASK_1 1:2 of 3; TASK_2's synchronous 5:5 of 10 (the batch 5 apart, alone: 1);
    # TASK_3 3:4 of 7 = 0.428571|4 and 0.571428|6 -> the larger remainder gets the unit.
    assert weights == [0.333333, 0.666667, 0.5, 0.5, 0.428571, 0.571429, 1.0]
    batch = config["model_list"][6]
    assert batch["model_info"]["costplan_serving_mode"] == "batch"
    assert batch["model_info"]["costplan_share"] == "0.333334"  # 5 of TASK_2's 15 (rounded)
    assert "batch API" in batch["model_info"]["costplan_note"]
    cascade = config["model_list"][5]["model_info"]
    assert cascade["costplan_cascade"] == "mini-then-big: m|1 -> big* (escalating 20%)"
    # A person reading the file sees the batch and cascade caveats right above the entries.
    lines = text.splitlines()
    i = lines.index(f"- model_name: batch:{TASK_2}")
    assert lines[i - 2].startswith("# batch: m|1 (batch) for '$x$ & _y_ *z*' is priced for")
    assert lines[i - 1].startswith("#   submit these queries as batch jobs")
    assert any(x.startswith("# Batch jobs: the queries below") for x in lines[:i])
    assert any(
        x.startswith("# cascade mini-then-big (m|1 -> big* (escalating 20%))") for x in lines
    )


def test_litellm_with_no_queries_is_still_valid() -> None:
    plan = hostile_plan()
    empty = hostile_plan(tasks=(plan.tasks[0].__class__("idle", 0, None, ()),))
    config = yaml.safe_load(to_litellm(empty))
    assert config["model_list"] == []
    assert "# task 'idle' has no queries in this plan" in to_litellm(empty)


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_round_trips_counts_and_costs_exactly(solved: Plan, tmp_path: Path) -> None:
    # Through a plan file, as `costplan export` does.
    path = tmp_path / "plan.yaml"
    write_plan(solved, path)
    plan = read_plan(path)
    text = to_csv(plan)
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    rows = _rows(text)
    allocs = [(t, a) for t in solved.tasks for a in t.allocations]
    assert len(rows) == len(allocs)
    for row, (t, a) in zip(rows, allocs, strict=True):
        assert (row["task"], row["model"], row["mode"]) == (t.name, a.model, a.mode)
        assert int(row["count"]) == a.count
        assert int(row["task_volume"]) == t.volume
        assert Decimal(row["cost_per_query_usd"]) * PUSD_PER_USD == a.cost_per_query_pusd
        assert Decimal(row["cost_usd"]) * PUSD_PER_USD == a.cost_pusd
        assert Decimal(row["cost_p95_usd"]) * PUSD_PER_USD == a.cost_p95_pusd
        assert Decimal(row["quality"]) == a.quality
    total = sum(Decimal(r["cost_usd"]) for r in rows) * PUSD_PER_USD
    assert total == solved.cost_pusd
    for t in solved.tasks:
        mine = [r for r in rows if r["task"] == t.name]
        assert sum(Decimal(r["share"]) for r in mine) == 1


def test_csv_defuses_spreadsheet_formulas() -> None:
    rows = _rows(to_csv(hostile_plan()))
    assert {r["task"] for r in rows} == {TASK_1, TASK_2, "'" + TASK_3}
    cascade = rows[-1]
    assert (cascade["kind"], cascade["detail"]) == ("cascade", "m|1 -> big* (escalating 20%)")
    assert cascade["cost_source"] == "tokens"


def test_unknown_target_is_an_input_error() -> None:
    with pytest.raises(InputError, match=r"--to must be one of litellm, csv \(got 'xml'\)"):
        export_plan(hostile_plan(), "xml")
    assert export_plan(hostile_plan(), "csv") == to_csv(hostile_plan())
