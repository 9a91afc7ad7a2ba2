"""Pieces joined into one query set: columns aligned by model, ids unique."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from costplan.errors import InputError
from costplan.querydata.part import Part


def models_of(parts: Sequence[Part]) -> tuple[str, ...]:
    """Every model, in order of first appearance across the pieces."""
    seen: dict[str, None] = {}
    for p in parts:
        for m in p.models:
            seen.setdefault(m, None)
    return tuple(seen)


def quality_matrix(parts: list[Part], models: tuple[str, ...]) -> npt.NDArray[np.int32]:
    """The (queries, models) int32 matrix of micro-units (at most 10**6), -1 where absent;
    frees each piece's matrix."""
    col = {m: k for k, m in enumerate(models)}
    total = sum(p.size for p in parts)
    out = np.full((total, len(models)), -1, dtype=np.int32)
    start = 0
    for i, p in enumerate(parts):
        idx = [col[m] for m in p.models]
        out[start : start + p.size, idx] = p.quality
        start += p.size
        parts[i] = Part(p.ids, p.tasks, p.texts, p.prompt, p.cached, p.output, (),
                        np.zeros((p.size, 0), dtype=np.int32), p.lines)  # fmt: skip
    return out


def check_unique(
    ids: pa.ChunkedArray, lines: npt.NDArray[np.int64] | None, path: Path,
    locate: Callable[[], None],
) -> None:  # fmt: skip
    """Refuse a repeated id: at its line when known, else by ``locate`` (the exact reader)."""
    if len(ids) == 0 or pc.count_distinct(ids).as_py() == len(ids):
        return
    if lines is None:
        locate()
        raise InputError("duplicate id", file=path, key="id")
    first: dict[str, int] = {}
    for g, qid in enumerate(ids.to_pylist()):
        if qid in first:
            line = int(lines[g])
            raise InputError(
                f"duplicate id (first on line {int(lines[first[qid]])})",
                file=path, line=line, key="id", value=qid,
            )  # fmt: skip
        first[qid] = g
    raise InputError("duplicate id", file=path, key="id")  # pragma: no cover (count said so)


def strings(chunks: Sequence[pa.Array]) -> tuple[str, ...]:
    """A string column as a tuple of Python strings."""
    return tuple(pa.chunked_array(chunks, type=pa.string()).to_pylist())


def repeated_strings(chunks: Sequence[pa.Array]) -> tuple[str, ...]:
    """A column of few distinct values (tasks) as a tuple sharing one object per value."""
    col = pa.chunked_array(chunks, type=pa.string()).combine_chunks()
    if len(col) == 0:
        return ()
    enc = pc.dictionary_encode(col)
    values = np.asarray(enc.dictionary.to_pylist(), dtype=object)
    return tuple(values[enc.indices.to_numpy(zero_copy_only=False)].tolist())
