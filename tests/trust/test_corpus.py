"""The bad-input corpus (tests/data/bad): every case fails cleanly, as its manifest says.

A clean failure: the expected exit code, stderr that starts with ``error:``, names
the file, line and key path and the offending value (the manifest's fragments, or
the whole line for cases with ``message``), and never a traceback or an
"internal error". Nothing is overwritten: the files of ``{work}`` (a fresh copy of
the case folder, where ``setup`` may add FIFOs, sockets and links) are unchanged
after the run, and ``{tmp}`` is still empty.

Cases with ``signal`` run in a child process whose writes are slowed down
(tests.trust._slow_writer); the signal is sent while the output is being written.
Cases with ``missing`` run in a child process where those modules cannot be
imported (``sys.modules[name] = None``, as when the package is not installed;
``name:empty`` makes it an empty module, as an old version without what costplan
imports from it), before costplan is imported.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.trust.conftest import Runner

BAD = Path(__file__).parent.parent / "data" / "bad"
CASES: list[dict[str, Any]] = yaml.safe_load((BAD / "cases.yaml").read_text())["cases"]


def _fill(text: str, case: dict[str, Any], tmp: Path, work: Path | None = None) -> str:
    # Not str.format: fragments quote YAML flow mappings, braces included.
    text = (
        text.replace("{dir}", str(BAD / case["name"]))
        .replace("{bad}", str(BAD))
        .replace("{tmp}", str(tmp))
    )
    return text if work is None else text.replace("{work}", str(work))


def _check(case: dict[str, Any], code: int, err: str, tmp: Path, work: Path | None = None) -> None:
    assert code == case["exit"], err
    assert err.startswith("error: "), err
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    assert err.count("\n") == 1, f"expected one line on stderr: {err!r}"
    for fragment in case.get("expect", []):
        assert _fill(fragment, case, tmp, work) in err
    if "message" in case:
        assert err == "error: " + _fill(case["message"], case, tmp, work) + "\n"


def _setup(case: dict[str, Any], work: Path) -> None:
    """Copy the case folder to ``work`` and run its ``setup`` lines (paths in ``work``):
    ``fifo NAME``, ``socket NAME``, ``symlink TARGET NAME``, ``hardlink TARGET NAME``."""
    shutil.copytree(BAD / case["name"], work, symlinks=True, dirs_exist_ok=True)
    for line in case.get("setup", []):
        action, *names = line.split()
        where = work / names[-1]
        where.parent.mkdir(parents=True, exist_ok=True)
        if action == "fifo":
            os.mkfifo(where)
        elif action == "socket":
            sock = socket.socket(socket.AF_UNIX)
            sock.bind(str(where))
            sock.close()
        elif action == "symlink":
            where.symlink_to(names[0])
        elif action == "hardlink":
            os.link(work / names[0], where)
        else:
            raise AssertionError(f"{case['name']}: unknown setup {line!r}")


def _snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder``: regular files by content, others by kind or link."""
    state: dict[str, str] = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(root) / name
            if path.is_symlink():
                state[str(path)] = "-> " + os.readlink(path)
            elif path.is_file():
                state[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
            else:
                state[str(path)] = "dir" if path.is_dir() else "special"
    return state


def test_manifest_matches_folders() -> None:
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    folders = {p.name for p in BAD.iterdir() if p.is_dir() and not p.name.startswith("_")}
    assert folders == set(names)
    assert len(CASES) >= 286  # issue 11 grew the corpus from 111 (round two: 88 more)
    kinds = {c["input"] for c in CASES}
    assert {"workload", "prices", "samples", "plan", "queries", "cli"} <= kinds
    for c in CASES:
        assert c.get("expect") or c.get("message"), c["name"]


IN_PROCESS = [c for c in CASES if "signal" not in c and "missing" not in c]
MISSING = [c for c in CASES if "missing" in c]
SIGNALLED = [c for c in CASES if "signal" in c]


@pytest.mark.parametrize("case", IN_PROCESS, ids=[c["name"] for c in IN_PROCESS])
def test_bad_input_fails_cleanly(
    case: dict[str, Any], run: Runner, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    work = tmp_path_factory.mktemp("work")
    _setup(case, work)
    before = _snapshot(work)
    args = [_fill(a, case, tmp_path, work) for a in shlex.split(case["args"])]
    r = run(*args)
    _check(case, r.code, r.err, tmp_path, work)
    assert not list(tmp_path.iterdir()), "a failed command left output behind"
    assert _snapshot(work) == before, "a failed command changed a file"


ROOT = Path(__file__).parent.parent.parent


@pytest.mark.parametrize("case", SIGNALLED, ids=[c["name"] for c in SIGNALLED])
def test_signal_mid_write_fails_cleanly(
    case: dict[str, Any], tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    work = tmp_path_factory.mktemp("work")
    _setup(case, work)
    before = _snapshot(work)
    args = [_fill(a, case, tmp_path, work) for a in shlex.split(case["args"])]
    path = os.pathsep.join([str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.trust._slow_writer", "run", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path, "COLUMNS": "200"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "writing <temp file>": the output is half-written now
    assert line.startswith("writing "), line
    proc.send_signal(getattr(signal, case["signal"]))
    _, err = proc.communicate(timeout=120)
    _check(case, proc.returncode, err, tmp_path, work)
    assert not list(tmp_path.iterdir()), "an interrupted command left output behind"
    assert _snapshot(work) == before, "an interrupted command changed a file or left a temp"


# A few cases again through the installed console script in a fresh process:
# the same messages when nothing is imported in advance, and real exit statuses.
SUBPROCESS = ["yaml-billion-laughs", "volume-huge-exponent", "plan-tampered-total", "sample-binary"]


@pytest.mark.parametrize("name", SUBPROCESS)
def test_bad_input_in_a_fresh_process(name: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c["name"] == name)
    args = [_fill(a, case, tmp_path) for a in shlex.split(case["args"])]
    proc = subprocess.run(
        [sys.executable, "-m", "costplan", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    _check(case, proc.returncode, proc.stderr, tmp_path)
    assert proc.stdout == ""


#: A child process in which the case's modules cannot be imported, then the CLI.
_BLOCKED_MAIN = (
    "import sys, types\n{blocks}\nfrom costplan.cli.app import main\nmain(sys.argv[1:])\n"
)


def _blocks(missing: list[str]) -> str:
    lines = []
    for entry in missing:
        name, _, how = entry.partition(":")
        value = f"types.ModuleType({name!r})" if how == "empty" else "None"
        lines.append(f"sys.modules[{name!r}] = {value}")
    return "\n".join(lines)


@pytest.mark.parametrize("case", MISSING, ids=[c["name"] for c in MISSING])
def test_missing_package_fails_cleanly(
    case: dict[str, Any], tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """One line naming the package and the pip command, exit 2, nothing written."""
    work = tmp_path_factory.mktemp("work")
    _setup(case, work)
    before = _snapshot(work)
    args = [_fill(a, case, tmp_path, work) for a in shlex.split(case["args"])]
    path = os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [sys.executable, "-c", _BLOCKED_MAIN.format(blocks=_blocks(case["missing"])), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": path, "COLUMNS": "200"},
    )
    _check(case, proc.returncode, proc.stderr, tmp_path, work)
    assert "pip install" in proc.stderr
    assert proc.stdout == ""
    assert not list(tmp_path.iterdir()), "a failed command left output behind"
    assert _snapshot(work) == before, "a failed command changed a file"
