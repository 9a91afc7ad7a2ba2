"""``costplan frontier``: the exact cost-quality Pareto frontier of a workload."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import typer

from costplan.cli.common import (
    POINTS,
    TIME_LIMIT,
    InputPath,
    OutputPath,
    PricesOption,
    claim_stdout,
    console,
    format_option,
    number,
    output_console,
    paths,
    write_json,
)
from costplan.errors import InputError
from costplan.numbers import MAX_BUDGET_USD, NumberRule, parse_number

MAX_POINTS = 1000  # mirrors costplan.frontier.MAX_POINTS (not imported: keeps --help light)


def parse_points(text: str) -> int:
    """``--points``: an integer from 2 to 1000."""
    return int(parse_number(text, POINTS))


def parse_aiq_range(text: str | None) -> tuple[Decimal, Decimal] | None:
    """``--aiq-range LO:HI`` in USD, ``0 <= LO < HI``."""
    if text is None:
        return None
    message = "--aiq-range must be LO:HI in USD with 0 <= LO < HI, e.g. 100:500"
    parts = text.split(":")
    if len(parts) != 2:
        raise InputError(message, value=text)
    rule = NumberRule("--aiq-range", Decimal(0), MAX_BUDGET_USD, unit="USD", money=True)
    try:
        lo, hi = (parse_number(part, rule) for part in parts)
    except InputError:
        raise InputError(message, value=text) from None
    if not lo < hi:
        raise InputError(message, value=text)
    return lo, hi


def frontier(
    workload: Path = typer.Argument(..., help="Workload YAML file.", parser=InputPath("workload")),
    prices: list[Path] | None = PricesOption,
    points: str = typer.Option(
        "10",
        "--points",
        "-n",
        metavar="N",
        help="Evenly spaced budgets from cheapest to best plan (2-1000).",
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Write the points to this .csv file (atomically); - for stdout.",
        parser=OutputPath("--out", (".csv",)),
    ),
    breakpoints: bool = typer.Option(
        True,
        "--breakpoints/--no-breakpoints",
        help="Also solve at the LP relaxation's breakpoints (where marginal value changes).",
    ),
    aiq_range: str | None = typer.Option(
        None,
        "--aiq-range",
        metavar="LO:HI",
        help="Also report AIQ over this cost range, LO:HI in USD (same range for every "
        "price sheet you compare).",
    ),
    time_limit: float = typer.Option(
        10.0,
        "--time-limit",
        parser=number(TIME_LIMIT),
        help="Solver time limit per point, seconds.",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No terminal report."),
    fmt: str = format_option("table", "json"),
) -> None:
    """Cost-quality frontier: the best plan at every budget, its knee and AIQ."""
    from costplan.api import load_inputs
    from costplan.frontier import compute_frontier, frontier_csv
    from costplan.money import budget_to_pusd, fmt_usd
    from costplan.report.chart_text import render_frontier
    from costplan.safeio import is_stdout, write_output

    if fmt == "json":
        claim_stdout("--format json")
    n = parse_points(points)
    span = parse_aiq_range(aiq_range)
    if out is not None and not is_stdout(out) and out.suffix.lower() != ".csv":
        raise InputError("frontier file must end in .csv", file=out, value=out.suffix or out.name)
    table = load_inputs(workload, paths(prices))
    result = compute_frontier(table, points=n, breakpoints=breakpoints, time_limit_s=time_limit)
    if out is not None:
        write_output(out, frontier_csv(result))
    if fmt == "json":
        from costplan.jsonout import frontier_json

        write_json(frontier_json(result, span))
    if not quiet:
        # stderr when the points go to stdout
        con = console(stderr=True) if fmt == "json" else output_console(out)
        if fmt != "json":
            render_frontier(result, con)
        if span is not None and fmt != "json":
            lo, hi = span
            value = result.aiq_between(budget_to_pusd(lo), budget_to_pusd(hi))
            con.print(f"AIQ over {fmt_usd(lo)} to {fmt_usd(hi)}: {value}", markup=False)
        if out is not None and not is_stdout(out):
            con.print(f"frontier written to {out} ({len(result.points)} points)", markup=False)
    if not result.all_optimal:
        raise typer.Exit(3)
