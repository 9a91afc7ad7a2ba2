"""``costplan check``: re-price saved plans with new price sheets (the CI gate).

Exit codes: 0 every plan passes ("check passed"); 1 some plan fails
(:class:`~costplan.errors.CheckFailedError`, one reason per line on stderr);
2 invalid input (unreadable plan, workload or price sheet, bad option).
The library work is :func:`costplan.check.check_plan`; this module only renders.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from costplan.cli.common import (
    TIME_LIMIT,
    InputPath,
    PriceChangeOption,
    claim_stdout,
    console,
    echo,
    format_option,
    number,
    paths,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from costplan.check import CheckResult
    from costplan.options import OptionTable
    from costplan.plan import Plan

FORMATS = ("table", "markdown", "json")


def parse_percent(text: str | None, option: str) -> Decimal | None:
    """A non-negative percentage from the command line: ``10``, ``10%`` or ``2.5``."""
    from costplan.numbers import NumberRule, parse_number

    if text is None:
        return None
    return parse_number(text, NumberRule(option, Decimal(0), Decimal(10**6), unit="%"))


def check(
    plans: list[Path] = typer.Argument(
        ..., help="Plan file(s) written by optimize --out.", parser=InputPath("plan")
    ),
    prices: list[Path] | None = typer.Option(
        None,
        "--prices",
        "-p",
        help="New price sheet(s); default: the sheets the plan's workload names.",
        parser=InputPath("prices"),
    ),
    workload: Path | None = typer.Option(
        None,
        "--workload",
        "-w",
        help="Workload file; default: the one the plan records.",
        parser=InputPath("workload"),
    ),
    budget: str | None = typer.Option(
        None, "--budget", help="Budget in USD per period; default: the plan's budget."
    ),
    max_increase: str | None = typer.Option(
        None, "--max-increase", help="Fail when the total cost rises by more than this percent."
    ),
    price_change: list[str] | None = PriceChangeOption,
    reoptimize: bool = typer.Option(
        False, "--reoptimize", help="Also solve again with the new prices and compare."
    ),
    fmt: str = format_option("table", "markdown", "json", phrase="table, markdown or json"),
    time_limit: float = typer.Option(
        60.0,
        "--time-limit",
        parser=number(TIME_LIMIT),
        help="Solver time limit for --reoptimize, seconds.",
    ),
) -> None:
    """Re-price saved plans with new prices; exit 1 when a budget or threshold breaks."""
    from costplan.check import check_plan
    from costplan.cli.common import parse_budget
    from costplan.errors import CheckFailedError
    from costplan.planio import read_plan
    from costplan.pricing.whatif import parse_price_changes

    if fmt == "json":
        claim_stdout("--format json")
    budget_usd = parse_budget(budget)
    max_pct = parse_percent(max_increase, "--max-increase")
    changes = parse_price_changes(price_change)
    results = [
        check_plan(
            read_plan(path),
            plan_path=path,
            workload_path=workload,
            prices=paths(prices),
            price_changes=changes,
            budget_usd=budget_usd,
            max_increase_pct=max_pct,
            reoptimize=reoptimize,
            time_limit_s=time_limit,
        )
        for path in plans
    ]
    for r in results:
        for w in r.warnings:
            echo(f"warning: {r.plan_path}: {w}", err=True)
    if fmt == "json":
        echo(json.dumps(_json(results), indent=2))
    elif fmt == "markdown":
        echo(_markdown(results), nl=False)
    else:
        _terminal(results)
    failed = [(r.plan_path, f) for r in results for f in r.failures]
    if failed:
        raise CheckFailedError(
            "check failed:", details=[f"  {plan}: {reason}" for plan, reason in failed]
        )


def price_change_line(
    before: OptionTable, after: Plan, solve: Callable[[OptionTable], Plan]
) -> str:
    """One line for ``optimize --price-change``: the plan before the change -> after.

    ``solve`` is the same solve that produced ``after``, run on the unchanged table.
    """
    from costplan.errors import InfeasibleError, SolverLimitError
    from costplan.money import fmt_usd, pusd_to_usd

    def summary(p: Plan) -> str:
        return f"{fmt_usd(pusd_to_usd(p.cost_pusd))}, mean quality {p.mean_quality:.4f}"

    try:
        was = summary(solve(before))
    except (InfeasibleError, SolverLimitError) as exc:
        was = f"no plan ({exc.message})"
    return f"before the price change: {was} -> after: {summary(after)}"


# --- shared rows: cents rounded so that printed totals equal the sum of rows ---------


@dataclass(frozen=True)
class _Row:
    label: str
    models: str
    old: Decimal
    new: Decimal | None
    pct: Decimal | None


def _rows(r: CheckResult) -> tuple[list[_Row], _Row]:
    from costplan.money import cents, pusd_to_usd

    olds = cents([pusd_to_usd(t.old_cost_pusd) for t in r.tasks])
    known = [t.new_cost_pusd for t in r.tasks if t.new_cost_pusd is not None]
    news = iter(cents([pusd_to_usd(v) for v in known]))
    rows = []
    for t, old in zip(r.tasks, olds, strict=True):
        new = None if t.new_cost_pusd is None else next(news)
        models = ", ".join(a.label for a in t.allocations)
        rows.append(_Row(t.name, models, old, new, t.change_pct))
    total_new = None
    if r.new_cost_pusd is not None:
        total_new = sum((row.new for row in rows if row.new is not None), Decimal(0))
    total = _Row("total", "", sum((row.old for row in rows), Decimal(0)), total_new, r.change_pct)
    return rows, total


def _usd(value: Decimal | None) -> str:
    from costplan.money import fmt_usd

    return "n/a" if value is None else fmt_usd(value)


def _change(row: _Row) -> tuple[str, str]:
    from costplan.money import fmt_usd

    if row.new is None:
        return "n/a", "n/a"
    diff = row.new - row.old
    money = ("+" if diff >= 0 else "") + fmt_usd(diff)
    if row.pct is None:
        return money, "+0.0%" if row.old == row.new else "n/a"
    return money, f"{row.pct:+.1f}%"


def _summary_lines(r: CheckResult) -> list[str]:
    """Prices, budget and re-optimisation, one line each (same text in every format)."""
    from costplan.money import fmt_usd, pusd_to_usd

    plan = r.plan
    old_prices = f"{plan.prices_as_of or '?'} ({plan.prices_source or 'no source'})"
    new_prices = f"{r.prices_as_of or '?'} ({r.prices_source or 'no source'})"
    change = new_prices if new_prices == old_prices else f"{old_prices} -> {new_prices}"
    lines = [f"prices: {change} from {', '.join(r.price_paths)}"]
    _, total = _rows(r)
    if r.budget_pusd is not None and total.new is not None:
        budget = pusd_to_usd(r.budget_pusd)
        whose = "the plan's budget" if r.budget_from == "plan" else "--budget"
        left = budget - total.new
        state = f"{fmt_usd(left)} left" if left >= 0 else f"over by {fmt_usd(-left)}"
        lines.append(
            f"{whose} {fmt_usd(budget)}: re-priced plan costs {fmt_usd(total.new)}, {state}"
        )
    if r.max_increase_pct is not None and total.new is not None:
        change = "n/a" if r.change_pct is None else f"{r.change_pct:+.2f}%"
        lines.append(f"max increase {r.max_increase_pct.normalize():f}%: total changed {change}")
    if r.reoptimized is not None:
        lines.append(_reoptimized_line(r, total.new))
    return lines


def _reoptimized_line(r: CheckResult, repriced: Decimal | None) -> str:
    from costplan.money import fmt_usd, pusd_to_usd

    assert r.reoptimized is not None
    fresh = r.reoptimized.plan
    if fresh is None:
        return f"re-optimized with the new prices: no plan ({r.reoptimized.error})"
    cost = pusd_to_usd(fresh.cost_pusd)
    text = (
        f"re-optimized with the new prices: {fmt_usd(cost)}, mean quality "
        f"{fresh.mean_quality:.4f} ({fresh.status})"
    )
    if repriced is None:
        return text + "; the saved plan can no longer be priced"
    saving = repriced - cost.quantize(Decimal("0.01"))
    verdict = f"saves {fmt_usd(saving)}" if saving >= 0 else f"costs {fmt_usd(-saving)} more"
    dq = fresh.mean_quality - r.plan.mean_quality
    return (
        text + f"; against the re-priced plan ({fmt_usd(repriced)}, mean quality "
        f"{r.plan.mean_quality:.4f}) it {verdict}, quality {dq:+.4f}"
    )


def _heading(r: CheckResult) -> str:
    p = r.plan
    return f"costplan check: {r.plan_path} ({p.workload}, {p.objective}, per {p.period})"


# --- table ---------------------------------------------------------------------------


def _terminal(results: list[CheckResult]) -> None:
    from rich.table import Table

    out = console()
    for r in results:
        table = Table(title=_heading(r), title_justify="left")
        for col, just in (
            ("task", "left"),
            ("model (mode)", "left"),
            ("old cost", "right"),
            ("new cost", "right"),
            ("change", "right"),
            ("change %", "right"),
        ):
            table.add_column(col, justify=just)  # type: ignore[arg-type]
        rows, total = _rows(r)
        for row in rows:
            table.add_row(row.label, row.models, _usd(row.old), _usd(row.new), *_change(row))
        table.add_section()
        table.add_row("total", "", _usd(total.old), _usd(total.new), *_change(total), style="bold")
        out.print(table)
        for line in _summary_lines(r):
            out.print(line, soft_wrap=True)
    if all(r.passed for r in results):
        out.print("check passed")


# --- markdown ------------------------------------------------------------------------


# Punctuation that could start markup, and '_' where it is not inside a word (GFM
# ignores intraword underscores: snake_case names stay readable).
_MD_SPECIAL = re.compile(r"([\\`*\[\]<|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def _md(text: str) -> str:
    """Escape text for one markdown table cell or list item (one line)."""
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), " ".join(str(text).split()))


def _markdown(results: list[CheckResult]) -> str:
    lines: list[str] = []
    for r in results:
        lines += [f"### {_md(_heading(r))}", ""]
        lines.append("| task | model (mode) | old cost | new cost | change | change % |")
        lines.append("| --- | --- | ---: | ---: | ---: | ---: |")
        rows, total = _rows(r)
        for row in rows:
            cells = [_md(row.label), _md(row.models), _usd(row.old), _usd(row.new), *_change(row)]
            lines.append("| " + " | ".join(cells) + " |")
        cells = [f"**{c}**" for c in (_usd(total.old), _usd(total.new), *_change(total))]
        lines.append("| **total** |  | " + " | ".join(cells) + " |")
        lines.append("")
        lines += [f"- {_md(line)}" for line in _summary_lines(r)]
        lines += [f"- warning: {_md(w)}" for w in r.warnings]
        lines.append("")
        if r.passed:
            lines.append("**check passed**")
        else:
            lines.append("**check failed**:")
            lines += [f"- {_md(f)}" for f in r.failures]
        lines.append("")
    return "\n".join(lines)


# --- json (exact decimal strings, as in plan files) ----------------------------------


def _pct_text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.4f}"


def _json(results: list[CheckResult]) -> dict[str, Any]:
    from costplan.money import usd_str

    def opt(pusd: int | None) -> str | None:
        return None if pusd is None else usd_str(pusd)

    def diff(old: int, new: int | None) -> str | None:
        return None if new is None else usd_str(new - old)

    checks = []
    for r in results:
        again: dict[str, Any] | None = None
        if r.reoptimized is not None:
            fresh = r.reoptimized.plan
            again = {"error": r.reoptimized.error}
            if fresh is not None:
                new = r.new_cost_pusd
                again = {
                    "status": fresh.status,
                    "cost_usd": usd_str(fresh.cost_pusd),
                    "mean_quality": f"{fresh.mean_quality:.6f}",
                    "saves_usd": None if new is None else usd_str(new - fresh.cost_pusd),
                }
        checks.append(
            {
                "plan": r.plan_path,
                "workload": r.workload_path,
                "prices": list(r.price_paths),
                "prices_as_of": r.prices_as_of,
                "prices_source": r.prices_source,
                "passed": r.passed,
                "failures": list(r.failures),
                "warnings": list(r.warnings),
                "budget_usd": opt(r.budget_pusd),
                "budget_from": r.budget_from,
                "max_increase_pct": None
                if r.max_increase_pct is None
                else f"{r.max_increase_pct.normalize():f}",
                "old_cost_usd": usd_str(r.old_cost_pusd),
                "new_cost_usd": opt(r.new_cost_pusd),
                "change_usd": diff(r.old_cost_pusd, r.new_cost_pusd),
                "change_pct": _pct_text(r.change_pct),
                "tasks": [
                    {
                        "name": t.name,
                        "old_cost_usd": usd_str(t.old_cost_pusd),
                        "new_cost_usd": opt(t.new_cost_pusd),
                        "change_usd": diff(t.old_cost_pusd, t.new_cost_pusd),
                        "change_pct": _pct_text(t.change_pct),
                        "allocations": [
                            {
                                "model": a.model,
                                "kind": a.kind,
                                "mode": a.mode,
                                "count": a.count,
                                "old_cost_per_query_usd": usd_str(a.old_cost_per_query_pusd),
                                "new_cost_per_query_usd": opt(a.new_cost_per_query_pusd),
                                "old_cost_usd": usd_str(a.old_cost_pusd),
                                "new_cost_usd": opt(a.new_cost_pusd),
                                "problem": a.problem,
                            }
                            for a in t.allocations
                        ],
                    }
                    for t in r.tasks
                ],
                "reoptimized": again,
            }
        )
    return {"passed": all(r.passed for r in results), "checks": checks}
