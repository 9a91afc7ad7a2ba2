"""Export a Plan to what other tools read: a LiteLLM proxy config, or CSV.

**LiteLLM** (:func:`to_litellm`): a proxy ``config.yaml`` whose ``model_list``
has one deployment per (task, model, mode) the plan uses.

* **Groups.** A task's synchronous allocations (standard, flex, priority) form the
  routing group ``model_name: <task>`` that clients ask for (``model="ticket-triage"``);
  ``litellm_params.weight`` is each deployment's share of the group, ``count / sum of
  the group's counts`` rounded to 6 decimals by largest remainder (the weights of a
  group sum to exactly 1), and with ``router_settings.routing_strategy:
  simple-shuffle`` LiteLLM picks a deployment with probability ``weight / sum of
  weights``. **Batch** allocations are never in that group: they form the separate
  group ``batch:<task>`` (for ``POST /v1/batches`` through the proxy, or the
  provider's batch API), listed after the synchronous groups under a "batch jobs"
  comment with their query counts, since they are priced at batch rates that a
  synchronous route does not get.
* **Model strings** follow the sheet each model was priced from
  (:mod:`costplan.litellm_routes`: ``openrouter/x-ai/grok-4`` for a model of an
  OpenRouter sheet, LiteLLM's own key for a LiteLLM sheet, the provider's API
  otherwise), with credentials as ``os.environ/<PROVIDER>_API_KEY`` references.
* **Prices and limits** (when :class:`ExportInputs` are given, as ``costplan export``
  does): ``input_cost_per_token`` / ``output_cost_per_token`` in ``litellm_params``
  and ``cache_read_input_token_cost``, ``cache_creation_input_token_cost``,
  ``output_cost_per_reasoning_token`` in ``model_info``: the sheet's rates of the
  deployment's mode (region uplift included) divided by 10**6, exact decimals;
  long-context tiers and per-request fees are noted, not expressible there.
  ``rpm`` / ``tpm`` come from the workload's capacity constraints (``requests`` /
  ``tokens`` per period, or the sheet's rate limits under ``use_rate_limits``): the
  model's capacity per minute (floored), split over its deployments in proportion
  to their planned counts (floored, so they never sum above it).
* ``model_info`` carries the plan's exact figures (``costplan_*``: task, mode, count,
  share of the task, cost per query, quality) and any note. The header says that the
  proxy needs a master key (``LITELLM_MASTER_KEY``) and which variables to set.

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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml

from costplan.errors import InputError
from costplan.litellm_routes import Route, SourceKind, litellm_name, litellm_route, source_kind
from costplan.money import usd_str
from costplan.plan import Allocation, Plan, TaskPlan
from costplan.pricing.model import ModelPrice, Rates
from costplan.report.tables import shares

__all__ = ["EXPORTERS", "ExportInputs", "export_plan", "litellm_name", "to_csv", "to_litellm"]

_MODE_NOTES = {
    "batch": "priced for the provider's batch API (asynchronous): "
    "submit these queries as batch jobs, not through a synchronous route",
    "flex": "priced for flex processing (service_tier: flex): slower, may be refused under load",
    "priority": "priced for priority processing (service_tier: priority)",
}

_CASCADE_NOTE = (
    "a cascade: this deployment is its first step; the application's verifier escalates "
    "the answers it rejects to the next step, which the proxy does not do by itself"
)
BATCH_GROUP = "batch:"
_PER_TOKEN = Decimal(10) ** -6
#: costplan rate -> LiteLLM cost key, and where LiteLLM reads it.
_COST_KEYS = (
    ("input_usd_per_mtok", "input_cost_per_token", "litellm_params"),
    ("output_usd_per_mtok", "output_cost_per_token", "litellm_params"),
    ("cache_read_usd_per_mtok", "cache_read_input_token_cost", "model_info"),
    ("cache_write_usd_per_mtok", "cache_creation_input_token_cost", "model_info"),
    ("reasoning_usd_per_mtok", "output_cost_per_reasoning_token", "model_info"),
)


@dataclass(frozen=True)
class ExportInputs:
    """What a deployable export needs beyond the plan (see ``costplan.export_inputs``).

    ``models``: the sheet model each allocation model name means (aliases and
    variants resolved, region uplift applied); ``kinds``: the source kind of the
    sheet each canonical model name came from; ``capacity``: model -> (requests,
    tokens) per period (None: no limit); ``minutes``: minutes in the plan's period.
    """

    models: Mapping[str, ModelPrice]
    kinds: Mapping[str, SourceKind] = field(default_factory=dict)
    capacity: Mapping[str, tuple[int | None, int | None]] = field(default_factory=dict)
    minutes: int = 43_200
    canonical: Mapping[str, str] = field(default_factory=dict)


def _first_step(a: Allocation) -> tuple[str, str]:
    """(provider, model) of the call a deployment for ``a`` makes (a cascade: step 1)."""
    if a.kind != "cascade":
        return a.provider, a.model
    first = a.detail.split(" -> ", 1)[0].split(" (", 1)[0].strip() or a.model
    return a.provider.split("+", 1)[0], first


def _route(a: Allocation, plan: Plan, inputs: ExportInputs | None) -> Route:
    provider, model = _first_step(a)
    if inputs is None:
        return litellm_route(provider, model, source_kind(plan.prices_source))
    name = inputs.canonical.get(model, model)
    kind = inputs.kinds.get(name, source_kind(plan.prices_source))
    return litellm_route(provider, name, kind)


def litellm_model(a: Allocation) -> str:
    """The LiteLLM model a deployment for ``a`` calls (plan only: direct providers).

    A cascade calls its first step: its provider is the first of the cascade's
    ``+``-joined providers (they are listed in step order) and its model the first
    of the ``a -> b (escalating ...)`` steps in ``detail``; escalating is left to
    the application's verifier, which the proxy cannot do.
    """
    provider, model = _first_step(a)
    return litellm_name(provider, model)


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


class _Dumper(yaml.SafeDumper):
    """Decimals as plain decimal floats (``0.00000015``, never ``1.5e-07``)."""


def _decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = f"{value.normalize():f}"
    return dumper.represent_scalar("tag:yaml.org,2002:float", text if "." in text else text + ".0")


_Dumper.add_representer(Decimal, _decimal)


_Costs = tuple[dict[str, Decimal], dict[str, Decimal], list[str]]


def _costs(price: ModelPrice, mode: str) -> _Costs:
    """(litellm_params costs, model_info costs, notes) of ``price`` in ``mode``."""
    schedule = price.schedule(mode)
    base: Rates = schedule.base
    params: dict[str, Decimal] = {}
    info: dict[str, Decimal] = {}
    for rate, key, where in _COST_KEYS:
        value = getattr(base, rate)
        if value is not None:
            (params if where == "litellm_params" else info)[key] = value * _PER_TOKEN
    notes = []
    if schedule.tiers:
        above = ", ".join(f"{t.above_input_tokens:,}" for t in schedule.tiers)
        notes.append(f"long-context rates above {above} input tokens are not in the cost fields")
    if base.request_usd:
        notes.append(f"a per-request fee of {base.request_usd:f} USD is not in the cost fields")
    return params, info, notes


def _limits(
    a: Allocation, inputs: ExportInputs | None, used: Mapping[str, int]
) -> tuple[dict[str, int], list[str]]:
    """rpm / tpm of a deployment (see the module docs) and notes."""
    if inputs is None or a.kind == "cascade" or a.model not in inputs.capacity:
        return {}, []
    out: dict[str, int] = {}
    notes = []
    total = used[a.model]
    for key, cap in zip(("rpm", "tpm"), inputs.capacity[a.model], strict=True):
        if cap is None or total == 0:
            continue
        value = cap * a.count // (total * inputs.minutes)
        if value > 0:
            out[key] = value
        else:
            notes.append(f"its capacity share is under 1 per minute: no {key} set")
    return out, notes


def _deployment(
    group: str, task: TaskPlan, a: Allocation, weight: Decimal, share: Decimal,
    route: Route, extra: tuple[dict[str, Any], dict[str, Any], list[str]],
) -> dict[str, Any]:  # fmt: skip
    params_extra, info_extra, extra_notes = extra
    info: dict[str, Any] = {
        "costplan_task": task.name,
        "costplan_serving_mode": a.mode,
        "costplan_count": a.count,
        "costplan_share": f"{share:f}",
        "costplan_cost_per_query_usd": usd_str(a.cost_per_query_pusd),
        "costplan_quality": str(a.quality),
        **info_extra,
    }
    notes = [_MODE_NOTES[a.mode]] if a.mode in _MODE_NOTES else []
    notes += extra_notes
    if route.note:
        notes.append(route.note)
    if a.kind == "cascade":
        info["costplan_cascade"] = f"{a.model}: {a.detail}"
        notes.append(_CASCADE_NOTE)
    if a.cache:
        info["costplan_cache"] = a.cache
        if a.cache != "none":
            notes.append(f"planned with the shared prefix cached (cache_control ttl {a.cache})")
    if notes:
        info["costplan_note"] = "; ".join(notes)
    params = {"model": route.model, **route.params, "weight": float(weight), **params_extra}
    return {"model_name": group, "litellm_params": params, "model_info": info}


def _header(plan: Plan, inputs: ExportInputs | None) -> list[str]:
    lines = [
        _comment(
            f"LiteLLM proxy config from costplan plan {plan.workload!r} "
            f"({plan.objective}, per {plan.period})."
        ),
        "# Each task is a routing group (model_name); simple-shuffle sends a request to a",
        "# deployment with probability weight / sum of its group's weights = the plan's share.",
        "# Batch allocations are the separate groups 'batch:<task>' (batch jobs, not traffic).",
        "# The proxy needs a master key: export LITELLM_MASTER_KEY=sk-... (or set",
        "# general_settings.master_key), then: litellm --config THIS_FILE",
        "# Credentials are read from the environment variables named by os.environ/... below.",
    ]
    if inputs is None:
        lines.append("# No price sheet was given: no cost fields, rpm or tpm in this file.")
    return lines


def _entries(
    plan: Plan, t: TaskPlan, used: list[Allocation], inputs: ExportInputs | None,
    counts: Mapping[str, int],
) -> list[tuple[str, dict[str, Any], list[str]]]:  # fmt: skip
    """(group, deployment, comments) of a task's used allocations."""
    task_shares = dict(zip(map(id, used), shares([a.count for a in used], t.volume), strict=True))
    out = []
    for batch in (False, True):
        mine = [a for a in used if (a.mode == "batch") == batch]
        group = BATCH_GROUP + t.name if batch else t.name
        weights = shares([a.count for a in mine], sum(a.count for a in mine))
        for a, w in zip(mine, weights, strict=True):
            route = _route(a, plan, inputs)
            comments = []
            if a.mode in _MODE_NOTES:
                comments.append(f"{a.mode}: {a.label} for {t.name!r} is {_MODE_NOTES[a.mode]}")
            if a.kind == "cascade":
                comments.append(f"cascade {a.model} ({a.detail}) for {t.name!r} is {_CASCADE_NOTE}")
            params: dict[str, Any] = {}
            info: dict[str, Any] = {}
            notes: list[str] = []
            if inputs is not None and _first_step(a)[1] in inputs.models:
                params, info, notes = _costs(inputs.models[_first_step(a)[1]], a.mode)
            limits, limit_notes = _limits(a, inputs, counts)
            extra = ({**limits, **params}, info, notes + limit_notes)
            entry = _deployment(group, t, a, w, task_shares[id(a)], route, extra)
            out.append((group, entry, comments))
    return out


def _dump(entry: dict[str, Any]) -> str:
    return yaml.dump([entry], Dumper=_Dumper, sort_keys=False, allow_unicode=True).rstrip("\n")


def to_litellm(plan: Plan, inputs: ExportInputs | None = None) -> str:
    """The LiteLLM proxy config for ``plan`` (YAML text; see the module docstring)."""
    counts: dict[str, int] = {}
    for t in plan.tasks:
        for a in t.allocations:
            counts[a.model] = counts.get(a.model, 0) + a.count
    sync: list[str] = []
    batch: list[str] = []
    names = {t.name for t in plan.tasks}
    for t in plan.tasks:
        used = [a for a in t.allocations if a.count > 0]
        if not used:
            sync.append(_comment(f"task {t.name!r} has no queries in this plan"))
            continue
        if BATCH_GROUP + t.name in names:
            raise InputError(
                "a task name is another task's batch group name in the LiteLLM export",
                value=BATCH_GROUP + t.name,
            )
        for group, entry, comments in _entries(plan, t, used, inputs, counts):
            lines = sync if group == t.name else batch
            lines.extend(_comment(c) for c in comments)
            lines.append(_dump(entry))
    if batch:
        batch.insert(0, _comment(
            "Batch jobs: the queries below are planned at batch rates. Submit them as batch "
            "jobs (POST /v1/batches with model 'batch:<task>', or the provider's batch API), "
            "never as synchronous requests, which are billed at standard rates."
        ))  # fmt: skip
    out = [*_header(plan, inputs), "model_list:", *sync, *batch]
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


EXPORTERS: dict[str, Callable[[Plan, ExportInputs | None], str]] = {
    "litellm": to_litellm,
    "csv": lambda plan, _inputs: to_csv(plan),
}


def export_plan(plan: Plan, to: str, inputs: ExportInputs | None = None) -> str:
    """The plan in format ``to`` (one of :data:`EXPORTERS`); InputError otherwise."""
    exporter = EXPORTERS.get(to)
    if exporter is None:
        raise InputError(f"--to must be one of {', '.join(EXPORTERS)}", value=to)
    return exporter(plan, inputs)
