"""``costplan export``: a saved plan as a LiteLLM proxy config or CSV."""

from __future__ import annotations

from pathlib import Path

import typer

from costplan.cli.common import InputPath, OutputPath


def export(
    plan_file: Path = typer.Argument(
        ..., metavar="PLAN", help="Plan file (.yaml or .json).", parser=InputPath("plan")
    ),
    to: str = typer.Option(..., "--to", help="litellm (proxy config YAML) or csv."),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Write here (atomically) instead of standard output.",
        parser=OutputPath("--out"),
    ),
) -> None:
    """Export a plan: LiteLLM routing weights per task, or one CSV row per allocation."""
    from costplan.errors import InputError
    from costplan.export import EXPORTERS, export_plan
    from costplan.planio import read_plan
    from costplan.safeio import STDOUT, write_output

    if to not in EXPORTERS:  # before reading the plan: a usage error wins
        raise InputError(f"--to must be one of {', '.join(EXPORTERS)}", value=to)
    write_output(STDOUT if out is None else out, export_plan(read_plan(plan_file), to))
