"""``costplan schema workload|prices``: JSON Schema of the input formats, for editors."""

from __future__ import annotations

from pathlib import Path

import typer


def schema(
    kind: str = typer.Argument(..., help="workload or prices."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write to this file (atomically) instead of stdout."
    ),
) -> None:
    """Print the JSON Schema of workload or price sheet files (for editor completion)."""
    from costplan.atomic import write_atomic
    from costplan.schemas import schema_text

    text = schema_text(kind)
    if out is None:
        typer.echo(text, nl=False)
    else:
        write_atomic(out, text)
