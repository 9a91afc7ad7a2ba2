"""Terminal reports (rich). They read a Plan or an OptionTable, never the solver.

Money columns are rounded to cents with :func:`costplan.money.cents` so that
every printed total equals the sum of its printed rows.
"""

from __future__ import annotations

from decimal import Decimal

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from costplan.money import fmt_usd, fmt_usd_sig, pusd_to_usd
from costplan.options import Option, OptionTable
from costplan.plan import Allocation, Plan, TaskPlan
from costplan.report.tables import gap_text as fmt_gap
from costplan.report.tables import period_line, plan_tables, quality_line
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


def _fits(table: Table, console: Console) -> bool:
    """True when ``table`` can be drawn at its natural width (nothing wrapped or cut)."""
    from rich.measure import Measurement

    wide = console.options.update_width(10_000)  # measure unclamped by the terminal
    return Measurement.get(console, wide, table).maximum <= console.width


def _plan_table(plan: Plan, rows: list[tuple[TaskPlan, Allocation]], row_cents: list[Decimal],
                *, narrow: bool) -> Table:
    """The allocation table. ``narrow`` (a terminal too narrow for the wide one, e.g. 80
    columns): no task column, each task a heading row above its models, light borders,
    the floor in the heading's quality column, names wrapped (never cut to an ambiguous
    prefix), numbers never wrapped."""
    per = _PER.get(plan.period, plan.period)
    title = f"costplan: {plan.workload} ({plan.objective}, per {per})"
    if narrow:
        table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False)
        table.add_column("task / model (mode)", overflow="fold")
    else:
        table = Table(title=title, title_justify="left", show_lines=False)
        table.add_column("task")
        table.add_column("model (mode)")
    for name in ("queries", "share", "quality", "$/1k" if narrow else "$/1k queries", "cost"):
        table.add_column(name, justify="right", no_wrap=narrow)
    for i, ((t, a), c) in enumerate(zip(rows, row_cents, strict=True)):
        first = i == 0 or rows[i - 1][0] is not t
        if first and i > 0 and not narrow:
            table.add_section()
        share = Decimal(a.count) / t.volume if t.volume else Decimal(0)
        floor = f" (>= {t.min_quality})" if first and t.min_quality is not None else ""
        numbers = (
            f"{a.count:,}",
            f"{share * 100:.1f}%",
            f"{a.quality:.3f}",
            fmt_usd(pusd_to_usd(a.cost_per_query_pusd * 1000), places=4),
            fmt_usd(c),
        )
        if narrow:  # the task's floor stands in its quality column
            if first:
                at_least = "" if t.min_quality is None else f">= {t.min_quality}"
                table.add_row(t.name, "", "", at_least, style="bold")
            table.add_row("  " + a.label, *numbers)
        else:
            table.add_row(t.name + floor if first else "", a.label, *numbers)
    total = sum(row_cents, Decimal(0))
    fees = plan_tables(plan).fees
    if fees:
        table.add_section()
    for label, fee in fees:  # fixed commitment fees (README "Commitments")
        cells = ("", "", "", "", fmt_usd(fee))
        table.add_row(label, *cells) if narrow else table.add_row(label, "", *cells)
        total += fee
    table.add_section()
    cells = (f"{plan.volume:,}", "", f"{plan.mean_quality:.4f}", "", fmt_usd(total))
    table.add_row("total", *cells, style="bold") if narrow else table.add_row(
        "total", "", *cells, style="bold"
    )
    return table


def render_plan(plan: Plan, console: Console) -> None:
    """Allocation per task, totals against budget, baselines side by side."""
    rows = [(t, a) for t in plan.tasks for a in t.allocations]
    tables = plan_tables(plan)
    row_cents = [r.cost for r in tables.rows]
    table = _plan_table(plan, rows, row_cents, narrow=False)
    if not _fits(table, console):
        table = _plan_table(plan, rows, row_cents, narrow=True)
    console.print(table)
    total = tables.total

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

    _render_evidence(plan, console)
    if plan.today is not None:
        _render_today(plan, console)
    if plan.baselines:
        base = _baseline_table(plan, total, narrow=False)
        if not _fits(base, console):
            base = _baseline_table(plan, total, narrow=True)
        console.print(base)


def _baseline_table(plan: Plan, total: Decimal, *, narrow: bool) -> Table:
    """The plan against simple policies; ``narrow``: light borders, and the longest word
    of a label (a model name) sets the policy column's minimum width (never cut)."""
    title = "against simple policies"
    if narrow:
        base = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False)
        longest = max(len(w) for b in plan.baselines for w in [*b.label.split(), ""])
        base.add_column("policy", overflow="fold", min_width=min(longest, 40))
    else:
        base = Table(title=title, title_justify="left")
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
    return base


def _render_evidence(plan: Plan, console: Console) -> None:
    """The "Within noise" and "Stability" sections (costplan.report.evidence)."""
    from costplan.report.evidence import evidence_sections
    from costplan.report.tables import Grid

    for heading, blocks in evidence_sections(plan):
        for block in blocks:
            if isinstance(block, Grid):
                table = Table(title=heading, title_justify="left", box=box.SIMPLE_HEAD)
                for h in block.header:
                    table.add_column(h, overflow="fold")
                for row in block.rows:
                    table.add_row(*(Text(printable(c)) for c in row))
                console.print(table)
            else:
                console.print(Text(printable(getattr(block, "text", ""))))


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


#: Options shown per task by ``costplan estimate`` without ``--all``.
ESTIMATE_TOP = 5


def best_options(opts: list[Option], top: int = ESTIMATE_TOP) -> list[Option]:
    """The options worth showing first: usable ones on the cost-quality front (no other
    usable option is at most as dear and at least as good, one of them strictly), the
    ``top`` best in quality, listed cheapest first (ties: the order given)."""
    usable = [o for o in opts if o.excluded is None]
    front = [
        o
        for o in usable
        if not any(
            p.cost_pusd <= o.cost_pusd
            and p.quality >= o.quality
            and (p.cost_pusd < o.cost_pusd or p.quality > o.quality)
            for p in usable
        )
    ]
    kept = sorted(front, key=lambda o: -o.quality)[:top]
    return sorted(kept, key=lambda o: o.cost_pusd)


def _estimate_note(o: Option) -> str:
    note = o.excluded or ""
    if o.cost_source == "measured":
        note = (note + "; " if note else "") + "measured cost"
    if o.kind == "model" and o.detail:  # e.g. a prefix below the cacheable minimum
        note = (note + "; " if note else "") + o.detail
    return note


def render_estimate(table: OptionTable, console: Console, *, show_all: bool = False) -> None:
    """The option table grouped per task: each task's best options (:func:`best_options`)
    with a count of the others, or with ``show_all`` every option (excluded ones dimmed,
    the reason on the line below). Money has the places it needs
    (:func:`costplan.money.fmt_usd_sig`); token columns only when they fit. A ``*`` after
    a model marks token counts estimated from another tokenizer."""
    out = _estimate_table(table, show_all=show_all, tokens=show_all)
    if show_all and not _fits(out, console):
        out = _estimate_table(table, show_all=True, tokens=False)
    console.print(out)
    if any(o.tokens_estimated for o in table.options):
        console.print(
            "* prompt tokens estimated from o200k_base counts times a family factor", markup=False
        )


def _estimate_table(table: OptionTable, *, show_all: bool, tokens: bool) -> Table:
    w = table.workload
    per = _PER.get(w.period, w.period)
    what = "every option" if show_all else f"best options (up to {ESTIMATE_TOP} per task)"
    out = Table(
        title=f"costplan estimate: {w.name} (per {per}), {what}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
    )
    out.add_column("task / model (mode)", overflow="fold")
    out.add_column("quality", justify="right", no_wrap=True)
    if tokens:
        for col in ("prompt tok", "cached", "output"):
            out.add_column(col, justify="right", no_wrap=True)
    out.add_column("$/query", justify="right", no_wrap=True)
    out.add_column("cost / " + per, justify="right", no_wrap=True)
    for t in w.tasks:
        opts = table.for_task(t.name, usable_only=False)
        at_least = "" if t.min_quality is None else f">= {t.min_quality}"
        out.add_row(t.name, at_least, style="bold")
        if not opts:
            out.add_row("  no scored model is allowed", style="dim")
            continue
        shown = opts if show_all else best_options(opts)
        for o in shown:
            per_query = pusd_to_usd(o.cost_pusd)
            cells = ["  " + o.label + (" *" if o.tokens_estimated else ""), f"{o.quality:.3f}"]
            if tokens:
                cells += [
                    f"{o.prompt_tokens_mean:,.1f}",
                    f"{o.cached_tokens:,}",
                    f"{o.output_tokens:,}",
                ]
            cells += [fmt_usd_sig(per_query), fmt_usd_sig(per_query * t.volume)]
            out.add_row(*cells, style="dim" if o.excluded else None)
            note = _estimate_note(o) if show_all else ""
            if note:
                out.add_row("    " + note, style="dim")
        hidden = len(opts) - len(shown)
        if hidden:
            out.add_row(f"  ({hidden} more: --all)", style="dim")
    return out


def _g(x: Decimal | float, sign: str = "") -> str:
    """4 significant digits for people: ``5.686``, ``0.001045``, ``0`` (never ``0e+2``,
    which is how Python's ``g`` spells a Decimal zero with a positive exponent)."""
    if x == 0:
        return "+0" if sign else "0"
    return f"{x:{sign}.4g}"


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
        lp = "" if m.lp_quality_per_usd is None else f"; LP shadow price {_g(m.lp_quality_per_usd)}"
        proven = "" if m.status == "optimal" else " (re-solve not proven optimal)"
        where = "budget" if plan.objective == "max_quality" else "the plan's cost"
        gain = Decimal(m.quality_gain_micro) / 10**6
        buys = f"{gain:+,f} quality-weighted queries" if gain else "no quality"
        out.append(
            f"  marginal value of budget: +{_usd(m.delta_pusd)} over {where} {_usd(m.at_pusd)} "
            f"buys {buys} ({_g(rate)} per $1{lp}; mean quality {_g(per_1k, '+')} per $1k){proven}"
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
