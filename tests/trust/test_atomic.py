"""Atomic outputs: a plan file is replaced whole or not at all.

``write_atomic`` writes a temporary file ``.cp-XXXXXXXX.tmp`` in the
destination's folder and renames it. Killed with SIGKILL mid-write, the old file
is intact; the temporary file cannot be cleaned up by a killed process and stays
(documented, never auto-deleted: another writer may own it). Interrupted with
SIGINT (Ctrl-C), SIGTERM or SIGHUP, the old file is intact, the temporary file is
removed and the CLI exits 128 + N with one line on stderr.
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


def _temps(folder: Path, _name: str = "") -> list[Path]:
    # Temporary names do not depend on the output's name.
    return sorted(folder.glob(".cp-*.tmp"))


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
    assert Path(src).name.startswith(".cp-")
    assert src.endswith(".tmp")
    assert len(Path(src).name) == 16  # short: any legal output name leaves room for it
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


# The repository (for tests.trust._slow_writer) and its src/ (for costplan, also
# when it is not installed), then whatever the caller had.
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join(
        [str(ROOT), str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
    ),
    "COLUMNS": "200",
}


def _default_signals() -> None:
    # A child of a background job (`cmd &` in a script) starts with SIGINT and SIGQUIT
    # ignored, and costplan rightly keeps an ignored signal ignored (see the nohup test
    # below). The interactive user these tests stand for has them at their defaults.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.trust._slow_writer", *args],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_signals,
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


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["SIGINT", "SIGTERM", "SIGHUP"]
)
def test_signal_mid_write_keeps_the_old_file_and_removes_the_temp(
    tmp_path: Path, basic: Path, sig: signal.Signals
) -> None:
    target = tmp_path / "plan.yaml"
    target.write_bytes(OLD)
    proc = _start("cli", str(target), str(basic / "workload.yaml"))
    temp = _wait_until_writing(proc)
    assert temp.exists()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, err  # 130, 143, 129: the shell's convention
    assert err == f"error: interrupted ({sig.name}); no output was left half-written\n"
    assert target.read_bytes() == OLD
    assert _temps(tmp_path) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["basic", "plan.yaml"]


def test_sighup_stays_ignored_under_nohup(tmp_path: Path, basic: Path) -> None:
    """A signal ignored when costplan starts (``nohup``) is not turned into an exit."""
    target = tmp_path / "plan.yaml"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.trust._slow_writer", "cli", str(target),
         str(basic / "workload.yaml")],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN),
    )  # fmt: skip
    _wait_until_writing(proc)
    proc.send_signal(signal.SIGHUP)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert target.read_text().startswith("format: 1\n")
    assert _temps(tmp_path) == []


def test_cli_run_without_interruption_replaces_the_file(
    run: Runner, basic: Path, tmp_path: Path
) -> None:
    target = tmp_path / "plan.yaml"
    target.write_bytes(OLD)
    r = run("optimize", basic / "workload.yaml", "--out", target, "-q")
    assert r.code == 0, r.err
    assert target.read_text().startswith("format: 1\n")
    assert _temps(tmp_path, "plan.yaml") == []
