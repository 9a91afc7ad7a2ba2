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
        help="Also solve at up to N of the LP relaxation's breakpoints (where marginal "
        "value drops most).",
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
    latency: bool = typer.Option(
        False,
        "--latency",
        help="Three-way frontier: cost, quality and p95 latency (plans no other beats on all).",
    ),
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
    if latency:
        _latency_frontier(table, n, time_limit, out, quiet, fmt == "json")
        return
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


def _latency_frontier(
    table: object, n: int, time_limit: float, out: Path | None, quiet: bool, as_json: bool
) -> None:
    """``frontier --latency``: the cost / quality / latency frontier (JSON document on
    stdout when ``as_json``; the terminal table is then left out)."""
    from costplan.latency_frontier import latency_csv, latency_frontier, latency_lines
    from costplan.options import OptionTable
    from costplan.safeio import is_stdout, write_output

    assert isinstance(table, OptionTable)
    points = latency_frontier(table, points=n, time_limit_s=time_limit)
    if out is not None:
        write_output(out, latency_csv(points))
    if as_json:
        from costplan.jsonout import latency_frontier_json

        write_json(latency_frontier_json(points, table.workload.name, table.workload.period))
    if not quiet:
        con = console(stderr=True) if as_json else output_console(out)
        if not as_json:
            for line in latency_lines(points, table.workload.period):
                con.print(line, markup=False)
        if out is not None and not is_stdout(out):
            con.print(f"frontier written to {out} ({len(points)} points)", markup=False)
    if any(p.plan.status != "optimal" for p in points):
        raise typer.Exit(3)
