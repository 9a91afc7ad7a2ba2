"""JSONL pieces parsed straight into arrays by ``pyarrow.json`` (C++, RapidJSON).

A piece takes the fast path only when pyarrow's reading provably equals the
exact reader's (:mod:`.rows`); otherwise the exact reader reads that piece
alone and names the line of its first error. The fast path requires:

* bracket nesting no deeper than :data:`MAX_DEPTH` (a cheap upper bound over
  the bytes, strings included: RapidJSON recurses and would overflow the stack
  on a hostile file), every non-empty line starting with ``{`` and one record
  per line (pyarrow's row count equals the line count), no ``null`` after a
  colon (pyarrow cannot tell an explicit null from a missing key);
* parsed types: ``id``, ``task``, ``text`` strings; token counts integers;
  ``quality`` an object of integers and floats (pyarrow refuses repeated keys
  and numbers beyond a double);
* values: ids non-empty, token counts 0..100,000,000, qualities finite in 0..1
  (0 or at least 1e-30), every query with a quality, ``text`` or
  ``prompt_tokens`` (one of them, the same one on every line).

Quality floats are counted per :mod:`.quality`; JSON numbers that are integers
must be 0 or 1.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj

from costplan.querydata.chunks import Piece
from costplan.querydata.part import FIELDS, MAX_TOKENS, Part
from costplan.querydata.quality import in_range, micro_of_floats, ordered_matrix
from costplan.querydata.rows import Rows, jsonl_rows

MAX_DEPTH = 32
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("{"), ord("[")]] = 1
_OPEN[[ord("}"), ord("]")]] = -1


def read_piece(piece: Piece, path: Path, default_output: int | None, mode: bool | None) -> Part:
    """The piece's rows: fast when it can be vouched for, else by the exact reader."""
    part = _fast(piece, default_output, mode)
    if part is not None:
        return part
    rows = Rows(path, default_output, mode)
    text = piece.data.decode("utf-8")
    jsonl_rows(enumerate(text.split("\n"), start=piece.line), rows)
    return rows.part()


def _deepest(arr: npt.NDArray[np.uint8]) -> int:
    """An upper bound on bracket nesting: the largest rise of the running depth."""
    steps = _OPEN[arr]
    moves = steps[steps != 0].astype(np.int64)
    if not len(moves):
        return 0
    depth = np.cumsum(moves)
    low = np.minimum.accumulate(np.minimum(depth, 0))
    return int((depth - low).max())


def _lines(piece: Piece) -> npt.NDArray[np.int64] | None:
    """1-based line number of each record, or None when a line may not be one record."""
    data = piece.data
    if b":null" in data or b": null" in data:
        return None
    newlines = data.count(b"\n")
    n_lines = newlines + (0 if data.endswith(b"\n") else 1)
    # A record of this format opens 2 brackets: only a piece with more needs the depth pass.
    opened = data.count(b"{") + data.count(b"[")
    if opened > 2 * n_lines and _deepest(np.frombuffer(data, dtype=np.uint8)) > MAX_DEPTH:
        return None
    if data.count(b"\n{") + data.startswith(b"{") == n_lines:  # no blank line: the usual case
        return np.arange(piece.line, piece.line + n_lines, dtype=np.int64)
    arr = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10)
    if not len(ends) or ends[-1] != len(arr) - 1:
        ends = np.append(ends, len(arr))
    starts = np.concatenate(([0], ends[:-1] + 1))
    length = ends - starts
    crlf = (length > 0) & (arr[np.maximum(ends - 1, 0)] == 13)
    empty = (length == 0) | ((length == 1) & crlf)
    starts_ok = arr[np.minimum(starts[~empty], len(arr) - 1)] == ord("{")
    if not starts_ok.all():
        return None
    return np.flatnonzero(~empty).astype(np.int64) + piece.line


def _fast(piece: Piece, default_output: int | None, mode: bool | None) -> Part | None:
    lines = _lines(piece)
    if lines is None or not len(lines):
        return None
    try:
        table = pj.read_json(
            io.BytesIO(piece.data),
            read_options=pj.ReadOptions(block_size=max(1 << 22, len(piece.data) // 2 + 1)),
        )
    except (pa.ArrowException, ValueError):
        return None
    if table.num_rows != len(lines):
        return None
    names = set(table.column_names)
    if not names <= {*FIELDS, "quality"} or "id" not in names or "quality" not in names:
        return None
    cols = {n: table.column(n).combine_chunks() for n in table.column_names}
    ids = cols["id"]
    if ids.type != pa.string() or ids.null_count or pc.any(pc.equal(ids, "")).as_py():
        return None
    # No explicit null (see _lines): a null is a missing key.
    tasks = cols.get("task", pa.array([""] * table.num_rows, type=pa.string()))
    if tasks.type != pa.string():
        return None
    tasks = tasks.fill_null("")
    texts, prompt = cols.get("text"), cols.get("prompt_tokens")
    text_mode = texts is not None
    if mode is not None and text_mode != mode:
        return None
    if text_mode:
        assert texts is not None
        if texts.type != pa.string() or texts.null_count or prompt is not None:
            return None
        if pc.any(pc.equal(texts, "")).as_py():
            return None
    prompt_arr = _tokens(cols.get("prompt_tokens"), None)
    cached = _tokens(cols.get("cached_tokens"), 0)
    output = _tokens(cols.get("output_tokens"), default_output)
    if prompt_arr is False or cached is False or output is False:
        return None
    if not text_mode and prompt_arr is None:
        return None
    if output is None and default_output is None:
        return None
    quality = _quality(cols["quality"])
    if quality is None:
        return None
    models, micro = quality
    n = table.num_rows
    return Part(
        ids=ids,
        tasks=tasks,
        texts=texts if text_mode else None,
        prompt=None if text_mode else _array(prompt_arr),
        cached=_array(cached) if cached is not None else np.zeros(n, dtype=np.int64),
        output=_array(output) if output is not None else np.full(n, default_output, np.int64),
        models=models,
        quality=micro,
        lines=lines,
    )


def _array(values: npt.NDArray[np.int64] | bool | None) -> npt.NDArray[np.int64]:
    assert isinstance(values, np.ndarray)
    return values


def _tokens(col: pa.Array | None, default: int | None) -> npt.NDArray[np.int64] | bool | None:
    """Token counts as int64 (a missing key: ``default``), None when no line has the key,
    False when the exact reader must judge."""
    if col is None:
        return None
    if col.type != pa.int64() or (col.null_count and default is None):
        return False
    if col.null_count:
        col = col.fill_null(default)
    arr = np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.int64)
    if len(arr) and (arr.min() < 0 or arr.max() > MAX_TOKENS):
        return False
    return arr


def _quality(col: pa.Array) -> tuple[tuple[str, ...], npt.NDArray[np.int32]] | None:
    """Models (in order of first appearance) and micro-units, -1 where a key is absent."""
    if not pa.types.is_struct(col.type) or col.null_count:
        return None
    n = len(col)
    models: list[str] = []
    columns: list[npt.NDArray[np.int32]] = []
    firsts: list[int] = []
    for i in range(col.type.num_fields):
        field = col.type.field(i)
        child = col.field(i)
        if child.null_count == n:
            continue
        valid = ~np.asarray(child.is_null().to_numpy(zero_copy_only=False), dtype=np.bool_)
        if pa.types.is_int64(field.type):
            raw = child.fill_null(0).to_numpy().astype(np.int64)
            if not np.isin(raw, (0, 1)).all():
                return None
            micro = (raw * 1_000_000).astype(np.int32)
        elif pa.types.is_float64(field.type):
            x = child.fill_null(0.0).to_numpy()
            if not in_range(x):
                return None
            micro = micro_of_floats(x)
        else:
            return None
        micro[~valid] = -1
        models.append(field.name)
        columns.append(micro)
        firsts.append(int(np.argmax(valid)))
    if not models:
        return None
    # First appearance of a model with a value: a missing key is no appearance.
    return ordered_matrix(models, columns, firsts)
