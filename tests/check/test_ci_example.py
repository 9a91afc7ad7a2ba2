"""examples/ci/price-watch.yml: a valid workflow whose check step runs as written."""

from __future__ import annotations

import glob
import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.check.conftest import scaled_big
from tests.cli.conftest import DATA, Runner, edit

WORKFLOW = Path(__file__).parent.parent.parent / "examples" / "ci" / "price-watch.yml"


def load() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(data, dict)
    return data


def steps() -> list[dict[str, Any]]:
    return list(load()["jobs"]["price-watch"]["steps"])


def command(prefix: str) -> str:
    """The one line of a step's script that starts with ``prefix``."""
    lines = [
        line.strip()
        for s in steps()
        for line in str(s.get("run", "")).splitlines()
        if line.strip().startswith(prefix)
    ]
    assert len(lines) == 1, lines
    return lines[0]


def test_installs_costplan_from_this_repository_not_an_index() -> None:
    """costplan is on no package index: as shipped, ``pip install .`` of the checkout."""
    job = load()["jobs"]["price-watch"]
    names = [str(s.get("uses", "")).split("@")[0] for s in steps()]
    assert names[0] == "actions/checkout"
    assert command("pip install") == 'pip install "$COSTPLAN"'
    assert job["env"]["COSTPLAN"] == "."
    # "." is this repository, whose project is costplan (.ci/run installs it the same way).
    pyproject = (WORKFLOW.parents[2] / "pyproject.toml").read_text()
    assert '\nname = "costplan"\n' in pyproject
    assert "costplan[" not in WORKFLOW.read_text()  # no package-index install left


def test_triggers_and_permissions() -> None:
    data = load()
    on = data[True]  # YAML 1.1 reads the key `on` as true
    assert on["schedule"][0]["cron"] == "17 6 * * 1"
    assert "workflow_dispatch" in on
    assert data["permissions"] == {"contents": "write", "pull-requests": "write"}


def test_the_steps_refresh_diff_check_comment_and_fail() -> None:
    assert command("costplan prices import").startswith(
        "costplan prices import --from genai-prices $PROVIDERS -o prices/catalog.yaml"
    )
    diff = 'costplan prices diff "$RUNNER_TEMP/catalog.old.yaml" prices/catalog.yaml'
    assert "--format markdown" in command(diff)
    assert "--format json" in command('costplan prices diff "$RUNNER_TEMP/last.yaml"')
    check = command("costplan check")
    assert check.startswith(
        'costplan check plans/*.yaml --prices prices/catalog.yaml --max-increase "$MAX_INCREASE"'
    )
    by_id = {s["id"]: s for s in steps() if "id" in s}
    assert 'echo "rc=$rc" >> "$GITHUB_OUTPUT"' in by_id["check"]["run"]
    assert by_id["pr"]["uses"].startswith("peter-evans/create-pull-request@")
    assert by_id["pr"]["if"] == "steps.diff.outputs.changed == 'true'"
    [comment] = [s for s in steps() if "gh pr comment" in str(s.get("run", ""))]
    assert comment["if"].startswith("steps.diff.outputs.changed == 'true' && ")
    last = steps()[-1]
    assert last["if"] == "steps.check.outputs.rc != '0'"
    assert last["run"].rstrip().endswith("exit 1")
    assert load()["jobs"]["price-watch"]["env"]["MAX_INCREASE"] == "10"


def _argv(line: str, **extra: str) -> list[str]:
    """A workflow command as the shell would run it here: the job's env (and ``extra``)
    substituted, globs expanded, the output redirection dropped."""
    env = {**load()["jobs"]["price-watch"]["env"], **extra}
    line = line.split(" > ", 1)[0]
    for name, value in env.items():
        line = line.replace(f"${name}", value)
    words = shlex.split(line)
    assert words[0] == "costplan"
    out: list[str] = []
    for w in words[1:]:
        out += sorted(glob.glob(w)) if "*" in w else [w]
    return out


def test_the_check_step_runs_against_the_documented_layout(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(DATA / "basic", repo / "workloads")
    (repo / "prices").mkdir()
    (repo / "plans").mkdir()
    shutil.move(repo / "workloads" / "prices.yaml", repo / "prices" / "catalog.yaml")
    edit(
        repo / "workloads" / "workload.yaml",
        "prices: prices.yaml",
        "prices: ../prices/catalog.yaml",
    )
    monkeypatch.chdir(repo)
    r = run("optimize", "workloads/workload.yaml", "-o", "plans/basic.yaml", "-q")
    assert r.code == 0, r.err

    argv = _argv(command("costplan check"))
    assert argv[:2] == ["check", "plans/basic.yaml"]
    ok = run(*argv)
    assert ok.code == 0, ok.err
    assert "**check passed**" in ok.out

    shutil.copy(
        scaled_big(repo / "prices", "1.11", "rise.yaml", "catalog.yaml"),
        repo / "prices" / "catalog.yaml",
    )
    failed = run(*argv)
    assert failed.code == 1
    assert "**check failed**:\n- total cost rises +11.00%" in failed.out
    assert "more than --max-increase 10%" in failed.err


WORKLOAD = """
name: answers
budget_usd: 1000
prices: ../prices/catalog.yaml
tasks:
  - {name: answer, volume: 100000, prompt: {tokens: 1500}, output_tokens: 200, min_quality: 0.8}
quality:
  answer: {gpt-4o-mini: 0.78, gpt-4o: 0.9}
"""


def test_the_whole_workflow_import_diff_check(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every costplan line of the workflow, in order, on the documented layout."""
    repo, temp = tmp_path / "repo", tmp_path / "runner-temp"
    for folder in (repo / "workloads", repo / "prices", repo / "plans", temp):
        folder.mkdir(parents=True)
    (repo / "workloads" / "answers.yaml").write_text(WORKLOAD)
    monkeypatch.chdir(repo)

    imported = run(*_argv(command("costplan prices import")))
    assert imported.code == 0, imported.err
    assert (repo / "prices" / "catalog.yaml").exists()
    shutil.copy(repo / "prices" / "catalog.yaml", temp / "catalog.old.yaml")
    diff_line = 'costplan prices diff "$RUNNER_TEMP/catalog.old.yaml" prices/catalog.yaml'
    diff = run(*_argv(command(diff_line), RUNNER_TEMP=str(temp)))
    assert diff.code == 0, diff.err

    # A plan made at today's catalog prices holds; one made when prices were
    # 20% lower (simulated with --price-change) has risen by 25%: the gate fails.
    made = run("optimize", "workloads/answers.yaml", "-o", "plans/now.yaml", "-q")
    assert made.code == 0, made.err
    check = _argv(command("costplan check"))
    passed = run(*check)
    assert passed.code == 0, passed.err
    assert "**check passed**" in passed.out
    old = ("--price-change", "*=-20%", "-o", "plans/old.yaml", "-q")
    assert run("optimize", "workloads/answers.yaml", *old).code == 0
    failed = run(*_argv(command("costplan check")))
    assert failed.code == 1
    # +25% up to the catalog's rounding to 1e-6 USD per Mtok
    assert re.search(r"plans/old\.yaml: total cost rises \+2[45]\.\d\d% .* more than", failed.err)
    assert "plans/now.yaml" not in failed.err
