"""Import LiteLLM's ``model_prices_and_context_window.json`` (a local file).

Each top-level key is a model (``sample_spec`` documents the format and is
skipped). Prices are USD **per token**; numbers are read exactly from the JSON
text and multiplied by 10**6 (rounded to 6 decimals only when they have more,
reported). The mapping follows LiteLLM's own cost code (``_get_token_base_cost``):

* ``input_cost_per_token``, ``output_cost_per_token``,
  ``cache_read_input_token_cost``, ``cache_creation_input_token_cost``,
  ``cache_creation_input_token_cost_above_1hr`` (1-hour cache writes) and
  ``output_cost_per_reasoning_token`` -> the standard rates.
* **Tiers.** ``input_cost_per_token_above_<N>[k]_tokens`` defines a threshold;
  when a request's prompt tokens (cached included) exceed it, the whole request
  uses that threshold's ``*_above_<N>[k]_tokens`` rates, each falling back to the
  **base** rate when absent, and the highest exceeded threshold wins: costplan's
  tier rule. For ``xai`` LiteLLM's threshold is inclusive (``>=``), which is
  ``above_input_tokens: N - 1`` for whole tokens. Threshold keys of other rates
  without an input threshold are ignored by LiteLLM and noted here.
* **Modes.** ``*_batches`` -> ``batch``: input and output batch prices are
  required, cache read/creation batch prices are used when given (otherwise
  cached input is billed as batch input, as in LiteLLM's classic batch cost); a
  model with thresholds also needs batch prices above each threshold, else the
  batch mode is left out (noted) rather than priced flat for long requests.
  ``*_flex`` / ``*_priority`` -> ``flex`` / ``priority`` with LiteLLM's
  fallbacks: a missing tier-specific key falls back to the standard key, above a
  threshold too.
* **Names.** An entry with ``alias_of: TARGET`` is not a model of its own: it becomes
  one of TARGET's ``aliases`` (skipped, with the reason, when TARGET is not
  imported). The provider is LiteLLM's ``litellm_provider`` made canonical
  (:func:`costplan.pricing.names.canonical_provider`: ``gemini`` and
  ``vertex_ai-*`` are ``google``).
* **Context.** ``max_input_tokens`` -> ``context_window``, ``max_output_tokens``.
* **Skipped, with the reason:** models whose ``mode`` is not ``chat``,
  ``completion`` or ``responses`` (embeddings, images, audio, ...), models without
  input or output per-token prices, and models billed in ways a sheet cannot
  represent faithfully: per character or per second, off-peak (time-of-day)
  prices, long-context prices given as multipliers (``long_context_*``), and
  range-based ``tiered_pricing`` tables (whose semantics differ across LiteLLM
  versions: graduated or whole-request).
"""

from __future__ import annotations

import re
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
    tidy_aliases,
    to_decimal,
    tokenizer_for,
)
from costplan.pricing.model import ModelPrice, PriceSchedule, Rates, Tier
from costplan.pricing.names import canonical_provider
from costplan.yamlsource import load_json

PRICED_MODES = ("chat", "completion", "responses")

#: Standard per-token keys -> costplan rate.
BASE_KEYS: Mapping[str, str] = {
    "input_cost_per_token": "input_usd_per_mtok",
    "output_cost_per_token": "output_usd_per_mtok",
    "cache_read_input_token_cost": "cache_read_usd_per_mtok",
    "cache_creation_input_token_cost": "cache_write_usd_per_mtok",
    "cache_creation_input_token_cost_above_1hr": "cache_write_1h_usd_per_mtok",
    "output_cost_per_reasoning_token": "reasoning_usd_per_mtok",
}
#: Keys LiteLLM reads with a service-tier suffix (``_flex``, ``_priority``).
SERVICE_TIER_KEYS = (
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
)
#: Keys LiteLLM reads with an ``_above_<N>_tokens`` threshold.
THRESHOLD_KEYS = (
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
    "cache_creation_input_token_cost_above_1hr",
)
#: Keys with a ``_batches`` price (LiteLLM's batch API rates).
BATCH_KEYS = SERVICE_TIER_KEYS
SERVICE_TIERS = ("flex", "priority")
#: Present (and not null/zero) -> the model is skipped with this reason.
UNFAITHFUL_KEYS: Mapping[str, str] = {
    "input_cost_per_character": "billed per character",
    "output_cost_per_character": "billed per character",
    "input_cost_per_second": "billed per second",
    "output_cost_per_second": "billed per second",
    "off_peak_pricing": "off-peak (time-of-day) prices",
    "tiered_pricing": (
        "range-based tiered_pricing (LiteLLM applies it graduated or whole-request "
        "depending on version and provider)"
    ),
}
INCLUSIVE_THRESHOLD_PROVIDERS = frozenset({"xai"})

_ABOVE = re.compile(
    r"^(?P<key>cache_creation_input_token_cost_above_1hr|input_cost_per_token|output_cost_per_token"
    r"|cache_read_input_token_cost|cache_creation_input_token_cost)"
    r"_above_(?P<n>\d+)(?P<k>k?)_tokens(?:_(?P<tier>flex|priority|batches))?$"
)
_COST_WORDS = re.compile(r"cost|pric")


def import_litellm(path: Path, selector: Selector, as_of: date) -> ImportResult:
    """Models of a LiteLLM price file (see module docs)."""
    doc = load_json(path, what="LiteLLM price file")
    data = doc.data
    if not isinstance(data, dict):
        raise InputError(
            "a LiteLLM price file is a JSON object of models", file=path, value=type(data).__name__
        )
    findings = Findings()
    models: dict[str, ModelPrice] = {}
    alias_of: dict[str, tuple[str, str]] = {}  # alias -> (provider, target)
    for name, entry in data.items():
        if name == "sample_spec":
            continue
        provider = entry.get("litellm_provider") if isinstance(entry, dict) else None
        provider = provider if isinstance(provider, str) and provider else "unknown"
        if not selector.matches(provider, name):
            continue
        target = entry.get("alias_of") if isinstance(entry, dict) else None
        if isinstance(target, str) and target:
            alias_of[name] = (provider, target)
            continue
        try:
            models[name] = _model(name, provider, entry, findings)
        except Unrepresentable as exc:
            findings.skip(provider, name, str(exc))
    _attach_aliases(models, alias_of, findings)
    return ImportResult(
        models=tidy_aliases(models, findings),
        as_of=as_of,
        source=f"LiteLLM {path.name} (sha256 {doc.sha256[:12]})",
        findings=tuple(findings.items),
    )


def _attach_aliases(
    models: dict[str, ModelPrice], alias_of: Mapping[str, tuple[str, str]], findings: Findings
) -> None:
    """Each ``alias_of`` entry becomes an alias of its (imported) target model; an
    alias of an alias follows the chain; a target not imported skips the alias."""
    from dataclasses import replace

    for alias, (provider, target) in alias_of.items():
        seen = {alias}
        while target in alias_of and target not in seen:
            seen.add(target)
            target = alias_of[target][1]
        if target not in models:
            findings.skip(provider, alias, f"alias of {target!r}, which is not imported")
            continue
        m = models[target]
        models[target] = replace(m, aliases=(*m.aliases, alias))


def _model(name: str, provider: str, entry: object, findings: Findings) -> ModelPrice:
    if not isinstance(entry, dict):
        raise Unrepresentable("entry is not a JSON object")
    mode = entry.get("mode")
    if mode not in PRICED_MODES:
        raise Unrepresentable(
            f"mode {mode!r} is not priced per text token (imported: {', '.join(PRICED_MODES)})"
        )
    if provider == "unknown":
        raise Unrepresentable("no litellm_provider")
    for key, why in UNFAITHFUL_KEYS.items():
        value = entry.get(key)
        if value is None or value in ([], {}) or to_decimal(value) == 0:
            continue
        raise Unrepresentable(f"{why} ({key})")
    long_context = sorted(k for k, v in entry.items() if k.startswith("long_context_") and v)
    if long_context:
        raise Unrepresentable(
            "long-context prices given as multipliers (" + ", ".join(long_context) + ")"
        )
    prices = _prices(entry)
    for key in ("input_cost_per_token", "output_cost_per_token"):
        if key not in prices:
            raise Unrepresentable(f"no {key}")

    log = RoundingLog()
    inclusive = provider in INCLUSIVE_THRESHOLD_PROVIDERS
    standard = _schedule(prices, None, inclusive, log)
    modes: dict[str, PriceSchedule] = {}
    if any(k.endswith("_batches") for k in prices):
        batch_log = RoundingLog()
        try:
            modes["batch"] = _batch_schedule(prices, inclusive, batch_log)
            log.changes += batch_log.changes
        except Unrepresentable as exc:
            findings.note(provider, name, f"batch mode left out: {exc}")
    for tier in SERVICE_TIERS:
        if any(k.endswith(f"_{tier}") for k in prices):
            modes[tier] = _schedule(prices, tier, inclusive, log)
    _note_unused(name, provider, entry, prices, findings)
    log.report(findings, provider, name)

    ctx, out = fit_context(
        _int(entry.get("max_input_tokens")),
        _int(entry.get("max_output_tokens")),
        findings,
        provider,
        name,
    )
    return ModelPrice(
        name=name,
        provider=canonical_provider(provider),
        standard=standard,
        modes=modes,
        context_window=ctx,
        max_output_tokens=out,
        tokenizer=tokenizer_for(provider, name),
    )


def _prices(entry: Mapping[str, Any]) -> dict[str, Decimal]:
    """Every numeric, non-null ``*cost*`` key as an exact Decimal (USD per token)."""
    out: dict[str, Decimal] = {}
    for key, raw in entry.items():
        if not _COST_WORDS.search(key) or raw is None:
            continue
        value = to_decimal(raw)
        if value is None:
            continue
        if value < 0:
            raise Unrepresentable(f"negative price {key}: {raw}")
        out[key] = value
    return out


def _thresholds(prices: Mapping[str, Decimal]) -> list[tuple[int, str]]:
    """``(tokens, text)`` of each input threshold, e.g. ``(200000, "200k")``."""
    found: dict[int, str] = {}
    for key in prices:
        m = _ABOVE.match(key)
        if m and m["key"] == "input_cost_per_token" and m["tier"] is None:
            tokens = int(m["n"]) * (1000 if m["k"] else 1)
            found[tokens] = m["n"] + m["k"]
    return sorted(found.items())


def _schedule(
    prices: Mapping[str, Decimal], tier: str | None, inclusive: bool, log: RoundingLog
) -> PriceSchedule:
    suffix = f"_{tier}" if tier else ""
    where = f"{tier}." if tier else ""

    def pick(*keys: str) -> tuple[str, Decimal] | None:
        for key in keys:
            if key in prices:
                return key, prices[key]
        return None

    base_values: dict[str, tuple[str, Decimal]] = {}
    for key, field in BASE_KEYS.items():
        keys = (key + suffix, key) if key in SERVICE_TIER_KEYS and tier else (key,)
        found = pick(*keys)
        if found is not None:
            base_values[field] = found

    def rates(values: Mapping[str, tuple[str, Decimal]], label: str) -> Rates:
        return make_rates({f: log.take(per_mtok(v), label + k) for f, (k, v) in values.items()})

    tiers: list[Tier] = []
    for tokens, text in _thresholds(prices):
        values = dict(base_values)
        for key in THRESHOLD_KEYS:
            above = f"{key}_above_{text}_tokens"
            found = pick(above + suffix, above) if tier else pick(above)
            if found is not None:
                values[BASE_KEYS[key]] = found
        threshold = tokens - 1 if inclusive else tokens
        if threshold <= 0:
            raise Unrepresentable(f"threshold {text} tokens cannot be represented")
        tiers.append(Tier(threshold, rates(values, f"{where}tiers[>{threshold}].")))
    return PriceSchedule(rates(base_values, where), tuple(tiers))


def _batch_schedule(
    prices: Mapping[str, Decimal], inclusive: bool, log: RoundingLog
) -> PriceSchedule:
    """The ``batch`` mode from ``*_batches`` keys.

    Input and output batch prices are required; cache read/creation batch prices
    are used when given (otherwise cached input is billed as batch input, as in
    LiteLLM's classic batch cost). A model with long-context thresholds needs
    batch prices above each threshold (``input_cost_per_token_above_<N>_tokens_batches``
    and the output one): without them the batch price of long requests is not
    known, and the mode is left out rather than priced flat.
    """
    base: dict[str, tuple[str, Decimal]] = {}
    for key in BATCH_KEYS:
        if f"{key}_batches" in prices:
            base[BASE_KEYS[key]] = (f"{key}_batches", prices[f"{key}_batches"])
    missing = [
        f"{k}_batches"
        for k in ("input_cost_per_token", "output_cost_per_token")
        if BASE_KEYS[k] not in base
    ]
    if missing:
        raise Unrepresentable("no " + " or ".join(missing))

    def rates(values: Mapping[str, tuple[str, Decimal]], label: str) -> Rates:
        return make_rates({f: log.take(per_mtok(v), label + k) for f, (k, v) in values.items()})

    tiers: list[Tier] = []
    for tokens, text in _thresholds(prices):
        values = dict(base)
        for key in THRESHOLD_KEYS:
            above = f"{key}_above_{text}_tokens_batches"
            if above in prices:
                values[BASE_KEYS[key]] = (above, prices[above])
            elif key in ("input_cost_per_token", "output_cost_per_token"):
                raise Unrepresentable(f"no batch price above {text} tokens ({above})")
        threshold = tokens - 1 if inclusive else tokens
        tiers.append(Tier(threshold, rates(values, f"batch.tiers[>{threshold}].")))
    return PriceSchedule(rates(base, "batch."), tuple(tiers))


def _note_unused(
    name: str,
    provider: str,
    entry: Mapping[str, Any],
    prices: Mapping[str, Decimal],
    findings: Findings,
) -> None:
    """Note price keys that carry a (non-zero) price costplan does not use."""
    thresholds = {text for _, text in _thresholds(prices)}
    unused: list[str] = []
    for key, value in prices.items():
        if key in BASE_KEYS or value == 0:
            continue
        if any(key == f"{k}_{t}" for k in SERVICE_TIER_KEYS for t in (*SERVICE_TIERS, "batches")):
            continue
        m = _ABOVE.match(key)
        if m and m["n"] + m["k"] in thresholds:
            continue
        unused.append(key)
    # Surcharge multipliers (regional processing, ...): only for requests that opt in.
    unused += [k for k, v in entry.items() if "multiplier" in k and v and k not in unused]
    # Structured prices (per query, per search context size, ...): never per text token.
    unused += [
        k
        for k, v in entry.items()
        if _COST_WORDS.search(k) and isinstance(v, dict | list) and v and k not in UNFAITHFUL_KEYS
    ]
    if unused:
        findings.note(provider, name, "prices not represented: " + ", ".join(sorted(unused)))


def _int(raw: object) -> int | None:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else None
