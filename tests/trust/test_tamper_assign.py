"""`costplan verify` refuses every case of tests/data/tamper/assign_cases.yaml (per-query plans).

The base plan and rows are written by ``costplan assign`` from four fixed queries; each case
changes one plan key or one per-query row, and the expected line is derived by hand in the
corpus file's header. The base itself is checked against the same hand figures first, so a
case cannot pass against a base that is already wrong.
"""

from __future__ import annotations

import copy
import csv
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli.conftest import Runner
from tests.trust.tamper import set_path

DATA = Path(__file__).parent.parent / "data"
QUERIES = DATA / "tamper" / "assign" / "queries.jsonl"
PRICES = DATA / "basic" / "prices.yaml"
CASES = yaml.safe_load((DATA / "tamper" / "assign_cases.yaml").read_text())["cases"]
#: rows.csv of the base by hand (corpus header): the optimum puts q0, q2 on big
HAND_ROWS = [
    ("q0", "a", "big", "0.0045", "0.9"),
    ("q1", "b", "small", "0.00042", "0.7"),
    ("q2", "a", "big", "0.00225", "0.95"),
    ("q3", "b", "small", "0.00063", "0.4"),
]
_BASE: dict[str, Any] = {}


def _base(run: Runner, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, list[Any]]:
    if not _BASE:
        folder = tmp_path_factory.mktemp("assign-base")
        rows, plan = folder / "rows.csv", folder / "plan.yaml"
        r = run("assign", QUERIES, "--prices", PRICES, "--budget", "0.01", "-o", rows,
                "--plan", plan, "-q")  # fmt: skip
        assert r.code == 0, r.err
        with rows.open() as fh:
            table = list(csv.DictReader(fh))
        got = [(t["id"], t["task"], t["model"], t["cost_usd"], t["quality"]) for t in table]
        assert got == HAND_ROWS
        doc = yaml.safe_load(plan.read_text())
        assert (doc["status"], doc["totals"]["cost_usd"], doc["totals"]["quality_queries"]) == (
            "optimal", "0.0078", "2.950000")  # fmt: skip
        _BASE.update(doc=doc, rows=table)
    return copy.deepcopy(_BASE["doc"]), copy.deepcopy(_BASE["rows"])


def _verify(run: Runner, folder: Path, doc: Any, table: list[Any]) -> tuple[int, list[str]]:
    plan, rows = folder / "plan.yaml", folder / "rows.csv"
    plan.write_text(yaml.safe_dump(doc, sort_keys=False))
    with rows.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    r = run("verify", plan, "--queries", QUERIES, "--assignments", rows, "--prices", PRICES)
    return r.code, r.out.splitlines()


def test_the_untouched_base_verifies(run: Runner, tmp_path_factory: pytest.TempPathFactory) -> None:
    doc, table = _base(run, tmp_path_factory)
    code, lines = _verify(run, tmp_path_factory.mktemp("untouched"), doc, table)
    assert code == 0, lines
    assert lines[0].startswith("verified: ")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_tampered_assign_plan_is_refused(
    run: Runner, case: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    doc, table = _base(run, tmp_path_factory)
    for path, value in (case.get("set") or {}).items():
        set_path(doc, path, value)
    for index, change in (case.get("rows") or {}).items():
        table[int(index)].update(change)
    code, lines = _verify(run, tmp_path_factory.mktemp("tampered"), doc, table)
    assert code == 1, lines
    assert case["expect"] in lines, lines


def test_every_case_changes_one_thing_and_names_a_key_path() -> None:
    kinds = {"status", "bound", "certificate", "count", "cost", "quality", "row-", "totals"}
    covered = set()
    for case in CASES:
        row_changes = sum(len(c) for c in (case.get("rows") or {}).values())
        changes = len(case.get("set") or {}) + row_changes
        assert changes == 1, case["name"]
        key = case["expect"].split(": ", 1)[0]
        assert re.fullmatch(r"[a-z_*]+(\.[a-z_0-9:.\-*]+|\[\d+\])*", key), case["name"]
        covered |= {k for k in kinds if case["name"].startswith(k) or k in case["name"]}
    assert covered == kinds
