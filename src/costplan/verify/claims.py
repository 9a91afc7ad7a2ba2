"""The plan-wide claims of a class-level plan: provider shares, budget, status/gap/bound.

Part of the independent checker (``costplan.verify.classplan`` runs them)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from costplan.verify.findings import Findings, exact, show, usd
from costplan.verify.prices import PUSD


def check_shares(f: Findings, spend: dict[str, Fraction], total: int | Fraction,
                 shares: dict[str, Fraction]) -> None:  # fmt: skip
    """Each provider's spend is at most its cap (or the ``*`` cap) times the total.

    A cap of 0 is a cap: that provider may not be paid at all.
    """
    for provider, spent in sorted(spend.items()):
        cap = shares.get(provider)
        if cap is None:
            cap = shares.get("*")
        if cap is None or cap >= 1:
            continue
        if spent > cap * total:
            f.add(("tasks",), f"provider {provider!r} gets {usd(spent)} USD, more than "
                  f"{float(cap * 100):g}% of the plan's {usd(total)} USD")  # fmt: skip


def check_budget(f: Findings, doc: dict[str, Any], spend: int, *, robust: bool) -> None:
    budget = exact(doc.get("budget_usd"))
    if doc.get("budget_usd") is not None and budget is None:
        f.add(("budget_usd",), f"{show(doc.get('budget_usd'))} is not an amount")
        return
    if budget is None:
        if doc.get("objective") == "max_quality":
            f.add(("budget_usd",), "a max_quality plan needs a budget")
        return
    limit = (budget * PUSD).numerator // (budget * PUSD).denominator  # a ceiling: round down
    if spend > limit:
        what = "p95 cost" if robust else "cost"
        f.add(("budget_usd",), f"{what} {usd(spend)} USD exceeds the budget {usd(limit)} USD")


def check_claim(f: Findings, doc: dict[str, Any], objective: Fraction) -> None:
    """Status, gap and bound: the bound on the right side, ``optimal`` only at bound = value.

    ``objective`` is in the bound's unit (quality_queries, or USD for min_cost).
    """
    status, gap = doc.get("status"), exact(doc.get("gap"))
    if status not in ("optimal", "feasible"):
        f.add(("status",), f"{status!r}, expected 'optimal' or 'feasible'")
    if doc.get("gap") is None and doc.get("bound") is None and status != "optimal":
        pass  # no bound, no gap (docs/certificate.md)
    elif gap is None or gap < 0:
        f.add(("gap",), f"{show(doc.get('gap'))} is not a number >= 0")
    elif status == "optimal" and gap != 0:
        f.add(("gap",), f"{show(doc.get('gap'))}: an optimal plan has gap 0")
    kind = doc.get("objective")
    if kind not in ("max_quality", "min_cost"):
        f.add(("objective",), f"{kind!r} is unknown")
        return
    bound = exact(doc.get("bound"))
    if bound is None:
        if status == "optimal":
            f.add(("bound",), "an optimal plan needs a bound")
        return
    unit = "quality_queries" if kind == "max_quality" else "usd"
    if doc.get("bound_unit") != unit:
        f.add(("bound_unit",), f"{show(doc.get('bound_unit'))}, a {kind} bound is in {unit!r}")
    # Plans without a certificate (solvers before docs/certificate.md) write their bound
    # from a float: above 2**53 base units it is only that close (the old verifier's
    # relative 1e-9). With a certificate the bound is exact and compared exactly.
    slack = 0 if "certificate" in doc else abs(objective) * Fraction(1, 10**9)
    if kind == "max_quality" and bound < objective - slack:
        f.add(("bound",), f"{show(doc.get('bound'))} is below the plan's quality "
              f"{float(objective):.6f}: not an upper bound")  # fmt: skip
    if kind == "min_cost" and bound > objective + slack:
        f.add(("bound",), f"{show(doc.get('bound'))} is above the plan's cost "
              f"{float(objective)} USD: not a lower bound")  # fmt: skip
