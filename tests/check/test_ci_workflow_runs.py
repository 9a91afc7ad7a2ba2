"""examples/ci/*.yml: linted with GitHub's workflow schema, and price-watch.yml run as shipped.

The lint is ``check-jsonschema --builtin-schema vendor.github-workflows`` (its vendored
copy of SchemaStore's schema: no network), run as a real process.

The run executes every ``run:`` script of price-watch.yml, in order, with bash as GitHub
runs it (``bash --noprofile --norc -eo pipefail``), the job's env, ``RUNNER_TEMP``,
``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY``, and each step's ``if:`` evaluated from the
outputs of earlier steps. Commands outside costplan are stand-ins on ``PATH`` that record
their arguments: ``pip`` (the install step), ``gh`` (the comment). The ``uses:`` steps are
checkout (the scratch repository is the checkout), setup-python (the test's Python) and
create-pull-request (recorded; it reports pull request number 7). ``costplan`` is this
checkout's CLI. ``git fetch origin`` reaches a local bare repository standing for GitHub.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).parents[2]
CI = ROOT / "examples" / "ci"
WORKFLOW = CI / "price-watch.yml"
CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"


def _lint(*paths: Path) -> subprocess.CompletedProcess[str]:
    assert CHECK_JSONSCHEMA.exists(), "check-jsonschema (the test extra) is not installed"
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_the_example_workflows_pass_the_github_workflow_schema(tmp_path: Path) -> None:
    workflows = sorted(CI.glob("*.yml"))
    assert [p.name for p in workflows] == ["price-watch.yml", "reconcile.yml"]
    r = _lint(*workflows)
    assert r.returncode == 0, r.stdout + r.stderr
    # The lint can fail: a step with both `run` and `uses`, and a misspelt key, are refused.
    bad = tmp_path / "bad.yml"
    bad.write_text(WORKFLOW.read_text().replace("    runs-on: ubuntu-latest", "    run-on: x"))
    r = _lint(bad)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Schema validation errors" in r.stdout


# --- the run ------------------------------------------------------------------------------

WORKLOAD = """
name: answers
budget_usd: 1000
prices: ../prices/catalog.yaml
tasks:
  - {name: answer, volume: 100000, prompt: {tokens: 1500}, output_tokens: 200, min_quality: 0.8}
quality:
  answer: {gpt-4o-mini: 0.78, gpt-4o: 0.9}
"""
STANDIN = """#!/bin/sh
echo "$(basename "$0") $*" >> "{log}"
"""


def _condition(expr: str, outputs: dict[str, dict[str, str]]) -> bool:
    """The few ``if:`` forms the workflow uses: ``steps.S.outputs.K (==|!=) 'V'`` joined
    by ``&&``."""
    result = True
    for part in expr.split("&&"):
        m = re.fullmatch(r"\s*steps\.([\w-]+)\.outputs\.([\w-]+) (==|!=) '([^']*)'\s*", part)
        assert m, f"unsupported if: {expr!r}"
        value = outputs.get(m[1], {}).get(m[2], "")
        result = result and ((value == m[4]) == (m[3] == "=="))
    return result


def _expand(text: str, outputs: dict[str, dict[str, str]], env: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        expr = m[1].strip()
        if expr.startswith("steps."):
            _, step, _, key = expr.split(".")
            return outputs.get(step, {}).get(key, "")
        if expr.startswith("env."):
            return env[expr.removeprefix("env.")]
        return {"github.token": "token", "runner.temp": env["RUNNER_TEMP"]}[expr]

    return re.sub(r"\$\{\{(.*?)\}\}", one, text)


class Run:
    """One run of the workflow in ``repo``; what it did."""

    def __init__(self, repo: Path, tmp: Path) -> None:
        self.repo, self.tmp = repo, tmp
        self.log = tmp / "calls.log"
        self.log.write_text("")
        self.pr: dict[str, Any] | None = None
        self.ran: list[str] = []

    def __call__(self) -> int:
        data = yaml.safe_load(WORKFLOW.read_text())
        job = data["jobs"]["price-watch"]
        temp = self.tmp / "runner-temp"
        shutil.rmtree(temp, ignore_errors=True)
        temp.mkdir()
        bin_dir = self.tmp / "bin"
        bin_dir.mkdir(exist_ok=True)
        for name in ("pip", "gh"):
            (bin_dir / name).write_text(STANDIN.format(log=self.log))
            (bin_dir / name).chmod(0o755)
        (bin_dir / "costplan").write_text(
            f'#!/bin/sh\nPYTHONPATH="{ROOT / "src"}" exec "{sys.executable}" -m costplan "$@"\n'
        )
        (bin_dir / "costplan").chmod(0o755)
        env = {**os.environ, **job["env"], "RUNNER_TEMP": str(temp),
               "GITHUB_STEP_SUMMARY": str(temp / "summary.md"),
               "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "COLUMNS": "100"}  # fmt: skip
        outputs: dict[str, dict[str, str]] = {}
        for i, step in enumerate(job["steps"]):
            if "if" in step and not _condition(step["if"], outputs):
                continue
            name = step.get("name", step.get("uses", ""))
            self.ran.append(name)
            if "uses" in step:
                if step["uses"].startswith("peter-evans/create-pull-request@"):
                    self.pr = {k: _expand(str(v), outputs, env) for k, v in step["with"].items()}
                    self.pr["sheet"] = (self.repo / step["with"]["add-paths"]).read_text()
                    outputs[step["id"]] = {"pull-request-number": "7"}
                continue
            out_file = temp / f"output-{i}"
            out_file.write_text("")
            step_env = {k: _expand(str(v), outputs, env) for k, v in step.get("env", {}).items()}
            r = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=self.repo, env={**env, **step_env, "GITHUB_OUTPUT": str(out_file)},
                capture_output=True, text=True, timeout=300, check=False,
            )  # fmt: skip
            if r.returncode != 0:
                self.failed = (name, r.returncode, r.stderr)
                return r.returncode
            if "id" in step:
                pairs = (ln.split("=", 1) for ln in out_file.read_text().splitlines() if ln)
                outputs[step["id"]] = dict(pairs)
        return 0

    def calls(self, tool: str) -> list[str]:
        return [ln for ln in self.log.read_text().splitlines() if ln.startswith(tool + " ")]


def _git(repo: Path, *args: str) -> str:
    r = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True,
                       env={**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
                            "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"})  # fmt: skip
    return r.stdout


def _costplan(repo: Path, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    r = subprocess.run([sys.executable, "-m", "costplan", *args], cwd=repo, env=env,
                       capture_output=True, text=True, check=False)  # fmt: skip
    assert r.returncode == 0, r.stderr


def _repo(tmp: Path) -> Path:
    """The documented layout; the sheet imported as the workflow does, then dated back a
    month (only ``as_of`` differs from what a run imports), a plan saved at its prices."""
    repo = tmp / "repo"
    for folder in ("workloads", "prices", "plans"):
        (repo / folder).mkdir(parents=True)
    (repo / "workloads" / "answers.yaml").write_text(WORKLOAD)
    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["price-watch"]
    _costplan(repo, "prices", "import", "--from", "genai-prices", *job["env"]["PROVIDERS"].split(),
              "-o", "prices/catalog.yaml")  # fmt: skip
    sheet = repo / "prices" / "catalog.yaml"
    text, n = re.subn(r"(?m)^as_of: \S+$", "as_of: 2020-01-01", sheet.read_text())
    assert n == 1
    sheet.write_text(text)
    _costplan(repo, "optimize", "workloads/answers.yaml", "-o", "plans/answers.yaml", "-q")
    origin = tmp / "origin.git"
    _git(tmp, "init", "-q", "--bare", str(origin))
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "remote", "add", "origin", str(origin))
    _git(repo, "add", ".")
    _git(repo, "commit", "-qm", "layout")
    _git(repo, "push", "-q", "origin", "main")
    return repo


def _reprice(sheet: Path, model: str) -> None:
    """``model``'s input price in the sheet raised by 1 USD per Mtok."""
    text = sheet.read_text()
    m = re.search(rf"(?ms)^  {re.escape(model)}:\n.*?^    input_usd_per_mtok: ([0-9.]+)$", text)
    assert m, model
    new = text[: m.start(1)] + str(float(m[1]) + 1) + text[m.end(1):]
    sheet.write_text(new)


def test_price_watch_runs_as_shipped_and_comments_once_per_real_change(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    sheet = repo / "prices" / "catalog.yaml"
    committed = sheet.read_text()

    # 1. Only as_of moved: no pull request, no comment.
    run = Run(repo, tmp_path)
    assert run() == 0, getattr(run, "failed", None)
    assert run.calls("pip") == ["pip install ."]  # costplan from this checkout
    fresh = sheet.read_text()
    assert fresh != committed  # the import did run: its as_of is today's
    assert re.sub(r"(?m)^as_of: \S+$", "", fresh) == re.sub(r"(?m)^as_of: \S+$", "", committed)
    _git(repo, "checkout", "-q", "--", ".")
    assert run.pr is None
    assert run.calls("gh") == []
    assert "Re-price the saved plans (costplan check)" in run.ran

    # 2. The committed sheet had an older gpt-4o price: a real change, one PR and one comment.
    _reprice(sheet, "gpt-4o")
    _git(repo, "commit", "-qam", "old gpt-4o price")
    run = Run(repo, tmp_path)
    rc = run()
    assert run.pr is not None
    assert run.pr["branch"] == "price-watch/catalog"
    assert run.calls("gh") == ["gh pr comment 7 --body-file " + str(tmp_path / "runner-temp" /
                                                                    "report.md")]  # fmt: skip
    report = (tmp_path / "runner-temp" / "report.md").read_text()
    assert "gpt-4o" in report
    # The saved plan was made at the catalog's prices, which the run imports again: it holds.
    assert rc == 0, getattr(run, "failed", None)

    # 3. The pull request's branch holds that proposal; next week's import differs from it
    #    in as_of only: no new comment (the open PR already says it).
    proposed = re.sub(r"(?m)^as_of: \S+$", "as_of: 2020-02-01", run.pr["sheet"])
    _git(repo, "stash", "-q")
    _git(repo, "checkout", "-q", "-b", "price-watch/catalog")
    sheet.write_text(proposed)
    _git(repo, "commit", "-qam", "proposal")
    _git(repo, "push", "-q", "origin", "price-watch/catalog")
    _git(repo, "checkout", "-q", "main")
    run = Run(repo, tmp_path)
    assert run() == 0, getattr(run, "failed", None)  # the check ran on the fresh prices
    assert run.pr is None
    assert run.calls("gh") == []
    # The job summary still shows the change against this branch's (older) sheet.
    assert "gpt-4o" in (tmp_path / "runner-temp" / "report.md").read_text()
