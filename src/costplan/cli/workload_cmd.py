"""``costplan workload build``: traffic logs and eval results -> a workload YAML + sidecar."""

from __future__ import annotations

from pathlib import Path

import typer

from costplan.cli.common import Choice, InputPath, OutputPath, claim_stdout, write_json

app = typer.Typer(
    help="Build workloads from the data teams have (traffic logs, eval results).",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


def parse_pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """Repeated ``KEY=VALUE`` option values as a dict (the last one of a key wins)."""
    from costplan.errors import InputError

    out: dict[str, str] = {}
    for v in values or []:
        key, sep, value = v.partition("=")
        if not sep or not key or not value:
            raise InputError(f"{option} takes KEY=VALUE", value=v)
        out[key] = value
    return out


def _whole(text: str, what: str, high: int) -> int:
    """The shared numbers rule (costplan.numbers) for a whole-number option."""
    from decimal import Decimal

    from costplan.numbers import NumberRule, parse_whole

    return parse_whole(text, NumberRule(what, Decimal(0), Decimal(high), whole=True))


def _volumes(values: list[str] | None) -> dict[str, int]:
    return {
        task: _whole(n, f"--volume {task}=N", 10**11)
        for task, n in parse_pairs(values, "--volume").items()
    }


class OutputFormat(Choice):
    """``--format``: the output format (table, json). A traffic format name there (the
    option's meaning before ``--traffic-format``) is refused with a hint pointing at it."""

    def __call__(self, text: str) -> str:
        from costplan.errors import InputError
        from costplan.ingest.traffic import TRAFFIC_FORMATS

        if text in TRAFFIC_FORMATS:
            raise InputError(
                "--format is the output format (table or json)",
                value=text,
                hint=f"the traffic log's format is --traffic-format {text}",
            )
        return super().__call__(text)


@app.command("build")
def build(
    out: Path = typer.Option(
        ..., "--out", "-o", help="Workload YAML to write.", parser=OutputPath("--out", (".yaml",))
    ),
    traffic: list[Path] | None = typer.Option(
        None, "--traffic", help="Traffic log (repeatable).", parser=InputPath("traffic")
    ),
    evals: list[Path] | None = typer.Option(
        None, "--evals", help="Eval results (repeatable).", parser=InputPath("evals")
    ),
    prices: list[Path] | None = typer.Option(
        None,
        "--prices",
        help="Price sheet(s): model names are checked against them.",
        parser=InputPath("prices"),
    ),
    traffic_format: str | None = typer.Option(
        None, "--traffic-format", help="Traffic format (default: detected from content)."
    ),
    eval_format: str | None = typer.Option(None, "--eval-format", help="Eval format."),
    task_key: str | None = typer.Option(
        None, "--task-key", help="Group records into tasks by this attribute/metadata key/column."
    ),
    period: str = typer.Option("month", "--period", help="hour, day, week, month, quarter, year."),
    mapping: list[str] | None = typer.Option(
        None, "--map", help="COLUMN=FIELD for generic files (repeatable)."
    ),
    model: list[str] | None = typer.Option(
        None, "--model", help="LOGGED=SHEET model name (repeatable)."
    ),
    ignore_model: list[str] | None = typer.Option(
        None, "--ignore-model", help="Drop this model's traffic (listed, never silent)."
    ),
    volume: list[str] | None = typer.Option(None, "--volume", help="TASK=N queries per period."),
    task_map: list[str] | None = typer.Option(
        None, "--task-map", help="EVALTASK=TASK (repeatable)."
    ),
    scorer: str | None = typer.Option(None, "--scorer", help="inspect-ai scorer to read."),
    metric: str | None = typer.Option(
        None,
        "--metric",
        help="lm-eval metric key (default: acc,none, else each task's first numeric metric).",
    ),
    eval_model: str | None = typer.Option(
        None, "--eval-model", help="Model name for eval files that do not name one."
    ),
    name: str | None = typer.Option(None, "--name", help="Workload name (default: file stem)."),
    strict: bool = typer.Option(False, "--strict", help="Fail on the first malformed row."),
    sample_size: str = typer.Option(
        "1000", "--sample-size", help="Requests kept per task in the sidecar's sample."
    ),
    seed: str = typer.Option("0", "--seed", help="Seed of the token-length sample."),
    queries_out: Path | None = typer.Option(
        None,
        "--queries-out",
        help="Also write the evals' per-item scores as an assign query file (.jsonl): a "
        "hindsight oracle, not a deployable router.",
        parser=OutputPath("--queries-out", (".jsonl",)),
    ),
    fmt: str = typer.Option(
        "table",
        "--format",
        "-f",
        metavar="[table|json]",
        parser=OutputFormat("--format", ("table", "json")),
        help="Output format (default table); json: a summary of what was built on stdout, "
        "schema: costplan schema output-workload-build.",
    ),
) -> None:
    """Read traffic logs and/or eval results; write a workload YAML and its sidecar.

    Nothing is written when an input is refused (exit 2). With --format json a summary
    (files written, tasks with volume and its source, models with requests and logged
    spend, ignored models, malformed rows, warnings) goes to stdout as one JSON document.
    """
    from costplan.cli.common import console
    from costplan.ingest.run import BuildRequest, run_build

    request = BuildRequest(
        out=out,
        traffic=tuple(traffic or ()),
        evals=tuple(evals or ()),
        prices=tuple(prices or ()),
        fmt=traffic_format,
        eval_format=eval_format,
        task_key=task_key,
        period=period,
        mapping=parse_pairs(mapping, "--map"),
        aliases=parse_pairs(model, "--model"),
        ignored=tuple(ignore_model or ()),
        volumes=_volumes(volume),
        task_map=parse_pairs(task_map, "--task-map"),
        scorer=scorer,
        metric=metric,
        eval_model=eval_model,
        name=name,
        strict=strict,
        sample_size=_whole(sample_size, "--sample-size", 1_000_000),
        seed=_whole(seed, "--seed", 2**31 - 1),
        queries_out=queries_out,
    )
    if fmt == "json":
        claim_stdout("--format json")
    result = run_build(request)
    err = console(stderr=True)
    for line in result.messages:
        err.print(line, markup=False, highlight=False, soft_wrap=True)
    if fmt == "json":
        from costplan.ingest.summary_json import build_json

        write_json(build_json(request, result))
    console(stderr=fmt == "json").print(
        result.summary, markup=False, highlight=False, soft_wrap=True
    )
