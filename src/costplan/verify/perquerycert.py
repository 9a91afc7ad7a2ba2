"""Recompute a per-query (``assign``) plan's Lagrangian bound from its certificate.

docs/certificate.md, "Per query": over every usable option ``k`` of every query ``g``
(a model the query scores, in a mode the plan allowed, whose request fits), with
``v`` quality in micro-units (rounded down) and ``c`` cost in pico-dollars::

    max:  D = lam B + sum_r nu_r rhs_r + sum_g max_k (v_gk - lam c_gk - sum_r nu_r a_r,gk)
    min:  D = lam Vmin - sum_r nu_r rhs_r + sum_g min_k (c_gk - lam v_gk + sum_r nu_r a_r,gk)

Rows: ``budget`` (max), ``quality`` (min: the mean floor x queries, rounded up),
``capacity:<m>:requests`` (1 on model m), ``capacity:<m>:tokens`` (prompt + cached +
output), ``share:<p>`` (``c (1[provider = p] - s)``), ``floor:<task>`` (``f - v`` on the
task's queries, ``f`` rounded up). All exact: every price is put over one common
denominator and the sums are Python integers (numpy object arrays).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from costplan.verify.certificate import read_prices
from costplan.verify.findings import Findings, exact

if TYPE_CHECKING:
    from costplan.verify.perquery import _PerQuery


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def _rows(pq: _PerQuery) -> dict[str, Fraction]:
    """Labels of the rows the plan's settings define -> right-hand side."""
    s, doc = pq.settings, pq.doc
    rhs: dict[str, Fraction] = {}
    for m, limit in (s.get("capacity_requests") or {}).items():
        rhs[f"capacity:{m}:requests"] = Fraction(int(limit))
    for m, limit in (s.get("capacity_tokens") or {}).items():
        rhs[f"capacity:{m}:tokens"] = Fraction(int(limit))
    providers = {m.provider for m in pq.sheet.models.values()}
    for p in sorted(providers):
        cap = pq.share_cap(p)
        if cap is not None and cap < 1:
            rhs[f"share:{p}"] = Fraction(0)
    for task in s.get("task_min_quality") or {}:
        rhs[f"floor:{task}"] = Fraction(0)
    if doc.get("objective") == "max_quality" and doc.get("budget_usd") is not None:
        rhs["budget"] = Fraction(0)  # priced apart (lam B)
    if doc.get("objective") == "min_cost" and s.get("min_quality") is not None:
        rhs["quality"] = Fraction(0)
    return rhs


@dataclass(frozen=True)
class Column:
    """One usable option over every query: ``fits`` where the query may use it, quality
    ``v`` (micro), cost ``c`` (pusd), tokens sent, and the priced value ``red`` (times
    ``den``; 0 where it does not fit: read only where ``fits``). int64 arrays, or object
    arrays of Python ints and Fractions (see :func:`_columns`)."""

    model: str
    provider: str
    fits: npt.NDArray[np.bool_]
    v: npt.NDArray[Any]
    c: npt.NDArray[Any]
    tokens: npt.NDArray[Any]
    red: npt.NDArray[Any]


@dataclass(frozen=True)
class PricedQueries:
    """The certificate's prices on the plan's rows: ``D``, and every option's column."""

    maximise: bool
    prices: dict[str, Fraction]
    rhs: dict[str, Fraction]
    den: int
    columns: Callable[[], Iterator[Column]]  # recomputed on each pass: one column in memory
    best: npt.NDArray[Any]  # per query, the best ``red`` (times ``den``)
    d: Fraction


def priced(pq: _PerQuery, output: npt.NDArray[np.int64], cert: dict[str, Any],
           f: Findings) -> PricedQueries | None:  # fmt: skip
    """The columns, the prices and ``D``; None when the prices are invalid (named in ``f``)."""
    qs, doc, s = pq.qs, pq.doc, pq.settings
    maximise = doc.get("objective") == "max_quality"
    labels = _rows(pq)
    prices = read_prices(cert, labels, f)
    if prices is None:
        return None
    den = math.lcm(1, *(p.denominator for p in prices.values()))
    num = {k: int(p * den) for k, p in prices.items()}
    g_n = len(qs.ids)

    def columns() -> Iterator[Column]:
        return _columns(pq, output, num, den, maximise)

    best: npt.NDArray[Any] = np.zeros(g_n, dtype=np.int64)
    has = np.zeros(g_n, dtype=np.bool_)
    for col in columns():
        red = col.red
        if red.dtype == object and best.dtype != object:
            best = best.astype(object)
        # elementwise exact comparisons (int64, or Python ints and Fractions)
        better = col.fits & (~has | ((red > best) if maximise else (red < best)))
        best = np.where(better, red, best)
        has |= col.fits
    if not has.all():
        return None
    total = Fraction(sum(best.tolist())) / den  # exact: Python ints (Fractions with shares)
    constant = Fraction(0)
    if maximise and "budget" in prices:
        budget = exact(doc.get("budget_usd")) or Fraction(0)
        scaled = budget * 10**12
        constant += prices["budget"] * (scaled.numerator // scaled.denominator)  # rounded down
    if not maximise and "quality" in prices:
        floor = exact(s.get("min_quality")) or Fraction(0)
        constant += prices["quality"] * _ceil(floor * 10**6 * g_n)
    side = sum((prices.get(r, Fraction(0)) * rhs for r, rhs in labels.items()
                if r not in ("budget", "quality")), Fraction(0))  # fmt: skip
    d = constant + side + total if maximise else constant - side + total
    return PricedQueries(maximise, prices, labels, den, columns, best, d)


#: |red| (and |best|) below this keep every difference of two of them inside int64.
_RED_LIMIT = 2**61


def _columns(pq: _PerQuery, output: npt.NDArray[np.int64], num: dict[str, int], den: int,
             maximise: bool) -> Iterator[Column]:  # fmt: skip
    """Every usable option's column, one at a time, in a fixed order (models sorted, then
    the sheet's modes).

    int64 when every term is an integer and the worst case of ``|red|`` is below
    :data:`_RED_LIMIT` (bounded from the largest |v|, |c|, |a_r| and the prices); else
    Python ints and Fractions in object arrays (a share row's ``c (1 - s)`` is rational)."""
    qs, s = pq.qs, pq.settings
    floor_rows = any(label.startswith("floor:") for label in num)
    tasks = np.asarray(qs.tasks, dtype=object) if floor_rows else None  # only floors read it
    allowed = s.get("modes", ["standard", "batch"])
    models = sorted(m for k, m in enumerate(qs.models) if (qs.quality[:, k] >= 0).any())
    integral = not any(label.startswith("share:") for label in num)
    floors = {label[len("floor:"):]: _ceil(
        (exact(s["task_min_quality"][label[len("floor:"):]]) or Fraction(0)) * 10**6)
        for label in num if label.startswith("floor:")}  # fmt: skip
    for name in models:
        model = pq.sheet.models.get(name)
        if model is None:
            continue
        column = qs.column(name)
        assert column is not None
        has = column >= 0
        v64 = np.where(has, column, 0).astype(np.int64)
        prompt = pq.prompt(model)
        fits = has.copy()
        if model.context_window is not None:
            fits &= prompt + qs.cached + output <= model.context_window
        if model.max_output_tokens is not None:
            fits &= output <= model.max_output_tokens
        sent64 = (prompt + qs.cached + output).astype(np.int64)
        for mode, schedule in model.modes:
            if mode not in allowed:
                continue
            from costplan.verify.perquery import _costs

            c_raw = _costs(schedule, prompt, qs.cached, output)
            small = integral and c_raw.dtype != object and _worst(
                v64, c_raw, sent64, num, den, maximise, floors) < _RED_LIMIT  # fmt: skip
            v, c, sent = ((v64, c_raw, sent64) if small else
                          (v64.astype(object), c_raw.astype(object), sent64.astype(object)))
            red: Any = (v * den - c * num.get("budget", 0)) if maximise else (
                c * den - v * num.get("quality", 0))  # fmt: skip
            for label, n_r in num.items():
                kind, _, rest = label.partition(":")
                if kind == "capacity":
                    m, _, what = rest.rpartition(":")
                    if m != name:
                        continue
                    a: Any = 1 if what == "requests" else sent
                elif kind == "share":
                    cap = pq.share_cap(rest) or Fraction(0)
                    a = c * (int(model.provider == rest) - cap)  # Fractions: exact
                elif kind == "floor":
                    assert tasks is not None
                    a = np.where(tasks == rest, floors[rest] - v, 0)
                    if small:
                        a = a.astype(np.int64)
                else:
                    continue
                red = red - a * n_r if maximise else red + a * n_r
            red = np.where(fits, red, 0)  # where it does not fit: 0, never read (fits)
            yield Column(name, model.provider, fits, v, c, sent, red)


def _worst(v: npt.NDArray[np.int64], c: npt.NDArray[np.int64], sent: npt.NDArray[np.int64],
           num: dict[str, int], den: int, maximise: bool, floors: dict[str, int]) -> int:
    """An upper bound on ``|red|`` of an integer column, and on every factor of it (Python
    ints: no overflow here)."""
    vmax = int(np.abs(v).max(initial=0))
    cmax = int(np.abs(c).max(initial=0))
    smax = int(np.abs(sent).max(initial=0))
    own = vmax * den + cmax * abs(num.get("budget", 0)) if maximise else (
        cmax * den + vmax * abs(num.get("quality", 0)))  # fmt: skip
    for label, n_r in num.items():
        kind, _, rest = label.partition(":")
        if kind == "capacity":
            own += abs(n_r) * (1 if rest.endswith(":requests") else smax)
        elif kind == "floor":
            own += abs(n_r) * (abs(floors[rest]) + vmax)  # |f - v|
    return max(own, den, *(abs(n_r) for n_r in num.values()))
