"""Eval readers: quality per (task, model) with its sample size and standard error.

Formats (``--format`` names for ``--evals`` files; detected from content):

* ``inspect``: inspect-ai logs, JSON (``--log-format json``) or ``.eval`` (a zip of
  ``header.json`` and ``samples/*.json``). Per sample: the first scorer's value
  (or ``--scorer``; ``C``/``I``/``P``/``N`` = 1/0/0.5/0, booleans, numbers) and
  ``model_usage[<eval model>]`` tokens; ``output_tokens`` includes reasoning
  (subtracted), latency is ``total_time``.
* ``lm-eval``: lm-evaluation-harness results JSON: ``results[task]["acc,none"]``
  (or ``--metric``; by default ``acc,none`` else the task's first numeric metric),
  ``"acc_stderr,none"``, n from ``n-samples[task].effective``
  (else ``original``); the model from ``model_name`` or ``config.model_args``.
  A summary: no per-item scores, no tokens.
* ``lm-eval-samples``: lm-evaluation-harness ``--log_samples`` output
  (``samples_<task>_<date>.jsonl``, one line per doc: ``doc_id``, ``filter``, and the
  metric's per-item value, e.g. ``"acc": 1.0``); the task from the file name, the
  model from ``--eval-model`` (the file does not name it), the metric from
  ``--metric`` (its part before the comma; the part after it keeps that filter's
  rows), by default ``acc`` else the file's ``metrics[0]``.
* ``promptfoo``: ``promptfoo eval -o results.json`` (``results.results[]``:
  ``provider.id``, ``success``, ``score``, ``latencyMs``,
  ``response.tokenUsage.{prompt,completion,cached,completionDetails.reasoning}``);
  the model is the provider id after its last ``:``; the task is ``vars[--task-key]``
  or the config's ``description``.
* ``generic``: CSV or JSONL, one row per item: :data:`EVAL_FIELDS` (``--map``).

The variations each format's reader accepts are listed in :mod:`.eval_formats`.

Aggregation (DuckDB): ``score = mean``, ``n = count``, ``stderr = sqrt(var_samp / n)``
(0 when n = 1), token means per (task, model) over the items that report them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from costplan.errors import InputError
from costplan.ingest.eval_formats import (
    SIX,
    inspect_sql,
    inspect_summary,
    inspect_zip,
    item_rows,
    lm_eval,
    lm_samples_sql,
    promptfoo_sql,
)
from costplan.ingest.records import sniff
from costplan.ingest.sql import ident, run
from costplan.ingest.traffic import _generic_base, generic_columns

if TYPE_CHECKING:
    import duckdb

EVAL_FORMATS = ("inspect", "lm-eval", "lm-eval-samples", "promptfoo", "generic")
EVAL_FIELDS: dict[str, tuple[str, ...]] = {
    "task": ("task",),
    "model": ("model",),
    "item": ("item", "id", "sample_id"),
    "score": ("score", "correct", "value"),
    "input_tokens": ("input_tokens", "prompt_tokens"),
    "output_tokens": ("output_tokens", "completion_tokens"),
    "reasoning_tokens": ("reasoning_tokens",),
    "latency_ms": ("latency_ms",),
    "cost_usd": ("cost_usd", "cost"),
}
_SIX = SIX


@dataclass(frozen=True)
class EvalResult:
    """Quality of one model on one task, as measured by one or more eval files.

    ``score`` is rounded half-even to 1e-6 (the solver's quality unit); ``n`` is
    None only when the file gives no sample count; token means are None where
    no item reported them (reasoning None = not measured).
    """

    task: str
    model: str
    score: Decimal
    n: int | None
    stderr: Decimal | None
    input_mean: Fraction | None = None
    output_mean: Fraction | None = None
    reasoning_mean: Fraction | None = None
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    cost_mean_usd: Decimal | None = None
    source: str = ""


def detect_eval(path: Path) -> str:
    head = sniff(path)
    if head.startswith(b"PK\x03\x04"):
        return "inspect"
    text = head.decode("utf-8", errors="replace")
    if '"n-samples"' in text or '"higher_is_better"' in text or '"acc,none"' in text:
        return "lm-eval"
    if '"doc_id"' in text and ('"filtered_resps"' in text or '"resps"' in text):
        return "lm-eval-samples"
    if '"evalId"' in text or '"testIdx"' in text or '"promptIdx"' in text:
        return "promptfoo"
    if '"gradingResult"' in text or ('"latencyMs"' in text and '"provider"' in text):
        return "promptfoo"  # a version-2 summary written without the output file's wrapper
    if '"eval"' in text and ('"samples"' in text or '"model_usage"' in text or '"plan"' in text):
        return "inspect"
    return "generic"


def _generic_sql(
    con: duckdb.DuckDBPyConnection, path: Path, task_key: str | None, mapping: Mapping[str, str]
) -> tuple[str, str]:
    rel, unit, _ = _generic_base(path)
    cols = [r[0] for r in run(con, f"DESCRIBE SELECT * FROM {rel}", file=path).fetchall()]
    cmap = generic_columns(
        cols, {**mapping, **({task_key: "task"} if task_key else {})}, EVAL_FIELDS
    )
    for needed in ("model", "score"):
        if cmap[needed] is None:
            raise InputError(
                f"generic eval file has no {needed!r} column",
                file=path,
                hint=f"name it with --map COLUMN={needed}",
            )

    def col(field: str) -> str:
        c = cmap[field]
        return f"CAST({ident(c)} AS VARCHAR)" if c else "NULL::VARCHAR"

    raw = f"""
        SELECT line, {col("task")} AS task, {col("model")} AS model, {col("item")} AS item,
          {col("score")} AS score_raw, {col("input_tokens")} AS input_raw,
          {col("output_tokens")} AS output_raw, {col("reasoning_tokens")} AS reasoning_raw,
          {col("latency_ms")} AS latency_raw, {col("cost_usd")} AS cost_raw,
          NULL::VARCHAR AS problem
        FROM {rel}
    """
    return item_rows(raw, reasoning_in_output=False), unit


def _aggregate(
    con: duckdb.DuckDBPyConnection, sql: str, path: Path, unit: str, strict: bool
) -> list[EvalResult]:
    run(con, f"CREATE OR REPLACE TEMP TABLE ev AS {sql}", file=path)
    bad = con.execute(
        "SELECT count(*) OVER (), line, bad FROM ev WHERE bad IS NOT NULL ORDER BY line LIMIT 1"
    ).fetchone()
    if bad and strict:
        where_line = bad[1] if unit in ("line", "row") else None
        raise InputError(
            f"malformed eval row: {bad[2]} ({bad[0]:,} malformed in all)",
            file=path,
            line=where_line,
        )
    rows = con.execute(
        """
        SELECT task, model, count(*), sum(score::DECIMAL(38,12)), coalesce(stddev_samp(score), 0),
          sum(input), count(input), sum(output), count(output), sum(reasoning), count(reasoning),
          quantile_cont(latency, 0.5), quantile_cont(latency, 0.95),
          (sum(cost) / count(cost))::DECIMAL(38,12)
        FROM ev WHERE bad IS NULL GROUP BY task, model ORDER BY task, model
        """
    ).fetchall()
    out = []
    for task, model, n, total, sd, si, ci, so, co, sr, cr, l50, l95, cost in rows:
        n = int(n)
        out.append(
            EvalResult(
                task=task,
                model=model,
                score=(Decimal(total) / n).quantize(_SIX, rounding=ROUND_HALF_EVEN),
                n=n,
                stderr=Decimal(repr(float(sd) / n**0.5)).quantize(_SIX, rounding=ROUND_HALF_EVEN),
                input_mean=Fraction(int(si), int(ci)) if ci else None,
                output_mean=Fraction(int(so), int(co)) if co else None,
                reasoning_mean=Fraction(int(sr), int(cr)) if cr else None,
                latency_p50_ms=None if l50 is None else float(l50),
                latency_p95_ms=None if l95 is None else float(l95),
                cost_mean_usd=None if cost is None else Decimal(cost),
                source=str(path),
            )
        )
    return out


@dataclass(frozen=True)
class EvalItem:
    """One item's score for one model (the mean over its epochs or repeats, half-even to
    1e-6) and its largest measured input and output (output including reasoning; None
    where not measured). ``item`` is None where the file names no item."""

    task: str
    model: str
    item: str | None
    score: Decimal
    input_tokens: int | None
    output_tokens: int | None


@dataclass(frozen=True)
class EvalRead:
    results: tuple[EvalResult, ...]
    malformed: int
    first_malformed: str | None
    items: tuple[EvalItem, ...] = ()  # empty for summaries (lm-eval results)


def _items(con: duckdb.DuckDBPyConnection) -> tuple[EvalItem, ...]:
    rows = con.execute(
        "SELECT task, model, item, avg(score::DECIMAL(38,12)), max(input), "
        "max(output + coalesce(reasoning, 0)) FROM ev WHERE bad IS NULL "
        "GROUP BY task, model, item ORDER BY task, model, item"
    ).fetchall()
    return tuple(
        EvalItem(
            t,
            m,
            i,
            Decimal(sc).quantize(_SIX, rounding=ROUND_HALF_EVEN),
            None if a is None else int(a),
            None if b is None else int(b),
        )
        for t, m, i, sc, a, b in rows
    )


def read_evals(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    fmt: str | None = None,
    task_key: str | None = None,
    mapping: Mapping[str, str] | None = None,
    scorer: str | None = None,
    metric: str | None = None,
    model: str | None = None,
    strict: bool = False,
) -> EvalRead:
    """Quality per (task, model) from one eval file (see the module docstring).

    ``model``: the model of files that do not name one (lm-eval results without a
    model name, lm-eval samples); files that name their models keep them.
    """
    from costplan.safeio import library_path

    path = library_path(path)  # standard input: its spool file
    if not path.is_file():
        raise InputError("eval file not found", file=path)
    fmt = fmt or detect_eval(path)
    if fmt not in EVAL_FORMATS:
        raise InputError("unknown eval format", value=fmt, hint="one of " + ", ".join(EVAL_FORMATS))
    if fmt == "lm-eval":
        return EvalRead(tuple(lm_eval(path, metric, model)), 0, None)
    with tempfile.TemporaryDirectory(prefix="costplan-eval-") as tmp:
        src = path
        if fmt == "inspect" and sniff(path, 4) == b"PK\x03\x04":
            src = inspect_zip(path, Path(tmp))
        if fmt == "inspect":
            sql, unit = inspect_sql(src, scorer)
        elif fmt == "promptfoo":
            sql, unit = promptfoo_sql(src, task_key)
        elif fmt == "lm-eval-samples":
            sql, unit = lm_samples_sql(src, metric, model)
        else:
            sql, unit = _generic_sql(con, src, task_key, mapping or {})
        results = _aggregate(con, sql, path, unit, strict)
        items = _items(con)
        if not results and fmt == "inspect":
            results = inspect_summary(src, scorer, path)  # a log without samples
        bad = con.execute(
            "SELECT count(*), min_by(line::VARCHAR || ': ' || bad, line) FROM ev "
            "WHERE bad IS NOT NULL"
        ).fetchone()
    n_bad = int(bad[0]) if bad else 0
    first = f"{path}:{bad[1]}" if bad and n_bad else None
    if not results:
        raise InputError(
            "no usable eval items" + (f" (first malformed: {first})" if first else ""), file=path
        )
    return EvalRead(tuple(results), n_bad, first, items)


def merge(results: Sequence[EvalResult]) -> dict[tuple[str, str], EvalResult]:
    """One result per (task, model); a pair measured twice is an error (which to trust?)."""
    out: dict[tuple[str, str], EvalResult] = {}
    for r in results:
        key = (r.task, r.model)
        if key in out:
            raise InputError(
                f"task {r.task!r}, model {r.model!r} is scored by two eval files",
                file=r.source,
                hint=f"also in {out[key].source}; pass one of them",
            )
        out[key] = r
    return out
