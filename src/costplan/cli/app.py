"""The costplan command line: a thin Typer layer over the library.

Only this package turns :class:`costplan.errors.CostplanError` into a message on
stderr and an exit code; heavy modules are imported inside commands so that
``costplan --help`` stays fast.
"""

from __future__ import annotations

import os
import sys

import typer

from costplan.cli import (
    assign_cmd,
    check_cmd,
    estimate_cmd,
    export_cmd,
    frontier_cmd,
    optimize_cmd,
    prices_cmd,
    report_cmd,
    schema_cmd,
)

app = typer.Typer(
    name="costplan",
    help="Plan LLM spending: which model should serve which queries, within a budget.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("optimize")(optimize_cmd.optimize)
app.command("estimate")(estimate_cmd.estimate)
app.command("assign")(assign_cmd.assign)
app.command("report")(report_cmd.report)
app.command("export")(export_cmd.export)
app.command("check")(check_cmd.check)
app.command("schema")(schema_cmd.schema)
app.command("frontier")(frontier_cmd.frontier)
app.add_typer(prices_cmd.app, name="prices")


@app.command("version")
def version() -> None:
    """Print costplan's version."""
    from costplan import __version__

    typer.echo(__version__)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the app, map errors to exit codes (see README)."""
    from costplan.errors import CostplanError, one_line

    try:
        app(args=argv, prog_name="costplan")
    except CostplanError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: say so plainly, traceback only on request
        if os.environ.get("COSTPLAN_DEBUG"):
            raise
        typer.echo(
            f"internal error: {type(exc).__name__}: {one_line(str(exc))} "
            "(a bug in costplan; rerun with COSTPLAN_DEBUG=1 for a traceback)",
            err=True,
        )
        sys.exit(4)
