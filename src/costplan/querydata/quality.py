"""Quality values to micro-units, rounded down, without a Python call per value.

The rule (README, "Per-query allocation"):

* **Decimal text** (CSV cells, JSON strings, Parquet/Arrow strings and
  decimals) is exact: ``floor(d x 10**6)`` of the decimal ``d`` written.
* **Binary floats** (JSON numbers, Parquet/Arrow doubles) are read as the
  nearest double ``x``, like every JSON parser does, and counted as the
  shortest decimal that reads back as ``x`` (Python's ``repr``). That is the
  decimal written whenever it has at most 15 significant digits, so
  ``0.7999995`` counts 799,999 and ``0.29`` counts 290,000 (the double is a
  little below 0.29). Write quality as a string for more digits.

Why the fast formula is exact (:func:`micro_of_floats`): let ``d`` be a decimal
of at most 15 significant digits in [0, 1], ``x`` its double and ``y`` the
double product ``x * 1e6``. Then ``|y - d * 10**6| <= 2.3e-16 * d * 10**6``
(two roundings of relative error 2**-53), while ``d * 10**6``, if it is not an
integer ``m``, is at least ``10**-14 * 10**floor(log10 m) >= 1e-15 * m`` away
from every integer (it has at most 15 significant digits). So with ``m =
rint(y)``: ``|y - m| <= 5e-16 * m`` exactly when ``d * 10**6 == m``, and
otherwise ``floor(y) == floor(d * 10**6)``.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import numpy.typing as npt

from costplan.money import quality_to_micro

#: A decimal text of at most this many characters has at most 15 significant digits.
SHORT_TEXT = 17
#: Plain decimals from 0 to 1 (an exponent, a sign or spaces take the exact reader).
PLAIN_QUALITY = r"^(?:[01](?:\.[0-9]*)?|\.[0-9]+)$"


def micro_of_floats(x: npt.NDArray[np.float64]) -> npt.NDArray[np.int32]:
    """``floor(d x 10**6)`` of the shortest decimal ``d`` of each double in [0, 1]
    (see the module docstring); the caller has checked the range."""
    y = x * 1e6
    m = np.rint(y)
    exact = np.abs(y - m) <= 5e-16 * m
    return np.where(exact, m, np.floor(y)).astype(np.int32)


def micro_of_texts(texts: list[str]) -> npt.NDArray[np.int32]:
    """Exact ``floor(d x 10**6)`` of long decimal texts (a Python call each: rare)."""
    return np.asarray([quality_to_micro(Decimal(t)) for t in texts], dtype=np.int32)


def in_range(x: npt.NDArray[np.float64]) -> bool:
    """Every value is a number costplan accepts as a quality: finite, 0..1, and 0
    or at least 1e-30 (:mod:`costplan.numbers`)."""
    with np.errstate(invalid="ignore"):
        ok = (x >= 0) & (x <= 1) & ((x == 0) | (x >= 1e-30))
    return bool(ok.all())


def ordered_matrix(
    models: list[str], columns: list[npt.NDArray[np.int32]], firsts: list[int]
) -> tuple[tuple[str, ...], npt.NDArray[np.int32]] | None:
    """Quality columns (``-1`` = no value) stacked in the exact reader's model order:
    by first row with a value, then by column. None when some row has no value at
    all (the exact reader decides what that row means)."""
    order = sorted(range(len(models)), key=lambda k: (firsts[k], k))
    matrix = np.stack([columns[k] for k in order], axis=1)
    if (matrix < 0).all(axis=1).any():
        return None
    return tuple(models[k] for k in order), matrix
