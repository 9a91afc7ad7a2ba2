"""JSON Schemas under schemas/: never drift from the pydantic schemas, accept the examples."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from costplan.cli.app import main
from costplan.pricing.load import load_price_sheet
from costplan.schemas import KINDS, json_schema, schema_filename, schema_text
from costplan.workload.load import load_workload

ROOT = Path(__file__).parent.parent
SCHEMAS = ROOT / "schemas"
EXAMPLE_FILES = sorted(
    p for p in (ROOT / "examples").glob("*/*.yaml") if p.name in ("workload.yaml", "prices.yaml")
)
DATA_FILES = [
    ROOT / "tests" / "data" / "basic" / "workload.yaml",
    ROOT / "tests/data/basic/prices.yaml",
]


def kind_of(path: Path) -> str:
    return "prices" if path.name.startswith("prices") else "workload"


@pytest.mark.parametrize("kind", KINDS)
def test_committed_schema_equals_a_fresh_generation(kind: str) -> None:
    committed = (SCHEMAS / schema_filename(kind)).read_text()
    assert committed == schema_text(kind), (
        f"schemas/{schema_filename(kind)} is stale: regenerate it with "
        f"`costplan schema {kind} -o schemas/{schema_filename(kind)}`"
    )


@pytest.mark.parametrize("kind", KINDS)
def test_every_key_is_described_for_editors(kind: str) -> None:
    schema = json_schema(kind)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert "$schema" in schema["properties"]  # files may name their schema
    definitions = {"(top)": schema, **schema.get("$defs", {})}
    undescribed = [
        f"{name}.{prop}"
        for name, d in definitions.items()
        for prop, spec in d.get("properties", {}).items()
        if not spec.get("description")
    ]
    undescribed += [name for name, d in definitions.items() if not d.get("description")]
    assert undescribed == [], "add descriptions in costplan/schemas.py DESCRIPTIONS"


def test_schema_command_prints_and_writes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def cli(*args: str) -> int:
        try:
            main(list(args))
        except SystemExit as exc:
            return int(exc.code or 0)
        return 0

    assert cli("schema", "prices") == 0
    assert capsys.readouterr().out == schema_text("prices")
    out = tmp_path / "w.json"
    assert cli("schema", "workload", "-o", str(out)) == 0
    assert out.read_text() == schema_text("workload")
    assert capsys.readouterr().out == ""
    # the reconcile report's schema, the committed file (tests/reconcile/test_reports.py
    # validates real reports against it)
    assert cli("schema", "reconcile") == 0
    assert capsys.readouterr().out == (SCHEMAS / "reconcile.schema.json").read_text()
    assert cli("schema", "workloads") == 2
    assert capsys.readouterr().err == (
        "error: unknown schema: choose workload, prices or reconcile (got 'workloads'); "
        "did you mean 'workload'?\n"
    )


def test_there_are_examples_to_check() -> None:
    assert {p.parent.name for p in EXAMPLE_FILES} >= {"quickstart"}


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_examples_name_their_schema_for_the_yaml_language_server(path: Path) -> None:
    first = path.read_text().splitlines()[0]
    expected = f"../../schemas/{schema_filename(kind_of(path))}"
    assert first == f"# yaml-language-server: $schema={expected}"
    assert (path.parent / expected).resolve() == (SCHEMAS / schema_filename(kind_of(path)))


@pytest.mark.parametrize("path", EXAMPLE_FILES + DATA_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_files_load_and_conform_to_the_committed_schema(path: Path) -> None:
    # costplan's validator is the pydantic loader ...
    if kind_of(path) == "prices":
        load_price_sheet(path)
    else:
        load_workload(path)
    # ... and the schema editors use accepts the same files.
    schema = json.loads((SCHEMAS / schema_filename(kind_of(path))).read_text())
    assert conform(yaml.safe_load(path.read_text()), schema, schema) == []


def test_the_tiny_validator_rejects_what_the_loader_rejects() -> None:
    schema = json.loads((SCHEMAS / "workload.schema.json").read_text())
    doc = yaml.safe_load((ROOT / "tests/data/basic/workload.yaml").read_text())
    doc["tasks"][0]["volumne"] = doc["tasks"][0].pop("volume")
    doc["period"] = "fortnight"
    doc["tasks"][1]["output_tokens"] = {"p95": 10}
    assert conform(doc, schema, schema) == [
        "period: not one of ['hour', 'day', 'week', 'month', 'quarter', 'year']",
        "tasks[0]: missing 'volume'",
        "tasks[0]: unknown key 'volumne'",
        "tasks[1].output_tokens: no alternative of anyOf fits",
    ]


# A tiny JSON Schema checker: just the keywords pydantic emits for these models
# (jsonschema is not a dependency). Returns the problems as "path: what" lines.

_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": (str, datetime.date),  # YAML dates are strings to a YAML language server
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "null": type(None),
}


def conform(value: Any, schema: dict[str, Any], root: dict[str, Any], at: str = "") -> list[str]:
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return conform(value, root["$defs"][name], root, at)
    where = at or "(top)"
    if "anyOf" in schema:
        if any(not conform(value, s, root, at) for s in schema["anyOf"]):
            return []
        return [f"{where}: no alternative of anyOf fits"]
    kind = schema.get("type")
    if kind is not None:
        is_bool = isinstance(value, bool)
        if not isinstance(value, _TYPES[kind]) or (is_bool and kind in ("integer", "number")):
            return [f"{where}: not {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        return [f"{where}: not one of {schema['enum']}"]
    if "const" in schema and value != schema["const"]:
        return [f"{where}: not {schema['const']!r}"]
    problems: list[str] = []
    if isinstance(value, int | float) and not isinstance(value, bool):
        for key, ok in (
            ("minimum", lambda b: value >= b),
            ("maximum", lambda b: value <= b),
            ("exclusiveMinimum", lambda b: value > b),
            ("exclusiveMaximum", lambda b: value < b),
        ):
            if key in schema and not ok(schema[key]):
                problems.append(f"{where}: {key} {schema[key]}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            problems.append(f"{where}: shorter than {schema['minLength']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            problems.append(f"{where}: does not match {schema['pattern']}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            problems.append(f"{where}: fewer than {schema['minItems']} items")
        for i, item in enumerate(value):
            problems += conform(item, schema.get("items", {}), root, f"{at}[{i}]")
    if isinstance(value, dict):
        props = schema.get("properties", {})
        problems += [
            f"{where}: missing {k!r}" for k in schema.get("required", ()) if k not in value
        ]
        extra = schema.get("additionalProperties", True)
        for k, v in value.items():
            path = f"{at}.{k}" if at else str(k)
            if k in props:
                problems += conform(v, props[k], root, path)
            elif extra is False:
                problems.append(f"{where}: unknown key {k!r}")
            elif isinstance(extra, dict):
                problems += conform(v, extra, root, path)
    return problems
