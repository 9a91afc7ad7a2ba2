"""`costplan prices validate`: schema errors (exit 2), lint warnings, --strict."""

from __future__ import annotations

from pathlib import Path

from costplan.pricing.lint import lint_price_sheet
from costplan.pricing.load import sheet_from_document
from costplan.yamlsource import load_document
from tests.cli.conftest import Runner
from tests.pricing.helpers import write_sheet

CLEAN = """
    currency: USD
    as_of: 2026-11-01
    source: "vendor pages"
    models:
      small:
        provider: openai
        input_usd_per_mtok: 0.15
        output_usd_per_mtok: 0.6
        cache_read_usd_per_mtok: 0.075
        batch: {discount: 0.5}
        tiers:
          - {above_input_tokens: 100000, input_usd_per_mtok: 0.3, output_usd_per_mtok: 1.2}
        context_window: 128000
      big:
        provider: anthropic
        input_usd_per_mtok: 3
        output_usd_per_mtok: 15
"""

SUSPICIOUS = """
    models:
      a:
        provider: openai
        input_usd_per_mtok: 0.15
        output_usd_per_mtok: 0.6
        cache_read_usd_per_mtok: 0.2
        batch:
          input_usd_per_mtok: 0.2
          output_usd_per_mtok: 0.3
        tiers:
          - {above_input_tokens: 200000, input_usd_per_mtok: 0.1, output_usd_per_mtok: 0.6}
        context_window: 128000
      b:
        provider: local
        input_usd_per_mtok: 0
        output_usd_per_mtok: 0
      c:
        provider: x
        input_usd_per_mtok: 2
        output_usd_per_mtok: 1
"""


def test_clean_sheet_passes(run: Runner, tmp_path: Path) -> None:
    path = write_sheet(tmp_path / "prices.yaml", CLEAN)
    r = run("prices", "validate", path)
    assert (r.code, r.out, r.err) == (0, f"{path}: ok (2 models, 0 warnings)\n", "")
    strict = run("prices", "validate", "--strict", path)
    assert strict.code == 0


def test_warnings_are_located_and_only_fail_with_strict(run: Runner, tmp_path: Path) -> None:
    path = write_sheet(tmp_path / "odd.yaml", SUSPICIOUS)
    r = run("prices", "validate", path)
    assert r.code == 0
    assert r.out == f"{path}: ok (3 models, 9 warnings)\n"
    p = str(path)
    assert r.err.splitlines() == [
        f"warning: {p}:1: as_of: missing 'as_of' (say when and where these prices come from)",
        f"warning: {p}:1: source: missing 'source' (say when and where these prices come from)",
        f"warning: {p}:6: models.a.cache_read_usd_per_mtok: cache read price is higher than "
        "the input price 0.15 (got 0.2)",
        f"warning: {p}:8: models.a.batch.input_usd_per_mtok: batch input price is higher than "
        "the standard price 0.15 (got 0.2)",
        f"warning: {p}:11: models.a.tiers[0].above_input_tokens: tier can never apply: threshold "
        "is not below the context window 128000 (got 200000)",
        f"warning: {p}:11: models.a.tiers[0].input_usd_per_mtok: tier input price is lower than "
        "the base price 0.15 (got 0.1)",
        f"warning: {p}:15: models.b.input_usd_per_mtok: input price is zero: free? (got 0)",
        f"warning: {p}:16: models.b.output_usd_per_mtok: output price is zero: free? (got 0)",
        f"warning: {p}:20: models.c.output_usd_per_mtok: output price is lower than the input "
        "price 2 (unusual: swapped?) (got 1)",
    ]
    strict = run("prices", "validate", "--strict", path)
    assert strict.code == 2
    assert strict.err.endswith("error: 9 warning(s) with --strict\n")
    assert strict.out == r.out


def test_negative_price_is_an_error(run: Runner, tmp_path: Path) -> None:
    path = write_sheet(
        tmp_path / "neg.yaml",
        """
        as_of: 2026-11-01
        source: test
        models:
          a: {provider: openai, input_usd_per_mtok: -0.15, output_usd_per_mtok: 0.6}
        """,
    )
    r = run("prices", "validate", path)
    assert r.code == 2
    assert r.out == f"{path}: invalid\n"
    assert r.err.startswith(f"error: {path}:4: models.a.input_usd_per_mtok: ")
    assert "greater than or equal to 0" in r.err


def test_duplicate_model_names_are_an_error(run: Runner, tmp_path: Path) -> None:
    path = write_sheet(
        tmp_path / "dup.yaml",
        """
        models:
          a: {provider: openai, input_usd_per_mtok: 1, output_usd_per_mtok: 2}
          b: {provider: openai, input_usd_per_mtok: 1, output_usd_per_mtok: 2}
          a: {provider: openai, input_usd_per_mtok: 3, output_usd_per_mtok: 4}
        """,
    )
    r = run("prices", "validate", path)
    assert r.code == 2
    assert r.err == f"error: {path}:4: models: duplicate key 'a'\n"


def test_unknown_tokenizer_is_an_error(run: Runner, tmp_path: Path) -> None:
    path = write_sheet(
        tmp_path / "tok.yaml",
        """
        models:
          a: {provider: openai, input_usd_per_mtok: 1, output_usd_per_mtok: 2, tokenizer: claud}
        """,
    )
    r = run("prices", "validate", path)
    assert r.code == 2
    assert f"error: {path}:2: models.a.tokenizer: unknown tokenizer (got 'claud')" in r.err
    assert "did you mean 'claude'?" in r.err


def test_every_file_is_checked_and_one_error_fails_all(run: Runner, tmp_path: Path) -> None:
    good = write_sheet(tmp_path / "good.yaml", CLEAN)
    missing = tmp_path / "missing.yaml"
    r = run("prices", "validate", missing, good)
    assert r.code == 2
    assert r.out == f"{missing}: invalid\n{good}: ok (2 models, 0 warnings)\n"
    assert r.err == f"error: {missing}: price sheet not found\n"


def test_lint_checks_modes_and_tiers_of_json_sheets(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(
        '{"as_of": "2026-11-01", "source": "s", "models": {"m": {"provider": "p",'
        ' "input_usd_per_mtok": 1, "output_usd_per_mtok": 2,'
        ' "flex": {"input_usd_per_mtok": 1, "output_usd_per_mtok": 3,'
        ' "tiers": [{"above_input_tokens": 10, "input_usd_per_mtok": 1,'
        ' "output_usd_per_mtok": 2, "cache_read_usd_per_mtok": 5}]}}}}'
    )
    doc = load_document(path, what="price sheet")
    warnings = lint_price_sheet(doc, sheet_from_document(doc))
    assert [w.render() for w in warnings] == [
        f"{path}:1: models.m.flex.output_usd_per_mtok: flex output price is higher than the "
        "standard price 2 (got 3)",
        f"{path}:1: models.m.flex.tiers[0].cache_read_usd_per_mtok: cache read price is higher "
        "than the input price 1 (got 5)",
        f"{path}:1: models.m.flex.tiers[0].output_usd_per_mtok: tier output price is lower than "
        "the base price 3 (got 2)",
    ]
