"""Options and helpers shared by several commands."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from costplan.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console

PricesOption = typer.Option(
    None, "--prices", "-p", help="Price sheet(s); overrides the workload's 'prices:'."
)
BudgetOption = typer.Option(
    None, "--budget", help="Budget in USD per period; overrides the workload."
)
PriceChangeOption = typer.Option(
    None,
    "--price-change",
    help="What-if price change, repeatable: 'gpt-4o=-50%', 'provider:anthropic=+20%', "
    "'gpt-4o.output=+10%' (fnmatch patterns on model names).",
)


def parse_budget(text: str | None) -> Decimal | None:
    """A budget from the command line: a non-negative decimal USD amount."""
    if text is None:
        return None
    cleaned = text.replace(",", "").replace("_", "").lstrip("$")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise InputError("--budget must be an amount in USD", value=text) from None
    if not value.is_finite() or value < 0:
        raise InputError("--budget must be a non-negative finite amount in USD", value=text)
    return value


def console(stderr: bool = False) -> Console:
    """A rich console; wide enough for the tables when output is not a terminal."""
    import os
    import sys

    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or "COLUMNS" in os.environ else 160
    return Console(stderr=stderr, highlight=False, soft_wrap=False, width=width)


def paths(values: list[Path] | None) -> tuple[Path, ...]:
    return tuple(values or ())
