"""Every model name of every catalog the tests have, resolved by LiteLLM itself.

The export's model strings (``costplan.litellm_routes``) are fed to
``litellm.get_llm_provider``, LiteLLM's own provider resolution (what the proxy and the
Router run on every deployment). The oracle is the catalog's raw data, read here, not
costplan's canonical providers: OpenRouter sheets are served by ``openrouter``; a LiteLLM
price file's entry by its own ``litellm_provider`` (or whatever LiteLLM resolves its own
key to); a genai-prices entry by its raw provider id, translated by the table below,
written from LiteLLM's provider docs. A provider LiteLLM does not know must come out as an
OpenAI-compatible endpoint with an ``api_base`` to set, never as a string LiteLLM rejects
or routes to someone else.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch the cost map

import litellm

from costplan.litellm_routes import LITELLM_PROVIDERS, Route, litellm_route
from costplan.pricing.catalogs.common import Selector
from costplan.pricing.catalogs.genai_prices import import_genai_prices_with_entries
from costplan.pricing.catalogs.litellm import import_litellm
from costplan.pricing.catalogs.openrouter import import_openrouter

litellm.suppress_debug_info = True
CATALOGS = Path(__file__).parents[1] / "data" / "catalogs"
LITELLM_FILE = Path(litellm.__file__).parent / "model_prices_and_context_window_backup.json"
AS_OF = date(2026, 11, 4)
#: Resolution would sign in with a device login over the network (never in a test):
#: these are checked by their prefix only.
NEEDS_LOGIN = "github_copilot"

#: genai-prices provider id -> the LiteLLM providers that serve it (LiteLLM docs).
GENAI_PROVIDERS = {
    "anthropic": {"anthropic", "anthropic_text"},  # LiteLLM routes claude-2 to its text API
    "aws": {"bedrock"},
    "azure": {"azure"},
    "cohere": {"cohere", "cohere_chat"},
    "fireworks": {"fireworks_ai"},
    "github-copilot": {NEEDS_LOGIN},
    "meta": {"meta_llama"},
    "moonshotai": {"moonshot"},
    "together": {"together_ai"},
    "x-ai": {"xai"},
}
#: LiteLLM's own spellings of one provider family.
LITELLM_FAMILY = {
    "bedrock_converse": "bedrock",
    "azure_text": "azure",
    "text-completion-openai": "openai",
    "cohere": "cohere_chat",
    "ai21": "ai21_chat",
}
#: Bare keys of LiteLLM's Gemini-API entries: LiteLLM's other bare Gemini keys are Vertex
#: AI's, the export cannot tell these apart and routes them to Vertex AI (the same model).
BARE_GEMINI_API = {"gemini-flash-latest", "gemini-flash-lite-latest", "gemini-pro-latest",
                   "gemini-exp-1206"}  # fmt: skip


def resolve(model: str) -> tuple[str, str] | None:
    """LiteLLM's (model, provider) for a model string, or None if it rejects it."""
    try:
        got = litellm.get_llm_provider(model, api_key="sk-test")
    except Exception:  # LiteLLM raises BadRequestError (and others) for unknown providers
        return None
    return got[0], got[1]


def known_to_litellm(provider: str) -> bool:
    return resolve(f"{provider}/some-model") is not None


def check(route: Route, expected: set[str], api_model: str) -> None:
    """``route`` resolves in LiteLLM to one of ``expected`` and calls ``api_model``."""
    if NEEDS_LOGIN in expected:
        assert route.model == f"{NEEDS_LOGIN}/{api_model}"
        return
    got = resolve(route.model)
    assert got is not None, f"LiteLLM rejects {route.model!r}"
    assert got[1] in expected, (route.model, got, expected)
    assert api_model.endswith(got[0]) or got[0].endswith(api_model), (route.model, got)
    if route.provider == "openai" and route.note:  # an OpenAI-compatible stand-in
        assert route.params["api_base"].startswith("os.environ/")


def test_every_listed_provider_resolves_to_itself() -> None:
    for provider in sorted(LITELLM_PROVIDERS - {NEEDS_LOGIN}):
        got = resolve(f"{provider}/some-model")
        assert got is not None, provider
        assert got[1] == provider


def _genai() -> Iterator[tuple[str, str, str, str]]:
    result, entries = import_genai_prices_with_entries(Selector(), AS_OF)
    assert result.source.startswith("genai-prices")
    for e in entries:
        yield e.name, result.models[e.name].provider, e.provider.id, e.model.id


def test_genai_prices_names_resolve_to_their_provider() -> None:
    checked = 0
    for name, provider, raw, model_id in _genai():
        route = litellm_route(provider, name, "genai-prices")
        if raw == "google":
            # Google's own models on the Gemini API, other vendors' on Vertex AI.
            own = model_id.startswith(("gemini", "gemma", "learnlm"))
            expected = {"gemini"} if own else {"vertex_ai"}
        elif raw.startswith("huggingface_"):
            expected = {"huggingface"}
            model_id = f"{raw.removeprefix('huggingface_')}/{model_id}"
        elif raw in GENAI_PROVIDERS:
            expected = GENAI_PROVIDERS[raw]
        else:
            expected = {raw} if known_to_litellm(raw) else {"openai"}
        check(route, expected, model_id)
        checked += 1
    assert checked > 2000  # the whole bundled catalog (2,039 in genai-prices 0.2.3)


def _litellm_file(path: Path) -> Iterator[tuple[str, str, str]]:
    raw = json.loads(path.read_text())
    result = import_litellm(path, Selector(), AS_OF)
    assert result.source.startswith("LiteLLM")
    for key, m in result.models.items():
        yield key, m.provider, raw[key]["litellm_provider"]


@pytest.mark.parametrize("path", [LITELLM_FILE, CATALOGS / "litellm_small.json"],
                         ids=["litellm-bundled", "litellm-small"])  # fmt: skip
def test_litellm_names_resolve_to_their_litellm_provider(path: Path) -> None:
    checked = 0
    for key, provider, raw in _litellm_file(path):
        route = litellm_route(provider, key, "litellm")
        family = "vertex_ai" if raw.startswith("vertex_ai") else LITELLM_FAMILY.get(raw, raw)
        expected = {family, raw}
        own = None if raw == NEEDS_LOGIN else resolve(key)
        if own is not None:
            expected.add(own[1])  # what LiteLLM makes of its own key
        if key in BARE_GEMINI_API:
            expected.add("vertex_ai")
        if raw != NEEDS_LOGIN and not known_to_litellm(raw) and own is None:
            expected = {"openai"}
        first, _, rest = key.partition("/")
        api_model = rest if rest and first.replace("-", "_") in (raw, family) else key
        check(route, expected, api_model)
        checked += 1
    assert checked > (3000 if path == LITELLM_FILE else 5)


def test_openrouter_names_are_called_through_openrouter() -> None:
    result = import_openrouter(CATALOGS / "openrouter_small.json", Selector(), AS_OF)
    assert len(result.models) == 6  # 9 entries, 3 skipped (variable, unpriced, bad price)
    for name, m in result.models.items():
        check(litellm_route(m.provider, name, "openrouter"), {"openrouter"}, name)
    # x-ai/grok-4 from an OpenRouter sheet: canonical provider xai, served by OpenRouter.
    route = litellm_route("xai", "x-ai/grok-4", "openrouter")
    assert (route.model, route.params) == (
        "openrouter/x-ai/grok-4", {"api_key": "os.environ/OPENROUTER_API_KEY"},
    )  # fmt: skip
    assert resolve(route.model) == ("x-ai/grok-4", "openrouter")


def test_direct_sheets_and_credentials() -> None:
    assert litellm_route("google", "gemini-2.5-pro").model == "gemini/gemini-2.5-pro"
    assert litellm_route("xai", "grok-4").model == "xai/grok-4"
    bedrock = litellm_route("aws", "anthropic.claude-sonnet-4-5-v1:0")
    assert bedrock.model == "bedrock/anthropic.claude-sonnet-4-5-v1:0"
    assert bedrock.params["aws_access_key_id"] == "os.environ/AWS_ACCESS_KEY_ID"
    odd = litellm_route("acme", "m1")
    assert (odd.model, odd.params["api_base"]) == ("openai/m1", "os.environ/ACME_API_BASE")
    assert "ACME_API_BASE" in odd.note
    # genai-prices' qualified names are the id served by the named provider.
    assert litellm_route("google", "claude-sonnet-4-5@google", "genai-prices").model == (
        "vertex_ai/claude-sonnet-4-5"
    )
