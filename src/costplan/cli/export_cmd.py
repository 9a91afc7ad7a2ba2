"""``costplan export``: a saved plan as a LiteLLM proxy config or CSV."""

from __future__ import annotations

from pathlib import Path

import typer

from costplan.cli.common import InputPath, OutputPath, choice_option, echo

TARGETS = ("litellm", "csv")  # mirrors costplan.export.EXPORTERS (a test keeps them equal)


def export(
    plan_file: Path = typer.Argument(
        ..., metavar="PLAN", help="Plan file (.yaml or .json).", parser=InputPath("plan")
    ),
    to: str = choice_option(
        ..., "--to", choices=TARGETS, help="litellm (proxy config YAML) or csv."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Write here (atomically) instead of standard output.",
        parser=OutputPath("--out"),
    ),
) -> None:
    """Export a plan: LiteLLM routing weights per task, or one CSV row per allocation."""
    from costplan.export import export_plan
    from costplan.planio import read_plan
    from costplan.safeio import STDOUT, is_stdout, write_output

    write_output(STDOUT if out is None else out, export_plan(read_plan(plan_file), to))
    if out is not None and not is_stdout(out):
        echo(f"{to} export written to {out}", err=True)
