"""DuckDB plumbing shared by the readers: a connection, literals, value parsing.

Every reader exposes its file as rows of *text* fields and parses them with the
expressions here, so that a bad value makes a row *malformed* (counted and
reported with its line) instead of failing the whole read or being guessed at.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from costplan.errors import InputError

if TYPE_CHECKING:
    import duckdb

#: Largest token count one request may claim (the workload schema's bound).
MAX_TOKENS = 100_000_000


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with a bounded memory limit, UTC clock."""
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET memory_limit = '1500MB'")
    con.execute("SET preserve_insertion_order = true")
    return con


def lit(value: str | Path) -> str:
    """A SQL string literal (single quotes doubled)."""
    return "'" + str(value).replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lines_relation(path: Path) -> str:
    """One row per physical line of a text file: ``(line BIGINT, j VARCHAR)``.

    Read with DuckDB's CSV scanner using a separator that never occurs, so that
    a JSONL file streams (never loaded whole) and every line keeps its number;
    blank lines are NULL.
    """
    return (
        "(SELECT row_number() OVER () AS line, j FROM read_csv("
        f"{lit(path)}, columns={{'j': 'VARCHAR'}}, delim=E'\\x01', quote='', escape='', "
        "header=false, auto_detect=false, max_line_size=1000000000))"
    )


_INTEGER_TYPES = frozenset(
    {
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
    }
)


def is_text(typ: str) -> bool:
    return typ in ("VARCHAR", "JSON")


def token_expr(raw: str, what: str, typ: str = "VARCHAR") -> tuple[str, str]:
    """SQL for a token count parsed from column ``raw`` of DuckDB type ``typ``, and its
    problem (NULL if fine).

    Text accepts integers written as such (``12``, ``12.0``, ``1e3``); a missing value
    is NULL (not measured). Anything else is malformed; negative or absurd values
    (> :data:`MAX_TOKENS`) are refused separately by the caller. Typed integer columns
    (Parquet) are taken as they are, typed fractional ones must be whole.
    """
    if typ in _INTEGER_TYPES:
        return f"{raw}::BIGINT", "NULL::VARCHAR"
    d = f"TRY_CAST({raw} AS DOUBLE)" if is_text(typ) else f"{raw}::DOUBLE"
    value = f"(CASE WHEN {d} = floor({d}) AND abs({d}) < 9e15 THEN {d}::BIGINT END)"
    text = f"{raw}::VARCHAR"
    blank = f" AND trim({raw}) <> ''" if is_text(typ) else ""
    problem = (
        f"(CASE WHEN {raw} IS NOT NULL{blank} AND {value} IS NULL THEN 'bad {what} ' || {text} END)"
    )
    return value, problem


def run(con: duckdb.DuckDBPyConnection, sql: str, *, file: Path | None = None) -> Any:
    """Execute ``sql``; a DuckDB error about the input becomes one located InputError."""
    import duckdb

    try:
        return con.execute(sql)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read: {first}", file=file) from None
