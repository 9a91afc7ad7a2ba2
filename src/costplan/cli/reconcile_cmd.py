"""``costplan reconcile``: a plan against the month's actual usage, and the drift gate.

Exit codes: 0 done (and within every threshold given); 1 a threshold broken
(``--max-overrun``, ``--max-mix-drift``: one reason per line on stderr, after every
requested output is written); 2 invalid input. The work is
:func:`costplan.reconcile.run.reconcile`; this module parses and renders.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from costplan.cli.common import (
    InputPath,
    OutputPath,
    echo,
    format_option,
    output_console,
    paths,
)

if TYPE_CHECKING:
    from costplan.reconcile.run import Reconciled

FORMATS = ("table", "markdown", "json")
REPORT_SUFFIXES = (".md", ".html", ".json")


def _pct(text: str | None, option: str) -> Decimal | None:
    from costplan.cli.check_cmd import parse_percent

    return parse_percent(text, option)


def _requests(values: list[str] | None) -> dict[str, int]:
    from costplan.cli.workload_cmd import parse_pairs
    from costplan.numbers import NumberRule, parse_whole

    return {
        key: parse_whole(n, NumberRule(f"--requests {key}=N", Decimal(0), Decimal(10**12),
                                       whole=True))
        for key, n in parse_pairs(values, "--requests").items()
    }


def _report_text(rec: Reconciled, fmt: str, gate: list[str] | None) -> str:
    import json

    from costplan.reconcile import render

    if fmt == "json":
        return json.dumps(render.to_json(rec, gate), indent=2) + "\n"
    if fmt == "html":
        from costplan.reconcile.html import render_html

        return render_html(rec, gate)
    return render.render_markdown(rec, gate)


def _out_format(path: Path) -> str:
    from costplan.errors import InputError
    from costplan.safeio import is_stdout

    if is_stdout(path):
        return "md"
    suffix = path.suffix.lower()
    if suffix not in REPORT_SUFFIXES:
        raise InputError("--out file must end in .md, .html or .json", file=path,
                         value=suffix or path.name)
    return suffix[1:]


def reconcile(
    plan: Path = typer.Argument(..., help="Plan file written by optimize --out.",
                                parser=InputPath("plan")),
    usage: list[Path] = typer.Option(
        ..., "--usage", "-u", help="Actual usage: traffic logs or usage reports (repeatable).",
        parser=InputPath("traffic"),
    ),
    prices: list[Path] | None = typer.Option(
        None, "--prices", "-p", help="Price sheet(s) in force during the period "
        "(default: the plan's).", parser=InputPath("prices"),
    ),
    plan_prices: list[Path] | None = typer.Option(
        None, "--plan-prices", help="Price sheet(s) the plan was made with (default: the "
        "workload's).", parser=InputPath("prices"),
    ),
    workload: Path | None = typer.Option(
        None, "--workload", "-w", help="Workload file; default: the one the plan records.",
        parser=InputPath("workload"),
    ),
    period: str | None = typer.Option(
        None, "--period", help="YYYY-MM or START/END (ISO 8601, UTC); default: the usage's span."
    ),
    task_key: str | None = typer.Option(
        None, "--task-key", help="Group records into tasks by this attribute/metadata key/column."
    ),
    usage_format: str | None = typer.Option(
        None, "--usage-format", help="Traffic format (default: detected from content)."
    ),
    mapping: list[str] | None = typer.Option(
        None, "--map", help="COLUMN=FIELD for generic files (repeatable)."
    ),
    model: list[str] | None = typer.Option(
        None, "--model", help="LOGGED=SHEET model name (repeatable)."
    ),
    task_map: list[str] | None = typer.Option(
        None, "--task-map", help="LOGGED=PLANTASK task name (repeatable)."
    ),
    requests: list[str] | None = typer.Option(
        None, "--requests", help="TASK=N or TASK/MODEL=N requests, for usage reports without "
        "request counts (Anthropic's; repeatable).",
    ),
    strict: bool = typer.Option(False, "--strict", help="Fail on the first malformed row."),
    max_overrun: str | None = typer.Option(
        None, "--max-overrun", help="Exit 1 when actual cost exceeds the plan by more than this %."
    ),
    max_mix_drift: str | None = typer.Option(
        None, "--max-mix-drift",
        help="Exit 1 when more than this % of a task's quality-weighted traffic went elsewhere "
        "than planned.",
    ),
    fmt: str = format_option("table", "markdown", "json", phrase="table, markdown or json"),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Report file: .md, .html (waterfall chart) or .json.",
        parser=OutputPath("--out", REPORT_SUFFIXES),
    ),
    focus: Path | None = typer.Option(
        None, "--focus", help="FOCUS 1.2 CSV of planned and actual cost lines.",
        parser=OutputPath("--focus", (".csv",)),
    ),
) -> None:
    """Plan against actual usage: per task and model, effects that add up exactly, a gate.

    Exit codes: 0 reconciled, within every threshold given; 1 a --max-overrun or
    --max-mix-drift threshold broken (one reason per line on stderr, every requested
    output written first); 2 invalid input (one line naming the file, key or value).
    """
    from costplan.cli.workload_cmd import parse_pairs
    from costplan.errors import CheckFailedError, InputError
    from costplan.reconcile import render
    from costplan.reconcile.gate import Thresholds, reasons
    from costplan.reconcile.load import UsageRequest
    from costplan.reconcile.run import ReconcileRequest, reconcile
    from costplan.safeio import STDOUT, is_stdout, write_output

    out_fmt = _out_format(out) if out is not None else None
    if fmt != "table" and out is not None and is_stdout(out):
        raise InputError(f"--out - and --format {fmt} both write to standard output (-)")
    th = Thresholds(_pct(max_overrun, "--max-overrun"), _pct(max_mix_drift, "--max-mix-drift"))
    req = ReconcileRequest(
        plan=plan,
        usage=UsageRequest(
            files=paths(usage), fmt=usage_format, task_key=task_key,
            mapping=parse_pairs(mapping, "--map"), aliases=parse_pairs(model, "--model"),
            task_map=parse_pairs(task_map, "--task-map"), period=period, strict=strict,
            requests=_requests(requests),
        ),
        prices=paths(prices), plan_prices=paths(plan_prices), workload=workload,
    )
    rec = reconcile(req)
    gate = reasons(rec.result, th) if th.any else None
    if focus is not None:
        from costplan.reconcile.focus import focus_csv

        write_output(focus, focus_csv(rec))
    if out is not None and out_fmt is not None:
        write_output(out, _report_text(rec, out_fmt, gate))
    if fmt == "json":
        write_output(STDOUT, _report_text(rec, "json", gate))
    elif fmt == "markdown":
        write_output(STDOUT, render.render_markdown(rec, gate))
    else:
        render.render_terminal(rec, output_console(out, focus), gate)
    if fmt != "table":
        for line in rec.warnings:
            echo(line, err=True)
    if gate:
        raise CheckFailedError("reconcile gate failed:", details=[f"  {g}" for g in gate])
