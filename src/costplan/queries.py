"""Per-query input for ``costplan assign``: JSONL or CSV, loaded into arrays.

Format (one query per line / row):

JSONL::

    {"id": "q1", "task": "triage", "text": "My invoice ...",
     "quality": {"gpt-4o-mini": 0.91, "claude-haiku-4-5": 1}}
    {"id": "q2", "prompt_tokens": 850, "cached_tokens": 1200, "output_tokens": 40,
     "quality": {"gpt-4o-mini": 0, "claude-haiku-4-5": 1}}

CSV: a header row with ``id``, optional ``task``, ``text`` or ``prompt_tokens``,
optional ``cached_tokens`` and ``output_tokens``, and one ``q:<model>`` column
per model (an empty cell: the model is not an option for that query).

* ``quality`` is the predicted quality (0..1) of each model on this query, or
  correctness 0/1 from an eval; a model missing for a query is not an option
  for it. Quality is kept in integer micro-units (rounded half-even).
* ``text`` is tokenised with each model's tokenizer; otherwise
  ``prompt_tokens`` is used for every model. ``output_tokens`` defaults to the
  ``--output-tokens`` option, ``cached_tokens`` to 0.
* ``id`` must be unique; ``task`` defaults to ``""``.

Errors name the file, the line and the offending value.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from costplan.errors import InputError
from costplan.money import QUALITY_SCALE, quality_to_micro
from costplan.numbers import RANGE, read_number
from costplan.yamlsource import read_bytes

__all__ = ["QUALITY_SCALE", "QuerySet", "load_queries"]

MAX_TOKENS = 100_000_000


@dataclass(frozen=True)
class QuerySet:
    """Queries as arrays; ``quality_micro[g, k]`` is -1 where model k is not an option."""

    path: Path
    ids: tuple[str, ...]
    tasks: tuple[str, ...]
    models: tuple[str, ...]
    quality_micro: npt.NDArray[np.int64]  # (G, K)
    texts: tuple[str, ...] | None  # when given as text
    prompt_tokens: npt.NDArray[np.int64] | None  # (G,) when given as counts
    cached_tokens: npt.NDArray[np.int64]  # (G,)
    output_tokens: npt.NDArray[np.int64]  # (G,)
    sha256: str
    default_output_tokens: int | None = None  # what queries without output_tokens were given

    @property
    def size(self) -> int:
        return len(self.ids)


class _Rows:
    """Accumulates rows, validating each value where it is read."""

    def __init__(self, path: Path, default_output: int | None) -> None:
        self.path = path
        self.default_output = default_output
        self.ids: list[str] = []
        self.tasks: list[str] = []
        self.texts: list[str] = []
        self.prompt: list[int] = []
        self.cached: list[int] = []
        self.output: list[int] = []
        self.quality: list[dict[str, int]] = []
        self.models: dict[str, None] = {}
        self.seen: dict[str, int] = {}

    def fail(
        self, line: int, message: str, value: Any = None, key: str | None = None
    ) -> InputError:
        kwargs: dict[str, Any] = {} if value is None else {"value": value}
        return InputError(message, file=self.path, line=line, key=key, **kwargs)

    def tokens(self, line: int, key: str, value: Any, default: int | None) -> int:
        if value is None or value == "":
            if default is None:
                raise self.fail(line, f"'{key}' is required", key=key)
            return default
        # The numbers rule (costplan.numbers): no booleans, whole by value (1e3 = 1000).
        parsed = (
            value
            if isinstance(value, int | Decimal) and not isinstance(value, bool)
            else read_number(str(value)) if isinstance(value, str) else None
        )
        if not isinstance(parsed, int | Decimal) or parsed != int(parsed):
            raise self.fail(line, "token count must be a whole number", value, key)
        number = int(parsed)
        if not 0 <= number <= MAX_TOKENS:
            raise self.fail(line, f"token count must be between 0 and {MAX_TOKENS:,}", value, key)
        return number

    def add(self, line: int, row: dict[str, Any], quality: dict[str, Any]) -> None:
        qid = row.get("id")
        if qid is None or qid == "":
            raise self.fail(line, "'id' is required", key="id")
        qid = str(qid)
        if qid in self.seen:
            raise self.fail(line, f"duplicate id (first on line {self.seen[qid]})", qid, "id")
        self.seen[qid] = line
        task = row.get("task") or ""
        if not isinstance(task, str):
            raise self.fail(line, "'task' must be a string", task, "task")
        text = row.get("text")
        has_text = text not in (None, "")
        if has_text and row.get("prompt_tokens") not in (None, ""):
            raise self.fail(
                line,
                "give 'text' or 'prompt_tokens', not both (one would be ignored)",
                key="prompt_tokens",
            )
        if has_text and not isinstance(text, str):
            raise self.fail(line, "'text' must be a string", text, "text")
        if self.ids and has_text != bool(self.texts):
            raise self.fail(
                line, "every query needs 'text', or every query 'prompt_tokens' (not a mix)"
            )
        if has_text:
            assert isinstance(text, str)
            self.texts.append(text)
        else:
            self.prompt.append(self.tokens(line, "prompt_tokens", row.get("prompt_tokens"), None))
        self.cached.append(self.tokens(line, "cached_tokens", row.get("cached_tokens"), 0))
        self.output.append(
            self.tokens(line, "output_tokens", row.get("output_tokens"), self.default_output)
        )
        scores: dict[str, int] = {}
        for model, value in quality.items():
            if value is None or value == "":
                continue
            try:
                if isinstance(value, bool):
                    raise InvalidOperation
                q = Decimal(str(value).strip())
            except InvalidOperation:
                raise self.fail(
                    line, "quality must be a number", value, f"quality.{model}"
                ) from None
            if not q.is_finite() or not 0 <= q <= 1:
                raise self.fail(line, "quality must be between 0 and 1", value, f"quality.{model}")
            scores[model] = quality_to_micro(q)
            self.models.setdefault(model, None)
        if not scores:
            raise self.fail(line, "a query needs a quality for at least one model", key="quality")
        self.ids.append(qid)
        self.tasks.append(task)
        self.quality.append(scores)


def _json_line(raw: str, number: int, rows: _Rows) -> Any:
    """One JSONL line: duplicate keys refused, numbers exact and bounded, no NaN."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                raise rows.fail(number, "duplicate key (JSON would keep the last)", k)
            out[k] = v
        return out

    def num(text: str) -> Decimal:
        value = read_number(text)
        if isinstance(value, str):
            raise rows.fail(number, f"{value}; {RANGE}", text)
        return value

    def constant(text: str) -> Any:
        raise rows.fail(number, "NaN and Infinity are not numbers", text)

    try:
        return json.loads(
            raw, object_pairs_hook=pairs, parse_float=num, parse_int=num, parse_constant=constant
        )
    except json.JSONDecodeError as exc:
        raise rows.fail(number, f"not valid JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise rows.fail(number, "the JSON is nested too deeply") from None


def _jsonl_rows(text: str, rows: _Rows) -> None:
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        obj = _json_line(raw, number, rows)
        if not isinstance(obj, dict):
            raise rows.fail(number, "each line must be a JSON object", type(obj).__name__)
        unknown = set(obj) - {"id", "task", "text", "prompt_tokens", "cached_tokens",
                              "output_tokens", "quality"}  # fmt: skip
        if unknown:
            raise rows.fail(number, "unknown key", sorted(unknown)[0])
        quality = obj.get("quality")
        if not isinstance(quality, dict):
            raise rows.fail(number, "'quality' must be an object of model: 0..1", key="quality")
        rows.add(number, obj, quality)


def _csv_rows(text: str, rows: _Rows) -> None:
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
    except StopIteration:
        raise rows.fail(1, "the CSV file is empty") from None
    except csv.Error as exc:
        raise rows.fail(1, f"malformed CSV: {exc}") from None
    known = {"id", "task", "text", "prompt_tokens", "cached_tokens", "output_tokens"}
    qcols = {}
    first: dict[str, int] = {}
    for i, name in enumerate(header):
        name = name.strip()
        if name in first:
            raise rows.fail(
                1,
                f"duplicate column (columns {first[name] + 1} and {i + 1}; one would be ignored)",
                name,
            )
        first[name] = i
        if name.startswith("q:") and len(name) > 2:
            qcols[i] = name[2:]
        elif name not in known:
            raise rows.fail(1, "unknown column (quality columns are named q:<model>)", name)
    if "id" not in [h.strip() for h in header]:
        raise rows.fail(1, "the header needs an 'id' column")
    if not qcols:
        raise rows.fail(1, "the header needs at least one q:<model> quality column")
    names = [h.strip() for h in header]
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(names):
                raise rows.fail(line, f"expected {len(names)} columns, found {len(values)}")
            row = {n: v for n, v in zip(names, values, strict=True) if not n.startswith("q:")}
            quality = {qcols[i]: values[i] for i in qcols}
            rows.add(line, row, quality)
    except csv.Error as exc:
        raise rows.fail(reader.line_num, f"malformed CSV: {exc}") from None


def load_queries(path: Path, *, default_output_tokens: int | None = None) -> QuerySet:
    """Load a ``.jsonl`` or ``.csv`` query file (see the module docstring)."""
    import hashlib

    raw = read_bytes(path, what="query file")
    if b"\x00" in raw:
        raise InputError("query file is binary (contains NUL bytes)", file=path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"query file is not valid UTF-8 (byte offset {exc.start})", file=path
        ) from None
    rows = _Rows(path, default_output_tokens)
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        _jsonl_rows(text, rows)
    elif suffix == ".csv":
        _csv_rows(text, rows)
    else:
        raise InputError("query file must end in .jsonl or .csv", file=path, value=suffix)
    if not rows.ids:
        raise InputError("query file has no queries", file=path)
    models = tuple(rows.models)
    col = {m: k for k, m in enumerate(models)}
    quality = np.full((len(rows.ids), len(models)), -1, dtype=np.int64)
    for g, scores in enumerate(rows.quality):
        for m, q in scores.items():
            quality[g, col[m]] = q
    return QuerySet(
        path=path,
        ids=tuple(rows.ids),
        tasks=tuple(rows.tasks),
        models=models,
        quality_micro=quality,
        texts=tuple(rows.texts) if rows.texts else None,
        prompt_tokens=np.asarray(rows.prompt, dtype=np.int64) if rows.prompt else None,
        cached_tokens=np.asarray(rows.cached, dtype=np.int64),
        output_tokens=np.asarray(rows.output, dtype=np.int64),
        sha256=hashlib.sha256(raw).hexdigest(),
        default_output_tokens=default_output_tokens,
    )
