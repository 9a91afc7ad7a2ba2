"""Numbers at the boundary: one rule for every number costplan reads.

The rule (documented in the README, "Numbers"), for files and command-line
options alike:

* A number is written in decimal notation, optionally with an exponent:
  ``12000``, ``0.15``, ``1.5e3``, ``2e6`` (``_`` may group digits). The command
  line also takes ``,`` thousands separators and, for USD amounts, a leading ``$``.
* It must be finite (``nan``, ``inf`` are refused) and below ``1e30`` in
  magnitude (and 0 or at least ``1e-30``), and its text at most
  :data:`MAX_TEXT` characters, so no later conversion can stall or overflow.
* ``true``/``false`` are never numbers.
* A whole-number field (volumes, token counts, capacities, ``--points``) takes
  any notation whose *value* is whole: ``2e6``, ``2000000`` and ``2000000.0``
  are the same volume; ``2.5`` is refused ("must be a whole number").
* Every field has a range, named in its error.

:func:`parse_number` applies the rule to command-line text; the schemas use
:func:`coerce_number` (through ``costplan.validation``) on parsed files. This
module is light on purpose: the CLI imports it before ``--help``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from costplan.errors import InputError

MAX_EXPONENT = 30  # |number| < 1e30, and 0 or >= 1e-30
MAX_TEXT = 100  # characters of a number's text
#: Largest budget accepted (USD per period), as the workload schema's budget_usd.
MAX_BUDGET_USD = Decimal(10**12)
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def magnitude_problem(value: Decimal | int) -> str | None:
    """Why a finite ``value`` is outside costplan's number range, or None."""
    if isinstance(value, int):
        return "number is too large" if abs(value) >= 10**MAX_EXPONENT else None
    if not value.is_finite() or value.is_zero():
        return None
    if value.adjusted() >= MAX_EXPONENT:
        return "number is too large"
    if value.adjusted() < -MAX_EXPONENT:
        return "number is too small"
    return None


def read_number(text: str) -> Decimal | str:
    """The exact value of number text per the rule above, or why it is not one
    (``"not a number"``, ``"number is too large"``, ``"number is too small"``)."""
    cleaned = text.strip().replace("_", "")
    if len(cleaned) > MAX_TEXT or not _NUMBER.fullmatch(cleaned):
        return "not a number"
    _, _, exponent = cleaned.lower().partition("e")
    if exponent and abs(int(exponent)) > 10 * MAX_EXPONENT:  # never build such a number
        return "number is too large" if int(exponent) > 0 else "number is too small"
    value = Decimal(cleaned)
    return magnitude_problem(value) or value


def decimal_of(text: str) -> Decimal | None:
    """:func:`read_number`, None when the text is not a number in range."""
    value = read_number(text)
    return value if isinstance(value, Decimal) else None


RANGE = f"numbers must be below 1e{MAX_EXPONENT} in magnitude and 0 or at least 1e-{MAX_EXPONENT}"


@dataclass(frozen=True)
class NumberRule:
    """What one option or field accepts: ``low <= x <= high`` (``low < x`` if open)."""

    what: str  # "--budget", "--time-limit"
    low: Decimal
    high: Decimal
    whole: bool = False
    low_open: bool = False
    unit: str = ""  # "USD", "seconds", "%"
    money: bool = False  # a leading '$' is allowed

    def describe(self) -> str:
        kind = "a whole number" if self.whole else "a number"
        span = f"above {_plain(self.low)}" if self.low_open else f"from {_plain(self.low)}"
        unit = f" {self.unit}" if self.unit not in ("", "%") else self.unit
        return f"{self.what} must be {kind} {span} to {_plain(self.high)}{unit}"

    def admits(self, value: Decimal) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        whole = not self.whole or value == value.to_integral_value()
        return above and value <= self.high and whole


def _plain(value: Decimal) -> str:
    """``1000000`` -> ``1,000,000``; ``0.010`` -> ``0.01`` (for messages)."""
    text = f"{value:,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def parse_number(text: str, rule: NumberRule) -> Decimal:
    """Command-line text -> an exact Decimal inside ``rule``, else a one-line InputError."""
    cleaned = text.strip().replace(",", "")
    if rule.money:
        cleaned = cleaned.removeprefix("$")
    if rule.unit == "%":
        cleaned = cleaned.removesuffix("%")
    value = decimal_of(cleaned)
    if value is None or not rule.admits(value):
        raise InputError(rule.describe(), value=text)
    return value


def parse_whole(text: str, rule: NumberRule) -> int:
    """:func:`parse_number` for a whole-number rule, as an int."""
    return int(parse_number(text, rule))


def coerce_number(value: Any, *, whole: bool) -> Any:
    """For the schemas: refuse booleans; whole-number fields take any whole value.

    A parsed file gives ints and Decimals (see ``costplan.yamlsource``); quoted
    text is read with :func:`decimal_of`. Anything else is passed on for the
    schema's own type check, which names it.
    """
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    if isinstance(value, str):
        parsed = read_number(value)
        if parsed == "not a number":
            return value  # the schema says why ("valid decimal", "valid integer")
        if isinstance(parsed, str):
            raise ValueError(f"{parsed}; {RANGE}")
        value = parsed
    if whole and isinstance(value, Decimal) and value.is_finite():
        if value != value.to_integral_value():
            raise ValueError("must be a whole number")
        return int(value)
    return value
