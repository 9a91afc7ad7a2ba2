"""CSV query files parsed by ``pyarrow.csv`` (C++, multi-threaded), streamed.

The header is checked by the exact reader (:mod:`.rows`, line 1). The rows are
read by pyarrow in blocks, every cell as a string, and converted with vectorised
checks; a file with anything the checks cannot vouch for (a blank id, a token
count that is not plain digits, a quality that is not a plain decimal from 0 to
1, a field over Python's csv limit of 131,072 characters, a row pyarrow refuses,
a repeated id) is read again by the exact reader, which names the line of the
first error (CSV rows may span lines, so lines are only known to it). Quality
cells are decimal text, hence exact (:mod:`.quality`).
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from costplan.errors import InputError
from costplan.querydata.chunks import Stream
from costplan.querydata.part import MAX_TOKENS, Part
from costplan.querydata.quality import (
    PLAIN_QUALITY,
    SHORT_TEXT,
    micro_of_floats,
    micro_of_texts,
    ordered_matrix,
)
from costplan.querydata.rows import Rows, csv_header, csv_rows

_FIELD_LIMIT = 131_072  # csv.field_size_limit()'s default: the exact reader refuses longer
_DIGITS = r"^[0-9]{1,9}$"


class _Unsure(Exception):
    """The fast path cannot vouch for this file: the exact reader decides."""


class _PieceFile(io.RawIOBase):
    """A file object over a :class:`Stream`'s pieces (for pyarrow)."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._buf = b""

    def readable(self) -> bool:
        return True

    def readinto(self, b: memoryview) -> int:  # type: ignore[override]
        while not self._buf:
            nxt = next(self._pieces, None)
            if nxt is None:
                return 0
            self._buf = nxt
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def read_csv(path: Path, default_output: int | None) -> tuple[list[Part], str]:
    """All rows of a CSV query file, and its sha256."""
    try:
        return _fast(path, default_output)
    except _Unsure:
        return read_exact(path, default_output)


def read_exact(path: Path, default_output: int | None) -> tuple[list[Part], str]:
    """The whole file by the exact reader (raises its located error, if any)."""
    stream = Stream(path)
    rows = Rows(path, default_output, None)
    lines = itertools.chain.from_iterable(
        io.StringIO(p.data.decode("utf-8"), newline="\n") for p in stream
    )
    csv_rows(lines, rows)
    return [rows.part()], stream.sha256


def _header(first: bytes, path: Path) -> list[str]:
    rows = Rows(path, None, None)
    try:
        header = next(csv.reader(io.StringIO(first.decode("utf-8"), newline="\n")))
    except (StopIteration, csv.Error):
        raise _Unsure from None
    csv_header(header, rows)
    return header


def _fast(path: Path, default_output: int | None) -> tuple[list[Part], str]:
    stream = Stream(path)
    pieces = (p.data for p in stream)
    first = next(pieces, b"")
    if not first.strip():
        raise _Unsure
    header = _header(first, path)
    parts: list[Part] = []
    mode: bool | None = None
    try:
        reader = pcsv.open_csv(
            pa.PythonFile(_PieceFile(itertools.chain([first], pieces)), mode="r"),
            read_options=pcsv.ReadOptions(block_size=16 << 20),
            parse_options=pcsv.ParseOptions(newlines_in_values=True),
            convert_options=pcsv.ConvertOptions(column_types={h: pa.string() for h in header}),
        )
        if reader.schema.names != header:
            raise _Unsure
        for batch in reader:
            part = _batch(batch, header, default_output, mode)
            if part.size:
                mode = part.text_mode
                parts.append(part)
    except (pa.ArrowException, InputError):
        raise _Unsure from None
    return parts, stream.sha256


def _ints(col: pa.Array | None, default: int | None, n: int) -> npt.NDArray[np.int64]:
    """Token counts: plain digits; empty cells (or no column) the default, if any."""
    if col is None:
        if default is None:
            raise _Unsure
        return np.full(n, default, np.int64)
    empty = pc.equal(col, "")
    if pc.any(empty).as_py():
        if default is None:
            raise _Unsure
        col = pc.if_else(empty, str(default), col)
    if n and not pc.all(pc.match_substring_regex(col, _DIGITS)).as_py():
        raise _Unsure
    arr = np.asarray(pc.cast(col, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
    if n and arr.max() > MAX_TOKENS:
        raise _Unsure
    return arr


def _batch(
    batch: pa.RecordBatch, header: list[str], default_output: int | None, mode: bool | None
) -> Part:
    n = batch.num_rows
    cols = {
        h.strip(): batch.column(i) for i, h in enumerate(header) if not h.strip().startswith("q:")
    }
    for i in range(batch.num_columns):
        longest = pc.max(pc.utf8_length(batch.column(i))).as_py()
        if longest is not None and longest > _FIELD_LIMIT:
            raise _Unsure
    ids = cols["id"]
    if pc.any(pc.equal(ids, "")).as_py():
        raise _Unsure
    texts = cols.get("text")
    has_text = None if texts is None else pc.not_equal(texts, "")
    prompt_col = cols.get("prompt_tokens")
    text_mode = has_text is not None and bool(pc.any(has_text).as_py())
    if text_mode:
        assert has_text is not None
        if not pc.all(has_text).as_py() or (mode is not None and not mode):
            raise _Unsure
        if prompt_col is not None and pc.any(pc.not_equal(prompt_col, "")).as_py():
            raise _Unsure
    elif mode or prompt_col is None:
        raise _Unsure
    prompt = None if text_mode else _ints(prompt_col, None, n)
    cached = _ints(cols.get("cached_tokens"), 0, n)
    output = _ints(cols.get("output_tokens"), default_output, n)
    models, micro = _quality(batch, header)
    return Part(
        ids=ids,
        tasks=cols["task"] if "task" in cols else pa.array([""] * n, type=pa.string()),
        texts=texts if text_mode else None,
        prompt=prompt,
        cached=cached,
        output=output,
        models=models,
        quality=micro,
        lines=None,
    )


def _quality(
    batch: pa.RecordBatch, header: list[str]
) -> tuple[tuple[str, ...], npt.NDArray[np.int32]]:
    """Exact micro-units of every ``q:`` cell; the models with a value in this batch."""
    models: list[str] = []
    columns: list[npt.NDArray[np.int32]] = []
    firsts: list[int] = []
    for i, h in enumerate(header):
        name = h.strip()
        if not name.startswith("q:"):
            continue
        col = batch.column(i)
        given = pc.not_equal(col, "")
        if not pc.any(given).as_py():
            continue
        cells = pc.filter(col, given)
        if not pc.all(pc.match_substring_regex(cells, PLAIN_QUALITY)).as_py():
            raise _Unsure
        long = pc.greater(pc.utf8_length(cells), SHORT_TEXT)
        x = pc.cast(pc.if_else(long, "0", cells), pa.float64()).to_numpy(zero_copy_only=False)
        if x.max() > 1:
            raise _Unsure
        micro = micro_of_floats(x)
        if pc.any(long).as_py():
            where = np.flatnonzero(long.to_numpy(zero_copy_only=False))
            texts = pc.filter(cells, long).to_pylist()
            exact = micro_of_texts(texts)
            if (exact > 1_000_000).any():
                raise _Unsure
            micro[where] = exact
        full = np.full(batch.num_rows, -1, dtype=np.int32)
        full[given.to_numpy(zero_copy_only=False)] = micro
        models.append(name[2:])
        columns.append(full)
        firsts.append(int(np.argmax(full >= 0)))
    if not columns:
        raise _Unsure
    ordered = ordered_matrix(models, columns, firsts)
    if ordered is None:
        raise _Unsure
    return ordered
