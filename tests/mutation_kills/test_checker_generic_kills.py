"""The shape every plan document must have (costplan.verify.generic), case by case.

Written to kill mutants the suite let survive: each broken shape and the one line the checker
gives for it (README "The independent checker"); a good shape gives none.
"""

from __future__ import annotations

from typing import Any

import pytest

from costplan.verify.findings import Findings
from costplan.verify.generic import FORMAT, check_structure

GOOD: dict[str, Any] = {"format": 1, "tasks": [{"allocations": []}, {"allocations": [{}]}],
                        "totals": {}}  # fmt: skip


def _check(doc: dict[str, Any]) -> tuple[bool, list[str]]:
    f = Findings()
    ok = check_structure(doc, f)
    return ok, [str(v) for v in f.items]


def test_a_good_shape() -> None:
    assert FORMAT == 1
    assert _check(GOOD) == (True, [])
    assert _check({**GOOD, "tasks": []}) == (True, [])


@pytest.mark.parametrize(
    ("change", "line"),
    [
        ({"format": 2}, "format: 2: this checker reads plan format 1"),
        ({"format": "1"}, "format: '1': this checker reads plan format 1"),
        ({"format": None}, "format: None: this checker reads plan format 1"),
        ({"tasks": None}, "tasks: missing or not a list"),
        ({"tasks": {"a": 1}}, "tasks: missing or not a list"),
        ({"tasks": [{"allocations": []}, 5]}, "tasks[1]: a task needs an 'allocations' list"),
        ({"tasks": [{"allocations": {}}]}, "tasks[0]: a task needs an 'allocations' list"),
        ({"tasks": [{}, {"allocations": 3}]}, "tasks[0]: a task needs an 'allocations' list"),
        ({"totals": []}, "totals: missing or not a mapping"),
        ({"totals": None}, "totals: missing or not a mapping"),
    ],
)
def test_a_broken_shape_stops_at_its_first_fault(change: dict[str, Any], line: str) -> None:
    assert _check({**GOOD, **change}) == (False, [line])


def test_the_first_fault_only() -> None:
    assert _check({"format": 2, "tasks": None}) == (
        False, ["format: 2: this checker reads plan format 1"])  # fmt: skip
    assert _check({"format": 1}) == (False, ["tasks: missing or not a list"])
    assert _check({"format": 1, "tasks": []}) == (False, ["totals: missing or not a mapping"])
