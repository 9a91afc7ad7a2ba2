"""``workload build`` as a use case: read, check, build, validate, then write (both files
atomically, sidecar first); an error anywhere before the writes leaves nothing written."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from costplan.errors import InputError
from costplan.hindsight import WARNING as HINDSIGHT
from costplan.ingest.build import BuildOptions, Built, build
from costplan.ingest.emit import sidecar_json, workload_yaml
from costplan.ingest.evals import EvalItem, EvalResult, read_evals
from costplan.ingest.names import Resolver, Seen, check_known
from costplan.ingest.queries_out import query_lines
from costplan.ingest.sql import connect
from costplan.ingest.summarize import TrafficSummary, summarize
from costplan.ingest.traffic import read_traffic
from costplan.safeio import check_output, claim_input, is_stdout, shown
from costplan.workload.model import MINUTES_PER_PERIOD
from costplan.workload.schema import MAX_NAME

if TYPE_CHECKING:
    from costplan.pricing.model import PriceSheet

#: Why ``-o -`` is refused: the workload names its sidecar file (and its hash), so the
#: two cannot be split between standard output and a file named after ``-``.
STDOUT_REFUSED = (
    "--out - (standard output) cannot be used: workload build writes a sidecar "
    "(NAME.empirical.json) beside the workload, which names it"
)


@dataclass(frozen=True)
class BuildRequest:
    out: Path
    traffic: tuple[Path, ...] = ()
    evals: tuple[Path, ...] = ()
    prices: tuple[Path, ...] = ()
    fmt: str | None = None
    eval_format: str | None = None
    task_key: str | None = None
    period: str = "month"
    mapping: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)
    ignored: tuple[str, ...] = ()
    volumes: Mapping[str, int] = field(default_factory=dict)
    task_map: Mapping[str, str] = field(default_factory=dict)
    scorer: str | None = None
    metric: str | None = None
    eval_model: str | None = None
    name: str | None = None
    strict: bool = False
    sample_size: int = 1000
    seed: int = 0
    queries_out: Path | None = None  # per-item eval scores as an assign query file


@dataclass(frozen=True)
class BuildResult:
    workload_path: Path
    sidecar_path: Path
    built: Built
    messages: tuple[str, ...]
    summary: str
    queries: int = 0  # lines written to --queries-out
    traffic: TrafficSummary | None = None  # what the traffic logs held (None: no --traffic)
    eval_malformed: int = 0  # malformed eval rows skipped


def sidecar_path(out: Path) -> Path:
    """``workload.yaml`` -> ``workload.empirical.json`` beside it."""
    return out.with_name(out.stem + ".empirical.json")


def _check_request(req: BuildRequest) -> None:
    if is_stdout(req.out):
        raise InputError(STDOUT_REFUSED, hint="give a file name, e.g. -o workload.yaml")
    if not req.traffic and not req.evals:
        raise InputError("give at least one --traffic or --evals file")
    if req.name is None and len(req.out.stem) > MAX_NAME:
        raise InputError(
            f"the workload's name would be --out's file name, which is longer than {MAX_NAME} "
            "characters",
            file=shown(req.out),
            hint="give --name NAME",
        )
    # The sidecar's name is longer than --out's: a legal --out may make it one the OS rejects.
    check_output(sidecar_path(req.out), "the sidecar (NAME.empirical.json)")
    if req.queries_out is not None:
        if is_stdout(req.queries_out):
            raise InputError("--queries-out - (standard output) cannot be used: give a file")
        check_output(req.queries_out, "--queries-out")
    if req.period not in MINUTES_PER_PERIOD:
        raise InputError(
            "unknown --period", value=req.period, hint="one of " + ", ".join(MINUTES_PER_PERIOD)
        )
    # DuckDB and zipfile read these files themselves: register them with the guard first,
    # so that an output naming one (by path, symlink or hard link) is refused before
    # anything is written, and only regular files reach the readers.
    for p in req.traffic:
        claim_input(p, what="traffic log")
    for p in req.evals:
        claim_input(p, what="eval file")


def _read_traffic(req: BuildRequest) -> TrafficSummary | None:
    if not req.traffic:
        return None
    con = connect()
    sources = [
        read_traffic(con, p, fmt=req.fmt, task_key=req.task_key, mapping=req.mapping)
        for p in req.traffic
    ]
    return summarize(
        con,
        sources,
        strict=req.strict,
        sample_size=req.sample_size,
        seed=req.seed,
        ignore_models=req.ignored,
    )


def _read_evals(
    req: BuildRequest, messages: list[str], items: list[tuple[str, EvalItem]]
) -> tuple[list[EvalResult], int]:
    """Every eval file's results and the malformed rows skipped; their per-item scores
    appended to ``items``."""
    out: list[EvalResult] = []
    malformed = 0
    for p in req.evals:
        r = read_evals(
            connect(),
            p,
            fmt=req.eval_format,
            task_key=req.task_key,
            mapping=req.mapping if not req.traffic else {},
            scorer=req.scorer,
            metric=req.metric,
            model=req.eval_model,
            strict=req.strict,
        )
        malformed += r.malformed
        if r.malformed:
            messages.append(
                f"warning: {r.malformed:,} malformed eval rows skipped (first: {r.first_malformed})"
            )
        out.extend(r.results)
        items.extend((str(p), i) for i in r.items)
    return out, malformed


def _seen(traffic: TrafficSummary | None, evals: list[EvalResult]) -> list[Seen]:
    seen = [
        Seen(m.model, m.requests, m.spend_usd, "traffic")
        for t in (traffic.tasks if traffic else ())
        for m in t.models
    ]
    seen += [Seen(r.model, 0, None, f"eval {Path(r.source).name}") for r in evals]
    return seen


def run_build(req: BuildRequest) -> BuildResult:
    """Build the workload and sidecar for ``req`` and write them (see the module docstring)."""
    _check_request(req)
    messages: list[str] = []
    sheet = None
    if req.prices:
        from costplan.pricing.load import load_price_sheets

        sheet = load_price_sheets(req.prices)
    traffic = _read_traffic(req)
    if traffic is not None:
        _traffic_messages(req, traffic, messages)
    resolver = Resolver(sheet.models if sheet else None, req.aliases, req.ignored)
    evals = []
    items: list[tuple[str, EvalItem]] = []
    read, eval_malformed = _read_evals(req, messages, items)
    for r in read:
        if r.model in req.ignored or resolver(r.model) in req.ignored:
            messages.append(
                f"note: --ignore-model: eval scores of {r.model} on {r.task!r} left out"
            )
        else:
            evals.append(r)
    label = ", ".join(str(p) for p in req.prices) or "the price sheet"
    check_known(resolver, _seen(traffic, evals), label)
    rel_prices = tuple(os.path.relpath(p, req.out.parent.resolve()) for p in req.prices)
    side = sidecar_path(req.out)
    opts = BuildOptions(
        name=req.name or req.out.stem,
        period=req.period,
        prices=tuple(p.replace(os.sep, "/") for p in rel_prices),
        volumes=req.volumes,
        task_map=req.task_map,
        sidecar_name=side.name,
        min_cacheable=_min_cacheable(sheet),
        traffic_files=", ".join(shown(p) for p in req.traffic) or None,
    )
    built = build(traffic, evals, resolver, opts)
    messages += [f"note: {n}" for n in built.notes]
    side_text = sidecar_json(
        {**built.sidecar, "inputs": _hashes((*req.traffic, *req.evals, *req.prices))}
    )
    digest = hashlib.sha256(side_text.encode()).hexdigest()
    doc = {**built.workload, "empirical": {"file": side.name, "sha256": digest}}
    text = workload_yaml(doc, _header(req))
    _validate(text, req.out)
    queries: list[str] = []
    if req.queries_out is not None:
        kept = [(f, i) for f, i in items if i.model not in req.ignored
                and resolver(i.model) not in req.ignored]  # fmt: skip
        queries, notes = query_lines(kept, resolver, req.task_map, built.workload["tasks"])
        messages += [f"note: {n}" for n in notes]
        messages.append(f"warning: {HINDSIGHT}")
    _write(side, side_text)
    _write(req.out, text)
    if req.queries_out is not None:
        _write(req.queries_out, "".join(line + "\n" for line in queries))
    tasks = len(built.workload["tasks"])
    summary = f"workload written to {req.out} ({tasks} task{'s' * (tasks != 1)}), sidecar {side}"
    if req.queries_out is not None:
        summary += f"; {len(queries):,} per-item queries written to {req.queries_out}"
    return BuildResult(
        req.out, side, built, tuple(messages), summary, len(queries), traffic, eval_malformed
    )


def _traffic_messages(req: BuildRequest, traffic: TrafficSummary, messages: list[str]) -> None:
    if traffic.malformed:
        first = traffic.malformed_first[0].render()
        messages.append(
            f"warning: {traffic.malformed:,} malformed rows skipped (first: {first}); "
            "--strict makes this an error"
        )
        messages += [f"  {m.render()}" for m in traffic.malformed_first[1:]]
    for model, n, spend in traffic.ignored:
        s = f", ${spend:.4f} logged" if spend is not None else ""
        messages.append(f"note: --ignore-model {model}: {n:,} requests{s} left out")
    missing = [t for t in traffic.without_counts if t not in req.volumes]
    if missing:
        raise InputError(
            f"task {missing[0]!r}: the usage report has no request counts (Anthropic's has none)",
            hint=f"give --volume {missing[0]}=N (queries per {req.period})",
        )
    if req.task_key:
        for t in traffic.tasks:
            if t.unkeyed:
                messages.append(
                    f"note: task {t.name!r}: {t.unkeyed:,} requests had no {req.task_key!r}; "
                    "named by the fallback (model_group, service.name, project or workspace)"
                )


def _min_cacheable(sheet: PriceSheet | None) -> dict[str, int]:
    if sheet is None:
        return {}
    from costplan.pricing.caching import min_cacheable_tokens

    return {name: min_cacheable_tokens(m) for name, m in sheet.models.items()}


def _hashes(paths: tuple[Path, ...]) -> list[dict[str, str]]:
    out = []
    for p in paths:
        h = hashlib.sha256()
        with p.open("rb") as fh:
            for chunk in iter(lambda fh=fh: fh.read(1 << 20), b""):  # type: ignore[misc]
                h.update(chunk)
        out.append({"file": str(p), "sha256": h.hexdigest()})
    return out


def _header(req: BuildRequest) -> list[str]:
    files = ", ".join(p.name for p in (*req.traffic, *req.evals))
    return [
        f"Built by `costplan workload build` from {files}.",
        "Edit freely: volumes, floors and token counts are the measured defaults.",
        "min_quality is today's quality (so min_cost finds the cheapest plan at least as good",
        "as today); 'current' is today's share of requests per model; 'profiles' are each",
        "model's measured tokens; the sidecar holds the distributions and day-by-day series.",
        "",
    ]


def _validate(text: str, out: Path) -> None:
    """The built document must load as a workload (minus the sidecar, not yet written)."""
    from costplan.workload.load import workload_from_document
    from costplan.yamlsource import parse_yaml_text

    doc = parse_yaml_text(text, out)
    assert isinstance(doc.data, dict)
    data = {k: v for k, v in doc.data.items() if k != "empirical"}
    workload_from_document(type(doc)(path=doc.path, data=data, sha256=doc.sha256, lines=doc.lines))


def _write(path: Path, text: str) -> None:
    from costplan.safeio import write_output

    write_output(path, text)
