"""``costplan estimate``: the option table, without solving."""

from __future__ import annotations

from pathlib import Path

import typer

from costplan.cli.common import InputPath, PricesOption, console, paths


def estimate(
    workload: Path = typer.Argument(..., help="Workload YAML file.", parser=InputPath("workload")),
    prices: list[Path] | None = PricesOption,
) -> None:
    """Tokens, cost per query and per period for every task x model (x mode)."""
    from costplan.api import load_inputs
    from costplan.report.terminal import render_estimate

    render_estimate(load_inputs(workload, paths(prices)), console())
