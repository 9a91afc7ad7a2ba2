"""Lagrangian pricing of per-query side rows: a feasible plan and an exact bound, at any size.

Problem (canonical, maximise): every query ``g`` picks one feasible option ``k``::

    maximise  sum_g o[g, k]          o = value (max_value) or -cost (min_cost)
    s.t.      sum_g w[g, k] <= cap   the primary row: cost <= budget, or -value <= -min_value
              sum_g a_r[g, k] <= b_r side rows r (capacity, share as ``den*part - num*whole``,
                                     task floors), exact integers

Pricing each side row at ``nu_r = n_r / DEN >= 0`` (exact rationals) leaves a multiple-choice
knapsack on the primary row alone, whose LP :func:`costplan.solvers.mckp.relax` solves exactly
on the integers ``DEN * o - sum_r n_r a_r``. For every such price vector::

    D(nu) = (LP bound + sum_r n_r b_r) / DEN  >=  the constrained optimum

(weak duality: the priced rows only add ``nu_r (b_r - a_r x) >= 0`` to a feasible plan's
objective, and the LP bounds the knapsack). The search over ``nu`` is coordinate bisection:
each violated row's price is raised (doubling, then bisection) to the least price at which the
LP's rounded-down plan (``greedy``, which always meets the primary row) meets it, the others
held, for a few passes. The doubling starts at the rung a cheap guess names (the price at
which the queries' first moves off the row, the primary price held, shed its excess) and steps
down from a rung that meets while the one below meets: the same bracket as climbing from the
first rung whenever the row's usage falls as its price rises, a valid one otherwise. Every
evaluated plan meeting every row exactly is an incumbent; every evaluated ``D`` is a valid
bound (the least is kept). The best incumbent is then improved by
single-query moves that keep every row exact (:func:`improve`).

Evaluations near prices already evaluated solve the LP only on the queries whose choice can
still move (:mod:`costplan.solvers.sidenear`; the others' contribution is a constant): when
doubling, those not fixed over a primary-price interval around the last price; when bisecting,
those not fixed over the bracket's box of (row price, primary price), the box narrowed with the
bracket. Both give the whole problem's LP optimum exactly or decline (then the whole LP).

Nothing here decides a status: the caller passes objective and bound to
:func:`costplan.solvers.protocol.settle`. Prices are reported in the checker's row units
(``docs/certificate.md``: a share row's coefficient there is ``c (1[p] - s)``, ``1/den`` of
``den*part - num*whole``, so its price is ``nu * den``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from costplan.solvers.mckp import relax
from costplan.solvers.sidenear import (
    BLOCK_ROWS,
    Box,
    box_lp,
    exact_sum,
    first_price,
    make_box,
    refine,
    relax_near,
)

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]
Interval = tuple[Fraction, Fraction]
_TOTAL = 2**60  # bound on sum_g max_k |priced value|: relax() needs < 2**61
_NEAR = Fraction(1, 20)  # doubling: the primary price is looked for within 5% of the last
_SLACK = Fraction(1, 10_000)  # bisection: between the bracket's primary prices, widened


@dataclass(frozen=True)
class SideRow:
    """``sum_g coef[g, k(g)] <= rhs`` exactly; ``label`` the certificate's row label and
    ``unit`` the factor from this row's price to the certificate's (a share row: ``den``)."""

    coef: npt.NDArray[Any]  # (G, K) int64, or object (Python ints) when int64 could overflow
    rhs: int
    label: str
    unit: int = 1


@dataclass(frozen=True)
class Priced:
    """One evaluated price vector: ``d`` (canonical, maximise) and the LP's rounded plan."""

    nu: tuple[Fraction, ...]
    lam: Fraction  # price of the primary row
    d: Fraction
    plan: I64
    lhs: tuple[int, ...]


@dataclass(frozen=True)
class LagrangianResult:
    """The best incumbent (``None``: none found), its canonical objective, the least ``D``
    found and the prices that give it, by certificate label, in the checker's units."""

    plan: I64 | None
    objective: int | None
    best: Priced | None
    prices: dict[str, Fraction]
    evaluations: int
    moves: int
    restricted: int = 0  # evaluations whose LP was solved on the free queries only


def _scale(top: float) -> int:
    """The largest power of two ``s <= 2**30`` with ``s * top < 2**62`` (about; 1 at least):
    the primary price is compared on the grid ``1 / (den s)``, since ``den`` alone can leave
    only a few grid points across a 5% interval (1M queries: ``lam den`` about 4)."""
    if top <= 0:
        return 1 << 30
    return 1 << max(0, min(30, math.floor(math.log2(2**62 / (top * 1.01)))))


def _row_sum(coef: npt.NDArray[Any], plan: I64) -> int:
    x = coef[np.arange(coef.shape[0]), plan]
    return exact_sum(x) if x.dtype == np.int64 else int(x.astype(object).sum())


class _Search:
    """The coordinate search (module docstring); one ``relax`` per evaluation."""

    def __init__(self, obj: I64, weight: I64, feasible: Bool, cap: int | None,
                 rows: list[SideRow], extra: list[SideRow]) -> None:  # fmt: skip
        self.obj, self.weight, self.feasible, self.cap = obj, weight, feasible, cap
        self.rows, self.extra = rows, extra
        g = obj.shape[0]
        self.omax = float(np.abs(np.where(feasible, obj, 0)).max(axis=1).sum()) + 1.0
        self.amax = [float(np.abs(r.coef).max(initial=0)) for r in rows]
        self.emax = float(np.abs(np.where(feasible, obj, 0)).max(initial=0))  # one entry
        self.wmax = float(np.abs(np.where(feasible, weight, 0)).max(initial=0))
        self.g = g
        self.evaluations = 0
        self.restricted = 0  # evaluations solved through the free queries only (sidenear)
        self.cache: dict[tuple[float, ...], Priced | None] = {}
        self.box: Box | None = None  # while bisecting one row: the queries fixed in its bracket
        self.best: Priced | None = None
        self.inc: I64 | None = None
        self.inc_obj: int | None = None

    def _den(self, mu: list[float]) -> int:
        per = self.omax + self.g * sum(m * a for m, a in zip(mu, self.amax, strict=True))
        if per <= 0:
            return 1 << 40
        return 1 << max(0, min(40, math.floor(math.log2(_TOTAL / (per * 1.01)))))

    def evaluate(self, mu: list[float], near: tuple[Fraction, Fraction] | None = None,
                 ) -> Priced | None:  # fmt: skip
        """Price the rows at (about) ``mu``: exact ``D`` and the LP's rounded plan. ``near``:
        an interval believed to hold the primary price (canonical units), tried first through
        :func:`costplan.solvers.sidenear.relax_near` (exact when it answers)."""
        key = tuple(mu)
        if key in self.cache:
            return self.cache[key]
        got = self._evaluate(mu, near)
        self.cache[key] = got
        return got

    def _lp(self, p: npt.NDArray[Any], den: int, entry: float, near: Interval | None,
            ) -> tuple[Fraction, Fraction, I64] | None:  # fmt: skip
        """(LP bound, its price, greedy plan) of the priced profits ``p``."""
        if near is not None and p.dtype != object:
            l1 = math.ceil(near[1] * den)
            if entry + l1 * self.wmax < 2**62:
                sc = _scale(entry + (l1 + 1) * self.wmax)
                l0, l1 = math.floor(near[0] * den * sc), math.ceil(near[1] * den * sc)
                got = relax_near(p, self.weight, self.feasible, self.cap, max(l0, 0), l1, sc)
                if got is not None:
                    self.restricted += 1
                    return got.bound, got.lam, got.greedy
        if p.dtype == object:
            p = np.where(self.feasible, p, 0)
            top = int(np.abs(p).max(axis=1).sum())
            if top >= 2**61:
                return None
            p = p.astype(np.int64)
        rel = relax(p, self.weight, self.feasible, self.cap)
        return None if rel is None else (rel.bound, rel.lam, rel.greedy)

    def _evaluate(self, mu: list[float], near: tuple[Fraction, Fraction] | None,
                  ) -> Priced | None:  # fmt: skip
        self.evaluations += 1
        den = self._den(mu)
        n = [int(m * den) for m in mu]
        nu = tuple(Fraction(nr, den) for nr in n)
        rhs = sum((nr * r.rhs for nr, r in zip(n, self.rows, strict=True)), 0)
        boxed = self._boxed(nu, n, den, rhs)
        if boxed is not None:
            return boxed
        # Any entry of DEN * o - sum_r n_r a_r could pass 2**63: then exact Python ints
        # (numpy's int64 arithmetic would wrap silently), and no LP when it does not fit.
        entry = self.emax * den + sum(a * abs(nr) for a, nr in zip(self.amax, n, strict=True))
        wide = entry >= 2**62
        p: npt.NDArray[Any] = self.obj.astype(object) * den if wide else self.obj * den
        for r, nr in zip(self.rows, n, strict=True):
            if nr:
                p = p - (r.coef.astype(object) if wide else r.coef) * nr
        lp = self._lp(p, den, entry, near)
        if lp is None:
            return None
        bound, lam, plan = lp
        d = (bound + rhs) / den
        lhs = tuple(_row_sum(r.coef, plan) for r in self.rows)
        return self._record(Priced(nu, lam / den, Fraction(d), plan, lhs), None, None)

    def _record(self, got: Priced, extra: tuple[int, ...] | None, z: int | None) -> Priced:
        """Keep the least ``D`` and the best plan meeting every row (``extra``/``z``: its
        extra-row sums and objective when already known)."""
        if self.best is None or got.d < self.best.d:
            self.best = got
        if all(x <= r.rhs for x, r in zip(got.lhs, self.rows, strict=True)):
            if extra is None:
                extra = tuple(_row_sum(r.coef, got.plan) for r in self.extra)
            if all(x <= r.rhs for x, r in zip(extra, self.extra, strict=True)):
                z = _row_sum(self.obj, got.plan) if z is None else z
                if self.inc_obj is None or z > self.inc_obj:
                    self.inc, self.inc_obj = got.plan, z
        return got

    def _boxed(self, nu: tuple[Fraction, ...], n: list[int], den: int, rhs: int,
               ) -> Priced | None:  # fmt: skip
        """The evaluation at ``nu = n / den`` through the current box, or ``None`` (outside
        it); ``rhs`` is ``sum_r n_r b_r``."""
        got = None if self.box is None else box_lp(self.box, nu, den, n, self.cap)
        if got is None:
            return None
        self.restricted += 1
        d = Fraction(got.bound + rhs) / den
        return self._record(Priced(nu, got.lam / den, d, got.plan, got.lhs), got.extra,
                            got.objective)  # fmt: skip

    def _make_box(self, mu: list[float], j: int, lo: Priced, hi: Priced) -> Box | None:
        """The box of row ``j``'s bracket ``[lo, hi]`` (:func:`costplan.solvers.sidenear.
        make_box`), when every array is int64 and its corners cannot wrap."""
        arrays = [self.obj, self.weight, *(r.coef for r in (*self.rows, *self.extra))]
        if any(a.dtype != np.int64 for a in arrays):
            return None
        den = self._den(mu)
        a, b = sorted((lo.lam, hi.lam))
        span = (lo.nu[j] * (1 - _SLACK), hi.nu[j] * (1 + _SLACK), a * (1 - _SLACK),
                b * (1 + _SLACK))  # fmt: skip
        box = self.box
        n_top = [float(x) * den for x in hi.nu]
        n_top[j] = float(span[1]) * den + 1
        entry = self.emax * den + sum(x * y for x, y in zip(self.amax, n_top, strict=True))
        top = entry + (float(span[3]) * den + 1) * self.wmax
        if top >= 2**62:
            return None
        sc = _scale(top)  # the primary price on a grid finer than den's, int64 still exact
        # nested: the new span within the old one (refined on its free queries), else anew
        if box is not None and box.j == j and box.nu_lo <= span[0] and span[1] <= box.nu_hi and (
                box.lam_lo <= span[2] and span[3] <= box.lam_hi):  # fmt: skip
            return refine(box, span, den, sc)
        return make_box(self.obj, self.weight, self.feasible, [r.coef for r in self.rows],
                        [r.coef for r in self.extra], hi.nu, j, span, den, sc)  # fmt: skip

    def _meets(self, got: Priced | None, j: int) -> bool:
        return got is not None and got.lhs[j] <= self.rows[j].rhs

    def _row(self, mu: list[float], j: int, steps: int) -> bool:
        """Raise ``mu[j]`` to (about) the least price at which row ``j`` is met: doubling
        (:meth:`_climb`), then bisection. Each evaluation is offered the primary price interval
        its neighbours suggest (``_NEAR`` around the last price below when doubling; between
        the bracket's prices when bisecting); ``False`` when no price meets the row."""
        at0 = self.evaluate(mu)
        step = max(mu[j], self.omax / self.g / max(self.amax[j], 1.0) * 1e-3)
        ladder = [mu[j]]  # the doubling's prices: lo + step, then + 2 step, + 4 step, ...
        for _ in range(60):
            ladder.append(ladder[-1] + step)
            step *= 2
        found = self._climb(mu, j, ladder, at0)
        if found is None:
            return False
        i, at_lo = found[0], found[1]
        at_hi: Priced | None = found[2]
        lo, hi = ladder[i - 1], ladder[i]
        mu[j] = hi
        if at_lo is not None and at_hi is not None:
            self.box = self._make_box(mu, j, at_lo, at_hi)
        for _ in range(steps):
            mu[j] = (lo + hi) / 2
            near = None
            if at_lo is not None and at_hi is not None:
                a, b = sorted((at_lo.lam, at_hi.lam))
                near = (a * (1 - _SLACK), b * (1 + _SLACK))
            got = self.evaluate(mu, near)
            if self._meets(got, j):
                hi, at_hi = mu[j], got
            else:
                lo, at_lo = mu[j], got
            if at_lo is not None and at_hi is not None:
                self.box = self._make_box(mu, j, at_lo, at_hi)
        mu[j] = hi
        self.box = None
        return True

    def _climb(self, mu: list[float], j: int, ladder: list[float], at0: Priced | None,
               ) -> tuple[int, Priced | None, Priced] | None:  # fmt: skip
        """The first rung ``i >= 1`` of ``ladder`` whose price meets row ``j``, with the
        evaluations at rungs ``i - 1`` and ``i`` (``at0``: rung 0's). Plain doubling climbs
        from rung 1; here the climb starts at the rung :func:`costplan.solvers.sidenear.
        first_price` guesses and, from a rung that meets, steps down while the rung below meets
        too (the row's usage falls as its price rises, so the rungs below a failing one are
        taken to fail: any rung found is a valid bracket end either way)."""
        got: dict[int, Priced | None] = {0: at0}

        def at(i: int, ref: Priced | None, wide: int = 1) -> bool:
            mu[j] = ladder[i]
            near = None if ref is None else (ref.lam * (1 - wide * _NEAR),
                                             ref.lam * (1 + wide * _NEAR))  # fmt: skip
            got[i] = self.evaluate(mu, near)
            return self._meets(got[i], j)

        i = self._guess(mu, j, ladder, at0)
        if i > 1 and at(i, at0, 4):
            while i > 1 and at(i - 1, got[i]):
                i -= 1
            hit = got[i]
            assert hit is not None
            return i, got[i - 1], hit
        for t in range(i + 1 if i > 1 else 1, len(ladder)):
            if at(t, got[t - 1]):
                hit = got[t]
                assert hit is not None
                return t, got[t - 1], hit
        return None

    def _guess(self, mu: list[float], j: int, ladder: list[float], at0: Priced | None) -> int:
        """The rung to start climbing at: the first whose price reaches
        :func:`~costplan.solvers.sidenear.first_price`'s guess (1 when there is none)."""
        if at0 is None:
            return 1
        excess = float(at0.lhs[j] - self.rows[j].rhs)
        mu0 = mu[j]
        guess = first_price(self.obj, self.weight, self.feasible, [r.coef for r in self.rows],
                            mu, j, float(at0.lam), at0.plan, excess)  # fmt: skip
        mu[j] = mu0
        if guess is None:
            return 1
        return max(1, next((i for i, v in enumerate(ladder) if v >= guess), 1))

    def run(self, passes: int = 4, steps: int = 14, warm: Fraction | None = None) -> None:
        """``warm``: the primary row's LP price without side rows (the caller's unconstrained
        solve), the interval the first evaluation (all prices 0) offers :func:`relax_near`."""
        mu = [0.0] * len(self.rows)
        got = self.evaluate(mu, None if warm is None or warm < 0 else (warm, warm))
        for _ in range(passes):
            if got is None:
                return
            bad = [j for j, r in enumerate(self.rows) if got.lhs[j] > r.rhs]
            if not bad:
                break
            for j in bad:
                if not self._row(mu, j, steps):
                    return
            got = self.evaluate(mu)


def improve(obj: I64, feasible: Bool, plan: I64, rows: list[SideRow],
            max_moves: int = 20_000) -> tuple[I64, int]:  # fmt: skip
    """Single-query moves that raise the objective and keep every row, exactly (best gain
    first, each re-checked against the slacks left)."""
    g_n = obj.shape[0]
    plan = plan.copy()
    if g_n == 0:
        return plan, 0
    at = np.arange(g_n)
    slack = [r.rhs - _row_sum(r.coef, plan) for r in rows]
    gis, kis, gains = [], [], []
    for s0 in range(0, g_n, BLOCK_ROWS):  # candidates a block of rows at a time (row-major order)
        sl = slice(s0, s0 + BLOCK_ROWS)
        a, pl = at[sl], plan[sl]
        gain = np.where(feasible[sl], obj[sl] - obj[a, pl][:, None], -1)
        ok = gain > 0
        for r, s in zip(rows, slack, strict=True):
            delta = r.coef[sl] - r.coef[a, pl][:, None]
            ok &= np.asarray(delta <= s, dtype=np.bool_)
        bg, bk = np.nonzero(ok)
        gis.append(bg + s0)
        kis.append(bk)
        gains.append(gain[bg, bk])
    gi, ki = np.concatenate(gis), np.concatenate(kis)
    if gi.size == 0:
        return plan, 0
    order = np.lexsort((ki, gi, -np.concatenate(gains)))[: max_moves * 4]
    moved = np.zeros(g_n, dtype=np.bool_)
    moves = 0
    for t in order.tolist():
        g, k = int(gi[t]), int(ki[t])
        if moved[g]:
            continue
        c = int(plan[g])
        deltas = [int(r.coef[g, k]) - int(r.coef[g, c]) for r in rows]
        if any(dl > s for dl, s in zip(deltas, slack, strict=True)):
            continue
        slack = [s - dl for s, dl in zip(slack, deltas, strict=True)]
        plan[g] = k
        moved[g] = True
        moves += 1
        if moves >= max_moves:
            break
    return plan, moves


def lagrangian_plan(obj: I64, weight: I64, feasible: Bool, cap: int | None,
                    rows: list[SideRow], extra: list[SideRow], warm: Fraction | None = None,
                    ) -> LagrangianResult:  # fmt: skip
    """Search the side rows' prices (module docstring); ``extra`` rows are only checked (a
    secondary row the certificate does not price); ``cap=None``: no primary row. ``warm``: a
    guess of the primary row's LP price with every side price 0 (the unconstrained solve's):
    the first evaluation solves the LP on the queries it leaves free, exact when it answers
    (:func:`costplan.solvers.sidenear.relax_near`), the whole LP otherwise."""
    s = _Search(obj, weight, feasible, cap, rows, extra)
    s.run(warm=warm)
    plan, z, moves = s.inc, s.inc_obj, 0
    if plan is not None:
        primary = [] if cap is None else [SideRow(weight, cap, "primary")]
        plan, moves = improve(obj, feasible, plan, [*primary, *rows, *extra])
        z = _row_sum(obj, plan)
    prices: dict[str, Fraction] = {}
    if s.best is not None:
        for r, nu in zip(rows, s.best.nu, strict=True):
            if nu:
                prices[r.label] = prices.get(r.label, Fraction(0)) + nu * r.unit
    return LagrangianResult(plan, z, s.best, prices, s.evaluations, moves, s.restricted)
