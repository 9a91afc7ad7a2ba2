"""``costplan optimize``: solve a workload and report the plan."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from costplan.cli.common import (
    GAP,
    TIME_LIMIT,
    BudgetOption,
    InputPath,
    ObjectiveOption,
    OutputPath,
    PriceChangeOption,
    PricesOption,
    claim_stdout,
    console,
    format_option,
    number,
    output_console,
    parse_budget,
    paths,
    write_json,
)
from costplan.cli.report_cmd import report_format, write_report
from costplan.errors import InputError

if TYPE_CHECKING:
    from costplan.options import OptionTable
    from costplan.plan import Plan


def optimize(
    workload: Path = typer.Argument(..., help="Workload YAML file.", parser=InputPath("workload")),
    prices: list[Path] | None = PricesOption,
    budget: str | None = BudgetOption,
    objective: str | None = ObjectiveOption,
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Write the plan to this .yaml or .json file (atomically); - for stdout (YAML).",
        parser=OutputPath("--out", (".yaml", ".yml", ".json")),
    ),
    time_limit: float = typer.Option(
        60.0, "--time-limit", parser=number(TIME_LIMIT), help="Solver time limit, seconds."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No terminal report."),
    robust: bool = typer.Option(
        False, "--robust", hidden=True, help="Replaced by --confidence (refused)."
    ),
    confidence: float | None = typer.Option(
        None,
        "--confidence",
        help="Plan so that P(period cost <= budget) >= this (e.g. 0.95; README Uncertainty).",
    ),
    floor_confidence: float | None = typer.Option(
        None,
        "--floor-confidence",
        help="Plan so that P(task quality >= floor) >= this for every floor (needs n/stderr).",
    ),
    noise: bool = typer.Option(
        False, "--noise", help="Models within noise of each task's best; the cheapest tied plan."
    ),
    noise_confidence: float = typer.Option(
        0.95, "--noise-confidence", help="Two-sided confidence of --noise (0.95: 1.96 stderr)."
    ),
    stability_k: int = typer.Option(
        0, "--stability", help="K seeded quality redraws: how often each task keeps its choice."
    ),
    seed: int = typer.Option(0, "--seed", help="Seed of the --stability redraws."),
    gap: float = typer.Option(
        0.0,
        "--gap",
        parser=number(GAP),
        help="Accept a plan proven within this relative gap (e.g. 1e-6); 0 = prove optimal.",
    ),
    reports: list[Path] | None = typer.Option(
        None,
        "--report",
        help="Also write a report: .md (markdown) or .html; repeatable; - for stdout (markdown).",
        parser=OutputPath("--report", (".md", ".html")),
    ),
    price_change: list[str] | None = PriceChangeOption,
    fmt: str = format_option("table", "json"),
) -> None:
    """Choose models for every task: best quality within budget, or least cost above floors."""
    from costplan.api import load_inputs
    from costplan.cli.check_cmd import price_change_line
    from costplan.optimize import optimize as run
    from costplan.options import build_options
    from costplan.plan import plan_to_dict
    from costplan.planio import write_plan
    from costplan.pricing.whatif import apply_price_changes, parse_price_changes
    from costplan.report.terminal import render_plan
    from costplan.safeio import is_stdout

    if robust:
        raise InputError(
            "--robust is replaced by --confidence: it held the budget with every query at "
            "p95 lengths, far above any real risk",
            hint="use --confidence 0.95 (P(period cost <= budget) >= 0.95; README Uncertainty)",
        )
    _check_evidence_options(noise_confidence, stability_k, seed)
    if objective is not None and objective not in ("max_quality", "min_cost"):
        raise InputError("--objective must be max_quality or min_cost", value=objective)
    if fmt == "json":
        claim_stdout("--format json")  # the plan document, as in a .json plan file
    report_formats = [(p, report_format(p)) for p in reports or ()]  # fail before solving
    changes = parse_price_changes(price_change)
    table = before = load_inputs(workload, paths(prices))
    if changes:  # what-if: the same workload with changed prices
        table = build_options(before.workload, apply_price_changes(before.sheet, changes))

    def solve(t: OptionTable) -> Plan:
        return run(
            t,
            objective=objective,  # type: ignore[arg-type]
            budget_usd=parse_budget(budget),
            time_limit_s=time_limit,
            relative_gap=gap,
            confidence=confidence,
            floor_confidence=floor_confidence,
        )

    plan = solve(table)
    if noise or stability_k:
        plan = _with_evidence(table, plan, noise, noise_confidence, stability_k, seed, time_limit)
    if out is not None:
        write_plan(plan, out)
    for path, fmt in report_formats:
        write_report(plan, path, fmt)
    if fmt == "json":
        write_json(plan_to_dict(plan))
    if not quiet:
        # stderr when an output is stdout
        con = console(stderr=True) if fmt == "json" else output_console(out, *(reports or ()))
        if fmt != "json":
            render_plan(plan, con)
        written: list[tuple[Path | None, str]] = [(out, "plan")]
        written += [(p, "report") for p in reports or ()]
        for target, what in written:
            if target is not None and not is_stdout(target):
                con.print(f"{what} written to {target}", markup=False)
        if changes:
            con.print(price_change_line(before, plan, solve), markup=False)
    if plan.status != "optimal" and (plan.gap is None or not plan.gap <= gap):
        raise typer.Exit(3)  # stopped by the time limit above the accepted gap


#: Most --stability redraws (each is a full re-solve).
MAX_REDRAWS = 10_000


def _check_evidence_options(noise_confidence: float, stability_k: int, seed: int) -> None:
    if not 0 < noise_confidence < 1:
        raise InputError("--noise-confidence must be between 0 and 1", value=noise_confidence)
    if not 0 <= stability_k <= MAX_REDRAWS:
        raise InputError(f"--stability must be between 0 and {MAX_REDRAWS:,}", value=stability_k)
    if seed < 0:
        raise InputError("--seed must be >= 0", value=seed)


def _with_evidence(
    table: OptionTable,
    plan: Plan,
    noise: bool,
    noise_confidence: float,
    stability_k: int,
    seed: int,
    time_limit: float,
) -> Plan:
    """The plan with its ``noise`` and/or ``stability`` sections (costplan.risk.noise)."""
    import dataclasses
    from decimal import Decimal

    from costplan.risk.noise import noise_section, stability

    if noise:
        section = noise_section(table, Decimal(repr(noise_confidence)), time_limit)
        plan = dataclasses.replace(plan, noise=section)
    if stability_k:
        kept = stability(table, plan, stability_k, seed=seed, time_limit_s=time_limit)
        plan = dataclasses.replace(plan, stability=kept)
    return plan
