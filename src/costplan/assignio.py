"""The per-query output of ``costplan assign`` (``-o``), built by pyarrow and streamed.

One row per query: ``id, task, model, mode, cost_usd, quality``, as CSV (header
first, quoted only where needed, like Python's csv module) or JSONL (one
``json.dumps`` object per line, ASCII). ``cost_usd`` is the exact decimal of the
query's pico-dollars, ``quality`` of its micro-units, trailing zeros removed.

Rows are formatted in batches by vectorised string kernels and written as they
are made (:func:`costplan.safeio.write_output` takes the pieces), so memory is
one batch. A batch with a value that needs quoting or escaping (a comma, quote,
newline, backslash, control or non-ASCII character) is formatted by Python's
csv/json modules instead, so the bytes are the same either way.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from costplan.errors import InputError
from costplan.money import PUSD_PER_USD, QUALITY_SCALE

BATCH = 1 << 16
_CSV_SPECIAL = r'[,"\r\n]'
_JSON_SPECIAL = r'[^\x20-\x7e]|["\\]'


def _decimal(values: npt.NDArray[np.int64], scale: int, digits: int) -> object:
    """Exact decimal strings of ``values / scale`` (non-negative), trailing zeros removed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    whole = pa.array(values // scale).cast(pa.string())
    frac = pc.utf8_rtrim(pc.utf8_lpad(pa.array(values % scale).cast(pa.string()), digits, "0"),
                         characters="0")  # fmt: skip
    dotted = pc.binary_join_element_wise(whole, frac, ".")
    return pc.if_else(pc.equal(frac, ""), whole, dotted)


def _joined(parts: Sequence[object]) -> bytes:
    """The concatenation of row strings (each ending in a newline) as bytes."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pc.binary_join_element_wise(*parts, "")
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)
    offsets = offsets[arr.offset : arr.offset + len(arr) + 1]
    data: bytes = arr.buffers()[2].to_pybytes()
    return data[int(offsets[0]) : int(offsets[-1])]


def _python_rows(rows: list[list[str]], csv_file: bool) -> bytes:
    names = ["id", "task", "model", "mode", "cost_usd", "quality"]
    if csv_file:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        return buf.getvalue().encode()
    return "".join(json.dumps(dict(zip(names, r, strict=True))) + "\n" for r in rows).encode()


def rows_bytes(
    ids: Sequence[str], tasks: Sequence[str], labels: Sequence[tuple[str, str]],
    choice: npt.NDArray[np.int64], cost_pusd: npt.NDArray[np.int64],
    quality_micro: npt.NDArray[np.int64], csv_file: bool,
) -> Iterator[bytes]:  # fmt: skip
    """The output's bytes, one batch at a time (header first for CSV)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    special = _CSV_SPECIAL if csv_file else _JSON_SPECIAL
    if csv_file:
        yield b"id,task,model,mode,cost_usd,quality\n"
    models = pa.array([m for m, _ in labels], pa.string())
    modes = pa.array([m for _, m in labels], pa.string())
    for start in range(0, len(ids), BATCH):
        stop = min(start + BATCH, len(ids))
        k = pa.array(choice[start:stop])
        cols = [pa.array(ids[start:stop], pa.string()), pa.array(tasks[start:stop], pa.string()),
                models.take(k), modes.take(k),
                _decimal(cost_pusd[start:stop], PUSD_PER_USD, 12),
                _decimal(quality_micro[start:stop], QUALITY_SCALE, 6)]  # fmt: skip
        plain = not any(pc.any(pc.match_substring_regex(c, special)).as_py() for c in cols[:4])
        if not plain:
            values = [c.to_pylist() for c in cols]
            yield _python_rows([list(r) for r in zip(*values, strict=True)], csv_file)
            continue
        if csv_file:
            yield _joined([cols[0], ",", cols[1], ",", cols[2], ",", cols[3], ",", cols[4], ",",
                           cols[5], "\n"])  # fmt: skip
        else:
            yield _joined(['{"id": "', cols[0], '", "task": "', cols[1], '", "model": "', cols[2],
                           '", "mode": "', cols[3], '", "cost_usd": "', cols[4],
                           '", "quality": "', cols[5], '"}\n'])  # fmt: skip


def write_rows(path: Path, stdout: bool, **columns: object) -> None:
    """Write the per-query rows to ``path`` (``.csv`` or ``.jsonl``; CSV on stdout)."""
    from costplan.safeio import write_output

    suffix = ".csv" if stdout else path.suffix.lower()
    if suffix not in (".csv", ".jsonl"):
        raise InputError("per-query output must end in .csv or .jsonl", file=path, value=suffix)
    write_output(path, rows_bytes(csv_file=suffix == ".csv", **columns))  # type: ignore[arg-type]
