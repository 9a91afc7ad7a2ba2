"""The checker's own reading of a workload file (raw YAML, exact numbers).

Only what a plan's rows depend on is read: tasks (volume, prompt, cached
prefix, output and reasoning tokens, floor, latency, allow, split, cascades),
the quality table, measured costs, constraints, period, budget and objective.
Output tokens: a number ``n`` bills ``n`` (p95 ``n``); ``{mean, p95}`` bills
``ceil(mean)`` and uses ``max(p95 or ceil(mean), ceil(mean))`` at p95.
Per-model ``profiles`` (README "File formats"): a model's own ``output_tokens`` and
``reasoning_tokens`` replace the task's for that model; a field it does not give
falls back to the task's. A quality entry is a number or ``{score, n, stderr}``
(the score counts).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from costplan.errors import InputError
from costplan.verify.names import one_id_shares
from costplan.verify.raw import RawFile, as_number, read_file

#: Minutes per planning period (the README's periods; month = 30 days).
MINUTES = {"hour": 60, "day": 1_440, "week": 10_080, "month": 43_200,
           "quarter": 129_600, "year": 525_600}  # fmt: skip
LATENCY_MODES = {"realtime": ("standard",), "batch": ("standard", "batch", "flex")}


@dataclass(frozen=True)
class CascadeSpec:
    name: str
    steps: tuple[str, ...]
    escalate: tuple[Fraction, ...]
    quality: Fraction
    mode: str

    def reach(self) -> tuple[Fraction, ...]:
        out = [Fraction(1)]
        for rate in self.escalate:
            out.append(out[-1] * rate)
        return tuple(out)


@dataclass(frozen=True)
class TaskSpec:
    name: str
    volume: int
    prompt_tokens: int | None
    samples: str | None
    field: str | None
    max_samples: int | None
    shared: int
    output_mean: int
    output_p95: int
    reasoning: int
    min_quality: Fraction | None
    latency: str
    allow: tuple[str, ...] | None
    split: bool
    cascades: tuple[CascadeSpec, ...]
    #: cache policy: hit rate per TTL ("5m", "1h"), None without a policy; and its ttl
    cache_rates: dict[str, Fraction] | None = None
    #: per model: (output mean, output p95, reasoning), None where the profile is silent
    profiles: tuple[tuple[str, tuple[int | None, int | None, int | None]], ...] = ()

    def for_model(self, model: str) -> TaskSpec:
        """This task as ``model`` sees it: its profile's tokens, the task's elsewhere."""
        for name, (mean, p95, reasoning) in self.profiles:
            if name == model:
                return dataclasses.replace(
                    self,
                    output_mean=self.output_mean if mean is None else mean,
                    output_p95=self.output_p95 if p95 is None else p95,
                    reasoning=self.reasoning if reasoning is None else reasoning,
                )
        return self

    cache_ttl: str = "auto"
    #: the volume's stated spread (README "Uncertainty"): p05/p95, cv, or poisson
    volume_p05: int | None = None
    volume_p95: int | None = None
    volume_cv: Fraction | None = None
    volume_poisson: bool = False
    #: p95 latency SLO (ms), None without one; profiled p95 per (model, mode)
    slo_ms: int | None = None
    latency_p95: tuple[tuple[str, str, int], ...] = ()

    def p95_ms(self, model: Any, mode: str) -> int | None:
        """A profile's p95 for (model, mode), else the sheet model's, else None."""
        for name, m, p95 in self.latency_p95:
            if name == model.name and m == mode:
                return p95
        return dict(model.latency_p95).get(mode)

    def too_slow(self, p95: int | None) -> str | None:
        """Why a p95 breaks the SLO (unknown or above it), or None."""
        if self.slo_ms is None:
            return None
        if p95 is None:
            return "no p95 latency known for a task with a latency SLO"
        return f"p95 latency {p95:,} ms is above the SLO" if p95 > self.slo_ms else None

    def cache_choices(self) -> tuple[str, ...]:
        """The policy's choices in order: a fixed TTL, or none and each TTL with a rate."""
        if self.cache_rates is None:
            return ("",)
        if self.cache_ttl != "auto":
            return (self.cache_ttl,)
        return ("none", *(t for t in ("5m", "1h") if t in self.cache_rates))


@dataclass(frozen=True)
class WorkloadSpec:
    file: RawFile
    name: str
    period: str
    budget_usd: Fraction | None
    objective: str
    tasks: tuple[TaskSpec, ...]
    quality: dict[str, dict[str, Fraction]]
    measured_usd: dict[str, dict[str, Fraction]]
    capacity: dict[str, tuple[int | None, ...]]
    use_rate_limits: bool
    shares: dict[str, Fraction]
    price_paths: tuple[Path, ...]
    volume_correlation: Fraction = Fraction(0)
    #: per task, per model: (n, stderr) of a ``{score, n, stderr}`` quality entry
    quality_stats: dict[str, dict[str, tuple[int | None, Fraction | None]]] = dataclasses.field(
        default_factory=dict
    )
    region: str | None = None
    #: name -> the checker's reading of a commitment (``costplan.verify.commitments``)
    commitments: dict[str, Any] = dataclasses.field(default_factory=dict)


def _frac(value: Any, key: str) -> Fraction:
    x = as_number(value)
    if x is None:
        raise InputError("expected a number", key=key, value=value)
    return x


def _int(value: Any, key: str) -> int:
    x = _frac(value, key)
    if x.denominator != 1:
        raise InputError("expected a whole number", key=key, value=value)
    return int(x)


def _output(out: Any, where: str) -> tuple[int, int]:
    """(billed mean, p95) of an ``output_tokens`` value (see the module docstring)."""
    if isinstance(out, dict):
        mean = math.ceil(_frac(out.get("mean"), f"{where}.mean"))
        stated = out.get("p95")
        return mean, mean if stated is None else max(_int(stated, where), mean)
    n = _int(out, where)
    return n, n


def _profiles(i: int, t: dict[str, Any]) -> tuple[tuple[str, tuple[Any, Any, Any]], ...]:
    out = []
    for model, p in (t.get("profiles") or {}).items():
        where = f"tasks[{i}].profiles.{model}"
        mean = p95 = None
        if p.get("output_tokens") is not None:
            mean, p95 = _output(p["output_tokens"], f"{where}.output_tokens")
        r = p.get("reasoning_tokens")
        out.append((str(model), (mean, p95, None if r is None else _int(r, where))))
    return tuple(out)


def _latencies(i: int, t: dict[str, Any]) -> tuple[tuple[str, str, int], ...]:
    """(model, mode, p95) of every profiled latency: ``{p50, p95}`` is standard's."""
    out = []
    for model, p in (t.get("profiles") or {}).items():
        lat = p.get("latency_ms")
        if not isinstance(lat, dict):
            continue
        where = f"tasks[{i}].profiles.{model}.latency_ms"
        per_mode = {"standard": lat} if "p95" in lat else lat
        for mode, v in per_mode.items():
            out.append((str(model), str(mode), _int(v["p95"], where)))
    return tuple(out)


def _task(i: int, t: dict[str, Any]) -> TaskSpec:
    prompt = t.get("prompt") or {}
    mean, p95 = _output(t.get("output_tokens"), f"tasks[{i}].output_tokens")
    cascades = []
    for c in t.get("cascades") or []:
        esc = c.get("escalate")
        rates = esc if isinstance(esc, list) else [esc]
        cascades.append(
            CascadeSpec(
                name=str(c["name"]),
                steps=tuple(str(s) for s in c["steps"]),
                escalate=tuple(_frac(r, f"tasks[{i}].cascades.escalate") for r in rates),
                quality=_frac(c["quality"], f"tasks[{i}].cascades.quality"),
                mode=str(c.get("mode", "standard")),
            )
        )
    floor = t.get("min_quality")
    allow = t.get("allow")
    cache = t.get("cache")
    hit_rates: dict[str, Fraction] | None = None
    if isinstance(cache, dict):
        hit = cache.get("hit_rate")
        where = f"tasks[{i}].cache.hit_rate"
        if isinstance(hit, dict):
            hit_rates = {str(k): _frac(v, where) for k, v in hit.items()}
        else:
            hit_rates = {"5m": _frac(hit, where), "1h": _frac(hit, where)}
    vol = t["volume"]
    where = f"tasks[{i}].volume"
    spread: dict[str, Any] = {}
    if isinstance(vol, dict):
        for k in ("p05", "p95"):
            if vol.get(k) is not None:
                spread[f"volume_{k}"] = _int(vol[k], f"{where}.{k}")
        if vol.get("cv") is not None:
            spread["volume_cv"] = _frac(vol["cv"], f"{where}.cv")
        spread["volume_poisson"] = vol.get("distribution") == "poisson"
        vol = vol.get("mean")
    return TaskSpec(
        **spread,
        name=str(t["name"]),
        volume=_int(vol, where),
        prompt_tokens=None if prompt.get("tokens") is None else _int(prompt["tokens"], "tokens"),
        samples=prompt.get("samples"),
        field=prompt.get("field"),
        max_samples=None
        if prompt.get("max_samples") is None
        else _int(prompt["max_samples"], "max_samples"),
        shared=_int(t.get("shared_prefix_tokens") or 0, f"tasks[{i}].shared_prefix_tokens"),
        output_mean=mean,
        output_p95=p95,
        reasoning=_int(t.get("reasoning_tokens") or 0, f"tasks[{i}].reasoning_tokens"),
        min_quality=None if floor is None else _frac(floor, f"tasks[{i}].min_quality"),
        latency=str(t.get("latency", "realtime")),
        allow=None if allow is None else tuple(str(a) for a in allow),
        split=bool(t.get("split", True)),
        cascades=tuple(cascades),
        cache_rates=hit_rates,
        profiles=_profiles(i, t),
        cache_ttl=str(cache.get("ttl", "auto")) if isinstance(cache, dict) else "auto",
        slo_ms=None if t.get("max_latency_p95_ms") is None
        else _int(t["max_latency_p95_ms"], f"tasks[{i}].max_latency_p95_ms"),
        latency_p95=_latencies(i, t),
    )


def capped(w: WorkloadSpec, cap_ms: int) -> WorkloadSpec:
    """``w`` with every task's p95 latency SLO at most ``cap_ms``."""
    tasks = tuple(
        dataclasses.replace(t, slo_ms=cap_ms if t.slo_ms is None else min(t.slo_ms, cap_ms))
        for t in w.tasks
    )
    return dataclasses.replace(w, tasks=tasks)


def restricted(w: WorkloadSpec, allow: Mapping[str, Sequence[str]]) -> WorkloadSpec:
    """``w`` with each named task cut to the models and cascades given for it (the
    cheapest tied plan of ``optimize --noise``: only options within noise of the best)."""
    tasks = []
    for t in w.tasks:
        if t.name in allow:
            keep = tuple(str(m) for m in allow[t.name])
            t = dataclasses.replace(
                t, allow=keep if t.allow is None else tuple(m for m in t.allow if m in keep),
                cascades=tuple(c for c in t.cascades if c.name in keep),
            )  # fmt: skip
        tasks.append(t)
    return dataclasses.replace(w, tasks=tuple(tasks))


def read_workload(path: Path) -> WorkloadSpec:
    """Read ``path`` (see the module docstring); malformed structure is an InputError."""
    f = read_file(path, "workload")
    w = f.data
    if not isinstance(w, dict) or not isinstance(w.get("tasks"), list):
        raise InputError("workload needs a 'tasks' list", file=path)
    try:
        tasks = tuple(_task(i, t) for i, t in enumerate(w["tasks"]))
        quality = {str(t): {str(m): _frac(q["score"] if isinstance(q, dict) else q,
                                          f"quality.{t}.{m}") for m, q in per.items()}
                   for t, per in (w.get("quality") or {}).items()}  # fmt: skip
        stats = {str(t): {str(m): (None if q.get("n") is None else _int(q["n"], f"quality.{t}.n"),
                                   None if q.get("stderr") is None
                                   else _frac(q["stderr"], f"quality.{t}.stderr"))
                          for m, q in per.items() if isinstance(q, dict)}
                 for t, per in (w.get("quality") or {}).items()}  # fmt: skip
        measured = {str(t): {str(m): _frac(c, f"measured_cost_usd.{t}.{m}")
                             for m, c in per.items()}
                    for t, per in (w.get("measured_cost_usd") or {}).items()}  # fmt: skip
        cons = w.get("constraints") or {}
        capacity = {
            str(m): tuple(
                None if c.get(k) is None else _int(c[k], f"capacity.{m}.{k}")
                for k in ("requests", "tokens")
            )
            for m, c in (cons.get("capacity") or {}).items()
        }
        from costplan.verify.commitments import read_commitments

        commitments = read_commitments(w.get("commitments"))
        shares = one_id_shares({str(p): _frac(s, f"constraints.max_provider_share.{p}")
                                for p, s in (cons.get("max_provider_share") or {}).items()})
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(f"workload structure not readable: {exc!r}", file=path) from None
    prices = w.get("prices")
    names = [prices] if isinstance(prices, str) else list(prices or [])
    budget = w.get("budget_usd")
    return WorkloadSpec(
        file=f,
        name=str(w.get("name")),
        period=str(w.get("period", "month")),
        budget_usd=None if budget is None else _frac(budget, "budget_usd"),
        objective=str(w.get("objective", "max_quality")),
        tasks=tasks,
        quality=quality,
        measured_usd=measured,
        capacity=capacity,
        use_rate_limits=bool(cons.get("use_rate_limits", False)),
        shares=shares,
        region=None if w.get("region") is None else str(w["region"]),
        price_paths=tuple(path.parent / p for p in names),
        volume_correlation=_frac(w.get("volume_correlation", 0), "volume_correlation"),
        quality_stats=stats,
        commitments=commitments,
    )
