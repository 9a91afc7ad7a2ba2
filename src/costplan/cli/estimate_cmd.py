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
) -> None:
    """Tokens, cost per query and per period for every task x model (x mode)."""
    from costplan.api import load_inputs

    if fmt == "json":
        claim_stdout("--format json")
    table = load_inputs(workload, paths(prices))
    if fmt == "json":
        from costplan.jsonout import estimate_json

        write_json(estimate_json(table))
        return
    from costplan.report.terminal import render_estimate

    render_estimate(table, console())
