"""Standard input and output as ``-``, ``--version``, shell completion, one-line usage errors.

Standard input is a real file descriptor, so these run ``python -m costplan`` as a
subprocess (with ``src`` on the path, as the suite runs): the in-process runner cannot
give the CLI a descriptor 0 of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.cli.conftest import Runner

ROOT = Path(__file__).parent.parent.parent


def cli(*args: str | Path, stdin: bytes | Path = b"", cwd: Path | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m costplan ARGS`` with ``stdin`` (bytes, or a file opened for reading)."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "200", **(env or {})}
    command = [sys.executable, "-m", "costplan", *map(str, args)]
    if isinstance(stdin, Path):
        with stdin.open("rb") as f:
            return subprocess.run(command, stdin=f, capture_output=True, text=True, env=full_env,
                                  cwd=cwd, check=False)
    return subprocess.run(command, input=stdin.decode(), capture_output=True, text=True,
                          env=full_env, cwd=cwd, check=False)  # fmt: skip


def test_version_flag_prints_the_project_version(run: Runner) -> None:
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    r = run("--version")
    assert (r.code, r.out, r.err) == (0, f"{version}\n", "")
    assert run("version").out == f"{version}\n"


def test_plan_piped_from_optimize_into_report_check_and_export(basic: Path) -> None:
    made = cli("optimize", basic / "workload.yaml", "-q", "--format", "json")
    assert made.returncode == 0, made.stderr
    r = cli("report", "-", stdin=made.stdout.encode())
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("# costplan: basic (max_quality, per month)\n")
    r = cli("check", "-", "--format", "json", stdin=made.stdout.encode())
    assert r.returncode == 0, r.stderr
    # everything on big: $82.90 + $276.00 (tests/basic_figures.py)
    assert json.loads(r.stdout)["checks"][0]["old_cost_usd"] == "358.9"
    r = cli("export", "-", "--to", "csv", stdin=made.stdout.encode())
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines()[1].startswith("a,big,")
    r = cli("verify", "-", stdin=made.stdout.encode(), cwd=basic)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "verified: -: 2 task(s), 2 allocation row(s), status optimal re-derived " \
        "from the raw inputs\n"


def test_price_sheet_from_stdin(basic: Path) -> None:
    sheet = basic / "prices.yaml"
    r = cli("prices", "validate", "-", stdin=sheet)
    assert (r.returncode, r.stdout) == (0, "-: ok (2 models, 0 warnings)\n"), r.stderr
    r = cli("optimize", basic / "workload.yaml", "-p", "-", "-q", "--format", "json", stdin=sheet)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["totals"]["cost_usd"] == "358.9"
    assert "-" in doc["inputs"]


def test_query_file_from_stdin_is_json_lines(basic: Path) -> None:
    # one query, 1000 in / 100 out: small 150 + 60 = 210 micro-$, big 3000 + 1500 = 4500;
    # budget $0.001 affords only small
    q = b'{"id": "q0", "task": "t", "prompt_tokens": 1000, "output_tokens": 100, ' \
        b'"quality": {"small": 0.5, "big": 0.9}}\n'
    r = cli("assign", "-", "-p", basic / "prices.yaml", "--budget", "0.001", "-q", "-f", "json",
            stdin=q)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["totals"]["cost_usd"] == "0.00021"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("optimize", "-"),
            "error: the workload cannot be standard input (-): its prices: and samples are "
            "found from its folder; give the workload file (price sheets, plans and query "
            "files can be -)\n",
        ),
        (
            ("prices", "diff", "-", "-"),
            "error: standard input (-) is already the price sheet; only one input can be -; "
            "give the price sheet as a file\n",
        ),
    ],
)
def test_stdin_refusals(args: tuple[str, ...], message: str) -> None:
    r = cli(*args)
    assert (r.returncode, r.stdout, r.stderr) == (2, "", message)


def test_output_over_stdin_file_is_refused(basic: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    assert cli("optimize", basic / "workload.yaml", "-q", "-o", plan).returncode == 0
    before = plan.read_bytes()
    r = cli("export", "-", "--to", "csv", "-o", plan, stdin=plan)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == (
        f"error: {plan}: --out is the same file as the plan file -; refusing to overwrite "
        "an input\n"
    )
    # ... < plan.yaml 1<> plan.yaml: standard output is the very file standard input is
    with plan.open("rb") as f, plan.open("r+b") as out:
        p = subprocess.run(
            [sys.executable, "-m", "costplan", "report", "-"], stdin=f, stdout=out,
            stderr=subprocess.PIPE, text=True, check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
        )  # fmt: skip
    assert p.returncode == 2
    assert p.stderr == (
        "error: -: standard output is redirected to this plan file; refusing to write over "
        "an input; redirect standard output to another file\n"
    )
    assert plan.read_bytes() == before


def test_dash_output_is_stdout_not_a_file(basic: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    assert cli("optimize", basic / "workload.yaml", "-q", "-o", plan).returncode == 0
    r = cli("export", plan, "--to", "csv", "-o", "-", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("task,model,")
    assert not (tmp_path / "-").exists()


def test_completion_scripts_and_protocol() -> None:
    r = cli("completion", "bash")
    assert r.returncode == 0, r.stderr
    assert "complete -o default -F _costplan_completion costplan" in r.stdout
    assert "_COSTPLAN_COMPLETE=complete_bash" in r.stdout
    assert cli("completion", "zsh").stdout.startswith("#compdef costplan\n")
    assert "complete --command costplan --no-files" in cli("completion", "fish").stdout
    # what the bash script asks: the words so far, the index of the word being completed
    env = {"_COSTPLAN_COMPLETE": "complete_bash", "COMP_WORDS": "costplan opt", "COMP_CWORD": "1"}
    assert cli(env=env).stdout.split() == ["optimize"]
    env["COMP_WORDS"], env["COMP_CWORD"] = "costplan optimize w.yaml --objective m", "4"
    assert cli(env=env).stdout.split() == ["max_quality", "min_cost"]
    r = cli("completion", "tcsh")
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr == "error: SHELL must be one of bash, zsh, fish (got 'tcsh')\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("optimize",),
            "error: costplan optimize: Missing argument 'workload'; see 'costplan optimize "
            "--help'\n",
        ),
        (
            ("estimate", "w.yaml", "--bogus"),
            "error: costplan estimate: No such option: --bogus; see 'costplan estimate --help'\n",
        ),
        (("optimize", "w.yaml", "--objective", "cheap"),
         "error: --objective must be max_quality or min_cost (got 'cheap')\n"),
        (("nosuch",), "error: costplan: No such command 'nosuch'; see 'costplan --help'\n"),
    ],
)  # fmt: skip
def test_usage_errors_are_one_line(run: Runner, args: tuple[str, ...], message: str) -> None:
    r = run(*args)
    assert (r.code, r.out, r.err) == (2, "", message)
