"""The checker's entry points (costplan.verify: check_document, check_file, require, refuse,
reuse_inputs), case by case.

Written to kill mutants the suite let survive. The workload and prices are those of
test_checker_classplan_kills.py (priced by hand there: the min_cost plan costs $3.15).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

import costplan.verify as verify
from costplan.errors import InputError, InternalError
from costplan.verify import Sources, check_document, check_file, refuse, require, reuse_inputs
from costplan.verify.findings import Violation
from tests.mutation_kills.test_checker_classplan_kills import _solve, _write

F = Violation


@pytest.fixture
def plan(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    path = _write(tmp_path)
    return path, _solve(path, objective="min_cost")


def _lines(items: list[Violation]) -> list[str]:
    return [str(v) for v in items]


def test_a_broken_shape_is_all_that_is_reported(plan: tuple[Path, dict[str, Any]]) -> None:
    path, doc = plan
    assert check_document(doc, Sources(workload=path)) == []
    bad = {**doc, "format": 2, "period": "day"}
    assert _lines(check_document(bad, Sources(workload=path))) == [
        "format: 2: this checker reads plan format 1"
    ]


def test_an_unreadable_plan_file(tmp_path: Path, plan: tuple[Path, dict[str, Any]]) -> None:
    path, doc = plan
    f = tmp_path / "plan.yaml"
    f.write_text(yaml.safe_dump(doc))
    assert check_file(f, Sources(workload=path)) == []
    doc = copy.deepcopy(doc)
    doc["totals"]["cost_usd"] = "3.14"
    f.write_text(yaml.safe_dump(doc))
    assert _lines(check_file(f, Sources(workload=path))) == [
        "totals.cost_usd: '3.14' USD, recomputed 3.15 USD"
    ]
    f.write_text("- 1\n- 2\n")
    with pytest.raises(InputError, match="a plan file is a mapping") as info:
        check_file(f, Sources(workload=path))
    assert info.value.file == str(f)


def test_no_price_sheet(plan: tuple[Path, dict[str, Any]]) -> None:
    path, doc = plan
    path.write_text(path.read_text().replace("prices: prices.yaml\n", ""))
    with pytest.raises(InputError, match="no price sheet given") as info:
        check_document(doc, Sources(workload=path))
    assert (info.value.file, info.value.key) == (str(path), "prices")
    # the sheets given in the sources are used instead
    got = check_document(doc, Sources(workload=path, prices=(path.parent / "prices.yaml",)))
    assert [v.key for v in got] == [("inputs",)]  # the workload file's digest changed


def test_settings_cap_the_latency_and_restrict_the_models(
    plan: tuple[Path, dict[str, Any]],
) -> None:
    path, doc = plan
    # no model has a known p95: under any SLO every row is unusable
    got = _lines(check_document(doc, Sources(workload=path, settings={"latency_cap_ms": 5})))
    assert (
        "tasks[0].allocations[0].model: 'big' is not usable: no p95 latency "
        "known for a task with a latency SLO" in got
    )
    got = _lines(check_document(doc, Sources(workload=path, settings={"allow": {"a": ["small"]}})))
    assert got[0] == ("tasks[0].allocations[0].model: 'big' (standard) is not usable: not in "
                      "the task's 'allow' list")  # fmt: skip
    assert check_document(doc, Sources(workload=path, settings={"other": 1})) == []


def test_refuse_and_require(plan: tuple[Path, dict[str, Any]]) -> None:
    path, doc = plan
    refuse(doc, [])
    require(doc, Sources(workload=path))
    with pytest.raises(InternalError) as info:
        refuse({"workload": "k"}, [F(("a",), "one")])
    assert info.value.message == (
        "plan for 'k' failed independent verification (1 violation): a: one"
    )
    assert info.value.hint == ("this is a bug in costplan, please report it; no plan file was "
                               "written")  # fmt: skip
    items = [F(("t", i), f"m{i}") for i in range(27)]
    with pytest.raises(InternalError) as info:
        refuse({}, items)
    shown = "; ".join(f"t[{i}]: m{i}" for i in range(25))
    assert info.value.message == (
        f"plan for None failed independent verification (27 violations): {shown}; and 2 more"
    )
    with pytest.raises(InternalError) as info:
        refuse({}, items[:25])
    assert info.value.message.endswith("t[24]: m24")
    bad = {**doc, "period": "day"}
    with pytest.raises(InternalError, match=r"\(1 violation\): period: 'day' is not the "):
        require(bad, Sources(workload=path))


def test_reuse_inputs_reads_each_set_of_files_once(
    plan: tuple[Path, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, doc = plan
    import costplan.verify.tasks as tasks

    reads: list[Path] = []
    real = tasks.read_workload

    def counted(p: Path) -> Any:
        reads.append(p)
        return real(p)

    monkeypatch.setattr(tasks, "read_workload", counted)
    assert verify._REUSE is None
    with reuse_inputs():
        assert verify._REUSE == {}
        for _ in range(3):
            assert check_document(doc, Sources(workload=path)) == []
        assert len(reads) == 1
        # other settings are other inputs
        check_document(doc, Sources(workload=path, settings={"latency_cap_ms": 10**9}))
        assert len(reads) == 2
        with reuse_inputs():  # an inner scope shares the outer one's
            check_document(doc, Sources(workload=path))
            assert len(reads) == 2
        assert verify._REUSE is not None
    assert verify._REUSE is None
    check_document(doc, Sources(workload=path))
    check_document(doc, Sources(workload=path))
    assert len(reads) == 4  # outside any scope: read afresh each time
    with pytest.raises(RuntimeError), reuse_inputs():
        raise RuntimeError
    assert verify._REUSE is None  # restored on the way out


def test_inputs_key_names_every_source() -> None:
    a = Sources(workload=Path("w"), prices=(Path("p"),), price_changes=("m.input=+1%",),
                settings={"b": 1, "a": [2]})  # fmt: skip
    key = verify._inputs_key(a)
    assert key == repr((Path("w"), (Path("p"),), ("m.input=+1%",), [("a", "[2]"), ("b", "1")]))
    assert verify._inputs_key(Sources(workload=Path("w"))) != key
