"""Re-derive a per-query (``assign``) ``proof: core`` or ``search`` by the checker's own search.

docs/certificate.md, "core": with the certificate's prices every query ``g`` and option ``k``
has a loss ``l_gk = |best_g - red_gk| / den >= 0`` (``red``: the priced value of
:mod:`costplan.verify.perquerycert`), and for any plan meeting the rows
``value(x) <= D - sum_g l_g,x_g`` (max; min: ``cost(x) >= D + sum_g l_g,x_g``). A plan better
than ``z`` therefore only uses options of loss ``<= S`` (``S = D - z - 1``, min: ``z - 1 - D``).
The checker recomputes every loss itself (it does not read the certificate's ``core`` list:
it derives the core), fixes each query with one such option, and asks OR-Tools CP-SAT (one
worker, fixed seed) for a plan of the remaining queries, over their options of loss ``<= S``,
that meets every row of the plan (budget, quality floor, task floors, capacities, shares) on
the exact integers and beats ``z``. ``INFEASIBLE`` re-derives ``optimal``; a plan found
refutes it; no answer within the limit, a core too large, or numbers past int64 leave it
unproven. OR-Tools is a third-party solver; the model is the checker's own (see
:mod:`costplan.verify.search`).
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from costplan.verify.findings import exact
from costplan.verify.search import _INT64, Big, add_row, margin, run

if TYPE_CHECKING:
    from costplan.verify.perquery import _PerQuery
    from costplan.verify.perquerycert import Column, PricedQueries

#: Most option choices (queries x kept options) the checker's exact search takes on.
MAX_CHOICES = 200_000


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def prove(pq: _PerQuery, pr: PricedQueries, z: int) -> str | None:
    """None when no plan beats ``z`` (proven); otherwise why ``optimal`` is not re-derived."""
    s = margin("max" if pr.maximise else "min", pr.d, z)
    if s < 0:
        return None
    limit = s * pr.den
    # |loss| is an integer unless a share row made it rational: |loss| <= limit iff
    # |loss| <= floor(limit), capped where int64 losses (below 2**62) all pass anyway
    whole = min(math.floor(limit), _INT64)
    n = len(pr.best)
    rows = _row_coefs(pq, pr)
    ok = []
    # Each column's coefficients at its kept queries, taken in this one pass (no second pass
    # over the columns), while their total stays within n + MAX_CHOICES: past that, either a
    # query keeps nothing or the core is too large, and the search below never runs.
    stash: list[_Kept] | None = []
    for col in pr.columns():
        keep = col.fits.copy()
        idx = np.flatnonzero(keep)
        if len(idx):
            loss = pr.best[idx] - col.red[idx]
            if loss.dtype != object:
                keep[idx] = np.abs(loss) <= whole
            else:
                keep[idx] = np.asarray([abs(x) <= limit for x in loss.tolist()], dtype=np.bool_)
        ok.append(keep)
        if stash is not None:
            stash.append(_kept(col, keep, rows))
            if sum(len(x[0]) for x in stash) > n + MAX_CHOICES:
                stash = None
    kept = np.asarray(ok, dtype=np.bool_).reshape(len(ok), n)
    count = kept.sum(axis=0)
    if (count == 0).any():
        return None  # some query has no option a better plan could use: no better plan
    free = np.flatnonzero(count >= 2)
    if int(count[free].sum()) > MAX_CHOICES:
        return f"its core ({len(free):,} queries) is larger than the checker's exact search takes"
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    fixed = count == 1
    pick = np.argmax(kept, axis=0)  # the one kept option of a fixed query
    exprs: dict[str, tuple[int, list[Any]]] = {}  # label -> (constant, terms)
    # literals of the free queries only (a fixed query has none): no list per query
    choice: dict[int, list[Any]] = {g: [] for g in free.tolist()}
    parts = stash if stash is not None else (  # the same columns, in the same order
        _kept(col, kept[k], rows) for k, col in enumerate(pr.columns()))  # fmt: skip
    for k, (idx, coefs) in enumerate(parts):
        is_free = ~fixed[idx]  # of this column's kept queries, the free ones
        gs = idx[is_free]
        lits = [model.new_bool_var("") for _ in gs]
        for g, lit in zip(gs.tolist(), lits, strict=True):
            choice[g].append(lit)
        fixed_here = np.flatnonzero(~is_free & (pick[idx] == k))  # positions within idx
        at_free = np.flatnonzero(is_free)
        for label, a in coefs.items():
            const, terms = exprs.setdefault(label, (0, []))
            const += _total(a, fixed_here)
            terms += [(c, lit) for c, lit in zip(_take(a, at_free), lits, strict=True) if c]
            exprs[label] = (const, terms)
    for lits in choice.values():  # in the order of ``free``
        model.add_exactly_one(lits)
    big: list[Big] = []
    every = [lit for lits in choice.values() for lit in lits]
    for label, (const, terms) in exprs.items():
        if abs(const) + sum(abs(c) for c, _ in terms) < _INT64:
            model.add(_bound(label, pq, pr, z, const + sum(c * lit for c, lit in terms)))
            continue
        if label in ("objective", "quality"):
            return f"the {label} row passes int64: beyond the checker's exact search"
        # every other row reads lhs <= rhs: const + sum c x <= rhs
        rhs = _rhs(label, pq)
        add_row(model, label, terms, [1] * len(terms), rhs - const, big)
    return run(model, every, big)


#: One column's kept queries (indices) and each row's coefficients there (array or number).
_Kept = tuple[npt.NDArray[np.int64], dict[str, Any]]


def _kept(col: Column, keep: npt.NDArray[np.bool_], rows: dict[str, Any]) -> _Kept:
    """The kept queries of ``col`` and every row's coefficients at them."""
    idx = np.flatnonzero(keep)
    coefs: dict[str, Any] = {}
    for label, coef in rows.items():
        a = coef(col)
        coefs[label] = a[idx] if isinstance(a, np.ndarray) else a
    return idx, coefs


def _take(a: Any, idx: Any) -> list[int]:
    """The row's integer coefficients at queries ``idx`` (``a``: one number or per query)."""
    if isinstance(a, np.ndarray):
        return [int(x) for x in a[idx].tolist()]
    return [int(a)] * len(idx)


def _total(a: Any, idx: npt.NDArray[np.int64]) -> int:
    """The exact sum of the row's coefficients at queries ``idx``: in int64 when
    ``len(idx) x max |a|`` stays below ``_INT64``, else over Python ints (an object array's
    sum adds its Python ints exactly)."""
    if not isinstance(a, np.ndarray):
        return int(a) * len(idx)
    part = a[idx]
    if not len(part):
        return 0
    if part.dtype.kind in "iu":
        biggest = max(abs(int(part.max())), abs(int(part.min())))
        if biggest * len(part) < _INT64:
            return int(part.sum())
        part = part.astype(object)
    return int(part.sum())


def _row_coefs(pq: _PerQuery, pr: PricedQueries) -> dict[str, Any]:
    """Per row label, ``coef(column)``: the row's integer coefficients on that option (a
    number or a per-query array); every row reads ``lhs <= rhs`` (:func:`_bound`)."""
    s = pq.settings
    out: dict[str, Any] = {"objective": lambda col: col.v if pr.maximise else col.c}
    if pq.doc.get("budget_usd") is not None:
        out["budget"] = lambda col: col.c
    if not pr.maximise and s.get("min_quality") is not None:
        out["quality"] = lambda col: col.v
    for m in s.get("capacity_requests") or {}:
        out[f"capacity:{m}:requests"] = lambda col, m=m: int(col.model == m)
    for m in s.get("capacity_tokens") or {}:
        out[f"capacity:{m}:tokens"] = lambda col, m=m: col.tokens * int(col.model == m)
    for label in pr.rhs:
        if label.startswith("share:"):
            p = label.partition(":")[2]
            cap = pq.share_cap(p) or Fraction(0)
            out[label] = lambda col, p=p, cap=cap: col.c.astype(object) * (  # Python ints
                cap.denominator * int(col.provider == p) - cap.numerator)  # fmt: skip
    tasks = np.asarray(pq.qs.tasks, dtype=object)
    for task, value in (s.get("task_min_quality") or {}).items():
        fl = _ceil((exact(value) or Fraction(0)) * 10**6)
        out[f"floor:{task}"] = lambda col, task=task, fl=fl: np.where(  # int64 only if safe
            tasks == task, fl - (col.v if abs(fl) < _INT64 else col.v.astype(object)), 0)
    return out


def _rhs(label: str, pq: _PerQuery) -> int:
    """Right-hand side of a row that reads ``lhs <= rhs`` (budget, capacity, share, floor)."""
    s = pq.settings
    if label == "budget":
        budget = exact(pq.doc.get("budget_usd")) or Fraction(0)
        return math.floor(budget * 10**12)
    if label.startswith("capacity:"):
        m, _, what = label.partition(":")[2].rpartition(":")
        return int((s.get(f"capacity_{what}") or {})[m])
    return 0  # share and floor rows


def _bound(label: str, pq: _PerQuery, pr: PricedQueries, z: int, expr: Any) -> Any:
    """The constraint on row ``label``'s expression (the objective: beat ``z``)."""
    s = pq.settings
    if label == "objective":
        return expr >= z + 1 if pr.maximise else expr <= z - 1
    if label == "quality":
        floor = exact(s.get("min_quality")) or Fraction(0)
        return expr >= _ceil(floor * 10**6 * len(pr.best))
    return expr <= _rhs(label, pq)
