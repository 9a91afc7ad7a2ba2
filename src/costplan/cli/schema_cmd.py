"""``costplan schema KIND``: JSON Schema of the input formats (for editors), of the
reconcile JSON report (``reconcile``, as on main) and of every command's ``--format json``
document (``output-<command>``)."""

from __future__ import annotations

from pathlib import Path

import typer

from costplan.cli.common import OutputPath

# mirrors costplan.output_schemas.COMMANDS (not imported: keeps --help light; a test checks)
OUTPUTS = (
    "optimize",
    "assign",
    "estimate",
    "frontier",
    "frontier-latency",
    "check",
    "verify",
    "prices-validate",
    "prices-diff",
    "prices-import",
    "reconcile",
    "workload-build",
)
_OUTPUT_KINDS = ", ".join("output-" + command for command in OUTPUTS)


def schema(
    kind: str = typer.Argument(
        ...,
        metavar="KIND",
        help="workload, prices, reconcile (the JSON report), or output-COMMAND for a "
        "command's --format json document: "
        + _OUTPUT_KINDS
        + ".",
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Write to this file (atomically) instead of stdout.",
        parser=OutputPath("--out", (".json",)),
    ),
) -> None:
    """Print a JSON Schema: of workload or price sheet files (for editor completion), of the
    reconcile JSON report, or of a command's --format json output (output-optimize, ...)."""
    from costplan.safeio import STDOUT, write_output

    if kind.startswith("output-"):
        from costplan.errors import InputError
        from costplan.output_schemas import COMMANDS, output_schema_text
        from costplan.validation import did_you_mean

        command = kind.removeprefix("output-")
        if command not in COMMANDS:
            names = [f"output-{c}" for c in COMMANDS]
            raise InputError(
                "unknown output schema: choose one of " + ", ".join(names),
                value=kind,
                hint=did_you_mean(kind, names),
            )
        text = output_schema_text(command)
    else:
        from costplan.schemas import schema_text

        text = schema_text(kind)
    write_output(STDOUT if out is None else out, text)
