"""Load a workload file into a :class:`Workload` (validated, samples read)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import ROUND_CEILING, Decimal
from pathlib import Path
from typing import Any, Literal

from costplan.common_schema import LatencyIn
from costplan.latency import LatencyMs
from costplan.risk.volume import FIXED, VolumeSpread, spread_of
from costplan.tokens.samples import load_sample_texts
from costplan.validation import did_you_mean, validate
from costplan.workload.model import (
    CachePolicy,
    Capacity,
    Cascade,
    Commitment,
    Constraints,
    OutputSpec,
    Profile,
    PromptSpec,
    QualityStat,
    Task,
    Workload,
)
from costplan.workload.schema import (
    MAX_COMMITMENTS,
    OutputIn,
    QualityIn,
    TaskIn,
    VolumeIn,
    WorkloadIn,
)
from costplan.yamlsource import SourceDocument, load_yaml


def _task(doc: SourceDocument, i: int, t: TaskIn, allow_outside: bool) -> Task:
    if t.prompt.tokens is not None:
        prompt = PromptSpec(tokens=t.prompt.tokens)
    else:
        assert t.prompt.samples is not None
        texts = load_sample_texts(
            t.prompt.samples,
            base_dir=doc.path.parent,
            file=doc.path,
            key=("tasks", i, "prompt", "samples"),
            line=doc.line_of(("tasks", i, "prompt", "samples")),
            field=t.prompt.field,
            allow_outside=allow_outside,
        )
        prompt = PromptSpec(
            texts=tuple(texts), pattern=t.prompt.samples, max_samples=t.prompt.max_samples
        )
    output = _output(t.output_tokens)
    profiles = tuple(
        (
            m,
            Profile(
                output=_output(p.output_tokens) if p.output_tokens is not None else None,
                reasoning_tokens=p.reasoning_tokens,
                latency_ms=_latency(p.latency_ms),
            ),
        )
        for m, p in t.profiles.items()
    )
    volume, spread = _volume(doc, i, t)
    return Task(
        name=t.name,
        volume=volume,
        volume_spread=spread,
        prompt=prompt,
        output=output,
        shared_prefix_tokens=t.shared_prefix_tokens,
        reasoning_tokens=t.reasoning_tokens,
        min_quality=t.min_quality,
        latency=t.latency,
        allow=tuple(t.allow) if t.allow is not None else None,
        split=t.split,
        index=i,
        cache=_cache(t),
        cascades=tuple(
            Cascade(
                name=c.name,
                steps=tuple(c.steps),
                escalate=tuple(c.escalate if isinstance(c.escalate, list) else [c.escalate]),
                quality=c.quality,
                mode=c.mode,
                threshold=c.threshold,
            )
            for c in t.cascades
        ),
        profiles=profiles,
        max_latency_p95_ms=t.max_latency_p95_ms,
    )


def _volume(doc: SourceDocument, i: int, t: TaskIn) -> tuple[int, VolumeSpread]:
    """The planned volume and its spread (:mod:`costplan.risk.volume`)."""
    v = t.volume
    if not isinstance(v, VolumeIn):
        return v, FIXED
    spread = spread_of(
        v.mean, p05=v.p05, p95=v.p95, cv=None if v.cv is None else float(v.cv),
        poisson=v.distribution == "poisson",
    )  # fmt: skip
    if spread is None:
        raise doc.error(
            "volume range too skewed about its mean for a two-piece normal "
            "(the mean must lie between 39% and 61% of the way from p05 to p95)",
            ("tasks", i, "volume"),
            f"mean {v.mean}, p05 {v.p05}, p95 {v.p95}",
        )
    return v.mean, spread


def _latency(spec: LatencyIn | Mapping[Any, LatencyIn] | None) -> dict[str, LatencyMs]:
    """A profile's ``latency_ms``: ``{p50, p95}`` is the standard mode's."""
    if spec is None:
        return {}
    if isinstance(spec, LatencyIn):
        return {"standard": LatencyMs(spec.p50, spec.p95)}
    return {mode: LatencyMs(v.p50, v.p95) for mode, v in spec.items()}


def _output(spec: int | OutputIn) -> OutputSpec:
    """Billed mean (rounded up) and p95 (at least the mean) output tokens."""
    if isinstance(spec, int):
        return OutputSpec(spec, spec)
    mean = math.ceil(spec.mean)
    p95 = spec.p95 if spec.p95 is not None else mean
    return OutputSpec(mean, max(p95, mean))


def _cache(t: TaskIn) -> CachePolicy | None:
    if t.cache is None:
        return None
    rate = t.cache.hit_rate
    rates: dict[str, Decimal] = (
        {str(k): v for k, v in rate.items()} if isinstance(rate, dict) else {"5m": rate, "1h": rate}
    )
    return CachePolicy(hit_rates=rates, ttl=t.cache.ttl)


def workload_from_document(doc: SourceDocument) -> Workload:
    """Validate a parsed workload document and read its samples."""
    w = validate(WorkloadIn, doc, what="workload")
    names: dict[str, int] = {}
    for i, t in enumerate(w.tasks):
        if t.name in names:
            raise doc.error(
                f"duplicate task name (first at tasks[{names[t.name]}])",
                ("tasks", i, "name"),
                t.name,
            )
        names[t.name] = i
    for i, t in enumerate(w.tasks):
        seen: set[str] = set()
        for j, c in enumerate(t.cascades):
            if c.name in seen or c.name in w.quality.get(t.name, {}):
                raise doc.error(
                    "cascade name repeats another cascade or a model of this task",
                    ("tasks", i, "cascades", j, "name"),
                    c.name,
                )
            seen.add(c.name)
    for task_name in w.quality:
        if task_name not in names:
            raise doc.error(
                "quality table names an unknown task",
                ("quality", task_name),
                task_name,
                hint=did_you_mean(task_name, names),
            )
    for task_name, i in names.items():
        if not w.quality.get(task_name):
            raise doc.error(
                f"task {task_name!r} has no quality scores",
                ("tasks", i, "name"),
                hint=f"add 'quality: {{{task_name}: {{<model>: <0..1>}}}}'",
            )
    for task_name, per_model in (w.measured_cost_usd or {}).items():
        if task_name not in names:
            raise doc.error(
                "measured_cost_usd names an unknown task",
                ("measured_cost_usd", task_name),
                task_name,
                hint=did_you_mean(task_name, names),
            )
        if per_model and w.tasks[names[task_name]].cache is not None:
            raise doc.error(
                "a measured cost already includes caching: give it or a cache policy, not both",
                ("measured_cost_usd", task_name),
                task_name,
                hint=f"drop 'cache' from task {task_name!r} or its measured costs",
            )
        for model in per_model:
            if model not in w.quality[task_name]:
                raise doc.error(
                    "measured cost for a model without a quality score for this task",
                    ("measured_cost_usd", task_name, model),
                    model,
                    hint=did_you_mean(model, w.quality[task_name]),
                )
            cost = per_model[model]
            if cost * 10**12 != (cost * 10**12).to_integral_value():
                raise doc.error(
                    "measured cost is finer than 1e-12 USD (a pico-dollar)",
                    ("measured_cost_usd", task_name, model),
                    cost,
                )
    _check_profiles_and_current(doc, w, names)
    tasks = tuple(_task(doc, i, t, w.allow_outside_samples) for i, t in enumerate(w.tasks))
    prices = [w.prices] if isinstance(w.prices, str) else list(w.prices or [])
    price_paths = tuple((doc.path.parent / p) for p in prices)
    return Workload(
        name=w.name,
        tasks=tasks,
        quality={
            t: {m: q.score if isinstance(q, QualityIn) else q for m, q in per.items()}
            for t, per in w.quality.items()
        },
        quality_stats={
            t: {m: QualityStat(q.n, q.stderr) for m, q in per.items() if isinstance(q, QualityIn)}
            for t, per in w.quality.items()
        },
        current={t: dict(m) for t, m in w.current.items()},
        empirical=_empirical(doc, w),
        volume_correlation=w.volume_correlation,
        period=w.period,
        budget_usd=w.budget_usd,
        objective=w.objective,
        price_paths=price_paths,
        measured_cost_usd={t: dict(m) for t, m in (w.measured_cost_usd or {}).items()},
        constraints=Constraints(
            capacity={m: Capacity(c.requests, c.tokens) for m, c in w.constraints.capacity.items()},
            use_rate_limits=w.constraints.use_rate_limits,
            max_provider_share=dict(w.constraints.max_provider_share),
        )
        if w.constraints
        else Constraints(),
        doc=doc,
        region=w.region,
        commitments=_commitments(doc, w),
    )


def _commitments(doc: SourceDocument, w: WorkloadIn) -> tuple[Commitment, ...]:
    """The workload's commitments: unique names, at most ``MAX_COMMITMENTS``."""
    if len(w.commitments) > MAX_COMMITMENTS:
        raise doc.error(
            f"{len(w.commitments)} commitments: at most {MAX_COMMITMENTS} are planned exactly "
            f"(every on/off subset is solved)",
            ("commitments",),
            len(w.commitments),
            hint="drop the commitments that cannot pay, or plan them in groups",
        )
    out: list[Commitment] = []
    for i, c in enumerate(w.commitments):
        if any(o.name == c.name for o in out):
            raise doc.error("commitment name repeats another", ("commitments", i, "name"), c.name)
        unit: Literal["requests", "tokens"] = (
            "requests" if c.capacity.requests is not None else "tokens"
        )
        amount = c.capacity.requests if c.capacity.requests is not None else c.capacity.tokens
        assert amount is not None  # the schema requires exactly one
        fee = c.fee_usd * 10**12
        out.append(
            Commitment(
                c.name,
                c.model,
                c.mode,
                int(fee.to_integral_value(rounding=ROUND_CEILING)),
                unit,
                amount,
                c.price_factor,
                i,
            )
        )
    return tuple(out)


def _check_profiles_and_current(doc: SourceDocument, w: WorkloadIn, names: dict[str, int]) -> None:
    """Profiles name a model scored (or run today) for the task; today's shares sum to 1."""
    for i, t in enumerate(w.tasks):
        known = set(w.quality.get(t.name, {})) | set(w.current.get(t.name, {}))
        for model in t.profiles:
            if model not in known:
                raise doc.error(
                    "profile for a model that is neither scored nor run today for this task",
                    ("tasks", i, "profiles", model),
                    model,
                    hint=did_you_mean(model, known),
                )
    for task_name, shares in w.current.items():
        if task_name not in names:
            raise doc.error(
                "current allocation names an unknown task",
                ("current", task_name),
                task_name,
                hint=did_you_mean(task_name, names),
            )
        total = sum(shares.values(), start=Decimal(0))
        if total != 1:
            raise doc.error("today's shares must sum to exactly 1", ("current", task_name), total)


def _empirical(doc: SourceDocument, w: WorkloadIn) -> tuple[Path, str] | None:
    """The sidecar's path, checked against its recorded sha256."""
    if w.empirical is None:
        return None
    import hashlib

    path = doc.path.parent / w.empirical.file
    key = ("empirical", "file")
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise doc.error(f"cannot read the sidecar: {exc.strerror}", key, str(path)) from None
    if digest != w.empirical.sha256:
        raise doc.error(
            "the sidecar's sha256 differs from the one recorded (changed since the build?)",
            ("empirical", "sha256"),
            digest,
        )
    return path, digest


def load_workload(path: Path) -> Workload:
    """Load, validate and resolve a workload YAML file."""
    return workload_from_document(load_yaml(path, what="workload"))
