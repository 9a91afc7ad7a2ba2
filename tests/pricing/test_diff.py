"""Price sheet diffs: library dataclasses and `costplan prices diff` in three formats."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from costplan.pricing.diff import FieldChange, ModelSummary, diff_price_sheets
from costplan.pricing.load import load_price_sheet
from tests.cli.conftest import Runner
from tests.pricing.helpers import write_sheet

OLD = """
    currency: USD
    as_of: 2026-10-01
    source: test
    models:
      small:
        provider: openai
        input_usd_per_mtok: 0.15
        output_usd_per_mtok: 0.6
        cache_read_usd_per_mtok: 0.075
        batch: {discount: 0.5}
        context_window: 128000
        tokenizer: o200k_base
      big:
        provider: anthropic
        input_usd_per_mtok: 3
        output_usd_per_mtok: 15
      gone:
        provider: x
        input_usd_per_mtok: 1
        output_usd_per_mtok: 2
"""

NEW = """
    currency: USD
    as_of: 2026-11-01
    source: test
    models:
      small:
        provider: openai
        input_usd_per_mtok: 0.12
        output_usd_per_mtok: 0.600
        cache_read_usd_per_mtok: 0.06
        batch: {discount: 0.5}
        context_window: 200000
        tokenizer: claude
      big:
        provider: anthropic
        input_usd_per_mtok: 3
        output_usd_per_mtok: 15
        tiers:
          - {above_input_tokens: 200000, input_usd_per_mtok: 6, output_usd_per_mtok: 22.5}
      fresh|pipe:
        provider: y
        input_usd_per_mtok: 0.5
        output_usd_per_mtok: 1.5
"""


@pytest.fixture
def sheets(tmp_path: Path) -> tuple[Path, Path]:
    return write_sheet(tmp_path / "old.yaml", OLD), write_sheet(tmp_path / "new.yaml", NEW)


def test_library_diff(sheets: tuple[Path, Path]) -> None:
    old, new = (load_price_sheet(p) for p in sheets)
    d = diff_price_sheets(old, new)
    assert d.added == (ModelSummary("fresh|pipe", "y", Decimal("0.5"), Decimal("1.5")),)
    assert d.removed == (ModelSummary("gone", "x", Decimal(1), Decimal(2)),)
    assert [m.name for m in d.changed] == ["big", "small"]
    big, small = d.changed
    assert big.changes == (
        FieldChange("tiers[>200000].input_usd_per_mtok", None, Decimal(6)),
        FieldChange("tiers[>200000].output_usd_per_mtok", None, Decimal("22.5")),
    )
    fields = {c.field: c for c in small.changes}
    # 0.6 -> 0.600 is no change; the discounted batch mode changes with its base.
    assert list(fields) == [
        "input_usd_per_mtok",
        "cache_read_usd_per_mtok",
        "batch.input_usd_per_mtok",
        "batch.cache_read_usd_per_mtok",
        "context_window",
        "tokenizer",
    ]
    assert fields["input_usd_per_mtok"].pct == Decimal("-20.00")
    assert fields["batch.cache_read_usd_per_mtok"].old == Decimal("0.0375")
    assert fields["context_window"].pct == Decimal("56.25")
    assert fields["tokenizer"].pct is None
    assert big.changes[0].pct is None
    assert diff_price_sheets(old, old).empty
    assert not d.empty


def test_cli_table(run: Runner, sheets: tuple[Path, Path]) -> None:
    old, new = sheets
    r = run("prices", "diff", old, new)
    assert r.code == 0
    assert r.err == ""
    lines = r.out.splitlines()
    assert lines[0] == f"{old} -> {new}: 1 added, 1 removed, 2 changed"
    assert lines[1:5] == [
        "added:",
        "  + fresh|pipe (y): input 0.5, output 1.5 USD/Mtok",
        "removed:",
        "  - gone (x): input 1, output 2 USD/Mtok",
    ]
    assert lines[5] == "changed:"
    assert lines[6].split() == ["model", "field", "old", "new", "change"]
    assert lines[7].split() == ["big", "tiers[>200000].input_usd_per_mtok", "-", "6", "new"]
    assert lines[9].split() == ["small", "input_usd_per_mtok", "0.15", "0.12", "-20.0%"]
    assert lines[-1].split() == [
        "small", "tokenizer", "o200k_base", "claude", "~", "o200k_base", "x", "1.20", "(estimate)",
        "changed",
    ]  # fmt: skip


def test_cli_markdown_for_a_pull_request(run: Runner, sheets: tuple[Path, Path]) -> None:
    old, new = sheets
    r = run("prices", "diff", old, new, "--format", "markdown")
    assert r.code == 0
    assert r.out.startswith(
        f"### Price sheet changes: `{old}` → `{new}`\n\n"
        "**1 added, 1 removed, 2 changed** (as of 2026-10-01 → 2026-11-01)\n"
    )
    assert (
        "#### Added\n\n"
        "| model | provider | input $/Mtok | output $/Mtok |\n"
        "| --- | --- | ---: | ---: |\n"
        "| `fresh\\|pipe` | y | 0.5 | 1.5 |\n"
    ) in r.out
    assert "#### Removed\n\n| model | provider | input $/Mtok | output $/Mtok |" in r.out
    assert (
        "#### Changed\n\n"
        "| model | field | old | new | change |\n"
        "| --- | --- | ---: | ---: | ---: |\n"
        "| `big` | `tiers[>200000].input_usd_per_mtok` | - | 6 | new |\n"
    ) in r.out
    assert "| `small` | `input_usd_per_mtok` | 0.15 | 0.12 | -20.0% |\n" in r.out
    assert "| `small` | `context_window` | 128000 | 200000 | +56.2% |\n" in r.out
    same = run("prices", "diff", old, old, "-f", "markdown")
    assert same.code == 0
    assert same.out.endswith("**0 added, 0 removed, 0 changed** (as of 2026-10-01 → 2026-10-01)"
                             "\n\nNo price changes.\n")  # fmt: skip


def test_cli_json_has_exact_decimal_strings(run: Runner, sheets: tuple[Path, Path]) -> None:
    old, new = sheets
    r = run("prices", "diff", old, new, "-f", "json")
    assert r.code == 0
    data = json.loads(r.out)
    assert data["old"] == {"file": str(old), "as_of": "2026-10-01"}
    assert data["added"] == [
        {
            "model": "fresh|pipe",
            "provider": "y",
            "input_usd_per_mtok": "0.5",
            "output_usd_per_mtok": "1.5",
        }
    ]
    assert data["removed"][0]["model"] == "gone"
    small = next(c for c in data["changed"] if c["model"] == "small")
    assert small["changes"][0] == {
        "field": "input_usd_per_mtok",
        "old": "0.15",
        "new": "0.12",
        "pct": "-20.00",
    }
    window = next(c for c in small["changes"] if c["field"] == "context_window")
    assert window == {"field": "context_window", "old": 128000, "new": 200000, "pct": "56.25"}


def test_cli_input_errors_exit_2(run: Runner, sheets: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = sheets
    r = run("prices", "diff", old, new, "--format", "html")
    assert r.code == 2
    assert r.err == "error: --format must be one of table, markdown, json (got 'html')\n"
    bad = write_sheet(tmp_path / "bad.yaml", "models:\n  a: {provider: p, input_usd_per_mtok: 1}\n")
    r = run("prices", "diff", old, bad)
    assert r.code == 2
    assert r.err.startswith(f"error: {bad}:2: models.a")
    assert r.out == ""
