"""Traffic readers: one SQL relation of normalised rows per log file.

Formats (``--traffic-format`` names; detected from content by :func:`detect`):

* ``litellm``: LiteLLM proxy ``SpendLogs`` rows exported as CSV, JSON or JSONL
  (``request_id``, ``spend``, ``prompt_tokens``, ``completion_tokens``,
  ``startTime``, ``endTime``, ``model``, ``model_group``, ``request_tags``,
  ``metadata``...). Cached and reasoning tokens are read from
  ``metadata.usage_object`` when LiteLLM logged it; ``completion_tokens``
  includes reasoning (OpenAI's convention), which is subtracted.
* ``openai-usage``: OpenAI's organization usage API, completions buckets (pages
  ``{"data": [{"start_time", "end_time", "results": [...]}]}``; one page, a JSON
  array of pages, or JSONL of pages). Buckets give totals, not distributions.
* ``anthropic-usage``: Anthropic's messages usage report (``data[].starting_at``,
  ``ending_at``, ``results[]`` with ``uncached_input_tokens``,
  ``cache_read_input_tokens``, ``cache_creation.ephemeral_5m/1h_input_tokens``,
  ``output_tokens``). The report has no request counts: volumes need ``--volume``.
* ``otel``: OpenTelemetry GenAI spans as OTLP JSON (``resourceSpans[].scopeSpans[]
  .spans[]``, or ``instrumentationLibrarySpans`` of OTLP before 0.15; one request
  per line, as the file exporter writes, or one document).
  A span is a request when it names a model, an operation, ``gen_ai.provider.name``
  or (conventions before 1.37) ``gen_ai.system``, unless its operation is a tool,
  agent or embeddings one; token counts from ``gen_ai.usage.input_tokens`` /
  ``output_tokens``, else the older ``prompt_tokens`` / ``completion_tokens``.
* ``generic``: CSV, JSONL or Parquet with columns named by costplan's fields
  (:data:`GENERIC_FIELDS`) or mapped with ``--map COLUMN=FIELD``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from costplan.errors import InputError
from costplan.ingest.records import json_layout, parsed, records, sniff
from costplan.ingest.sql import ident, lit, run

if TYPE_CHECKING:
    import duckdb

TRAFFIC_FORMATS = ("litellm", "openai-usage", "anthropic-usage", "otel", "generic")

#: Fields of a generic traffic file, and the column names accepted for each.
GENERIC_FIELDS: dict[str, tuple[str, ...]] = {
    "task": ("task",),
    "model": ("model",),
    "timestamp": ("timestamp", "start_time", "startTime", "time"),
    "end_time": ("end_time", "endTime"),
    "requests": ("requests",),
    "prompt_tokens": ("prompt_tokens", "input_tokens"),
    "cached_tokens": ("cached_tokens", "cache_read_input_tokens"),
    "output_tokens": ("output_tokens", "completion_tokens"),
    "reasoning_tokens": ("reasoning_tokens",),
    "spend_usd": ("spend_usd", "spend", "cost_usd", "cost"),
    "latency_ms": ("latency_ms",),
}


@dataclass(frozen=True)
class Source:
    """One traffic file read as normalised rows (see :mod:`costplan.ingest.records`).

    ``unit`` says what ``line`` counts (``line``, ``record`` or ``document``);
    ``per_request`` sources have one row per request (distributions, latency),
    bucketed ones one row per (bucket, model, ...) with a request count.
    """

    path: Path
    format: str
    sql: str
    unit: str
    per_request: bool
    task_key: str | None


def detect(path: Path) -> str:
    """The traffic format of ``path`` from its content (name extensions are not trusted)."""
    head = sniff(path)
    if head.startswith(b"PAR1"):
        return "generic"
    text = head.decode("utf-8", errors="replace")
    if '"resourceSpans"' in text:
        return "otel"
    if "uncached_input_tokens" in text or '"starting_at"' in text:
        return "anthropic-usage"
    if "organization.usage.completions" in text or "num_model_requests" in text:
        return "openai-usage"
    if ("request_id" in text and "startTime" in text) or "spend_logs_metadata" in text:
        return "litellm"
    return "generic"


def _json_path(key: str, prefix: str = "$.") -> str:
    return lit(prefix + '"' + key.replace('"', '\\"') + '"')


def _tag(tags: str, key: str) -> str:
    """The value of the first ``KEY:value`` tag in a JSON list of strings."""
    prefix = lit(key + ":")
    return (
        f"(SELECT substr(t, {len(key) + 2}) FROM (SELECT unnest(TRY_CAST({tags} AS VARCHAR[])) t) "
        f"WHERE starts_with(t, {prefix}) LIMIT 1)"
    )


def _litellm(path: Path, kind: str, key: str | None) -> tuple[str, str]:
    recs, unit = records(path, kind)
    md = (
        "CASE json_type(j->'metadata') WHEN 'VARCHAR' THEN "
        "(CASE WHEN json_valid(j->>'metadata') THEN (j->>'metadata')::JSON END) "
        "ELSE j->'metadata' END"
    )
    tags = (
        "CASE json_type(j->'request_tags') WHEN 'VARCHAR' THEN "
        "(CASE WHEN json_valid(j->>'request_tags') THEN (j->>'request_tags')::JSON END) "
        "ELSE j->'request_tags' END"
    )
    if key:
        keyed = (
            f"coalesce(json_extract_string(md, {_json_path(key, '$.spend_logs_metadata.')}),"
            f" {_tag('tags', key)}, json_extract_string(j, {_json_path(key)}))"
        )
    else:
        keyed = "NULL::VARCHAR"
    raw = f"""
        SELECT line, j->>'startTime' AS t0_raw, j->>'endTime' AS t1_raw,
          coalesce(k, nullif(j->>'model_group', ''), j->>'model') AS task, k IS NOT NULL AS keyed,
          j->>'model' AS model, '1' AS n_raw, j->>'prompt_tokens' AS prompt_raw,
          coalesce(md->'usage_object'->'prompt_tokens_details'->>'cached_tokens',
                   md->'usage_object'->>'cache_read_input_tokens') AS cached_raw,
          j->>'completion_tokens' AS output_raw,
          md->'usage_object'->'completion_tokens_details'->>'reasoning_tokens' AS reasoning_raw,
          j->>'spend' AS spend_raw, NULL::VARCHAR AS latency_raw,
          coalesce(problem, CASE WHEN j->>'status' = 'failure' THEN 'failed request' END) AS problem
        FROM (SELECT *, {keyed} AS k FROM (SELECT *, {md} AS md, {tags} AS tags FROM {recs}))
    """
    return parsed(raw, reasoning_in_output=True), unit


def _buckets(recs: str, start: str, end: str) -> str:
    """(line, bucket start, bucket end, result JSON) for usage-API pages."""
    return f"""
        WITH docs AS (SELECT line, CASE WHEN json_type(j) = 'ARRAY' THEN j ELSE
                        json_array(j) END AS pages, problem FROM {recs}),
        pages AS (SELECT line, unnest(from_json(pages, '["JSON"]')) AS p, problem FROM docs),
        buckets AS (SELECT line, unnest(from_json(coalesce(p->'data', '[]'), '["JSON"]')) AS b,
                    problem FROM pages)
        SELECT line, b->>{lit(start)} AS t0_raw, b->>{lit(end)} AS t1_raw,
               unnest(from_json(coalesce(b->'results', '[]'), '["JSON"]')) AS r, problem
        FROM buckets
    """


#: A usage-API result without a model: the report was not grouped by model.
_UNGROUPED = (
    "coalesce(problem, CASE WHEN r->>'model' IS NULL THEN 'the usage report is not grouped "
    "by model (request it with group_by model)' END)"
)


def _openai(path: Path, key: str | None) -> tuple[str, str]:
    recs, unit = records(path, "json")
    k = f"r->>{lit(key)}" if key else "NULL::VARCHAR"
    raw = f"""
        SELECT line, t0_raw, t1_raw, coalesce({k}, r->>'project_id') AS task,
          {k} IS NOT NULL AS keyed, r->>'model' AS model, r->>'num_model_requests' AS n_raw,
          r->>'input_tokens' AS prompt_raw, r->>'input_cached_tokens' AS cached_raw,
          r->>'output_tokens' AS output_raw, NULL::VARCHAR AS reasoning_raw,
          NULL::VARCHAR AS spend_raw, NULL::VARCHAR AS latency_raw, {_UNGROUPED} AS problem
        FROM ({_buckets(recs, "start_time", "end_time")})
    """
    return parsed(raw, reasoning_in_output=False), unit


def _anthropic(path: Path, key: str | None) -> tuple[str, str]:
    recs, unit = records(path, "json")
    k = f"r->>{lit(key)}" if key else "NULL::VARCHAR"

    def num(expr: str) -> str:
        return f"coalesce(TRY_CAST({expr} AS BIGINT), 0)"

    prompt = " + ".join(
        [
            num("r->>'uncached_input_tokens'"),
            num("r->>'cache_read_input_tokens'"),
            num("r->'cache_creation'->>'ephemeral_5m_input_tokens'"),
            num("r->'cache_creation'->>'ephemeral_1h_input_tokens'"),
            num("r->>'cache_creation_5m_input_tokens'"),
            num("r->>'cache_creation_1h_input_tokens'"),
        ]
    )
    raw = f"""
        SELECT line, t0_raw, t1_raw, coalesce({k}, r->>'workspace_id') AS task,
          {k} IS NOT NULL AS keyed, r->>'model' AS model,
          coalesce(r->>'num_requests', r->>'requests') AS n_raw,
          CASE WHEN r->>'uncached_input_tokens' IS NULL THEN NULL
               WHEN TRY_CAST(r->>'uncached_input_tokens' AS BIGINT) IS NULL
               THEN r->>'uncached_input_tokens' ELSE ({prompt})::VARCHAR END AS prompt_raw,
          r->>'cache_read_input_tokens' AS cached_raw, r->>'output_tokens' AS output_raw,
          NULL::VARCHAR AS reasoning_raw, NULL::VARCHAR AS spend_raw,
          NULL::VARCHAR AS latency_raw, {_UNGROUPED} AS problem
        FROM ({_buckets(recs, "starting_at", "ending_at")})
    """
    return parsed(raw, reasoning_in_output=False), unit


#: GenAI operations that are not one inference request: tool calls, and agent spans whose
#: usage (when they carry one) sums their child inference spans' (counting both would
#: count the tokens twice); embeddings have no output. Their spans are skipped.
_NOT_INFERENCE = "('execute_tool', 'invoke_agent', 'create_agent', 'embeddings')"


def _otel(path: Path, key: str | None) -> tuple[str, str]:
    recs, unit = records(path, "json")
    kv = (
        "list_transform(from_json(coalesce({a}, '[]'), '[\"JSON\"]'), lambda x: {{'k': x->>'key', "
        "'v': coalesce(x->'value'->>'stringValue', x->'value'->>'intValue', "
        "x->'value'->>'doubleValue', x->'value'->>'boolValue')}})"
    )

    def attr(name: str, where: str = "sa") -> str:
        return f"list_extract(list_filter({where}, lambda x: x.k = {lit(name)}), 1).v"

    k = f"coalesce({attr(key)}, {attr(key, 'ra')})" if key else "NULL::VARCHAR"
    model = f"coalesce({attr('gen_ai.request.model')}, {attr('gen_ai.response.model')})"
    op = attr("gen_ai.operation.name")
    raw = f"""
        WITH rs AS (SELECT line, unnest(from_json(coalesce(j->'resourceSpans', '[]'),
                      '["JSON"]')) AS r, problem FROM {recs}),
        ss AS (SELECT line, {kv.format(a="r->'resource'->'attributes'")} AS ra,
               unnest(from_json(coalesce(r->'scopeSpans', r->'instrumentationLibrarySpans',
                 '[]'), '["JSON"]')) AS s, problem
               FROM rs),
        sp AS (SELECT line, ra, unnest(from_json(coalesce(s->'spans', '[]'), '["JSON"]')) AS sp,
               problem FROM ss),
        attrs AS (SELECT line, ra, sp, {kv.format(a="sp->'attributes'")} AS sa, problem FROM sp)
        SELECT line, sp->>'startTimeUnixNano' AS t0_raw, sp->>'endTimeUnixNano' AS t1_raw,
          coalesce({k}, {attr("service.name", "ra")}) AS task, {k} IS NOT NULL AS keyed,
          {model} AS model, '1' AS n_raw,
          coalesce({attr("gen_ai.usage.input_tokens")},
                   {attr("gen_ai.usage.prompt_tokens")}) AS prompt_raw,
          coalesce({attr("gen_ai.usage.cache_read.input_tokens")},
                   {attr("gen_ai.usage.cache_read_input_tokens")}) AS cached_raw,
          coalesce({attr("gen_ai.usage.output_tokens")},
                   {attr("gen_ai.usage.completion_tokens")}) AS output_raw,
          {attr("gen_ai.usage.reasoning.output_tokens")} AS reasoning_raw,
          NULL::VARCHAR AS spend_raw, NULL::VARCHAR AS latency_raw, problem
        FROM attrs
        WHERE problem IS NOT NULL
           OR (coalesce({op} NOT IN {_NOT_INFERENCE}, true)
               AND ({model} IS NOT NULL OR {op} IS NOT NULL
                    OR {attr("gen_ai.provider.name")} IS NOT NULL
                    OR {attr("gen_ai.system")} IS NOT NULL))
    """
    return parsed(raw, reasoning_in_output=True), unit


def generic_columns(
    available: list[str], mapping: Mapping[str, str], fields: Mapping[str, tuple[str, ...]]
) -> dict[str, str | None]:
    """Column of the file for each field: ``--map COLUMN=FIELD`` first, then known names."""
    unknown = sorted(set(mapping.values()) - set(fields))
    if unknown:
        raise InputError(
            "--map names an unknown field",
            value=unknown[0],
            hint="fields: " + ", ".join(fields),
        )
    missing = sorted(set(mapping) - set(available))
    if missing:
        raise InputError("--map names a column the file does not have", value=missing[0])
    out: dict[str, str | None] = {}
    for field, names in fields.items():
        mapped = [c for c, f in mapping.items() if f == field]
        out[field] = mapped[0] if mapped else next((c for c in names if c in available), None)
    return out


def _generic_base(path: Path) -> tuple[str, str, str]:
    """(relation with a ``line`` column, unit, file kind) for CSV, JSONL or Parquet."""
    if sniff(path, 4) == b"PAR1":
        rel = (
            "(SELECT file_row_number + 1 AS line, * "
            f"FROM read_parquet({lit(path)}, file_row_number=true))"
        )
        return rel, "row", "parquet"
    head = sniff(path).lstrip()
    if head.startswith((b"{", b"[")):
        layout = json_layout(path)
        if layout == "lines":
            rel = (
                f"(SELECT row_number() OVER () AS line, * "
                f"FROM read_json({lit(path)}, format='newline_delimited'))"
            )
            return rel, "line", "json"
        rel = f"(SELECT row_number() OVER () AS line, * FROM read_json({lit(path)}))"
        return rel, "record", "json"
    rel = (
        f"(SELECT row_number() OVER () + 1 AS line, * "
        f"FROM read_csv({lit(path)}, all_varchar=true, header=true))"
    )
    return rel, "line", "csv"


def _generic(
    con: duckdb.DuckDBPyConnection, path: Path, key: str | None, mapping: Mapping[str, str]
) -> tuple[str, str, bool]:
    rel, unit, _ = _generic_base(path)
    described = run(con, f"DESCRIBE SELECT * FROM {rel}", file=path).fetchall()
    cols = [r[0] for r in described]
    col_types = {r[0]: str(r[1]) for r in described}
    if key and key not in mapping and key not in cols:
        raise InputError("--task-key names a column the file does not have", file=path, value=key)
    cmap = generic_columns(cols, {**mapping, **({key: "task"} if key else {})}, GENERIC_FIELDS)
    for needed in ("model", "timestamp", "prompt_tokens", "output_tokens"):
        if cmap[needed] is None:
            raise InputError(
                f"generic traffic file has no {needed!r} column",
                file=path,
                hint=f"name it with --map COLUMN={needed}",
            )

    text_fields = ("task", "model")

    def col(field: str) -> str:
        c = cmap[field]
        if c is None:
            return "NULL::VARCHAR"
        if field in text_fields or col_types[c] == "VARCHAR":
            return f"CAST({ident(c)} AS VARCHAR)"
        return ident(c)  # typed (Parquet, JSON numbers): parsed without a text round trip

    raw_names = {
        "timestamp": "t0_raw",
        "end_time": "t1_raw",
        "requests": "n_raw",
        "prompt_tokens": "prompt_raw",
        "cached_tokens": "cached_raw",
        "output_tokens": "output_raw",
        "reasoning_tokens": "reasoning_raw",
        "spend_usd": "spend_raw",
        "latency_ms": "latency_raw",
    }
    types = {
        raw: col_types[c]
        for field, raw in raw_names.items()
        if (c := cmap[field]) is not None and col_types[c] != "VARCHAR"
    }
    raw = f"""
        SELECT line, {col("timestamp")} AS t0_raw, {col("end_time")} AS t1_raw,
          {col("task")} AS task, {col("task")} IS NOT NULL AS keyed, {col("model")} AS model,
          {col("requests")} AS n_raw, {col("prompt_tokens")} AS prompt_raw,
          {col("cached_tokens")} AS cached_raw, {col("output_tokens")} AS output_raw,
          {col("reasoning_tokens")} AS reasoning_raw, {col("spend_usd")} AS spend_raw,
          {col("latency_ms")} AS latency_raw, NULL::VARCHAR AS problem
        FROM {rel}
    """
    return parsed(raw, reasoning_in_output=False, types=types), unit, cmap["requests"] is None


def read_traffic(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    fmt: str | None = None,
    task_key: str | None = None,
    mapping: Mapping[str, str] | None = None,
) -> Source:
    """The normalised rows of one traffic file (lazily: SQL, not yet executed)."""
    from costplan.safeio import library_path

    path = library_path(path)  # standard input: its spool file
    if not path.is_file():
        raise InputError("traffic file not found", file=path)
    fmt = fmt or detect(path)
    if fmt not in TRAFFIC_FORMATS:
        raise InputError(
            "unknown traffic format", value=fmt, hint="one of " + ", ".join(TRAFFIC_FORMATS)
        )
    if mapping and fmt != "generic":
        raise InputError("--map applies to generic files only", file=path, value=fmt)
    if fmt == "litellm":
        kind = "json" if sniff(path).lstrip().startswith((b"{", b"[")) else "csv"
        sql, unit = _litellm(path, kind, task_key)
    elif fmt == "openai-usage":
        sql, unit = _openai(path, task_key)
    elif fmt == "anthropic-usage":
        sql, unit = _anthropic(path, task_key)
    elif fmt == "otel":
        sql, unit = _otel(path, task_key)
    else:
        sql, unit = "", ""
    per_request = fmt in ("litellm", "otel")
    if fmt == "generic":
        sql, unit, per_request = _generic(con, path, task_key, mapping or {})
    return Source(path, fmt, sql, unit, per_request, task_key)
