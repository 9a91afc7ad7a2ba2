from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from costplan.errors import InputError
from costplan.yamlsource import load_document, load_yaml


def write(tmp_path: Path, text: str | bytes, name: str = "f.yaml") -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text)
    return p


def test_floats_are_exact_decimals_and_lines_are_known(tmp_path: Path) -> None:
    doc = load_yaml(write(tmp_path, "a: 1\nb:\n  c: 0.15\n  d: [1, 2.5]\n"), what="x")
    assert doc.data == {"a": 1, "b": {"c": Decimal("0.15"), "d": [1, Decimal("2.5")]}}
    assert doc.line_of(("b", "c")) == 3
    assert doc.line_of(("b", "d", 1)) == 4
    assert doc.line_of(("b", "zzz")) == 2


def test_duplicate_keys_are_rejected_with_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"f\.yaml:3: m: duplicate key 'x'"):
        load_yaml(write(tmp_path, "m:\n  x: 1\n  x: 2\n"), what="x")


def test_malformed_yaml_names_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"f\.yaml:2: malformed YAML"):
        load_yaml(write(tmp_path, "a: [1, 2\nb: 3\n"), what="x")


def test_billion_laughs_is_bounded(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev = f"*a{i - 1}"
        lines.append(f"a{i}: &a{i} [{', '.join([prev] * 10)}]")
    with pytest.raises(InputError, match="alias bomb"):
        load_yaml(write(tmp_path, "\n".join(lines) + "\n"), what="x")


def test_deep_nesting_is_bounded(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nested deeper"):
        load_yaml(write(tmp_path, "[" * 200 + "]" * 200), what="x")


def test_python_tags_are_not_constructed(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unsupported YAML tag"):
        load_yaml(write(tmp_path, "a: !!python/object/apply:os.system ['echo hi']\n"), what="x")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"a: 1\x00\n", "binary"),
        (b"a: \xff\xfe\n", "not valid UTF-8 (byte offset 3)"),
    ],
)
def test_binary_and_non_utf8(tmp_path: Path, content: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_yaml(write(tmp_path, content), what="workload")


def test_missing_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="workload not found"):
        load_yaml(tmp_path / "nope.yaml", what="workload")
    with pytest.raises(InputError, match="is a directory"):
        load_yaml(tmp_path, what="workload")


def test_json_by_suffix_is_exact(tmp_path: Path) -> None:
    doc = load_document(write(tmp_path, '{"p": 0.1}', "f.json"), what="x")
    assert doc.data == {"p": Decimal("0.1")}
    with pytest.raises(InputError, match=r"f\.json:1: malformed JSON"):
        load_document(write(tmp_path, '{"p": }', "f.json"), what="x")
