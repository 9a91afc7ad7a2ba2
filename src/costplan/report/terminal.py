"""Terminal reports (rich). They read a Plan or an OptionTable, never the solver.

Money columns are rounded to cents with :func:`costplan.money.cents` so that
every printed total equals the sum of its printed rows.
"""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from rich.table import Table
from rich.text import Text

from costplan.money import cents, fmt_usd, pusd_to_usd
from costplan.options import OptionTable
from costplan.plan import Plan
from costplan.report.tables import gap_text as fmt_gap
from costplan.report.tables import period_line, plan_tables, quality_line, risk_line
from costplan.textsafe import printable

_PER = {
    "hour": "hour",
    "day": "day",
    "week": "week",
    "month": "month",
    "quarter": "quarter",
    "year": "year",
}


def _pct(x: Decimal) -> str:
    return f"{x * 100:+.1f}%"


def render_plan(plan: Plan, console: Console) -> None:
    """Allocation per task, totals against budget, baselines side by side."""
    per = _PER.get(plan.period, plan.period)
    title = f"costplan: {plan.workload} ({plan.objective}, per {per})"
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("task")
    table.add_column("model (mode)")
    table.add_column("queries", justify="right")
    table.add_column("share", justify="right")
    table.add_column("quality", justify="right")
    table.add_column("$/1k queries", justify="right")
    table.add_column("cost", justify="right")

    rows = [(t, a) for t in plan.tasks for a in t.allocations]
    row_cents = cents([pusd_to_usd(a.cost_pusd) for _, a in rows])
    for i, ((t, a), c) in enumerate(zip(rows, row_cents, strict=True)):
        first = i == 0 or rows[i - 1][0] is not t
        if first and i > 0:
            table.add_section()
        share = Decimal(a.count) / t.volume if t.volume else Decimal(0)
        floor = f" (>= {t.min_quality})" if first and t.min_quality is not None else ""
        table.add_row(
            t.name + floor if first else "",
            a.label,
            f"{a.count:,}",
            f"{share * 100:.1f}%",
            f"{a.quality:.3f}",
            fmt_usd(pusd_to_usd(a.cost_per_query_pusd * 1000), places=4),
            fmt_usd(c),
        )
    total = sum(row_cents, Decimal(0))
    table.add_section()
    table.add_row(
        "total",
        "",
        f"{plan.volume:,}",
        "",
        f"{plan.mean_quality:.4f}",
        "",
        fmt_usd(total),
        style="bold",
    )
    console.print(table)

    lines = []
    if plan.budget_pusd is not None:
        budget = pusd_to_usd(plan.budget_pusd)
        left = budget - total
        lines.append(
            f"budget {fmt_usd(budget)}: plan costs {fmt_usd(total)}, "
            f"{fmt_usd(left)} left ({left / budget * 100 if budget else 0:.1f}%)"
        )
    what = "mean quality" if plan.objective == "max_quality" else "cost"
    gap_text = "0 (proven optimal)" if plan.status == "optimal" else fmt_gap(plan.gap)
    lines.append(f"status: {plan.status}; objective: {what}; gap: {gap_text}")
    period = period_line(plan)  # same rounding and words as the md/html reports
    if period is not None:
        lines.append(period)
    quality = quality_line(plan)
    if quality is not None:
        lines.append(quality)
    risk = risk_line(plan_tables(plan))
    if risk is not None:
        lines.append(risk)
    if plan.prices_as_of or plan.prices_source:
        lines.append(
            f"prices as of {plan.prices_as_of or '?'} ({plan.prices_source or 'no source'})"
        )
    for note in plan.notes:
        lines.append(f"note: {note}")
    for line in lines:
        console.print(line)
    for line in explanation_lines(plan):
        console.print(line, markup=False)

    if plan.today is not None:
        _render_today(plan, console)
    if plan.baselines:
        base = Table(title="against simple policies", title_justify="left")
        base.add_column("policy")
        base.add_column("cost", justify="right")
        base.add_column("mean quality", justify="right")
        base.add_column("floors")
        base.add_column("plan vs policy", justify="right")
        for b in plan.baselines:
            b_cost = pusd_to_usd(b.cost_pusd)
            saving = b_cost - total
            dq = plan.mean_quality - b.mean_quality
            versus = f"saves {fmt_usd(saving)}" if saving >= 0 else f"costs {fmt_usd(-saving)} more"
            versus += f", quality {dq:+.4f}"
            base.add_row(
                Text.assemble(printable(b.label), "\n", (printable(b.description), "dim")),
                fmt_usd(b_cost) + ("" if b.within_budget else " (over budget)"),
                f"{b.mean_quality:.4f}",
                "met" if b.meets_floors else "missed",
                versus,
            )
        console.print(base)


def _render_today(plan: Plan, console: Console) -> None:
    """Plan against today's allocation (per task, total) and logged vs recomputed spend."""
    from costplan.today import spend_rows, table_rows

    assert plan.today is not None
    for title, (header, rows) in (
        (
            "today vs plan (today: the workload's 'current' allocation, same prices)",
            table_rows(plan.today),
        ),
        ("logged vs recomputed spend per model (over the traffic's span)", spend_rows(plan.today)),
    ):
        if not rows:
            continue
        t = Table(title=title, title_justify="left")
        for i, h in enumerate(header):
            t.add_column(h, justify="left" if i == 0 else "right")
        for r in rows:
            t.add_row(*r)
        console.print(t)


def render_estimate(table: OptionTable, console: Console) -> None:
    """The option table: tokens, cost per query and per period, or why excluded."""
    w = table.workload
    per = _PER.get(w.period, w.period)
    out = Table(title=f"costplan estimate: {w.name} (per {per})", title_justify="left")
    for col, just in (
        ("task", "left"),
        ("model (mode)", "left"),
        ("prompt tok", "right"),
        ("cached", "right"),
        ("output", "right"),
        ("quality", "right"),
        ("$/query", "right"),
        ("cost of pass", "right"),
        ("cost / " + per, "right"),
        ("note", "left"),
    ):
        out.add_column(col, justify=just)  # type: ignore[arg-type]
    for t in w.tasks:
        opts = table.for_task(t.name, usable_only=False)
        if not opts:
            out.add_row(t.name, "-", "", "", "", "", "", "", "", "no scored model is allowed")
        for i, o in enumerate(opts):
            per_query = pusd_to_usd(o.cost_pusd)
            pass_cost = fmt_usd(per_query / o.quality, places=6) if o.quality > 0 else "n/a"
            note = o.excluded or ""
            if o.tokens_estimated:
                note = (note + "; " if note else "") + f"tokens estimated ({o.tokenizer})"
            if o.cost_source == "measured":
                note = (note + "; " if note else "") + "measured cost"
            if o.kind == "model" and o.detail:  # e.g. a prefix below the cacheable minimum
                note = (note + "; " if note else "") + o.detail
            out.add_row(
                t.name if i == 0 else "",
                o.label,
                f"{o.prompt_tokens_mean:,.1f}",
                f"{o.cached_tokens:,}",
                f"{o.output_tokens:,}",
                f"{o.quality:.3f}",
                fmt_usd(per_query, places=6),
                pass_cost,
                fmt_usd(per_query * t.volume),
                note,
                style="dim" if o.excluded else None,
            )
        out.add_section()
    console.print(out)


def _usd(pusd: int) -> str:
    """Dollars to cents, or to 6 places for amounts under $1 (per-query deltas)."""
    return fmt_usd(pusd_to_usd(pusd), places=2 if abs(pusd) >= 10**12 else 6)


def _signed_usd(pusd: int) -> str:
    return ("+" if pusd >= 0 else "") + _usd(pusd)


def explanation_lines(plan: Plan, *, max_runner_ups: int = 5) -> list[str]:
    """A few lines on why the plan is what it is (:mod:`costplan.explain`).

    Shows the finite-difference marginal value of budget (the LP shadow price in
    parentheses), the binding constraints and each task's runner-up.
    """
    e = plan.explanations
    if e is None:
        return []
    out = ["why this plan:"]
    m, b = e.marginal, e.budget
    if b is not None and plan.objective == "max_quality":
        if b.binds:
            out.append(
                f"  budget binds: {_usd(b.slack_pusd)} left, the cheapest upgrade costs "
                f"{_usd(b.cheapest_upgrade_pusd or 0)}"
            )
        elif b.cheapest_upgrade_pusd is None:
            out.append(f"  budget does not bind: {_usd(b.slack_pusd)} left, no upgrade exists")
        else:
            out.append(f"  budget does not bind: {_usd(b.slack_pusd)} left")
    if m is not None:
        rate = m.quality_per_usd
        per_1k = rate * 1000 / plan.volume if plan.volume else Decimal(0)
        lp = "" if m.lp_quality_per_usd is None else f"; LP shadow price {m.lp_quality_per_usd:.4g}"
        proven = "" if m.status == "optimal" else " (re-solve not proven optimal)"
        where = "budget" if plan.objective == "max_quality" else "the plan's cost"
        gain = Decimal(m.quality_gain_micro) / 10**6
        buys = f"{gain:+,f} quality-weighted queries" if gain else "no quality"
        out.append(
            f"  marginal value of budget: +{_usd(m.delta_pusd)} over {where} {_usd(m.at_pusd)} "
            f"buys {buys} ({rate:.4g} per $1{lp}; mean quality {per_1k:+.4g} per $1k){proven}"
        )
    if e.floors:
        parts = [
            f"'{f.task}' >= {f.min_quality} {'binds' if f.binds else 'met'} "
            f"(slack {f.mean_slack:+.4f})"
            for f in e.floors
        ]
        out.append("  floors: " + "; ".join(parts))
    binding = [s.label for s in e.side if s.binds]
    if binding:
        out.append("  side constraints that bind: " + "; ".join(binding))
    if e.split is not None:
        s = e.split
        if plan.objective == "max_quality":
            gain = Decimal(s.relaxed_quality_micro - plan.quality_micro_total) / 10**6
            what = (
                f"{gain / plan.volume if plan.volume else 0:+.4f} mean quality "
                f"({gain:+,f} quality-weighted queries)"
            )
        else:
            what = f"{_usd(plan.cost_pusd - s.relaxed_cost_pusd)} saved"
        splits = [f"'{c.task}'" for c in s.tasks if c.relaxed_splits]
        out.append(
            f"  split: false: letting every task split would give {what}"
            + (f" (would split: {', '.join(splits)})" if splits else "")
        )
    for r in e.runner_ups[:max_runner_ups]:
        volume = next((t.volume for t in plan.tasks if t.name == r.task), 0)
        dq = Decimal(r.whole_quality_delta_micro) / 10**6 / volume if volume else Decimal(0)
        flags = [
            w
            for ok, w in ((r.meets_floor, "misses floor"), (r.within_budget, "over budget"))
            if not ok
        ]
        one = (
            f"; one query {_signed_usd(r.query_cost_delta_pusd)}, "
            f"{Decimal(r.query_quality_delta_micro) / 10**6:+.3f}"
            if r.splittable
            else ""
        )
        out.append(
            f"  runner-up for '{r.task}': {r.label} instead of {r.current}: whole task "
            f"{_signed_usd(r.whole_cost_delta_pusd)}, "
            f"quality {dq:+.4f}" + (f" ({', '.join(flags)})" if flags else "") + one
        )
    if len(e.runner_ups) > max_runner_ups:
        more = len(e.runner_ups) - max_runner_ups
        out.append(f"  ({more} more runner-up{'s' if more > 1 else ''} in the plan file)")
    return out
