"""LiteLLM import on a small fixture: rates, tiers, modes, skips with reasons, rounding."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from costplan.pricing.catalogs.common import ImportResult, Selector
from costplan.pricing.catalogs.litellm import import_litellm
from costplan.pricing.cost import request_cost_int
from costplan.pricing.load import load_price_sheet
from costplan.pricing.model import Rates
from tests.cli.conftest import Runner
from tests.pricing.helpers import CATALOGS

FIXTURE = CATALOGS / "litellm_small.json"
AS_OF = date(2026, 1, 15)
D = Decimal


@pytest.fixture(scope="module")
def result() -> ImportResult:
    return import_litellm(FIXTURE, Selector(), AS_OF)


def _reasons(result: ImportResult, kind: str) -> dict[str, str]:
    return {f.model: f.reason for f in result.findings if f.kind == kind}


def test_imported_and_skipped_models(result: ImportResult) -> None:
    assert sorted(result.models) == [
        "claude-sonnet-4-5",
        "gemini/gemini-2.5-pro",
        "gpt-4o",
        "gpt-4o-audio-preview",
        "gpt-5",
        "gpt-5.4",
        "o3-deep-research",
        "ollama/llama3",
        "together_ai/odd-precision",
        "xai/grok-4",
    ]
    skipped = _reasons(result, "skipped")
    assert skipped == {
        "text-embedding-3-small": "mode 'embedding' is not priced per text token "
        "(imported: chat, completion, responses)",
        "dall-e-3": "mode 'image_generation' is not priced per text token "
        "(imported: chat, completion, responses)",
        "vertex_ai/chat-bison": "billed per character (input_cost_per_character)",
        "deepseek/deepseek-chat": "off-peak (time-of-day) prices (off_peak_pricing)",
        "dashscope/qwen-plus": "range-based tiered_pricing (LiteLLM applies it graduated or "
        "whole-request depending on version and provider) (tiered_pricing)",
        "no-output-price": "no output_cost_per_token",
        "no-mode": "mode None is not priced per text token (imported: chat, completion, responses)",
        "gpt-6-sol": "long-context prices given as multipliers ("
        "long_context_input_cost_multiplier, long_context_input_token_threshold, "
        "long_context_output_cost_multiplier)",
    }
    assert "sample_spec" not in skipped
    assert result.source.startswith("LiteLLM litellm_small.json (sha256 ")
    assert result.as_of == AS_OF


def test_per_token_floats_become_exact_per_million_prices(result: ImportResult) -> None:
    gpt4o = result.models["gpt-4o"]
    assert gpt4o.provider == "openai"
    assert gpt4o.standard.base == Rates(D("2.5"), D(10), cache_read_usd_per_mtok=D("1.25"))
    assert gpt4o.modes["batch"].base == Rates(D("1.25"), D(5))
    assert (gpt4o.context_window, gpt4o.max_output_tokens) == (128000, 16384)
    assert gpt4o.tokenizer is not None
    assert gpt4o.tokenizer.encoding == "o200k_base"


def test_threshold_keys_become_whole_request_tiers(result: ImportResult) -> None:
    claude = result.models["claude-sonnet-4-5"]
    base = claude.standard.base
    assert base == Rates(
        D(3),
        D(15),
        cache_read_usd_per_mtok=D("0.3"),
        cache_write_usd_per_mtok=D("3.75"),
        cache_write_1h_usd_per_mtok=D(6),
    )
    [tier] = claude.standard.tiers
    assert tier.above_input_tokens == 200000
    # Every rate has its _above_200k_tokens key except the 1-hour cache write,
    # which falls back to the base rate (as in LiteLLM).
    assert tier.rates == Rates(
        D(6),
        D("22.5"),
        cache_read_usd_per_mtok=D("0.6"),
        cache_write_usd_per_mtok=D("7.5"),
        cache_write_1h_usd_per_mtok=D(6),
    )
    # Batch prices are given, but not above 200k tokens: no flat guess, no batch mode.
    assert "batch" not in claude.modes
    below = request_cost_int(claude.standard, uncached=150_000, cached=50_000, output=1000)
    above = request_cost_int(claude.standard, uncached=150_001, cached=50_000, output=1000)
    assert below == 150_000 * 3_000_000 + 50_000 * 300_000 + 1000 * 15_000_000
    assert above == 150_001 * 6_000_000 + 50_000 * 600_000 + 1000 * 22_500_000


def test_xai_threshold_is_inclusive(result: ImportResult) -> None:
    grok = result.models["xai/grok-4"]
    [tier] = grok.standard.tiers
    assert tier.above_input_tokens == 127_999
    at = request_cost_int(grok.standard, uncached=128_000)
    assert at == 128_000 * 6_000_000  # LiteLLM bills xAI's tier from the threshold on


def test_batch_prices_with_cache_and_tiers(result: ImportResult) -> None:
    model = result.models["gpt-5.4"]
    assert model.available_modes() == ("standard", "batch", "priority")
    batch = model.modes["batch"]
    assert batch.base == Rates(D("1.25"), D("7.5"), cache_read_usd_per_mtok=D("0.125"))
    [tier] = batch.tiers
    assert tier.above_input_tokens == 272000
    # No cache_read_..._above_272k_tokens_batches: the batch base cache price applies.
    assert tier.rates == Rates(D("2.5"), D("11.25"), cache_read_usd_per_mtok=D("0.125"))
    [priority_tier] = model.modes["priority"].tiers
    # No *_above_272k_tokens_priority keys: the standard above-threshold keys apply.
    assert priority_tier.rates == Rates(D(5), D("22.5"), cache_read_usd_per_mtok=D("0.5"))
    assert model.modes["priority"].base == Rates(D(5), D(30), cache_read_usd_per_mtok=D("0.25"))


def test_service_tiers_become_flex_and_priority_modes(result: ImportResult) -> None:
    gpt5 = result.models["gpt-5"]
    assert gpt5.available_modes() == ("standard", "flex", "priority")
    assert gpt5.modes["flex"].base == Rates(D("0.625"), D(5), cache_read_usd_per_mtok=D("0.0625"))
    assert gpt5.modes["priority"].base == Rates(D("2.5"), D(20), cache_read_usd_per_mtok=D("0.25"))
    gemini = result.models["gemini/gemini-2.5-pro"]
    priority = gemini.modes["priority"]
    # Missing *_priority keys fall back to the standard keys, tier by tier.
    assert priority.base == Rates(D("2.25"), D(10), cache_read_usd_per_mtok=D("0.125"))
    [tier] = priority.tiers
    assert (tier.above_input_tokens, tier.rates.input_usd_per_mtok) == (200000, D("4.5"))
    assert tier.rates.output_usd_per_mtok == D(15)


def test_notes_and_rounding_are_reported(result: ImportResult) -> None:
    notes = [f for f in result.findings if f.kind == "note"]
    by_model = {(f.model, f.reason) for f in notes}
    assert (
        "claude-sonnet-4-5",
        "batch mode left out: no batch price above 200k tokens "
        "(input_cost_per_token_above_200k_tokens_batches)",
    ) in by_model
    assert (
        "gpt-4o-audio-preview",
        "prices not represented: input_cost_per_audio_token, output_cost_per_audio_token",
    ) in by_model
    # LiteLLM ignores an output threshold without an input threshold; so does the import.
    assert (
        "o3-deep-research",
        "prices not represented: output_cost_per_token_above_128k_tokens",
    ) in by_model
    assert result.models["o3-deep-research"].standard.tiers == ()
    assert result.models["o3-deep-research"].standard.base.reasoning_usd_per_mtok == 40
    odd = result.models["together_ai/odd-precision"]
    assert odd.standard.base.input_usd_per_mtok == D("0.123457")
    assert "batch" not in odd.modes
    assert (odd.context_window, odd.max_output_tokens) == (4096, None)
    assert _reasons(result, "rounded") == {
        "together_ai/odd-precision": "rounded to 6 decimals (USD per million tokens): "
        "input_cost_per_token 0.123456789 -> 0.123457"
    }
    odd_notes = {f.reason for f in notes if f.model == "together_ai/odd-precision"}
    assert odd_notes == {
        "batch mode left out: no output_cost_per_token_batches",
        "max output tokens 8192 exceed the context window 4096: max_output_tokens left out",
    }


def test_explicit_zero_prices_are_kept(result: ImportResult) -> None:
    free = result.models["ollama/llama3"]
    assert free.standard.base == Rates(D(0), D(0))


def test_selection_globs() -> None:
    only = import_litellm(FIXTURE, Selector(providers=("open*",), models=("GPT-*",)), AS_OF)
    assert sorted(only.models) == ["gpt-4o", "gpt-4o-audio-preview", "gpt-5", "gpt-5.4"]
    assert [f.model for f in only.findings if f.kind == "skipped"] == ["gpt-6-sol"]


def test_cli_import_litellm(run: Runner, tmp_path: Path) -> None:
    out = tmp_path / "litellm.yaml"
    r = run("prices", "import", "--from", "litellm", FIXTURE, "-o", out, "--as-of", "2026-01-15")
    assert r.code == 0, r.err
    assert r.out == (
        f"wrote {out}: 10 models from 6 providers, as of 2026-01-15 (8 skipped, 1 rounded)\n"
    )
    assert "skipped: dall-e-3 (openai): mode 'image_generation' is not priced" in r.err
    assert "rounded: together_ai/odd-precision (together_ai): rounded to 6 decimals" in r.err
    assert "note: 4 imported models have caveats (catalog prices, modes or fields" in r.err
    sheet = load_price_sheet(out)
    assert sheet.models["claude-sonnet-4-5"].standard.tiers[0].above_input_tokens == 200000
    assert sheet.source is not None
    assert sheet.source.startswith("LiteLLM litellm_small.json")
    v = run("prices", "validate", out)
    assert v.code == 0
    assert "models.ollama/llama3.input_usd_per_mtok: input price is zero: free? (got 0)" in v.err


def test_cli_import_litellm_needs_a_file(run: Runner, tmp_path: Path) -> None:
    out = tmp_path / "x.yaml"
    r = run("prices", "import", "--from", "litellm", "-o", out)
    assert r.code == 2
    assert "error: --from litellm needs the catalog FILE; LiteLLM's" in r.err
    missing = run("prices", "import", "--from", "litellm", tmp_path / "nope.json", "-o", out)
    assert missing.code == 2
    assert "nope.json: LiteLLM price file not found" in missing.err
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    r = run("prices", "import", "--from", "litellm", bad, "-o", out)
    assert r.code == 2
    assert "a LiteLLM price file is a JSON object of models (got 'list')" in r.err
    assert not out.exists()
