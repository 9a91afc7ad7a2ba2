"""The CI gate: re-price a saved plan with new price sheets (``costplan check``).

Re-pricing uses exactly the arithmetic of ``optimize``: the workload the plan
names is loaded again, the option table is built with the new sheets by
:func:`costplan.options.build_options`, and every allocation is priced as

    new cost = count x cost_pusd of the option (task, kind, model, mode)

in integer pico-dollars, so re-pricing with unchanged sheets reproduces the
plan's costs to the pico-dollar (a cascade is one option, as in ``optimize``).
Models the workload names but the new sheets no longer have are dropped from
the workload before the table is built (:func:`restrict_to_sheet`; rather than
failing the whole table), so that the check can say which allocations lost
their model. The plan's counts are re-priced as planned, even when the
workload's volumes changed since (a warning says so).

A check **fails** (:attr:`CheckResult.failures`, one reason each) when

* an allocation's model is gone from the sheets, its mode is no longer offered,
  or its option is now excluded (e.g. a context window shrank), or it is no
  longer an option of its task in the workload;
* the re-priced total exceeds the budget (``budget_usd``, else the plan's);
* the total increase exceeds ``max_increase_pct`` percent of the old total
  (compared exactly: ``(new - old) * 100 > max_increase_pct * old``).

``reoptimize=True`` also solves again with the new prices
(:func:`costplan.optimize.optimize`, the plan's objective and budget) so that
the report can say what a fresh plan would save against the re-priced one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from costplan.errors import InfeasibleError, InputError, SolverLimitError
from costplan.money import budget_to_pusd, fmt_over_budget, fmt_usd, pusd_to_usd
from costplan.optimize import optimize
from costplan.options import Option, OptionTable, build_options, option_label
from costplan.plan import Allocation, Plan
from costplan.pricing.load import load_price_sheets
from costplan.pricing.model import PriceSheet
from costplan.pricing.whatif import PriceChange, apply_price_changes
from costplan.safeio import exists
from costplan.workload.load import load_workload
from costplan.workload.model import Objective, Workload


@dataclass(frozen=True)
class AllocationCheck:
    """One allocation of the plan, priced before and after.

    ``new_cost_per_query_pusd`` is None when the new sheets cannot price it
    (model or mode gone); ``problem`` says why the allocation can no longer be
    used as planned (then the check fails), or is None.
    """

    task: str
    model: str  # a model, or a cascade's name
    mode: str
    count: int
    old_cost_per_query_pusd: int
    new_cost_per_query_pusd: int | None
    problem: str | None = None
    kind: str = "model"  # "model" or "cascade"
    new_p95_cost_per_query_pusd: int | None = None  # at p95 lengths (robust plans' budget)
    cache: str = ""

    @property
    def label(self) -> str:
        return option_label(self.model, self.kind, self.mode, self.cache)

    @property
    def old_cost_pusd(self) -> int:
        return self.count * self.old_cost_per_query_pusd

    @property
    def new_cost_pusd(self) -> int | None:
        if self.new_cost_per_query_pusd is None:
            return None
        return self.count * self.new_cost_per_query_pusd


def _sum_or_none(values: Sequence[int | None]) -> int | None:
    if any(v is None for v in values):
        return None
    return sum(v for v in values if v is not None)


def percent_change(old_pusd: int, new_pusd: int | None) -> Decimal | None:
    """``(new - old) / old * 100`` (None when new is unknown or old is zero)."""
    if new_pusd is None or old_pusd == 0:
        return None
    return Decimal(new_pusd - old_pusd) * 100 / Decimal(old_pusd)


@dataclass(frozen=True)
class TaskCheck:
    name: str
    allocations: tuple[AllocationCheck, ...]

    @property
    def old_cost_pusd(self) -> int:
        return sum(a.old_cost_pusd for a in self.allocations)

    @property
    def new_cost_pusd(self) -> int | None:
        """None when some allocation cannot be priced any more."""
        return _sum_or_none([a.new_cost_pusd for a in self.allocations])

    @property
    def change_pct(self) -> Decimal | None:
        return percent_change(self.old_cost_pusd, self.new_cost_pusd)


@dataclass(frozen=True)
class Reoptimized:
    """A fresh plan with the new prices, or why there is none."""

    plan: Plan | None
    error: str | None = None


@dataclass(frozen=True)
class CheckResult:
    """Everything ``costplan check`` reports about one plan."""

    plan: Plan
    plan_path: str | None
    workload_path: str
    price_paths: tuple[str, ...]
    prices_as_of: str | None
    prices_source: str | None
    tasks: tuple[TaskCheck, ...]
    budget_pusd: int | None
    budget_from: str  # "plan" or "--budget"
    max_increase_pct: Decimal | None
    failures: tuple[str, ...]
    warnings: tuple[str, ...]
    reoptimized: Reoptimized | None = None

    @property
    def passed(self) -> bool:
        return not self.failures

    @property
    def old_cost_pusd(self) -> int:
        return sum(t.old_cost_pusd for t in self.tasks)

    @property
    def new_cost_pusd(self) -> int | None:
        return _sum_or_none([t.new_cost_pusd for t in self.tasks])

    @property
    def change_pct(self) -> Decimal | None:
        return percent_change(self.old_cost_pusd, self.new_cost_pusd)


def restrict_to_sheet(workload: Workload, sheet: PriceSheet) -> tuple[Workload, tuple[str, ...]]:
    """The workload without models the sheet lacks.

    Such models leave the quality tables and ``allow`` lists, and cascades with
    such a step are dropped. Returns the restricted workload and the dropped
    model names (sorted); an unchanged workload is returned as is.
    """
    known = sheet.models
    referenced = {m for per in workload.quality.values() for m in per}
    for t in workload.tasks:
        referenced |= set(t.allow or ())
        referenced |= {m for c in t.cascades for m in c.steps}
    gone = tuple(sorted(m for m in referenced if m not in known))
    if not gone:
        return workload, ()
    quality = {
        t: {m: q for m, q in per.items() if m in known} for t, per in workload.quality.items()
    }
    tasks = tuple(
        replace(
            t,
            allow=None if t.allow is None else tuple(m for m in t.allow if m in known),
            cascades=tuple(c for c in t.cascades if all(m in known for m in c.steps)),
        )
        for t in workload.tasks
    )
    return replace(workload, quality=quality, tasks=tasks), gone


def _why_not_an_option(workload: Workload, sheet: PriceSheet, task: str, a: Allocation) -> str:
    """Why (task, kind, model, mode) is not in the option table any more."""
    t = workload.task(task)
    where = f"task {task!r}:"
    if a.kind == "cascade":
        cascade = next((c for c in t.cascades if c.name == a.model), None)
        if cascade is None:
            return f"{where} the workload no longer has cascade {a.model!r}"
        missing = [m for m in cascade.steps if m not in sheet.models]
        if missing:
            return f"{where} cascade {a.model!r} uses {missing[0]!r}, not in the new price sheets"
        return f"{where} {a.label} is not an option for a {t.latency} task"
    model = sheet.models.get(a.model)
    if model is None:
        return f"{where} model {a.model!r} is not in the new price sheets"
    if a.mode not in model.available_modes():
        return f"{where} {a.model} no longer offers {a.mode} mode"
    if a.model not in workload.quality.get(task, {}):
        return f"{where} the workload no longer scores {a.model} for this task"
    if t.allow is not None and a.model not in t.allow:
        return f"{where} {a.model} is no longer in the task's allow list"
    if a.cache:
        return (
            f"{where} {a.label}: cache choice {a.cache!r} is no longer offered "
            "(the task's cache policy, the model's cache prices or its minimum prefix changed)"
        )
    return f"{where} {a.label} is not an option for a {t.latency} task"


def reprice(
    plan: Plan, table: OptionTable, *, original: Workload | None = None
) -> tuple[TaskCheck, ...]:
    """Price every allocation of ``plan`` with ``table`` (count x option cost_pusd).

    ``original`` is the workload before :func:`restrict_to_sheet` (to tell a
    model the workload dropped from one the sheets dropped). Raises
    :class:`InputError` when a task of the plan is not in the table's workload.
    """
    w = table.workload
    by_key: dict[tuple[str, str, str, str, str], Option] = {
        (o.task, o.kind, o.model, o.mode, o.cache): o for o in table.options
    }
    names = {t.name for t in w.tasks}
    out: list[TaskCheck] = []
    for tp in plan.tasks:
        if tp.name not in names:
            raise InputError(
                f"the plan's task {tp.name!r} is not in the workload",
                file=w.path,
                hint="pass --workload with the workload the plan was made from",
            )
        rows: list[AllocationCheck] = []
        for a in tp.allocations:
            o = by_key.get((tp.name, a.kind, a.model, a.mode, a.cache))
            problem: str | None
            if o is None:
                problem = _why_not_an_option(original or w, table.sheet, tp.name, a)
                new: int | None = None
                new_p95: int | None = None
            else:
                new = o.cost_pusd
                new_p95 = o.cost_p95_pusd
                problem = None
                if o.excluded:
                    problem = f"task {tp.name!r}: {a.label} is now excluded: {o.excluded}"
            rows.append(
                AllocationCheck(
                    task=tp.name,
                    model=a.model,
                    mode=a.mode,
                    count=a.count,
                    old_cost_per_query_pusd=a.cost_per_query_pusd,
                    new_cost_per_query_pusd=new,
                    problem=problem,
                    kind=a.kind,
                    new_p95_cost_per_query_pusd=new_p95,
                    cache=a.cache,
                )
            )
        out.append(TaskCheck(tp.name, tuple(rows)))
    return tuple(out)


def _money(pusd: int) -> str:
    return fmt_usd(pusd_to_usd(pusd))


def _over(cost_pusd: int, budget_pusd: int, whose: str) -> tuple[str, str, str, str]:
    cost, budget, shortfall = fmt_over_budget(cost_pusd, budget_pusd)
    return cost, whose, budget, shortfall


def _pct(value: Decimal) -> str:
    return f"{Decimal(value).normalize():f}%"


def judge(
    tasks: Sequence[TaskCheck],
    *,
    budget_pusd: int | None,
    budget_from: str,
    max_increase_pct: Decimal | None,
    robust: bool = False,
) -> tuple[str, ...]:
    """The reasons a re-priced plan fails the check (empty: it passes).

    ``robust``: the plan was made so that its budget holds at p95 lengths; the
    budget is then checked against the re-priced cost at p95 lengths.
    """
    failures = [a.problem for t in tasks for a in t.allocations if a.problem is not None]
    old = sum(t.old_cost_pusd for t in tasks)
    new = _sum_or_none([t.new_cost_pusd for t in tasks])
    if new is None:
        return tuple(failures)  # totals are unknown; the missing models are the reason
    if robust and budget_pusd is not None:
        p95 = [a.new_p95_cost_per_query_pusd for t in tasks for a in t.allocations]
        counts = [a.count for t in tasks for a in t.allocations]
        at_p95 = sum(c * (q or 0) for c, q in zip(counts, p95, strict=True))
        if at_p95 > budget_pusd:
            whose = "the plan's budget" if budget_from == "plan" else "--budget"
            failures.append(
                "re-priced robust plan costs {} at p95 lengths, over {} of {} by {}".format(
                    *_over(at_p95, budget_pusd, whose)
                )
            )
    if budget_pusd is not None and new > budget_pusd:
        whose = "the plan's budget" if budget_from == "plan" else "--budget"
        failures.append(
            "re-priced plan costs {}, over {} of {} by {}".format(*_over(new, budget_pusd, whose))
        )
    if max_increase_pct is not None and (new - old) * 100 > max_increase_pct * old:
        pct = percent_change(old, new)
        rise = "from $0.00" if pct is None else f"{pct:+.2f}%"
        failures.append(
            f"total cost rises {rise} ({_money(old)} -> {_money(new)}), "
            f"more than --max-increase {_pct(max_increase_pct)}"
        )
    return tuple(failures)


def _models_used(plan: Plan, workload: Workload) -> set[str]:
    """Every model the plan's allocations run on (a cascade's steps included)."""
    used: set[str] = set()
    for tp in plan.tasks:
        for a in tp.allocations:
            if a.kind != "cascade":
                used.add(a.model)
                continue
            steps = (c.steps for c in workload.task(tp.name).cascades if c.name == a.model)
            used.update(next(steps, ()))
    return used


def resolve_workload_path(plan: Plan, plan_path: Path | None, workload_path: Path | None) -> Path:
    """``workload_path`` if given, else the workload file the plan records (which must exist)."""
    if workload_path is not None:
        return workload_path
    if plan.workload_path is None:
        raise InputError(
            "the plan does not record its workload file",
            file=plan_path,
            key="workload_path",
            hint="pass --workload FILE",
        )
    path = Path(plan.workload_path)
    if not exists(path):
        raise InputError(
            "the plan's workload file is not found (relative to the current directory)",
            file=plan_path,
            key="workload_path",
            value=plan.workload_path,
            hint="run from the directory optimize ran in, or pass --workload FILE",
        )
    return path


def check_plan(
    plan: Plan,
    *,
    plan_path: Path | None = None,
    workload_path: Path | None = None,
    prices: Sequence[Path] = (),
    price_changes: Sequence[PriceChange] = (),
    budget_usd: Decimal | None = None,
    max_increase_pct: Decimal | None = None,
    reoptimize: bool = False,
    time_limit_s: float = 60.0,
) -> CheckResult:
    """Re-price ``plan`` with ``prices`` (default: the workload's sheets); see the module doc.

    Raises :class:`InputError` for unreadable inputs or a plan that does not
    match its workload; never raises for a failed check (see ``failures``).
    """
    if max_increase_pct is not None and max_increase_pct < 0:
        raise InputError("--max-increase must be a non-negative percentage", value=max_increase_pct)
    wpath = resolve_workload_path(plan, plan_path, workload_path)
    workload = load_workload(wpath)
    warnings: list[str] = []
    recorded = plan.inputs.get(plan.workload_path) if plan.workload_path else None
    if recorded is not None and workload.doc is not None and recorded != workload.doc.sha256:
        warnings.append(
            f"workload {wpath} changed since the plan was made (sha256 differs from the "
            "plan's inputs); re-pricing uses the current file"
        )
    paths = tuple(prices) or workload.price_paths
    if not paths:
        raise InputError(
            "no price sheet given",
            file=wpath,
            key="prices",
            hint="pass --prices FILE or set 'prices:' in the workload",
        )
    sheet = apply_price_changes(load_price_sheets(paths), price_changes)
    restricted, gone = restrict_to_sheet(workload, sheet)
    table = build_options(restricted, sheet)
    tasks = reprice(plan, table, original=workload)
    unused_gone = [m for m in gone if m not in _models_used(plan, workload)]
    if unused_gone:
        warnings.append(
            "the workload names models the new price sheets do not have (ignored, the plan "
            "does not use them): " + ", ".join(unused_gone)
        )
    for tp in plan.tasks:
        volume = restricted.task(tp.name).volume
        if volume != tp.volume:
            warnings.append(
                f"task {tp.name!r}: the workload's volume is now {volume:,}, the plan's "
                f"{tp.volume:,}; re-priced at the planned counts"
            )
    budget_pusd = budget_to_pusd(budget_usd) if budget_usd is not None else plan.budget_pusd
    budget_from = "--budget" if budget_usd is not None else "plan"
    failures = judge(
        tasks,
        budget_pusd=budget_pusd,
        budget_from=budget_from,
        max_increase_pct=max_increase_pct,
        robust=plan.robust,
    )
    again = None
    if reoptimize:
        objective: Objective = "min_cost" if plan.objective == "min_cost" else "max_quality"
        try:
            fresh = optimize(
                table,
                objective=objective,
                budget_usd=None if budget_pusd is None else pusd_to_usd(budget_pusd),
                time_limit_s=time_limit_s,
                robust=plan.robust,
            )
            again = Reoptimized(fresh)
        except (InfeasibleError, SolverLimitError, InputError) as exc:
            again = Reoptimized(None, str(exc))
    return CheckResult(
        plan=plan,
        plan_path=None if plan_path is None else str(plan_path),
        workload_path=str(wpath),
        price_paths=tuple(str(p) for p in paths),
        prices_as_of=sheet.as_of.isoformat() if sheet.as_of else None,
        prices_source=sheet.source,
        tasks=tasks,
        budget_pusd=budget_pusd,
        budget_from=budget_from,
        max_increase_pct=max_increase_pct,
        failures=failures,
        warnings=tuple(warnings),
        reoptimized=again,
    )
