"""libyaml's C parser and PyYAML's pure parser give the same documents, lines and errors.

costplan composes YAML with libyaml when it is installed (:func:`costplan.yamlsource._compose`)
and falls back to the pure parser for the text the two dialects treat differently. Oracle: the
pure parser, forced, on every YAML file in the repository (examples, fixtures and the whole
bad-input corpus) and on generated documents.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from costplan.errors import InputError
from costplan.yamlsource import parse_yaml_text

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted(
    p
    for pattern in ("examples/**/*.yaml", "tests/data/**/*.yaml", "tests/data/**/*.yml")
    for p in ROOT.glob(pattern)
    if p.is_file()
)


def _outcome(text: str, path: Path) -> object:
    try:
        doc = parse_yaml_text(text, path)
    except InputError as exc:
        return ("error", str(exc), exc.line)
    return ("ok", doc.data, doc.lines)


def _both(text: str, path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    fast = _outcome(text, path)
    with monkeypatch.context() as m:
        m.setattr(yaml, "__with_libyaml__", False)
        pure = _outcome(text, path)
    return repr(fast), repr(pure)  # repr: Decimal('NaN') != Decimal('NaN'), but reprs match


def test_libyaml_is_there() -> None:
    # The fast path is what the 5,000-model sheet benchmark relies on (PyYAML wheels ship it).
    assert yaml.__with_libyaml__


def test_every_yaml_file_in_the_repository_parses_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert len(FILES) > 100
    for path in FILES:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # bad-encoding corpus cases never reach the parser
        fast, pure = _both(text, path, monkeypatch)
        assert fast == pure, path


@pytest.mark.parametrize(
    "text",
    [
        "a: 1e6\nb: 1.5e0\nc: '1e6'\nd: \"2e3\"\ne: 0x10\nf: 1_000\ng: .5\n",
        "x: &a {k: 1}\ny: *a\nz: {<<: *a, k: 2}\n",
        "- [1, 2, {a: b}]\n- ? complex\n  : key\n",
        "a: |\n  literal\n  text\nb: >\n  folded\n  text\n",
        "a: 2026-11-04\nb: 2026-11-04T10:00:00Z\nc: ~\nd: yes\ne: off\n",
        "a: 1\na: 2\n",
        "a: [1, 2\n",
        "a: b: c\n",
        "\u00e9t\u00e9: \u6771\u4eac\n",
        "[" * 70 + "]" * 70,
        "[" * 2000 + "]" * 2000,
    ],
)
def test_generated_documents_parse_the_same(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast, pure = _both(text, Path("doc.yaml"), monkeypatch)
    assert fast == pure
