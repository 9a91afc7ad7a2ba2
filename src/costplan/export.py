"""Export a Plan to what other tools read: a LiteLLM proxy config, or CSV.

**LiteLLM** (:func:`to_litellm`): a proxy ``config.yaml`` whose ``model_list``
has one deployment per (task, model, mode) the plan uses. The task name is the
deployment's ``model_name``, i.e. the routing group clients ask for
(``model="ticket-triage"``); ``litellm_params.model`` is ``<provider>/<model>``
in LiteLLM's naming (``google`` -> ``gemini``...); ``litellm_params.weight`` is
the plan's share of the task, ``count / volume`` rounded to 6 decimals by
largest remainder so that the weights of a task sum to exactly 1. With
``router_settings.routing_strategy: simple-shuffle`` LiteLLM picks a deployment
with probability ``weight / sum(weights)`` of its group, so traffic follows the
plan's shares. ``model_info`` carries the plan's exact figures
(``costplan_*`` keys) and the serving mode; allocations in ``batch`` mode are
also preceded by a comment: they are priced for the provider's batch API, which
a synchronous proxy route does not use. API keys are left to the reader.

**CSV** (:func:`to_csv`): one row per (task, model, mode) with the exact
count, share (6 decimals, summing to 1 per task), quality and costs as exact
decimal strings, for spreadsheets. Text cells that a spreadsheet would run as
a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR) are prefixed
with ``'``.

Cascades (``kind: cascade``) export as their first step in LiteLLM, with the
cascade's steps in ``model_info`` and a comment: the escalation itself belongs to
the application (see :func:`litellm_model`).
"""

from __future__ import annotations

import csv
import io
import textwrap
from collections.abc import Callable
from typing import Any

import yaml

from costplan.errors import InputError
from costplan.money import usd_str
from costplan.plan import Allocation, Plan, TaskPlan
from costplan.report.tables import shares

# costplan provider name -> LiteLLM provider prefix, where they differ.
LITELLM_PROVIDERS = {
    "google": "gemini",
    "google-ai": "gemini",
    "vertex": "vertex_ai",
    "together": "together_ai",
    "togetherai": "together_ai",
    "fireworks": "fireworks_ai",
    "x-ai": "xai",
    "aws": "bedrock",
    "amazon": "bedrock",
    "mistralai": "mistral",
    "azure-openai": "azure",
}

_MODE_NOTES = {
    "batch": "priced for the provider's batch API (asynchronous): "
    "submit these queries as batch jobs, not through this synchronous route",
    "flex": "priced for flex processing (service_tier: flex): slower, may be refused under load",
    "priority": "priced for priority processing (service_tier: priority)",
}


_CASCADE_NOTE = (
    "a cascade: this deployment is its first step; the application's verifier escalates "
    "the answers it rejects to the next step, which the proxy does not do by itself"
)


def litellm_name(provider: str, model: str) -> str:
    """``<provider>/<model>`` as LiteLLM names it (no double prefix)."""
    prefix = LITELLM_PROVIDERS.get(provider.lower(), provider.lower())
    return model if model.startswith(prefix + "/") else f"{prefix}/{model}"


def litellm_model(a: Allocation) -> str:
    """The LiteLLM model a deployment for ``a`` calls.

    A cascade calls its first step: its provider is the first of the cascade's
    ``+``-joined providers (they are listed in step order) and its model the first
    of the ``a -> b (escalating ...)`` steps in ``detail``; escalating is left to
    the application's verifier, which the proxy cannot do.
    """
    if a.kind != "cascade":
        return litellm_name(a.provider, a.model)
    first = a.detail.split(" -> ", 1)[0].split(" (", 1)[0].strip() or a.model
    return litellm_name(a.provider.split("+", 1)[0], first)


def _comment(text: str) -> str:
    """A YAML comment, wrapped; newlines in user strings cannot end it early."""
    return "\n".join(
        textwrap.wrap(
            " ".join(text.split()),
            96,
            initial_indent="# ",
            subsequent_indent="#   ",
            break_on_hyphens=False,
        )
    )


def _deployment(task: TaskPlan, a: Allocation, weight: str) -> dict[str, Any]:
    info: dict[str, Any] = {
        "costplan_task": task.name,
        "costplan_serving_mode": a.mode,
        "costplan_count": a.count,
        "costplan_share": weight,
        "costplan_cost_per_query_usd": usd_str(a.cost_per_query_pusd),
        "costplan_quality": str(a.quality),
    }
    notes = [_MODE_NOTES[a.mode]] if a.mode in _MODE_NOTES else []
    if a.kind == "cascade":
        info["costplan_cascade"] = f"{a.model}: {a.detail}"
        notes.append(_CASCADE_NOTE)
    if a.cache:
        info["costplan_cache"] = a.cache
        if a.cache != "none":
            notes.append(f"planned with the shared prefix cached (cache_control ttl {a.cache})")
    if notes:
        info["costplan_note"] = "; ".join(notes)
    return {
        "model_name": task.name,
        "litellm_params": {"model": litellm_model(a), "weight": float(weight)},
        "model_info": info,
    }


def to_litellm(plan: Plan) -> str:
    """The LiteLLM proxy config for ``plan`` (YAML text; see the module docstring)."""
    out = [
        _comment(
            f"LiteLLM proxy config from costplan plan {plan.workload!r} "
            f"({plan.objective}, per {plan.period})."
        ),
        "# Each task is a routing group (model_name); simple-shuffle sends a request to a",
        "# deployment with probability weight / sum of its group's weights = the plan's share.",
        "# Add credentials (e.g. api_key: os.environ/OPENAI_API_KEY) before use.",
        "model_list:",
    ]
    for t in plan.tasks:
        used = [a for a in t.allocations if a.count > 0]
        if not used:
            out.append(_comment(f"task {t.name!r} has no queries in this plan"))
            continue
        weights = shares([a.count for a in used], t.volume)
        for a, w in zip(used, weights, strict=True):
            if a.mode in _MODE_NOTES:
                out.append(_comment(f"{a.mode}: {a.label} for {t.name!r} is {_MODE_NOTES[a.mode]}"))
            if a.kind == "cascade":
                what = f"cascade {a.model} ({a.detail})"
                out.append(_comment(f"{what} for {t.name!r} is {_CASCADE_NOTE}"))
            entry = _deployment(t, a, f"{w:f}")
            out.append(yaml.safe_dump([entry], sort_keys=False, allow_unicode=True).rstrip("\n"))
    if not any(line.startswith("- model_name:") for line in out):
        out[out.index("model_list:")] = "model_list: []"
    settings = {"router_settings": {"routing_strategy": "simple-shuffle"}}
    out.append(yaml.safe_dump(settings, sort_keys=False).rstrip("\n"))
    return "\n".join(out) + "\n"


CSV_COLUMNS = (
    "task",
    "model",
    "provider",
    "mode",
    "count",
    "task_volume",
    "share",
    "quality",
    "cost_per_query_usd",
    "cost_usd",
    "cost_p95_per_query_usd",
    "cost_p95_usd",
    "cost_source",
    "kind",
    "detail",
    "cache",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _text(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def to_csv(plan: Plan) -> str:
    """One row per (task, model, mode), exact decimals (see the module docstring)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for t in plan.tasks:
        weights = shares([a.count for a in t.allocations], t.volume)
        for a, w in zip(t.allocations, weights, strict=True):
            writer.writerow(
                (
                    _text(t.name),
                    _text(a.model),
                    _text(a.provider),
                    a.mode,
                    a.count,
                    t.volume,
                    f"{w:f}",
                    str(a.quality),
                    usd_str(a.cost_per_query_pusd),
                    usd_str(a.cost_pusd),
                    usd_str(a.cost_p95_per_query_pusd),
                    usd_str(a.cost_p95_pusd),
                    a.cost_source,
                    a.kind,
                    _text(a.detail),
                    a.cache,
                )
            )
    return buf.getvalue()


EXPORTERS: dict[str, Callable[[Plan], str]] = {"litellm": to_litellm, "csv": to_csv}


def export_plan(plan: Plan, to: str) -> str:
    """The plan in format ``to`` (one of :data:`EXPORTERS`); InputError otherwise."""
    exporter = EXPORTERS.get(to)
    if exporter is None:
        raise InputError(f"--to must be one of {', '.join(EXPORTERS)}", value=to)
    return exporter(plan)
