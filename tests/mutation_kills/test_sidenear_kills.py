"""solvers/sidenear.py: the LP of one priced evaluation solved on the queries that can still
move, against oracles written here from the raw arrays:

* the LP optimum of a multiple-choice knapsack, ``min_{lam >= 0} L(lam)`` with ``L(lam) = lam
  cap + sum_g max_k (p - lam w)`` (Fractions), at 0 and every breakpoint;
* which queries are fixed over an interval (or a box of prices): the same *unique* maximiser of
  the reduced profit at every end (corner), computed query by query in Python integers;
* sums in Python integers (no int64).

Seeds are fixed and printed.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from costplan.solvers.sidenear import box_lp, exact_sum, fixed_choice, make_box, refine, relax_near

I64 = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]


def lagr(p: I64, w: I64, feas: Bool, cap: int | None, lam: Fraction) -> Fraction:
    total = lam * (cap or 0)
    for g in range(p.shape[0]):
        total += max(Fraction(int(p[g, k])) - lam * int(w[g, k])
                     for k in range(p.shape[1]) if feas[g, k])  # fmt: skip
    return total


def lp(p: I64, w: I64, feas: Bool, cap: int | None) -> Fraction:
    """The LP optimum (``cap=None``: no primary row, each query's best)."""
    return lp_price(p, w, feas, cap)[0]


def lp_price(p: I64, w: I64, feas: Bool, cap: int | None) -> tuple[Fraction, Fraction]:
    """(LP optimum, its least minimising price)."""
    if cap is None:
        return lagr(p, w, feas, None, Fraction(0)), Fraction(0)
    cands = {Fraction(0)}
    for g in range(p.shape[0]):
        ks = [k for k in range(p.shape[1]) if feas[g, k]]
        for a, b in itertools.combinations(ks, 2):
            dw = int(w[g, a]) - int(w[g, b])
            if dw and Fraction(int(p[g, a]) - int(p[g, b]), dw) > 0:
                cands.add(Fraction(int(p[g, a]) - int(p[g, b]), dw))
    return min((lagr(p, w, feas, cap, c), c) for c in cands)


def unique_best(vals: list[int | None]) -> int | None:
    """The index of the unique maximum of the feasible entries (``None`` entries), or None."""
    top = max((v for v in vals if v is not None), default=None)
    if top is None:
        return None
    at = [i for i, v in enumerate(vals) if v == top]
    return at[0] if len(at) == 1 else None


def fixed_oracle(corners: list[list[list[int | None]]]) -> list[int | None]:
    """Per query: its option when the unique maximiser is the same at every corner."""
    out: list[int | None] = []
    for g in range(len(corners[0])):
        best = [unique_best(c[g]) for c in corners]
        out.append(best[0] if best[0] is not None and len(set(best)) == 1 else None)
    return out


def reduced(p: I64, w: I64, feas: Bool, lam: int) -> list[list[int | None]]:
    return [[int(p[g, k]) - lam * int(w[g, k]) if feas[g, k] else None
             for k in range(p.shape[1])] for g in range(p.shape[0])]  # fmt: skip


def instance(rng: np.random.Generator, g: int, k: int) -> tuple[I64, I64, Bool]:
    p = rng.integers(-20, 40, (g, k)).astype(np.int64)
    w = rng.integers(0, 8, (g, k)).astype(np.int64)
    feas = rng.random((g, k)) < 0.85
    feas[np.arange(g), rng.integers(0, k, g)] = True
    return p, w, feas


def test_fixed_choice_is_the_unique_maximiser_at_both_ends() -> None:
    seed = 101
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    for _ in range(150):
        g, k = int(rng.integers(1, 7)), int(rng.integers(1, 4))
        p = rng.integers(-4, 5, (g, k)).astype(np.int64)  # small: many ties
        w = rng.integers(0, 3, (g, k)).astype(np.int64)
        feas = rng.random((g, k)) < 0.8
        l0 = int(rng.integers(0, 3))
        l1 = l0 + int(rng.integers(0, 3))
        choice, fixed = fixed_choice(p, w, feas, l0, l1)
        want = fixed_oracle([reduced(p, w, feas, l0), reduced(p, w, feas, l1)])
        assert fixed.tolist() == [x is not None for x in want]
        for q, x in enumerate(want):
            if x is not None:
                assert int(choice[q]) == x
        assert choice.dtype == np.int64


def test_relax_near_answers_exactly_and_often() -> None:
    seed = 102
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    answered = declined_outside = 0
    for t in range(160):
        g, k = int(rng.integers(4, 14)), int(rng.integers(2, 4))
        p, w, feas = instance(rng, g, k)
        lightest = int(np.where(feas, w, 99).min(axis=1).sum())
        heaviest = int(np.where(feas, w, 0).max(axis=1).sum())
        cap: int | None = int(rng.integers(lightest, heaviest + 2))
        if t % 10 == 0:
            cap = None
        best, lam = lp_price(p, w, feas, cap)
        width = int(rng.integers(0, 3))  # an interval around the price, or anywhere
        lo = max(0, lam.numerator // lam.denominator - width)
        hi = -(-lam.numerator // lam.denominator) + width
        if t % 5 == 0:
            lo = int(rng.integers(0, 4))
            hi = lo + int(rng.integers(0, 5))
        got = relax_near(p, w, feas, cap, lo, hi)
        e0, e1 = (0, 0) if cap is None else (lo, hi)
        want = fixed_oracle([reduced(p, w, feas, e0), reduced(p, w, feas, e1)])
        n_free = sum(x is None for x in want)
        if got is None:
            declined_outside += 1
            continue
        answered += 1
        at = np.arange(g)
        assert got.bound == best, (seed, t)
        assert got.free == n_free
        assert 0 < n_free < g
        if cap is not None:
            assert lo <= got.lam <= hi
            assert lagr(p, w, feas, cap, got.lam) == best
            assert int(w[at, got.greedy].sum()) <= cap
        assert feas[at, got.greedy].all()
        assert int(p[at, got.greedy].sum()) <= best
        for q, x in enumerate(want):
            if x is not None:
                assert int(got.greedy[q]) == x
    print(f"answered {answered}, declined {declined_outside}")
    assert answered >= 80


def test_relax_near_declines_when_nothing_or_everything_is_fixed() -> None:
    # one query, two options (3, 1) and (1, 0): at L = 0 option 0 is the unique best (3 > 1)
    p = np.array([[3, 1]], np.int64)
    w = np.array([[1, 0]], np.int64)
    feas = np.ones((1, 2), np.bool_)
    assert relax_near(p, w, feas, 1, 0, 0) is None  # the only query is fixed
    # two queries, both tied at L = 0 (2 = 2): every query free
    p2 = np.array([[2, 2], [5, 5]], np.int64)
    w2 = np.array([[1, 0], [1, 0]], np.int64)
    assert relax_near(p2, w2, np.ones((2, 2), np.bool_), 1, 0, 0) is None
    # three queries tied on two options: all free as well (3 queries, not 2 options)
    p4 = np.array([[2, 2], [5, 5], [1, 1]], np.int64)
    w4 = np.array([[1, 0], [1, 0], [1, 0]], np.int64)
    assert relax_near(p4, w4, np.ones((3, 2), np.bool_), 1, 0, 0) is None
    # query 0 fixed on option 0 over [0, 1] (3 - L > 1 for L < 2), query 1 tied at 0:
    # restricted cap 5 - 1 = 4 fits query 1's option 0, the restricted price is 0 in [0, 1];
    # the whole LP: 3 + 5 = 8 at weight 2 <= 5
    p3 = np.array([[3, 1], [5, 5]], np.int64)
    w3 = np.array([[1, 0], [1, 0]], np.int64)
    got = relax_near(p3, w3, np.ones((2, 2), np.bool_), 5, 0, 1)
    assert got is not None
    assert (got.bound, got.lam, got.free, int(got.greedy[0])) == (Fraction(8), Fraction(0), 1, 0)
    # the same with a capacity of 1: query 0's option 0 uses it, query 1 must take option 1
    # (weight 0); the restricted LP has cap 0, price 0 is not in [1, 1]... at [0, 1] the
    # restricted price is 0 (query 1's options tie in profit): bound 3 + 5 = 8
    got = relax_near(p3, w3, np.ones((2, 2), np.bool_), 1, 0, 1)
    assert got is not None
    assert got.bound == 8
    assert int(got.greedy[1]) == 1
    # no primary row: the price is 0 whatever the interval; query 1's tie is free and the
    # bound is each query's best, 3 + 5 = 8
    got = relax_near(p3, w3, np.ones((2, 2), np.bool_), None, 2, 5)
    assert got is not None
    assert (got.bound, got.lam, got.free) == (Fraction(8), Fraction(0), 1)
    # a restricted problem that cannot fit: query 0 fixed on weight 1, cap 0 -> None
    assert relax_near(p3, w3, np.ones((2, 2), np.bool_), 0, 0, 1) is None


def test_exact_sum_past_int64() -> None:
    assert exact_sum(np.zeros(0, np.int64)) == 0
    assert exact_sum(np.array([3, -5, 7], np.int64)) == 5
    big = np.array([2**62, 2**62, 2**62, -(2**61)], np.int64)
    assert exact_sum(big) == 3 * 2**62 - 2**61  # past 2**63: int64 would wrap
    # at the guard: max |x| * size = 2**61 * 2 = 2**62 takes the exact path; the sum 2**62 fits
    assert exact_sum(np.array([2**61, 2**61], np.int64)) == 2**62
    assert exact_sum(np.array([2**62 - 1, 2**62 - 1], np.int64)) == 2**63 - 2
    assert type(exact_sum(np.array([1, 2], np.int64))) is int


def box_instance(rng: np.random.Generator) -> tuple[I64, I64, Bool, list[I64], list[I64], int]:
    g, k = int(rng.integers(4, 12)), int(rng.integers(2, 4))
    obj, w, feas = instance(rng, g, k)
    coefs = [rng.integers(-1, 3, (g, k)).astype(np.int64) for _ in range(2)]
    extra = [rng.integers(0, 3, (g, k)).astype(np.int64)]
    lightest = int(np.where(feas, w, 99).min(axis=1).sum())
    cap = int(rng.integers(lightest, int(np.where(feas, w, 0).max(axis=1).sum()) + 2))
    return obj, w, feas, coefs, extra, cap


def corner_values(obj: I64, w: I64, feas: Bool, coefs: list[I64], n: list[int], den: int,
                  lam: int) -> list[list[int | None]]:  # fmt: skip
    g, k = obj.shape
    return [[den * int(obj[q, c]) - sum(nr * int(a[q, c]) for nr, a in zip(n, coefs, strict=True))
             - lam * int(w[q, c]) if feas[q, c] else None for c in range(k)]
            for q in range(g)]  # fmt: skip


def test_box_lp_is_the_whole_lp_and_refine_keeps_it() -> None:
    seed = 103
    print(f"seed={seed}")
    rng = np.random.default_rng(seed)
    den = 4
    answered = refined = narrowed = 0
    for t in range(120):
        obj, w, feas, coefs, extra, cap = box_instance(rng)
        g = obj.shape[0]
        j = t % 2  # the row whose price moves; the other's price is n_o / den
        n_o = int(rng.integers(0, 3))
        n_lo = int(rng.integers(0, 6))
        n_hi = n_lo + int(rng.integers(0, 6))
        nus = [Fraction(n_o, den)] * 2
        lam_lo = Fraction(int(rng.integers(0, 4)), den)
        lam_hi = lam_lo + Fraction(int(rng.integers(0, 12)), den)
        span = (Fraction(n_lo, den), Fraction(n_hi, den), lam_lo, lam_hi)
        if t % 3 == 0:  # off the grid: the corners are rounded outwards (floor, ceil)
            third = Fraction(1, 3 * den)
            span = (span[0] + third * (n_lo > 0), span[1] - third * (n_hi > n_lo),
                    lam_lo + third * (lam_lo > 0), lam_hi - third * (lam_hi > lam_lo))  # fmt: skip
        box = make_box(obj, w, feas, coefs, extra, tuple(nus), j, span, den)
        # the fixed queries by the four corners (grid points, as span is on the grid)
        ns = [[n_o, n_o] for _ in range(2)]
        ns[0][j], ns[1][j] = n_lo, n_hi
        ends = (int(lam_lo * den), int(lam_hi * den))  # grid points: floor/ceil of the span
        corners = [corner_values(obj, w, feas, coefs, n, den, lm) for n in ns for lm in ends]
        want = fixed_oracle(corners)
        if all(x is None for x in want):
            assert box is None
            continue
        assert box is not None
        assert box.free.tolist() == [q for q in range(g) if want[q] is None]
        assert [int(box.choice[q]) for q in range(g) if want[q] is not None] == [
            x for x in want if x is not None
        ]
        at = [q for q in range(g) if want[q] is not None]
        o_f, w_f, a_f, e_f = box.sums
        assert o_f == sum(int(obj[q, want[q]]) for q in at)
        assert w_f == sum(int(w[q, want[q]]) for q in at)
        assert a_f == [sum(int(c[q, want[q]]) for q in at) for c in coefs]
        assert e_f == [sum(int(c[q, want[q]]) for q in at) for c in extra]
        # every grid price of row j in the span: exact whenever it answers
        for nj in range(n_lo, n_hi + 1):
            n = [n_o, n_o]
            n[j] = nj
            nu = tuple(Fraction(x, den) for x in n)
            got = box_lp(box, nu, den, n, cap)
            if got is None:
                continue
            answered += 1
            p = obj * den - coefs[0] * n[0] - coefs[1] * n[1]
            best = lp(p, w, feas, cap)
            ga = np.arange(g)
            assert got.bound == best, (seed, t)
            assert lagr(p, w, feas, cap, got.lam) == best
            assert span[2] * den <= got.lam <= span[3] * den
            assert int(w[ga, got.plan].sum()) <= cap
            assert got.lhs == tuple(int(c[ga, got.plan].sum()) for c in coefs)
            assert got.extra == tuple(int(c[ga, got.plan].sum()) for c in extra)
            assert got.objective == int(obj[ga, got.plan].sum())
        # a narrower box, refined from this one, answers the same at its middle price
        mid = (n_lo + n_hi) // 2
        sub = (Fraction(mid, den), Fraction(mid, den), lam_lo, lam_hi)
        r = refine(box, sub, den)
        n = [n_o, n_o]
        n[j] = mid
        corners = [corner_values(obj, w, feas, coefs, n, den, int(lm * den))
                   for lm in (lam_lo, lam_hi)]  # fmt: skip
        sub_want = fixed_oracle(corners)
        # fixed in the box stays fixed; more may be fixed in the narrower one
        assert set(r.free.tolist()) <= set(box.free.tolist())
        if r is not box:  # (box itself when nothing more is fixed)
            narrowed += 1
            assert (r.nu_lo, r.nu_hi, r.lam_lo, r.lam_hi) == sub
            assert r.free.tolist() == [
                q for q in range(g) if sub_want[q] is None and want[q] is None
            ]
            assert r.sums[0] == sum(
                int(obj[q, c]) for q, c in enumerate(r.choice) if q not in r.free
            )
            assert r.sums[1] == sum(int(w[q, c]) for q, c in enumerate(r.choice) if q not in r.free)
            fixed_q = [(q, int(c)) for q, c in enumerate(r.choice) if q not in r.free]
            assert r.sums[2] == [sum(int(a[q, c]) for q, c in fixed_q) for a in coefs]
            assert r.sums[3] == [sum(int(a[q, c]) for q, c in fixed_q) for a in extra]
        got = box_lp(r, tuple(Fraction(x, den) for x in n), den, n, cap)
        if got is not None:
            refined += 1
            p = obj * den - coefs[0] * n[0] - coefs[1] * n[1]
            assert got.bound == lp(p, w, feas, cap)
            ga = np.arange(g)
            assert got.lhs == tuple(int(c[ga, got.plan].sum()) for c in coefs)
            assert got.extra == tuple(int(c[ga, got.plan].sum()) for c in extra)
            assert got.objective == int(obj[ga, got.plan].sum())
    print(f"answered {answered}, refined {refined}, narrowed {narrowed}")
    assert answered >= 50
    assert refined >= 12
    assert narrowed >= 10


def test_box_lp_declines_outside_its_box() -> None:
    # two queries, options (obj, w): (5, 1) / (0, 0); one row coefficient 1 on option 0.
    # At row price 0 and primary prices in [0, 1], option 0 is the unique best (5 - L > 0):
    # every query fixed -> no box (nothing free). Add a tied query (obj 1 / 1, w 0 / 0) to
    # keep one free.
    obj = np.array([[5, 0], [5, 0], [1, 1]], np.int64)
    w = np.array([[1, 0], [1, 0], [0, 0]], np.int64)
    feas = np.ones((3, 2), np.bool_)
    row = np.array([[1, 0], [1, 0], [0, 0]], np.int64)
    span = (Fraction(0), Fraction(1), Fraction(0), Fraction(1))
    box = make_box(obj, w, feas, [row], [], (Fraction(0),), 0, span, 1)
    assert box is not None
    assert box.free.tolist() == [2]
    # inside: row price 1 -> each fixed query's reduced 5 - 1 = 4, the whole LP 4 + 4 + 1 = 9
    # (cap 2 fits both option 0s, price 0)
    got = box_lp(box, (Fraction(1),), 1, [1], 2)
    assert got is not None
    assert got.bound == 9
    assert got.objective == 11  # 5 + 5 + 1
    assert got.lhs == (2,)
    assert box_lp(box, (Fraction(2),), 1, [2], 2) is None  # row price outside [0, 1]
    # the primary price found outside [0, 1]: cap 1 forces a price of 4 (5 - L = 1 - 0 ...)
    assert box_lp(box, (Fraction(1),), 1, [1], 1) is None
    # other rows' prices must be the box's: a second row priced differently declines
    box2 = make_box(obj, w, feas, [row, row], [], (Fraction(0), Fraction(1)), 0, span, 1)
    assert box2 is not None
    assert box_lp(box2, (Fraction(0), Fraction(0)), 1, [0, 0], 2) is None
    assert box_lp(box2, (Fraction(0), Fraction(1)), 1, [0, 1], 2) is not None
    # every query fixed (the tied third one left out): a box with nothing to solve declines
    full = make_box(obj[:2], w[:2], feas[:2], [row[:2]], [], (Fraction(0),), 0, span, 1)
    assert full is not None
    assert full.free.size == 0
    assert box_lp(full, (Fraction(1),), 1, [1], 2) is None
    # exactly one query fixed (query 0; query 2 tied): a box; none fixed (two tied): none
    one = make_box(obj[[0, 2]], w[[0, 2]], feas[:2], [row[[0, 2]]], [], (Fraction(0),), 0, span, 1)
    assert one is not None
    assert one.free.tolist() == [1]
    t2 = [2, 2]
    assert make_box(obj[t2], w[t2], feas[:2], [row[t2]], [], (Fraction(0),), 0, span, 1) is None
    # no primary row: price 0, each query's best; the tied query free, bound 4 + 4 + 1 = 9
    got = box_lp(box, (Fraction(1),), 1, [1], None)
    assert got is not None
    assert got.bound == 9
    # another row's price off the grid (1/3 at den 1): no box
    assert make_box(obj, w, feas, [row, row], [], (Fraction(0), Fraction(1, 3)), 0, span,
                    1) is None  # fmt: skip
