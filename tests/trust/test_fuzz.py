"""Fuzzing: generated and damaged inputs through load -> estimate -> optimize -> report.

The only outcomes allowed are a plan that passes the independent verifier (and
round-trips through a plan file and the report renderers) or a clean
:class:`~costplan.errors.CostplanError` that is not an ``InternalError``; through
the CLI, exit codes 0-3 with a one-line ``error:`` message. Anything else (a
traceback, exit 4) fails the test with the input that caused it.

Runs are derandomized (hypothesis's seed is fixed; only string hashing, which
varies per process, can reorder a few draws) and sized for a 2-core machine
(about 20 s in all); the number of cases and their outcomes are printed in the
test summary (see conftest.py). A failure prints the files that caused it.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from costplan.errors import CostplanError, InternalError
from tests.trust.conftest import FUZZ_CASES, FUZZ_OUTCOMES
from tests.trust.fuzzgen import Inputs, inputs


def fuzz(examples: int) -> settings:
    """Settings for one fuzz test: ``examples`` derandomized cases, no deadline."""
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


TIME_LIMIT_S = 5.0


def _write(case: Inputs, folder: Path) -> Path:
    (folder / "workload.yaml").write_text(case.workload, encoding="utf-8")
    (folder / "prices.yaml").write_text(case.prices, encoding="utf-8")
    if case.samples:
        (folder / "samples").mkdir()
        for i, text in enumerate(case.samples):
            (folder / "samples" / f"{i}.txt").write_text(text, encoding="utf-8")
    return folder / "workload.yaml"


def _library_pipeline(workload: Path) -> str:
    """load -> estimate -> optimize (verified inside) -> report -> plan file -> verify -> read."""
    from rich.console import Console

    from costplan.api import load_inputs
    from costplan.optimize import optimize
    from costplan.plan import plan_to_dict
    from costplan.planio import read_plan, write_plan
    from costplan.report.terminal import render_estimate, render_plan
    from costplan.verify import Sources, check_file

    table = load_inputs(workload)
    sink = Console(file=io.StringIO(), width=160)
    render_estimate(table, sink)
    plan = optimize(table, time_limit_s=TIME_LIMIT_S, explain=False)
    render_plan(plan, sink)
    out = workload.parent / "plan.yaml"
    write_plan(plan, out)
    found = check_file(out, Sources(workload=workload))  # the file, read raw, verifies
    assert found == [], [str(v) for v in found]
    again = read_plan(out)
    assert plan_to_dict(again)["totals"] == plan_to_dict(plan)["totals"]
    return plan.status


def _run_library(case: Inputs, name: str) -> None:
    FUZZ_CASES[name] += 1
    with tempfile.TemporaryDirectory() as tmp:
        workload = _write(case, Path(tmp))
        try:
            status = _library_pipeline(workload)
        except InternalError as exc:
            pytest.fail(f"internal error on {case.note} input: {exc}\n{_show(case)}")
        except CostplanError as exc:
            FUZZ_OUTCOMES[f"{name}: error exit {exc.exit_code}"] += 1
            message = str(exc)
            assert message, "an error without a message"
        except Exception as exc:  # pragma: no cover - this is what the test hunts for
            pytest.fail(f"{type(exc).__name__} on {case.note} input: {exc}\n{_show(case)}")
        else:
            FUZZ_OUTCOMES[f"{name}: plan {status}"] += 1


def _show(case: Inputs) -> str:
    return (
        f"--- workload.yaml\n{case.workload}\n--- prices.yaml\n{case.prices}\n"
        f"--- samples {case.samples!r}"
    )


@fuzz(140)
@given(case=inputs(mutate=False))
def test_fuzz_valid_inputs_library(case: Inputs, record_property: Any) -> None:
    _run_library(case, "library valid")
    record_property("fuzz_cases", FUZZ_CASES["library valid"])


@fuzz(220)
@given(case=inputs(mutate=True))
def test_fuzz_mutated_inputs_library(case: Inputs, record_property: Any) -> None:
    _run_library(case, "library mutated")
    record_property("fuzz_cases", FUZZ_CASES["library mutated"])


@fuzz(60)
@given(case=inputs(mutate=True), objective=st.sampled_from([None, "min_cost", "max_quality"]))
def test_fuzz_cli(case: Inputs, objective: str | None, run: Any, record_property: Any) -> None:
    """The same inputs through `costplan optimize --out` in-process: clean exits only."""
    FUZZ_CASES["cli"] += 1
    record_property("fuzz_cases", FUZZ_CASES["cli"])
    with tempfile.TemporaryDirectory() as tmp:
        workload = _write(case, Path(tmp))
        out = Path(tmp) / "plan.json"
        args = ["optimize", str(workload), "--out", str(out), "-q", "--time-limit", "5"]
        if objective is not None:
            args += ["--objective", objective]
        r = run(*args)
        assert r.code in (0, 1, 2, 3), f"exit {r.code}: {r.err}\n{_show(case)}"
        FUZZ_OUTCOMES[f"cli: exit {r.code}"] += 1
        if r.code in (0, 3) and out.exists():
            assert r.err == "" or r.err.startswith("error: ")
        else:
            assert r.err.startswith("error: "), r.err
            assert r.err.count("\n") == 1, r.err
            assert not out.exists(), "a failed run wrote a plan"
