"""``costplan estimate``: the option table, without solving."""

from __future__ import annotations

from pathlib import Path

import typer

from costplan.cli.common import (
    InputPath,
    PricesOption,
    claim_stdout,
    console,
    format_option,
    paths,
    write_json,
)


def estimate(
    workload: Path = typer.Argument(..., help="Workload YAML file.", parser=InputPath("workload")),
    prices: list[Path] | None = PricesOption,
    fmt: str = format_option("table", "json"),
    show_all: bool = typer.Option(
        False, "--all", "-a", help="Every option (and excluded ones, with the reason), not "
        "only each task's best."
    ),
) -> None:
    """Cost per query and per period of each task's best options (--all: every task x
    model x mode, with tokens and exclusions)."""
    from costplan.api import load_inputs

    if fmt == "json":
        claim_stdout("--format json")
    table = load_inputs(workload, paths(prices))
    if fmt == "json":
        from costplan.jsonout import estimate_json

        write_json(estimate_json(table))
        return
    from costplan.report.terminal import render_estimate

    render_estimate(table, console(), show_all=show_all)
