"""Exact readers of plan-file fields, for every module that rebuilds a plan from a file.

Money is an exact USD decimal that must be a whole number of pico-dollars; a gap is an
exact rational ``>= 0``. Errors name the file, the key path and the value.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from costplan.exact import parse_rational
from costplan.money import PrecisionError, usd_to_pusd
from costplan.yamlsource import SourceDocument

Key = tuple[str | int, ...]


def pusd_at(doc: SourceDocument, value: Decimal, key: Key) -> int:
    """``value`` USD in pico-dollars; a finer amount is an error at ``key``."""
    try:
        return usd_to_pusd(value)
    except PrecisionError as exc:
        raise doc.error(str(exc), key, value) from None


def gap_at(doc: SourceDocument, text: str | None, key: Key = ("gap",)) -> Fraction | None:
    """The exact rational gap written at ``key`` (None when absent)."""
    if text is None:
        return None
    try:
        gap = parse_rational(text)
    except (ValueError, ZeroDivisionError):
        raise doc.error("gap is not an exact rational", key, text) from None
    if gap < 0:
        raise doc.error("gap must be >= 0", key, text)
    return gap
