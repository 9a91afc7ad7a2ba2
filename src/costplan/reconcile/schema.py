"""JSON Schema of ``costplan reconcile --format json`` (committed as
``schemas/reconcile.schema.json``; a test keeps the two equal and validates output)."""

from __future__ import annotations

import json
from typing import Any

_USD = {"type": "string", "pattern": r"^-?\d+(\.\d{1,12})?$",
        "description": "exact amount in USD (decimal string, at most 12 decimals)"}
_SHARE = {"type": ["string", "null"], "pattern": r"^\d+(\.\d+)?$"}
_TOKENS = {"type": "string", "pattern": r"^\d+(\.\d+)?$"}
_EFFECTS = {
    "type": "object",
    "description": "one exact amount per effect; their sum is actual_cost_usd - plan_cost_usd",
    "properties": dict.fromkeys(("volume", "mix", "length", "cache", "price", "unplanned"), _USD),
    "required": ["volume", "mix", "length", "cache", "price", "unplanned"],
    "additionalProperties": False,
}
_KINDS = ["prompt", "cached", "output", "reasoning"]
_PLAN_TOKENS = {"type": "object", "required": _KINDS, "additionalProperties": _TOKENS,
                "description": "expected tokens by kind (prompt includes cached), exact"}
_ACTUAL_TOKENS = {"type": "object", "required": _KINDS,
                  "additionalProperties": {"type": "integer", "minimum": 0}}
_SUMS = {
    "plan_requests": {"type": "integer", "minimum": 0},
    "actual_requests": {"type": "integer", "minimum": 0},
    "plan_tokens": _PLAN_TOKENS, "actual_tokens": _ACTUAL_TOKENS,
}
_MODEL_TOTAL = {
    "type": "object", "description": "one model across every task",
    "required": ["model", "provider", *_SUMS, "plan_cost_usd", "actual_cost_usd"],
    "properties": {"model": {"type": "string"}, "provider": {"type": "string"}, **_SUMS,
                   "plan_cost_usd": _USD, "actual_cost_usd": _USD},
    "additionalProperties": False,
}
_MODEL = {
    "type": "object",
    "required": ["model", "provider", "planned", "priced", "plan_requests", "actual_requests",
                 "plan_cost_usd", "actual_cost_usd", "plan_tokens", "actual_tokens",
                 "logged_spend_usd"],
    "properties": {
        "model": {"type": "string"}, "provider": {"type": "string"},
        "planned": {"type": "boolean"}, "priced": {"type": "boolean"},
        "plan_requests": {"type": "integer", "minimum": 0},
        "actual_requests": {"type": "integer", "minimum": 0},
        "plan_cost_usd": _USD, "actual_cost_usd": _USD,
        "plan_tokens": {"type": "object", "additionalProperties": _TOKENS},
        "actual_tokens": {"type": "object", "additionalProperties": {"type": "integer"}},
        "logged_spend_usd": {"type": ["string", "null"]},
    },
    "additionalProperties": False,
}
_TASK = {
    "type": "object",
    "required": ["name", "planned", "plan_volume", "actual_requests", "plan_cost_usd",
                 "actual_cost_usd", "difference_usd", "effects", "on_plan_share",
                 "off_plan_share", "quality_weighted_off_plan_share", "basis_usd", "plan_tokens",
                 "actual_tokens", "models"],
    "properties": {
        "name": {"type": "string"}, "planned": {"type": "boolean"},
        "plan_volume": {"type": "integer", "minimum": 0},
        "actual_requests": {"type": "integer", "minimum": 0},
        "plan_cost_usd": _USD, "actual_cost_usd": _USD, "difference_usd": _USD,
        "effects": _EFFECTS, "on_plan_share": _SHARE, "off_plan_share": _SHARE,
        "quality_weighted_off_plan_share": {
            **_SHARE, "description": "the --max-mix-drift measure: 1 - sum_m min(plan share, "
            "actual share) x plan quality / sum_m plan share x plan quality"},
        "basis_usd": {"type": "string"},
        "plan_tokens": _PLAN_TOKENS, "actual_tokens": _ACTUAL_TOKENS,
        "models": {"type": "array", "items": _MODEL},
    },
    "additionalProperties": False,
}
_TIME = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"}
SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "costplan reconcile",
    "description": "A plan against actual usage: costs and exact effects (costplan reconcile "
    "--format json).",
    "type": "object",
    "required": ["format", "plan", "workload", "plan_period", "period", "covered", "usage",
                 "plan_prices", "prices", "plan_cost_usd", "actual_cost_usd", "difference_usd",
                 "effects", "effect_order", "tasks", "models", "totals", "gate", "warnings",
                 "notes"],
    "properties": {
        "format": {"const": 1},
        "plan": {"type": "string"}, "workload": {"type": "string"},
        "plan_period": {"type": "string"},
        "period": {"type": "object", "required": ["start", "end", "given"],
                   "properties": {"start": _TIME, "end": _TIME, "given": {"type": "boolean"}}},
        "covered": {"type": "object", "required": ["start", "end"],
                    "properties": {"start": _TIME, "end": _TIME}},
        "usage": {"type": "array", "items": {"type": "object", "required": ["file", "format"]}},
        "plan_prices": {"type": "array", "items": {"type": "string"}},
        "prices": {"type": "array", "items": {"type": "string"}},
        "plan_cost_usd": _USD, "actual_cost_usd": _USD, "difference_usd": _USD,
        "effects": _EFFECTS,
        "effect_order": {"type": "array", "items": {"type": "string"}},
        "tasks": {"type": "array", "items": _TASK},
        "models": {"type": "array", "items": _MODEL_TOTAL},
        "totals": {"type": "object", "required": list(_SUMS), "properties": _SUMS,
                   "additionalProperties": False},
        "gate": {"oneOf": [{"type": "null"}, {
            "type": "object", "required": ["passed", "reasons"],
            "properties": {"passed": {"type": "boolean"},
                           "reasons": {"type": "array", "items": {"type": "string"}}}}]},
        "warnings": {"type": "array", "items": {"type": "string"}},
        "notes": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": False,
}


def schema_text() -> str:
    return json.dumps(SCHEMA, indent=2, ensure_ascii=False) + "\n"
