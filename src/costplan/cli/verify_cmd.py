"""``costplan verify``: check a saved plan against its raw inputs, independently."""

from __future__ import annotations

from pathlib import Path

import typer

from costplan.cli.common import (
    InputPath,
    PriceChangeOption,
    PricesOption,
    claim_stdout,
    echo,
    format_option,
    paths,
    write_json,
)


def verify(
    plan_file: Path = typer.Argument(
        ..., metavar="PLAN", help="Plan file (.yaml or .json).", parser=InputPath("plan")
    ),
    workload: Path | None = typer.Option(
        None,
        "--workload",
        "-w",
        help="Workload file; default: the one the plan records.",
        parser=InputPath("workload"),
    ),
    prices: list[Path] | None = PricesOption,
    queries: Path | None = typer.Option(
        None,
        "--queries",
        help="assign plans: the query file (.jsonl or .csv).",
        parser=InputPath("queries"),
    ),
    assignments: Path | None = typer.Option(
        None,
        "--assignments",
        help="assign plans: the per-query rows assign wrote with -o.",
        parser=InputPath("assignments"),
    ),
    price_change: list[str] | None = PriceChangeOption,
    fmt: str = format_option("table", "json"),
) -> None:
    """Re-derive every number of a plan from the raw inputs; exit 1 naming each violation."""
    from costplan.safeio import claim_input
    from costplan.verify import raw as checker_io

    def register(path: Path, what: str) -> None:
        claim_input(path, what=what)  # an input like any other: stdout must not be it

    if fmt == "json":
        claim_stdout("--format json")
    checker_io.ON_READ.append(register)
    try:
        _verify(plan_file, workload, paths(prices), queries, assignments, price_change, fmt)
    finally:
        checker_io.ON_READ.remove(register)


def _verify(
    plan_file: Path,
    workload: Path | None,
    prices: tuple[Path, ...],
    queries: Path | None,
    assignments: Path | None,
    price_change: list[str] | None,
    fmt: str,
) -> None:
    from costplan.errors import InputError
    from costplan.safeio import claim_input, is_stdin
    from costplan.verify import Sources, check_file
    from costplan.verify.queryfile import read_rows
    from costplan.verify.raw import read_file

    label = str(plan_file)  # "-" for standard input, in messages
    if is_stdin(plan_file):  # the checker reads files: standard input's spool
        plan_file = claim_input(plan_file, what="plan file")
    raw = read_file(plan_file, "plan file")
    if not isinstance(raw.data, dict):
        raise InputError("a plan file is a mapping", file=plan_file)
    # An assign plan records no workload; a workload plan is always checked as one.
    per_query = workload is None and raw.data.get("workload_path") is None
    if workload is None and not per_query:
        recorded = raw.data.get("workload_path")
        if not isinstance(recorded, str):
            raise InputError("the plan records no workload: pass --workload", file=plan_file)
        workload = Path(recorded)
    if per_query and (queries is None) != (assignments is None):
        raise InputError("re-pricing an assign plan needs both --queries and --assignments")
    if per_query and queries is not None and not prices:
        raise InputError("re-pricing an assign plan needs --prices")
    sources = Sources(
        workload=None if per_query else workload,
        prices=prices,
        price_changes=tuple(price_change or ()),
        queries=queries,
        rows=None if assignments is None else read_rows(assignments),
    )
    found = check_file(plan_file, sources)
    tasks = raw.data.get("tasks") or []
    rows_n = sum(len(t.get("allocations") or []) for t in tasks if isinstance(t, dict))
    if fmt == "json":
        write_json(
            {
                "format": 1,
                "plan": label,
                "verified": not found,
                "violations": [str(v) for v in found],
                "tasks": len(tasks),
                "allocations": rows_n,
                "status": raw.data.get("status"),
            }
        )
    elif found:
        for v in found:
            echo(str(v))
    if found:
        raise typer.Exit(1)
    if fmt == "json":
        return
    echo(
        f"verified: {label}: {len(tasks)} task(s), {rows_n} allocation row(s), "
        f"status {raw.data.get('status')} re-derived from the raw inputs"
    )
