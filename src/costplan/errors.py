"""One error hierarchy for costplan.

The library raises these; only the CLI turns them into messages and exit codes.
Every error that comes from user input says *where* (file, line, key path) and
*what* (the offending value), so that a person can fix it without a traceback.

Exit codes (documented in the README):

====  =====================================================================
0     success
1     a valid question whose answer is "no" (infeasible budget, check failed)
2     invalid input or usage
3     solver time limit reached: best plan found is reported with its gap
4     internal error (a bug: a plan failed its own verification, ...)
====  =====================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

_UNSET: Any = object()


def format_key_path(path: Sequence[str | int]) -> str:
    """Render ``("tasks", 0, "volume")`` as ``tasks[0].volume``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _short_repr(value: Any, limit: int = 80) -> str:
    from decimal import Decimal

    # A number as written (2.5, 1E+29), not as Python spells it (Decimal('2.5')).
    text = str(value) if isinstance(value, Decimal) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class CostplanError(Exception):
    """Base of every error costplan reports to a user.

    ``file``, ``line`` (1-based), ``key`` (key path) and ``value`` locate the
    problem; ``hint`` suggests a fix. :meth:`render` is the one-line message;
    ``details`` are further lines (e.g. one per failed check), printed after it;
    ``str(err)`` is both. The CLI escapes control characters in all of them.
    """

    exit_code: ClassVar[int] = 2

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        key: Sequence[str | int] | str | None = None,
        value: Any = _UNSET,
        hint: str | None = None,
        details: Sequence[str] = (),
    ) -> None:
        self.message = message
        self.details = tuple(details)
        self.file = str(file) if file is not None else None
        self.line = line
        self.key = key if isinstance(key, str) or key is None else format_key_path(key)
        self.value = value
        self.hint = hint
        super().__init__("\n".join([self.render(), *self.details]))

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled with its fields (errors raised on a Dask worker arrive whole)."""
        fields: dict[str, Any] = {"file": self.file, "line": self.line, "key": self.key,
                                  "hint": self.hint, "details": self.details}  # fmt: skip
        if self.has_value:
            fields["value"] = self.value
        return (_rebuild, (type(self), self.message, fields))

    @property
    def has_value(self) -> bool:
        return self.value is not _UNSET

    def render(self) -> str:
        where = ""
        if self.file is not None:
            where = self.file + (f":{self.line}" if self.line is not None else "")
        parts = []
        if where:
            parts.append(where)
        if self.key:
            parts.append(self.key)
        text = ": ".join([*parts, self.message])
        if self.has_value:
            text += f" (got {_short_repr(self.value)})"
        if self.hint:
            text += f"; {self.hint}"
        return text


def _rebuild(cls: type[CostplanError], message: str, fields: dict[str, Any]) -> CostplanError:
    return cls(message, **fields)


class InputError(CostplanError):
    """Invalid input: a file, a value or a combination of options (exit 2)."""

    exit_code = 2


class InfeasibleError(CostplanError):
    """A valid question whose answer is no, e.g. the budget is too small (exit 1)."""

    exit_code = 1


class CheckFailedError(CostplanError):
    """A CI gate failed: a re-priced plan breaks its budget or threshold (exit 1)."""

    exit_code = 1


class SolverLimitError(CostplanError):
    """The solver stopped at its time limit without any feasible plan (exit 3)."""

    exit_code = 3


class InternalError(CostplanError):
    """A bug: e.g. a plan failed independent verification (exit 4)."""

    exit_code = 4
