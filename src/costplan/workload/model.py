"""Workload model: frozen dataclasses, built from a validated file."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Literal

from costplan.latency import LatencyMs
from costplan.risk.volume import FIXED, VolumeSpread
from costplan.yamlsource import SourceDocument

Objective = Literal["max_quality", "min_cost"]


@dataclass(frozen=True)
class PromptSpec:
    """Fixed ``tokens`` per query, or ``texts`` measured with each model's tokenizer."""

    tokens: int | None = None
    texts: tuple[str, ...] = ()
    pattern: str | None = None
    max_samples: int | None = None

    @property
    def measured(self) -> bool:
        return self.tokens is None


@dataclass(frozen=True)
class OutputSpec:
    """Output tokens per query: billed at ``mean_tokens`` (mean rounded up), p95 for risk."""

    mean_tokens: int
    p95_tokens: int


@dataclass(frozen=True)
class Profile:
    """A model's own token profile on a task; None fields fall back to the task's values."""

    output: OutputSpec | None = None
    reasoning_tokens: int | None = None
    #: Measured latency by serving mode (``costplan.latency``).
    latency_ms: Mapping[str, LatencyMs] = field(default_factory=dict)


@dataclass(frozen=True)
class QualityStat:
    """Sample size and standard error behind a quality score (None: not given)."""

    n: int | None = None
    stderr: Decimal | None = None


@dataclass(frozen=True)
class Cascade:
    """Steps run in order; ``escalate[i]`` of the queries reaching step i go on to i+1.

    Expected cost per query = sum_i reach_i x cost(step_i), reach_0 = 1,
    reach_{i+1} = reach_i x escalate[i]; quality is the measured end-to-end value.
    """

    name: str
    steps: tuple[str, ...]
    escalate: tuple[Decimal, ...]
    quality: Decimal
    mode: str = "standard"
    threshold: str | None = None

    def reach(self) -> tuple[Decimal, ...]:
        """Fraction of queries that reach each step."""
        out = [Decimal(1)]
        for rate in self.escalate:
            out.append(out[-1] * rate)
        return tuple(out)


@dataclass(frozen=True)
class CachePolicy:
    """How a task's shared prefix is cached (README "Prompt caching").

    ``hit_rates``: TTL (``5m``, ``1h``) -> fraction of queries reading the prefix from
    the cache. ``ttl``: a fixed TTL, or ``auto`` (each TTL with a rate, and no caching,
    become options of the task and the solver picks).
    """

    hit_rates: Mapping[str, Decimal]
    ttl: str = "auto"

    def choices(self) -> tuple[str, ...]:
        """Cache choices the task may use: ``none`` and TTLs, in a fixed order."""
        if self.ttl != "auto":
            return (self.ttl,)
        return ("none", *(t for t in ("5m", "1h") if t in self.hit_rates))


@dataclass(frozen=True)
class Task:
    name: str
    volume: int
    prompt: PromptSpec
    output: OutputSpec
    shared_prefix_tokens: int = 0
    reasoning_tokens: int = 0
    min_quality: Decimal | None = None
    latency: Literal["realtime", "batch"] = "realtime"
    allow: tuple[str, ...] | None = None
    split: bool = True
    index: int = 0
    cascades: tuple[Cascade, ...] = ()
    profiles: tuple[tuple[str, Profile], ...] = ()

    def profile(self, model: str) -> Profile | None:
        return next((p for m, p in self.profiles if m == model), None)

    def output_for(self, model: str) -> OutputSpec:
        """The model's measured output tokens, else the task's."""
        p = self.profile(model)
        return p.output if p is not None and p.output is not None else self.output

    def reasoning_for(self, model: str) -> int:
        """The model's measured reasoning tokens, else the task's (0 unless given)."""
        p = self.profile(model)
        if p is not None and p.reasoning_tokens is not None:
            return p.reasoning_tokens
        return self.reasoning_tokens

    #: None: the prefix is billed at the cache-read price on every query (no misses,
    #: no writes, no minimum), as before cache policies existed.
    cache: CachePolicy | None = None
    #: the period volume's spread around ``volume`` (README "Uncertainty")
    volume_spread: VolumeSpread = FIXED
    #: The task's p95 latency SLO in milliseconds (``costplan.latency``), or None.
    max_latency_p95_ms: int | None = None

    def latency_for(self, model: str, mode: str) -> LatencyMs | None:
        """The model's measured latency on this task in ``mode``, or None."""
        p = self.profile(model)
        return p.latency_ms.get(mode) if p is not None else None


@dataclass(frozen=True)
class Capacity:
    requests: int | None = None
    tokens: int | None = None


@dataclass(frozen=True)
class Constraints:
    """Side constraints: capacity per model per period, provider share caps of spend."""

    capacity: Mapping[str, Capacity] = field(default_factory=dict)
    use_rate_limits: bool = False
    max_provider_share: Mapping[str, Decimal] = field(default_factory=dict)


def share_cap(caps: Mapping[str, Decimal], provider: str) -> Decimal | None:
    """The spend-share cap of ``provider``: its own entry, else ``'*'``, else None.

    Keys are compared by canonical provider id
    (:func:`costplan.pricing.names.canonical_provider`: ``gemini`` caps ``google``);
    two keys meaning one provider: the smaller cap holds. A cap of 0 is a cap (no
    spend with the provider), never "no cap": callers must not test the result for
    truth, only for ``None``.
    """
    from costplan.pricing.names import canonical_provider

    own = [v for k, v in caps.items() if k != "*" and canonical_provider(k) == provider]
    if own:
        return min(own)
    return caps.get("*")


@dataclass(frozen=True)
class Commitment:
    """A fixed charge the planner may buy (README "Commitments"): ``fee_pusd`` per period;
    then up to ``capacity`` ``unit`` (``requests`` or ``tokens``) of ``model``'s use in
    ``mode`` costs ``price_factor`` x its on-demand price (rounded up to a pico-dollar per
    query), the rest on demand."""

    name: str
    model: str
    mode: str
    fee_pusd: int
    unit: Literal["requests", "tokens"]
    capacity: int
    price_factor: Decimal = Decimal(0)
    index: int = 0


MINUTES_PER_PERIOD = {
    "hour": 60,
    "day": 1_440,
    "week": 10_080,
    "month": 43_200,  # 30 days
    "quarter": 129_600,  # 90 days
    "year": 525_600,  # 365 days
}


@dataclass(frozen=True)
class Workload:
    name: str
    tasks: tuple[Task, ...]
    quality: Mapping[str, Mapping[str, Decimal]]
    period: str = "month"
    budget_usd: Decimal | None = None
    objective: Objective = "max_quality"
    price_paths: tuple[Path, ...] = ()
    measured_cost_usd: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)
    constraints: Constraints = Constraints()
    doc: SourceDocument | None = None
    quality_stats: Mapping[str, Mapping[str, QualityStat]] = field(default_factory=dict)
    current: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)
    empirical: tuple[Path, str] | None = None  # (sidecar path, sha256)
    volume_correlation: Decimal = Decimal(0)  # of every two tasks' volume errors
    #: Where requests must be served (``costplan.pricing.regions``), or None.
    region: str | None = None
    #: Commitments the planner may buy, each on or off (``costplan.commitments``).
    commitments: tuple[Commitment, ...] = ()

    @property
    def path(self) -> Path | None:
        return self.doc.path if self.doc else None

    def task(self, name: str) -> Task:
        for t in self.tasks:
            if t.name == name:
                return t
        raise KeyError(name)
