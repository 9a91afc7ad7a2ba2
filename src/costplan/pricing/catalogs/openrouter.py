"""Import a saved OpenRouter ``/api/v1/models`` response (a local JSON file).

``{"data": [{"id": "openai/gpt-4o", "context_length": 128000,
"pricing": {"prompt": "0.0000025", "completion": "0.00001", ...},
"top_provider": {"max_completion_tokens": 16384, ...}}, ...]}``

Prices are decimal strings in USD **per token** (``request`` is USD per
request); they are read exactly and multiplied by 10**6 (rounded to 6 decimals
only when they have more, reported):

* ``prompt`` -> input, ``completion`` -> output, ``input_cache_read`` -> cache
  read, ``input_cache_write`` -> cache write, ``internal_reasoning`` ->
  reasoning, ``request`` -> ``request_usd``; ``"0"`` for a cache or reasoning
  price means "not priced separately" (OpenRouter then bills cached input as
  input and reasoning as completion), not "free", so it is left unset;
* other priced fields (``image``, ``web_search``, ``audio``, ...) do not apply
  to text-token requests: left out with a note when non-zero;
* ``-1`` means the price varies with the routed provider, and a missing
  ``prompt``/``completion`` means unknown: such models are skipped with the reason;
* the provider is the id's prefix before ``/`` (a leading ``~``, OpenRouter's
  "latest" alias marker, dropped); the model name is the id;
* ``context_length`` (or ``top_provider.context_length``) -> ``context_window``,
  ``top_provider.max_completion_tokens`` -> ``max_output_tokens``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from costplan.errors import InputError
from costplan.pricing.catalogs.common import (
    Findings,
    ImportResult,
    RoundingLog,
    Selector,
    Unrepresentable,
    fit_context,
    make_rates,
    per_mtok,
    request_fee,
    to_decimal,
    tokenizer_for,
)
from costplan.pricing.model import ModelPrice, PriceSchedule
from costplan.pricing.names import canonical_provider
from costplan.yamlsource import load_json

#: OpenRouter pricing field -> costplan rate (USD per token -> per million).
RATE_KEYS: Mapping[str, str] = {
    "prompt": "input_usd_per_mtok",
    "completion": "output_usd_per_mtok",
    "input_cache_read": "cache_read_usd_per_mtok",
    "input_cache_write": "cache_write_usd_per_mtok",
    "internal_reasoning": "reasoning_usd_per_mtok",
}
FEE_KEY = "request"
#: OpenRouter writes "0" for these when a model does not price them separately
#: (reasoning tokens are then billed as completion tokens, cached input as input):
#: a zero here means "not given", never "free".
ZERO_MEANS_ABSENT = frozenset({"input_cache_read", "input_cache_write", "internal_reasoning"})
#: Not prices (informational fields of the pricing object).
NON_PRICE_KEYS = frozenset({"discount"})


def import_openrouter(path: Path, selector: Selector, as_of: date) -> ImportResult:
    """Models of a saved OpenRouter models response (see module docs)."""
    doc = load_json(path, what="OpenRouter models file")
    data = doc.data.get("data") if isinstance(doc.data, dict) else None
    if not isinstance(data, list):
        raise InputError(
            "an OpenRouter models file is a JSON object with a 'data' list",
            file=path,
            key="data",
        )
    findings = Findings()
    models: dict[str, ModelPrice] = {}
    for i, entry in enumerate(data):
        model_id = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(model_id, str) or not model_id:
            findings.skip("?", f"data[{i}]", "entry without an 'id'")
            continue
        provider = provider_of(model_id)
        if not selector.matches(provider, model_id):
            continue
        if model_id in models:
            findings.skip(provider, model_id, "duplicate id (the first entry is kept)")
            continue
        try:
            models[model_id] = _model(model_id, provider, entry, findings)
        except Unrepresentable as exc:
            findings.skip(provider, model_id, str(exc))
    return ImportResult(
        models=models,
        as_of=as_of,
        source=f"OpenRouter {path.name} (sha256 {doc.sha256[:12]})",
        findings=tuple(findings.items),
    )


def provider_of(model_id: str) -> str:
    """``"openai/gpt-4o"`` -> ``"openai"`` (``"~anthropic/..."`` -> ``"anthropic"``)."""
    if "/" not in model_id:
        return "openrouter"
    return model_id.split("/", 1)[0].lstrip("~") or "openrouter"


def _model(
    model_id: str, provider: str, entry: Mapping[str, Any], findings: Findings
) -> ModelPrice:
    pricing = entry.get("pricing")
    if not isinstance(pricing, dict):
        raise Unrepresentable("no 'pricing' object")
    values: dict[str, Decimal] = {}
    for key, raw in pricing.items():
        if key in NON_PRICE_KEYS or raw is None:
            continue
        value = to_decimal(raw)
        if value is None:
            raise Unrepresentable(f"pricing.{key} is not a number (got {raw!r})")
        if value == -1:
            raise Unrepresentable(f"pricing.{key} is -1 (variable: depends on the routed provider)")
        if value < 0:
            raise Unrepresentable(f"pricing.{key} is negative (got {raw!r})")
        if value == 0 and key in ZERO_MEANS_ABSENT:
            continue
        values[key] = value
    for key in ("prompt", "completion"):
        if key not in values:
            raise Unrepresentable(f"no pricing.{key} (unknown price)")

    log = RoundingLog()
    rates = {
        field: log.take(per_mtok(values[key]), f"pricing.{key}")
        for key, field in RATE_KEYS.items()
        if key in values
    }
    fee = request_fee(values[FEE_KEY]) if FEE_KEY in values else Decimal(0)
    left_out = sorted(
        k for k, v in values.items() if k not in RATE_KEYS and k != FEE_KEY and v != 0
    )
    if left_out:
        findings.note(provider, model_id, "prices not represented: " + ", ".join(left_out))
    log.report(findings, provider, model_id)

    top_raw = entry.get("top_provider")
    top: Mapping[str, Any] = top_raw if isinstance(top_raw, dict) else {}
    context = entry.get("context_length")
    if not isinstance(context, int):
        context = top.get("context_length")
    ctx, out = fit_context(context, top.get("max_completion_tokens"), findings, provider, model_id)
    return ModelPrice(
        name=model_id,
        provider=canonical_provider(provider),
        standard=PriceSchedule(make_rates(rates, fee)),
        context_window=ctx,
        max_output_tokens=out,
        tokenizer=tokenizer_for(provider, model_id),
    )
