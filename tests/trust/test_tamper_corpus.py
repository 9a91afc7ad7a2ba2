"""`costplan verify` refuses every case of tests/data/tamper/cases.yaml with its expected line.

The base plans are written by the CLI from the bundled quickstart example; each case changes
one thing. Expected lines are derived by hand in the corpus file's header.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli.conftest import Runner
from tests.trust.tamper import set_path

ROOT = Path(__file__).parent.parent.parent
CASES = yaml.safe_load((ROOT / "tests" / "data" / "tamper" / "cases.yaml").read_text())["cases"]
_BASES: dict[str, tuple[Path, dict[str, Any]]] = {}


def _base(run: Runner, name: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Any]:
    if name not in _BASES:
        folder = tmp_path_factory.mktemp(name) / "quickstart"
        shutil.copytree(ROOT / "examples" / "quickstart", folder)
        if name == "google-cap":
            with (folder / "workload.yaml").open("a") as fh:
                fh.write("constraints:\n  max_provider_share: {google: 0.2}\n")
        plan = folder / "plan.yaml"
        r = run("optimize", folder / "workload.yaml", "-o", plan, "-q")
        assert r.code == 0, r.err
        assert run("verify", plan).code == 0  # the untouched plan verifies
        _BASES[name] = (folder, yaml.safe_load(plan.read_text()))
    folder, doc = _BASES[name]
    return folder, yaml.safe_load(yaml.safe_dump(doc))  # a fresh deep copy


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_tampered_plan_is_refused(
    run: Runner, case: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder, doc = _base(run, case["base"], tmp_path_factory)
    for path, value in case["set"].items():
        set_path(doc, path, value)
    plan = tmp_path_factory.mktemp("tampered") / "plan.yaml"
    plan.write_text(yaml.safe_dump(doc, sort_keys=False))
    r = run("verify", plan, "--workload", folder / "workload.yaml")
    assert r.code == 1, (r.out, r.err)
    if "expect" in case:
        assert case["expect"] in r.out.splitlines(), r.out
    else:
        assert any(line.startswith(case["expect_start"]) for line in r.out.splitlines()), r.out


def test_every_case_names_a_key_path() -> None:
    for case in CASES:
        key = (case.get("expect") or case["expect_start"]).split(": ", 1)[0]
        assert re.fullmatch(r"[a-z_*]+(\.[a-z_0-9:.\-*]+|\[\d+\])*", key), case["name"]
