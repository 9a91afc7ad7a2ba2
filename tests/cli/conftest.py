from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from costplan.cli.app import main

DATA = Path(__file__).parent.parent / "data"


@dataclass
class Result:
    code: int
    out: str
    err: str


Runner = Callable[..., Result]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Runner:
    """Run the CLI in-process, as the console script does; return code and output."""
    monkeypatch.setenv("COLUMNS", "200")

    def _run(*args: str | Path) -> Result:
        code = 0
        try:
            main([str(a) for a in args])
        except SystemExit as exc:
            code = int(exc.code or 0) if not isinstance(exc.code, str) else 1
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return _run


@pytest.fixture
def basic(tmp_path: Path) -> Path:
    """A writable copy of tests/data/basic; returns the folder."""
    dest = tmp_path / "basic"
    shutil.copytree(DATA / "basic", dest)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"fixture text {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))
