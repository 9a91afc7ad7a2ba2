"""``costplan export``: a saved plan as a LiteLLM proxy config or CSV."""

from __future__ import annotations

from pathlib import Path

import typer


def export(
    plan_file: Path = typer.Argument(..., metavar="PLAN", help="Plan file (.yaml or .json)."),
    to: str = typer.Option(..., "--to", help="litellm (proxy config YAML) or csv."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write here (atomically) instead of standard output."
    ),
) -> None:
    """Export a plan: LiteLLM routing weights per task, or one CSV row per allocation."""
    from costplan.atomic import write_atomic
    from costplan.errors import InputError
    from costplan.export import EXPORTERS, export_plan
    from costplan.planio import read_plan

    if to not in EXPORTERS:  # before reading the plan: a usage error wins
        raise InputError(f"--to must be one of {', '.join(EXPORTERS)}", value=to)
    text = export_plan(read_plan(plan_file), to)
    if out is None:
        from costplan.cli.common import echo_document

        echo_document(text)
    else:
        write_atomic(out, text)
