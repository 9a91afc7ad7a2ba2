"""The bad-input corpus (tests/data/bad): every case fails cleanly, as its manifest says.

A clean failure: the expected exit code, stderr that starts with ``error:``, names
the file, line and key path and the offending value (the manifest's fragments),
and never a traceback or an "internal error".
"""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.trust.conftest import Runner

BAD = Path(__file__).parent.parent / "data" / "bad"
CASES: list[dict[str, Any]] = yaml.safe_load((BAD / "cases.yaml").read_text())["cases"]


def _fill(text: str, case: dict[str, Any], tmp: Path) -> str:
    # Not str.format: fragments quote YAML flow mappings, braces included.
    return (
        text.replace("{dir}", str(BAD / case["name"]))
        .replace("{bad}", str(BAD))
        .replace("{tmp}", str(tmp))
    )


def _check(case: dict[str, Any], code: int, err: str, tmp: Path) -> None:
    assert code == case["exit"], err
    assert err.startswith("error: "), err
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    assert err.count("\n") == 1, f"expected one line on stderr: {err!r}"
    for fragment in case["expect"]:
        assert _fill(fragment, case, tmp) in err


def test_manifest_matches_folders() -> None:
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names)), "duplicate case names"
    folders = {p.name for p in BAD.iterdir() if p.is_dir() and not p.name.startswith("_")}
    assert folders == set(names)
    assert len(CASES) >= 165  # issue 11 grew the corpus from 111
    kinds = {c["input"] for c in CASES}
    assert {"workload", "prices", "samples", "plan", "queries", "cli"} <= kinds
    for c in CASES:
        assert c["expect"], c["name"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_bad_input_fails_cleanly(case: dict[str, Any], run: Runner, tmp_path: Path) -> None:
    args = [_fill(a, case, tmp_path) for a in shlex.split(case["args"])]
    r = run(*args)
    _check(case, r.code, r.err, tmp_path)
    assert not list(tmp_path.iterdir()), "a failed command left output behind"


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
