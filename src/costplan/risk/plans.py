"""The period-cost distribution of a :class:`~costplan.plan.Plan`.

Class-level plans: :mod:`costplan.risk.period`. Per-query plans (``costplan assign``)
price each query of the file from its own tokens, so for the queries given the total is
exact: method ``exact``, ``sd = 0``, every quantile the plan's cost, ``P(cost <= budget)``
1 or 0. (That is a statement about these queries with their stated output lengths, not a
forecast of another period's traffic.)
"""

from __future__ import annotations

from decimal import Decimal

from costplan.plan import Plan
from costplan.risk.period import PeriodRisk, TaskCosts, period_risk
from costplan.risk.volume import FIXED


def task_costs(plan: Plan) -> list[TaskCosts]:
    """Each task's (count, cost, sd) per allocation, as :mod:`costplan.risk.period` needs."""
    return [
        TaskCosts(
            t.name, t.volume_spread, t.samples,
            tuple((a.count, a.cost_per_query_pusd, a.cost_sd_per_query_pusd)
                  for a in t.allocations),
        )
        for t in plan.tasks
    ]


def exact_risk(cost_pusd: int, budget_pusd: int | None) -> PeriodRisk:
    """The degenerate distribution of an exactly known total (module docstring)."""
    p = None if budget_pusd is None else Decimal(int(cost_pusd <= budget_pusd))
    return PeriodRisk("exact", cost_pusd, 0, (cost_pusd, cost_pusd, cost_pusd), p)


def risk_of_plan(plan: Plan, rho: Decimal = Decimal(0)) -> PeriodRisk:
    """The plan's period risk (module docstring)."""
    if any(a.per_query for t in plan.tasks for a in t.allocations):
        return exact_risk(plan.cost_pusd, plan.budget_pusd)
    return period_risk(period_parts(plan), rho=rho, budget_pusd=plan.budget_pusd)


def period_parts(plan: Plan) -> list[TaskCosts]:
    """:func:`task_costs` and, last, the commitment fees as one more part (one query of
    fixed volume and no spread: a constant added to the period total)."""
    costs = task_costs(plan)
    if plan.fees_pusd:
        costs.append(TaskCosts("commitment fees", FIXED, 1, ((1, plan.fees_pusd, 0),)))
    return costs
