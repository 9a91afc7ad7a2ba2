"""``costplan report``: re-render a saved plan as markdown or HTML.

Also home of the report-format rules that ``optimize --report`` shares: the
format comes from ``--format`` or else from the output file's suffix.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from costplan.cli.common import (
    POINTS,
    TIME_LIMIT,
    InputPath,
    OutputPath,
    choice_option,
    echo,
    number,
)
from costplan.errors import InputError
from costplan.safeio import STDOUT, is_stdout

if TYPE_CHECKING:
    from costplan.plan import Plan

REPORT_SUFFIXES = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}
REPORT_FORMATS = ("md", "html")


def report_format(path: Path, option: str = "--report") -> str:
    """``md`` or ``html`` from ``path``'s suffix (``md`` for standard output);
    InputError (exit 2) otherwise."""
    if is_stdout(path):
        return "md"
    fmt = REPORT_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{option} file must end in .md or .html",
            file=path,
            value=path.suffix or path.name,
        )
    return fmt


def render_report(plan: Plan, fmt: str, frontier: Any = None) -> str:
    """The report text of ``plan`` in ``fmt`` (``md`` or ``html``)."""
    if fmt == "html":
        from costplan.report.html import render_html

        return render_html(plan, frontier)
    from costplan.report.markdown import render_markdown

    return render_markdown(plan, frontier)


def write_report(plan: Plan, path: Path, fmt: str | None = None, frontier: Any = None) -> None:
    """Render and write atomically (the old file stays whole if anything fails)."""
    from costplan.safeio import write_output

    text = render_report(plan, fmt or report_format(path), frontier)
    write_output(path, text)


def plan_frontier(plan: Plan, points: int, time_limit_s: float) -> Any:
    """The frontier of the inputs ``plan`` was made from, checked unchanged.

    The workload is ``plan.workload_path`` and the price sheets are the plan's
    other recorded inputs; each file's sha256 must still equal the one in the
    plan, otherwise the frontier would describe different inputs (exit 2).
    """
    from costplan.api import load_inputs
    from costplan.frontier import compute_frontier

    if plan.workload_path is None:
        raise InputError(
            "--frontier needs the plan's workload, and this plan does not record its path"
        )
    workload = plan.workload_path
    table = load_inputs(Path(workload), tuple(Path(p) for p in plan.inputs if p != workload))
    now = dict(table.sheet.sha256)
    if table.workload.doc is not None:
        now[str(table.workload.doc.path)] = table.workload.doc.sha256
    for path, digest in plan.inputs.items():
        if now.get(path) != digest:
            raise InputError(
                "input changed since the plan was made (sha256 differs)",
                file=path,
                hint="re-run costplan optimize, then report",
            )
    return compute_frontier(table, points=points, time_limit_s=time_limit_s)


def report(
    plan_file: Path = typer.Argument(
        ..., metavar="PLAN", help="Plan file (.yaml or .json).", parser=InputPath("plan")
    ),
    fmt: str | None = choice_option(
        None,
        "--format",
        "-f",
        choices=REPORT_FORMATS,
        phrase="md or html",
        help="md or html; default: from -o's suffix, else md.",
    ),
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help="Write here (atomically) instead of standard output.",
        parser=OutputPath("--out", (".md", ".html")),
    ),
    frontier: bool = typer.Option(
        False,
        "--frontier",
        help="Also compute and show the cost-quality frontier of the plan's inputs "
        "(they must be unchanged).",
    ),
    points: int = typer.Option(
        10, "--points", "-n", parser=number(POINTS), help="Frontier budgets (with --frontier)."
    ),
    time_limit: float = typer.Option(
        10.0,
        "--time-limit",
        parser=number(TIME_LIMIT),
        help="Solver time limit per frontier point, seconds.",
    ),
) -> None:
    """Render a saved plan as a markdown or self-contained HTML report."""
    from costplan.planio import read_plan

    if fmt is None:
        fmt = "md" if out is None else report_format(out, "--out")
    plan = read_plan(plan_file)
    front = plan_frontier(plan, points, time_limit) if frontier else None
    write_report(plan, STDOUT if out is None else out, fmt, front)
    if out is not None and not is_stdout(out):
        echo(f"report written to {out}", err=True)
