"""Independent plan verification: a second, simpler computation that must agree.

:func:`verify_plan` re-derives everything a plan claims from the inputs alone
(the workload, the price sheet and the documented contracts), without the
option table's arithmetic or the solver, and raises
:class:`~costplan.errors.InternalError` listing **every** violation. A plan that
fails is a bug in costplan: it is never written.

Checks (``V_t`` task volume, ``x_a`` allocation count, all money integer
pico-dollars, all quality integer micro-units rounded down, floors rounded up):

* structure: every workload task appears once, in order, with its volume;
  counts are ``int`` (not bool) and >= 0; ``sum_a x_a = V_t``; no option appears
  twice in a task; status is ``optimal`` (gap 0) or ``feasible`` (gap >= 0);
* usable options only: the model is in the price sheet and scored for the task
  in the quality table, in ``allow`` when given; the serving mode is offered by
  the model and permitted by the task's latency (``realtime``: standard;
  ``batch``: standard, batch, flex); the p95 request fits the context window and
  max output; a cascade is one of the task's cascades, in its mode, with steps
  that are usable in that mode; ``split: false`` tasks use one option;
* costs recomputed from the price sheet with
  :func:`costplan.pricing.cost.request_cost_int` (Python integers, no int64):
  per query ``ceil(sum_samples cost(sample) / n)``; at p95 the cost of the p95
  prompt with p95 output; a measured cost replaces the standard mode's token
  cost and scales other modes by ``ceil(measured * mode / standard)``; a
  cascade costs ``ceil(sum_i reach_i * step_i)`` in exact rationals. Each
  allocation's ``cost_per_query`` and ``cost_p95_per_query`` must equal these
  to the pico-dollar, and so (hence) every task total and the plan total;
* quality per allocation equals the workload's score (or the cascade's);
* budget: ``sum_a x_a c_a <= B`` exactly (p95 costs when ``robust``);
* floors: ``sum_a (q_a - f_t) x_a >= 0`` exactly in micro-units;
* side constraints: model capacities (requests, tokens; rate limits x period
  when ``use_rate_limits``) and provider spend shares, in exact rationals with
  cascades counted per step by reach;
* bound: ``bound >= objective`` (max_quality) or ``bound <= objective``
  (min_cost) within a relative float tolerance of 1e-9.

Without a table (``table=None``) only the checks that need no inputs run
(structure, budget and floors with the plan's own numbers, bound): useful for
plans that are not built from an option table.

Prompt tokens are counted again with the model's tokenizer (the counter and
:func:`costplan.options.tokenizer_for`'s choice of tokenizer are inputs, not
arithmetic); with ``max_samples`` the documented seeded subsample
(``numpy.random.default_rng(0)``, sorted indices) is counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

from costplan.errors import InternalError
from costplan.money import PUSD_PER_USD
from costplan.pricing.cost import request_cost_int
from costplan.workload.model import MINUTES_PER_PERIOD

if TYPE_CHECKING:
    from costplan.options import OptionTable
    from costplan.plan import Allocation, Plan, TaskPlan
    from costplan.pricing.model import ModelPrice
    from costplan.tokens.tokenizer import TokenizerSpec
    from costplan.workload.model import Cascade, Task, Workload
    from costplan.yamlsource import SourceDocument

QUALITY_SCALE = 10**6
#: Serving modes a task's latency permits (the contract, stated independently).
LATENCY_MODES = {
    "realtime": frozenset({"standard"}),
    "batch": frozenset({"standard", "batch", "flex"}),
}
_BOUND_RTOL = 1e-9
_MAX_LISTED = 25


def quality_micro(q: Decimal) -> int:
    """Quality in integer micro-units, rounded down (README: in the user's disfavour)."""
    return int((q * QUALITY_SCALE).to_integral_value(rounding=ROUND_FLOOR))


def floor_micro(q: Decimal) -> int:
    """A quality floor in integer micro-units, rounded up (README: in the user's disfavour)."""
    return int((q * QUALITY_SCALE).to_integral_value(rounding=ROUND_CEILING))


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


@dataclass(frozen=True)
class _Cost:
    """Recomputed cost of one query of an option (pico-dollars) and its token use."""

    cost: int
    cost_p95: int
    tokens_per_query: int  # ceil(mean prompt) + cached + output + reasoning
    excluded: str | None


@dataclass(frozen=True)
class _Step:
    """One model inside an allocation: ``reach`` of its queries, at ``cost`` each."""

    model: str
    provider: str
    reach: Fraction
    cost: int
    tokens_per_query: int


class _Inputs:
    """Costs recomputed from the workload and price sheet, memoised per option."""

    def __init__(self, table: OptionTable) -> None:
        self.workload: Workload = table.workload
        self.sheet = table.sheet
        self._counts: dict[tuple[int, TokenizerSpec], list[int]] = {}
        self._costs: dict[tuple[str, str, str, str], _Cost] = {}

    def prompt_counts(self, task: Task, model: ModelPrice) -> list[int]:
        from costplan.options import tokenizer_for

        if task.prompt.tokens is not None:
            return [task.prompt.tokens]
        spec = tokenizer_for(model)
        key = (task.index, spec)
        if key not in self._counts:
            self._counts[key] = count_prompt_tokens(task, spec)
        return self._counts[key]

    def token_cost(self, task: Task, model_name: str, mode: str, cache: str = "") -> _Cost:
        """Cost from tokens alone (no measured override), with the prefix billed per
        ``cache``: ``""`` read on every query, ``none`` as input, a TTL ``h * hit +
        (1 - h) * miss`` (README "Prompt caching")."""
        key = (task.name, model_name, mode, cache)
        if key in self._costs:
            return self._costs[key]
        model = self.sheet.models[model_name]
        schedule = model.schedule(mode)
        counts = self.prompt_counts(task, model)
        shared, reasoning = task.shared_prefix_tokens, task.reasoning_tokens

        def one(u: int, output: int) -> Fraction:
            def price(**kw: int) -> int:
                return request_cost_int(schedule, output=output, reasoning=reasoning, **kw)

            if cache == "":
                return Fraction(price(uncached=u, cached=shared))
            if cache == "none":
                return Fraction(price(uncached=u + shared))
            assert task.cache is not None
            h = Fraction(task.cache.hit_rates[cache])
            write = {"5m": "cache_write", "1h": "cache_write_1h"}[cache]
            return h * price(uncached=u, cached=shared) + (1 - h) * price(
                uncached=u, **{write: shared}
            )

        total = sum((one(u, task.output.mean_tokens) for u in counts), Fraction(0))
        p95 = p95_higher(counts)
        cost_p95 = _ceil(one(p95, task.output.p95_tokens))
        needed = p95 + shared + task.output.p95_tokens + reasoning
        out = task.output.p95_tokens + reasoning
        excluded = None
        if model.context_window is not None and needed > model.context_window:
            excluded = f"p95 request of {needed} tokens exceeds the context window"
        elif model.max_output_tokens is not None and out > model.max_output_tokens:
            excluded = f"p95 output of {out} tokens exceeds max output"
        tokens = (
            _ceil(Fraction(sum(counts), len(counts))) + shared + task.output.mean_tokens + reasoning
        )
        result = _Cost(_ceil(total / len(counts)), cost_p95, tokens, excluded)
        self._costs[key] = result
        return result

    def option_cost(self, task: Task, model_name: str, mode: str, cache: str = "") -> _Cost:
        """Token cost, or the measured cost scaled to ``mode`` (see the module docs)."""
        tok = self.token_cost(task, model_name, mode, cache)
        measured = self.workload.measured_cost_usd.get(task.name, {}).get(model_name)
        if measured is None:
            return tok
        measured_pusd = Fraction(measured) * PUSD_PER_USD
        standard = self.token_cost(task, model_name, "standard").cost
        scaled = _ceil(measured_pusd * tok.cost / standard) if standard else _ceil(measured_pusd)
        p95 = _ceil(Fraction(tok.cost_p95 * scaled, tok.cost)) if tok.cost else scaled
        return _Cost(scaled, p95, tok.tokens_per_query, tok.excluded)


def p95_higher(counts: Sequence[int]) -> int:
    """The 95th percentile with numpy's ``method="higher"``: a real sample's count."""
    ordered = sorted(counts)
    rank = Fraction(95, 100) * (len(ordered) - 1)
    return ordered[_ceil(rank)]


def count_prompt_tokens(task: Task, spec: TokenizerSpec) -> list[int]:
    """Token counts of the task's prompt samples (its documented seeded subsample)."""
    import numpy as np

    from costplan.tokens.count import count_tokens

    texts: Sequence[str] = task.prompt.texts
    limit = task.prompt.max_samples
    if limit is not None and len(texts) > limit:
        picked = np.sort(np.random.default_rng(0).choice(len(texts), limit, replace=False))
        texts = [texts[int(i)] for i in picked]
    return [int(c) for c in count_tokens(list(texts), spec)]


class _Report:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, text: str) -> None:
        self.items.append(text)

    def raise_if_any(self, plan: Plan) -> None:
        if not self.items:
            return
        shown = self.items[:_MAX_LISTED]
        more = len(self.items) - len(shown)
        text = "; ".join(shown) + (f"; and {more} more" if more else "")
        raise InternalError(
            f"plan for {plan.workload!r} failed independent verification "
            f"({len(self.items)} violation{'s' if len(self.items) != 1 else ''}): {text}",
            hint="this is a bug in costplan, please report it; no plan file was written",
        )


def verify_plan(plan: Plan, table: OptionTable | None = None, *, robust: bool = False) -> None:
    """Raise :class:`InternalError` naming every way ``plan`` breaks its contract.

    ``table`` gives the inputs to recompute costs and usability from (its option
    list is not used); ``robust``: the budget binds p95 costs, as in
    ``optimize(robust=True)``. See the module docstring for the checks.
    """
    report = _Report()
    _check_structure(plan, report)
    steps: dict[tuple[str, int], list[_Step]] = {}
    costs: dict[tuple[str, int], tuple[int, int]] = {}
    if table is not None:
        inputs = _Inputs(table)
        _check_tasks_match(plan, table.workload, report)
        tasks = {t.name: t for t in table.workload.tasks}
        for tp in plan.tasks:
            task = tasks.get(tp.name)
            if task is None:
                continue
            for j, a in enumerate(tp.allocations):
                found = _check_allocation(inputs, task, a, report)
                if found is not None:
                    costs[(tp.name, j)] = (found[0].cost, found[0].cost_p95)
                    steps[(tp.name, j)] = found[1]
            _check_split(task.split, tp, report)
        _check_side_constraints(plan, table, steps, costs, report)
    _check_money_and_floors(plan, costs, robust, report)
    _check_bound(plan, costs, report)
    report.raise_if_any(plan)


def _is_count(n: object) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and n >= 0


def _check_structure(plan: Plan, report: _Report) -> None:
    if plan.status not in ("optimal", "feasible"):
        report.add(f"status is {plan.status!r}, expected 'optimal' or 'feasible'")
    if plan.status == "optimal" and plan.gap != 0:
        report.add(f"status optimal but gap is {plan.gap!r}")
    if not (plan.gap >= 0):  # also catches NaN
        report.add(f"gap {plan.gap!r} is not a non-negative number")
    if plan.objective not in ("max_quality", "min_cost"):
        report.add(f"objective {plan.objective!r} is unknown")
    for tp in plan.tasks:
        seen: set[tuple[str, str, str]] = set()
        for a in tp.allocations:
            if not _is_count(a.count):
                report.add(f"task {tp.name!r}: {a.label} count {a.count!r} is not an integer >= 0")
            ident = (a.kind, a.model, a.mode)
            if ident in seen:
                report.add(f"task {tp.name!r}: {a.label} is allocated twice")
            seen.add(ident)
        total = sum(a.count for a in tp.allocations if _is_count(a.count))
        if total != tp.volume:
            report.add(f"task {tp.name!r}: counts sum to {total:,}, volume is {tp.volume:,}")


def _check_tasks_match(plan: Plan, w: Workload, report: _Report) -> None:
    if plan.period != w.period:
        report.add(f"period {plan.period!r} is not the workload's {w.period!r}")
    names = [t.name for t in plan.tasks]
    expected = [t.name for t in w.tasks]
    if names != expected:
        report.add(f"tasks {names} are not the workload's {expected}")
    by_name = {t.name: t for t in w.tasks}
    for tp in plan.tasks:
        task = by_name.get(tp.name)
        if task is not None and tp.volume != task.volume:
            report.add(
                f"task {tp.name!r}: volume {tp.volume:,} is not the workload's {task.volume:,}"
            )
        if task is not None and tp.min_quality != task.min_quality:
            report.add(
                f"task {tp.name!r}: min_quality {tp.min_quality} is not the workload's "
                f"{task.min_quality}"
            )


def _check_split(split: bool, tp: TaskPlan, report: _Report) -> None:
    used = [a for a in tp.allocations if _is_count(a.count) and a.count > 0]
    if not split and len(used) > 1:
        report.add(
            f"task {tp.name!r} has split: false but uses {len(used)} options "
            f"({', '.join(a.label for a in used)})"
        )


def _model_problem(inputs: _Inputs, task: Task, model: str, mode: str) -> str | None:
    """Why (task, model, mode) is not usable by itself, or None."""
    sheet_model = inputs.sheet.models.get(model)
    if sheet_model is None:
        return f"model {model!r} is not in the price sheet"
    if mode not in sheet_model.available_modes():
        return f"model {model!r} has no {mode!r} price"
    if mode not in LATENCY_MODES[task.latency]:
        return f"mode {mode!r} is not allowed for a {task.latency} task"
    return None


def _check_allocation(
    inputs: _Inputs, task: Task, a: Allocation, report: _Report
) -> tuple[_Cost, list[_Step]] | None:
    where = f"task {task.name!r}: {a.label}"
    if a.kind == "cascade":
        return _check_cascade(inputs, task, a, report)
    if a.kind != "model":
        report.add(f"{where}: unknown allocation kind {a.kind!r}")
        return None
    problem = _model_problem(inputs, task, a.model, a.mode)
    if problem is None and task.allow is not None and a.model not in task.allow:
        problem = "model is not in the task's 'allow' list"
    score = inputs.workload.quality.get(task.name, {}).get(a.model)
    if problem is None and score is None:
        problem = "model has no quality score for the task"
    if problem is not None:
        report.add(f"{where}: not usable: {problem}")
        return None
    assert score is not None
    if a.cache not in _cache_choices(inputs, task, a.model, a.mode):
        report.add(f"{where}: not usable: cache {a.cache!r} is not a choice of the task")
        return None
    cost = inputs.option_cost(task, a.model, a.mode, a.cache)
    if cost.excluded is not None:
        report.add(f"{where}: not usable: {cost.excluded}")
    provider = inputs.sheet.models[a.model].provider
    if a.provider != provider:
        report.add(f"{where}: provider {a.provider!r}, price sheet says {provider!r}")
    if a.quality != score:
        report.add(f"{where}: quality {a.quality}, the workload scores it {score}")
    _compare_costs(where, a, cost, report)
    step = _Step(a.model, provider, Fraction(1), cost.cost, cost.tokens_per_query)
    return cost, [step]


def _cache_choices(inputs: _Inputs, task: Task, model_name: str, mode: str) -> list[str]:
    """Cache choices of a (task, model, mode): the policy's TTLs the schedule offers and
    ``none``; only ``none`` below the model's minimum cacheable prefix; ``""`` without a
    policy."""
    from costplan.pricing.caching import min_cacheable_tokens

    if task.cache is None:
        return [""]
    model = inputs.sheet.models[model_name]
    if task.shared_prefix_tokens < min_cacheable_tokens(model):
        return ["none"]
    has_1h = model.schedule(mode).base.cache_write_1h_usd_per_mtok is not None
    return [k for k in task.cache.choices() if k in ("none", "5m") or (k == "1h" and has_1h)]


def _find_cascade(task: Task, name: str) -> Cascade | None:
    return next((c for c in task.cascades if c.name == name), None)


def _check_cascade(
    inputs: _Inputs, task: Task, a: Allocation, report: _Report
) -> tuple[_Cost, list[_Step]] | None:
    where = f"task {task.name!r}: {a.label}"
    cascade = _find_cascade(task, a.model)
    if cascade is None:
        report.add(f"{where}: the task has no cascade named {a.model!r}")
        return None
    if a.mode != cascade.mode:
        report.add(f"{where}: mode {a.mode!r}, the cascade runs in {cascade.mode!r}")
        return None
    reach = [Fraction(1)]
    for rate in cascade.escalate:
        reach.append(reach[-1] * Fraction(rate))
    steps: list[_Step] = []
    cost = Fraction(0)
    cost_p95 = Fraction(0)
    for model, r in zip(cascade.steps, reach, strict=False):
        problem = _model_problem(inputs, task, model, cascade.mode)
        if problem is not None:
            report.add(f"{where}: step {model!r} not usable: {problem}")
            return None
        # A step uses its cheapest cache choice (ties: the first in choice order).
        c = min(
            (inputs.option_cost(task, model, cascade.mode, k)
             for k in _cache_choices(inputs, task, model, cascade.mode)),
            key=lambda x: (x.excluded is not None, x.cost),
        )  # fmt: skip
        if c.excluded is not None:
            report.add(f"{where}: step {model!r} not usable: {c.excluded}")
        provider = inputs.sheet.models[model].provider
        steps.append(_Step(model, provider, r, c.cost, c.tokens_per_query))
        cost += r * c.cost
        cost_p95 += r * c.cost_p95
    if a.quality != cascade.quality:
        report.add(f"{where}: quality {a.quality}, the cascade measures {cascade.quality}")
    total = _Cost(_ceil(cost), _ceil(cost_p95), 0, None)
    _compare_costs(where, a, total, report)
    return total, steps


def _compare_costs(where: str, a: Allocation, cost: _Cost, report: _Report) -> None:
    if a.per_query:
        return  # per-query plans carry exact totals, not a per-query price
    if a.cost_per_query_pusd != cost.cost:
        report.add(
            f"{where}: cost per query {a.cost_per_query_pusd} pusd, "
            f"recomputed from the price sheet {cost.cost} pusd"
        )
    if a.cost_p95_per_query_pusd != cost.cost_p95:
        report.add(
            f"{where}: p95 cost per query {a.cost_p95_per_query_pusd} pusd, "
            f"recomputed {cost.cost_p95} pusd"
        )


def _alloc_cost(
    plan_task: str, j: int, a: Allocation, costs: dict[tuple[str, int], tuple[int, int]]
) -> tuple[int, int]:
    """Exact (cost, p95 cost) of allocation ``j``: recomputed when known, else the plan's."""
    if a.per_query:
        return a.cost_pusd, a.cost_p95_pusd
    per, per95 = costs.get((plan_task, j), (a.cost_per_query_pusd, a.cost_p95_per_query_pusd))
    return a.count * per, a.count * per95


def _check_money_and_floors(
    plan: Plan, costs: dict[tuple[str, int], tuple[int, int]], robust: bool, report: _Report
) -> None:
    spend = 0
    spend95 = 0
    for tp in plan.tasks:
        task_cost = 0
        for j, a in enumerate(tp.allocations):
            c, c95 = _alloc_cost(tp.name, j, a, costs)
            task_cost += c
            spend95 += c95
            if a.cost_pusd != c:
                report.add(f"task {tp.name!r}: {a.label} costs {a.cost_pusd} pusd, expected {c}")
        spend += task_cost
        if tp.cost_pusd != task_cost:
            report.add(f"task {tp.name!r}: total {tp.cost_pusd} pusd, rows sum to {task_cost}")
        if tp.min_quality is not None and tp.volume > 0:
            floor = floor_micro(tp.min_quality)
            slack = sum(_quality_total(a) - floor * a.count for a in tp.allocations)
            if slack < 0:
                mean = Fraction(slack + floor * tp.volume, tp.volume * QUALITY_SCALE)
                report.add(
                    f"task {tp.name!r}: mean quality {float(mean):.6f} is below its floor "
                    f"{tp.min_quality}"
                )
    if plan.cost_pusd != spend:
        report.add(f"plan total {plan.cost_pusd} pusd, recomputed {spend} pusd")
    if plan.budget_pusd is not None:
        binding = spend95 if robust else spend
        if binding > plan.budget_pusd:
            what = "p95 cost" if robust else "cost"
            report.add(
                f"{what} {binding} pusd exceeds the budget {plan.budget_pusd} pusd "
                f"by {binding - plan.budget_pusd} pusd"
            )


def _quality_total(a: Allocation) -> int:
    if a.quality_total_micro is not None:
        return a.quality_total_micro
    return a.count * quality_micro(a.quality)


def _check_bound(
    plan: Plan, costs: dict[tuple[str, int], tuple[int, int]], report: _Report
) -> None:
    if plan.objective == "max_quality":
        objective = sum(_quality_total(a) for t in plan.tasks for a in t.allocations)
    else:
        objective = sum(
            _alloc_cost(t.name, j, a, costs)[0]
            for t in plan.tasks
            for j, a in enumerate(t.allocations)
        )
    bound = plan.bound
    if bound != bound:  # NaN
        report.add("the objective bound is not a number")
        return
    tol = _BOUND_RTOL * max(1.0, abs(float(objective)))
    if plan.objective == "max_quality" and bound < objective - tol:
        report.add(f"bound {bound!r} is below the plan's quality {objective} (max_quality)")
    if plan.objective == "min_cost" and bound > objective + tol:
        report.add(f"bound {bound!r} is above the plan's cost {objective} pusd (min_cost)")


def _capacities(
    table: OptionTable, models: Iterable[str]
) -> dict[str, tuple[int | None, int | None]]:
    """(requests, tokens) capacity per period of each model, None where unlimited."""
    w = table.workload
    c = w.constraints
    minutes = MINUTES_PER_PERIOD[w.period]
    out: dict[str, tuple[int | None, int | None]] = {}
    for m in models:
        cap = c.capacity.get(m)
        requests = cap.requests if cap is not None else None
        tokens = cap.tokens if cap is not None else None
        limits = table.sheet.models[m].limits
        if c.use_rate_limits:
            if requests is None and limits.requests_per_minute is not None:
                requests = limits.requests_per_minute * minutes
            if tokens is None and limits.tokens_per_minute is not None:
                tokens = limits.tokens_per_minute * minutes
        out[m] = (requests, tokens)
    return out


def _check_side_constraints(
    plan: Plan,
    table: OptionTable,
    steps: dict[tuple[str, int], list[_Step]],
    costs: dict[tuple[str, int], tuple[int, int]],
    report: _Report,
) -> None:
    requests: dict[str, Fraction] = {}
    tokens: dict[str, Fraction] = {}
    by_provider: dict[str, Fraction] = {}
    total = Fraction(0)
    for tp in plan.tasks:
        for j, a in enumerate(tp.allocations):
            if (tp.name, j) not in steps or not _is_count(a.count):
                continue
            total += a.count * costs[(tp.name, j)][0]
            for s in steps[(tp.name, j)]:
                requests[s.model] = requests.get(s.model, Fraction(0)) + a.count * s.reach
                tokens[s.model] = (
                    tokens.get(s.model, Fraction(0)) + a.count * s.reach * s.tokens_per_query
                )
                by_provider[s.provider] = (
                    by_provider.get(s.provider, Fraction(0)) + a.count * s.reach * s.cost
                )
    for m, (req_cap, tok_cap) in _capacities(table, sorted(requests)).items():
        if req_cap is not None and requests[m] > req_cap:
            report.add(
                f"model {m!r}: {float(requests[m]):,.0f} requests exceed its capacity {req_cap:,}"
            )
        if tok_cap is not None and tokens[m] > tok_cap:
            report.add(
                f"model {m!r}: {float(tokens[m]):,.0f} tokens exceed its capacity {tok_cap:,}"
            )
    shares = table.workload.constraints.max_provider_share
    for prov, spent in sorted(by_provider.items()):
        share = shares.get(prov) or shares.get("*")
        if share is None or share >= 1:
            continue
        if spent > Fraction(share) * total:
            cap = (share * 100).normalize()
            report.add(
                f"provider {prov!r}: spend {float(spent / PUSD_PER_USD):,.2f} USD is more than "
                f"{cap:f}% of the plan's {float(total / PUSD_PER_USD):,.2f} USD"
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
    from costplan.money import pusd_to_usd

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
