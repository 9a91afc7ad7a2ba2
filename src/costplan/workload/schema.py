"""Pydantic schema of a workload file (validation at the boundary only).

See ``costplan schema workload`` for the JSON Schema.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from costplan.common_schema import LatencyIn
from costplan.validation import DecimalNumber, WholeNumber

Tokens = Annotated[int, Field(ge=0, le=100_000_000), WholeNumber]
Quality = Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False), DecimalNumber]


def _name(value: object) -> object:
    """A plain message before the pattern's regex one (the pattern stays in the JSON Schema)."""
    if isinstance(value, str) and value and (value[0].isspace() or "\n" in value or "\r" in value):
        raise ValueError("a name must not start with a space or contain a line break")
    return value


#: Longest task, model or workload name (characters).
MAX_NAME = 200
Name = Annotated[
    str, Field(min_length=1, max_length=MAX_NAME, pattern=r"^[^\s].*$"), BeforeValidator(_name)
]
PERIODS = ("hour", "day", "week", "month", "quarter", "year")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PromptIn(_Strict):
    """Prompt size per query: a fixed token count, or measured samples."""

    tokens: Tokens | None = None
    samples: Annotated[str, Field(min_length=1)] | None = None
    field: str | None = Field(default=None, description="JSONL key holding the prompt text")
    max_samples: Annotated[int, Field(gt=0), WholeNumber] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> PromptIn:
        if (self.tokens is None) == (self.samples is None):
            raise ValueError("give exactly one of 'tokens' or 'samples'")
        if self.field is not None and self.samples is None:
            raise ValueError("'field' only applies to JSONL 'samples'")
        return self


class OutputIn(_Strict):
    mean: Annotated[Decimal, Field(ge=0, le=10_000_000, allow_inf_nan=False), DecimalNumber]
    p95: Tokens | None = None

    @model_validator(mode="after")
    def _ordered(self) -> OutputIn:
        if self.p95 is not None and self.p95 < self.mean:
            raise ValueError("output p95 must be >= its mean")
        return self


class CascadeIn(_Strict):
    """Cheap model first; a measured fraction of queries escalates to the next step."""

    name: Name
    steps: Annotated[list[Name], Field(min_length=2, max_length=5)]
    escalate: Quality | list[Quality] = Field(
        description="fraction of queries passed from each step to the next (measured)"
    )
    quality: Quality = Field(description="measured end-to-end quality of the cascade")
    mode: Literal["standard", "batch", "flex"] = "standard"
    threshold: str | None = Field(
        default=None, description="informational: the escalation rule, e.g. 'score < 0.7'"
    )

    @model_validator(mode="after")
    def _rates(self) -> CascadeIn:
        rates = self.escalate if isinstance(self.escalate, list) else [self.escalate]
        if len(rates) != len(self.steps) - 1:
            raise ValueError(
                f"'escalate' needs {len(self.steps) - 1} rate(s), one per step after the first"
            )
        if len(set(self.steps)) != len(self.steps):
            raise ValueError("a cascade's steps must be different models")
        return self


LatencyByMode = dict[Literal["standard", "batch", "flex", "priority"], LatencyIn]


class ProfileIn(_Strict):
    """One model's measured token profile on a task; missing fields fall back to the task's."""

    output_tokens: Tokens | OutputIn | None = None
    reasoning_tokens: Tokens | None = None
    latency_ms: LatencyIn | LatencyByMode | None = Field(
        default=None,
        description="measured latency: {p50, p95} (standard mode) or one per mode",
    )


class QualityIn(_Strict):
    """A measured quality with its sample size and/or standard error."""

    score: Quality
    n: Annotated[int, Field(ge=1, le=10**9)] | None = None
    stderr: Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False)] | None = None


class EmpiricalIn(_Strict):
    """The sidecar of empirical data (token-length samples, day series) this file was built from."""

    file: Annotated[str, Field(min_length=1)]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class CacheIn(_Strict):
    """How the task's shared prefix is cached: hit rate (per TTL or for any) and TTL."""

    hit_rate: Quality | dict[Literal["5m", "1h"], Quality] = Field(
        description="fraction of queries that read the prefix from the cache: one rate, "
        "or one per TTL ({5m: 0.7, 1h: 0.93})"
    )
    ttl: Literal["5m", "1h", "auto"] = Field(
        default="auto", description="5m, 1h, or auto: the solver chooses 5m, 1h or no caching"
    )

    @model_validator(mode="after")
    def _rate_for_ttl(self) -> CacheIn:
        if isinstance(self.hit_rate, dict):
            if not self.hit_rate:
                raise ValueError("'hit_rate' is empty: give a rate or one per TTL")
            if self.ttl != "auto" and self.ttl not in self.hit_rate:
                raise ValueError(f"'hit_rate' has no rate for the chosen ttl {self.ttl}")
        return self


Volume = Annotated[int, Field(ge=0, le=10**11), WholeNumber]


class VolumeIn(_Strict):
    """A forecast volume with its uncertainty (README "Uncertainty").

    ``mean`` is what the plan counts; the spread is one of ``p05`` and ``p95`` (both),
    ``cv`` (standard deviation / mean) or ``distribution: poisson``.
    """

    mean: Volume
    p05: Volume | None = None
    p95: Volume | None = None
    cv: Annotated[Decimal, Field(ge=0, le=10, allow_inf_nan=False), DecimalNumber] | None = None
    distribution: Literal["poisson"] | None = None

    @model_validator(mode="after")
    def _one_spread(self) -> VolumeIn:
        given = [self.p05 is not None or self.p95 is not None, self.cv is not None,
                 self.distribution is not None]  # fmt: skip
        if sum(given) != 1:
            raise ValueError("give one spread: p05 and p95, or cv, or distribution: poisson")
        if given[0]:
            if self.p05 is None or self.p95 is None:
                raise ValueError("give both p05 and p95")
            if not self.p05 <= self.mean <= self.p95:
                raise ValueError("volume needs p05 <= mean <= p95")
            if (self.p05 == self.mean) != (self.mean == self.p95):
                raise ValueError("a one-sided range: p05 and p95 must both differ from the mean")
        return self


class TaskIn(_Strict):
    name: Name
    description: str | None = None
    volume: Volume | VolumeIn
    prompt: PromptIn
    shared_prefix_tokens: Tokens = 0
    output_tokens: Tokens | OutputIn
    reasoning_tokens: Tokens = 0
    min_quality: Quality | None = None
    latency: Literal["realtime", "batch"] = "realtime"
    allow: list[Name] | None = None
    split: StrictBool = True
    cascades: list[CascadeIn] = []
    profiles: dict[Name, ProfileIn] = {}
    cache: CacheIn | None = None
    max_latency_p95_ms: Annotated[int, Field(gt=0, le=10**9), WholeNumber] | None = Field(
        default=None, description="latency SLO: options with a higher or unknown p95 are excluded"
    )

    @model_validator(mode="after")
    def _cache_needs_prefix(self) -> TaskIn:
        if self.cache is not None and self.shared_prefix_tokens == 0:
            raise ValueError("a cache policy needs a cacheable prefix: set shared_prefix_tokens")
        return self

    @field_validator("allow")
    @classmethod
    def _allow_nonempty(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and not v:
            raise ValueError("'allow' is empty: list at least one model or omit it")
        return v


class CapacityIn(_Strict):
    """A model's capacity per period (a negotiated quota, or rate limit x period)."""

    requests: Annotated[int, Field(ge=0, le=10**15), WholeNumber] | None = None
    tokens: Annotated[int, Field(ge=0, le=10**18), WholeNumber] | None = None


#: A share of spend; 0 forbids any spend with the provider, 1 is no cap.
Share = Annotated[Decimal, Field(ge=0, le=1, decimal_places=9, allow_inf_nan=False), DecimalNumber]


class ConstraintsIn(_Strict):
    capacity: dict[Name, CapacityIn] = {}
    use_rate_limits: StrictBool = Field(
        default=False,
        description="derive capacity from the price sheet's limits x minutes in the period",
    )
    max_provider_share: dict[Name, Share] = Field(
        default={}, description="max share of spend per provider; '*' applies to every provider"
    )


Budget = Annotated[Decimal, Field(ge=0, le=10**12, allow_inf_nan=False), DecimalNumber]
#: Most commitments a workload may offer: the planner solves all 2**k on/off subsets.
MAX_COMMITMENTS = 12


class CommitmentIn(_Strict):
    """Provisioned throughput, reserved capacity or a committed-use discount (README
    "Commitments"): pay ``fee_usd`` every period; up to ``capacity`` of the model's use in
    ``mode`` is then billed at ``price_factor`` x the on-demand price (0: prepaid)."""

    name: Name
    model: Name = Field(description="the price sheet's model (an alias or variant: its model)")
    mode: Literal["standard", "batch", "flex", "priority"] = "standard"
    fee_usd: Budget = Field(description="fixed cost per period, paid whether used or not")
    capacity: CapacityIn = Field(
        description="committed use per period: exactly one of requests or tokens "
        "(tokens: prompt + output + reasoning, as the model's capacity counts them)"
    )
    price_factor: Share = Field(
        default=Decimal(0),
        description="share of the on-demand price paid for committed use (0: prepaid)",
    )

    @model_validator(mode="after")
    def _one_unit(self) -> CommitmentIn:
        if (self.capacity.requests is None) == (self.capacity.tokens is None):
            raise ValueError("a commitment's capacity gives exactly one of requests or tokens")
        return self

MeasuredCost = Annotated[Decimal, Field(ge=0, le=1000, allow_inf_nan=False), DecimalNumber]


class WorkloadIn(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_: str | None = Field(default=None, alias="$schema")
    name: Name
    description: str | None = None
    period: Literal["hour", "day", "week", "month", "quarter", "year"] = "month"
    budget_usd: Budget | None = None
    objective: Literal["max_quality", "min_cost"] = "max_quality"
    prices: str | list[str] | None = None
    allow_outside_samples: StrictBool = False
    tasks: Annotated[list[TaskIn], Field(min_length=1)]
    quality: dict[Name, dict[Name, Quality | QualityIn]]
    current: dict[Name, dict[Name, Annotated[Decimal, Field(ge=0, le=1, allow_inf_nan=False)]]] = (
        Field(default={})
    )
    empirical: EmpiricalIn | None = None
    constraints: ConstraintsIn | None = None
    commitments: list[CommitmentIn] = Field(
        default=[],
        description="commitments the planner may buy (each on or off; at most "
        f"{MAX_COMMITMENTS})",
    )
    volume_correlation: Annotated[
        Decimal, Field(ge=0, le=1, allow_inf_nan=False), DecimalNumber
    ] = Field(
        default=Decimal(0),
        description="correlation of every two tasks' volume errors (0: independent)",
    )
    # Per query; bounded so that exact pico-dollar costs stay inside int64.
    measured_cost_usd: dict[Name, dict[Name, MeasuredCost]] | None = None
    region: Name | None = Field(
        default=None,
        description="data-residency region: each model's regions.<region> uplift applies, "
        "models that list regions without it are excluded",
    )
