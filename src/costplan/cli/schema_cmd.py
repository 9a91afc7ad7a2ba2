"""``costplan schema workload|prices|reconcile``: JSON Schema of the input formats (for
editors) and of ``costplan reconcile --format json`` (for the tools that read it)."""

from __future__ import annotations

from pathlib import Path

import typer

from costplan.cli.common import OutputPath


def schema(
    kind: str = typer.Argument(..., help="workload, prices or reconcile (the JSON report)."),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Write to this file (atomically) instead of stdout.",
        parser=OutputPath("--out", (".json",)),
    ),
) -> None:
    """Print the JSON Schema of workload or price sheet files, or of the reconcile JSON report."""
    from costplan.safeio import STDOUT, write_output
    from costplan.schemas import schema_text

    write_output(STDOUT if out is None else out, schema_text(kind))
