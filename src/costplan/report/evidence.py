"""The "Within noise" and "Stability" report sections (:mod:`costplan.risk.evidence`).

Turned into the neutral blocks of :mod:`costplan.report.tables` so that the terminal,
markdown and HTML reports print the same words and figures from a plan or a plan file.
"""

from __future__ import annotations

from decimal import Decimal

from costplan.exact import rational_str
from costplan.money import fmt_usd_sig, pusd_to_usd
from costplan.plan import Plan
from costplan.report.tables import Block, Grid, Text


def _usd(pusd: int) -> str:
    return fmt_usd_sig(pusd_to_usd(pusd))


def _pct(x: Decimal) -> str:
    return f"{(x * 100).normalize():f}%"


def noise_blocks(plan: Plan) -> tuple[str, list[Block]] | None:
    """``("Within noise (95%)", blocks)``; None for a plan without the section."""
    s = plan.noise
    if s is None:
        return None
    rows = tuple(
        (
            r.task, r.best, ", ".join(r.tied), r.cheapest_tied or "none meets the floor",
            _usd(r.best_cost_pusd),
            _usd(r.cheapest_tied_cost_pusd) if r.cheapest_tied else "-",
        )
        for r in s.rows
    )  # fmt: skip
    header = ("task", "best", "within noise", "cheapest tied", "on best", "on cheapest tied")
    t = s.tied_plan
    if t.cost_pusd is None:
        tied = "cheapest tied plan: none meets the floors and side constraints"
    else:
        how = t.status if t.gap is None or t.status == "optimal" else (
            f"{t.status}, gap {rational_str(t.gap)}"
        )  # fmt: skip
        tied = f"cheapest tied plan: {_usd(t.cost_pusd)} ({how})"
    text = (
        f"{tied}; every task on its best option: {_usd(s.best_cost_pusd)}; "
        f"this plan: {_usd(plan.cost_pusd)}. Within noise: q_best - q <= "
        f"{s.z:.4g} sqrt(se_best^2 + se^2) (two-sided {_pct(s.confidence)}); floors and side "
        "constraints kept, budget not (README Uncertainty)."
    )
    return f"Within noise ({_pct(s.confidence)})", [Grid(None, header, rows), Text(text)]


def stability_blocks(plan: Plan) -> tuple[str, list[Block]] | None:
    """``("Stability", blocks)``; None for a plan without the section."""
    s = plan.stability
    if s is None:
        return None
    rows = tuple(
        (task, label, f"{s.kept.get(task, 0)} of {s.redraws}",
         f"{float(s.share(task)) * 100:.0f}%")
        for task, label in s.main_choices.items()
    )  # fmt: skip
    text = (
        f"{s.redraws} redraws of every quality from its standard error (seed {s.seed}); "
        "kept: redraws whose re-solved plan gives the task the same main choice."
    )
    header = ("task", "main choice", "kept", "share")
    return "Stability", [Grid(None, header, rows), Text(text)]


def evidence_sections(plan: Plan) -> list[tuple[str, list[Block]]]:
    """The plan's evidence sections, in report order."""
    return [s for s in (noise_blocks(plan), stability_blocks(plan)) if s is not None]
