"""The drift gate's exit codes (0 / 1 / 2), its exact thresholds, and the example workflow."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli.conftest import Runner
from tests.reconcile.conftest import HEADER, MIX_WORKLOAD, usage_rows

WORKFLOW = Path(__file__).parent.parent.parent / "examples" / "ci" / "reconcile.yml"


@pytest.fixture
def planned(month: Path, run: Runner) -> Path:
    r = run("optimize", "workload.yaml", "-o", "plan.yaml", "-q")
    assert r.code == 0, r.err
    return month


def gate(run: Runner, *args: str) -> Any:
    return run("reconcile", "plan.yaml", "-u", "usage.csv", "-p", "actual.yaml", *args)


# The month overruns by $5.20 on $157.60: 5.2 / 157.6 = 3.2994...% (test_synthetic derives
# both); beta's off-plan share is exactly 20% (2,000 of 10,000 requests on m-x), by requests
# and quality-weighted alike (one planned model: (0.8 x 0.9) / (1 x 0.9) = 0.8 on plan).


@pytest.mark.usefixtures("planned")
def test_within_every_threshold_exits_0(run: Runner) -> None:
    r = gate(run, "--max-overrun", "3.3", "--max-mix-drift", "20")
    assert r.code == 0, r.err
    assert "gate passed" in r.out
    assert r.err == ""


@pytest.mark.usefixtures("planned")
def test_an_overrun_past_the_threshold_exits_1_with_one_line(run: Runner) -> None:
    r = gate(run, "--max-overrun", "3.29")
    assert r.code == 1
    assert r.err == (
        "error: reconcile gate failed:\n"
        "  actual cost $162.80 is +3.30% against the plan's $157.60, more than "
        "--max-overrun 3.29%\n"
    )


@pytest.mark.usefixtures("planned")
def test_a_mix_drift_past_the_threshold_exits_1(run: Runner) -> None:
    r = gate(run, "--max-mix-drift", "19.99", "--max-overrun", "50")
    assert r.code == 1
    assert r.err == (
        "error: reconcile gate failed:\n"
        "  task 'beta': 20.00% of its traffic (quality-weighted; 10,000 requests) went "
        "elsewhere than the plan said (m-x +20.00%), more than --max-mix-drift 19.99%\n"
    )


@pytest.mark.usefixtures("planned")
def test_both_reasons_one_per_line_and_outputs_written_first(run: Runner) -> None:
    r = gate(run, "--max-overrun", "1", "--max-mix-drift", "5", "--format", "json",
             "-o", "report.html", "--focus", "lines.csv")
    assert r.code == 1
    lines = r.err.splitlines()
    assert lines[0] == "error: reconcile gate failed:"
    assert len(lines) == 3
    assert lines[1].startswith("  actual cost")
    assert lines[2].startswith("  task 'beta'")
    data = json.loads(r.out)
    assert data["gate"]["passed"] is False
    assert [g.split(",")[0] for g in data["gate"]["reasons"]] == [
        "actual cost $162.80 is +3.30% against the plan's $157.60",
        "task 'beta': 20.00% of its traffic (quality-weighted; 10",
    ]
    assert Path("report.html").read_text().count("gate failed") == 1
    assert Path("lines.csv").read_text().startswith("BilledCost,")


@pytest.mark.usefixtures("planned")
def test_an_unplanned_task_is_off_plan_entirely(run: Runner) -> None:
    text = Path("usage.csv").read_text()
    Path("usage.csv").write_text(text + "omega,m-a,2026-11-05T00:00:00Z,,1,1000,0,200\n")
    r = gate(run, "--max-mix-drift", "50", "--max-overrun", "50")
    assert r.code == 1
    assert (
        "  task 'omega': 100.00% of its traffic (quality-weighted; 1 requests) is not in the "
        "plan (m-a +100.00%)" in r.err
    )


# The mix month (conftest.MIX_WORKLOAD): the plan sends 5,000 / 5,000 requests to m-a
# (quality 0.7) and m-b (quality 0.9); planned quality mass 0.5 x 0.7 + 0.5 x 0.9 = 0.8.
# * 7,000 / 3,000 ran (toward the weaker model): on plan (0.5 x 0.7 + 0.3 x 0.9) / 0.8
#   = 0.62 / 0.8 = 0.775, off 22.5%; by requests min(.5,.7) + min(.5,.3) = 0.8, off 20%.
# * 3,000 / 7,000 ran (toward the better model): on plan (0.3 x 0.7 + 0.5 x 0.9) / 0.8
#   = 0.66 / 0.8 = 0.825, off 17.5%; by requests also 20% off.
@pytest.mark.parametrize(
    ("on_a", "on_b", "off_pct", "passes_at", "fails_at"),
    [(7000, 3000, "22.50%", "22.5", "22.49"), (3000, 7000, "17.50%", "17.5", "17.49")],
)
def test_the_mix_drift_is_quality_weighted(
    month: Path, run: Runner, on_a: int, on_b: int, off_pct: str, passes_at: str,
    fails_at: str,
) -> None:
    (month / "workload.yaml").write_text(MIX_WORKLOAD)
    assert run("optimize", "workload.yaml", "-o", "plan.yaml", "-q").code == 0
    (month / "usage.csv").write_text(
        HEADER + usage_rows("split", "m-a", on_a, 2000, 0, 500)
        + usage_rows("split", "m-b", on_b, 2000, 0, 500)
    )
    ok = run("reconcile", "plan.yaml", "-u", "usage.csv", "--max-mix-drift", passes_at)
    assert ok.code == 0, ok.err
    bad = run("reconcile", "plan.yaml", "-u", "usage.csv", "--max-mix-drift", fails_at)
    assert bad.code == 1
    gained = "m-a +20.00%" if on_a > on_b else "m-b +20.00%"
    assert bad.err == (
        "error: reconcile gate failed:\n"
        f"  task 'split': {off_pct} of its traffic (quality-weighted; 10,000 requests) went "
        f"elsewhere than the plan said ({gained}), more than --max-mix-drift {fails_at}%\n"
    )
    # the request share (20% either way) would pass at 20: the weighting decides
    by_requests = run("reconcile", "plan.yaml", "-u", "usage.csv", "--max-mix-drift", "20")
    assert by_requests.code == (1 if on_a > on_b else 0)


@pytest.mark.usefixtures("planned")
def test_invalid_input_exits_2_not_1(run: Runner) -> None:
    r = run("reconcile", "plan.yaml", "-u", "missing.csv", "--max-overrun", "0")
    assert r.code == 2
    assert r.err.startswith("error: missing.csv: ")
    r = gate(run, "--max-mix-drift", "nan")
    assert r.code == 2


# --- the example workflow ------------------------------------------------------------------


def workflow() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(data, dict)
    return data


def test_the_workflow_runs_monthly_and_fails_on_drift() -> None:
    data = workflow()
    assert data[True]["schedule"][0]["cron"] == "23 6 2 * *"  # YAML 1.1 reads `on` as true
    assert "workflow_dispatch" in data[True]
    assert data["permissions"] == {"contents": "read"}
    steps = data["jobs"]["reconcile"]["steps"]
    last = steps[-1]
    assert last["if"] == "steps.reconcile.outputs.rc != '0'"
    assert last["run"].rstrip().endswith("exit 1")
    assert any(str(s.get("uses", "")).startswith("actions/upload-artifact@") for s in steps)


def test_the_workflows_reconcile_line_runs_as_written(planned: Path, run: Runner) -> None:
    """The one costplan line of the workflow, with its env substituted, on the month."""
    job = workflow()["jobs"]["reconcile"]
    step = next(s for s in job["steps"] if s.get("id") == "reconcile")
    line = next(x.strip() for x in step["run"].splitlines() if x.strip().startswith("costplan"))
    (planned / "out").mkdir()
    (planned / "usage").mkdir()
    (planned / "usage" / "spendlogs.json").write_text("")  # replaced below
    env = {**job["env"], "RUNNER_TEMP": str(planned), "PERIOD": "2026-11", "plan": "plan.yaml",
           "name": "plan", "TASK_KEY": "task"}
    line = line.split(" > ", 1)[0]
    for key in sorted(env, key=len, reverse=True):
        line = line.replace(f'"${key}"', env[key]).replace(f"${key}", env[key])
    words = shlex.split(line)
    assert words[0] == "costplan"
    i = words.index("--usage")
    words[i + 1] = "usage.csv"  # the synthetic month as a generic file, not spend logs
    words += ["--prices", "actual.yaml"]
    r = run(*words[1:])
    # MAX_OVERRUN 10 passes the +3.30%, MAX_MIX_DRIFT 15 fails beta's 20%
    assert r.code == 1, r.err
    assert "more than --max-mix-drift 15%" in r.err
    assert (planned / "out" / "plan.html").read_text().startswith("<!DOCTYPE html>")
    assert (planned / "out" / "plan.focus.csv").exists()


def test_the_exit_codes_are_documented_in_help_and_readme(run: Runner) -> None:
    """The codes the tests above observe (0 pass, 1 drift, 2 bad input) are the ones
    ``costplan reconcile --help`` and the README's table state."""
    r = run("reconcile", "--help")
    assert r.code == 0
    text = " ".join(r.out.split())
    assert "Exit codes: 0 reconciled, within every threshold given; 1 a --max-overrun or" in text
    assert "--max-mix-drift threshold broken" in text
    assert "2 invalid input" in text
    readme = (Path(__file__).parent.parent.parent / "README.md").read_text()
    section = readme[readme.index("## Plan against actual"):]
    section = section[: section.index("\n## ", 1)]
    rows = [line.split(" | ")[0] for line in section.splitlines() if line.startswith("| ")]
    assert [r for r in rows if r in ("| 0", "| 1", "| 2")] == ["| 0", "| 1", "| 2"]
    assert "| 1 | `--max-overrun P`" in section
    assert "--max-mix-drift P` (a task's quality-weighted off-plan share" in section
