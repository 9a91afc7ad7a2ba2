"""The drift gate: reasons why the month drifted past its thresholds (one line each).

* ``--max-overrun P``: actual cost above the plan's by more than ``P`` percent,
  exactly: ``100 x (actual - plan) > P x plan`` (+10.00% passes ``--max-overrun 10``);
  with a plan cost of 0, any actual cost is an overrun.
* ``--max-mix-drift P``: a task whose *quality-weighted off-plan share* exceeds ``P``
  percent, exactly. It is ``1 - sum_m min(p_m, a_m) q_m / sum_m p_m q_m``, with ``p_m``
  and ``a_m`` the planned and actual shares of the task's requests on model ``m`` and
  ``q_m`` the quality the plan has for ``m`` on the task
  (:func:`costplan.reconcile.decompose.on_plan_shares`): the share of the plan's
  quality-weighted traffic that did not run on the model the plan said, so traffic
  leaving a model of quality 0.9 weighs more than traffic leaving one of 0.7; with
  equal qualities it is the share of requests. Unplanned models need no quality (the
  plan gives them none, and their ``p_m`` is 0). A task the plan does not have is off
  plan entirely (100%). A planned task without traffic has no share (its volume shows
  in the overrun). The request share (unweighted) is reported beside it.

Exit codes of ``costplan reconcile`` (README, "Plan against actual"): 0 within every
threshold given (or none given), 1 some threshold broken (the reasons on stderr, one
per line, after ``error: reconcile gate failed:``; every requested output is written
first), 2 invalid input.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from costplan.money import PUSD_PER_USD
from costplan.reconcile.decompose import Reconciliation, TaskResult


@dataclass(frozen=True)
class Thresholds:
    max_overrun_pct: Decimal | None = None
    max_mix_drift_pct: Decimal | None = None

    @property
    def any(self) -> bool:
        return self.max_overrun_pct is not None or self.max_mix_drift_pct is not None


def _pct(x: Fraction) -> str:
    return f"{Decimal(x.numerator) / Decimal(x.denominator) * 100:.2f}%"


def _usd(pusd: int) -> str:
    return f"${Decimal(pusd) / PUSD_PER_USD:,.2f}"


def off_plan_share(t: TaskResult, *, quality_weighted: bool = False) -> Fraction | None:
    """``1 - on-plan share`` (by requests, or quality-weighted); 1 for a task the plan
    does not have; None without a share."""
    if not t.planned:
        return Fraction(1) if t.actual_requests else None
    on = t.quality_on_plan_share if quality_weighted else t.on_plan_share
    return None if on is None else 1 - on


def _elsewhere(t: TaskResult) -> str:
    """Where the drifted traffic went: models whose actual share exceeds the plan's."""
    parts = []
    for x in t.lines:
        plan = Fraction(x.plan_requests, t.plan_volume) if t.plan_volume else Fraction(0)
        actual = Fraction(x.actual_requests, t.actual_requests) if t.actual_requests else 0
        if actual > plan:
            parts.append(f"{x.model} +{_pct(actual - plan)}")
    return ", ".join(parts)


def reasons(r: Reconciliation, th: Thresholds) -> list[str]:
    """Every broken threshold, one line each (empty: the gate passes)."""
    out = []
    plan, actual = r.plan_cost_pusd, r.actual_cost_pusd
    if th.max_overrun_pct is not None:
        limit = th.max_overrun_pct
        over = 100 * (actual - plan) > limit * plan if plan else actual > 0
        if over:
            pct = f"{Decimal(actual - plan) / plan * 100:+.2f}%" if plan else "from nothing"
            out.append(
                f"actual cost {_usd(actual)} is {pct} against the plan's {_usd(plan)}, "
                f"more than --max-overrun {limit}%"
            )
    if th.max_mix_drift_pct is not None:
        limit = th.max_mix_drift_pct
        for t in r.tasks:
            off = off_plan_share(t, quality_weighted=True)
            if off is None or off * 100 <= Fraction(limit):
                continue
            what = "is not in the plan" if not t.planned else "went elsewhere than the plan said"
            out.append(
                f"task {t.name!r}: {_pct(off)} of its traffic (quality-weighted; "
                f"{t.actual_requests:,} requests) {what} ({_elsewhere(t)}), more than "
                f"--max-mix-drift {limit}%"
            )
    return out
