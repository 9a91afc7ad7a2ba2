"""``--format json`` on every command that prints results, validated against its schema.

Each command is run in-process, its standard output parsed with ``json.loads`` and
validated against ``costplan schema output-<command>`` (itself checked as a 2020-12
schema). The figures asserted are the hand-derived ones of tests/basic_figures.py, written
out as the decimal strings a plan file holds (1 USD = 10**12 pico-dollars).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests import basic_figures as bf
from tests.cli.conftest import Runner, edit


def usd(pusd: int) -> str:
    """Independent of costplan.money: exact USD text of a pico-dollar amount."""
    text = f"{Decimal(pusd) / Decimal(bf.USD):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def validated(run: Runner, command: str, *args: str | Path, code: int = 0) -> Any:
    """Run ``costplan *args``, parse stdout, validate it against ``output-<command>``."""
    r = run(*args)
    assert r.code == code, r.err
    doc = json.loads(r.out)
    s = run("schema", f"output-{command}")
    assert s.code == 0, s.err
    schema = json.loads(s.out)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(doc)
    return doc


def test_usd_helper() -> None:
    assert usd(bf.ALL_BIG_PUSD) == "358.9"
    assert usd(bf.A_SMALL_PUSD) == "0.00003325"
    assert usd(bf.MIN_COST_PUSD) == "20.9855305"


def test_optimize_json_is_the_plan_with_hand_figures(run: Runner, basic: Path) -> None:
    doc = validated(run, "optimize", "optimize", basic / "workload.yaml", "--format", "json")
    # budget $500: everything on big, $82.90 + $276.00, mean quality 0.925
    assert doc["objective"] == "max_quality"
    assert doc["budget_usd"] == "500"
    assert doc["totals"]["cost_usd"] == usd(bf.ALL_BIG_PUSD) == "358.9"
    assert doc["totals"]["volume"] == bf.A_VOLUME + bf.B_VOLUME
    assert doc["totals"]["mean_quality"] == "0.925000"
    tasks = {t["name"]: t for t in doc["tasks"]}
    assert tasks["a"]["cost_usd"] == usd(bf.A_VOLUME * bf.A_BIG_PUSD) == "82.9"
    assert tasks["b"]["cost_usd"] == usd(bf.B_VOLUME * bf.B_BIG_PUSD) == "276"
    (a,) = tasks["a"]["allocations"]
    assert (a["model"], a["count"], a["cost_per_query_usd"]) == ("big", 100_000, "0.000829")
    (b,) = tasks["b"]["allocations"]
    assert (b["model"], b["count"], b["cost_per_query_usd"]) == ("big", 20_000, "0.0138")


def test_optimize_json_min_cost(run: Runner, basic: Path) -> None:
    doc = validated(
        run, "optimize", "optimize", basic / "workload.yaml", "--objective", "min_cost",
        "-f", "json",
    )  # fmt: skip
    assert doc["totals"]["cost_usd"] == usd(bf.MIN_COST_PUSD) == "20.9855305"
    a = {x["model"]: x["count"] for x in next(t for t in doc["tasks"] if t["name"] == "a")[
        "allocations"
    ]}  # fmt: skip
    assert a == {"big": bf.A_ON_BIG_AT_FLOOR, "small": bf.A_VOLUME - bf.A_ON_BIG_AT_FLOOR}


def test_optimize_json_and_plan_file_agree(run: Runner, basic: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    r = run("optimize", basic / "workload.yaml", "--format", "json", "-o", plan)
    assert r.code == 0, r.err
    assert json.loads(r.out) == json.loads(plan.read_text())
    assert r.err == f"plan written to {plan}\n"  # stdout carries only the document


def test_json_and_another_stdout_output_are_refused(run: Runner, basic: Path) -> None:
    r = run("optimize", basic / "workload.yaml", "--format", "json", "-o", "-")
    assert (r.code, r.out) == (2, "")
    assert r.err == "error: --out and --format json both write to standard output (-)\n"
    r = run("frontier", basic / "workload.yaml", "-o", "-", "--format", "json")
    assert (r.code, r.out) == (2, "")
    assert r.err == "error: --out and --format json both write to standard output (-)\n"


def test_estimate_json(run: Runner, basic: Path) -> None:
    doc = validated(run, "estimate", "estimate", basic / "workload.yaml", "--format", "json")
    got = {
        (t["name"], o["label"]): (o["cost_per_query_usd"], o["cost_per_period_usd"])
        for t in doc["tasks"]
        for o in t["options"]
    }
    assert got[("a", "small")] == (usd(bf.A_SMALL_PUSD), "3.325")
    assert got[("a", "big")] == (usd(bf.A_BIG_PUSD), "82.9")
    assert got[("b", "small")] == (usd(bf.B_SMALL_PUSD), "14.1")
    assert got[("b", "small (batch)")] == (usd(bf.B_SMALL_BATCH_PUSD), "7.05")
    assert got[("b", "big")] == (usd(bf.B_BIG_PUSD), "276")
    for t in doc["tasks"]:  # cheapest first
        costs = [Decimal(o["cost_per_query_usd"]) for o in t["options"]]
        assert costs == sorted(costs)


def test_frontier_json(run: Runner, basic: Path) -> None:
    doc = validated(
        run, "frontier", "frontier", basic / "workload.yaml", "-n", "3", "--format", "json",
        "--aiq-range", "0:400",
    )  # fmt: skip
    # the dearest plan is everything on big; the cheapest meets a's floor at least cost
    assert doc["max_cost_usd"] == usd(bf.ALL_BIG_PUSD)
    assert doc["min_cost_usd"] == usd(bf.MIN_COST_PUSD)
    costs = {p["cost_usd"] for p in doc["points"]}
    assert usd(bf.KNEE_PUSD) in costs  # the LP vertex: a on big, b on small (batch)
    knee = doc["points"][doc["knee"]]
    assert (knee["cost_usd"], knee["knee"]) == (usd(bf.KNEE_PUSD), True)
    assert doc["aiq_between"]["lo_usd"] == "0"
    assert doc["all_optimal"] is True


def test_assign_json_hand_figures(run: Runner, tmp_path: Path) -> None:
    # small: $0.15 / $0.6 per Mtok, big: $3 / $15 (tests/data/basic/prices.yaml)
    # q0: 1000 in, 100 out: small 150 + 60 = 210 micro-$, big 3000 + 1500 = 4500 micro-$
    # q1: 2000 in, 10 out: small 300 + 6 = 306 micro-$, big 6000 + 150 = 6150 micro-$
    # budget 5000 micro-$: q0 big + q1 small (4806, quality 0.9 + 0.6 = 1.5) beats
    # both small (516, quality 1.1); q0 small + q1 big (6360) and both big (10650) are over.
    q = tmp_path / "q.jsonl"
    q.write_text(
        '{"id": "q0", "task": "t", "prompt_tokens": 1000, "output_tokens": 100,'
        ' "quality": {"small": 0.5, "big": 0.9}}\n'
        '{"id": "q1", "task": "t", "prompt_tokens": 2000, "output_tokens": 10,'
        ' "quality": {"small": 0.6, "big": 0.7}}\n'
    )
    prices = Path(__file__).parent.parent / "data" / "basic" / "prices.yaml"
    doc = validated(
        run, "assign", "assign", q, "--prices", prices, "--budget", "0.005", "--format", "json"
    )
    assert doc["totals"]["cost_usd"] == "0.004806"
    assert doc["totals"]["quality_queries"] == "1.500000"


def test_check_verify_json(run: Runner, basic: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    assert run("optimize", basic / "workload.yaml", "-q", "-o", plan).code == 0
    doc = validated(run, "check", "check", plan, "--format", "json")
    assert doc["passed"] is True
    (c,) = doc["checks"]
    assert (c["old_cost_usd"], c["new_cost_usd"], c["change_usd"]) == ("358.9", "358.9", "0")
    doc = validated(run, "verify", "verify", plan, "--format", "json")
    assert doc == {
        "format": 1, "plan": str(plan), "verified": True, "violations": [], "tasks": 2,
        "allocations": 2, "status": "optimal",
    }  # fmt: skip
    # big's input price doubles: a costs 100,000 x (79/3 x 6 + 750) = 100,000 x 908
    # micro-$ = $90.80, b 20,000 x (18,000 + 300 + 4,500) = $456.00; total $546.80 > $500
    edit(basic / "prices.yaml", "input_usd_per_mtok: 3\n", "input_usd_per_mtok: 6\n")
    doc = validated(run, "check", "check", plan, "--format", "json", code=1)
    assert doc["passed"] is False
    assert doc["checks"][0]["new_cost_usd"] == "546.8"


def test_prices_validate_and_diff_json(run: Runner, basic: Path, tmp_path: Path) -> None:
    sheet = basic / "prices.yaml"
    doc = validated(run, "prices-validate", "prices", "validate", sheet, "--format", "json")
    assert doc["valid"] is True
    assert [(f["file"], f["valid"], f["models"]) for f in doc["files"]] == [(str(sheet), True, 2)]
    bad = tmp_path / "bad.yaml"
    bad.write_text("models: 3\n")
    doc = validated(
        run, "prices-validate", "prices", "validate", sheet, bad, "-f", "json", code=2
    )
    assert [f["valid"] for f in doc["files"]] == [True, False]
    assert doc["valid"] is False
    assert len(doc["files"][1]["errors"]) == 1
    new = tmp_path / "new.yaml"
    new.write_text(sheet.read_text().replace("input_usd_per_mtok: 3\n", "input_usd_per_mtok: 6\n"))
    doc = validated(run, "prices-diff", "prices", "diff", sheet, new, "--format", "json")
    (changed,) = doc["changed"]
    assert changed["model"] == "big"
    assert [(c["old"], c["new"], c["pct"]) for c in changed["changes"]] == [("3", "6", "100.00")]


def test_output_schemas_listed_and_served(run: Runner) -> None:
    from costplan.cli.schema_cmd import OUTPUTS
    from costplan.output_schemas import COMMANDS

    assert OUTPUTS == COMMANDS
    for command in COMMANDS:
        r = run("schema", f"output-{command}")
        assert r.code == 0, r.err
        jsonschema.Draft202012Validator.check_schema(json.loads(r.out))
    r = run("schema", "output-optimise")
    assert r.code == 2
    assert r.err.startswith("error: unknown output schema: choose one of output-optimize, ")
    assert r.err.endswith("(got 'output-optimise'); did you mean 'output-optimize'?\n")


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (("optimize",), ["--objective [max_quality|min_cost]", "--format [table|json]"]),
        (("assign",), ["--objective [max_quality|min_cost]", "--format [table|json]"]),
        (("estimate",), ["--format [table|json]"]),
        (("frontier",), ["--format [table|json]"]),
        (("verify",), ["--format [table|json]"]),
        (("check",), ["--format [table|markdown|json]"]),
        (("reconcile",), ["--format [table|markdown|json]"]),
        (("report",), ["--format [md|html]"]),
        (("export",), ["--to [litellm|csv]"]),
        (("prices", "import"), ["--from [genai-prices|litellm|openrouter]"]),
        (("prices", "validate"), ["--format [table|json]"]),
        (("prices", "diff"), ["--format [table|markdown|json]"]),
    ],
)
def test_help_lists_choices(run: Runner, args: tuple[str, ...], shown: list[str]) -> None:
    r = run(*args, "--help")
    assert r.code == 0
    flat = " ".join(r.out.split())
    for text in shown:
        assert text in flat, (args, text)



def test_bad_choice_is_one_line(run: Runner, basic: Path) -> None:
    r = run("estimate", basic / "workload.yaml", "--format", "jsn")
    assert (r.code, r.out) == (2, "")
    assert r.err == "error: --format must be one of table, json (got 'jsn'); did you mean 'json'?\n"
