"""Traffic and eval summaries -> a workload document and its sidecar of empirical data.

Arithmetic (all exact; rounding in the user's disfavour, i.e. costs up):

* volume per period = ``ceil(requests x period / covered span)`` (span: first
  request start to last end; a span shorter than the period is *extrapolated*
  and a note says by how much); ``--volume TASK=N`` overrides;
* with a day-by-day series of two days or more, ``volume: {mean, cv}`` (the cv from
  the series, :mod:`.spread`; none with ``--volume``);
* ``prompt.tokens`` = ``ceil(mean prompt) - floor(mean cached)`` and
  ``shared_prefix_tokens`` = ``floor(mean cached)`` (cached tokens are billed at
  the cache-read price, so fewer of them is the conservative side); for tasks
  logged request by request with cache reads, the observed policy instead:
  ``shared_prefix_tokens`` = the hits' mean cached tokens P (floor), ``prompt.tokens``
  = ``ceil(mean prompt) - P`` and ``cache: {hit_rate: {5m: h}, ttl: auto}``
  (:mod:`.spread`);
* ``output_tokens`` = ``{mean: ceil(mean), p95}``; the task's
  ``reasoning_tokens`` is 0 and each model's measured reasoning goes in its
  ``profiles`` entry (reasoning is billed only where measured);
* per-model ``profiles``: traffic measurements for models that ran, eval
  measurements for the others; ``latency_ms: {p50, p95}`` (whole ms, rounded up)
  where the traffic (else the evals) has a latency;
* ``current``: each model's share of the task's requests, rounded to 1e-6 by
  largest remainder so that the shares sum to exactly 1;
* ``objective: min_cost`` with ``min_quality`` = today's quality where every
  model run today is scored: the cheapest plan at least as good as today. It is
  rounded *down* to 1e-6 over today's whole-query counts, so that today's own
  allocation meets it (rounding up could make the plan dearer than today).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

from costplan.errors import InputError
from costplan.ingest.evals import EvalResult
from costplan.ingest.names import Resolver
from costplan.ingest.spread import cache_policy, volume_cv
from costplan.ingest.summarize import ModelTraffic, TaskTraffic, TrafficSummary
from costplan.workload.current import today_counts
from costplan.workload.model import MINUTES_PER_PERIOD

SIX = Decimal("0.000001")


@dataclass(frozen=True)
class BuildOptions:
    name: str
    period: str = "month"
    prices: tuple[str, ...] = ()  # relative to the workload file
    volumes: Mapping[str, int] = field(default_factory=dict)
    task_map: Mapping[str, str] = field(default_factory=dict)  # eval task -> task
    sidecar_name: str = "workload.empirical.json"
    #: sheet model -> its minimum cacheable prefix (costplan.pricing.caching); empty
    #: without a price sheet
    min_cacheable: Mapping[str, int] = field(default_factory=dict)
    traffic_files: str | None = None  # where a task's traffic came from, for messages


@dataclass(frozen=True)
class Built:
    workload: dict[str, Any]
    sidecar: dict[str, Any]
    notes: tuple[str, ...]


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def _floor(x: Fraction) -> int:
    return x.numerator // x.denominator


def shares(counts: Mapping[str, int]) -> dict[str, Decimal]:
    """Shares of ``counts`` in 1e-6 units by largest remainder: they sum to exactly 1."""
    total = sum(counts.values())
    scale = 10**6
    exact = {m: Fraction(c * scale, total) for m, c in counts.items()}
    units = {m: _floor(v) for m, v in exact.items()}
    left = scale - sum(units.values())
    for m in sorted(exact, key=lambda m: (-(exact[m] - units[m]), m))[:left]:
        units[m] += 1
    return {m: Decimal(u) / scale for m, u in units.items() if u}


def _merge_models(models: Sequence[ModelTraffic], resolve: Resolver) -> dict[str, ModelTraffic]:
    """Traffic per sheet model (several logged names may be one model: exact sums)."""
    out: dict[str, list[ModelTraffic]] = {}
    for m in models:
        name = resolve(m.model)
        assert name is not None  # check_known ran first
        out.setdefault(name, []).append(m)
    merged = {}
    for name, ms in out.items():
        if len(ms) == 1:
            merged[name] = ms[0]
            continue
        n = sum(m.requests for m in ms)
        spends = [m.spend_usd for m in ms if m.spend_usd is not None]
        measured = [m for m in ms if m.reasoning_mean is not None]
        reasoning_n = sum(m.requests for m in measured)
        biggest = max(ms, key=lambda m: m.requests)
        p95s = [m.output_p95 for m in ms if m.output_p95 is not None]
        merged[name] = ModelTraffic(
            model=name,
            requests=n,
            spend_usd=sum(spends, start=Decimal(0)) if spends else None,
            prompt_mean=sum((m.prompt_mean * m.requests for m in ms), Fraction(0)) / n,
            cached_mean=sum((m.cached_mean * m.requests for m in ms), Fraction(0)) / n,
            output_mean=sum((m.output_mean * m.requests for m in ms), Fraction(0)) / n,
            output_p95=max(p95s) if p95s else None,  # conservative: the larger p95
            reasoning_mean=(
                sum(
                    (
                        m.reasoning_mean * m.requests
                        for m in measured
                        if m.reasoning_mean is not None
                    ),
                    Fraction(0),
                )
                / reasoning_n
                if reasoning_n
                else None
            ),
            latency_p50_ms=biggest.latency_p50_ms,
            latency_p95_ms=biggest.latency_p95_ms,
        )
    return merged


def _volume(t: TaskTraffic, period: str, notes: list[str], files: str | None = None) -> int:
    span = t.span_seconds
    if span <= 0:
        raise InputError(
            f"task {t.name!r}: its traffic covers no time (first start = last end), "
            "so no rate can be derived",
            file=files,
            value=str(t.start),
            hint=f"give --volume {t.name}=N",
        )
    period_s = MINUTES_PER_PERIOD[period] * 60
    volume = _ceil(Fraction(t.requests) * period_s / span)
    factor = Fraction(period_s) / span
    days = float(span / 86_400)
    if factor > 1:
        notes.append(
            f"task {t.name!r}: {t.requests:,} requests over {days:.2f} days, "
            f"extrapolated to a {period} (x{float(factor):.2f}) = {volume:,}"
        )
    return volume


def _output(mean: Fraction, p95: int | None) -> int | dict[str, int]:
    m = _ceil(mean)
    if p95 is None or p95 <= m:
        return m
    return {"mean": m, "p95": p95}


def _quality_entry(r: EvalResult) -> dict[str, Any] | Decimal:
    entry: dict[str, Any] = {"score": r.score}
    if r.n is not None:
        entry["n"] = r.n
    if r.stderr is not None:
        entry["stderr"] = r.stderr
    return entry if len(entry) > 1 else r.score


def _profiles(
    task: str,
    models: Sequence[str],
    traffic: Mapping[str, ModelTraffic],
    evals: Mapping[tuple[str, str], EvalResult],
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for m in models:
        p: dict[str, Any] = {}
        t, e = traffic.get(m), evals.get((task, m))
        if t is not None:
            p["output_tokens"] = _output(t.output_mean, t.output_p95)
        elif e is not None and e.output_mean is not None:
            p["output_tokens"] = _ceil(e.output_mean)
        reasoning = t.reasoning_mean if t is not None else None
        if reasoning is None and e is not None:
            reasoning = e.reasoning_mean
        if reasoning is not None:
            p["reasoning_tokens"] = _ceil(reasoning)
        latency = _latency(t) or _latency(e)
        if latency is not None:
            p["latency_ms"] = latency
        if p:
            out[m] = p
    return out


def _latency(source: ModelTraffic | EvalResult | None) -> dict[str, int] | None:
    """Measured p50/p95 latency (traffic first, then evals) in whole ms, rounded up."""
    if source is None or source.latency_p50_ms is None or source.latency_p95_ms is None:
        return None
    p50 = math.ceil(source.latency_p50_ms)
    return {"p50": p50, "p95": max(p50, math.ceil(source.latency_p95_ms))}


def _eval_map(
    results: Sequence[EvalResult], resolve: Resolver, opts: BuildOptions
) -> dict[tuple[str, str], EvalResult]:
    from costplan.ingest.evals import merge

    renamed = []
    for r in results:
        model = resolve(r.model)
        assert model is not None
        task = opts.task_map.get(r.task, r.task)
        renamed.append(EvalResult(**{**r.__dict__, "task": task, "model": model}))
    return merge(renamed)


def build(
    traffic: TrafficSummary | None,
    evals: Sequence[EvalResult],
    resolve: Resolver,
    opts: BuildOptions,
) -> Built:
    """The workload document and sidecar (see the module docstring); nothing is written."""
    notes: list[str] = []
    scored = _eval_map(evals, resolve, opts)
    ttasks = {t.name: t for t in (traffic.tasks if traffic else ())}
    names = list(ttasks) or sorted({task for task, _ in scored})
    for task in sorted({task for task, _ in scored} - set(names)):
        notes.append(f"eval task {task!r} has no traffic: left out (map it with --task-map)")
    tasks, quality, current, side_tasks = [], {}, {}, {}
    for name in names:
        t = ttasks.get(name)
        models = _merge_models(t.models, resolve) if t else {}
        per_model = {m: scored[(task, m)] for task, m in scored if task == name}
        if not per_model:
            raise InputError(
                f"task {name!r} has no eval scores",
                hint="pass --evals with results for it (or --task-map EVALTASK=TASK)",
            )
        quality[name] = {m: _quality_entry(r) for m, r in sorted(per_model.items())}
        entry, side = _task_entry(name, t, models, per_model, scored, opts, notes)
        if t is not None:
            current[name] = shares({m: mt.requests for m, mt in models.items()})
            vol = entry["volume"]
            floor = _today_quality(
                vol["mean"] if isinstance(vol, dict) else vol, current[name], per_model
            )
            if floor is None:
                unscored = sorted(set(current[name]) - set(per_model))
                notes.append(
                    f"task {name!r}: today's models {', '.join(unscored)} have no eval score: "
                    "no quality floor set (today's quality is unknown)"
                )
            else:
                entry["min_quality"] = floor
        tasks.append(entry)
        side_tasks[name] = side
    doc: dict[str, Any] = {"name": opts.name, "period": opts.period, "objective": "min_cost"}
    if opts.prices:
        doc["prices"] = opts.prices[0] if len(opts.prices) == 1 else list(opts.prices)
    doc["tasks"] = tasks
    doc["quality"] = quality
    if current:
        doc["current"] = current
    sidecar = {"format": "costplan-empirical/1", "period": opts.period, "tasks": side_tasks}
    return Built(doc, sidecar, tuple(notes))


def _today_quality(
    volume: int, share: Mapping[str, Decimal], scored: Mapping[str, EvalResult]
) -> Decimal | None:
    """Today's mean quality in whole micro-units, rounded down, over today's whole-query
    counts (:func:`today_counts`), scores in micro-units half-even as the solver has them:
    so today's allocation meets its own floor and a plan meeting it is at least as good
    as today to within 1e-6."""
    if volume == 0 or any(m not in scored for m in share):
        return None
    counts = today_counts(volume, share)
    micro = sum(
        c * int((scored[m].score * 10**6).to_integral_value(rounding=ROUND_HALF_EVEN))
        for m, c in counts.items()
    )
    return Decimal(micro // volume) / 10**6


def _task_entry(
    name: str,
    t: TaskTraffic | None,
    models: Mapping[str, ModelTraffic],
    per_model: Mapping[str, EvalResult],
    scored: Mapping[tuple[str, str], EvalResult],
    opts: BuildOptions,
    notes: list[str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    entry: dict[str, Any] = {"name": name}
    side: dict[str, Any] = {}
    if name in opts.volumes:
        volume = opts.volumes[name]
    elif t is None:
        raise InputError(
            f"task {name!r} has no traffic: its volume is unknown", hint=f"give --volume {name}=N"
        )
    else:
        volume = _volume(t, opts.period, notes, opts.traffic_files)
    cv = volume_cv(t.days, opts.period) if t is not None and name not in opts.volumes else None
    entry["volume"] = {"mean": volume, "cv": cv} if cv else volume
    policy = None
    if t is not None:
        policy = _policy(t, models, opts, notes)
        n = t.requests
        prompt, cached = Fraction(t.prompt_tokens, n), Fraction(t.cached_tokens, n)
        output = Fraction(t.output_tokens, n)
        p95 = t.distributions["output"].p95 if "output" in t.distributions else None
        side = _side(t, models, volume)
    else:
        inputs = [r.input_mean for r in per_model.values() if r.input_mean is not None]
        outputs = [r.output_mean for r in per_model.values() if r.output_mean is not None]
        if not inputs or not outputs:
            raise InputError(
                f"task {name!r}: no traffic and no token counts in its evals",
                hint="pass --traffic for it",
            )
        prompt, cached, output, p95 = max(inputs), Fraction(0), max(outputs), None
    prefix = _floor(cached) if policy is None else policy[0]
    entry["prompt"] = {"tokens": _ceil(prompt) - prefix}
    if prefix:
        entry["shared_prefix_tokens"] = prefix
    if policy is not None:
        entry["cache"] = {"hit_rate": {"5m": policy[1]}, "ttl": "auto"}
    entry["output_tokens"] = _output(output, p95)
    profiled = sorted(set(per_model) | set(models))
    profiles = _profiles(name, profiled, models, scored)
    if profiles:
        entry["profiles"] = profiles
    return entry, side


def _policy(
    t: TaskTraffic, models: Mapping[str, ModelTraffic], opts: BuildOptions, notes: list[str]
) -> tuple[int, Decimal] | None:
    """The observed cache policy (:mod:`.spread`), unless its prefix is shorter than the
    minimum cacheable prefix of a model run today: a policy would then deny the cache
    reads the log shows, so the mean cached tokens stay billed as reads on every query."""
    policy = cache_policy(t.requests, t.cache_hits, t.cached_in_hits)
    if policy is None:
        return None
    short = sorted(m for m in models if policy[0] < opts.min_cacheable.get(m, 0))
    if short:
        notes.append(
            f"task {t.name!r}: the cache hits' mean prefix ({policy[0]:,} tokens) is shorter "
            f"than {short[0]}'s minimum cacheable prefix ({opts.min_cacheable[short[0]]:,}), "
            "yet the log shows cache reads: no cache policy (the mean cached tokens are billed "
            "as cache reads on every query)"
        )
        return None
    return policy


def _side(t: TaskTraffic, models: Mapping[str, ModelTraffic], volume: int) -> dict[str, Any]:
    """The empirical data behind a task's numbers (JSON-ready)."""

    def frac(x: Fraction | None) -> str | None:
        return None if x is None else str(Decimal(x.numerator) / Decimal(x.denominator))

    return {
        "requests": t.requests,
        "start": t.start.isoformat(),
        "end": t.end.isoformat(),
        "span_seconds": frac(t.span_seconds),
        "volume_per_period": volume,
        "days": [[d, n] for d, n in t.days],
        "tokens": {
            "prompt": t.prompt_tokens,
            "cached": t.cached_tokens,
            "output": t.output_tokens,
            "reasoning": t.reasoning_tokens,
        },
        "cache_hit_rate": frac(t.cache_hit_rate),
        "distributions": {
            k: {
                "mean": frac(d.mean),
                "p05": d.p05,
                "p50": d.p50,
                "p95": d.p95,
                "p99": d.p99,
                "max": d.max,
            }
            for k, d in t.distributions.items()
        },
        "models": {
            m: {
                "requests": mt.requests,
                "spend_usd": None if mt.spend_usd is None else str(mt.spend_usd.normalize()),
                "prompt_mean": frac(mt.prompt_mean),
                "cached_mean": frac(mt.cached_mean),
                "output_mean": frac(mt.output_mean),
                "output_p95": mt.output_p95,
                "reasoning_mean": frac(mt.reasoning_mean),
                "latency_p50_ms": mt.latency_p50_ms,
                "latency_p95_ms": mt.latency_p95_ms,
            }
            for m, mt in models.items()
        },
        "sample": {
            "columns": ["prompt", "cached", "output", "reasoning"],
            "rows": [list(r) for r in t.sample],
        },
    }
