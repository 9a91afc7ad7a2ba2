"""``costplan optimize``: solve a workload and report the plan."""

from __future__ import annotations

from pathlib import Path

import typer

from costplan.cli.common import BudgetOption, PricesOption, console, parse_budget, paths


def optimize(
    workload: Path = typer.Argument(..., help="Workload YAML file."),
    prices: list[Path] | None = PricesOption,
    budget: str | None = BudgetOption,
    objective: str | None = typer.Option(
        None, "--objective", help="max_quality or min_cost; overrides the workload."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Write the plan to this .yaml or .json file (atomically)."
    ),
    time_limit: float = typer.Option(
        60.0, "--time-limit", min=0.01, help="Solver time limit, seconds."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No terminal report."),
    robust: bool = typer.Option(
        False, "--robust", help="Budget must hold at p95 prompt and output lengths."
    ),
) -> None:
    """Choose models for every task: best quality within budget, or least cost above floors."""
    from costplan.api import load_inputs
    from costplan.errors import InputError
    from costplan.optimize import optimize as run
    from costplan.planio import write_plan
    from costplan.report.terminal import render_plan

    if objective is not None and objective not in ("max_quality", "min_cost"):
        raise InputError("--objective must be max_quality or min_cost", value=objective)
    table = load_inputs(workload, paths(prices))
    plan = run(
        table,
        objective=objective,  # type: ignore[arg-type]
        budget_usd=parse_budget(budget),
        time_limit_s=time_limit,
        robust=robust,
    )
    if out is not None:
        write_plan(plan, out)
    if not quiet:
        render_plan(plan, console())
        if out is not None:
            console().print(f"plan written to {out}")
    if plan.status != "optimal":
        raise typer.Exit(3)
