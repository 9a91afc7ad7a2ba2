"""The checker's own reading of ``assign`` query files and per-query rows.

Query files (README "Per-query allocation"): JSONL records ``{id, task?, text |
prompt_tokens, cached_tokens?, output_tokens?, quality: {model: 0..1}}`` or CSV
with columns ``id``, ``task``, ``text`` or ``prompt_tokens``, ``cached_tokens``,
``output_tokens`` and ``q:<model>``; an empty CSV cell or a missing model means
no option. Quality stays the exact decimal text (parsed with Decimal, never a
float). Per-query rows (what ``assign -o`` writes): ``id, task, model, mode,
cost_usd, quality`` as CSV or JSONL.

Cost of the work: JSONL is parsed in one ``json.loads`` call over the whole file
(records joined into one array), CSV by the csv module; turning records into
columns is one list comprehension per field, O(queries) at C-call speed (about
1-2 s per million queries on this machine). Nothing else loops per query in
Python: prices, fits and sums are numpy.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from costplan.errors import InputError
from costplan.verify.raw import decode, read_bytes

MICRO = Decimal(10**6)


@dataclass(frozen=True)
class Queries:
    ids: tuple[str, ...]
    tasks: tuple[str, ...]
    texts: tuple[str, ...] | None
    prompt: npt.NDArray[np.int64] | None
    cached: npt.NDArray[np.int64]
    output: npt.NDArray[np.int64]  # 0 where a query gives none (output_given False)
    output_given: npt.NDArray[np.bool_]
    quality: tuple[dict[str, str], ...]  # model -> exact decimal text, per query
    sha256: str


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


def _ints(values: list[Any], path: Path, what: str) -> npt.NDArray[np.int64]:
    try:
        return np.asarray([int(v) for v in values], dtype=np.int64)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be whole numbers", file=path) from None


def read_queries(path: Path) -> Queries:
    import hashlib

    raw = read_bytes(path, "query file")
    records = _records(path, decode(raw, path, "query file"))
    if not records:
        raise InputError("query file has no queries", file=path)
    csv_file = path.suffix.lower() == ".csv"
    if csv_file:
        cols = [c for c in records[0] if c and c.startswith("q:")]
        quality = tuple({c[2:]: str(r[c]).strip() for c in cols if str(r.get(c) or "").strip()}
                        for r in records)  # fmt: skip
    else:  # JSON numbers were kept as their text; models are JSON keys (strings)
        quality = tuple(r.get("quality") or {} for r in records)
        if not all(isinstance(q, dict) for q in quality):
            raise InputError("'quality' must be an object of model: 0..1", file=path)
    has_text = records[0].get("text") not in (None, "")
    out_raw = [r.get("output_tokens") for r in records]
    given = np.asarray([v not in (None, "") for v in out_raw], dtype=np.bool_)
    prompt = None
    if not has_text:
        prompt = _ints([r.get("prompt_tokens") for r in records], path, "prompt_tokens")
    output = _ints([v if g else 0 for v, g in zip(out_raw, given, strict=True)], path,
                   "output_tokens")  # fmt: skip
    return Queries(
        ids=tuple(str(r.get("id")) for r in records),
        tasks=tuple(str(r.get("task") or "") for r in records),
        texts=tuple(str(r.get("text")) for r in records) if has_text else None,
        prompt=prompt,
        cached=_ints([r.get("cached_tokens") or 0 for r in records], path, "cached_tokens"),
        output=output,
        output_given=given,
        quality=quality,
        sha256=hashlib.sha256(raw).hexdigest(),
    )


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
