"""Plan files: YAML or JSON by suffix, written atomically, read back exactly.

The plan file format is what :func:`costplan.plan.plan_to_dict` writes (money as
exact decimal strings). :func:`read_plan` validates a file against
:class:`PlanFileIn` and rebuilds the :class:`~costplan.plan.Plan`.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from costplan.errors import InputError
from costplan.exact import parse_rational
from costplan.explainio import read_explanations
from costplan.money import budget_to_pusd, pusd_to_usd
from costplan.options import QUALITY_SCALE
from costplan.plan import (
    PLAN_FORMAT_VERSION,
    Allocation,
    Baseline,
    CommitmentUse,
    Plan,
    TaskPlan,
    plan_to_dict,
)
from costplan.planfields import gap_at, pusd_at
from costplan.risk.evidence_io import NoiseIn, StabilityIn, noise_section, stability_section
from costplan.risk.period import PeriodRisk
from costplan.risk.volume import FIXED, VolumeSpread
from costplan.safeio import is_stdout, write_output
from costplan.today import TodayVsPlan
from costplan.today import from_dict as today_from_dict
from costplan.validation import validate
from costplan.yamlsource import SourceDocument, load_document

Usd = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True)


class UsageIn(_In):
    prompt_tokens_mean: Annotated[Decimal, Field(ge=0)]
    cached_tokens: Annotated[int, Field(ge=0)]
    output_tokens: Annotated[int, Field(ge=0)]
    reasoning_tokens: Annotated[int, Field(ge=0)]


class AllocationIn(_In):
    model: str
    provider: str
    mode: str
    count: Annotated[int, Field(ge=0)]
    share: str
    cost_per_query_usd: Usd
    cost_usd: Usd
    quality: Annotated[Decimal, Field(ge=0, le=1)]
    cost_source: str = "tokens"
    kind: str = "model"
    detail: str = ""
    cache: Literal["", "none", "5m", "1h"] = ""
    commitment: str = ""
    per_query: bool = False
    quality_queries: Annotated[Decimal, Field(ge=0)] | None = None
    cost_p95_per_query_usd: Usd = Decimal(0)
    cost_sd_per_query_usd: Usd = Decimal(0)
    quality_stderr: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    usage_per_query: UsageIn | None = None


class SpreadIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["fixed", "normal", "poisson", "two_piece"]
    sd: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    mode: Annotated[float, Field(allow_inf_nan=False)] = 1.0
    s1: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    s2: Annotated[float, Field(ge=0, allow_inf_nan=False)] = 0.0
    stated: str = ""


class RiskIn(_In):
    """The ``risk`` section (README "Uncertainty"); re-derived from the rows on reading."""

    method: Literal["normal", "monte_carlo", "exact"]
    volume_correlation: Annotated[Decimal, Field(ge=0, le=1)]
    draws: Annotated[int, Field(ge=1)] = 0
    seed: Annotated[int, Field(ge=0)] = 0
    mean_usd: Usd
    sd_usd: Usd
    p50_usd: Usd
    p95_usd: Usd
    p99_usd: Usd
    p_within_budget: Annotated[Decimal, Field(ge=0, le=1)] | None = None


class TaskIn(_In):
    name: str
    volume: Annotated[int, Field(ge=0)]
    samples: Annotated[int, Field(ge=1)] = 1
    volume_spread: SpreadIn | None = None
    min_quality: Annotated[Decimal, Field(ge=0, le=1)] | None = None
    cost_usd: Usd
    mean_quality: Decimal
    allocations: list[AllocationIn]


class BaselineIn(_In):
    label: str
    description: str
    cost_usd: Usd
    mean_quality: Decimal
    meets_floors: bool
    within_budget: bool


class CommitmentIn(_In):
    name: str
    model: str
    mode: str
    fee_usd: Usd
    capacity: dict[Literal["requests", "tokens"], Annotated[int, Field(ge=0)]]
    price_factor: Annotated[Decimal, Field(ge=0, le=1)]
    taken: bool
    used: Annotated[int, Field(ge=0)] = 0
    break_even: Annotated[int, Field(ge=0)] | None = None
    with_value: int | None = None
    without_value: int | None = None


class PlanFileIn(_In):
    format: int
    workload: str
    workload_path: str | None = None
    period: str
    objective: str
    budget_usd: Usd | None = None
    robust: bool = False
    status: str
    bound: str | None = None
    bound_unit: str
    gap: str | None = None  # exact rational string (docs/certificate.md)
    inputs: dict[str, str]
    prices: dict[str, Any]
    totals: dict[str, Any]
    tasks: list[TaskIn]
    baselines: list[BaselineIn] = []
    solver: dict[str, Any] = {}
    notes: list[str] = []
    explanations: dict[str, Any] | None = None  # read by costplan.explain.read_explanations
    certificate: dict[str, Any] | None = None  # docs/certificate.md; checked by the verifier
    today: dict[str, Any] | None = None  # read by costplan.today.from_dict
    assign: dict[str, Any] | None = None  # costplan assign's settings (read by the checker)
    risk: RiskIn | None = None  # the period cost's distribution (costplan.risk)
    quality_risk: dict[str, Any] | None = None  # re-derived from the rows when written
    chance: dict[str, Any] | None = None  # chance constraints the plan meets (the checker's)
    noise: NoiseIn | None = None  # optimize --noise (costplan.risk.evidence)
    stability: StabilityIn | None = None  # optimize --stability K
    commitments: list[CommitmentIn] = []  # README "Commitments"


def dump_plan(plan: Plan, fmt: str) -> str:
    data = plan_to_dict(plan)
    if fmt == "json":
        return json.dumps(data, indent=2, sort_keys=False) + "\n"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def write_plan(plan: Plan, path: Path) -> None:
    """Write ``plan`` to ``path`` (``.json`` -> JSON, ``.yaml``/``.yml`` -> YAML) through
    :func:`costplan.safeio.write_output` (:data:`~costplan.safeio.STDOUT`: YAML)."""
    suffix = ".yaml" if is_stdout(path) else path.suffix.lower()
    if suffix not in (".json", ".yaml", ".yml"):
        raise InputError(
            "plan file must end in .yaml, .yml or .json", file=path, value=suffix or path.name
        )
    write_output(path, dump_plan(plan, "json" if suffix == ".json" else "yaml"))


def plan_from_document(doc: SourceDocument) -> Plan:
    """Validate a parsed plan file and rebuild the Plan (totals are re-derived)."""
    p = validate(PlanFileIn, doc, what="plan file")
    if p.format != PLAN_FORMAT_VERSION:
        raise doc.error(
            f"unsupported plan format (this costplan reads format {PLAN_FORMAT_VERSION})",
            ("format",),
            p.format,
        )
    tasks = []
    for i, t in enumerate(p.tasks):
        allocs = []
        for j, a in enumerate(t.allocations):
            key = ("tasks", i, "allocations", j)
            u = a.usage_per_query
            allocs.append(
                Allocation(
                    model=a.model,
                    provider=a.provider,
                    mode=a.mode,
                    count=a.count,
                    cost_per_query_pusd=pusd_at(
                        doc, a.cost_per_query_usd, (*key, "cost_per_query_usd")
                    ),
                    quality=a.quality,
                    cost_source=a.cost_source,
                    kind=a.kind,
                    detail=a.detail,
                    cache=a.cache,
                    commitment=a.commitment,
                    cost_total_pusd=(
                        pusd_at(doc, a.cost_usd, (*key, "cost_usd")) if a.per_query else None
                    ),
                    quality_total_micro=(
                        int((a.quality_queries * QUALITY_SCALE).to_integral_value())
                        if a.per_query and a.quality_queries is not None
                        else None
                    ),
                    cost_p95_per_query_pusd=pusd_at(
                        doc, a.cost_p95_per_query_usd, (*key, "cost_p95_per_query_usd")
                    ),
                    cost_sd_per_query_pusd=pusd_at(
                        doc, a.cost_sd_per_query_usd, (*key, "cost_sd_per_query_usd")
                    ),
                    quality_se=a.quality_stderr,
                    prompt_tokens_mean=u.prompt_tokens_mean if u else Decimal(0),
                    cached_tokens=u.cached_tokens if u else 0,
                    output_tokens=u.output_tokens if u else 0,
                    reasoning_tokens=u.reasoning_tokens if u else 0,
                )
            )
        if sum(a.count for a in allocs) != t.volume:
            raise doc.error(
                f"allocation counts sum to {sum(a.count for a in allocs)}, not the task volume",
                ("tasks", i, "volume"),
                t.volume,
            )
        sp = t.volume_spread
        spread = FIXED if sp is None else VolumeSpread(
            sp.kind, sd=sp.sd, mode=sp.mode, s1=sp.s1, s2=sp.s2, stated=sp.stated
        )  # fmt: skip
        tasks.append(TaskPlan(t.name, t.volume, t.min_quality, tuple(allocs), t.samples, spread))
    volume = sum(t.volume for t in p.tasks)
    baselines = tuple(
        Baseline(
            b.label,
            b.description,
            pusd_at(doc, b.cost_usd, ("baselines", k, "cost_usd")),
            int((b.mean_quality * volume * QUALITY_SCALE).to_integral_value()),
            volume,
            b.meets_floors,
            b.within_budget,
        )
        for k, b in enumerate(p.baselines)
    )
    bound = _bound(doc, p)
    gap = gap_at(doc, p.gap)
    return Plan(
        workload=p.workload,
        period=p.period,
        objective=p.objective,
        budget_pusd=None if p.budget_usd is None else budget_to_pusd(p.budget_usd),
        status=p.status,
        bound=bound,
        gap=gap,
        tasks=tuple(tasks),
        inputs=dict(p.inputs),
        prices_as_of=p.prices.get("as_of"),
        prices_source=p.prices.get("source"),
        baselines=baselines,
        solver=dict(p.solver),
        notes=tuple(p.notes),
        workload_path=p.workload_path,
        robust=p.robust,
        explanations=read_explanations(doc, p.explanations),
        certificate=p.certificate,
        today=_today(doc, p.today),
        assign=p.assign,
        risk=_risk(doc, p.risk),
        chance=p.chance,
        noise=noise_section(doc, p.noise),
        stability=stability_section(doc, p.stability),
        commitments=tuple(_commitment(doc, k, c) for k, c in enumerate(p.commitments)),
    )


def _commitment(doc: SourceDocument, k: int, c: CommitmentIn) -> CommitmentUse:
    if len(c.capacity) != 1:
        raise doc.error("a commitment's capacity gives one unit", ("commitments", k, "capacity"),
                        c.capacity)  # fmt: skip
    ((unit, amount),) = c.capacity.items()
    return CommitmentUse(
        c.name, c.model, c.mode, unit, amount, pusd_at(doc, c.fee_usd, ("commitments", k,
        "fee_usd")), c.price_factor, c.taken, c.used, c.break_even, c.with_value,
        c.without_value,
    )  # fmt: skip


def _risk(doc: SourceDocument, r: RiskIn | None) -> PeriodRisk | None:
    if r is None:
        return None
    money = [
        pusd_at(doc, getattr(r, k), ("risk", k))
        for k in ("mean_usd", "sd_usd", "p50_usd", "p95_usd", "p99_usd")
    ]
    return PeriodRisk(
        r.method, money[0], money[1], (money[2], money[3], money[4]), r.p_within_budget,
        r.volume_correlation, r.draws, r.seed,
    )  # fmt: skip


def _bound(doc: SourceDocument, p: PlanFileIn) -> int | None:
    """The exact integer bound in base units (micro-quality or pico-dollars)."""
    if p.bound is None:
        return None
    unit = QUALITY_SCALE if p.objective == "max_quality" else 10**12
    try:
        value = parse_rational(p.bound) * unit
    except (ValueError, ZeroDivisionError):
        raise doc.error("bound is not an exact number", ("bound",), p.bound) from None
    if value.denominator != 1:
        raise doc.error(
            "bound is not a whole number of micro-units / pico-dollars", ("bound",), p.bound
        )
    return value.numerator


def _today(doc: SourceDocument, data: dict[str, Any] | None) -> TodayVsPlan | None:
    if data is None:
        return None
    try:
        return today_from_dict(data)
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise doc.error(
            f"malformed 'today' section ({type(exc).__name__}: {exc})", ("today",)
        ) from None


def read_plan(path: Path) -> Plan:
    """Read and validate a plan file written by costplan: its totals must match its
    rows, and no two of its fields may contradict each other (costplan.planchecks)."""
    from costplan.planchecks import check_consistency

    doc = load_document(path, what="plan file")
    plan = plan_from_document(doc)
    verify_plan_file(doc, plan)
    check_consistency(doc, plan)
    return migrate(plan)


#: The note a plan file written before costplan.risk gets when it is read.
MIGRATED_NOTE = (
    'migrated: this plan file predates the period-cost distribution (README "Uncertainty"); '
    "its cost at p95 lengths ('budget at risk') is no risk figure and is no longer shown; "
    "re-run costplan optimize for P50/P95/P99 and P(cost <= budget)"
)
MIGRATED_ROBUST_NOTE = (
    "migrated: planned with --robust (budget held with every query at p95 lengths), "
    "which --confidence replaces"
)


def migrate(plan: Plan) -> Plan:
    """An old plan (no ``risk`` section) read with a note saying what changed; else as is."""
    import dataclasses

    if plan.risk is not None or any(a.per_query for t in plan.tasks for a in t.allocations):
        return plan
    notes = [MIGRATED_NOTE] + ([MIGRATED_ROBUST_NOTE] if plan.robust else [])
    return dataclasses.replace(
        plan, notes=(*plan.notes, *(n for n in notes if n not in plan.notes))
    )


def _stated(value: object) -> Decimal | None:
    try:
        d = Decimal(str(value))
    except ArithmeticError:
        return None
    return d if d.is_finite() else None


def verify_plan_file(doc: SourceDocument, plan: Plan) -> None:
    """Refuse a plan file whose stated money does not match its own rows.

    ``plan`` is the Plan rebuilt from ``doc`` (rows: counts and prices per
    query). Every allocation's ``cost_usd`` must be ``count x cost_per_query_usd``,
    every task's ``cost_usd`` the sum of its rows and ``totals`` (volume, cost,
    p95 cost) the sums over tasks, exactly. A mismatch means the file was edited
    by hand or corrupted: :class:`~costplan.errors.InputError` names the first
    mismatched key and the stated value, with the recomputed one.
    """
    data = doc.data if isinstance(doc.data, dict) else {}

    def check(stated: object, expected: int | Decimal, key: tuple[str | int, ...]) -> None:
        want = Decimal(expected) if isinstance(expected, int) else expected
        got = _stated(stated)
        if got is None or got != want:
            raise doc.error(
                f"does not match the plan's rows, which give {want:f}",
                key,
                stated,
                hint="the file was edited or corrupted: re-run costplan optimize to regenerate it",
            )

    tasks = data.get("tasks") or []
    for i, (tp, raw) in enumerate(zip(plan.tasks, tasks, strict=False)):
        for j, (a, raw_a) in enumerate(
            zip(tp.allocations, raw.get("allocations") or [], strict=False)
        ):
            if not a.per_query:
                check(
                    raw_a.get("cost_usd"),
                    pusd_to_usd(a.cost_pusd),
                    ("tasks", i, "allocations", j, "cost_usd"),
                )
        check(raw.get("cost_usd"), pusd_to_usd(tp.cost_pusd), ("tasks", i, "cost_usd"))
    totals = data.get("totals") or {}
    check(totals.get("volume"), plan.volume, ("totals", "volume"))
    check(totals.get("cost_usd"), pusd_to_usd(plan.cost_pusd), ("totals", "cost_usd"))
    if "cost_p95_usd" in totals:
        check(
            totals.get("cost_p95_usd"), pusd_to_usd(plan.cost_p95_pusd), ("totals", "cost_p95_usd")
        )
    _check_risk(doc, plan)


def _check_risk(doc: SourceDocument, plan: Plan) -> None:
    """The ``risk`` section must be the one the plan's own rows give (README "Uncertainty")."""
    if plan.risk is None:
        return
    from costplan.plan import risk_to_dict
    from costplan.risk.period import period_risk
    from costplan.risk.plans import period_parts, risk_of_plan

    r = plan.risk
    if any(a.per_query for t in plan.tasks for a in t.allocations):
        again = risk_of_plan(plan)
    else:
        again = period_risk(
            period_parts(plan), rho=r.volume_correlation, budget_pusd=plan.budget_pusd,
            draws=r.draws or 1, seed=r.seed,
        )  # fmt: skip
    want, got = risk_to_dict(again), risk_to_dict(r)
    for k, v in want.items():
        if got.get(k) != v:
            raise doc.error(
                f"does not match the plan's rows, which give {v}",
                ("risk", k),
                got.get(k),
                hint="the file was edited or corrupted: re-run costplan optimize to regenerate it",
            )
