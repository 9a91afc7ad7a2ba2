"""Validation at the boundary: pydantic schemas -> located, readable errors.

Schemas (``*/schema.py``) are pydantic models with ``extra="forbid"``; this
module runs them over a :class:`SourceDocument` and turns the first error into
an :class:`InputError` naming file, line, key path and value, with a
did-you-mean suggestion for misspelt keys.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

import pydantic

from costplan.errors import InputError
from costplan.numbers import coerce_number
from costplan.yamlsource import SourceDocument

M = TypeVar("M", bound=pydantic.BaseModel)


def _whole(value: Any) -> Any:
    return coerce_number(value, whole=True)


def _decimal(value: Any) -> Any:
    return coerce_number(value, whole=False)


#: In a schema, ``Annotated[int, Field(...), WholeNumber]`` (after the Field, so that the
#: JSON Schema keeps its bounds): the numbers rule of :mod:`costplan.numbers` (no
#: booleans; ``2e6`` is a whole number, ``2.5`` is not).
WholeNumber = pydantic.BeforeValidator(_whole)
#: ``Annotated[Decimal, Field(...), DecimalNumber]``: no booleans.
DecimalNumber = pydantic.BeforeValidator(_decimal)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint like ``did you mean 'volume'?`` or None; a choice that differs only in
    case (``SMALL`` for ``small``) first."""
    options = [str(c) for c in choices]
    same = [c for c in options if c.casefold() == str(word).casefold()]
    if same:
        return f"did you mean {same[0]!r}?"
    match = difflib.get_close_matches(str(word), options, n=1, cutoff=0.6)
    return f"did you mean {match[0]!r}?" if match else None


_SCALAR_TAGS = ("str", "int", "float", "bool", "decimal", "date", "datetime", "none")


def _unwrap(tp: Any) -> Any:
    """Strip ``Annotated`` and a lone ``| None`` (pydantic adds no tag for those)."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
            continue
        arms = _arms(tp)
        if len(arms) == 1:
            tp = arms[0]
            continue
        return tp


def _arms(tp: Any) -> list[Any]:
    """The non-None members of a union type, or [] if ``tp`` is not a union."""
    if get_origin(tp) in (Union, UnionType):
        return [a for a in get_args(tp) if a is not type(None)]
    return []


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, pydantic.BaseModel)


def _arm_for_tag(arms: list[Any], tag: str) -> Any:
    """The union member that pydantic's location tag ``tag`` names (None if unsure)."""
    for arm in arms:
        base = _unwrap(arm)
        if _is_model(base) and (tag == base.__name__ or f"{base.__name__}]" in tag):
            return arm
    for arm in arms:
        origin = get_origin(_unwrap(arm))
        if origin is not None and tag.startswith(getattr(origin, "__name__", "?")):
            return arm
    for arm in arms:
        base = _unwrap(arm)
        name = getattr(base, "__name__", "").lower()
        if name and not _is_model(base) and tag.removeprefix("constrained-") == name:
            return arm
    return None


def _looks_like_tag(part: Any) -> bool:
    return isinstance(part, str) and (
        part.startswith(("function-", "constrained-"))
        or part in _SCALAR_TAGS
        or ("[" in part and part.endswith("]"))
    )


@dataclass(frozen=True)
class _Where:
    """A pydantic error location read against the schema."""

    loc: tuple[str | int, ...]  # the key path in the document (union tags dropped)
    owner: type[pydantic.BaseModel] | None  # the model whose field the last key is
    union_arm: bool  # the error is about one member of a union
    dict_key: bool  # the error is about a mapping key itself, not its value


def _locate(model: type[pydantic.BaseModel], loc: tuple[Any, ...]) -> _Where:
    """Walk ``loc`` through the schema: keep keys and indices, drop union tags.

    Mapping keys are kept whatever they look like (a model called ``Big`` or a
    task called ``str``): only a position where the schema has a union holds a tag.
    """
    tp: Any = model
    out: list[str | int] = []
    owner: type[pydantic.BaseModel] | None = None
    union_arm = dict_key = False
    for part in loc:
        tp = _unwrap(tp) if tp is not None else None
        arms = _arms(tp) if tp is not None else []
        if arms:
            union_arm = True
            tp = _arm_for_tag(arms, str(part))
            continue
        if part == "[key]":
            dict_key = True
            continue
        if _is_model(tp):
            owner = tp
            out.append(part)
            field = tp.model_fields.get(str(part))
            if field is None:
                field = next((f for f in tp.model_fields.values() if f.alias == part), None)
            tp = field.annotation if field is not None else None
            continue
        owner = None
        origin = get_origin(tp)
        if origin in (dict, Mapping):
            out.append(part)
            tp = get_args(tp)[1]
        elif origin in (list, tuple, Sequence):
            out.append(part)
            tp = get_args(tp)[0]
        elif tp is None and _looks_like_tag(part):
            continue  # unknown context: drop what can only be a tag
        else:
            out.append(part)
            tp = None
    return _Where(tuple(out), owner, union_arm, dict_key)


def _rank(err: Any, where: _Where) -> tuple[int, int]:
    """Which error to report: a misspelt key first, then a real problem over a
    "wrong type for this union member" one, the deepest member that matched."""
    if err["type"] == "extra_forbidden":
        return (0, 0)
    arm_mismatch = where.union_arm and (
        str(err["type"]).endswith(("_type", "_parsing")) or err["type"] == "missing"
    )
    return (2 if arm_mismatch else 1, -len(where.loc))


def kind_of(data: Any) -> str | None:
    """Which costplan file ``data`` looks like, by its top-level keys, or None.

    A plan has ``format`` and ``totals``; a price sheet ``models`` and no
    ``tasks``; a workload ``tasks`` and ``quality``.
    """
    if not isinstance(data, dict):
        return None
    if "format" in data and "totals" in data:
        return "plan file"
    if "models" in data and "tasks" not in data:
        return "price sheet"
    if "tasks" in data and "quality" in data:
        return "workload"
    if "sample_spec" in data or any(
        isinstance(v, dict) and "litellm_provider" in v for v in list(data.values())[:50]
    ):
        return "LiteLLM price catalog"
    return None


def query_file_kind(text: str) -> str | None:
    """``"query file"`` when ``text`` starts like a query file (a JSON Lines object
    per line, or a CSV header with ``id`` and ``prompt_tokens``/``text``/``q:``
    columns), else None: for the "this looks like" messages of YAML readers."""
    first = next((line.strip() for line in text.splitlines()[:20] if line.strip()), "")
    if first.startswith("{") and first.endswith("}"):
        import json

        try:
            obj = json.loads(first)
        except ValueError:
            return None
        keys = {"id", "quality", "prompt_tokens", "text", "output_tokens"}
        return "query file" if isinstance(obj, dict) and keys & set(obj) else None
    columns = {c.strip() for c in first.split(",")}
    if "id" in columns and (
        {"prompt_tokens", "text"} & columns or any(c.startswith("q:") for c in columns)
    ):
        return "query file"
    return None


_WHERE = {
    "workload": "the workload is the first argument of optimize, estimate and frontier",
    "price sheet": "price sheets go in 'prices:' or --prices",
    "plan file": "plan files are what optimize -o writes; report, export and check read them",
    "LiteLLM price catalog": "make a price sheet of it with: costplan prices import FILE "
    "--from litellm -o prices.yaml",
    "query file": "query files are the first argument of assign",
}


def looks_like_error(kind: str, what: str, path: Path | str) -> InputError:
    """The "this looks like a {kind}, not a {what}" refusal (line 1 of ``path``)."""
    return InputError(
        f"this looks like a {kind}, not a {what}",
        file=str(path),
        line=1,
        hint=_WHERE.get(kind.removesuffix(" (YAML)")),
    )


def validate(model: type[M], doc: SourceDocument, *, what: str) -> M:
    """Validate ``doc.data`` against ``model``; raise a located InputError.

    ``what`` ("workload", "price sheet", "plan file") names the document; a
    document that looks like another kind (:func:`kind_of`) is refused as such,
    not as a list of unknown keys.
    """
    if isinstance(doc.data, str) and what in _WHERE and query_file_kind(doc.data):
        raise looks_like_error("query file", what, doc.path)
    if not isinstance(doc.data, dict):
        raise InputError(
            f"{what} must be a mapping of keys to values",
            file=doc.path,
            line=1,
            value=type(doc.data).__name__ if doc.data is not None else "empty document",
        )
    kind = kind_of(doc.data)
    if kind is not None and kind != what and what in _WHERE:
        raise looks_like_error(kind, what, doc.path)
    try:
        return model.model_validate(doc.data)
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_url=False)
        located = [(e, _locate(model, tuple(e["loc"]))) for e in errors]
        err, where = min(located, key=lambda pair: _rank(*pair))
        loc = where.loc
        # Other problems, not counting other union members' "wrong type" complaints.
        more = len({w.loc for e, w in located if _rank(e, w)[0] < 2} - {loc})
        hint = None
        value: Any = None
        if err["type"] == "extra_forbidden":
            if where.owner is not None and loc:
                hint = did_you_mean(str(loc[-1]), where.owner.model_fields)
            message = "unknown key"
            value = loc[-1] if loc else None
        elif where.dict_key and err["type"] == "string_type":
            message = "keys here must be text"
            value = err.get("input")
            hint = "quote the key, e.g. '1': ..."
        elif where.dict_key:
            message = err["msg"].removeprefix("Value error, ")
            value = err.get("input")
        elif err["type"] == "missing":
            message = "required key is missing"
        else:
            message = err["msg"]
            if message.startswith("Value error, "):
                message = message[len("Value error, ") :]
            value = err.get("input")
            if isinstance(value, dict | list):
                value = None
        if more and err["type"] != "extra_forbidden":
            tail = f"{more} more problem{'s' if more > 1 else ''} in this file"
            hint = f"{hint}; {tail}" if hint else tail
        if where.dict_key:
            # The key itself is the problem: name it as text, find its line by its value.
            shown = tuple(str(p) for p in loc)
            raise InputError(
                message,
                file=doc.path,
                line=doc.line_of(loc),
                key=shown or None,
                value=value,
                hint=hint,
            ) from None
        raise doc.error(message, loc, value, hint=hint) from None
