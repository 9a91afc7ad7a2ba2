"""Parquet and Arrow (IPC file or stream, Feather v2) query files, read by batch.

Columns as in CSV: ``id`` (string), ``task``, ``text`` or ``prompt_tokens``,
``cached_tokens``, ``output_tokens`` (integers, or floats with whole values),
and one ``q:<model>`` column per model (floats, decimals, 0/1 integers or
decimal strings; null: not an option); or instead of the ``q:`` columns one
``quality`` struct column of such fields. Batches are converted with vectorised
checks; an error names the row (1-based, in file order), the column and the value.
Quality: floats by the float rule, decimals and strings exactly (:mod:`.quality`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from costplan.errors import InputError
from costplan.querydata.part import FIELDS, MAX_TOKENS, Part
from costplan.querydata.quality import PLAIN_QUALITY, micro_of_floats, micro_of_texts
from costplan.safeio import open_input

PARQUET = (".parquet", ".pq")
ARROW = (".arrow", ".feather", ".ipc", ".arrows")
BATCH_ROWS = 1 << 16


class _Where:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.start = 0  # rows before this batch

    def fail(self, row: int, column: str, message: str, value: Any = None) -> InputError:
        extra: dict[str, Any] = {} if value is None else {"value": value}
        return InputError(message, file=self.path, key=f"row {self.start + row + 1}: {column}",
                          **extra)  # fmt: skip


def _batches(path: Path, fh: Any) -> Iterator[pa.RecordBatch]:
    if path.suffix.lower() in PARQUET:
        import pyarrow.parquet as pq

        yield from pq.ParquetFile(fh).iter_batches(batch_size=BATCH_ROWS)
        return
    import pyarrow.ipc as ipc

    try:
        reader: Any = ipc.open_file(fh)
        for i in range(reader.num_record_batches):
            yield reader.get_batch(i)
    except pa.ArrowInvalid:
        fh.seek(0)
        yield from ipc.open_stream(fh)


def read_columnar(path: Path, default_output: int | None) -> tuple[list[Part], str]:
    """All rows of a Parquet or Arrow query file, and its sha256."""
    fd = open_input(path, what="query file")
    with os.fdopen(fd, "rb") as fh:
        digest = hashlib.sha256()
        while block := fh.read(8 << 20):
            digest.update(block)
        fh.seek(0)
        where = _Where(path)
        parts: list[Part] = []
        mode: bool | None = None
        try:
            for batch in _batches(path, fh):
                part = _batch(batch, where, default_output, mode)
                mode = part.text_mode if part.size else mode
                parts.append(part)
                where.start += batch.num_rows
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"not a readable {path.suffix[1:]} file: {exc}", file=path) from None
    return parts, digest.hexdigest()


def _first(mask: npt.NDArray[np.bool_]) -> int | None:
    bad = np.flatnonzero(mask)
    return int(bad[0]) if len(bad) else None


def _tokens(col: pa.Array | None, name: str, n: int, default: int | None,
            where: _Where) -> npt.NDArray[np.int64]:  # fmt: skip
    if col is None or col.null_count == n:
        if default is None:
            raise where.fail(0, name, f"'{name}' is required")
        return np.full(n, default, np.int64)
    if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)):
        raise where.fail(0, name, "token count must be a whole number", str(col.type))
    nulls = col.is_null().to_numpy(zero_copy_only=False)
    if nulls.any() and default is None:
        raise where.fail(int(np.argmax(nulls)), name, f"'{name}' is required")
    x = col.to_numpy(zero_copy_only=False).astype(np.float64)
    x[nulls] = 0 if default is None else default
    row = _first((x != np.floor(x)) | ~np.isfinite(x))
    if row is not None:
        raise where.fail(row, name, "token count must be a whole number", float(x[row]))
    row = _first((x < 0) | (x > MAX_TOKENS))
    if row is not None:
        raise where.fail(row, name, f"token count must be between 0 and {MAX_TOKENS:,}",
                         int(x[row]))  # fmt: skip
    return np.asarray(x, dtype=np.int64)


def _quality(col: pa.Array, name: str, where: _Where) -> npt.NDArray[np.int32]:
    """Micro-units of one model's column, -1 where null."""
    n = len(col)
    given = ~col.is_null().to_numpy(zero_copy_only=False)
    out = np.full(n, -1, dtype=np.int32)
    t = col.type
    if pa.types.is_floating(t) or pa.types.is_integer(t):
        x = col.to_numpy(zero_copy_only=False).astype(np.float64)[given]
        with np.errstate(invalid="ignore"):
            ok = (x >= 0) & (x <= 1) & ((x == 0) | (x >= 1e-30))
        bad = _first(~ok)
        if bad is not None:
            raise where.fail(int(np.flatnonzero(given)[bad]), name,
                             "quality must be between 0 and 1", float(x[bad]))  # fmt: skip
        if pa.types.is_integer(t) and not np.isin(x, (0, 1)).all():
            raise where.fail(0, name, "quality must be between 0 and 1")
        out[given] = micro_of_floats(x)
        return out
    if pa.types.is_decimal(t) or pa.types.is_string(t) or pa.types.is_large_string(t):
        texts = pc.cast(pc.filter(col, pa.array(given)), pa.string())
        plain = pc.match_substring_regex(pc.utf8_trim_whitespace(texts), PLAIN_QUALITY)
        plain_np = plain.to_numpy(zero_copy_only=False)
        values = texts.to_pylist()
        for i in np.flatnonzero(~plain_np).tolist():
            value = values[i]
            try:
                ok = 0 <= Decimal(value.strip()) <= 1
            except ArithmeticError:
                ok = False
            if not ok:
                raise where.fail(int(np.flatnonzero(given)[i]), name,
                                 "quality must be between 0 and 1", value)  # fmt: skip
        micro = micro_of_texts([v.strip() for v in values])
        if (micro > 1_000_000).any():
            i = int(np.argmax(micro > 1_000_000))
            raise where.fail(int(np.flatnonzero(given)[i]), name,
                             "quality must be between 0 and 1", values[i])  # fmt: skip
        out[given] = micro
        return out
    raise where.fail(0, name, "quality must be a number", str(t))


def _batch(batch: pa.RecordBatch, where: _Where, default_output: int | None,
           mode: bool | None) -> Part:  # fmt: skip
    n = batch.num_rows
    names = batch.schema.names
    qcols = [(c, c[2:]) for c in names if c.startswith("q:") and len(c) > 2]
    if "quality" in names and pa.types.is_struct(batch.schema.field("quality").type):
        struct = batch.column(names.index("quality"))
        qcols_arr = [(f"quality.{f.name}", f.name, struct.field(i))
                     for i, f in enumerate(struct.type)]  # fmt: skip
    else:
        qcols_arr = [(c, m, batch.column(names.index(c))) for c, m in qcols]
    unknown = [c for c in names if c not in FIELDS and not c.startswith("q:") and c != "quality"]
    if unknown:
        raise InputError("unknown column (quality columns are named q:<model>)",
                         file=where.path, value=unknown[0])  # fmt: skip
    if "id" not in names or not qcols_arr:
        raise InputError("the file needs an 'id' column and q:<model> quality columns",
                         file=where.path)  # fmt: skip
    cols = {c: batch.column(names.index(c)) for c in FIELDS if c in names}
    ids = pc.cast(cols["id"], pa.string())
    blank = np.asarray(pc.fill_null(pc.equal(ids, ""), True).to_numpy(zero_copy_only=False),
                       dtype=np.bool_)  # fmt: skip
    row = _first(blank)
    if row is not None:
        raise where.fail(row, "id", "'id' is required")
    texts = cols.get("text")
    has_text = (np.zeros(n, np.bool_) if texts is None else
                pc.fill_null(pc.not_equal(pc.cast(texts, pa.string()), ""), False)
                .to_numpy(zero_copy_only=False))  # fmt: skip
    text_mode = bool(has_text.any()) if mode is None else mode
    row = _first(has_text != text_mode)
    if row is not None:
        raise where.fail(row, "text", "every query needs 'text', or every query 'prompt_tokens' "
                         "(not a mix)")  # fmt: skip
    prompt = None
    if text_mode:
        p = cols.get("prompt_tokens")
        if p is not None and p.null_count < n:
            row = int(np.argmax(~p.is_null().to_numpy(zero_copy_only=False)))
            raise where.fail(
                row,
                "prompt_tokens",
                "give 'text' or 'prompt_tokens', not both (one would be ignored)",
            )
    else:
        prompt = _tokens(cols.get("prompt_tokens"), "prompt_tokens", n, None, where)
    micro = [(m, _quality(a, c, where)) for c, m, a in qcols_arr]
    micro = [(m, q) for m, q in micro if (q >= 0).any()]
    matrix = (np.stack([q for _, q in micro], axis=1) if micro
              else np.full((n, 1), -1, np.int32))  # fmt: skip
    row = _first(np.asarray((matrix < 0).all(axis=1), dtype=np.bool_))
    if row is not None:
        raise where.fail(row, "quality", "a query needs a quality for at least one model")
    firsts = [int(np.argmax(q >= 0)) for _, q in micro]
    order = sorted(range(len(micro)), key=lambda k: (firsts[k], k))
    task = cols.get("task")
    return Part(
        ids=ids,
        tasks=pa.array([""] * n, pa.string())
        if task is None
        else pc.fill_null(pc.cast(task, pa.string()), ""),
        texts=pc.cast(texts, pa.string()) if text_mode and texts is not None else None,
        prompt=prompt,
        cached=_tokens(cols.get("cached_tokens"), "cached_tokens", n, 0, where),
        output=_tokens(cols.get("output_tokens"), "output_tokens", n, default_output, where),
        models=tuple(micro[k][0] for k in order),
        quality=matrix[:, order] if micro else matrix[:, :0],
        lines=np.arange(where.start + 1, where.start + n + 1, dtype=np.int64),
    )
