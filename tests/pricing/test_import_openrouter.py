"""OpenRouter import on a small fixture: string prices, fees, zeros, skips, rounding."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from costplan.pricing.catalogs.common import ImportResult, Selector
from costplan.pricing.catalogs.openrouter import import_openrouter, provider_of
from costplan.pricing.cost import request_cost_int
from costplan.pricing.load import load_price_sheet
from costplan.pricing.model import Rates
from tests.cli.conftest import Runner
from tests.pricing.helpers import CATALOGS

FIXTURE = CATALOGS / "openrouter_small.json"
AS_OF = date(2026, 1, 15)
D = Decimal


@pytest.fixture(scope="module")
def result() -> ImportResult:
    return import_openrouter(FIXTURE, Selector(), AS_OF)


def test_imported_models_and_providers(result: ImportResult) -> None:
    assert {n: m.provider for n, m in result.models.items()} == {
        "openai/gpt-4o": "openai",
        "anthropic/claude-sonnet-4.5": "anthropic",
        "perplexity/sonar": "perplexity",
        "deepseek/deepseek-r1": "deepseek",
        "meta-llama/llama-3.3-70b-instruct:free": "meta",  # canonical id (pricing/names.py)
        "~google/gemini-flash-latest": "google",
    }
    assert result.source.startswith("OpenRouter openrouter_small.json (sha256 ")


def test_string_prices_per_token_become_exact_per_million(result: ImportResult) -> None:
    gpt4o = result.models["openai/gpt-4o"]
    # internal_reasoning "0" means "billed as completion", not free: left unset.
    assert gpt4o.standard.base == Rates(D("2.5"), D(10), cache_read_usd_per_mtok=D("1.25"))
    assert (gpt4o.context_window, gpt4o.max_output_tokens) == (128000, 16384)
    reasoning_cost = request_cost_int(gpt4o.standard, uncached=0, reasoning=1000)
    assert reasoning_cost == 1000 * 10_000_000
    claude = result.models["anthropic/claude-sonnet-4.5"]
    assert claude.standard.base == Rates(
        D(3), D(15), cache_read_usd_per_mtok=D("0.3"), cache_write_usd_per_mtok=D("3.75")
    )
    assert claude.tokenizer is not None
    assert claude.tokenizer.family == "claude"
    r1 = result.models["deepseek/deepseek-r1"]
    assert r1.standard.base.reasoning_usd_per_mtok == 2


def test_request_fee_and_free_models(result: ImportResult) -> None:
    sonar = result.models["perplexity/sonar"]
    assert sonar.standard.base.request_usd == D("0.005")
    assert request_cost_int(sonar.standard, uncached=1000, output=100) == (
        1100 * 1_000_000 + 5_000_000_000
    )
    assert sonar.max_output_tokens is None
    free = result.models["meta-llama/llama-3.3-70b-instruct:free"]
    assert free.standard.base == Rates(D(0), D(0))


def test_skips_notes_and_rounding(result: ImportResult) -> None:
    lines = [f.line() for f in result.findings]
    assert lines == [
        "note: openai/gpt-4o (openai): prices not represented: image",
        "note: perplexity/sonar (perplexity): prices not represented: web_search",
        "rounded: ~google/gemini-flash-latest (google): rounded to 6 decimals (USD per million "
        "tokens): pricing.input_cache_write 0.0833333333 -> 0.083334",
        "skipped: openrouter/auto (openrouter): pricing.prompt is -1 (variable: depends on the "
        "routed provider)",
        "skipped: mistralai/mistral-large (mistralai): no pricing.completion (unknown price)",
        "skipped: acme/odd-price (acme): pricing.prompt is not a number (got 'cheap')",
        "skipped: data[9] (?): entry without an 'id'",
    ]
    flash = result.models["~google/gemini-flash-latest"]
    assert flash.standard.base.cache_write_usd_per_mtok == D("0.083334")  # 1/12 rounded up


@pytest.mark.parametrize(
    ("model_id", "provider"),
    [("openai/gpt-4o", "openai"), ("~anthropic/claude-x", "anthropic"), ("auto", "openrouter")],
)
def test_provider_is_the_id_prefix(model_id: str, provider: str) -> None:
    assert provider_of(model_id) == provider


def test_cli_import_openrouter_overwrites_output(run: Runner, tmp_path: Path) -> None:
    out = tmp_path / "or.yaml"
    out.write_text("old content\n")
    r = run(
        "prices", "import", "--from", "openrouter", FIXTURE, "-o", out,
        "--provider", "openai", "--provider", "anthropic", "--as-of", "2026-01-15",
    )  # fmt: skip
    assert r.code == 0, r.err
    assert (
        r.out
        == f"wrote {out}: 2 models from 2 providers, as of 2026-01-15 (1 skipped, 0 rounded)\n"
    )
    # An entry without an id cannot be selected or not: it is always reported.
    assert r.err == (
        "skipped: data[9] (?): entry without an 'id'\n"
        "note: 1 imported model has caveats (catalog prices, modes or fields not represented, "
        "later price changes); list them with --report-skipped\n"
    )
    sheet = load_price_sheet(out)
    assert sorted(sheet.models) == ["anthropic/claude-sonnet-4.5", "openai/gpt-4o"]
    assert sheet.as_of == AS_OF
    text = out.read_text()
    assert "\nmodels:\n  anthropic/claude-sonnet-4.5:\n    provider: anthropic\n" in text


def test_cli_import_rejects_a_file_that_is_not_a_models_response(
    run: Runner, tmp_path: Path
) -> None:
    bad = tmp_path / "models.json"
    bad.write_text('{"models": []}')
    out = tmp_path / "out.yaml"
    r = run("prices", "import", "--from", "openrouter", bad, "-o", out)
    assert r.code == 2
    assert (
        f"error: {bad}: data: an OpenRouter models file is a JSON object with a 'data' list"
        in r.err
    )
    assert not out.exists()


def test_cli_import_checks_outputs_before_writing(run: Runner, tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    r = run(
        "prices", "import", "--from", "openrouter", FIXTURE, "-o", out,
        "--report-skipped", tmp_path / "no-such-dir" / "skipped.tsv",
    )  # fmt: skip
    assert r.code == 2
    assert r.err == f"error: {tmp_path / 'no-such-dir'}: output directory does not exist\n"
    assert not out.exists()
    catalog = tmp_path / "catalog.json"
    catalog.write_bytes(FIXTURE.read_bytes())
    r = run("prices", "import", "--from", "openrouter", catalog, "-o", catalog)
    assert r.code == 2
    assert r.err == (
        f"error: {catalog}: --out is the same file as the OpenRouter models file {catalog}; "
        "refusing to overwrite an input\n"
    )
    assert catalog.read_bytes() == FIXTURE.read_bytes()
