"""Options and helpers shared by several commands."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from costplan.numbers import MAX_BUDGET_USD, NumberRule, parse_number

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

    from costplan.errors import CostplanError

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


BUDGET = NumberRule("--budget", Decimal(0), MAX_BUDGET_USD, unit="USD", money=True)
TIME_LIMIT = NumberRule("--time-limit", Decimal("0.01"), Decimal(10**6), unit="seconds")
GAP = NumberRule("--gap", Decimal(0), Decimal(1))
POINTS = NumberRule("--points", Decimal(2), Decimal(1000), whole=True)
OUTPUT_TOKENS = NumberRule("--output-tokens", Decimal(0), Decimal(10**8), whole=True)


def parse_budget(text: str | None, rule: NumberRule = BUDGET) -> Decimal | None:
    """A budget from the command line: ``12000``, ``$12,000``, ``1.2e4`` (see costplan.numbers)."""
    return None if text is None else parse_number(text, rule)


def number(rule: NumberRule) -> Callable[[Any], Any]:
    """A Typer ``parser=`` for a numeric option: the shared numbers rule
    (costplan.numbers), not click's float/int (which take ``nan``, ``inf``, ``1e999``)."""

    def parse(value: Any) -> Any:
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = repr(value)  # a default
        parsed = parse_number(str(value), rule)
        return int(parsed) if rule.whole else float(parsed)

    return parse


def console(stderr: bool = False) -> Console:
    """A rich console; wide enough for the tables when output is not a terminal.

    Safe for data: no markup, emoji codes or highlighting are interpreted, and
    every string it renders (cells, titles, lines) has its control characters
    escaped (costplan.textsafe), so a name from a file cannot drive the terminal.
    """
    import os
    import sys

    from rich.console import Console

    class SafeConsole(Console):
        def render_str(self, text: str, **kwargs: Any) -> Any:
            from costplan.textsafe import printable_lines

            return super().render_str(printable_lines(text), **kwargs)

    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or "COLUMNS" in os.environ else 160
    return SafeConsole(
        stderr=stderr,
        highlight=False,
        soft_wrap=False,
        width=width,
        markup=False,
        emoji=False,
    )


def paths(values: list[Path] | None) -> tuple[Path, ...]:
    return tuple(values or ())


def print_error(exc: CostplanError) -> None:
    """The CLI's one error printer: ``error: ...`` on one line, control characters
    escaped (costplan.textsafe), then the error's detail lines, each escaped too."""
    from costplan.textsafe import printable

    typer.echo(f"error: {printable(exc.render())}", err=True)
    for line in exc.details:
        typer.echo(printable(line), err=True)


def echo(text: str, *, err: bool = False, nl: bool = True) -> None:
    """``typer.echo`` for text that contains data (names, paths): control characters
    escaped (costplan.textsafe), newlines kept."""
    from costplan.textsafe import printable_lines

    typer.echo(printable_lines(text), err=err, nl=nl)
