"""Bad and surprising usage: reported with counts and spend, never dropped; periods named."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Runner
from tests.reconcile.conftest import HEADER, USAGE, usage_rows


@pytest.fixture
def planned(month: Path, run: Runner) -> Path:
    r = run("optimize", "workload.yaml", "-o", "plan.yaml", "-q")
    assert r.code == 0, r.err
    return month


def reconcile(run: Runner, *args: str) -> tuple[dict[str, Any], str]:
    r = run("reconcile", "plan.yaml", "--format", "json", *args)
    assert r.code == 0, r.err
    return json.loads(r.out), r.err


SPEND_HEADER = HEADER.rstrip("\n") + ",spend_usd\n"


def test_unknown_model_and_task_are_reported_with_counts_and_spend(
    planned: Path, run: Runner
) -> None:
    # 300 requests on a model no sheet knows, $1.25 logged; 40 requests of a task the plan
    # does not have, on m-a (1000 input + 200 output tokens each: $0.0018, so $0.072).
    extra = (
        "beta,mystery-model,2026-11-03T00:00:00Z,2026-11-04T00:00:00Z,300,600000,0,150000,1.25\n"
        "omega,m-a,2026-11-05T00:00:00Z,2026-11-06T00:00:00Z,40,40000,0,8000,\n"
    )
    lines = USAGE.splitlines(keepends=True)
    body = "".join(line.rstrip("\n") + ",\n" for line in lines[1:])
    (planned / "usage.csv").write_text(SPEND_HEADER + body + extra)
    data, _ = reconcile(run, "--usage", "usage.csv")
    notes = data["notes"]
    assert any(
        "unknown model 'mystery-model' (task 'beta'): 300 requests, $1.2500 logged" in n
        for n in notes
    ), notes
    assert any("unplanned task 'omega': 40 requests, $0.0720" in n for n in notes), notes
    omega = next(t for t in data["tasks"] if t["name"] == "omega")
    assert omega["planned"] is False
    assert omega["effects"]["unplanned"] == "0.072"
    beta = next(t for t in data["tasks"] if t["name"] == "beta")
    mystery = next(m for m in beta["models"] if m["model"] == "mystery-model")
    assert (mystery["actual_requests"], mystery["actual_cost_usd"]) == (300, "1.25")
    assert mystery["logged_spend_usd"] == "1.25"
    assert mystery["priced"] is False
    # never dropped: without them actual is $152.80 (see test_synthetic); with them
    # 152.80 + 1.25 + 0.072 = $154.122
    assert data["actual_cost_usd"] == "154.122"


def test_requests_outside_the_period_are_counted_and_left_out(planned: Path, run: Runner) -> None:
    late = "alpha,m-a,2026-12-02T00:00:00Z,2026-12-02T01:00:00Z,500,500000,0,100000,0.9\n"
    lines = USAGE.splitlines(keepends=True)
    body = "".join(line.rstrip("\n") + ",\n" for line in lines[1:])
    (planned / "usage.csv").write_text(SPEND_HEADER + body + late)
    data, _ = reconcile(run, "--usage", "usage.csv", "--period", "2026-11")
    assert data["warnings"] == [
        "warning: 500 requests, $0.9000 logged start outside the period 2026-11-01T00:00:00Z to "
        "2026-12-01T00:00:00Z: left out of actual"
    ]
    alpha = next(t for t in data["tasks"] if t["name"] == "alpha")
    assert alpha["actual_requests"] == 11000


def test_a_partial_period_is_said_so(planned: Path, run: Runner) -> None:
    # only the first half-month buckets (1-16 November)
    rows = [r for r in USAGE.splitlines(keepends=True)[1:] if "2026-11-01T" in r]
    (planned / "usage.csv").write_text(HEADER + "".join(rows))
    data, _ = reconcile(run, "--usage", "usage.csv", "--period", "2026-11")
    assert any(
        w.startswith("warning: partial period: usage covers 2026-11-01T00:00:00Z to "
                     "2026-11-16T00:00:00Z, 15.0 of the period's 30.0 days")
        for w in data["warnings"]
    ), data["warnings"]
    # without --period: the usage's own span is 15 days, shorter than a month
    data, _ = reconcile(run, "--usage", "usage.csv")
    assert any("15.0 days, shorter than the plan's period" in w for w in data["warnings"])


def test_overlapping_files_are_said_so(planned: Path, run: Runner) -> None:
    (planned / "gateway.csv").write_text(HEADER + usage_rows("alpha", "m-a", 100, 1000, 0, 200))
    data, _ = reconcile(run, "--usage", "usage.csv", "--usage", "gateway.csv")
    overlap = [w for w in data["warnings"] if "overlapping usage" in w]
    assert overlap == [
        "warning: overlapping usage: usage.csv and gateway.csv both cover 2026-11-01T00:00:00Z "
        "to 2026-11-30T23:59:59Z with traffic of alpha/m-a: the same requests may be counted "
        "twice"
    ]
    # and both files' requests are counted (11,000 + 100), not silently de-duplicated
    alpha = next(t for t in data["tasks"] if t["name"] == "alpha")
    assert alpha["actual_requests"] == 11100


def test_malformed_rows_are_counted(planned: Path, run: Runner) -> None:
    text = USAGE + "alpha,m-a,not-a-time,,1,10,0,10\n"
    (planned / "usage.csv").write_text(text)
    data, _ = reconcile(run, "--usage", "usage.csv")
    assert data["warnings"][0].startswith("warning: 1 malformed rows skipped (first: usage.csv:12:")
    r = run("reconcile", "plan.yaml", "--usage", "usage.csv", "--strict")
    assert r.code == 2
    assert r.err.startswith("error: usage.csv:12: malformed row: bad timestamp not-a-time")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--period", "2026-13"], "error: --period: no such month (got '2026-13')"),
        (["--period", "2026-11-05/2026-11-01"], "error: --period: the end is not after the start"),
        (["--period", "2027-01"], "error: no usage in the period 2027-01-01T00:00:00Z"),
        (["--max-overrun", "-5"], "error: --max-overrun"),
        (["--format", "yaml"], "error: --format must be table, markdown or json (got 'yaml')"),
        (["-o", "r.txt"], "error: r.txt: --out file must end in .md, .html or .json"),
        (["--usage-format", "anthropic-usage"], "error: "),
    ],
)
def test_bad_options_are_one_line_exit_2(
    planned: Path, run: Runner, args: list[str], message: str
) -> None:
    r = run("reconcile", "plan.yaml", "--usage", "usage.csv", *args)
    assert r.code == 2, r.err
    assert r.err.startswith(message), r.err
    assert r.err.count("\n") == 1, r.err
    assert not (planned / "r.txt").exists()


def test_anthropic_usage_without_request_counts_is_refused(planned: Path, run: Runner) -> None:
    doc = {"data": [{"starting_at": "2026-11-01T00:00:00Z", "ending_at": "2026-11-02T00:00:00Z",
                     "results": [{"model": "m-a", "uncached_input_tokens": 100,
                                  "cache_read_input_tokens": 0, "output_tokens": 10}]}]}
    (planned / "anthropic.json").write_text(json.dumps(doc))
    r = run("reconcile", "plan.yaml", "--usage", "anthropic.json")
    assert r.code == 2
    assert "has no request counts" in r.err
    assert r.err.count("\n") == 1


def test_an_output_over_a_usage_file_is_refused(planned: Path, run: Runner) -> None:
    """DuckDB reads the usage files, so the audit-hook property test cannot see them:
    the guard's claim is tested here, directly, by symlink and by hard link."""
    before = (planned / "usage.csv").read_bytes()
    os.symlink(planned / "usage.csv", planned / "link.csv")
    os.link(planned / "usage.csv", planned / "hard.csv")
    for target in ("usage.csv", "link.csv", "hard.csv"):
        r = run("reconcile", "plan.yaml", "--usage", "usage.csv", "--focus", target)
        assert r.code == 2, (target, r.err)
        assert "--focus is the same file as the usage file" in r.err, r.err
        assert (planned / "usage.csv").read_bytes() == before


def test_buckets_across_a_period_bound_are_said_so(planned: Path, run: Runner) -> None:
    """A request belongs to the period it starts in: a bucket that starts on 30 November
    and ends on 1 December is counted whole (and said so); one that starts on 31 October
    and ends in November is left out (and counted in the warning)."""
    straddle = (
        "alpha,m-a,2026-11-30T12:00:00Z,2026-12-01T12:00:00Z,100,100000,0,20000\n"
        "alpha,m-a,2026-10-31T12:00:00Z,2026-11-01T12:00:00Z,7,7000,0,1400\n"
    )
    (planned / "usage.csv").write_text(USAGE + straddle)
    data, _ = reconcile(run, "--usage", "usage.csv", "--period", "2026-11")
    assert data["warnings"] == [
        "warning: 7 requests start outside the period 2026-11-01T00:00:00Z to "
        "2026-12-01T00:00:00Z: left out of actual",
        "warning: 1 usage buckets (100 requests) start in the period and end after it: "
        "counted whole in the period",
    ]
    alpha = next(t for t in data["tasks"] if t["name"] == "alpha")
    # 11,000 + 100 requests at $0.0018 (1000 x $1/M + 200 x $4/M) = $19.98
    assert (alpha["actual_requests"], alpha["actual_cost_usd"]) == (11100, "19.98")


def test_the_terminal_report_lists_unknown_models_and_tasks(planned: Path, run: Runner) -> None:
    extra = (
        "beta,mystery-model,2026-11-03T00:00:00Z,2026-11-04T00:00:00Z,300,600000,0,150000,1.25\n"
        "omega,m-a,2026-11-05T00:00:00Z,2026-11-06T00:00:00Z,40,40000,0,8000,\n"
    )
    lines = USAGE.splitlines(keepends=True)
    body = "".join(line.rstrip("\n") + ",\n" for line in lines[1:])
    (planned / "usage.csv").write_text(SPEND_HEADER + body + extra)
    r = run("reconcile", "plan.yaml", "--usage", "usage.csv")
    assert r.code == 0, r.err
    out = " ".join(r.out.split())
    assert ("note: unknown model 'mystery-model' (task 'beta'): 300 requests, $1.2500 logged; "
            "in no price sheet, counted at its logged spend") in out
    # 40 x (1000 x $1/M + 200 x $4/M) = $0.072
    assert "note: unplanned task 'omega': 40 requests, $0.0720 (all in the unplanned effect)" in out
    assert "omega (unplanned)" in out
