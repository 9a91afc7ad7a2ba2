"""JSON (against its schema), HTML (self-contained, the waterfall) and markdown reports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from costplan.reconcile.schema import SCHEMA, schema_text
from tests.cli.conftest import Runner

ROOT = Path(__file__).parent.parent.parent


def test_the_committed_schema_is_current() -> None:
    assert (ROOT / "schemas" / "reconcile.schema.json").read_text() == schema_text()
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


@pytest.fixture
def planned(month: Path, run: Runner) -> Path:
    r = run("optimize", "workload.yaml", "-o", "plan.yaml", "-q")
    assert r.code == 0, r.err
    return month


@pytest.mark.usefixtures("planned")
def test_json_validates_against_the_schema(run: Runner) -> None:
    r = run("reconcile", "plan.yaml", "-u", "usage.csv", "-p", "actual.yaml", "-o", "r.json",
            "--max-overrun", "50")
    assert r.code == 0, r.err
    data = json.loads(Path("r.json").read_text())
    jsonschema.validate(data, SCHEMA)
    assert data["gate"] == {"passed": True, "reasons": []}


@pytest.mark.usefixtures("planned")
def test_html_is_self_contained_with_a_waterfall(run: Runner) -> None:
    r = run("reconcile", "plan.yaml", "-u", "usage.csv", "-p", "actual.yaml", "-o", "r.html")
    assert r.code == 0, r.err
    text = Path("r.html").read_text()
    assert text.startswith("<!DOCTYPE html>")
    start, end = text.index("<svg"), text.index("</svg>") + len("</svg>")
    svg = ET.fromstring(text[start:end])
    ids = {e.get("id") for e in svg.iter()}
    # plan, the six effects, actual
    assert {f"costplan-waterfall-{k}" for k in range(8)} <= ids
    without_svg = text[:start] + text[end:]
    assert "http" not in without_svg
    assert "<script" not in text
    assert "-$12.00" in text  # the unplanned effect in the effects table


@pytest.mark.usefixtures("planned")
def test_hostile_names_are_escaped_in_html(run: Runner) -> None:
    text = Path("usage.csv").read_text()
    Path("usage.csv").write_text(text + '"<b>x</b>",m-a,2026-11-05T00:00:00Z,,1,1000,0,200\n')
    r = run("reconcile", "plan.yaml", "-u", "usage.csv", "-o", "r.html")
    assert r.code == 0, r.err
    html = Path("r.html").read_text()
    assert "<b>x</b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html


@pytest.mark.usefixtures("planned")
def test_markdown_report_file_and_stdout_agree(run: Runner) -> None:
    r = run("reconcile", "plan.yaml", "-u", "usage.csv", "-o", "r.md")
    assert r.code == 0, r.err
    r2 = run("reconcile", "plan.yaml", "-u", "usage.csv", "-o", "-")
    assert r2.out == Path("r.md").read_text()
    assert "## Where the difference came from" in r2.out
