"""Actual minus plan, split into effects that add up exactly (integer pico-dollars).

**Cost model.** A request's cost is linear in its tokens by kind at a schedule's base
rates (pico-dollars per token, :class:`costplan.pricing.cost.IntRates`)::

    lin(tokens; rates) = uncached*input + cached*cache_read + write5m*cache_write
                       + write1h*cache_write_1h + output*output + reasoning*reasoning
                       + requests*request_fee

*Plan*, per allocation ``j`` of task ``t`` (model ``m``, mode, cache choice; ``n_j``
queries at the plan's own cost per query ``c_j``, so ``C_t = sum n_j c_j``): the
prompt per query is ``pi = prompt_tokens_mean + P`` (``P`` the cacheable prefix);
the prefix is expected to be read ``h P`` and written ``(1 - h) P`` (cache ``5m``/``1h``
with the workload's hit rate ``h``), always read (no policy) or never (``none``).
Its token shares ``h_j = cached / pi`` and ``w_j = written / pi`` are the plan's
*cache-hit* (and write) shares.

*Actual*, per (task, model) group: requests ``a``, prompt ``Pi`` (cached included),
cached ``K``, output ``O``, reasoning ``R`` from the usage. A planned (task, model)'s
usage is spread over the plan's allocations of that model in proportion ``n_j / N_m``
(the logs do not say which serving mode or TTL served a request). Actual cost of a
group = ``ceil(sum_j lin(its share of the tokens, written = 0; actual rates in j's
mode))``: logs do not separate cache writes, so writes are billed as input. A model
no price sheet knows is priced at its logged spend (rounded up; 0 when not logged).

**Sequential method.** Per task, six stages, each changing one thing; every stage
value ``S_k`` is exact (rational), then rounded **up** to a pico-dollar, except
``S_0`` (the plan's stated cost) and ``S_6`` (the actual cost), which are integers::

    c_bar = C_t / V_t                      planned mean cost per query (0 if V_t = 0)
    S_0 = C_t                               the plan
    S_1 = A c_bar                           actual request count A, plan mix and costs
    S_2 = (A - u) c_bar + U                 u requests on unplanned models cost U
    S_3 = sum_j a_j c_j + U                 actual mix over planned models, plan costs
    S_4 = sum_j lin(a_j's tokens, cached = h_j Pi_j, written = w_j Pi_j; plan rates) + U
    S_5 = sum_j lin(a_j's tokens as logged, written = 0; plan rates) + U
    S_6 = actual cost
    volume = S_1 - S_0, unplanned = S_2 - S_1, mix = S_3 - S_2, length = S_4 - S_3,
    cache = S_5 - S_4, price = S_6 - S_5

The effects telescope: their sum is ``S_6 - S_0 = actual - plan`` exactly, per task,
and the totals are the sums over tasks. A task the plan does not have is one
``unplanned`` effect (its whole actual cost); a model the plan does not use for the
task is unplanned traffic (valued against the plan's mean cost per query, so what it
displaced is credited in the same effect).

**Why this order.** It is the standard-costing convention (flexible budget, then
sales-mix, then usage, then price variance): every quantity effect is valued at the
*planned* prices and the price effect at the *actual* quantities, so a price change
is measured on the traffic that really ran and no effect depends on prices that were
not in force. Volume comes first (how much traffic, the driver everything scales
with), unplanned before mix (traffic that left the plan's models is taken out at the
plan's mean cost, so mix compares planned models among themselves), length before
cache (the cache-hit share is a share of the prompt tokens that actually ran). The
interaction terms therefore land in the later effect (a price rise on a task whose
volume also grew is all price effect on the grown volume), as the order says.

**Basis.** ``lin`` at the plan's own tokens may differ from the plan's stated ``c_j``
(the plan rounds each mean cost per query *up*, prices every prompt sample and its
long-context tier; ``lin`` uses means and base rates): that difference, carried by
the actual traffic, falls in the ``length`` step and is reported as ``basis``.
Long-context tiers are not applied to actual usage (buckets have no per-request
lengths); a note says so when a model with tiers carried traffic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from fractions import Fraction
from itertools import pairwise

from costplan.errors import InputError
from costplan.money import PUSD_PER_USD
from costplan.plan import Allocation, Plan
from costplan.pricing.cost import IntRates
from costplan.pricing.model import PriceSheet
from costplan.reconcile.load import Group, Usage

EFFECTS = ("volume", "mix", "length", "cache", "price", "unplanned")
#: Tokens by kind in the order of :func:`lin`'s rates.
KINDS = ("uncached", "cached", "write5m", "write1h", "output", "reasoning", "requests")
Vec = tuple[Fraction, ...]


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def _rates(r: IntRates) -> tuple[int, ...]:
    return (r.input, r.cache_read, r.cache_write, r.cache_write_1h, r.output, r.reasoning,
            r.request)


def lin(tokens: Vec, rates: tuple[int, ...]) -> Fraction:
    """The linear cost (see the module docstring) of ``tokens`` (in :data:`KINDS` order)."""
    return sum((t * r for t, r in zip(tokens, rates, strict=True)), Fraction(0))


@dataclass(frozen=True)
class Effects:
    volume: int = 0
    mix: int = 0
    length: int = 0
    cache: int = 0
    price: int = 0
    unplanned: int = 0

    @property
    def total(self) -> int:
        return sum(self.as_dict().values())

    def as_dict(self) -> dict[str, int]:
        return {e: getattr(self, e) for e in EFFECTS}

    def __add__(self, other: Effects) -> Effects:
        return Effects(*(a + b for a, b in zip(self.as_dict().values(), other.as_dict().values(),
                                               strict=True)))


@dataclass(frozen=True)
class ModelLine:
    """One (task, model): planned and actual requests, tokens by kind, cost."""

    task: str
    model: str
    provider: str
    planned: bool  # the plan allocates queries of the task to it
    priced: bool  # actual usage priced from a sheet (else at logged spend)
    plan_requests: int
    plan_quality_micro: int  # sum over the model's allocations of count x quality (micro)
    plan_cost_pusd: int
    plan_tokens: Mapping[str, Fraction]  # prompt, cached, output, reasoning (expected)
    actual_requests: int
    actual_cost_pusd: int
    actual_tokens: Mapping[str, int]
    spend_usd: Decimal | None


@dataclass(frozen=True)
class TaskResult:
    name: str
    planned: bool
    plan_volume: int
    actual_requests: int
    plan_cost_pusd: int
    actual_cost_pusd: int
    effects: Effects
    lines: tuple[ModelLine, ...]
    on_plan_share: Fraction | None  # sum_m min(plan share, actual share); None: no traffic
    quality_on_plan_share: Fraction | None  # the same, quality-weighted (see on_plan_shares)
    basis_pusd: Fraction  # the plan's c_j - lin at its own tokens, on the actual traffic


@dataclass(frozen=True)
class Reconciliation:
    tasks: tuple[TaskResult, ...]
    notes: tuple[str, ...]

    @property
    def plan_cost_pusd(self) -> int:
        return sum(t.plan_cost_pusd for t in self.tasks)

    @property
    def actual_cost_pusd(self) -> int:
        return sum(t.actual_cost_pusd for t in self.tasks)

    @property
    def effects(self) -> Effects:
        total = Effects()
        for t in self.tasks:
            total = total + t.effects
        return total


@dataclass(frozen=True)
class _Alloc:
    a: Allocation
    per_query: Vec  # plan tokens per query (KINDS order)
    plan_rates: tuple[int, ...]
    actual_rates: tuple[int, ...] | None

    @property
    def prompt(self) -> Fraction:
        return sum(self.per_query[:4], Fraction(0))


def _per_query(a: Allocation, hit: Mapping[str, Decimal]) -> Vec:
    mean, prefix = Fraction(a.prompt_tokens_mean), Fraction(a.cached_tokens)
    read, w5, w1 = prefix, Fraction(0), Fraction(0)
    if a.cache == "none":
        read = Fraction(0)
    elif a.cache in ("5m", "1h"):
        if a.cache not in hit:
            raise InputError(
                f"the plan caches task prefixes with TTL {a.cache}, but the workload has no "
                "hit rate for it", key=("cache", a.cache),
            )
        h = Fraction(hit[a.cache])
        read = h * prefix
        if a.cache == "5m":
            w5 = (1 - h) * prefix
        else:
            w1 = (1 - h) * prefix
    uncached = mean + prefix - read - w5 - w1
    return (uncached, read, w5, w1, Fraction(a.output_tokens), Fraction(a.reasoning_tokens),
            Fraction(1))


def _schedule_rates(sheet: PriceSheet, model: str, mode: str) -> tuple[int, ...] | None:
    m = sheet.models.get(model)
    if m is None:
        return None
    schedule = m.schedule(mode) if mode in m.available_modes() else m.standard
    return _rates(IntRates.of(schedule.base))


def _actual_vec(g: Group, share: Fraction, alloc: _Alloc | None, as_planned: bool) -> Vec:
    """``share`` of group ``g``'s tokens; ``as_planned``: cached and written at the
    allocation's planned shares of the prompt (the length stage)."""
    prompt = share * g.prompt
    if as_planned and alloc is not None:
        pi = alloc.prompt
        q = alloc.per_query
        shares = [q[i] / pi if pi else Fraction(0) for i in (1, 2, 3)]
        read, w5, w1 = (s * prompt for s in shares)
    else:
        read, w5, w1 = share * g.cached, Fraction(0), Fraction(0)
    return (prompt - read - w5 - w1, read, w5, w1, share * g.output, share * g.reasoning,
            share * g.requests)


def _group_cost(g: Group, parts: list[tuple[Fraction, _Alloc | None]], sheet: PriceSheet) -> int:
    """Actual cost of group ``g`` (module docstring): priced by share, or logged spend."""
    if not g.priced:
        return _spend_pusd(g.spend_usd)
    total = Fraction(0)
    for share, alloc in parts:
        rates = alloc.actual_rates if alloc is not None else _schedule_rates(sheet, g.model,
                                                                              "standard")
        if rates is None:
            return _spend_pusd(g.spend_usd)
        total += lin(_actual_vec(g, share, alloc, False), rates)
    return _ceil(total)


def _spend_pusd(spend: Decimal | None) -> int:
    if spend is None:
        return 0
    return int((spend * PUSD_PER_USD).to_integral_value(rounding=ROUND_CEILING))


def _allocs(plan: Plan, task: str, plan_sheet: PriceSheet, actual: PriceSheet,
            hit: Mapping[str, Decimal]) -> dict[str, list[_Alloc]]:
    tp = next(t for t in plan.tasks if t.name == task)
    out: dict[str, list[_Alloc]] = {}
    for a in tp.allocations:
        if a.count == 0:
            continue
        rates = _schedule_rates(plan_sheet, a.model, a.mode)
        if rates is None:
            raise InputError(
                f"model {a.model!r} of the plan (task {task!r}) is not in the plan's price "
                "sheet", hint="pass the sheet the plan was made with as --plan-prices",
            )
        out.setdefault(a.model, []).append(
            _Alloc(a, _per_query(a, hit), rates, _schedule_rates(actual, a.model, a.mode))
        )
    return out


def _share(allocs: list[_Alloc]) -> list[tuple[Fraction, _Alloc]]:
    n = sum(x.a.count for x in allocs)
    return [(Fraction(x.a.count, n), x) for x in allocs]


def _task(
    name: str,
    plan: Plan,
    groups: list[Group],
    sheets: tuple[PriceSheet, PriceSheet],
    hit: Mapping[str, Decimal],
) -> TaskResult:
    plan_sheet, actual = sheets
    tp = next((t for t in plan.tasks if t.name == name), None)
    allocs = _allocs(plan, name, plan_sheet, actual, hit) if tp is not None else {}
    by_model = {g.model: g for g in groups}
    lines: list[ModelLine] = []
    s3 = s4 = s5 = Fraction(0)
    unplanned_cost, u, basis = 0, 0, Fraction(0)
    actual_cost = 0
    for model in sorted(set(allocs) | set(by_model)):
        g, mine = by_model.get(model), allocs.get(model)
        parts: list[tuple[Fraction, _Alloc | None]] = list(_share(mine)) if mine else [
            (Fraction(1), None)]
        cost = _group_cost(g, parts, actual) if g is not None else 0
        actual_cost += cost
        if mine is None:
            assert g is not None
            unplanned_cost += cost
            u += g.requests
        elif g is not None:
            for share, x in _share(mine):
                a_j = share * g.requests
                s3 += a_j * x.a.cost_per_query_pusd
                s4 += lin(_actual_vec(g, share, x, True), x.plan_rates)
                s5 += lin(_actual_vec(g, share, x, False), x.plan_rates)
                basis += a_j * (x.a.cost_per_query_pusd - lin(x.per_query, x.plan_rates))
        lines.append(_line(name, model, g, mine, cost, plan_sheet, actual))
    volume = tp.volume if tp is not None else 0
    plan_cost = tp.cost_pusd if tp is not None else 0
    a_total = sum(g.requests for g in groups)
    c_bar = Fraction(plan_cost, volume) if volume else Fraction(0)
    stages = [
        plan_cost,
        _ceil(a_total * c_bar),
        _ceil((a_total - u) * c_bar + unplanned_cost),
        _ceil(s3 + unplanned_cost),
        _ceil(s4 + unplanned_cost),
        _ceil(s5 + unplanned_cost),
        actual_cost,
    ]
    d = [b - a for a, b in pairwise(stages)]
    effects = Effects(volume=d[0], unplanned=d[1], mix=d[2], length=d[3], cache=d[4], price=d[5])
    return TaskResult(
        name, tp is not None, volume, a_total, plan_cost, actual_cost, effects, tuple(lines),
        *on_plan_shares(lines, volume, a_total), basis,
    )


def on_plan_shares(
    lines: list[ModelLine], volume: int, requests: int
) -> tuple[Fraction | None, Fraction | None]:
    """The share of a task's traffic that ran where the plan said: by requests, and
    quality-weighted. Both are None when the plan has no volume or the month no traffic.

    With ``p_m = plan requests on m / plan volume`` and ``a_m = actual requests on m /
    actual requests`` (unplanned models have ``p_m = 0``):

    * by requests: ``sum_m min(p_m, a_m)``;
    * quality-weighted: each planned request weighs the quality its model has in the
      plan for the task, ``q_m = Q_m / n_m`` (``Q_m`` = the plan's count x quality over
      m's allocations, exact): ``sum_m min(p_m, a_m) q_m / sum_m p_m q_m``, the share of
      the plan's quality-weighted traffic that ran on the model the plan said. Traffic
      that leaves a good model weighs more than traffic that leaves a weaker one; an
      unplanned model needs no quality (its ``p_m`` is 0). With equal qualities it is the
      request share, and it is too when every planned quality is 0.
    """
    if not volume or not requests:
        return None, None
    by_requests = Fraction(0)
    weighted = Fraction(0)
    for x in lines:
        kept = min(Fraction(x.plan_requests, volume), Fraction(x.actual_requests, requests))
        by_requests += kept
        if x.plan_requests:
            weighted += kept * Fraction(x.plan_quality_micro, x.plan_requests)
    mass = Fraction(sum(x.plan_quality_micro for x in lines), volume)  # sum_m p_m q_m
    return by_requests, (weighted / mass if mass else by_requests)


def _line(task: str, model: str, g: Group | None, mine: list[_Alloc] | None, cost: int,
          plan_sheet: PriceSheet, actual: PriceSheet) -> ModelLine:
    allocs = mine or []
    plan_tokens = {
        "prompt": sum((x.a.count * x.prompt for x in allocs), Fraction(0)),
        "cached": sum((x.a.count * x.per_query[1] for x in allocs), Fraction(0)),
        "output": sum((x.a.count * x.per_query[4] for x in allocs), Fraction(0)),
        "reasoning": sum((x.a.count * x.per_query[5] for x in allocs), Fraction(0)),
    }
    sheet_model = actual.models.get(model) or plan_sheet.models.get(model)
    provider = allocs[0].a.provider if allocs else (sheet_model.provider if sheet_model else "")
    return ModelLine(
        task=task,
        model=model,
        provider=provider or "unknown",
        planned=bool(allocs),
        priced=g.priced if g is not None else True,
        plan_requests=sum(x.a.count for x in allocs),
        plan_quality_micro=sum(x.a.quality_micro_total for x in allocs),
        plan_cost_pusd=sum(x.a.cost_pusd for x in allocs),
        plan_tokens=plan_tokens,
        actual_requests=g.requests if g else 0,
        actual_cost_pusd=cost,
        actual_tokens={
            "prompt": g.prompt if g else 0,
            "cached": g.cached if g else 0,
            "output": g.output if g else 0,
            "reasoning": g.reasoning if g else 0,
        },
        spend_usd=g.spend_usd if g else None,
    )


def decompose(
    plan: Plan,
    usage: Usage,
    plan_sheet: PriceSheet,
    actual_sheet: PriceSheet,
    hit_rates: Mapping[str, Mapping[str, Decimal]],
) -> Reconciliation:
    """Plan ``plan`` against ``usage`` (see the module docstring)."""
    by_task: dict[str, list[Group]] = {}
    for g in usage.groups:
        by_task.setdefault(g.task, []).append(g)
    names = [t.name for t in plan.tasks] + sorted(set(by_task) - {t.name for t in plan.tasks})
    tasks = tuple(
        _task(n, plan, by_task.get(n, []), (plan_sheet, actual_sheet), hit_rates.get(n, {}))
        for n in names
    )
    return Reconciliation(tasks, _notes(tasks, usage, actual_sheet))


def _usd(pusd: int) -> str:
    return f"${Decimal(pusd) / PUSD_PER_USD:,.4f}"


def _notes(tasks: tuple[TaskResult, ...], usage: Usage, sheet: PriceSheet) -> tuple[str, ...]:
    notes = []
    for t in tasks:
        if not t.planned:
            notes.append(
                f"unplanned task {t.name!r}: {t.actual_requests:,} requests, "
                f"{_usd(t.actual_cost_pusd)} (all in the unplanned effect)"
            )
        for x in t.lines:
            if not x.priced:
                spend = "no spend logged" if x.spend_usd is None else f"${x.spend_usd:.4f} logged"
                notes.append(
                    f"unknown model {x.model!r} (task {t.name!r}): {x.actual_requests:,} "
                    f"requests, {spend}; in no price sheet, counted at its logged spend"
                )
            elif not x.planned and t.planned and x.actual_requests:
                notes.append(
                    f"task {t.name!r}: {x.actual_requests:,} requests ({_usd(x.actual_cost_pusd)})"
                    f" on {x.model!r}, which the plan does not use for it (unplanned)"
                )
        if t.basis_pusd:
            notes.append(
                f"task {t.name!r}: the plan's costs per query exceed its tokens at base rates by "
                f"{_usd(_ceil(t.basis_pusd))} on the actual traffic (rounding up, prompt samples, "
                "tiers); counted in the length effect"
            )
    tiered = sorted({g.model for g in usage.groups if g.model in sheet.models
                     and sheet.models[g.model].standard.tiers})
    if tiered:
        notes.append(
            "long-context tiers not applied to actual usage (no per-request lengths): "
            + ", ".join(tiered)
        )
    return tuple(notes)
