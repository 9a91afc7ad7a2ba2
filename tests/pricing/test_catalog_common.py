"""Shared importer pieces: tokenizer guesses, exact conversion, selection, missing package."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from costplan.errors import InputError
from costplan.pricing.catalogs.common import (
    Selector,
    Unrepresentable,
    per_mtok,
    request_fee,
    to_decimal,
    tokenizer_for,
)
from costplan.pricing.catalogs.genai_prices import import_genai_prices
from tests.cli.conftest import Runner


@pytest.mark.parametrize(
    ("provider", "model", "expected"),
    [
        ("openai", "gpt-4o-mini", "o200k_base"),
        ("openai", "gpt-4.1-nano", "o200k_base"),
        ("openai", "o3-mini", "o200k_base"),
        ("azure", "azure/gpt-5-chat", "o200k_base"),
        ("bedrock", "openai.gpt-oss-120b-1:0", "o200k_base"),
        ("openai", "gpt-4-turbo", "cl100k_base"),
        ("openai", "gpt-3.5-turbo-0125", "cl100k_base"),
        ("openrouter", "anthropic/claude-3.5-sonnet", "claude"),
        ("bedrock", "us.anthropic.claude-haiku-4-5-v1:0", "claude"),
        ("google", "gemma-3-27b-it", "gemini"),
        ("together", "meta-llama/Llama-3.3-70B-Instruct", "llama"),
        ("mistral", "mistral-large-latest", "mistral"),
        ("groq", "mixtral-8x7b-32768", "mistral"),
        ("alibaba", "qwen-max", "qwen_base"),  # Qwen is counted exactly (bundled ranks)
        ("fireworks", "accounts/fireworks/models/deepseek-v3", "deepseek"),
        ("anthropic", "some-future-model", "claude"),
        ("openai", "davinci-002", None),
        ("x-ai", "grok-4", None),
    ],
)
def test_tokenizer_guess(provider: str, model: str, expected: str | None) -> None:
    spec = tokenizer_for(provider, model)
    if expected is None:
        assert spec is None
        return
    assert spec is not None
    if expected.endswith("_base"):
        assert (spec.encoding, spec.factor) == (expected, None)
    else:
        assert spec.family == expected
        assert spec.estimated


def test_exact_conversion_and_rounding() -> None:
    assert per_mtok(Decimal("1.5e-07")).value == Decimal("0.15")
    assert not per_mtok(Decimal("1.5e-07")).rounded
    assert per_mtok(Decimal("5.46875e-07")).value == Decimal("0.546875")
    odd = per_mtok(Decimal("1.23456789e-07"))
    assert (odd.value, odd.rounded) == (Decimal("0.123457"), True)
    assert per_mtok(Decimal("1.0399999999999998"), per=10**6).value == Decimal("1.04")
    assert str(per_mtok(Decimal("1e-5")).value) == "10"
    with pytest.raises(Unrepresentable, match="negative price"):
        per_mtok(Decimal("-1e-6"))
    # Above the price sheet's cap the model is skipped with a reason, not a failed import.
    assert per_mtok(Decimal("0.01")).value == Decimal("10000")
    with pytest.raises(Unrepresentable, match="above costplan's limit of 10000"):
        per_mtok(Decimal("0.010000001"))
    assert request_fee(Decimal("0.005")) == Decimal("0.005")
    with pytest.raises(Unrepresentable, match="finer than 1e-12 USD"):
        request_fee(Decimal("1e-13"))


def test_to_decimal_reads_catalog_numbers_exactly() -> None:
    assert to_decimal(1.5e-07) == Decimal("1.5e-07")
    assert to_decimal("0.0000025") == Decimal("0.0000025")
    assert to_decimal(3) == 3
    for bad in (True, None, "n/a", float("nan"), "inf", [1]):
        assert to_decimal(bad) is None


def test_selector_globs_are_case_insensitive() -> None:
    s = Selector(providers=("Open*", "anthropic"), models=("*MINI*",))
    assert s.matches("openai", "gpt-4o-mini")
    assert s.matches("anthropic", "claude-mini")
    assert not s.matches("openai", "gpt-4o")
    assert not s.matches("google", "gemini-mini")
    assert Selector().matches("anything", "at-all")


def test_missing_genai_prices_is_an_input_error(
    monkeypatch: pytest.MonkeyPatch, run: Runner, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "genai_prices.data", None)  # import fails
    with pytest.raises(InputError, match="the Python package 'genai-prices' is not installed"):
        import_genai_prices(Selector(), date(2026, 1, 1))
    out = tmp_path / "x.yaml"
    r = run("prices", "import", "--from", "genai-prices", "-o", out)
    assert r.code == 2
    assert r.err == (
        "error: the Python package 'genai-prices' is not installed (module 'genai_prices'); "
        "install it with: pip install genai-prices\n"
    )
    assert not out.exists()
