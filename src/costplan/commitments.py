"""Commitments: fixed charges with a capacity, planned exactly by enumeration.

A commitment (provisioned throughput, reserved capacity, a committed-use discount; README
"Commitments") costs ``F`` per period whether used or not; up to ``C`` units (requests or
tokens) of its model's use in its mode are then billed at ``price_factor`` x the on-demand
price. With commitments ``1..k`` the exact problem is a fixed-charge model::

    min/max   objective(x) (+ sum_j F_j y_j for min_cost)
    s.t.      every row of the plain problem, budget  b.x + sum_j F_j y_j <= B
              sum_{o committed to j} u_o x_o <= C_j y_j            y_j in {0, 1}

Fixing ``y`` leaves the plain class-level problem with, per taken commitment, a copy of
each eligible option (committed price, rounded up per query) and one capacity row
``commitment:<name>``; the budget loses the fees, share rows gain them. The ``2**k``
subsets (``k <= MAX_COMMITMENTS``) are each solved by the exact class-level solver and the
best plan is kept. Its bound is the best subset bound (max: the largest upper bound, min:
the smallest lower bound plus fees; a proven-infeasible subset has none; a subset with no
bound leaves the plan without one), and the status is :func:`settle`'s. The independent
checker re-prices the fees, the committed rows and their capacities but does not re-derive
the subsets' bounds, so such a plan is written ``feasible`` with the enumeration's bound
and its exact gap (``costplan.preflight.settle_claim``), never ``optimal``.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

import numpy as np

from costplan.errors import InfeasibleError, InputError, SolverLimitError
from costplan.exact import rational_str
from costplan.options import Component, Option, OptionTable
from costplan.plan import CommitmentUse
from costplan.solvers.classlevel import ClassProblem, ClassSolution, LinearRow, solve_class
from costplan.solvers.protocol import settle
from costplan.workload.model import Commitment, Objective


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def units(o: Option, c: Commitment) -> int:
    """Units of ``c`` one query of option ``o`` uses (requests: 1; tokens: all tokens)."""
    return 1 if c.unit == "requests" else o.components[0].tokens_per_query


def eligible(table: OptionTable, o: Option, c: Commitment) -> bool:
    """A plain option of ``c``'s model (aliases and variants: their sheet model) in its mode."""
    if o.kind != "model" or o.mode != c.mode or o.commitment:
        return False
    return sheet_model(table, o.model) == sheet_model(table, c.model)


def sheet_model(table: OptionTable, name: str) -> str:
    """The canonical sheet model ``name`` means (an alias or variant: its model)."""
    from costplan.pricing.model import ModelTable

    models = table.sheet.models
    found = models.canonical(name) if isinstance(models, ModelTable) else None
    return found or name


def committed(o: Option, c: Commitment) -> Option:
    """``o`` served under ``c``: every cost x ``price_factor``, rounded up per query."""
    f = Fraction(c.price_factor)
    cost = _ceil(o.cost_pusd * f)
    comps = tuple(
        Component(p.model, p.provider, p.reach, _ceil(p.cost_pusd * f), p.tokens_per_query)
        for p in o.components
    )
    return dataclasses.replace(
        o, cost_pusd=cost, cost_p95_pusd=_ceil(o.cost_p95_pusd * f),
        cost_sd_pusd=_ceil(o.cost_sd_pusd * f), components=comps, commitment=c.name,
        cost_source="commitment",
    )  # fmt: skip


def refuse(table: OptionTable, what: str) -> None:
    """An InputError when the workload offers commitments: ``what`` does not plan them."""
    w = table.workload
    if w.commitments:
        raise InputError(
            f"{what} does not plan commitments yet; this workload offers "
            f"{len(w.commitments)}",
            file=w.path, key=("commitments",),
            hint="run costplan optimize without that option, or drop 'commitments:'",
        )  # fmt: skip


def check_commitments(table: OptionTable) -> None:
    """Every commitment names a priced model with its mode; else a located InputError."""
    w = table.workload
    for c in w.commitments:
        key = ("commitments", c.index, "model")
        model = table.sheet.models.get(c.model)
        if model is None or c.mode not in model.available_modes():
            why = "not in the price sheet" if model is None else f"has no {c.mode!r} price"
            raise InputError(
                f"commitment {c.name!r}: model {c.model!r} {why}",
                file=w.path, line=w.doc.line_of(key) if w.doc else None, key=key, value=c.model,
            )  # fmt: skip


@dataclass(frozen=True)
class Subset:
    """One on/off choice of the commitments and its exact solve."""

    taken: tuple[Commitment, ...]
    options: list[Option]
    solution: ClassSolution | None  # None: the fees alone exceed the budget
    fee_pusd: int

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.taken)

    def value(self, objective: Objective) -> int | None:
        """The objective with fees (None: no plan)."""
        s = self.solution
        if s is None or s.status not in ("optimal", "feasible"):
            return None
        return s.objective + (self.fee_pusd if objective == "min_cost" else 0)

    def bound(self, objective: Objective) -> int | None:
        """The subset's exact bound with fees; None: unknown (not proven infeasible)."""
        s = self.solution
        if s is None or s.status == "infeasible" or s.bound is None:
            return None
        return s.bound + (self.fee_pusd if objective == "min_cost" else 0)

    def proven_empty(self) -> bool:
        return self.solution is None or self.solution.status == "infeasible"

    def cost(self) -> int:
        """Usage cost of its plan plus fees (tie-break among equal objectives)."""
        assert self.solution is not None
        return (
            int(
                sum(
                    o.cost_pusd * int(n)
                    for o, n in zip(self.options, self.solution.counts, strict=True)
                )
            )
            + self.fee_pusd
        )


def _solve_subset(
    table: OptionTable, taken: tuple[Commitment, ...], objective: Objective,
    budget_pusd: int | None, robust: bool, time_limit_s: float,
) -> Subset:  # fmt: skip
    from costplan.formulation import index_table, integer_row, side_rows

    base = index_table(table, objective, budget_pusd, robust)
    options: list[Option] = []
    for t in table.workload.tasks:
        own = [o for o in base.options if o.task == t.name]
        options += own + [committed(o, c) for c in taken for o in own if eligible(table, o, c)]
    fee = sum(c.fee_pusd for c in taken)
    budget = None if budget_pusd is None else budget_pusd - fee
    if budget is not None and budget < 0:
        return Subset(taken, options, None, fee)
    fixed: dict[str, int] = {}
    for c in taken:
        prov = table.sheet.models[c.model].provider
        fixed[prov] = fixed.get(prov, 0) + c.fee_pusd
    rows: list[LinearRow] = list(side_rows(table, options, fixed))
    for c in taken:
        coefs = [Fraction(units(o, c) if o.commitment == c.name else 0) for o in options]
        label = f"commitment {c.name}: {c.capacity:,} {c.unit}"
        rows.append(integer_row(coefs, Fraction(c.capacity), label, f"commitment:{c.name}"))
    w = table.workload
    p = base.problem
    problem = ClassProblem(
        task=np.asarray([w.task(o.task).index for o in options], dtype=np.int64),
        cost=np.asarray([o.cost_pusd for o in options], dtype=np.int64),
        quality=np.asarray([o.quality_micro for o in options], dtype=np.int64),
        volume=p.volume, floor=p.floor, split=p.split, objective=objective, budget=budget,
        extra=tuple(rows),
        budget_cost=(
            np.asarray([o.cost_p95_pusd for o in options], dtype=np.int64) if robust else None
        ),
        names=p.names,
    )  # fmt: skip
    return Subset(taken, options, solve_class(problem, time_limit_s=time_limit_s), fee)


@dataclass(frozen=True)
class Enumeration:
    """Every subset solved, the best one, and the plan's exact bound over all of them."""

    subsets: tuple[Subset, ...]
    best: Subset
    status: str
    bound: int | None
    gap: Fraction | None


def solve_enumeration(
    table: OptionTable, *, objective: Objective, budget_pusd: int | None,
    time_limit_s: float = 60.0, robust: bool = False,
) -> Enumeration:  # fmt: skip
    """Solve every on/off subset of the workload's commitments (module docstring)."""
    check_commitments(table)
    cs = table.workload.commitments
    picks = [s for r in range(len(cs) + 1) for s in itertools.combinations(cs, r)]
    each = max(1.0, time_limit_s / len(picks))
    subsets = tuple(_solve_subset(table, s, objective, budget_pusd, robust, each) for s in picks)
    found = [s for s in subsets if s.value(objective) is not None]
    if not found:
        if all(s.proven_empty() for s in subsets):
            raise InfeasibleError(
                "no plan meets every quality floor and the budget, with or without any commitment",
                file=table.workload.path,
                hint="raise the budget, lower a min_quality or a commitment's fee",
            )
        raise SolverLimitError(
            f"no plan found within the time limit of {time_limit_s:g} s", hint="raise --time-limit"
        )
    sense: Literal["max", "min"] = "max" if objective == "max_quality" else "min"

    def rank(s: Subset) -> tuple[int, int, int]:
        v = s.value(objective)
        assert v is not None
        return (v if sense == "max" else -v, -s.cost(), -len(s.taken))

    best = max(found, key=rank)
    z = best.value(objective)
    assert z is not None
    bounds = [s.bound(objective) for s in subsets if not s.proven_empty()]
    bound: int | None = None
    if all(b is not None for b in bounds):
        known = [b for b in bounds if b is not None]
        bound = max(known) if sense == "max" else min(known)
    status, bound, gap = settle(sense, z, bound, None)
    return Enumeration(subsets, best, status, bound, gap)


def certificate(e: Enumeration, objective: Objective) -> dict[str, Any] | None:
    """The plan file's certificate of an enumeration (``proof: enumeration``): the bound
    over every subset and each subset's own status, objective and bound, as stated."""
    if e.bound is None:
        return None
    z = e.best.value(objective)
    return {
        "version": 1,
        "sense": "max" if objective == "max_quality" else "min",
        "objective_unit": "quality_micro" if objective == "max_quality" else "pusd",
        "objective": str(z),
        "bound": str(e.bound),
        "prices": {},
        "lagrangian_bound": rational_str(Fraction(e.bound)),
        "proof": "enumeration",
        "scaling": [],
        "slack": {},
        "core": None,
        "subsets": [
            {
                "commitments": list(s.names),
                "status": "infeasible" if s.proven_empty() or s.solution is None
                else s.solution.status,
                "objective": None if s.value(objective) is None else str(s.value(objective)),
                "bound": None if s.bound(objective) is None else str(s.bound(objective)),
            }
            for s in e.subsets
        ],
    }  # fmt: skip


def uses(e: Enumeration, table: OptionTable, objective: Objective) -> tuple[CommitmentUse, ...]:
    """Each commitment as planned: taken, used, break-even, best value with and without."""
    best = e.best
    assert best.solution is not None
    counts = [int(n) for n in best.solution.counts]
    out = []
    sense = 1 if objective == "max_quality" else -1
    for c in table.workload.commitments:
        used = sum(units(o, c) * n for o, n in zip(best.options, counts, strict=True)
                   if o.commitment == c.name)  # fmt: skip

        def best_value(with_it: bool, c: Commitment = c) -> int | None:
            vals = [v for s in e.subsets if (c in s.taken) == with_it
                    and (v := s.value(objective)) is not None]  # fmt: skip
            return max(vals, key=lambda v: sense * v) if vals else None

        out.append(
            CommitmentUse(
                c.name,
                c.model,
                c.mode,
                c.unit,
                c.capacity,
                c.fee_pusd,
                c.price_factor,
                c in best.taken,
                used,
                _break_even(table, best, counts, c),
                best_value(True),
                best_value(False),
            )
        )
    return tuple(out)


def _break_even(
    table: OptionTable, best: Subset, counts: Sequence[int], c: Commitment
) -> int | None:
    """``fee / ((1 - price_factor) r)`` units, ``r`` the on-demand cost per unit of the
    model's use in the plan (its committed rows at their on-demand price); when the plan
    does not use the model, the cheapest per unit of its eligible options."""
    saving = 1 - Fraction(c.price_factor)
    on_demand = {(o.task, o.model, o.mode, o.cache): o for o in best.options if not o.commitment}
    cost = used = 0
    for o, n in zip(best.options, counts, strict=True):
        plain = on_demand.get((o.task, o.model, o.mode, o.cache)) if o.commitment else o
        if n and plain is not None and eligible(table, plain, c):
            cost += plain.cost_pusd * n
            used += units(plain, c) * n
    if used:
        rate = Fraction(cost, used)
    else:
        rates = [Fraction(o.cost_pusd, units(o, c)) for o in on_demand.values()
                 if eligible(table, o, c) and units(o, c) > 0]  # fmt: skip
        if not rates:
            return None
        rate = min(rates)
    if rate * saving == 0:
        return None
    return math.ceil(Fraction(c.fee_pusd) / (rate * saving))


def fee_note(u: CommitmentUse) -> str:
    """One line of the report: break-even, use and whether it pays."""
    from costplan.money import fmt_usd, pusd_to_usd

    fee = fmt_usd(pusd_to_usd(u.fee_pusd))
    be = "never (it saves nothing per unit)" if u.break_even is None else (
        f"{u.break_even:,} {u.unit}")  # fmt: skip
    pct = (Decimal(u.price_factor) * 100).normalize()
    head = (f"commitment {u.name} ({u.model}, {fee} per period for {u.capacity:,} {u.unit}, "
            f"{pct:f}% of on-demand): break-even {be}; ")  # fmt: skip
    if u.taken:
        return head + f"taken, {u.used:,} {u.unit} used: it pays"
    return head + "not taken: it does not pay"


def plan_with_commitments(
    table: OptionTable, *, objective: Objective, budget_pusd: int | None,
    time_limit_s: float, inputs: dict[str, str] | None, robust: bool,
) -> Any:  # fmt: skip
    """The best plan over every commitment subset (a :class:`~costplan.plan.Plan`, not yet
    checked): committed rows as allocations of their own, fees in the totals."""
    from costplan.optimize import plan_from_counts

    e = solve_enumeration(table, objective=objective, budget_pusd=budget_pusd,
                          time_limit_s=time_limit_s, robust=robust)  # fmt: skip
    best = e.best
    assert best.solution is not None
    plan = plan_from_counts(
        table, best.options, [int(n) for n in best.solution.counts], objective=objective,
        budget_pusd=budget_pusd, status=e.status, bound=e.bound, gap=e.gap,
        solver={"name": f"commitment enumeration ({len(e.subsets)} subsets) + "
                        f"{best.solution.method}", "money_scale_pusd": best.solution.scale},
        inputs=inputs, certificate=certificate(e, objective),
    )  # fmt: skip
    used = uses(e, table, objective)
    notes = (*plan.notes, *(fee_note(u) for u in used))
    plan = dataclasses.replace(plan, commitments=used, notes=notes, robust=robust)
    from costplan.risk.plans import risk_of_plan

    return dataclasses.replace(plan, risk=risk_of_plan(plan, table.workload.volume_correlation))
