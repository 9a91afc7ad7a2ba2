"""Per-query input for ``costplan assign``: JSONL, CSV, Parquet or Arrow, into arrays.

Format (one query per line / row):

JSONL::

    {"id": "q1", "task": "triage", "text": "My invoice ...",
     "quality": {"gpt-4o-mini": 0.91, "claude-haiku-4-5": 1}}
    {"id": "q2", "prompt_tokens": 850, "cached_tokens": 1200, "output_tokens": 40,
     "quality": {"gpt-4o-mini": 0, "claude-haiku-4-5": 1}}

CSV: a header row with ``id``, optional ``task``, ``text`` or ``prompt_tokens``,
optional ``cached_tokens`` and ``output_tokens``, and one ``q:<model>`` column
per model (an empty cell: the model is not an option for that query).

Parquet (``.parquet``) and Arrow (``.arrow``, ``.feather``, ``.ipc``): the CSV
columns with their types (null: not an option), or a ``quality`` struct column
instead of the ``q:`` columns (:mod:`costplan.querydata.columnar`).
A directory or glob of Parquet shards is one query file: the shards in sorted
order, rows in shard order, one digest (:mod:`costplan.querydata.shards`).

* ``quality`` is the predicted quality (0..1) of each model on this query, or
  correctness 0/1 from an eval; a model missing for a query is not an option
  for it. Quality is kept in integer micro-units, rounded down. Decimal text
  (CSV cells, JSON strings, Parquet decimals and strings) is exact; binary
  floats (JSON numbers, Parquet doubles) count as the shortest decimal that
  reads back as the same double: the number written, when it has at most 15
  significant digits (:mod:`costplan.querydata.quality`).
* ``text`` is tokenised with each model's tokenizer; otherwise
  ``prompt_tokens`` is used for every model. ``output_tokens`` defaults to the
  ``--output-tokens`` option, ``cached_tokens`` to 0.
* ``id`` must be unique; ``task`` defaults to ``""``.

Reading (why pyarrow): the file is streamed in pieces of a few MB (no size cap;
memory is the arrays filled, about 8 bytes per query and model) and parsed by
pyarrow's C++ readers (``pyarrow.json``, ``pyarrow.csv``, ``pyarrow.parquet``,
``pyarrow.ipc``): one library for every format, already the engine under
DuckDB/pandas exports, typed columns handed to numpy without copies, and no
per-value Python. polars parses as fast but has no exact control over JSON
number text or located errors; orjson still needs a Python object per value.
A piece pyarrow's result cannot be vouched for (see :mod:`costplan.querydata.jsonl`)
is read by the exact per-value reader (:mod:`costplan.querydata.rows`), which
also names the line of an error. Errors name the file, the line (row for
Parquet/Arrow), the key and the offending value. Guards: no NUL bytes, valid
UTF-8, lines of at most 64 MiB, JSON nesting at most 32 deep, numbers in range.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from costplan.errors import InputError
from costplan.money import QUALITY_SCALE
from costplan.querydata.part import MAX_TOKENS, Part

__all__ = ["MAX_TOKENS", "QUALITY_SCALE", "QuerySet", "load_queries"]

SUFFIXES = (".jsonl", ".ndjson", ".csv", ".parquet", ".pq", ".arrow", ".feather", ".ipc",
            ".arrows")  # fmt: skip


@dataclass(frozen=True)
class QuerySet:
    """Queries as arrays; ``quality_micro[g, k]`` is -1 where model k is not an option."""

    path: Path
    ids: tuple[str, ...]
    tasks: tuple[str, ...]
    models: tuple[str, ...]
    quality_micro: npt.NDArray[np.int32]  # (G, K), micro-units (int32: at most 10**6)
    texts: tuple[str, ...] | None  # when given as text
    prompt_tokens: npt.NDArray[np.int64] | None  # (G,) when given as counts
    cached_tokens: npt.NDArray[np.int64]  # (G,)
    output_tokens: npt.NDArray[np.int64]  # (G,)
    sha256: str
    default_output_tokens: int | None = None  # what queries without output_tokens were given

    @property
    def size(self) -> int:
        return len(self.ids)


def _jsonl(path: Path, default_output: int | None) -> tuple[list[Part], str]:
    from costplan.querydata.chunks import Stream
    from costplan.querydata.jsonl import read_piece

    stream = Stream(path)
    parts: list[Part] = []
    mode: bool | None = None
    for piece in stream:
        part = read_piece(piece, path, default_output, mode)
        if part.size:
            mode = part.text_mode
            parts.append(part)
    return parts, stream.sha256


def _shards(path: Path, default_output: int | None) -> tuple[list[Part], str]:
    """Every shard's rows in shard order (:mod:`costplan.querydata.shards`)."""
    from costplan.querydata.columnar import read_columnar
    from costplan.querydata.shards import manifest_digest, shard_paths

    shards = shard_paths(path)
    parts: list[Part] = []
    digests: list[str] = []
    mode: bool | None = None
    for shard in shards:
        got, digest = read_columnar(shard, default_output)
        digests.append(digest)
        for part in got:
            if not part.size:
                continue
            if mode is not None and part.text_mode != mode:
                raise InputError("every shard needs 'text', or every shard 'prompt_tokens' "
                                 "(not a mix)", file=shard)  # fmt: skip
            mode = part.text_mode
            parts.append(part)
    return parts, manifest_digest(shards, digests)


def _read(path: Path, default_output: int | None) -> tuple[list[Part], str]:
    from costplan.querydata.shards import is_shard_set
    from costplan.safeio import is_stdin

    if not is_stdin(path) and is_shard_set(path):
        return _shards(path, default_output)

    suffix = ".jsonl" if is_stdin(path) else path.suffix.lower()  # stdin: JSON Lines
    if suffix in (".jsonl", ".ndjson"):
        return _jsonl(path, default_output)
    if suffix == ".csv":
        from costplan.querydata.csvfile import read_csv

        return read_csv(path, default_output)
    if suffix in SUFFIXES:
        from costplan.querydata.columnar import read_columnar

        return read_columnar(path, default_output)
    raise InputError(
        "query file must end in .jsonl, .csv, .parquet or .arrow", file=path, value=suffix
    )


def load_queries(path: Path, *, default_output_tokens: int | None = None) -> QuerySet:
    """Load a query file (see the module docstring)."""
    import pyarrow as pa

    from costplan.querydata.assemble import (
        check_unique,
        models_of,
        quality_matrix,
        repeated_strings,
        strings,
    )

    parts, sha256 = _read(path, default_output_tokens)
    parts = [p for p in parts if p.size]
    if not parts:
        raise InputError("query file has no queries", file=path)
    ids = pa.chunked_array([p.ids for p in parts], type=pa.string())
    lines = (None if any(p.lines is None for p in parts)
             else np.concatenate([p.lines for p in parts if p.lines is not None]))  # fmt: skip

    def locate() -> None:  # the exact reader names the line of the repeated id
        from costplan.querydata.csvfile import read_exact

        read_exact(path, default_output_tokens)

    check_unique(ids, lines, path, locate)
    models = models_of(parts)
    texts = None if parts[0].texts is None else strings([p.texts for p in parts if p.texts])
    prompt = (None if parts[0].prompt is None
              else np.concatenate([p.prompt for p in parts if p.prompt is not None]))  # fmt: skip
    return QuerySet(
        path=path,
        ids=strings([p.ids for p in parts]),
        tasks=repeated_strings([p.tasks for p in parts]),
        models=models,
        quality_micro=quality_matrix(parts, models),
        texts=texts,
        prompt_tokens=prompt,
        cached_tokens=np.concatenate([p.cached for p in parts]),
        output_tokens=np.concatenate([p.output for p in parts]),
        sha256=sha256 or hashlib.sha256(b"").hexdigest(),
        default_output_tokens=default_output_tokens,
    )
