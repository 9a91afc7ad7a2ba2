"""Options and helpers shared by several commands.

Every path parameter of every command is an :class:`InputPath` or an
:class:`OutputPath` (a test walks the command tree and checks it): outputs are
declared to :mod:`costplan.safeio` while the command line is parsed, so an
output that names an input is refused before anything is written, and ``-``
means standard output.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from costplan.numbers import MAX_BUDGET_USD, NumberRule, parse_number
from costplan.safeio import STDOUT, declare_output, is_stdout

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

    from costplan.errors import CostplanError


_NOUNS = {
    "prices": "price sheet",
    "plan": "plan file",
    "queries": "query file",
    "catalog": "catalog file",
    "traffic": "traffic log",
    "evals": "eval file",
    "assignments": "assignments file",
}


class InputPath:
    """Parser of a path parameter that names an input of kind ``kind``.

    ``-`` is standard input (:data:`costplan.safeio.STDIN`; ``./-`` is a file named
    ``-``). Inputs are checked and registered when they are read (through
    :func:`costplan.safeio.read_input`), not here; ``kind`` ("workload",
    "prices", "plan", "queries", "catalog") tells the CLI tests what to pass.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __call__(self, text: str | Path) -> Path:
        from costplan.safeio import STDIN

        if str(text) != "-" or isinstance(text, Path):
            return Path(text)
        from costplan.errors import InputError
        from costplan.safeio import current

        if self.kind == "workload":
            raise InputError(
                "the workload cannot be standard input (-): its prices: and samples are "
                "found from its folder",
                hint="give the workload file (price sheets, plans and query files can be -)",
            )
        session = current()
        noun = _NOUNS.get(self.kind, self.kind)
        if session is not None:
            if session.stdin_argument is not None:
                raise InputError(
                    f"standard input (-) is already the {session.stdin_argument}; "
                    "only one input can be -",
                    hint=f"give the {noun} as a file",
                )
            session.stdin_argument = noun
        return STDIN


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


class Choice:
    """Parser of an option with a fixed set of values: anything else is a one-line
    :class:`~costplan.errors.InputError` (exit 2) ``OPTION must be PHRASE (got 'x')``,
    with a did-you-mean hint. Used with :func:`choice_option`, which lists the
    values in ``--help``."""

    def __init__(self, option: str, choices: tuple[str, ...], phrase: str | None = None):
        self.option = option
        self.choices = choices
        self.phrase = phrase or "one of " + ", ".join(choices)

    def __call__(self, text: str) -> str:
        from costplan.errors import InputError
        from costplan.validation import did_you_mean

        if text in self.choices:
            return text
        raise InputError(
            f"{self.option} must be {self.phrase}",
            value=text,
            hint=did_you_mean(text, self.choices),
        )


def choice_option(
    default: Any,
    *flags: str,
    choices: tuple[str, ...],
    help: str,
    phrase: str | None = None,
) -> Any:
    """A Typer option taking one of ``choices`` (listed in ``--help`` as ``[a|b]``)."""

    def complete(incomplete: str) -> list[str]:  # shell completion of the values
        return [c for c in choices if c.startswith(incomplete)]

    return typer.Option(
        default,
        *flags,
        metavar="[" + "|".join(choices) + "]",
        parser=Choice(flags[0], choices, phrase),
        autocompletion=complete,
        help=help,
    )


def format_option(
    *formats: str, default: str = "table", help: str | None = None, phrase: str | None = None
) -> Any:
    """The shared ``--format``/``-f`` option of every command that prints results.

    ``json`` is one JSON document on standard output (money as exact decimal
    strings), described by ``costplan schema output-<command>``.
    """
    text = help or (
        f"Output format (default {default}); json: one JSON document on stdout, "
        "schema: costplan schema output-<command>."
    )
    return choice_option(default, "--format", "-f", choices=formats, help=text, phrase=phrase)


def claim_stdout(option: str) -> None:
    """Declare standard output as this command's ``option`` output (``--format json``):
    another output also naming ``-`` is refused (:func:`costplan.safeio.declare_output`)."""
    declare_output(STDOUT, option)


def write_json(payload: Any) -> None:
    """``payload`` as indented JSON (UTF-8, trailing newline) on standard output."""
    import json

    from costplan.safeio import write_output

    write_output(STDOUT, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")


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
OBJECTIVES = ("max_quality", "min_cost")
ObjectiveOption = choice_option(
    None,
    "--objective",
    choices=OBJECTIVES,
    phrase="max_quality or min_cost",
    help="max_quality: best quality within the budget; min_cost: cheapest plan meeting "
    "the floors. Overrides the workload.",
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
