"""The eval formats' own layouts: SQL of raw per-item rows, and the lm-eval summary.

Each ``*_sql`` function returns the SQL of typed per-item rows (:func:`item_rows`)
and what its ``line`` counts; :func:`lm_eval` reads a results summary (no items).
Real-world variation each reader accepts (from the formats' documented schemas):

* inspect-ai: ``.eval`` entries stored or deflated (older releases) or
  Zstandard-compressed (method 93, current releases; decompressed with pyarrow's
  codec, so no extra dependency); a sample's ``scores`` keyed by scorer (or the
  ``score`` of version-1 logs); values ``C``/``I``/``P``/``N``, ``yes``/``no``,
  booleans or numbers; ``model_usage`` keyed by the eval's model (else its only
  entry); ``input_tokens`` *excludes* cache reads and writes (inspect-ai's
  ``ModelUsage``), which are added back. A sample's epochs are one item. A log
  without samples (``--no-log-samples``) gives its ``results`` summary instead
  (:func:`inspect_summary`).
* promptfoo: the output file's ``results`` holding a summary (``{version,
  results: [...]}``, versions 2 and 3) or the summary itself (``{version: 2,
  results: [...], table, stats}``); ``provider`` an object or a string; results
  without ``testIdx`` (version 2) keyed by their vars; ``score`` else
  ``gradingResult.score`` else ``success``.
* lm-eval: ``--metric`` given, or by default ``acc,none`` else the task's first
  numeric metric (``exact_match,strict-match``, ``acc_norm,none``...); a task whose
  metric is not a number (a group's ``" "``) is left out; a stderr that is not a
  number (``"N/A"``) is unknown; ``n-samples`` missing (releases
  before 0.4.2) leaves n unknown. Samples files: rows of other filters dropped
  (a doc appears once per filter); the metric by default ``acc`` else the
  file's ``metrics[0]``.
"""

from __future__ import annotations

import json
import struct
import zipfile
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from costplan.errors import InputError
from costplan.ingest.records import records
from costplan.ingest.sql import lit, token_expr

if TYPE_CHECKING:
    from costplan.ingest.evals import EvalResult

SIX = Decimal("0.000001")
#: ZIP compression method of Zstandard (APPNOTE 4.4.5), which inspect-ai writes.
ZIP_ZSTANDARD = 93


def score_sql(raw: str) -> str:
    """A 0..1 score from text: C/I/P/N (inspect-ai), yes/no, true/false, correct/incorrect,
    pass/fail, or a number."""
    return (
        f"(CASE upper(trim({raw})) WHEN 'C' THEN 1.0 WHEN 'I' THEN 0.0 WHEN 'P' THEN 0.5 "
        f"WHEN 'N' THEN 0.0 WHEN 'TRUE' THEN 1.0 WHEN 'FALSE' THEN 0.0 WHEN 'YES' THEN 1.0 "
        f"WHEN 'NO' THEN 0.0 WHEN 'CORRECT' THEN 1.0 WHEN 'INCORRECT' THEN 0.0 "
        f"WHEN 'PASS' THEN 1.0 WHEN 'FAIL' THEN 0.0 ELSE TRY_CAST({raw} AS DOUBLE) END)"
    )


def item_rows(raw: str, *, reasoning_in_output: bool) -> str:
    """Typed eval rows ``(line, task, model, item, score, input, output, reasoning,
    latency, cost, bad)`` from raw text rows."""
    inp, i_bad = token_expr("input_raw", "input tokens")
    out, o_bad = token_expr("output_raw", "output tokens")
    rea, r_bad = token_expr("reasoning_raw", "reasoning tokens")
    output = f"({out} - coalesce({rea}, 0))" if reasoning_in_output else out
    score = score_sql("score_raw")
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
            f"CASE WHEN {output} < 0 THEN 'reasoning tokens exceed output tokens' END",
        ]
    )
    return (
        "SELECT line, coalesce(nullif(trim(task), ''), 'default') AS task, trim(model) AS model, "
        f"item, {score} AS score, {inp} AS input, {output} AS output, {rea} AS reasoning, "
        "TRY_CAST(latency_raw AS DOUBLE) AS latency, TRY_CAST(cost_raw AS DECIMAL(38,12)) AS cost, "
        f"nullif(concat_ws('; ', {problems}), '') AS bad FROM ({raw})"
    )


def _sum_text(parts: list[str]) -> str:
    """Text of the sum of ``parts`` (JSON text fields); the first one's own text when it is
    missing or not a whole number, so that the row is reported as it was written."""
    first = parts[0]
    nums = " + ".join(f"coalesce(TRY_CAST({p} AS BIGINT), 0)" for p in parts)
    return (
        f"CASE WHEN {first} IS NULL OR TRY_CAST({first} AS BIGINT) IS NULL THEN {first} "
        f"ELSE ({nums})::VARCHAR END"
    )


def inspect_sql(path: Path, scorer: str | None) -> tuple[str, str]:
    recs, unit = records(path, "json")
    pick = (
        f"s->'scores'->{lit(scorer)}"
        if scorer
        else "coalesce(s->'scores'->(json_keys(s->'scores')[1]), s->'score')"
    )
    usage = (
        "coalesce(s->'model_usage'->(j->'eval'->>'model'), "
        "s->'model_usage'->(json_keys(s->'model_usage')[1]))"
    )
    keys = ("input_tokens", "input_tokens_cache_read", "input_tokens_cache_write")
    inp = _sum_text([f"u->>'{k}'" for k in keys])
    raw = f"""
        WITH docs AS (SELECT line, j, problem FROM {recs}),
        samples AS (SELECT line, j, unnest(from_json(coalesce(j->'samples', '[]'), '["JSON"]'))
                    AS s, problem FROM docs),
        picked AS (SELECT *, {pick} AS sc, {usage} AS u FROM samples)
        SELECT line, j->'eval'->>'task' AS task, j->'eval'->>'model' AS model,
          s->>'id' AS item,
          CASE json_type(sc->'value') WHEN 'OBJECT' THEN NULL WHEN 'ARRAY' THEN NULL
               ELSE sc->>'value' END AS score_raw,
          {inp} AS input_raw, u->>'output_tokens' AS output_raw,
          u->>'reasoning_tokens' AS reasoning_raw,
          (TRY_CAST(s->>'total_time' AS DOUBLE) * 1000)::VARCHAR AS latency_raw,
          NULL::VARCHAR AS cost_raw, problem
        FROM picked
    """
    return item_rows(raw, reasoning_in_output=True), unit


def _member(z: zipfile.ZipFile, path: Path, name: str) -> bytes:
    """One entry of a zip, Zstandard-compressed ones included (Python < 3.14 lacks them)."""
    info = z.getinfo(name)
    if info.compress_type != ZIP_ZSTANDARD:
        return z.read(info)
    import pyarrow as pa

    with path.open("rb") as fh:
        fh.seek(info.header_offset)
        header = fh.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise InputError(f"bad zip entry header for {name}", file=path)
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        fh.seek(info.header_offset + 30 + name_len + extra_len)
        data = fh.read(info.compress_size)
    try:
        return bytes(pa.decompress(data, decompressed_size=info.file_size, codec="zstd"))
    except (pa.ArrowException, ValueError, OSError) as exc:
        raise InputError(f"cannot decompress {name}: {exc}", file=path) from None


def inspect_zip(path: Path, tmp: Path) -> Path:
    """Rebuild a JSON log from an ``.eval`` zip (header plus samples) in ``tmp``."""
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            if "header.json" not in names:
                raise InputError("not an inspect-ai .eval log (no header.json)", file=path)
            header = json.loads(_member(z, path, "header.json"))
            samples = [
                json.loads(_member(z, path, n))
                for n in sorted(names)
                if n.startswith("samples/") and n.endswith(".json")
            ]
    except (zipfile.BadZipFile, ValueError, KeyError, NotImplementedError, OSError) as exc:
        raise InputError(f"cannot read inspect-ai .eval log: {exc}", file=path) from None
    if not isinstance(header, dict):
        raise InputError("not an inspect-ai .eval log (header.json is not an object)", file=path)
    header["samples"] = samples
    out = tmp / (path.stem + ".json")
    out.write_text(json.dumps(header))
    return out


def _pick_score(results: dict[str, Any], scorer: str | None) -> tuple[dict[str, Any], str] | None:
    """(scorer entry, metric name) of an inspect-ai log's ``results``: ``--scorer`` or the
    ``headline`` scorer or the first; its headline metric, else ``accuracy``, else ``mean``,
    else its first metric other than ``stderr``/``std``."""
    scores = [s for s in results.get("scores") or [] if isinstance(s, dict)]
    headline = results.get("headline")
    head: dict[str, Any] = headline if isinstance(headline, dict) else {}
    want = scorer or head.get("score") or head.get("scorer")
    entry = next((s for s in scores if want and s.get("name") == want), None)
    if entry is None and scorer is None and scores:
        entry = scores[0]
    metrics = entry.get("metrics") if entry is not None else None
    if entry is None or not isinstance(metrics, dict) or not metrics:
        return None
    named = head.get("metric") if entry.get("name") == want else None
    for name in (named, "accuracy", "mean"):
        if name in metrics:
            return entry, str(name)
    rest = [m for m in metrics if m not in ("stderr", "std")]
    return (entry, rest[0]) if rest else None


def inspect_summary(src: Path, scorer: str | None, path: Path) -> list[EvalResult]:
    """Quality from the ``results`` of an inspect-ai log written without samples
    (``--no-log-samples``): the picked scorer's metric (:func:`_pick_score`), its
    ``stderr`` metric, n = ``completed_samples`` (else ``total_samples``). No tokens."""
    from costplan.ingest.evals import EvalResult

    try:
        doc = json.loads(src.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read inspect-ai log: {exc}", file=path) from None
    results = doc.get("results") if isinstance(doc, dict) else None
    ev = doc.get("eval") if isinstance(doc, dict) else None
    if not isinstance(results, dict) or not isinstance(ev, dict):
        return []
    picked = _pick_score(results, scorer)
    if picked is None:
        return []
    entry, metric = picked
    value = (
        entry["metrics"][metric].get("value")
        if isinstance(entry["metrics"][metric], dict)
        else None
    )
    where = ("results", "scores", str(entry.get("name")), "metrics", metric, "value")
    score = _decimal(value, path, where)
    se = entry["metrics"].get("stderr")
    se_value = se.get("value") if isinstance(se, dict) else None
    se_ok = isinstance(se_value, (int, float)) and not isinstance(se_value, bool)
    n = results.get("completed_samples") or results.get("total_samples")
    return [
        EvalResult(
            task=str(ev.get("task")),
            model=str(ev.get("model")),
            score=score.quantize(SIX, rounding=ROUND_HALF_EVEN),
            n=n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else None,
            stderr=_decimal(se_value, path, ("results", "stderr")).quantize(SIX) if se_ok else None,
            source=str(path),
        )
    ]


def promptfoo_sql(path: Path, task_key: str | None) -> tuple[str, str]:
    recs, unit = records(path, "json")
    task = f"r->'vars'->>{lit(task_key)}" if task_key else "NULL::VARCHAR"
    provider = (
        "CASE json_type(r->'provider') WHEN 'OBJECT' THEN r->'provider'->>'id' "
        "ELSE r->>'provider' END"
    )
    results = (
        "coalesce(j->'results'->'results', "
        "CASE json_type(j->'results') WHEN 'ARRAY' THEN j->'results' END, '[]')"
    )
    usage = "coalesce(r->'response'->'tokenUsage', r->'tokenUsage')"
    raw = f"""
        WITH docs AS (SELECT line, j, problem FROM {recs}),
        res AS (SELECT line, j, unnest(from_json({results}, '["JSON"]')) AS r, problem
                FROM docs)
        SELECT line, coalesce({task}, j->'config'->>'description') AS task,
          regexp_replace({provider}, '^.*:', '') AS model,
          coalesce(r->>'testIdx', 'vars:' || md5(coalesce(r->'vars', '{{}}')::VARCHAR)) || '/'
            || coalesce(r->>'promptIdx', md5(coalesce(r->'prompt'->>'raw', '')))  AS item,
          coalesce(r->>'score', r->'gradingResult'->>'score', r->>'success') AS score_raw,
          {usage}->>'prompt' AS input_raw, {usage}->>'completion' AS output_raw,
          {usage}->'completionDetails'->>'reasoning' AS reasoning_raw,
          r->>'latencyMs' AS latency_raw, r->>'cost' AS cost_raw, problem
        FROM res
    """
    return item_rows(raw, reasoning_in_output=True), unit


def lm_samples_metric(path: Path, metric: str | None) -> tuple[str, str | None]:
    """(per-doc metric key, filter or None) of an lm-eval samples file: ``--metric`` (its
    part before the comma; the part after it the filter), else ``acc``, else the first
    line's ``metrics[0]``."""
    if metric:
        key, _, filt = metric.partition(",")
        return key, filt or None
    with path.open("rb") as fh:
        first = fh.readline()
    try:
        doc = json.loads(first)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and "acc" not in doc:
        names = doc.get("metrics")
        if isinstance(names, list) and names and isinstance(names[0], str):
            return names[0], doc.get("filter") if isinstance(doc.get("filter"), str) else None
    return "acc", None


def lm_samples_sql(path: Path, metric: str | None, model: str | None) -> tuple[str, str]:
    if model is None:
        raise InputError(
            "lm-eval samples files do not name the model", file=path, hint="give --eval-model NAME"
        )
    name = path.stem.removeprefix("samples_")
    task = name.rsplit("_", 1)[0] if "_" in name else name  # samples_<task>_<date>
    recs, unit = records(path, "json")
    key, filt = lm_samples_metric(path, metric)
    keep = f"WHERE j->>'filter' IS NULL OR j->>'filter' = {lit(filt)}" if filt else ""
    raw = f"""
        SELECT line, {lit(task)} AS task, {lit(model)} AS model, j->>'doc_id' AS item,
          j->>{lit(key)} AS score_raw, NULL::VARCHAR AS input_raw, NULL::VARCHAR AS output_raw,
          NULL::VARCHAR AS reasoning_raw, NULL::VARCHAR AS latency_raw, NULL::VARCHAR AS cost_raw,
          problem
        FROM {recs} {keep}
    """
    return item_rows(raw, reasoning_in_output=False), unit


def _pick_metric(metrics: dict[str, Any], metric: str | None) -> str | None:
    """``metric`` if given; else ``acc,none``, else the first numeric ``name,filter`` metric
    that is not a stderr."""
    if metric:
        return metric if metric in metrics else None
    if "acc,none" in metrics:
        return "acc,none"
    for k, v in metrics.items():
        name = k.split(",", 1)[0]
        numeric = isinstance(v, (int, float)) and not isinstance(v, bool)
        if numeric and not name.endswith("_stderr") and k != "alias":
            return k
    return None


def lm_eval(path: Path, metric: str | None, model: str | None) -> list[EvalResult]:
    """Quality per task from an lm-evaluation-harness results file (see the module docstring)."""
    from costplan.ingest.evals import EvalResult

    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"cannot read lm-eval results: {exc}", file=path) from None
    results = doc.get("results") if isinstance(doc, dict) else None
    if not isinstance(results, dict) or not results:
        raise InputError("lm-eval results file has no 'results'", file=path)
    config = doc.get("config") if isinstance(doc.get("config"), dict) else {}
    name = doc.get("model_name") or _pretrained(config.get("model_args")) or model
    if not name:
        raise InputError("lm-eval results name no model", file=path, hint="give --eval-model NAME")
    samples = doc.get("n-samples", {})
    out = []
    for task, metrics in results.items():
        key = _pick_metric(metrics, metric) if isinstance(metrics, dict) else None
        v = metrics[key] if key is not None else None
        if key is None or isinstance(v, bool) or not isinstance(v, (int, float)):
            continue  # no such metric, or not a number (a group's " ", "N/A")
        stderr_key = key.replace(",", "_stderr,", 1) if "," in key else key + "_stderr"
        value = _decimal(metrics[key], path, ("results", task, key))
        stderr = metrics.get(stderr_key)
        counts = samples.get(task, {}) if isinstance(samples, dict) else {}
        n = counts.get("effective", counts.get("original")) if isinstance(counts, dict) else None
        numeric = isinstance(stderr, (int, float)) and not isinstance(stderr, bool)
        out.append(
            EvalResult(
                task=task,
                model=str(name),
                score=value.quantize(SIX, rounding=ROUND_HALF_EVEN),
                n=int(n) if isinstance(n, int) and not isinstance(n, bool) and n > 0 else None,
                stderr=(
                    _decimal(stderr, path, ("results", task, stderr_key)).quantize(SIX)
                    if numeric
                    else None
                ),
                source=str(path),
            )
        )
    if not out:
        wanted = repr(metric) if metric else "numeric"
        raise InputError(
            f"lm-eval results have no {wanted} metric", file=path, hint="give --metric"
        )
    return out


def _pretrained(model_args: Any) -> str | None:
    if isinstance(model_args, dict):
        v = model_args.get("pretrained") or model_args.get("model")
        return v if isinstance(v, str) else None
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
