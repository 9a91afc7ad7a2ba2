"""JSON Schema of the workload and price sheet formats (``costplan schema``).

Generated from the pydantic boundary schemas
(:class:`costplan.workload.schema.WorkloadIn`,
:class:`costplan.pricing.schema.PriceSheetIn`) with
``model_json_schema(by_alias=True)``, then every property without a
description gets one from :data:`DESCRIPTIONS`, so that editors (e.g. the YAML
language server, via ``# yaml-language-server: $schema=...``) can complete and
explain keys. The pydantic loaders remain the validators costplan runs; these
schemas are for editors and other tools.

The output is deterministic (stable key order, two-space JSON, trailing
newline) so that the committed files under ``schemas/`` can be compared with a
fresh generation in the tests.
"""

from __future__ import annotations

import json
from typing import Any

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
KINDS = ("workload", "prices")
#: Schemas of costplan's own JSON outputs (hand-written beside their renderers).
OUTPUT_KINDS = ("reconcile",)
ALL_KINDS = KINDS + OUTPUT_KINDS

_TITLES = {
    "workload": (
        "costplan workload",
        "Tasks with volumes per period, prompt sizes, quality floors and latency; the quality "
        "table; budget and objective. Read by `costplan optimize` and `costplan estimate`.",
    ),
    "prices": (
        "costplan price sheet",
        "Per-model prices in USD per million tokens (or another currency with usd_per_unit), "
        "serving modes, long-context tiers, context windows and tokenizers.",
    ),
}

_PRICE = "USD per million tokens"

# Descriptions by "Definition.property" (checked first) or "property".
DESCRIPTIONS: dict[str, str] = {
    "$schema": "URL or path of this file's JSON Schema, for editors; ignored by costplan",
    # workload
    "WorkloadIn": "A workload: what queries a team sends, how many, and how good they must be.",
    "WorkloadIn.name": "name of the workload (shown in reports and plans)",
    "WorkloadIn.description": "free text for people",
    "period": "period that volumes and the budget refer to",
    "budget_usd": "budget in USD per period (required for objective max_quality)",
    "objective": (
        "max_quality: best volume-weighted quality within the budget; "
        "min_cost: cheapest plan meeting every quality floor"
    ),
    "prices": "price sheet file(s), relative to this file; later sheets override earlier ones",
    "allow_outside_samples": "let sample globs reach outside this file's folder",
    "tasks": "the query classes to serve",
    "WorkloadIn.quality": "expected quality 0..1 per task per model, from your evals",
    "constraints": "side constraints: model capacity and provider spend-share caps",
    "measured_cost_usd": (
        "measured USD per query per task per model; overrides the token-based estimate"
    ),
    "TaskIn": "One query class: its volume, prompt and output sizes, floor and latency.",
    "TaskIn.name": "task name (unique; used as the key of the quality table)",
    "TaskIn.description": "free text for people",
    "volume": "queries per period: a number, or {mean, p05, p95} / {mean, cv} / "
    "{mean, distribution: poisson} (README \"Uncertainty\")",
    "VolumeIn.mean": "the planned (expected) queries per period",
    "VolumeIn.p05": "5th percentile of the period's queries",
    "VolumeIn.p95": "95th percentile of the period's queries",
    "VolumeIn.cv": "coefficient of variation: standard deviation / mean",
    "VolumeIn.distribution": "poisson: variance equal to the mean",
    "volume_correlation": "correlation 0..1 of every two tasks' volume errors (0: independent)",
    "prompt": "prompt size per query: fixed tokens, or sample files measured with tiktoken",
    "shared_prefix_tokens": (
        "tokens of a shared prefix: read from the cache on every query, or billed by `cache`"
    ),
    "TaskIn.cache": "prompt caching of the shared prefix: hit rate and TTL (5m, 1h or auto)",
    "CacheIn": "How the shared prefix is cached: misses write it at the TTL's price.",
    "output_tokens": "output tokens per query: a number, or {mean, p95}",
    "reasoning_tokens": "reasoning tokens per query (billed at the reasoning or output price)",
    "min_quality": "volume-weighted quality floor for the task (0..1)",
    "latency": "realtime: standard prices only; batch: batch and flex prices allowed too",
    "allow": "models allowed for this task (default: every model scored for it)",
    "split": "false: the whole task goes to one model",
    "cascades": "cascades: a cheap model first, escalating a measured fraction of queries",
    "PromptIn.tokens": "fixed prompt tokens per query",
    "samples": "glob of sample prompt files (.txt), or a JSONL file, relative to this file",
    "field": "JSONL key holding the prompt text",
    "max_samples": "measure at most this many samples (a seeded random subset)",
    "mean": "mean output tokens per query (billed; rounded up)",
    "p95": "95th percentile of output tokens per query (for context checks and risk)",
    "CascadeIn.name": "cascade name (unique within the task)",
    "steps": "models in the order they are tried (2 to 5)",
    "escalate": "fraction of queries passed from each step to the next (measured)",
    "CascadeIn.quality": "measured end-to-end quality of the cascade (0..1)",
    "CascadeIn.mode": "serving mode every step uses",
    "threshold": "informational: the escalation rule, e.g. 'score < 0.7'",
    "ConstraintsIn": "Side constraints on the allocation.",
    "capacity": "capacity per model per period",
    "use_rate_limits": "derive capacity from the price sheet's limits x minutes in the period",
    "max_provider_share": "max share of spend per provider (0..1); '*' applies to every provider",
    "CapacityIn.requests": "requests per period the model can serve",
    "CapacityIn.tokens": "tokens per period the model can serve",
    "CommitmentIn.name": "the commitment's name (plans and reports use it)",
    "CommitmentIn.mode": "the serving mode the commitment covers",
    "OutputIn": "Output tokens per query: mean and optional p95.",
    "profiles": (
        "per-model token profiles measured for this task (output, reasoning); "
        "missing fields fall back to the task's values"
    ),
    "ProfileIn": "One model's measured tokens on a task; reasoning is billed only where given.",
    "ProfileIn.output_tokens": "output tokens per query for this model: a number, or {mean, p95}",
    "ProfileIn.reasoning_tokens": "reasoning tokens per query measured for this model",
    "LatencyIn.p50": "median latency of one request, milliseconds",
    "RegionIn.uplift_pct": "percent added to every price when served in this region",
    "QualityIn": "A measured quality with its sample size and/or standard error.",
    "score": "mean quality 0..1",
    "n": "number of eval items behind the score",
    "stderr": "standard error of the score",
    "current": (
        "what runs today: task -> model -> share of requests (sums to 1); "
        "priced as the 'today' baseline"
    ),
    "empirical": "sidecar of empirical data written by `costplan workload build`",
    "EmpiricalIn": "The sidecar this workload was built with, and its sha256.",
    "EmpiricalIn.file": "sidecar file, relative to this file",
    "sha256": "sha256 of the sidecar (checked on load)",
    # price sheet
    "PriceSheetIn": "A price sheet: models with their prices, and where the numbers came from.",
    "currency": "currency of every price (ISO code); other than USD needs usd_per_unit",
    "usd_per_unit": "exchange rate: USD per one unit of `currency`",
    "as_of": "date the prices were read",
    "source": "where the numbers came from",
    "models": "models by name",
    "ModelIn": "One model: standard prices, optional modes and tiers, limits and tokenizer.",
    "provider": "provider name, e.g. openai, anthropic, google",
    "input_usd_per_mtok": f"uncached input tokens, {_PRICE}",
    "output_usd_per_mtok": f"output tokens, {_PRICE}",
    "cache_read_usd_per_mtok": f"cached input tokens, {_PRICE} (default: the input price)",
    "cache_write_usd_per_mtok": f"cache writes, {_PRICE} (default: the input price)",
    "cache_write_1h_usd_per_mtok": f"cache writes with a 1-hour lifetime, {_PRICE}",
    "reasoning_usd_per_mtok": f"reasoning tokens, {_PRICE} (default: the output price)",
    "request_usd": "fee per request in USD",
    "tiers": (
        "long-context tiers: above the threshold the whole request is billed at the tier's prices"
    ),
    "batch": "batch mode prices: {discount: 0.5} or full rates",
    "flex": "flex mode prices: a discount or full rates",
    "priority": "priority mode prices: full rates (or a discount)",
    "context_window": "maximum tokens of a request (prompt + output)",
    "max_output_tokens": "maximum output tokens of a request",
    "tokenizer": "o200k_base, cl100k_base, a family (claude, gemini, ...), or {family, factor}",
    "limits": "provider rate limits per minute",
    "TierIn": "Prices for requests whose input exceeds above_input_tokens.",
    "above_input_tokens": "threshold on input tokens (cached + uncached) of one request",
    "discount": "fraction off every standard price, e.g. 0.5",
    "LimitsIn": "Provider rate limits.",
    "tokens_per_minute": "tokens per minute",
    "requests_per_minute": "requests per minute",
}


def _model(kind: str) -> Any:
    if kind == "workload":
        from costplan.workload.schema import WorkloadIn

        return WorkloadIn
    if kind == "prices":
        from costplan.pricing.schema import PriceSheetIn

        return PriceSheetIn
    from costplan.errors import InputError
    from costplan.validation import did_you_mean

    raise InputError(
        "unknown schema: choose workload, prices or reconcile",
        value=kind,
        hint=did_you_mean(kind, ALL_KINDS),
    )


def _describe(name: str, definition: dict[str, Any]) -> None:
    if "description" not in definition and name in DESCRIPTIONS:
        definition["description"] = DESCRIPTIONS[name]
    for prop, spec in definition.get("properties", {}).items():
        if "description" in spec:
            continue
        text = DESCRIPTIONS.get(f"{name}.{prop}") or DESCRIPTIONS.get(prop)
        if text is not None:
            spec["description"] = text


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of ``kind`` (``workload`` or ``prices``) as a dict."""
    model = _model(kind)
    generated: dict[str, Any] = model.model_json_schema(by_alias=True)
    for name, definition in generated.get("$defs", {}).items():
        _describe(name, definition)
    _describe(model.__name__, generated)
    title, description = _TITLES[kind]
    generated.pop("title", None)
    generated.pop("description", None)
    return {"$schema": SCHEMA_DIALECT, "title": title, "description": description, **generated}


def schema_text(kind: str) -> str:
    """``json_schema(kind)`` as the text of the committed ``schemas/*.schema.json``;
    ``reconcile``: the schema of ``costplan reconcile --format json``
    (:mod:`costplan.reconcile.schema`)."""
    if kind == "reconcile":
        from costplan.reconcile.schema import schema_text as reconcile_schema_text

        return reconcile_schema_text()
    return json.dumps(json_schema(kind), indent=2, ensure_ascii=False) + "\n"


def schema_filename(kind: str) -> str:
    """File name under ``schemas/``: ``workload.schema.json``, ``prices.schema.json``..."""
    return f"{kind}.schema.json"
