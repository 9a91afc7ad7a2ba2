"""JSON Schemas of the commands' ``--format json`` documents (``costplan schema output-<cmd>``).

Contract: one schema per command that prints results; every document the
command prints validates against it (the tests run each command and check).
Money is always an exact decimal string in USD (:data:`USD`: at most 12
decimals, the pico-dollar resolution costplan computes in), never a JSON
number; quality and shares are decimal strings too. Objects list their keys
(``additionalProperties: false``) so that a renamed key fails the tests.
``reconcile``'s schema lives with its renderer (:mod:`costplan.reconcile.schema`).
"""

from __future__ import annotations

import json
from typing import Any

DIALECT = "https://json-schema.org/draft/2020-12/schema"

USD: dict[str, Any] = {
    "type": "string",
    "pattern": r"^-?\d+(\.\d{1,12})?$",
    "description": "exact amount in USD (decimal string, at most 12 decimals)",
}
DEC: dict[str, Any] = {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}
STR: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer", "minimum": 0}
BOOL: dict[str, Any] = {"type": "boolean"}
STRINGS: dict[str, Any] = {"type": "array", "items": STR}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def obj(props: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """A closed object: every key of ``props`` required except ``optional``."""
    return {
        "type": "object",
        "properties": props,
        "required": [k for k in props if k not in optional],
        "additionalProperties": False,
    }


def array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


# --- the plan document (optimize, assign; the .json plan file) ------------------------

_USAGE = obj(
    {
        "prompt_tokens_mean": DEC,
        "cached_tokens": INT,
        "output_tokens": INT,
        "reasoning_tokens": INT,
    }
)
_ALLOCATION = obj(
    {
        "model": STR,
        "provider": STR,
        "mode": {"enum": ["standard", "batch", "flex", "priority"]},
        "cache": {"enum": ["none", "5m", "1h"]},
        "commitment": STR,
        "count": INT,
        "share": DEC,
        "cost_per_query_usd": USD,
        "cost_usd": USD,
        "quality": DEC,
        "quality_stderr": nullable({"type": "number"}),
        "cost_source": STR,
        "kind": {"enum": ["model", "cascade"]},
        "detail": STR,
        "per_query": BOOL,
        "quality_queries": DEC,
        "cost_p95_per_query_usd": USD,
        "cost_sd_per_query_usd": USD,
        "usage_per_query": _USAGE,
    },
    optional=("cache", "commitment", "quality_stderr", "cost_sd_per_query_usd"),
)
_COMMITMENT = obj(
    {
        "name": STR,
        "model": STR,
        "mode": {"enum": ["standard", "batch", "flex", "priority"]},
        "fee_usd": USD,
        "capacity": {"type": "object"},
        "price_factor": DEC,
        "taken": BOOL,
        "used": INT,
        "break_even": nullable(INT),
        "with_value": nullable(STR),
        "without_value": nullable(STR),
    }
)
_TASK = obj(
    {
        "name": STR,
        "volume": INT,
        "min_quality": nullable(DEC),
        "cost_usd": USD,
        "mean_quality": DEC,
        "allocations": array(_ALLOCATION),
        "volume_spread": {"type": "object"},
        "samples": nullable(INT),
    },
    optional=("volume_spread", "samples"),
)
_BASELINE = obj(
    {
        "label": STR,
        "description": STR,
        "cost_usd": USD,
        "mean_quality": DEC,
        "meets_floors": BOOL,
        "within_budget": BOOL,
    }
)
# optimize --noise / --stability (costplan.risk.evidence)
_NOISE = obj(
    {
        "confidence": DEC,
        "z": {"type": "number", "minimum": 0},
        "tasks": array(obj({
            "task": STR, "best": STR, "within_noise": STRINGS,
            "cheapest_tied": nullable(STR), "best_cost_usd": USD, "cheapest_tied_cost_usd": USD,
        })),
        "tied_plan": obj({
            "status": {"enum": ["optimal", "feasible", "infeasible"]},
            "cost_usd": nullable(USD), "gap": nullable(STR),
            "main_choices": {"type": "object", "additionalProperties": STR},
        }),
    }
)  # fmt: skip
_STABILITY = obj(
    {
        "redraws": INT,
        "seed": INT,
        "tasks": array(obj({"task": STR, "main_choice": STR, "kept": INT})),
    }
)
PLAN: dict[str, Any] = obj(
    {
        "format": {"const": 1},
        "workload": STR,
        "workload_path": nullable(STR),
        "period": STR,
        "objective": {"enum": ["max_quality", "min_cost"]},
        "budget_usd": nullable(USD),
        "robust": BOOL,
        "status": {"enum": ["optimal", "feasible"]},
        "bound": nullable(DEC),
        "bound_unit": {"enum": ["quality_queries", "usd"]},
        "gap": nullable({"type": "string", "pattern": r"^\d+(\.\d+)?(/\d+)?$"}),
        "inputs": {"type": "object", "additionalProperties": {"pattern": "^[0-9a-f]{64}$"}},
        "prices": obj({"as_of": nullable(STR), "source": nullable(STR)}),
        "totals": obj(
            {
                "volume": INT,
                "cost_usd": USD,
                "cost_p95_usd": USD,
                "quality_queries": DEC,
                "mean_quality": DEC,
            }
        ),
        "tasks": array(_TASK),
        "baselines": array(_BASELINE),
        "solver": {"type": "object"},
        "notes": STRINGS,
        "certificate": {"type": "object"},
        "assign": {"type": "object"},
        "explanations": {"type": "object"},
        "today": {"type": "object"},
        # the uncertainty sections (README "Uncertainty"; schemas/plan.schema.json)
        "risk": {"type": "object"},
        "quality_risk": {"type": "object"},
        "chance": {"type": "object"},
        "noise": _NOISE,
        "stability": _STABILITY,
        "commitments": array(_COMMITMENT),  # README "Commitments"
    },
    optional=(
        "certificate", "assign", "explanations", "today", "risk", "quality_risk", "chance",
        "noise", "stability", "commitments",
    ),
)  # fmt: skip

# --- estimate, frontier, prices validate, verify ------------------------------------

_OPTION = obj(
    {
        "label": STR,
        "model": STR,
        "provider": STR,
        "kind": {"enum": ["model", "cascade"]},
        "mode": {"enum": ["standard", "batch", "flex", "priority"]},
        "cache": {"enum": ["", "none", "5m", "1h"]},
        "quality": DEC,
        "prompt_tokens_mean": {"type": "number", "minimum": 0},
        "cached_tokens": INT,
        "output_tokens": INT,
        "reasoning_tokens": INT,
        "tokens_estimated": BOOL,
        "tokenizer": STR,
        "cost_source": STR,
        "cost_per_query_usd": USD,
        "cost_per_period_usd": USD,
        "excluded": nullable(STR),
        "detail": STR,
    }
)
ESTIMATE: dict[str, Any] = obj(
    {
        "format": {"const": 1},
        "workload": STR,
        "period": STR,
        "tasks": array(
            obj(
                {
                    "name": STR,
                    "volume": INT,
                    "min_quality": nullable(DEC),
                    "options": array(_OPTION),
                }
            )
        ),
    }
)
_POINT = obj(
    {
        "kind": {"enum": ["grid", "breakpoint"]},
        "budget_usd": USD,
        "cost_usd": USD,
        "mean_quality": DEC,
        "quality_queries": DEC,
        "marginal_mean_quality_per_1k_usd": nullable(STR),
        "status": {"enum": ["optimal", "feasible"]},
        "knee": BOOL,
    }
)
FRONTIER: dict[str, Any] = obj(
    {
        "format": {"const": 1},
        "workload": STR,
        "period": STR,
        "volume": INT,
        "budget_usd": nullable(USD),
        "min_cost_usd": USD,
        "max_cost_usd": USD,
        "aiq": DEC,
        "aiq_between": nullable(obj({"lo_usd": DEC, "hi_usd": DEC, "aiq": DEC})),
        "knee": nullable(INT),
        "all_optimal": BOOL,
        "points": array(_POINT),
    }
)
# frontier --latency (costplan.latency_frontier; the CSV's columns plus each plan's status)
FRONTIER_LATENCY: dict[str, Any] = obj(
    {
        "format": {"const": 1},
        "workload": STR,
        "period": STR,
        "volume": INT,
        "all_optimal": BOOL,
        "points": array(
            obj(
                {
                    "latency_p95_ms": INT,
                    "cost_usd": USD,
                    "mean_quality": DEC,
                    "quality_queries": DEC,
                    "status": {"enum": ["optimal", "feasible"]},
                }
            )
        ),
    }
)
# prices import (costplan.pricing.catalogs.run.import_json)
_FINDINGS = array(obj({"provider": STR, "model": STR, "reason": STR}))
IMPORT: dict[str, Any] = obj(
    {
        "format": {"const": 1},
        "catalog": {"enum": ["genai-prices", "litellm", "openrouter"]},
        "source": STR,
        "as_of": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
        "out": STR,
        "models_count": INT,
        "providers_count": INT,
        "models": array(
            obj(
                {
                    "name": STR,
                    "provider": STR,
                    "aliases": STRINGS,
                    "prices": {
                        "type": "object",
                        "additionalProperties": {"type": "string", "pattern": r"^\d+(\.\d+)?$"},
                    },
                    "context_window": nullable(INT),
                    "max_output_tokens": nullable(INT),
                }
            )
        ),
        "skipped": _FINDINGS,
        "rounded": _FINDINGS,
        "notes": _FINDINGS,
    }
)
# workload build (costplan.ingest.summary_json)
_BUILD_MODEL = obj(
    {
        "model": STR,
        "requests": nullable(INT),
        "spend_usd": nullable(DEC),  # as logged: exact, any number of decimals
        "share_today": nullable(DEC),
        "quality": nullable(DEC),
    }
)
BUILD: dict[str, Any] = obj(
    {
        "format": {"const": 1},
        "workload": STR,
        "sidecar": STR,
        "queries_out": nullable(STR),
        "queries": INT,
        "name": STR,
        "period": STR,
        "inputs": obj({"traffic": STRINGS, "evals": STRINGS, "prices": STRINGS}),
        "models_checked": BOOL,
        "tasks": array(
            obj(
                {
                    "name": STR,
                    "volume": INT,
                    "volume_cv": nullable(DEC),
                    "volume_source": {"enum": ["traffic", "--volume"]},
                    "requests": nullable(INT),
                    "min_quality": nullable(DEC),
                    "models": array(_BUILD_MODEL),
                }
            )
        ),
        "models": STRINGS,
        "ignored_models": array(
            obj({"model": STR, "requests": INT, "spend_usd": nullable(DEC)})
        ),
        "malformed": obj({"traffic_rows": INT, "traffic_first": STRINGS, "eval_rows": INT}),
        "warnings": STRINGS,
        "notes": STRINGS,
    }
)
VALIDATE: dict[str, Any] = obj(
    {
        "format": {"const": 1},
        "valid": BOOL,
        "strict": BOOL,
        "files": array(
            obj(
                {
                    "file": STR,
                    "valid": BOOL,
                    "models": nullable(INT),
                    "errors": STRINGS,
                    "warnings": STRINGS,
                }
            )
        ),
    }
)
VERIFY: dict[str, Any] = obj(
    {
        "format": {"const": 1},
        "plan": STR,
        "verified": BOOL,
        "violations": STRINGS,
        "tasks": INT,
        "allocations": INT,
        "status": nullable(STR),
    }
)

# --- check and prices diff ------------------------------------------------------------

_PCT = nullable({"type": "string", "pattern": r"^-?\d+\.\d{4}$"})
_CHECK_ALLOCATION = obj(
    {
        "model": STR,
        "kind": STR,
        "mode": STR,
        "count": INT,
        "old_cost_per_query_usd": USD,
        "new_cost_per_query_usd": nullable(USD),
        "old_cost_usd": USD,
        "new_cost_usd": nullable(USD),
        "problem": nullable(STR),
    }
)
_CHECK_TASK = obj(
    {
        "name": STR,
        "old_cost_usd": USD,
        "new_cost_usd": nullable(USD),
        "change_usd": nullable(USD),
        "change_pct": _PCT,
        "allocations": array(_CHECK_ALLOCATION),
    }
)
_REOPTIMIZED = {
    "anyOf": [
        {"type": "null"},
        obj({"error": nullable(STR)}),
        obj(
            {
                "status": STR,
                "cost_usd": USD,
                "mean_quality": DEC,
                "saves_usd": nullable(USD),
            }
        ),
    ]
}
CHECK: dict[str, Any] = obj(
    {
        "passed": BOOL,
        "checks": array(
            obj(
                {
                    "plan": STR,
                    "workload": nullable(STR),
                    "prices": STRINGS,
                    "prices_as_of": nullable(STR),
                    "prices_source": nullable(STR),
                    "passed": BOOL,
                    "failures": STRINGS,
                    "warnings": STRINGS,
                    "budget_usd": nullable(USD),
                    "budget_from": nullable(STR),
                    "max_increase_pct": nullable(DEC),
                    "old_cost_usd": USD,
                    "new_cost_usd": nullable(USD),
                    "change_usd": nullable(USD),
                    "change_pct": _PCT,
                    "tasks": array(_CHECK_TASK),
                    "reoptimized": _REOPTIMIZED,
                }
            )
        ),
    }
)
_PRICE = nullable(DEC)
_SUMMARY = obj(
    {
        "model": STR,
        "provider": STR,
        "input_usd_per_mtok": _PRICE,
        "output_usd_per_mtok": _PRICE,
    }
)
_SIDE = obj({"file": STR, "as_of": nullable(STR)})
_VALUE = {"type": ["string", "integer", "null"]}
DIFF: dict[str, Any] = obj(
    {
        "old": _SIDE,
        "new": _SIDE,
        "added": array(_SUMMARY),
        "removed": array(_SUMMARY),
        "changed": array(
            obj(
                {
                    "model": STR,
                    "changes": array(
                        obj({"field": STR, "old": _VALUE, "new": _VALUE, "pct": nullable(DEC)})
                    ),
                }
            )
        ),
    }
)

_TITLES = {
    "optimize": ("costplan optimize --format json", PLAN),
    "assign": ("costplan assign --format json", PLAN),
    "estimate": ("costplan estimate --format json", ESTIMATE),
    "frontier": ("costplan frontier --format json", FRONTIER),
    "frontier-latency": ("costplan frontier --latency --format json", FRONTIER_LATENCY),
    "check": ("costplan check --format json", CHECK),
    "verify": ("costplan verify --format json", VERIFY),
    "prices-validate": ("costplan prices validate --format json", VALIDATE),
    "prices-diff": ("costplan prices diff --format json", DIFF),
    "prices-import": ("costplan prices import --format json", IMPORT),
    "reconcile": ("costplan reconcile --format json", None),
    "workload-build": ("costplan workload build --format json", BUILD),
}
#: The commands with a ``--format json`` document: ``costplan schema output-<name>``.
COMMANDS = tuple(_TITLES)


def output_schema(command: str) -> dict[str, Any]:
    """The JSON Schema of ``command``'s ``--format json`` document (one of :data:`COMMANDS`)."""
    title, body = _TITLES[command]
    if body is None:
        from costplan.reconcile.schema import SCHEMA

        return dict(SCHEMA)
    return {"$schema": DIALECT, "title": title, **body}


def output_schema_text(command: str) -> str:
    return json.dumps(output_schema(command), indent=2, ensure_ascii=False) + "\n"
