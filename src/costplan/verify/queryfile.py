"""The checker's own reading of ``assign`` query files and per-query rows.

Query files (README "Per-query allocation"): JSONL records ``{id, task?, text |
prompt_tokens, cached_tokens?, output_tokens?, quality: {model: 0..1}}``, CSV
with columns ``id``, ``task``, ``text`` or ``prompt_tokens``, ``cached_tokens``,
``output_tokens`` and ``q:<model>``, or Parquet/Arrow with those columns (or a
``quality`` struct); an empty CSV cell, a null or a missing model means no
option. Per-query rows (what ``assign -o`` writes): ``id, task, model, mode,
cost_usd, quality`` as CSV or JSONL.

The checker reads query files with DuckDB (costplan's reader uses pyarrow and
its own exact fallback; the two share no code). Quality in micro-units, rounded
down, by the documented rule: decimal text exactly; binary floats (JSON
numbers, Parquet doubles) as the shortest decimal of the double, computed here
as ``floor(x * 1e6 * (1 + 2**-51))``: for a decimal of at most 15 significant
digits the double product is within ``2.3e-16`` (relative) of ``d * 10**6``, the
factor lifts an exact integer over its rounding error and cannot reach the next
integer, which is at least ``1e-15`` (relative) away. Texts of more than 17
characters are read exactly with Decimal. Nothing loops per query in Python
but ids, tasks and texts becoming tuples.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from costplan.errors import InputError
from costplan.verify.raw import decode, read_bytes

MICRO = Decimal(10**6)
_LIFT = 1 + 2**-51


@dataclass(frozen=True)
class Queries:
    ids: tuple[str, ...]
    tasks: tuple[str, ...]
    texts: tuple[str, ...] | None
    prompt: npt.NDArray[np.int64] | None
    cached: npt.NDArray[np.int64]
    output: npt.NDArray[np.int64]  # 0 where a query gives none (output_given False)
    output_given: npt.NDArray[np.bool_]
    models: tuple[str, ...]
    quality: npt.NDArray[np.int64]  # (queries, models) micro-units, -1: no quality given
    sha256: str

    def column(self, model: str) -> npt.NDArray[np.int64] | None:
        """One model's micro-units (-1 where absent), None when no query has it."""
        if model not in self.models:
            return None
        return self.quality[:, self.models.index(model)]


@dataclass(frozen=True)
class QueryRows:
    """Per-query rows: query id, task, model, mode, exact cost and quality (micro-units)."""

    ids: tuple[str, ...]
    tasks: tuple[str, ...]
    models: tuple[str, ...]
    modes: tuple[str, ...]
    cost_pusd: npt.NDArray[Any]
    quality_micro: npt.NDArray[np.int64]


def quality_micro(text: str) -> int:
    """Micro-units of a quality text, rounded down (in the user's disfavour, README)."""
    return int((Decimal(text) * MICRO).to_integral_value(ROUND_FLOOR))


def _records(path: Path, text: str) -> list[dict[str, Any]]:
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        lines = [line for line in text.split("\n") if line.strip()]
        try:
            data = json.loads("[" + ",".join(lines) + "]", parse_float=str, parse_int=str)
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON lines: {exc.msg}", file=path) from None
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise InputError("every line must be a JSON object", file=path)
        return list(data)
    reader = csv.DictReader(io.StringIO(text))
    return [dict(row) for row in reader]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        while block := os.read(fd, 8 << 20):
            digest.update(block)
    finally:
        os.close(fd)
    return digest.hexdigest()


def _micro(values: npt.NDArray[Any], kind: str) -> npt.NDArray[np.int64]:
    """Micro-units of one column: ``kind`` "float" (binary floats) or "text"; -1 for null."""
    out = np.full(len(values), -1, dtype=np.int64)
    if kind == "float":
        x = np.asarray(values, dtype=np.float64)
        given = ~np.isnan(x)
        out[given] = np.floor(x[given] * 1e6 * _LIFT).astype(np.int64)
        return out
    for i, v in enumerate(values.tolist()):
        if v is None or str(v).strip() == "":
            continue
        t = str(v).strip()
        if len(t) <= 17:
            out[i] = int(np.floor(float(t) * 1e6 * _LIFT))
        else:
            out[i] = quality_micro(t)
    return out


def _shards(path: Path) -> list[Path] | None:
    """A directory's ``*.parquet``/``*.pq`` files or a glob's matches, sorted by name; None
    for one file. The checker's own reading of the shard-set rule (README "Parquet shards")."""
    try:
        is_dir = path.is_dir()
    except OSError:  # reported, located, when the file is read
        is_dir = False
    if is_dir:
        found = [p for p in path.iterdir() if p.suffix.lower() in (".parquet", ".pq")]
    elif set("*?[") & set(path.name):
        found = list(path.parent.glob(path.name))
    else:
        return None
    if not found:
        raise InputError("no Parquet shards found", file=path)
    return sorted(found, key=lambda p: p.name)


def _set_sha256(shards: list[Path]) -> str:
    """sha256 of the manifest: ``<sha256>  <name>\\n`` per shard, in order."""
    text = "".join(f"{_sha256(p)}  {p.name}\n" for p in shards)
    return hashlib.sha256(text.encode()).hexdigest()


def _relation(con: Any, path: Path) -> Any:
    shards = _shards(path)
    if shards is not None:  # rows in shard order, then row order (insertion order kept)
        return con.sql("SELECT * FROM read_parquet(?, union_by_name=true)",
                       params=[[str(p) for p in shards]])  # fmt: skip
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return con.sql("SELECT * FROM read_json(?, format='newline_delimited', sample_size=-1)",
                       params=[str(path)])  # fmt: skip
    if suffix == ".csv":
        return con.sql("SELECT * FROM read_csv(?, all_varchar=true, header=true)",
                       params=[str(path)])  # fmt: skip
    if suffix in (".parquet", ".pq"):
        return con.sql("SELECT * FROM read_parquet(?)", params=[str(path)])
    import pyarrow as pa
    import pyarrow.ipc as ipc

    with pa.OSFile(str(path), "rb") as fh:
        try:
            table = ipc.open_file(fh).read_all()
        except pa.ArrowInvalid:
            fh.seek(0)
            table = ipc.open_stream(fh).read_all()
    return con.from_arrow(table)


def _quality_columns(rel: Any) -> list[tuple[str, str, str]]:
    """(model, SQL expression, kind) of every quality column of the relation."""
    out = []
    for name, dtype in zip(rel.columns, rel.types, strict=True):
        typ = str(dtype)
        if name.startswith("q:") and len(name) > 2:
            out.append((name[2:], '"' + name.replace('"', '""') + '"', typ))
        elif name == "quality" and typ.startswith("STRUCT"):
            for field, ftype in rel.select("quality").types[0].children:
                quoted = '"' + field.replace('"', '""') + '"'
                out.append((field, f"quality.{quoted}", str(ftype)))
    kinds = []
    for model, expr, typ in out:
        floats = typ in ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT",
                         "UBIGINT", "UINTEGER", "HUGEINT")  # fmt: skip
        kinds.append((model, expr if floats else f"CAST({expr} AS VARCHAR)",
                      "float" if floats else "text"))  # fmt: skip
    return kinds


def _plain(values: Any) -> npt.NDArray[Any]:
    """A fetched column with nulls as None (objects) or NaN (floats)."""
    if isinstance(values, np.ma.MaskedArray):
        if values.dtype.kind == "f":
            return np.asarray(values.filled(np.nan))
        # not ``filled(None)``: None there means the array's own fill value (999999, '?')
        out = np.array(values.data, dtype=object)
        out[np.ma.getmaskarray(values)] = None
        return out
    return np.asarray(values)


def _ints(values: Any, path: Path, what: str) -> npt.NDArray[np.int64]:
    try:
        if values.dtype.kind in "iu":
            return np.asarray(values, dtype=np.int64)
        x = np.asarray([0 if v is None or v == "" or v != v else int(v) for v in values.tolist()],
                       dtype=np.int64)  # fmt: skip
    except (TypeError, ValueError):
        raise InputError(f"{what} must be whole numbers", file=path) from None
    return x


def read_queries(path: Path) -> Queries:
    import duckdb

    shards = _shards(path)
    sha = _sha256(path) if shards is None else _set_sha256(shards)
    con = duckdb.connect()
    try:
        rel = _relation(con, path)
        cols = set(rel.columns)
        quality = _quality_columns(rel)
        select = [f"CAST({c} AS VARCHAR) AS {c}" if c in ("id", "task", "text") else c
                  for c in ("id", "task", "text", "prompt_tokens", "cached_tokens",
                            "output_tokens") if c in cols]  # fmt: skip
        select += [f"{expr} AS \"__q{k}\"" for k, (_, expr, _) in enumerate(quality)]
        data = rel.select(", ".join(select)).fetchnumpy()
    except duckdb.Error as exc:
        raise InputError(f"query file is not readable ({exc})", file=path) from None
    finally:
        con.close()
    data = {k: _plain(v) for k, v in data.items()}
    n = len(data["id"])
    if not n:
        raise InputError("query file has no queries", file=path)

    def texts(name: str) -> tuple[str, ...]:
        vals = data[name].tolist() if name in data else [None] * n
        return tuple("" if v is None else str(v) for v in vals)

    has_text = "text" in data and any(t not in (None, "") for t in data["text"].tolist()[:1])
    out_raw = data.get("output_tokens")
    given = (np.zeros(n, np.bool_) if out_raw is None else np.ones(n, np.bool_)
             if out_raw.dtype.kind in "iu" else
             np.asarray([v is not None and v != "" and v == v for v in out_raw.tolist()],
                        dtype=np.bool_))  # fmt: skip
    # Column-major: one model's column is contiguous (filled and read column by column).
    micro = np.empty((n, len(quality)), dtype=np.int64, order="F")
    for k, (_, _, kind) in enumerate(quality):
        micro[:, k] = _micro(np.asarray(data.pop(f"__q{k}")), kind)
    models = tuple(m for m, _, _ in quality)
    cached = (_ints(data["cached_tokens"], path, "cached_tokens") if "cached_tokens" in data
              else np.zeros(n, np.int64))  # fmt: skip
    output = (np.zeros(n, np.int64) if out_raw is None
              else np.where(given, _ints(out_raw, path, "output_tokens"), 0))  # fmt: skip
    return Queries(
        ids=texts("id"),
        tasks=texts("task"),
        texts=texts("text") if has_text else None,
        prompt=None if has_text else _ints(data["prompt_tokens"], path, "prompt_tokens"),
        cached=cached,
        output=output,
        output_given=given,
        models=models,
        quality=micro,
        sha256=sha,
    )


def first_codes(values: tuple[str, ...]) -> tuple[list[str], npt.NDArray[np.int64]]:
    """The distinct values in order of first appearance and each item's index into them
    (the checker's own dictionary encoding, by Arrow: no Python loop per query)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(pa.array(values, type=pa.string()))
    names = [str(v) for v in enc.dictionary.to_pylist()]
    return names, enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)


def pusd_of_text(text: str) -> int:
    """Exact pico-dollars of a non-negative decimal USD text with at most 12 decimals."""
    whole, _, frac = text.strip().partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()) or len(frac) > 12:
        raise ValueError(text)
    return int(whole) * 10**12 + int(frac.ljust(12, "0") or 0)


def read_rows(path: Path) -> QueryRows:
    """Per-query rows as ``assign -o`` writes them (CSV or JSONL)."""
    raw = read_bytes(path, "per-query rows")
    records = _records(path, decode(raw, path, "per-query rows"))
    try:
        costs = [pusd_of_text(str(r["cost_usd"])) for r in records]
        quality = [quality_micro(str(r["quality"])) for r in records]
        ids = tuple(str(r["id"]) for r in records)
        tasks = tuple(str(r.get("task") or "") for r in records)
        models = tuple(str(r["model"]) for r in records)
        modes = tuple(str(r["mode"]) for r in records)
    except (KeyError, ValueError, InvalidOperation) as exc:
        raise InputError(f"per-query rows are not readable ({exc!r})", file=path) from None
    dtype: Any = np.int64 if max(costs, default=0) < 2**62 // max(1, len(costs)) else object
    return QueryRows(ids, tasks, models, modes, np.asarray(costs, dtype=dtype),
                     np.asarray(quality, dtype=np.int64))  # fmt: skip
