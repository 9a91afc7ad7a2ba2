"""Options and helpers shared by several commands.

Every path parameter of every command is an :class:`InputPath` or an
:class:`OutputPath` (a test walks the command tree and checks it): outputs are
declared to :mod:`costplan.safeio` while the command line is parsed, so an
output that names an input is refused before anything is written, and ``-``
means standard output.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from costplan.errors import InputError
from costplan.safeio import STDOUT, declare_output, is_stdout

if TYPE_CHECKING:
    from rich.console import Console


class InputPath:
    """Parser of a path parameter that names an input of kind ``kind``.

    Inputs are checked and registered when they are read (through
    :func:`costplan.safeio.read_input`), not here; ``kind`` ("workload",
    "prices", "plan", "queries", "catalog") tells the CLI tests what to pass.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __call__(self, text: str | Path) -> Path:
        return Path(text)


class OutputPath:
    """Parser of a path option that names an output: ``-`` is standard output
    (:data:`costplan.safeio.STDOUT`); any other path is checked and declared now
    (:func:`costplan.safeio.declare_output`).

    ``suffixes`` lists the file endings the command accepts (first: a good
    example; empty: any), for the CLI tests and help texts.
    """

    def __init__(self, option: str, suffixes: tuple[str, ...] = ()) -> None:
        self.option = option
        self.suffixes = suffixes

    def __call__(self, text: str | Path) -> Path:
        path = STDOUT if str(text) == "-" and not isinstance(text, Path) else Path(text)
        declare_output(path, self.option)
        return path


def output_console(*outputs: Path | None) -> Console:
    """The console for a command's terminal report: stderr when one of its
    outputs is standard output (so stdout carries exactly that output)."""
    return console(stderr=any(is_stdout(p) for p in outputs))


PricesOption = typer.Option(
    None,
    "--prices",
    "-p",
    help="Price sheet(s); overrides the workload's 'prices:'.",
    parser=InputPath("prices"),
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
