"""Which LiteLLM model string (and credentials) calls a price-sheet model.

A sheet model is known by its **canonical provider** (:mod:`costplan.pricing.names`:
``x-ai`` and ``xai`` are ``xai``, ``gemini`` and ``vertex_ai-*`` are ``google``), its
**name**, and the **source** of the sheet it came from. The source decides who serves
it, because a catalog's prices are that seller's prices:

* ``openrouter`` (a sheet imported from an OpenRouter models file, ``source:
  OpenRouter ...``): every model is called through OpenRouter,
  ``openrouter/<id>`` (``openrouter/x-ai/grok-4``; never ``xai/x-ai/grok-4``, which
  would call xAI with OpenRouter's id at OpenRouter's prices).
* ``litellm`` (``source: LiteLLM ...``): the key is LiteLLM's own name. A key whose
  first segment is a LiteLLM provider (``gemini/gemini-2.5-pro``, ``azure/gpt-4o``,
  ``vertex_ai/claude-...``) is used as it is; a first segment that is the provider
  spelled with ``-`` for ``_`` (``amazon-nova/nova-pro-v1``) is respelled; a bare
  key is prefixed with its provider's LiteLLM id, where LiteLLM's own table uses bare
  keys for Vertex AI's Gemini models (canonical ``google`` -> ``vertex_ai``).
* ``genai-prices`` (``source: genai-prices ...``) and hand-written sheets
  (``direct``): the provider's own API. A genai-prices name qualified as
  ``id@provider`` (two providers list one id) is ``id`` served by ``provider``.
  Google serves Gemini/Gemma models on the Gemini API (``gemini/``) and other
  vendors' models on Vertex AI (``vertex_ai/``); ``huggingface_<p>`` is Hugging
  Face's inference provider ``p`` (``huggingface/<p>/<id>``).

A provider LiteLLM does not know (not in :data:`LITELLM_PROVIDERS`) is exported as an
OpenAI-compatible endpoint, ``openai/<id>`` with ``api_base:
os.environ/<PROVIDER>_API_BASE``, and a note saying so: LiteLLM accepts it, and the
reader sees the one setting left to them. Credentials are ``os.environ/...``
references (:func:`credentials`): the export never holds a secret.

``tests/export/test_litellm_names.py`` resolves every name of the genai-prices catalog,
LiteLLM's own price file and the test catalogs through ``litellm.get_llm_provider``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

SourceKind = Literal["openrouter", "litellm", "genai-prices", "direct"]

#: The provider prefixes LiteLLM 1.108 resolves (``litellm.provider_list`` and its
#: OpenAI-compatible ``providers.json``); a test resolves each through the installed LiteLLM.
_PROVIDER_WORDS = """
    a2a a2a_agent abliteration ai21 ai21_chat aihubmix aiml aiohttp_openai amazon_nova
    anthropic anthropic_text apertis assemblyai auto_router aws_polly aws_textract azure
    azure_ai azure_speech azure_text baseten bedrock bedrock_mantle bespoke
    black_forest_labs bytez cerebras charity_engine chutes clarifai cloudflare codestral
    cognition cohere cohere_chat cometapi compactifai coralbricks cortecs crusoe cursor
    custom custom_openai darkbloom dashscope databricks databricks_agent datarobot deepgram
    deepinfra deepseek docker_model_runner dotprompt edenai elevenlabs empiriolabs empower
    fal_ai featherless_ai fireworks_ai friendliai galadriel gdc gemini gigachat github
    github_copilot gmi gradient_ai groq helicone heroku hosted_vllm huggingface humanloop
    hyperbolic inception inferenceapis infinity jina_ai lambda_ai langflow langfuse
    langgraph laya lemonade libertai litellm_agent litellm_proxy llamafile llamagate
    lm_studio manus maritalk meta meta_llama microsoft_365_copilot milvus minimax mistral
    modelscope mongodb moonshot morph nadir nano-gpt nebius neosantara nlp_cloud novita
    nscale nvidia_nim nvidia_riva oci ollama ollama_chat oobabooga openai openai_like
    openrouter ovhcloud parasail perplexity petals pg_vector pinstripes poe predibase prism
    publicai qwen_ai_platform qwencloud recraft reducto reka replicate runwayml s3_vectors
    sagemaker sagemaker_chat sagemaker_nova sail sambanova sap sarvam scaledown scaleway
    scx-ai snowflake soniox stability strands_decider synthetic tencent tensormesh
    text-completion-codestral text-completion-inception text-completion-openai together_ai
    topaz transcribe triton typesafe v0 valkey veniceai vercel_ai_gateway vertex_ai
    vertex_ai_beta vllm volcengine voyage wandb watsonx watsonx_text xai xiaomi_mimo
    xinference zai
"""
LITELLM_PROVIDERS = frozenset(_PROVIDER_WORDS.split())

#: Canonical (or catalog) provider id -> LiteLLM provider id, where they differ.
PROVIDER_ROUTES = {
    "aws": "bedrock",
    "bedrock_converse": "bedrock",
    "google": "gemini",
    "google-vertex": "vertex_ai",
    "vertex": "vertex_ai",
    "together": "together_ai",
    "fireworks": "fireworks_ai",
    "moonshotai": "moonshot",
    "alibaba": "dashscope",
    "meta": "meta_llama",
    "github-copilot": "github_copilot",
    "voyageai": "voyage",
}

#: Models Google serves on the Gemini API; its other models are on Vertex AI.
_GEMINI_API = re.compile(r"^(?:models/)?(?:gemini|gemma|learnlm)", re.IGNORECASE)
#: LiteLLM provider -> environment variables of its credentials (default: API key).
_CREDENTIALS = {
    "bedrock": {
        "aws_access_key_id": "AWS_ACCESS_KEY_ID",
        "aws_secret_access_key": "AWS_SECRET_ACCESS_KEY",
        "aws_region_name": "AWS_REGION_NAME",
    },
    "vertex_ai": {"vertex_project": "VERTEXAI_PROJECT", "vertex_location": "VERTEXAI_LOCATION"},
    "azure": {
        "api_key": "AZURE_API_KEY",
        "api_base": "AZURE_API_BASE",
        "api_version": "AZURE_API_VERSION",
    },
    "github_copilot": {},  # LiteLLM signs in with a device login of its own
}


@dataclass(frozen=True)
class Route:
    """How LiteLLM calls one model: ``model`` for ``litellm_params.model``,
    ``provider`` the LiteLLM provider it resolves to, ``params`` the credential
    settings (``os.environ/...`` references) and ``note`` anything left to the reader."""

    model: str
    provider: str
    params: dict[str, str] = field(default_factory=dict)
    note: str = ""


def source_kind(source: str | None) -> SourceKind:
    """The kind of a sheet's ``source`` text (what the importers write; see module docs)."""
    text = (source or "").strip().lower()
    if text.startswith("openrouter"):
        return "openrouter"
    if text.startswith("litellm"):
        return "litellm"
    if text.startswith("genai-prices"):
        return "genai-prices"
    return "direct"


def env_name(provider: str, what: str = "API_KEY") -> str:
    """``OPENAI_API_KEY`` for ``openai`` (non-alphanumerics as ``_``, upper case)."""
    return re.sub(r"[^A-Za-z0-9]+", "_", provider).strip("_").upper() + "_" + what


def credentials(provider: str) -> dict[str, str]:
    """The credential settings of a LiteLLM ``provider`` as ``os.environ/`` references."""
    names = _CREDENTIALS.get(provider, {"api_key": env_name(provider)})
    return {key: f"os.environ/{var}" for key, var in names.items()}


def _litellm_provider(provider: str, model: str) -> str | None:
    """The LiteLLM provider of a catalog ``provider`` serving ``model``, or None."""
    low = provider.lower()
    if low == "google":
        return "gemini" if _GEMINI_API.match(model) else "vertex_ai"
    if low.startswith("vertex_ai"):
        return "vertex_ai"
    routed = PROVIDER_ROUTES.get(low, low)
    return routed if routed in LITELLM_PROVIDERS else None


def _routed(prefix: str, model: str, note: str = "") -> Route:
    return Route(f"{prefix}/{model}", prefix, credentials(prefix), note)


def _openai_compatible(provider: str, model: str) -> Route:
    base = env_name(provider, "API_BASE")
    params = {"api_key": f"os.environ/{env_name(provider)}", "api_base": f"os.environ/{base}"}
    note = (
        f"LiteLLM has no provider {provider!r}: called as an OpenAI-compatible endpoint; "
        f"set {base} to its base URL"
    )
    return Route(f"openai/{model}", "openai", params, note)


def _direct(provider: str, model: str) -> Route:
    low = provider.lower()
    if low.startswith("huggingface_"):
        return _routed("huggingface", f"{low.removeprefix('huggingface_')}/{model}")
    if low == "openrouter":
        return _routed("openrouter", model)
    target = _litellm_provider(provider, model)
    if target is None:
        return _openai_compatible(provider, model)
    return _routed(target, model.removeprefix(target + "/"))


def _from_litellm(provider: str, key: str) -> Route:
    first, slash, rest = key.partition("/")
    if slash and first in LITELLM_PROVIDERS:
        return Route(key, first, credentials(first))
    target = _litellm_provider(provider, key)
    if target is None:  # a catalog prefix LiteLLM lacks names the provider: drop it
        own = slash and first.lower() == provider.lower()
        return _openai_compatible(provider, rest if own else key)
    if slash and first.replace("-", "_") == target:
        return _routed(target, rest)
    if not slash and provider.lower() == "google":
        return _routed("vertex_ai", key)  # LiteLLM's bare Gemini keys are Vertex AI's
    return _routed(target, key)


def litellm_route(provider: str, model: str, kind: SourceKind = "direct") -> Route:
    """The :class:`Route` of a sheet model (``model`` its canonical sheet name)."""
    if kind == "openrouter":
        return _routed("openrouter", model)
    if kind == "litellm":
        return _from_litellm(provider, model)
    base, at, owner = model.rpartition("@")
    if kind == "genai-prices" and at and base and owner:
        return _direct(owner, base)
    return _direct(provider, model)


def litellm_name(provider: str, model: str, kind: SourceKind = "direct") -> str:
    """``litellm_params.model`` for a sheet model (see :func:`litellm_route`)."""
    return litellm_route(provider, model, kind).model
