"""Atomic outputs: a plan file is replaced whole or not at all.

``write_atomic`` writes a temporary file in the destination's folder and renames
it. Killed with SIGKILL mid-write, the old file is intact; the temporary file
cannot be cleaned up by a killed process and stays (documented, never
auto-deleted: another writer may own it). Interrupted with SIGINT (Ctrl-C), the
old file is intact, the temporary file is removed and the CLI exits 130.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import costplan.atomic as atomic
from costplan.atomic import write_atomic
from costplan.errors import InputError
from tests.trust.conftest import Runner

ROOT = Path(__file__).parent.parent.parent
OLD = b"old plan: must survive\n"


def _temps(folder: Path, name: str) -> list[Path]:
    return sorted(folder.glob(f".{name}.*.tmp"))


def test_temp_file_in_the_same_folder_then_rename(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, str]] = []
    real_replace = os.replace

    def spy(src: Any, dst: Any) -> None:
        seen.append((str(src), str(dst)))
        assert Path(src).read_bytes() == b"new\n"  # complete before the rename
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", spy)
    target = tmp_path / "plan.yaml"
    target.write_bytes(OLD)
    os.chmod(target, 0o640)
    write_atomic(target, "new\n")
    ((src, dst),) = seen
    assert Path(src).parent == tmp_path
    assert Path(src).name.startswith(".plan.yaml.")
    assert src.endswith(".tmp")
    assert dst == str(target)
    assert target.read_bytes() == b"new\n"
    assert target.stat().st_mode & 0o777 == 0o640  # the old file's permissions are kept
    assert _temps(tmp_path, "plan.yaml") == []


def test_disk_full_mid_write_is_an_input_error_and_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fdopen = os.fdopen

    class Full:
        def __init__(self, raw: Any) -> None:
            self.raw = raw

        def write(self, data: bytes) -> int:
            self.raw.write(data[:10])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def __enter__(self) -> Full:
            return self

        def __exit__(self, *exc: object) -> None:
            self.raw.close()

    monkeypatch.setattr(atomic.os, "fdopen", lambda fd, mode: Full(real_fdopen(fd, mode)))
    target = tmp_path / "plan.yaml"
    target.write_bytes(OLD)
    with pytest.raises(InputError, match=r"plan\.yaml: cannot write output: No space left"):
        write_atomic(target, b"x" * 1000)
    assert target.read_bytes() == OLD
    assert _temps(tmp_path, "plan.yaml") == []


def _start(*args: str) -> subprocess.Popen[str]:
    # The child imports this test package (from ROOT) and the very costplan this process
    # imported (installed, or a src/ on PYTHONPATH), whatever PYTHONPATH held before.
    here = str(Path(atomic.__file__).resolve().parent.parent)
    path = [str(ROOT), here, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "COLUMNS": "200"}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.trust._slow_writer", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_until_writing(proc: subprocess.Popen[str]) -> Path:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("writing "), (line, proc.stderr.read() if proc.stderr else "")
    return Path(line.split(" ", 1)[1].strip())


def test_sigkill_mid_write_leaves_the_old_file_intact(tmp_path: Path) -> None:
    target = tmp_path / "plan.yaml"
    target.write_bytes(OLD)
    proc = _start("write", str(target))
    temp = _wait_until_writing(proc)
    assert temp.parent == tmp_path
    proc.kill()
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert target.read_bytes() == OLD
    # A killed process cannot remove its temporary file: it stays, partial, beside
    # the plan (documented in costplan.atomic), and is never mistaken for the plan.
    assert _temps(tmp_path, "plan.yaml") == [temp]
    assert 0 < temp.stat().st_size < 4_000_000
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["plan.yaml", temp.name])


def test_ctrl_c_mid_write_keeps_the_old_file_and_removes_the_temp(
    tmp_path: Path, basic: Path
) -> None:
    target = tmp_path / "plan.yaml"
    target.write_bytes(OLD)
    proc = _start("cli", str(target), str(basic / "workload.yaml"))
    _wait_until_writing(proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert target.read_bytes() == OLD
    assert _temps(tmp_path, "plan.yaml") == []


def test_cli_run_without_interruption_replaces_the_file(
    run: Runner, basic: Path, tmp_path: Path
) -> None:
    target = tmp_path / "plan.yaml"
    target.write_bytes(OLD)
    r = run("optimize", basic / "workload.yaml", "--out", target, "-q")
    assert r.code == 0, r.err
    assert target.read_text().startswith("format: 1\n")
    assert _temps(tmp_path, "plan.yaml") == []
