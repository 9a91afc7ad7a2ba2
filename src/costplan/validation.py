"""Validation at the boundary: pydantic schemas -> located, readable errors.

Schemas (``*/schema.py``) are pydantic models with ``extra="forbid"``; this
module runs them over a :class:`SourceDocument` and turns the first error into
an :class:`InputError` naming file, line, key path and value, with a
did-you-mean suggestion for misspelt keys.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any, TypeVar

import pydantic

from costplan.errors import InputError
from costplan.yamlsource import SourceDocument

M = TypeVar("M", bound=pydantic.BaseModel)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """A hint like ``did you mean 'volume'?`` or None."""
    match = difflib.get_close_matches(str(word), list(choices), n=1, cutoff=0.6)
    return f"did you mean {match[0]!r}?" if match else None


def _model_at(
    model: type[pydantic.BaseModel], loc: tuple[Any, ...]
) -> type[pydantic.BaseModel] | None:
    """The pydantic model class that owns the last key of ``loc`` (best effort)."""
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or not (
            isinstance(current, type) and issubclass(current, pydantic.BaseModel)
        ):
            continue  # list index or dict key: stay on the item's model
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = _first_model(field.annotation, part)
        if current is None:
            return None
    if isinstance(current, type) and issubclass(current, pydantic.BaseModel):
        return current
    return None


def _first_model(tp: Any, _part: Any) -> Any:
    if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
        return tp
    for arg in getattr(tp, "__args__", ()) or ():
        found = _first_model(arg, _part)
        if found is not None:
            return found
    return None


_UNION_TAGS = ("function-after", "function-before", "function-plain", "function-wrap")


def _clean_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    """Drop pydantic's union/validator tags from a location tuple."""
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (
            part.startswith(_UNION_TAGS) or part in {"str", "int", "decimal", "list[str]"}
        ):
            continue
        if isinstance(part, str) and part[:1].isupper() and part.isidentifier():
            continue  # model name tag inside a union
        out.append(part)
    return tuple(out)


def validate(model: type[M], doc: SourceDocument, *, what: str) -> M:
    """Validate ``doc.data`` against ``model``; raise a located InputError."""
    if not isinstance(doc.data, dict):
        raise InputError(
            f"{what} must be a mapping of keys to values",
            file=doc.path,
            line=1,
            value=type(doc.data).__name__ if doc.data is not None else "empty document",
        )
    try:
        return model.model_validate(doc.data)
    except pydantic.ValidationError as exc:
        errors = exc.errors(include_url=False)
        # A misspelt key also makes the right one "missing": name the misspelling first.
        err = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        loc = _clean_loc(tuple(err["loc"]))
        more = len(errors) - 1
        hint = None
        if err["type"] == "extra_forbidden":
            owner = _model_at(model, loc)
            if owner is not None:
                hint = did_you_mean(str(loc[-1]), owner.model_fields)
            message = "unknown key"
            value: Any = loc[-1] if loc else None
        elif err["type"] == "missing":
            message = "required key is missing"
            value = None
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
        raise doc.error(message, loc, value, hint=hint) from None
