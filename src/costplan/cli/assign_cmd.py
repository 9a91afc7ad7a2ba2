"""``costplan assign``: one model per query, for a whole query file."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from costplan.cli.common import (
    OBJECTIVES,
    OUTPUT_TOKENS,
    TIME_LIMIT,
    BudgetOption,
    InputPath,
    OutputPath,
    PricesOption,
    choice_option,
    claim_stdout,
    console,
    format_option,
    number,
    output_console,
    parse_budget,
    paths,
    write_json,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from costplan.assign import Assignment
    from costplan.plan import Plan
    from costplan.queries import QuerySet


def _gap(
    qs: QuerySet,
    result: Assignment,
    pred: QuerySet,
    solve: Callable[[QuerySet, Callable[[int], None] | None], Assignment],
) -> tuple[str, ...]:
    """Solve on the predictions too; the lines comparing the two (see costplan.hindsight)."""
    from costplan.hindsight import compare

    p = solve(pred, None)
    gap = compare(
        qs,
        pred,
        int(result.quality_micro.sum()),
        int(result.cost_pusd.sum()),
        [o.model for o in p.options],
        p.choice,
        p.quality_micro,
        int(p.cost_pusd.sum()),
    )
    return gap.lines(pred.path.name)


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """``NAME=VALUE`` pairs from a repeatable option."""
    from costplan.errors import InputError

    out: dict[str, str] = {}
    for raw in values or []:
        name, sep, value = raw.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InputError(f"{option} takes NAME=VALUE", value=raw)
        out[name.strip()] = value.strip()
    return out


def summary_line(plan: Plan, queries: int) -> str:
    """``queries: N; total quality Q (bound B); gap G`` in the objective's own unit."""
    from decimal import Decimal

    from costplan.money import fmt_usd, pusd_to_usd

    if plan.objective == "max_quality":
        value = Decimal(plan.quality_micro_total) / 10**6
        bound = Decimal(plan.bound if plan.bound is not None else 0) / 10**6
        what = f"total quality {value:,.6f} (bound {bound:,.6f})"
    else:
        what = (
            f"cost {fmt_usd(pusd_to_usd(plan.cost_pusd), places=6)} "
            f"(bound {fmt_usd(pusd_to_usd(plan.bound or 0), places=6)})"
        )
    gap = "unknown" if plan.gap is None else f"{float(plan.gap):.3g}"  # display only
    return f"queries: {queries:,}; {what}; gap {gap}"


def assign(
    queries: Path = typer.Argument(
        ..., help="Query file: .jsonl or .csv (see README).", parser=InputPath("queries")
    ),
    prices: list[Path] | None = PricesOption,
    budget: str | None = BudgetOption,
    objective: str = choice_option(
        "max_quality",
        "--objective",
        choices=OBJECTIVES,
        phrase="max_quality or min_cost",
        help="max_quality: best quality within the budget; min_cost: least cost above "
        "--min-quality.",
    ),
    min_quality: str | None = typer.Option(
        None, "--min-quality", help="min_cost: mean quality floor over all queries (0..1)."
    ),
    batch: bool = typer.Option(
        False, "--batch", help="Also allow batch prices (no realtime need)."
    ),
    output_tokens: int | None = typer.Option(
        None,
        "--output-tokens",
        parser=number(OUTPUT_TOKENS),
        help="Output tokens for queries that do not say.",
    ),
    capacity: list[str] | None = typer.Option(
        None, "--capacity", help="MODEL=N requests per period (repeatable); MODEL=Nt for tokens."
    ),
    max_share: list[str] | None = typer.Option(
        None, "--max-provider-share", help="PROVIDER=0.6 share of spend (repeatable; * = any)."
    ),
    task_floor: list[str] | None = typer.Option(
        None, "--task-min-quality", help="TASK=0.9 mean quality floor for a task (repeatable)."
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Per-query results: .csv or .jsonl (atomically); - for stdout (CSV).",
        parser=OutputPath("--out", (".csv", ".jsonl")),
    ),
    plan_out: Path | None = typer.Option(
        None,
        "--plan",
        help="Summary plan file: .yaml or .json (atomically); - for stdout (YAML).",
        parser=OutputPath("--plan", (".yaml", ".yml", ".json")),
    ),
    time_limit: float = typer.Option(
        60.0, "--time-limit", parser=number(TIME_LIMIT), help="Solver time limit, s."
    ),
    predictions: Path | None = typer.Option(
        None,
        "--predictions",
        help="Predicted per-query quality (a query file with the same queries): also solve "
        "on it and show the gap to the query file's (hindsight) assignment.",
        parser=InputPath("predictions"),
    ),
    engine: str = choice_option(
        "single",
        "--engine",
        choices=("single", "dask"),
        phrase="single or dask",
        help="single: this process; dask: Parquet shards (a directory or glob) read and priced "
        "on a dask.distributed cluster, solved exactly as by single (README).",
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="--engine dask: address of an existing Dask scheduler "
        "(default: a local cluster of 2 workers)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or report."),
    fmt: str = format_option("table", "json"),
) -> None:
    """Assign every query to one model: best quality within budget, or least cost above a floor."""
    from decimal import Decimal

    from costplan.assign import AssignSideConstraints
    from costplan.assign import assign as run
    from costplan.errors import InputError
    from costplan.money import budget_to_pusd
    from costplan.numbers import NumberRule, parse_number
    from costplan.pricing.load import load_price_sheets
    from costplan.queries import load_queries

    if fmt == "json":
        claim_stdout("--format json")  # the plan document, as in a .json plan file
    if not prices:
        raise InputError("--prices is required for assign", hint="pass --prices prices.yaml")

    def decimal(option: str, text: str, low: Decimal, high: Decimal) -> Decimal:
        return parse_number(text, NumberRule(option, low, high))

    requests: dict[str, int] = {}
    tokens: dict[str, int] = {}
    for model, text in _pairs(capacity, "--capacity").items():
        is_tokens = text.endswith("t")
        rule = NumberRule(
            f"--capacity {model}", Decimal(0), Decimal(10**18 if is_tokens else 10**15), whole=True
        )
        number = text[:-1] if is_tokens else text
        (tokens if is_tokens else requests)[model] = int(parse_number(number, rule))
    shares = {
        p: decimal("--max-provider-share", v, Decimal(0), Decimal(1))
        for p, v in _pairs(max_share, "--max-provider-share").items()
    }
    floors = {
        t: decimal("--task-min-quality", v, Decimal(0), Decimal(1))
        for t, v in _pairs(task_floor, "--task-min-quality").items()
    }
    mean_floor = (
        None
        if min_quality is None
        else decimal("--min-quality", min_quality, Decimal(0), Decimal(1))
    )
    budget_usd = parse_budget(budget)
    if engine == "dask":
        _refuse_for_dask(capacity, max_share, task_floor, predictions)
    elif scheduler is not None:
        raise InputError("--scheduler needs --engine dask")
    sheet = load_price_sheets(paths(prices))
    if engine == "dask":
        from costplan.dask_engine import assign_dask

        dask_result = assign_dask(
            queries, sheet, scheduler=scheduler,
            objective=objective,  # type: ignore[arg-type]
            budget_pusd=None if budget_usd is None else budget_to_pusd(budget_usd),
            min_mean_quality=mean_floor, modes=("standard", "batch") if batch else ("standard",),
            default_output=output_tokens, time_limit_s=time_limit,
        )  # fmt: skip
        _finish(dask_result, dask_result.queries, out, plan_out, fmt, quiet)
        return
    qs = load_queries(queries, default_output_tokens=output_tokens)
    for m in (*requests, *tokens):
        if m not in sheet.models:
            raise InputError("--capacity names a model that is not in the price sheet", value=m)

    progress_cb = None
    bar = None
    if not quiet and qs.texts is not None and qs.size >= 10_000:
        from rich.progress import Progress

        bar = Progress(console=console(stderr=True), transient=True)
        bar.start()
        task_id = bar.add_task("counting tokens", total=qs.size)

        def progress_cb(done: int) -> None:
            bar.update(task_id, completed=done)

    def solve(queries: QuerySet, progress: Callable[[int], None] | None) -> Assignment:
        return run(
            queries,
            sheet,
            objective=objective,  # type: ignore[arg-type]
            budget_pusd=None if budget_usd is None else budget_to_pusd(budget_usd),
            min_mean_quality=mean_floor,
            modes=("standard", "batch") if batch else ("standard",),
            side=AssignSideConstraints(requests, tokens, shares, floors),
            time_limit_s=time_limit,
            progress=progress,
        )

    try:
        result = solve(qs, progress_cb)
    finally:
        if bar is not None:
            bar.stop()
    gap_lines: tuple[str, ...] = ()
    if predictions is not None:
        gap_lines = _gap(qs, result, load_queries(predictions, default_output_tokens=output_tokens),
                         solve)  # fmt: skip
        result = dataclasses.replace(
            result, plan=dataclasses.replace(result.plan, notes=(*result.plan.notes, *gap_lines))
        )
    _finish(result, qs, out, plan_out, fmt, quiet)


def _refuse_for_dask(*given: object) -> None:
    from costplan.dask_engine import SUPPORTED
    from costplan.errors import InputError

    names = ("--capacity", "--max-provider-share", "--task-min-quality", "--predictions")
    for name, value in zip(names, given, strict=True):
        if value:
            raise InputError(f"--engine dask does not support {name}; it supports "
                             + ", ".join(SUPPORTED))  # fmt: skip


def _finish(result: Assignment, qs: QuerySet, out: Path | None, plan_out: Path | None,
            fmt: str, quiet: bool) -> None:  # fmt: skip
    """Write the outputs and the report; exit 3 when the plan is not proven optimal."""
    from costplan.assign import write_assignments
    from costplan.planio import write_plan
    from costplan.report.terminal import render_plan
    from costplan.safeio import is_stdout

    if out is not None:
        write_assignments(result, out)
    if plan_out is not None:
        write_plan(result.plan, plan_out)
    if fmt == "json":
        from costplan.plan import plan_to_dict

        write_json(plan_to_dict(result.plan))
    if not quiet:
        # stderr when an output is stdout
        con = console(stderr=True) if fmt == "json" else output_console(out, plan_out)
        if fmt != "json":
            render_plan(result.plan, con)
            con.print(summary_line(result.plan, qs.size), markup=False)
        for path, what in ((out, "assignments"), (plan_out, "plan")):
            if path is not None and not is_stdout(path):
                con.print(f"{what} written to {path}", markup=False)
    if result.plan.status != "optimal":
        raise typer.Exit(3)
