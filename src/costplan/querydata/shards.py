"""A set of Parquet shards read as one query file (``costplan assign DIR`` or ``'DIR/*.parquet'``).

Contract: a directory stands for its ``*.parquet`` and ``*.pq`` files, a path whose last
part has glob characters (``*?[``) for the files it matches; either way the shards are taken
in sorted order of their names, and the queries are the shards' rows in that order (shard
order, then row order). The set's digest is the sha256 of its manifest, one line
``<sha256 of the shard>  <shard file name>\\n`` per shard in that order (what ``sha256sum``
prints), so a plan records one digest for the whole set.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from costplan.errors import InputError

GLOB_CHARS = frozenset("*?[")
SHARD_SUFFIXES = (".parquet", ".pq")


def is_shard_set(path: Path) -> bool:
    """Whether ``path`` names a set of shards (a directory or a glob), not one file."""
    try:
        is_dir = path.is_dir()
    except OSError:  # e.g. a name too long: the file reader reports it, located
        is_dir = False
    return is_dir or bool(GLOB_CHARS & set(path.name))


def shard_paths(path: Path) -> list[Path]:
    """The shards of a directory or glob, sorted by name; InputError when there are none."""
    if path.is_dir():
        found = [p for p in path.iterdir() if p.suffix.lower() in SHARD_SUFFIXES and p.is_file()]
    else:
        found = [p for p in path.parent.glob(path.name) if p.is_file()]
    found.sort(key=lambda p: p.name)
    if not found:
        raise InputError("no Parquet shards (*.parquet, *.pq) found", file=path)
    bad = [p for p in found if p.suffix.lower() not in SHARD_SUFFIXES]
    if bad:
        raise InputError("a shard set holds Parquet files only", file=bad[0])
    return found


def manifest_digest(shards: Sequence[Path], digests: Sequence[str]) -> str:
    """sha256 of the manifest (see the module docstring)."""
    text = "".join(f"{d}  {p.name}\n" for p, d in zip(shards, digests, strict=True))
    return hashlib.sha256(text.encode()).hexdigest()
