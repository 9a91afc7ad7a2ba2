"""Eval readers: quality per (task, model) with its sample size and standard error.

Formats (``--format`` names for ``--evals`` files; detected from content):

* ``inspect``: inspect-ai logs, JSON (``--log-format json``) or ``.eval`` (a zip of
  ``header.json`` and ``samples/*.json``). Per sample: the first scorer's value
  (or ``--scorer``; ``C``/``I``/``P``/``N`` = 1/0/0.5/0, booleans, numbers) and
  ``model_usage[<eval model>]`` tokens; ``output_tokens`` includes reasoning
  (subtracted), latency is ``total_time``.
* ``lm-eval``: lm-evaluation-harness results JSON: ``results[task]["acc,none"]``
  (or ``--metric``), ``"acc_stderr,none"``, n from ``n-samples[task].effective``
  (else ``original``); the model from ``model_name`` or ``config.model_args``.
  A summary: no per-item scores, no tokens.
* ``lm-eval-samples``: lm-evaluation-harness ``--log_samples`` output
  (``samples_<task>_<date>.jsonl``, one line per doc: ``doc_id``, ``filter``, and the
  metric's per-item value, e.g. ``"acc": 1.0``); the task from the file name, the
  model from ``--eval-model`` (the file does not name it), the metric from
  ``--metric`` (its part before the comma).
* ``promptfoo``: ``promptfoo eval -o results.json`` (``results.results[]``:
  ``provider.id``, ``success``, ``score``, ``latencyMs``,
  ``response.tokenUsage.{prompt,completion,cached,completionDetails.reasoning}``);
  the model is the provider id after its last ``:``; the task is ``vars[--task-key]``
  or the config's ``description``.
* ``generic``: CSV or JSONL, one row per item: :data:`EVAL_FIELDS` (``--map``).

Aggregation (DuckDB): ``score = mean``, ``n = count``, ``stderr = sqrt(var_samp / n)``
(0 when n = 1), token means per (task, model) over the items that report them.
"""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from costplan.errors import InputError
from costplan.ingest.records import records, sniff
from costplan.ingest.sql import ident, lit, run, token_expr
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
_SIX = Decimal("0.000001")


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
    if '"eval"' in text and ('"samples"' in text or '"model_usage"' in text or '"plan"' in text):
        return "inspect"
    return "generic"


def _score(raw: str) -> str:
    """A 0..1 score from inspect-style text: C/I/P/N, true/false, or a number."""
    return (
        f"(CASE upper(trim({raw})) WHEN 'C' THEN 1.0 WHEN 'I' THEN 0.0 WHEN 'P' THEN 0.5 "
        f"WHEN 'N' THEN 0.0 WHEN 'TRUE' THEN 1.0 WHEN 'FALSE' THEN 0.0 "
        f"ELSE TRY_CAST({raw} AS DOUBLE) END)"
    )


def _rows(raw: str, *, reasoning_in_output: bool) -> str:
    """Typed eval rows ``(line, task, model, item, score, input, output, reasoning,
    latency, cost, bad)`` from raw text rows."""
    inp, i_bad = token_expr("input_raw", "input tokens")
    out, o_bad = token_expr("output_raw", "output tokens")
    rea, r_bad = token_expr("reasoning_raw", "reasoning tokens")
    output = f"({out} - coalesce({rea}, 0))" if reasoning_in_output else out
    score = _score("score_raw")
    problems = ", ".join(
        [
            "problem",
            "CASE WHEN model IS NULL OR trim(model) = '' THEN 'no model' END",
            f"CASE WHEN score_raw IS NULL THEN 'no score' WHEN {score} IS NULL "
            f"THEN 'bad score ' || score_raw WHEN {score} < 0 OR {score} > 1 "
            "THEN 'score outside 0..1: ' || score_raw END",
            i_bad,
            o_bad,
            r_bad,
            f"CASE WHEN least({inp}, {out}, {rea}) < 0 THEN 'negative token count' END",
        ]
    )
    return (
        "SELECT line, coalesce(nullif(trim(task), ''), 'default') AS task, trim(model) AS model, "
        f"item, {score} AS score, {inp} AS input, {output} AS output, {rea} AS reasoning, "
        "TRY_CAST(latency_raw AS DOUBLE) AS latency, TRY_CAST(cost_raw AS DECIMAL(38,12)) AS cost, "
        f"nullif(concat_ws('; ', {problems}), '') AS bad FROM ({raw})"
    )


def _inspect_sql(path: Path, scorer: str | None) -> tuple[str, str]:
    recs, unit = records(path, "json")
    pick = f"s->'scores'->{lit(scorer)}" if scorer else "s->'scores'->(json_keys(s->'scores')[1])"
    usage = "s->'model_usage'->(j->'eval'->>'model')"
    raw = f"""
        WITH docs AS (SELECT line, j, problem FROM {recs}),
        samples AS (SELECT line, j, unnest(from_json(coalesce(j->'samples', '[]'), '["JSON"]'))
                    AS s, problem FROM docs)
        SELECT line, j->'eval'->>'task' AS task, j->'eval'->>'model' AS model,
          s->>'id' || coalesce('#' || (s->>'epoch'), '') AS item,
          CASE json_type({pick}->'value') WHEN 'OBJECT' THEN NULL WHEN 'ARRAY' THEN NULL
               ELSE {pick}->>'value' END AS score_raw,
          {usage}->>'input_tokens' AS input_raw, {usage}->>'output_tokens' AS output_raw,
          {usage}->>'reasoning_tokens' AS reasoning_raw,
          (TRY_CAST(s->>'total_time' AS DOUBLE) * 1000)::VARCHAR AS latency_raw,
          NULL::VARCHAR AS cost_raw, problem
        FROM samples
    """
    return _rows(raw, reasoning_in_output=True), unit


def _inspect_eval_zip(path: Path, tmp: Path) -> Path:
    """Rebuild a JSON log from an ``.eval`` zip (header plus samples) in ``tmp``."""
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            header = json.loads(z.read("header.json")) if "header.json" in names else None
            if header is None:
                raise InputError("not an inspect-ai .eval log (no header.json)", file=path)
            samples = [
                json.loads(z.read(n))
                for n in sorted(names)
                if n.startswith("samples/") and n.endswith(".json")
            ]
    except (zipfile.BadZipFile, ValueError, KeyError) as exc:
        raise InputError(f"cannot read inspect-ai .eval log: {exc}", file=path) from None
    header["samples"] = samples
    out = tmp / (path.stem + ".json")
    out.write_text(json.dumps(header))
    return out


def _promptfoo_sql(path: Path, task_key: str | None) -> tuple[str, str]:
    recs, unit = records(path, "json")
    task = f"r->'vars'->>{lit(task_key)}" if task_key else "NULL::VARCHAR"
    model = "regexp_replace(coalesce(r->'provider'->>'id', r->>'provider'), '^.*:', '')"
    raw = f"""
        WITH docs AS (SELECT line, j, problem FROM {recs}),
        res AS (SELECT line, j, unnest(from_json(coalesce(j->'results'->'results', '[]'),
                '["JSON"]')) AS r, problem FROM docs)
        SELECT line, coalesce({task}, j->'config'->>'description') AS task, {model} AS model,
          coalesce(r->>'testIdx', '') || '/' || coalesce(r->>'promptIdx', '') AS item,
          coalesce(r->>'score', r->>'success') AS score_raw,
          r->'response'->'tokenUsage'->>'prompt' AS input_raw,
          r->'response'->'tokenUsage'->>'completion' AS output_raw,
          r->'response'->'tokenUsage'->'completionDetails'->>'reasoning' AS reasoning_raw,
          r->>'latencyMs' AS latency_raw, r->>'cost' AS cost_raw, problem
        FROM res
    """
    return _rows(raw, reasoning_in_output=True), unit


def _lm_samples_sql(path: Path, metric: str, model: str | None) -> tuple[str, str]:
    if model is None:
        raise InputError(
            "lm-eval samples files do not name the model", file=path, hint="give --eval-model NAME"
        )
    name = path.stem.removeprefix("samples_")
    task = name.rsplit("_", 1)[0] if "_" in name else name  # samples_<task>_<date>
    recs, unit = records(path, "json")
    key = metric.split(",", 1)[0]
    raw = f"""
        SELECT line, {lit(task)} AS task, {lit(model)} AS model, j->>'doc_id' AS item,
          j->>{lit(key)} AS score_raw, NULL::VARCHAR AS input_raw, NULL::VARCHAR AS output_raw,
          NULL::VARCHAR AS reasoning_raw, NULL::VARCHAR AS latency_raw, NULL::VARCHAR AS cost_raw,
          problem
        FROM {recs}
    """
    return _rows(raw, reasoning_in_output=False), unit


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
    return _rows(raw, reasoning_in_output=False), unit


def _lm_eval(path: Path, metric: str, model: str | None) -> list[EvalResult]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read lm-eval results: {exc}", file=path) from None
    results = doc.get("results") if isinstance(doc, dict) else None
    if not isinstance(results, dict) or not results:
        raise InputError("lm-eval results file has no 'results'", file=path)
    name = doc.get("model_name") or _pretrained(doc.get("config", {}).get("model_args")) or model
    if not name:
        raise InputError("lm-eval results name no model", file=path, hint="give --model NAME")
    stderr_key = metric.replace(",", "_stderr,", 1) if "," in metric else metric + "_stderr"
    samples = doc.get("n-samples", {})
    out = []
    for task, metrics in results.items():
        if not isinstance(metrics, dict) or metric not in metrics:
            continue
        value = _decimal(metrics[metric], path, ("results", task, metric))
        stderr = metrics.get(stderr_key)
        counts = samples.get(task, {}) if isinstance(samples, dict) else {}
        n = counts.get("effective", counts.get("original")) if isinstance(counts, dict) else None
        out.append(
            EvalResult(
                task=task,
                model=str(name),
                score=value.quantize(_SIX, rounding=ROUND_HALF_EVEN),
                n=int(n) if isinstance(n, int) and not isinstance(n, bool) else None,
                stderr=(
                    _decimal(stderr, path, ("results", task, stderr_key)).quantize(_SIX)
                    if isinstance(stderr, (int, float)) and not isinstance(stderr, bool)
                    else None
                ),
                source=str(path),
            )
        )
    if not out:
        raise InputError(
            f"lm-eval results have no {metric!r} metric", file=path, hint="give --metric"
        )
    return out


def _pretrained(model_args: Any) -> str | None:
    if isinstance(model_args, dict):
        return model_args.get("pretrained") or model_args.get("model")
    if isinstance(model_args, str):
        for part in model_args.split(","):
            k, _, v = part.partition("=")
            if k.strip() in ("pretrained", "model"):
                return v.strip()
    return None


def _decimal(value: Any, path: Path, key: tuple[str, ...]) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError("not a number", file=path, key=key, value=value)
    d = Decimal(repr(value))
    if not d.is_finite() or d < 0 or d > 1:
        raise InputError("score outside 0..1", file=path, key=key, value=value)
    return d


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
class EvalRead:
    results: tuple[EvalResult, ...]
    malformed: int
    first_malformed: str | None


def read_evals(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    fmt: str | None = None,
    task_key: str | None = None,
    mapping: Mapping[str, str] | None = None,
    scorer: str | None = None,
    metric: str = "acc,none",
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
        return EvalRead(tuple(_lm_eval(path, metric, model)), 0, None)
    with tempfile.TemporaryDirectory(prefix="costplan-eval-") as tmp:
        src = path
        if fmt == "inspect" and sniff(path, 4) == b"PK\x03\x04":
            src = _inspect_eval_zip(path, Path(tmp))
        if fmt == "inspect":
            sql, unit = _inspect_sql(src, scorer)
        elif fmt == "promptfoo":
            sql, unit = _promptfoo_sql(src, task_key)
        elif fmt == "lm-eval-samples":
            sql, unit = _lm_samples_sql(src, metric, model)
        else:
            sql, unit = _generic_sql(con, src, task_key, mapping or {})
        results = _aggregate(con, sql, path, unit, strict)
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
    return EvalRead(tuple(results), n_bad, first)


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
