"""``costplan export``: a saved plan as a LiteLLM proxy config or CSV."""

from __future__ import annotations

from pathlib import Path

import typer

from costplan.cli.common import InputPath, OutputPath, choice_option, echo, paths

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
    workload: Path | None = typer.Option(
        None,
        "--workload",
        "-w",
        help="litellm: the workload (capacity -> rpm/tpm); default: the one the plan records.",
        parser=InputPath("workload"),
    ),
    prices: list[Path] | None = typer.Option(
        None,
        "--prices",
        "-p",
        help="litellm: price sheet(s) for model names and cost fields; default: the "
        "workload's (unchanged since the plan).",
        parser=InputPath("prices"),
    ),
) -> None:
    """Export a plan: LiteLLM proxy config (routing groups, batch jobs, costs, limits), or CSV."""
    from costplan.export import export_plan
    from costplan.planio import read_plan
    from costplan.safeio import STDOUT, is_stdout, write_output

    plan = read_plan(plan_file)
    inputs = None
    if to == "litellm":
        from costplan.export_inputs import load_export_inputs

        inputs = load_export_inputs(plan, plan_file, workload, paths(prices))
    write_output(STDOUT if out is None else out, export_plan(plan, to, inputs))
    if out is not None and not is_stdout(out):
        echo(f"{to} export written to {out}", err=True)
