"""The independent checker's own guard on sample globs (costplan/verify/tokens.py).

The checker imports no costplan reader (tests/trust/test_checker_imports.py), so
it has its own walk: a ``**`` pattern over a symlink loop is refused before
:func:`glob.glob` runs (which, with two loops, branches without end: each level
doubles), and matches that are not regular files are refused without being read.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from costplan.errors import InputError
from costplan.verify import tokens
from tests.trust.conftest import Runner

DATA = Path(__file__).parent.parent / "data"


def _tree(root: Path) -> Path:
    (root / "s" / "a").mkdir(parents=True)
    (root / "s" / "a" / "1.txt").write_text("one")
    (root / "s" / "b").mkdir()
    (root / "s" / "b" / "2.txt").write_text("two")
    return root


def _no_glob(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_a: object, **_k: object) -> list[str]:
        raise AssertionError("glob.glob ran over a symlink loop")

    monkeypatch.setattr(tokens.glob, "glob", refuse)


def test_a_plain_tree_is_read(tmp_path: Path) -> None:
    base = _tree(tmp_path)
    assert tokens.sample_texts("s/**/*.txt", base, None) == ["one", "two"]


@pytest.mark.parametrize("links", [1, 2])
def test_a_symlink_loop_under_double_star_is_refused_before_globbing(
    tmp_path: Path, links: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = _tree(tmp_path)
    os.symlink("..", base / "s" / "a" / "up")  # s/a/up -> s (an ancestor)
    if links == 2:
        os.symlink("../..", base / "s" / "b" / "top")  # s/b/top -> base
    _no_glob(monkeypatch)
    with pytest.raises(InputError) as err:
        tokens.sample_texts("s/**/*.txt", base, None)
    text = err.value.render()
    assert "\n" not in text
    assert "sample pattern runs into a symlink loop at 's/" in text
    assert "'s/**/*.txt'" in text


def test_a_match_through_a_loop_without_double_star_is_refused(tmp_path: Path) -> None:
    base = _tree(tmp_path)
    os.symlink("..", base / "s" / "a" / "up")
    with pytest.raises(InputError, match="reached through a symlink loop"):
        tokens.sample_texts("s/a/up/b/*.txt", base, None)


def test_a_sibling_symlink_is_not_a_loop(tmp_path: Path) -> None:
    base = _tree(tmp_path)
    os.symlink("../b", base / "s" / "a" / "bee")  # s/a/bee -> s/b: no ancestor
    assert tokens.sample_texts("s/**/*.txt", base, None) == ["one", "two", "two"]


def test_too_many_folders_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = _tree(tmp_path)
    monkeypatch.setattr(tokens, "MAX_FOLDERS", 2)  # s, s/a, s/b: three folders
    with pytest.raises(InputError, match="walks more than 2 folders"):
        tokens.sample_texts("s/**/*.txt", base, None)


def test_a_fifo_or_a_folder_match_is_refused_not_read(tmp_path: Path) -> None:
    base = _tree(tmp_path)
    os.mkfifo(base / "s" / "a" / "pipe.txt")  # opening it for reading would block
    with pytest.raises(InputError, match=r"sample is a FIFO \(named pipe\), expected a regular"):
        tokens.sample_texts("s/a/*.txt", base, None)
    with pytest.raises(InputError, match="sample is a directory, expected a regular file"):
        tokens.sample_texts("s/*", base, None)  # matches the folders s/a and s/b


def test_costplan_verify_refuses_a_loop_added_after_planning(tmp_path: Path, run: Runner) -> None:
    """End to end: a plan made on a clean tree; then a loop appears; verify says so
    on one line (exit 2) instead of walking it."""
    folder = tmp_path / "basic"
    shutil.copytree(DATA / "basic", folder)
    workload = folder / "workload.yaml"
    text = workload.read_text()
    assert "samples/a/*.txt" in text
    workload.write_text(text.replace("samples/a/*.txt", "samples/**/*.txt"))
    r = run("optimize", workload, "-q", "--out", folder / "plan.yaml")
    assert r.code == 0, r.err
    (folder / "samples" / "c").mkdir()
    os.symlink("..", folder / "samples" / "a" / "up")
    os.symlink("../..", folder / "samples" / "c" / "top")
    r = run("verify", folder / "plan.yaml")
    assert r.code == 2, r.err
    assert r.err.count("\n") == 1
    assert r.err.startswith("error: ")
    assert "symlink loop at 'samples/" in r.err
