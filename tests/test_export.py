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
    by_task: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for d in config["model_list"]:
        by_task.setdefault(d["model_name"], []).append(d)
    assert set(by_task) == {t.name for t in plan.tasks if t.volume}
    for t in plan.tasks:
        deployments = by_task[t.name]
        assert len(deployments) == len(t.allocations)
        weights = [Decimal(str(d["litellm_params"]["weight"])) for d in deployments]
        assert sum(weights, Decimal(0)) == 1  # exactly, per task
        for a, d, w in zip(t.allocations, deployments, weights, strict=True):
            assert isinstance(d["litellm_params"]["weight"], float)
            assert abs(w - Decimal(a.count) / t.volume) < Decimal("0.000001")
            assert Decimal(d["model_info"]["costplan_share"]) == w
            assert d["model_info"]["costplan_count"] == a.count
            assert d["model_info"]["costplan_serving_mode"] == a.mode


def test_litellm_config_is_valid_yaml_with_plan_shares(solved: Plan) -> None:
    text = to_litellm(solved)
    config = yaml.safe_load(text)
    assert list(config) == ["model_list", "router_settings"]
    assert config["router_settings"] == {"routing_strategy": "simple-shuffle"}
    _check_weights(solved, config)
    models = {d["litellm_params"]["model"] for d in config["model_list"]}
    assert models <= {"openai/small", "anthropic/big"}


def test_litellm_names_batch_cascade_and_providers() -> None:
    plan = hostile_plan()
    text = to_litellm(plan)
    config = yaml.safe_load(text)
    _check_weights(plan, config)
    entries = [(d["model_name"], d["litellm_params"]["model"]) for d in config["model_list"]]
    assert entries == [
        (TASK_1, "openai/m|1"),
        (TASK_1, "gemini/big*"),  # google -> LiteLLM's gemini/ prefix
        (TASK_2, "openai/m|1"),
        (TASK_2, "gemini/big*"),
        (TASK_2, "anthropic/<b>c</b>"),
        (TASK_3, "openai/m|1"),
        (TASK_3, "openai/m|1"),  # the cascade's first step
    ]
    weights = [d["litellm_params"]["weight"] for d in config["model_list"]]
    assert weights == [0.333333, 0.666667, 0.333334, 0.333333, 0.333333, 0.428571, 0.571429]
    batch = config["model_list"][2]
    assert batch["model_info"]["costplan_serving_mode"] == "batch"
    assert "batch API" in batch["model_info"]["costplan_note"]
    cascade = config["model_list"][6]["model_info"]
    assert cascade["costplan_cascade"] == "mini-then-big: m|1 -> big* (escalating 20%)"
    # A person reading the file sees the batch and cascade caveats right above the entries.
    lines = text.splitlines()
    i = lines.index(f"- model_name: {TASK_2}")
    assert lines[i - 2].startswith("# batch: m|1 (batch) for '$x$ & _y_ *z*' is priced for")
    assert lines[i - 1].startswith("#   submit these queries as batch jobs")
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
