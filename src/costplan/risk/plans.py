"""The period-cost distribution of a class-level :class:`~costplan.plan.Plan`."""

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


def risk_of_plan(plan: Plan, rho: Decimal = Decimal(0)) -> PeriodRisk | None:
    """The plan's period risk (None for per-query plans: their costs are per query exact)."""
    if any(a.per_query for t in plan.tasks for a in t.allocations):
        return None
    return period_risk(period_parts(plan), rho=rho, budget_pusd=plan.budget_pusd)


def period_parts(plan: Plan) -> list[TaskCosts]:
    """:func:`task_costs` and, last, the commitment fees as one more part (one query of
    fixed volume and no spread: a constant added to the period total)."""
    costs = task_costs(plan)
    if plan.fees_pusd:
        costs.append(TaskCosts("commitment fees", FIXED, 1, ((1, plan.fees_pusd, 0),)))
    return costs
