"""The exact reader: one Python call per value, every error located.

This is the reference behaviour of a query file (the fast readers in
:mod:`.jsonl` and :mod:`.csvfile` must give the same arrays, and hand a piece
here whenever they cannot vouch for it). Numbers follow :mod:`costplan.numbers`
(read from their text as Decimals, no booleans, ``NaN`` refused), quality is
micro-units rounded down (:func:`costplan.money.quality_to_micro`), JSON keys
may not repeat, CSV columns may not repeat.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from costplan.errors import InputError
from costplan.money import quality_to_micro
from costplan.numbers import RANGE, read_number
from costplan.querydata.part import FIELDS, MAX_TOKENS, Part


class Rows:
    """Accumulates rows, validating each value where it is read.

    ``mode`` is True once queries give ``text``, False once they give
    ``prompt_tokens`` (seeded from earlier pieces of the same file).
    """

    def __init__(self, path: Path, default_output: int | None, mode: bool | None) -> None:
        self.path = path
        self.default_output = default_output
        self.mode = mode
        self.ids: list[str] = []
        self.tasks: list[str] = []
        self.texts: list[str] = []
        self.prompt: list[int] = []
        self.cached: list[int] = []
        self.output: list[int] = []
        self.lines: list[int] = []
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
            else read_number(str(value))
            if isinstance(value, str)
            else None
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
        if self.mode is not None and has_text != self.mode:
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
        self.quality.append(self.scores(line, quality))
        self.mode = has_text
        self.ids.append(qid)
        self.tasks.append(task)
        self.lines.append(line)

    def scores(self, line: int, quality: dict[str, Any]) -> dict[str, int]:
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
        return scores

    def part(self) -> Part:
        models = tuple(self.models)
        col = {m: k for k, m in enumerate(models)}
        quality = np.full((len(self.ids), len(models)), -1, dtype=np.int32)
        for g, scores in enumerate(self.quality):
            for m, q in scores.items():
                quality[g, col[m]] = q
        return Part(
            ids=pa.array(self.ids, type=pa.string()),
            tasks=pa.array(self.tasks, type=pa.string()),
            texts=pa.array(self.texts, type=pa.string()) if self.mode else None,
            prompt=None if self.mode else np.asarray(self.prompt, dtype=np.int64),
            cached=np.asarray(self.cached, dtype=np.int64),
            output=np.asarray(self.output, dtype=np.int64),
            models=models,
            quality=quality,
            lines=np.asarray(self.lines, dtype=np.int64),
        )


def _json_line(raw: str, number: int, rows: Rows) -> Any:
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


def jsonl_rows(lines: Iterable[tuple[int, str]], rows: Rows) -> None:
    """Read JSONL ``(line number, text)`` pairs into ``rows`` (blank lines skipped)."""
    known = set(FIELDS) | {"quality"}
    for number, raw in lines:
        if not raw.strip():
            continue
        obj = _json_line(raw, number, rows)
        if not isinstance(obj, dict):
            raise rows.fail(number, "each line must be a JSON object", type(obj).__name__)
        unknown = set(obj) - known
        if unknown:
            raise rows.fail(number, "unknown key", sorted(unknown)[0])
        quality = obj.get("quality")
        if not isinstance(quality, dict):
            raise rows.fail(number, "'quality' must be an object of model: 0..1", key="quality")
        rows.add(number, obj, quality)


def csv_header(header: list[str], rows: Rows) -> dict[int, str]:
    """Check a CSV header (line 1); the quality columns by position."""
    known = set(FIELDS)
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
    if "id" not in first:
        raise rows.fail(1, "the header needs an 'id' column")
    if not qcols:
        raise rows.fail(1, "the header needs at least one q:<model> quality column")
    return qcols


def csv_rows(stream: Iterable[str], rows: Rows) -> None:
    """Read a whole CSV text stream (header first) into ``rows``."""
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        raise rows.fail(1, "the CSV file is empty") from None
    except csv.Error as exc:
        raise rows.fail(1, f"malformed CSV: {exc}") from None
    qcols = csv_header(header, rows)
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
