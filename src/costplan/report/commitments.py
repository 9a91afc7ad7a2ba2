"""The commitments table of the reports (README "Commitments"): per commitment its fee,
capacity, break-even volume, what the plan uses of it and whether it pays."""

from __future__ import annotations

from costplan.money import fmt_usd, pusd_to_usd
from costplan.plan import Plan

HEADER = ("commitment", "model (mode)", "fee", "capacity", "break-even", "used", "pays")


def commitment_rows(plan: Plan) -> list[tuple[str, ...]]:
    """One row per offered commitment, as text (the caller escapes)."""
    rows: list[tuple[str, ...]] = []
    for c in plan.commitments:
        be = "never" if c.break_even is None else f"{c.break_even:,} {c.unit}"
        if c.with_value is not None and c.without_value is not None:
            diff = c.with_value - c.without_value
            if plan.objective == "min_cost":
                what = f"saves {fmt_usd(pusd_to_usd(-diff))}" if diff <= 0 else (
                    f"costs {fmt_usd(pusd_to_usd(diff))} more")  # fmt: skip
            else:
                what = f"quality {diff / 10**6:+,.6f} queries"
            pays = ("yes" if c.taken else "no") + f" ({what} vs the best plan without it)"
        else:
            pays = "yes" if c.taken else "no"
        rows.append(
            (
                c.name,
                c.model if c.mode == "standard" else f"{c.model} ({c.mode})",
                fmt_usd(pusd_to_usd(c.fee_pusd)),
                f"{c.capacity:,} {c.unit} at {(c.price_factor * 100).normalize():f}% of on-demand",
                be,
                f"{c.used:,} {c.unit}" if c.taken else "-",
                pays,
            )
        )
    return rows
