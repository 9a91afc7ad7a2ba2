"""Plan: the answer costplan gives, independent of how it was found.

A plan records the inputs' hashes, objective, budget, solver status, bound and
gap, and every task's allocation (model x mode -> count, cost, quality) with
totals. Money is exact: integers in pico-dollars inside, decimal strings in
files. Reports and checks read a Plan; they never see the solver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import Any

from costplan.exact import rational_str
from costplan.explain import Explanations
from costplan.explainio import explanations_to_dict
from costplan.money import quality_to_micro, usd_str
from costplan.options import QUALITY_SCALE, option_label
from costplan.risk.evidence import NoiseSection, StabilitySection, noise_to_dict, stability_to_dict
from costplan.risk.period import PeriodRisk
from costplan.risk.quality import LEVEL, QualityRisk, quality_risk
from costplan.risk.volume import FIXED, VolumeSpread
from costplan.today import TodayVsPlan
from costplan.today import to_dict as today_to_dict

PLAN_FORMAT_VERSION = 1
#: The period of a per-query plan (costplan assign): the query file's own span.
AS_GIVEN = "(as given)"


def mean_quality(quality_micro_total: int, volume: int) -> Decimal:
    """Volume-weighted mean quality from a total in micro-units (0 for no volume)."""
    if volume == 0:
        return Decimal(0)
    return Decimal(quality_micro_total) / QUALITY_SCALE / volume


@dataclass(frozen=True)
class Allocation:
    model: str
    provider: str
    mode: str
    count: int
    cost_per_query_pusd: int
    quality: Decimal
    cost_source: str = "tokens"
    kind: str = "model"  # "model" or "cascade"
    detail: str = ""  # for a cascade: its steps and escalation rates
    cost_p95_per_query_pusd: int = 0
    prompt_tokens_mean: Decimal = Decimal(0)
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    # Per-query plans (costplan assign): queries differ, so exact totals are stored
    # and cost_per_query_pusd / quality are means (rounded) for display only.
    cost_total_pusd: int | None = None
    quality_total_micro: int | None = None
    cache: str = ""  # a cache policy's choice: "none", "5m" or "1h" (see costplan.options)
    cost_sd_per_query_pusd: int = 0  # spread of one query's cost (costplan.risk.moments)
    quality_se: float | None = None  # standard error of ``quality`` (costplan.risk.quality)
    commitment: str = ""  # served under this commitment (costplan.commitments), "": on demand

    @property
    def per_query(self) -> bool:
        return self.cost_total_pusd is not None

    @property
    def cost_pusd(self) -> int:
        if self.cost_total_pusd is not None:
            return self.cost_total_pusd
        return self.count * self.cost_per_query_pusd

    @property
    def cost_p95_pusd(self) -> int:
        if self.cost_total_pusd is not None:
            return self.cost_total_pusd  # per-query costs are already exact, not lengths
        return self.count * self.cost_p95_per_query_pusd

    @property
    def quality_micro_total(self) -> int:
        if self.quality_total_micro is not None:
            return self.quality_total_micro
        return self.count * quality_to_micro(self.quality)

    @property
    def label(self) -> str:
        return option_label(self.model, self.kind, self.mode, self.cache, self.commitment)


@dataclass(frozen=True)
class TaskPlan:
    name: str
    volume: int
    min_quality: Decimal | None
    allocations: tuple[Allocation, ...]
    samples: int = 1  # prompt samples the costs are measured over
    volume_spread: VolumeSpread = FIXED

    @property
    def cost_pusd(self) -> int:
        return sum(a.cost_pusd for a in self.allocations)

    @property
    def quality_micro_total(self) -> int:
        return sum(a.quality_micro_total for a in self.allocations)

    @property
    def mean_quality(self) -> Decimal:
        return mean_quality(self.quality_micro_total, self.volume)


@dataclass(frozen=True)
class Baseline:
    """A simple policy to compare against (e.g. everything on one model)."""

    label: str
    description: str
    cost_pusd: int
    quality_micro_total: int
    volume: int
    meets_floors: bool
    within_budget: bool

    @property
    def mean_quality(self) -> Decimal:
        return mean_quality(self.quality_micro_total, self.volume)


@dataclass(frozen=True)
class CommitmentUse:
    """One commitment the workload offers, as planned (README "Commitments").

    ``used``: committed units (requests or tokens) the plan serves under it; ``break_even``:
    the units at which its fee equals what it saves, ``fee / ((1 - price_factor) x r)`` with
    ``r`` the on-demand cost per unit of the model's use (rounded up; None: it saves nothing
    per unit); ``with_value`` / ``without_value``: the objective (quality micro-units or
    pico-dollars, fees included) of the best plan with it and without it (None: none)."""

    name: str
    model: str
    mode: str
    unit: str  # "requests" | "tokens"
    capacity: int
    fee_pusd: int
    price_factor: Decimal
    taken: bool
    used: int = 0
    break_even: int | None = None
    with_value: int | None = None
    without_value: int | None = None

    @property
    def pays(self) -> bool:
        """The best plan with it beats the best plan without it (the solver's choice)."""
        return self.taken


@dataclass(frozen=True)
class Plan:
    workload: str
    period: str
    objective: str
    budget_pusd: int | None
    status: str  # optimal | feasible (time limit, with gap)
    # exact integer bound on the optimum in the objective's base unit (quality micro-units or
    # pico-dollars; None: unknown) and the exact gap |bound - objective| / max(1, |objective|)
    bound: int | None
    gap: Fraction | None
    tasks: tuple[TaskPlan, ...]
    inputs: Mapping[str, str] = field(default_factory=dict)  # path -> sha256
    prices_as_of: str | None = None
    prices_source: str | None = None
    baselines: tuple[Baseline, ...] = ()
    solver: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    workload_path: str | None = None
    robust: bool = False  # planned so that the budget holds at p95 lengths
    explanations: Explanations | None = None  # see costplan.explain
    # the solver's certificate as the plan file stores it (exact strings; docs/certificate.md)
    certificate: Mapping[str, Any] | None = None
    today: TodayVsPlan | None = None  # see costplan.today (the 'current' allocation)
    # costplan assign: the settings the plan was solved under (modes, default output tokens,
    # side constraints), so that the checker can re-derive it from the files alone
    assign: Mapping[str, Any] | None = None
    risk: PeriodRisk | None = None  # the period total as a distribution (costplan.risk)
    chance: Mapping[str, Any] | None = None  # chance constraints met (costplan.risk.chance)
    noise: NoiseSection | None = None  # optimize --noise (costplan.risk.evidence)
    stability: StabilitySection | None = None  # optimize --stability K
    commitments: tuple[CommitmentUse, ...] = ()  # offered commitments, taken or not

    @property
    def fees_pusd(self) -> int:
        """Fixed commitment fees of the period (taken commitments)."""
        return sum(c.fee_pusd for c in self.commitments if c.taken)

    @property
    def cost_pusd(self) -> int:
        """Usage of every task plus the fixed commitment fees."""
        return sum(t.cost_pusd for t in self.tasks) + self.fees_pusd

    @property
    def volume(self) -> int:
        return sum(t.volume for t in self.tasks)

    @property
    def quality_micro_total(self) -> int:
        return sum(t.quality_micro_total for t in self.tasks)

    @property
    def mean_quality(self) -> Decimal:
        return mean_quality(self.quality_micro_total, self.volume)

    @property
    def cost_p95_pusd(self) -> int:
        return sum(a.cost_p95_pusd for t in self.tasks for a in t.allocations) + self.fees_pusd

    @property
    def quality_risk(self) -> QualityRisk:
        """Mean quality's interval and each floor's P(met) (:mod:`costplan.risk.quality`)."""
        return quality_risk(
            [
                (t.name, t.min_quality, [(a.count, a.quality, a.quality_se)
                                         for a in t.allocations])
                for t in self.tasks
            ]
        )  # fmt: skip

    @property
    def objective_value(self) -> int:
        return self.quality_micro_total if self.objective == "max_quality" else self.cost_pusd


def _q(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.000001'), rounding=ROUND_FLOOR):f}"  # never overstated


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """Stable, ordered, exact dict for YAML/JSON (money as decimal strings)."""
    bound = plan.bound
    bound_text: str | None = None
    if bound is not None:  # exact: an integer number of micro-units or pico-dollars
        if plan.objective == "max_quality":
            bound_text = f"{Decimal(bound).scaleb(-6):f}"
        else:
            bound_text = usd_str(bound)
    return {
        "format": PLAN_FORMAT_VERSION,
        "workload": plan.workload,
        "workload_path": plan.workload_path,
        "period": plan.period,
        "objective": plan.objective,
        "budget_usd": None if plan.budget_pusd is None else usd_str(plan.budget_pusd),
        "robust": plan.robust,
        "status": plan.status,
        "bound": bound_text,
        "bound_unit": "quality_queries" if plan.objective == "max_quality" else "usd",
        "gap": None if plan.gap is None else rational_str(plan.gap),
        "inputs": dict(plan.inputs),
        "prices": {"as_of": plan.prices_as_of, "source": plan.prices_source},
        "totals": {
            "volume": plan.volume,
            "cost_usd": usd_str(plan.cost_pusd),
            "cost_p95_usd": usd_str(plan.cost_p95_pusd),
            "quality_queries": _q(Decimal(plan.quality_micro_total) / QUALITY_SCALE),
            "mean_quality": _q(plan.mean_quality),
        },
        "tasks": [
            {
                "name": t.name,
                "volume": t.volume,
                **_spread_dict(t),
                "min_quality": None if t.min_quality is None else str(t.min_quality),
                "cost_usd": usd_str(t.cost_pusd),
                "mean_quality": _q(t.mean_quality),
                "allocations": [
                    {
                        "model": a.model,
                        "provider": a.provider,
                        "mode": a.mode,
                        **({"cache": a.cache} if a.cache else {}),
                        **({"commitment": a.commitment} if a.commitment else {}),
                        "count": a.count,
                        "share": f"{Decimal(a.count) / t.volume:.6f}" if t.volume else "0",
                        "cost_per_query_usd": usd_str(a.cost_per_query_pusd),
                        "cost_usd": usd_str(a.cost_pusd),
                        "quality": str(a.quality),
                        "quality_stderr": a.quality_se,
                        "cost_source": a.cost_source,
                        "kind": a.kind,
                        "detail": a.detail,
                        "per_query": a.per_query,
                        "quality_queries": _q(Decimal(a.quality_micro_total) / QUALITY_SCALE),
                        "cost_p95_per_query_usd": usd_str(a.cost_p95_per_query_pusd),
                        "cost_sd_per_query_usd": usd_str(a.cost_sd_per_query_pusd),
                        "usage_per_query": {
                            "prompt_tokens_mean": f"{a.prompt_tokens_mean:f}",
                            "cached_tokens": a.cached_tokens,
                            "output_tokens": a.output_tokens,
                            "reasoning_tokens": a.reasoning_tokens,
                        },
                    }
                    for a in t.allocations
                ],
            }
            for t in plan.tasks
        ],
        "baselines": [
            {
                "label": b.label,
                "description": b.description,
                "cost_usd": usd_str(b.cost_pusd),
                "mean_quality": _q(b.mean_quality),
                "meets_floors": b.meets_floors,
                "within_budget": b.within_budget,
            }
            for b in plan.baselines
        ],
        "solver": dict(plan.solver),
        "notes": list(plan.notes),
        **({} if plan.certificate is None else {"certificate": dict(plan.certificate)}),
        **({} if plan.assign is None else {"assign": dict(plan.assign)}),
        **(
            {}
            if plan.explanations is None
            else {"explanations": explanations_to_dict(plan.explanations)}
        ),
        **({} if plan.today is None else {"today": today_to_dict(plan.today)}),
        **({} if plan.risk is None else {"risk": risk_to_dict(plan.risk)}),
        **({} if plan.risk is None else {"quality_risk": quality_risk_to_dict(plan)}),
        **({} if plan.chance is None else {"chance": dict(plan.chance)}),
        **({} if plan.noise is None else {"noise": noise_to_dict(plan.noise)}),
        **({} if plan.stability is None else {"stability": stability_to_dict(plan.stability)}),
        **(
            {"commitments": [commitment_to_dict(c) for c in plan.commitments]}
            if plan.commitments
            else {}
        ),
    }


def commitment_to_dict(c: CommitmentUse) -> dict[str, Any]:
    """A plan file's ``commitments`` entry (README "Commitments")."""
    return {
        "name": c.name,
        "model": c.model,
        "mode": c.mode,
        "fee_usd": usd_str(c.fee_pusd),
        "capacity": {c.unit: c.capacity},
        "price_factor": f"{c.price_factor:f}",
        "taken": c.taken,
        "used": c.used,
        "break_even": c.break_even,
        "with_value": None if c.with_value is None else str(c.with_value),
        "without_value": None if c.without_value is None else str(c.without_value),
    }


def quality_risk_to_dict(plan: Plan) -> dict[str, Any]:
    """The ``quality_risk`` section (README "Uncertainty"): floats, as computed."""
    q = plan.quality_risk
    return {
        "level": f"{LEVEL:f}",
        "mean_quality_sd": q.sd,
        "mean_quality_interval": list(q.interval),
        "tasks": [
            {"name": t.name, "sd": t.sd, "p_floor_met": t.p_floor_met, "errors_known": t.known}
            for t in q.tasks
        ],
    }


def _spread_dict(t: TaskPlan) -> dict[str, Any]:
    s = t.volume_spread
    spread: dict[str, Any] = {"kind": s.kind}
    if s.kind in ("normal", "poisson"):
        spread["sd"] = s.sd
    elif s.kind == "two_piece":
        spread.update(mode=s.mode, s1=s.s1, s2=s.s2)
    if s.stated:
        spread["stated"] = s.stated
    return {"samples": t.samples, "volume_spread": spread}


def _p(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def risk_to_dict(r: PeriodRisk) -> dict[str, Any]:
    """The ``risk`` section of a plan file (README "Uncertainty")."""
    return {
        "method": r.method,
        "volume_correlation": f"{r.volume_correlation:f}",
        **({"draws": r.draws, "seed": r.seed} if r.method == "monte_carlo" else {}),
        "mean_usd": usd_str(r.mean_pusd),
        "sd_usd": usd_str(r.sd_pusd),
        "p50_usd": usd_str(r.p50_pusd),
        "p95_usd": usd_str(r.p95_pusd),
        "p99_usd": usd_str(r.p99_pusd),
        "p_within_budget": _p(r.p_within_budget),
    }
