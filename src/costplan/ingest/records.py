"""Text and JSON files as numbered records, and the one parser of normalised rows.

A *record* is one line of a JSONL file, one element of a JSON array, one whole
JSON document, or one CSV row turned into a JSON object; each keeps its 1-based
``line`` (the line in the file for line-oriented files, the element index for a
JSON array or document). Readers map records to *raw rows* of text fields
(:data:`RAW_COLUMNS`); :func:`parsed` turns raw rows into typed, normalised rows:

=============  =================================================================
``line``       where the row came from (see ``unit`` of the reader)
``t0``, ``t1`` request start and end (or bucket start and end), TIMESTAMPTZ
``aware``      the timestamp carried a zone (``Z``/offset, or an epoch number)
``task``       the task key's value (after the reader's fallbacks)
``keyed``      the ``--task-key`` was found on this record (not a fallback)
``model``      model name as logged
``n``          requests the row stands for (1 per request; a bucket's count)
``prompt``     input tokens including cached ones
``cached``     input tokens read from a cache (0 when not logged)
``output``     output tokens *excluding* reasoning
``reasoning``  reasoning tokens; NULL when the source did not measure them
``spend``      logged spend in USD as DECIMAL(38,12); NULL when not logged
``latency``    milliseconds (logged, or ``t1 - t0``); NULL for buckets
``bad``        why the row is malformed, NULL when it is fine
=============  =================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from costplan.ingest.sql import is_text, lines_relation, lit, token_expr

RAW_COLUMNS = (
    "line",
    "t0_raw",
    "t1_raw",
    "task",
    "keyed",
    "model",
    "n_raw",
    "prompt_raw",
    "cached_raw",
    "output_raw",
    "reasoning_raw",
    "spend_raw",
    "latency_raw",
    "problem",
)


def sniff(path: Path, size: int = 65536) -> bytes:
    """The first bytes of a file (for format detection)."""
    with path.open("rb") as fh:
        return fh.read(size)


def json_layout(path: Path) -> str:
    """``array``, ``lines`` (JSONL) or ``document`` (one JSON value) by content."""
    import json

    head = sniff(path).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        return "array"
    first = head.split(b"\n", 1)[0].strip()
    try:
        json.loads(first)
    except ValueError:
        return "document"
    return "lines"


def json_records(path: Path) -> tuple[str, str]:
    """SQL of ``(line, j JSON, problem)`` records for a JSON/JSONL file, and the unit.

    JSONL streams line by line (a 1 GB file is never loaded whole); an invalid
    line is a record with a ``problem``. A JSON array yields one record per element.
    """
    layout = json_layout(path)
    if layout == "lines":
        sql = (
            "(SELECT line, CASE WHEN json_valid(j) THEN j::JSON END AS j, "
            "CASE WHEN NOT json_valid(j) THEN 'not valid JSON' END AS problem "
            f"FROM {lines_relation(path)} WHERE j IS NOT NULL AND trim(j) <> '')"
        )
        return sql, "line"
    fmt = "array" if layout == "array" else "unstructured"
    # One document must fit one object buffer; array elements get a bounded one.
    size = 64 << 20 if layout == "array" else max(64 << 20, path.stat().st_size + 1)
    sql = (
        "(SELECT row_number() OVER () AS line, json AS j, NULL::VARCHAR AS problem "
        f"FROM read_json_objects({lit(path)}, format='{fmt}', maximum_object_size={size}))"
    )
    return sql, "record" if layout == "array" else "document"


def csv_records(path: Path) -> tuple[str, str]:
    """SQL of ``(line, j JSON, problem)`` records for a CSV file with a header row.

    Every field is read as text and the row becomes a JSON object keyed by the
    header, so CSV and JSON exports share one reader. ``line`` assumes one line
    per row (quoted fields with newlines shift the reported numbers).
    """
    sql = (
        "(SELECT row_number() OVER () + 1 AS line, to_json(r) AS j, NULL::VARCHAR AS problem "
        f"FROM read_csv({lit(path)}, all_varchar=true, header=true) r)"
    )
    return sql, "line"


def records(path: Path, kind: str) -> tuple[str, str]:
    """Records of a ``csv`` or ``json`` (JSON, JSONL) file."""
    return csv_records(path) if kind == "csv" else json_records(path)


def _time(raw: str, typ: str = "VARCHAR") -> tuple[str, str]:
    """A timestamp and whether it carried a zone, from ISO text, an epoch number (s, ms,
    us or ns by magnitude) or a typed column (TIMESTAMPTZ aware; TIMESTAMP naive, UTC)."""
    if typ == "TIMESTAMP WITH TIME ZONE":
        return raw, "true"
    if typ.startswith(("TIMESTAMP", "DATE")):
        return f"{raw}::TIMESTAMPTZ", "false"
    d = f"TRY_CAST({raw} AS DOUBLE)" if is_text(typ) else f"{raw}::DOUBLE"
    epoch = (
        f"CASE WHEN {d} < 1e11 THEN to_timestamp({d}) "
        f"WHEN {d} < 1e14 THEN to_timestamp({d} / 1e3) "
        f"WHEN {d} < 1e17 THEN to_timestamp({d} / 1e6) "
        f"ELSE to_timestamp({d} / 1e9) END"
    )
    if not is_text(typ):
        return f"({epoch})", "true"
    value = f"(CASE WHEN {d} IS NOT NULL THEN {epoch} ELSE TRY_CAST({raw} AS TIMESTAMPTZ) END)"
    aware = f"({d} IS NOT NULL OR regexp_matches(trim({raw}), '(Z|z|[+-][0-9][0-9]:?[0-9][0-9])$'))"
    return value, aware


def parsed(
    raw_sql: str, *, reasoning_in_output: bool, types: Mapping[str, str] | None = None
) -> str:
    """Typed, normalised rows (see the module docstring) from raw rows.

    ``reasoning_in_output``: the source's output count includes reasoning (the
    OpenAI convention), so reasoning is subtracted to give costplan's output.
    ``types``: DuckDB types of raw columns that are not text (typed Parquet columns
    are used as they are, without a round trip through text).
    """
    ty = dict(types or {})

    def t(col: str) -> str:
        return ty.get(col, "VARCHAR")

    def text(col: str) -> str:
        return col if is_text(t(col)) else f"{col}::VARCHAR"

    n, n_bad = token_expr("n_raw", "request count", t("n_raw"))
    prompt, p_bad = token_expr("prompt_raw", "prompt tokens", t("prompt_raw"))
    cached, c_bad = token_expr("cached_raw", "cached tokens", t("cached_raw"))
    out, o_bad = token_expr("output_raw", "output tokens", t("output_raw"))
    reasoning, r_bad = token_expr("reasoning_raw", "reasoning tokens", t("reasoning_raw"))
    output = f"({out} - coalesce({reasoning}, 0))" if reasoning_in_output else out
    spend = (
        "TRY_CAST(spend_raw AS DECIMAL(38,12))"
        if is_text(t("spend_raw"))
        else "spend_raw::DECIMAL(38,12)"
    )
    latency = (
        "TRY_CAST(latency_raw AS DOUBLE)" if is_text(t("latency_raw")) else "latency_raw::DOUBLE"
    )
    t0, aware = _time("t0_raw", t("t0_raw"))
    t1, _ = _time("t1_raw", t("t1_raw"))
    problems = [
        "problem",
        "CASE WHEN model IS NULL OR trim(model) = '' THEN 'no model' END",
        f"CASE WHEN t0_raw IS NULL THEN 'no timestamp' WHEN {t0} IS NULL "
        f"THEN 'bad timestamp ' || {text('t0_raw')} END",
        f"CASE WHEN prompt_raw IS NULL THEN 'no prompt tokens' ELSE {p_bad} END",
        f"CASE WHEN output_raw IS NULL THEN 'no output tokens' ELSE {o_bad} END",
    ]
    # Typed columns cannot hold a malformed value: their checks are left out, so that
    # re-reading a Parquet file per pass does not re-run them on every row.
    if is_text(t("t1_raw")):
        problems.append(
            f"CASE WHEN t1_raw IS NOT NULL AND {t1} IS NULL THEN 'bad end time ' || t1_raw END"
        )
    problems += [e for e in (n_bad, c_bad, r_bad) if e != "NULL::VARCHAR"]
    if is_text(t("spend_raw")):
        problems.append(
            f"CASE WHEN spend_raw IS NOT NULL AND trim(spend_raw) <> '' AND {spend} IS NULL "
            "THEN 'bad spend ' || spend_raw END"
        )
    if is_text(t("latency_raw")):
        problems.append(
            f"CASE WHEN latency_raw IS NOT NULL AND {latency} IS NULL "
            "THEN 'bad latency ' || latency_raw END"
        )
    problems_sql = ", ".join(problems)
    return (
        f"SELECT line, {t0} AS t0, {t1} AS t1, {aware} AS aware, "
        "coalesce(nullif(trim(task), ''), 'default') AS task, keyed, trim(model) AS model, "
        f"coalesce({n}, 1) AS n, n_raw IS NULL AS n_missing, {prompt} AS prompt, "
        f"coalesce({cached}, 0) AS cached, {output} AS output, {reasoning} AS reasoning, "
        f"{spend} AS spend, coalesce({latency}, epoch_ms({t1}) - epoch_ms({t0})) AS latency, "
        f"nullif(concat_ws('; ', {problems_sql}), '') AS bad FROM ({raw_sql})"
    )
