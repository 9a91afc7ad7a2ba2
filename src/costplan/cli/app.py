"""The costplan command line: a thin Typer layer over the library.

Only this package turns :class:`costplan.errors.CostplanError` into a message on
stderr and an exit code; heavy modules are imported inside commands so that
``costplan --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, NoReturn

import typer

from costplan.cli import (
    assign_cmd,
    check_cmd,
    estimate_cmd,
    export_cmd,
    frontier_cmd,
    optimize_cmd,
    prices_cmd,
    reconcile_cmd,
    report_cmd,
    schema_cmd,
    verify_cmd,
    workload_cmd,
)
from costplan.cli.common import Choice as choice_parser

if TYPE_CHECKING:
    from costplan.errors import CostplanError

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
app.command("verify")(verify_cmd.verify)
app.command("reconcile")(reconcile_cmd.reconcile)
app.add_typer(prices_cmd.app, name="prices")
app.add_typer(workload_cmd.app, name="workload")


@app.command("version")
def version() -> None:
    """Print costplan's version."""
    from costplan import __version__

    typer.echo(__version__)


def _version_flag(value: bool) -> None:
    if value:
        version()
        raise typer.Exit(0)


@app.callback()
def _root(
    show_version: bool = typer.Option(
        False,
        "--version",
        is_eager=True,
        callback=_version_flag,
        help="Print costplan's version and exit.",
    ),
) -> None:
    """Plan LLM spending: which model should serve which queries, within a budget."""


SHELLS = ("bash", "zsh", "fish")
COMPLETE_VAR = "_COSTPLAN_COMPLETE"


@app.command("completion")
def completion(
    shell: str = typer.Argument(
        ...,
        metavar="[bash|zsh|fish]",
        help="The shell to complete in.",
        parser=choice_parser("SHELL", SHELLS),
    ),
) -> None:
    """Print the shell completion script; e.g. eval "$(costplan completion bash)" in ~/.bashrc,
    costplan completion fish > ~/.config/fish/completions/costplan.fish."""
    from typer._completion_shared import get_completion_script

    typer.echo(get_completion_script(prog_name="costplan", complete_var=COMPLETE_VAR, shell=shell))


def _completion_classes() -> None:
    """Register Typer's shell classes when a shell asks for completions (the script
    sets ``_COSTPLAN_COMPLETE``); not otherwise, so that startup stays light."""
    if os.environ.get(COMPLETE_VAR):
        from typer._completion_classes import completion_init

        completion_init()


def _invoke(argv: list[str] | None) -> int:
    """Run the app; click's usage errors become one-line InputErrors (exit 2)."""
    from costplan.errors import InputError

    # click's exceptions, wherever this Typer takes click from (it may vendor it).
    clickexc = sys.modules[typer.BadParameter.__module__]
    _completion_classes()
    try:
        code = app(args=argv, prog_name="costplan", standalone_mode=False)
    except clickexc.NoArgsIsHelpError as exc:
        typer.echo(exc.ctx.get_help())
        return 2
    except clickexc.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx is not None else "costplan"
        raise InputError(
            f"{where}: {exc.format_message().rstrip('.')}", hint=f"see '{where} --help'"
        ) from None
    except clickexc.ClickException as exc:
        raise InputError(exc.format_message()) from None
    except typer.Abort:
        raise KeyboardInterrupt from None
    return code if isinstance(code, int) else 0


def _missing_package(exc: ImportError) -> CostplanError:
    """A package costplan needs is not installed, or is too old (``cannot import
    name``): say which, and the pip command that fixes it (exit 2)."""
    from costplan.errors import InputError

    module = (exc.name or "?").split(".")[0]
    dist = _DISTRIBUTIONS.get(module, module)
    if isinstance(exc, ModuleNotFoundError):
        return InputError(
            f"the Python package {dist!r} is not installed (module {module!r})",
            hint=f"install it with: pip install {dist}",
        )
    return InputError(
        f"the installed Python package {dist!r} is too old or broken: {exc.msg}",
        hint=f"upgrade it with: pip install --upgrade {dist}",
    )


#: Import names whose distribution (what pip installs) is named differently.
_DISTRIBUTIONS = {"genai_prices": "genai-prices", "yaml": "pyyaml", "PIL": "pillow"}


def _is_costplan(exc: ImportError) -> bool:
    """An import of costplan's own code failed: that is a bug, not a missing package."""
    name = exc.name or ""
    return name == "costplan" or name.startswith("costplan.") or exc.name is None


def _internal_error(exc: BaseException) -> NoReturn:
    """A bug: one plain line, exit 4 (the traceback only with COSTPLAN_DEBUG=1)."""
    from costplan.textsafe import printable

    typer.echo(
        f"internal error: {type(exc).__name__}: {printable(str(exc))} "
        "(a bug in costplan; rerun with COSTPLAN_DEBUG=1 for a traceback)",
        err=True,
    )
    sys.exit(4)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the app, map errors to exit codes (see README)."""
    from costplan.cli.common import print_error
    from costplan.errors import CostplanError
    from costplan.safeio import Interrupted, check_stderr, session

    try:
        with session():  # this invocation's inputs and outputs; SIGTERM/SIGHUP like Ctrl-C
            check_stderr(sys.argv[1:] if argv is None else argv)
            code = _invoke(argv)
    except CostplanError as exc:
        print_error(exc)
        sys.exit(exc.exit_code)
    except Interrupted as exc:  # SIGINT, SIGTERM, SIGHUP: temporary files already removed
        typer.echo(f"error: interrupted ({exc.name}); no output was left half-written", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:  # Ctrl-C outside a session's handler (e.g. a worker thread)
        typer.echo("error: interrupted (SIGINT); no output was left half-written", err=True)
        sys.exit(130)
    except ImportError as exc:  # ModuleNotFoundError too
        if os.environ.get("COSTPLAN_DEBUG"):
            raise
        if _is_costplan(exc):
            _internal_error(exc)
        err = _missing_package(exc)
        print_error(err)
        sys.exit(err.exit_code)
    except Exception as exc:  # a bug: say so plainly, traceback only on request
        if os.environ.get("COSTPLAN_DEBUG"):
            raise
        _internal_error(exc)
    if code:
        sys.exit(code)
