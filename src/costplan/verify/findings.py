"""Violations found by the checker, each at a key path of the plan document."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from costplan.errors import format_key_path

Key = tuple[str | int, ...]


@dataclass(frozen=True)
class Violation:
    key: Key
    message: str

    def __str__(self) -> str:
        where = format_key_path(self.key)
        return f"{where}: {self.message}" if where else self.message


class Findings:
    """Collects every violation (the checker never stops at the first)."""

    def __init__(self) -> None:
        self.items: list[Violation] = []

    def add(self, key: Sequence[str | int], message: str) -> None:
        self.items.append(Violation(tuple(key), message))


def exact(value: Any) -> Fraction | None:
    """The exact number a plan field states (int, Fraction, decimal string, float repr)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | Fraction):
        return Fraction(value)
    if isinstance(value, float):
        return Fraction(repr(value)) if value == value and abs(value) != float("inf") else None
    if isinstance(value, Decimal):
        return Fraction(value) if value.is_finite() else None
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            return None
    return None


def usd(pusd: int | Fraction) -> str:
    """Exact USD text of a pico-dollar amount (for messages)."""
    value = Fraction(pusd) / 10**12
    if value.denominator == 1 or 10**12 % value.denominator == 0:
        text = f"{Decimal(value.numerator) / Decimal(value.denominator):f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return f"{float(value):.12g}"


def show(value: Any) -> str:
    """A plan value as the document states it: numbers as exact text, strings quoted."""
    if isinstance(value, Fraction):
        if 10**24 % value.denominator == 0 or value.denominator == 1:
            return f"{Decimal(value.numerator) / Decimal(value.denominator):f}"
        return str(value)
    return repr(value)
