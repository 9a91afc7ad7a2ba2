"""mckp.relax (the LP bound every MCKP proof starts from) against an exact dual oracle.

Oracle (independent of the hull and greedy code under test): by LP duality the relaxation of
``max sum_g p[g, x_g] s.t. sum_g w[g, x_g] <= C`` equals ``min_{lam >= 0} D(lam)`` with
``D(lam) = lam C + sum_g max_{feasible j} (p[g, j] - lam w[g, j])``, a convex piecewise-linear
function whose kinks lie at ``lam = (p_i - p_j) / (w_i - w_j)`` for two options of one group.
Small instances: the minimum over 0 and every such kink, in Fractions. Large instances (which
reach the quickselect in ``_select``): ``lam`` is optimal iff 0 lies in the subgradient of
``D`` at ``lam``: the lightest maximisers weigh <= C <= the heaviest ones (C when lam > 0).
"""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np

from costplan.solvers import mckp

SEED = 88_172


def dual(p: list[list[int]], w: list[list[int]], f: list[list[bool]], c: int, lam: Fraction
         ) -> Fraction:  # fmt: skip
    return lam * c + sum(
        max(p[g][j] - lam * w[g][j] for j in range(len(p[g])) if f[g][j]) for g in range(len(p))
    )


def lp_oracle(p: list[list[int]], w: list[list[int]], f: list[list[bool]], c: int) -> Fraction:
    kinks = {Fraction(0)}
    for g in range(len(p)):
        for i in range(len(p[g])):
            for j in range(len(p[g])):
                if f[g][i] and f[g][j] and w[g][i] != w[g][j]:
                    lam = Fraction(p[g][i] - p[g][j], w[g][i] - w[g][j])
                    if lam > 0:
                        kinks.add(lam)
    return min(dual(p, w, f, c, lam) for lam in kinks)


def random_instance(
    rng: random.Random,
) -> tuple[list[list[int]], list[list[int]], list[list[bool]]]:
    g, k = rng.randint(1, 6), rng.randint(1, 5)
    p = [[rng.randint(-50, 100) for _ in range(k)] for _ in range(g)]
    w = [[rng.randint(0, 40) for _ in range(k)] for _ in range(g)]
    f = [[rng.random() < 0.8 for _ in range(k)] for _ in range(g)]
    for row in f:
        row[rng.randrange(k)] = True
    return p, w, f


def arrays(*rows: list[list[int]] | list[list[bool]]) -> list[np.ndarray]:
    return [np.array(r) for r in rows]


def check(p: list[list[int]], w: list[list[int]], f: list[list[bool]], c: int | None,
          rel: mckp.Relaxation) -> None:  # fmt: skip
    g = len(p)
    usable = [[j for j in range(len(p[x])) if f[x][j]] for x in range(g)]
    if c is None:
        assert rel.bound == sum(max(p[x][j] for j in usable[x]) for x in range(g))
        assert not rel.binding
        assert rel.lam == 0
    else:
        assert rel.bound == lp_oracle(p, w, f, c)
        assert dual(p, w, f, c, rel.lam) == rel.bound
    lam = rel.lam
    for x in range(g):
        best = max(p[x][j] - lam * w[x][j] for j in usable[x])
        assert f[x][int(rel.argmax[x])]
        assert p[x][int(rel.argmax[x])] - lam * w[x][int(rel.argmax[x])] == best
        assert f[x][int(rel.greedy[x])]
    greedy_w = sum(w[x][int(rel.greedy[x])] for x in range(g))
    greedy_p = sum(p[x][int(rel.greedy[x])] for x in range(g))
    assert greedy_p <= rel.bound
    if c is not None:
        assert greedy_w <= c
        # residual is measured from the lightest plan (relax shifts weights to it)
        lightest = sum(min(w[x][j] for j in usable[x]) for x in range(g))
        assert rel.residual == c - lightest - (greedy_w - lightest)
    if rel.binding:
        assert rel.critical is not None
        grp, before, after = rel.critical
        assert int(rel.greedy[grp]) == before
        assert lam == Fraction(p[grp][after] - p[grp][before], w[grp][after] - w[grp][before])
        assert lam > 0
        # LP = greedy + a fraction of the critical step, never a whole step more
        assert rel.bound < greedy_p + (p[grp][after] - p[grp][before])
        assert greedy_w + (w[grp][after] - w[grp][before]) > c
    else:
        assert rel.critical is None
        assert rel.greedy.tolist() == rel.argmax.tolist()


def test_relax_matches_the_exact_dual_on_small_instances() -> None:
    rng = random.Random(SEED)
    binding = 0
    for _ in range(800):
        p, w, f = random_instance(rng)
        lightest = sum(min(wj for wj, fj in zip(wr, fr, strict=True) if fj)
                       for wr, fr in zip(w, f, strict=True))  # fmt: skip
        heaviest = sum(max(wj for wj, fj in zip(wr, fr, strict=True) if fj)
                       for wr, fr in zip(w, f, strict=True))  # fmt: skip
        c = rng.choice([None, lightest - 1, lightest, rng.randint(lightest, heaviest + 5)])
        rel = mckp.relax(*arrays(p, w, f), c)
        if c is not None and c < lightest:
            assert rel is None, (SEED, p, w, f, c)
            continue
        assert rel is not None, (SEED, p, w, f, c)
        check(p, w, f, c, rel)
        binding += rel.binding
    assert binding >= 150  # the capacity binds in a good share of the cases


def test_relax_by_hand() -> None:
    # One group, options (profit, weight) (0, 0), (6, 2), (8, 4); capacity 3.
    # Hull steps: 0 -> 1 efficiency 3, 1 -> 2 efficiency 1. Step one fits (weight 2), the
    # second (weight 2) only half: LP = 6 + 1 x 1 = 7 at lam = 1; greedy stops at option 1.
    rel = mckp.relax(np.array([[0, 6, 8]]), np.array([[0, 2, 4]]), np.ones((1, 3), bool), 3)
    assert rel is not None
    assert (rel.bound, rel.lam, rel.greedy.tolist(), rel.critical) == (7, 1, [1], (0, 1, 2))
    assert rel.residual == 1
    assert rel.binding
    # argmax at lam = 1: reduced profits 0, 4, 4: options 1 and 2 both maximise.
    assert int(rel.argmax[0]) in (1, 2)
    # A dominated option (5, 3) and an infeasible (100, 1) change nothing.
    rel2 = mckp.relax(np.array([[0, 6, 8, 5, 100]]), np.array([[0, 2, 4, 3, 1]]),
                      np.array([[True, True, True, True, False]]), 3)  # fmt: skip
    assert rel2 is not None
    assert (rel2.bound, rel2.lam) == (7, 1)


def test_relax_on_many_groups_satisfies_the_optimality_condition() -> None:
    # 3,000 groups x 4 options with concave profit in weight (most options on the hull):
    # > 4,096 hull steps, so _select's quickselect runs.
    rng = np.random.default_rng(SEED)
    g, k = 3000, 4
    w = np.sort(rng.integers(0, 1000, size=(g, k), dtype=np.int64), axis=1)
    p = (np.sqrt(w) * 1000).astype(np.int64) + rng.integers(0, 50, size=(g, k))
    f = np.ones((g, k), dtype=bool)
    lightest = int(w.min(axis=1).sum())
    c = lightest + int((w.max(axis=1) - w.min(axis=1)).sum()) // 3
    rel = mckp.relax(p, w, f, c)
    assert rel is not None
    assert rel.binding
    assert rel.n_steps > 4096
    lam = rel.lam
    lo = hi = 0
    for x in range(g):
        red = [Fraction(int(p[x, j])) - lam * int(w[x, j]) for j in range(k)]
        best = max(red)
        ws = [int(w[x, j]) for j in range(k) if red[j] == best]
        lo, hi = lo + min(ws), hi + max(ws)
        assert red[int(rel.argmax[x])] == best
    assert lo <= c <= hi  # 0 in the subgradient: lam minimises D
    bound = lam * c + sum(
        max(Fraction(int(p[x, j])) - lam * int(w[x, j]) for j in range(k)) for x in range(g)
    )
    assert rel.bound == bound
    rows = np.arange(g)
    assert int(w[rows, rel.greedy].sum()) <= c
    assert rel.residual == c - int(w[rows, rel.greedy].sum())


def test_exact_product_comparison_matches_python_integers() -> None:
    # _mul128 / _prod_sign decide hull pops and the critical price exactly where floats
    # cannot: oracle = Python's unbounded integers.
    rng = random.Random(SEED)
    top = 2**62
    quads = []
    for _ in range(400):
        a, b, c, d = (rng.randrange(top) for _ in range(4))
        quads.append((a, b, c, d))
        quads.append((a, b, a, b))  # an exact tie
        quads.append((a, b, a, b + 1))  # a near-tie floats cannot see
        quads.append((a, b + 1, a, b))
        quads.append((rng.randrange(2**31), rng.randrange(2**31), rng.randrange(top), 0))
    a, b, c, d = (np.array(col, dtype=np.int64) for col in zip(*quads, strict=True))
    hi, lo = mckp._mul128(a, b)
    assert [int(h) * 2**64 + int(low) for h, low in zip(hi, lo, strict=True)] == [
        q[0] * q[1] for q in quads
    ]
    want = [(q[0] * q[1] > q[2] * q[3]) - (q[0] * q[1] < q[2] * q[3]) for q in quads]
    got = mckp._prod_sign(a, b, c, d)
    assert got.dtype == np.int8
    assert got.tolist() == want


def test_relax_is_exact_with_values_floats_cannot_hold() -> None:
    # Profits near 2**58: float64 keeps 53 bits, so a bound computed in floats would be off
    # by up to 2**5; the oracle is the exact dual in Fractions.
    rng = random.Random(SEED + 1)
    for _ in range(60):
        g, k = rng.randint(1, 4), rng.randint(2, 4)
        p = [[2**58 + rng.randrange(2**40) * j for j in range(k)] for _ in range(g)]
        w = [[rng.randrange(1, 2**20) * j for j in range(k)] for _ in range(g)]
        f = [[True] * k for _ in range(g)]
        heaviest = sum(max(r) for r in w)
        c = rng.randrange(0, heaviest + 1)
        rel = mckp.relax(*arrays(p, w, f), c)
        assert rel is not None
        check(p, w, f, c, rel)


def select_oracle(eff: list[float], weight: list[int], capacity: int) -> tuple[list[int], int, int]:
    """_select's contract from its docstring: steps by efficiency desc, ties by index, taken
    while the cumulative weight stays <= capacity; the first that does not fit and the
    cumulative weight before it."""
    order = sorted(range(len(eff)), key=lambda i: (-eff[i], i))
    used = 0
    for pos, i in enumerate(order):
        if used + weight[i] > capacity:
            return order[:pos], i, used
        used += weight[i]
    raise AssertionError("callers guarantee that not every step fits")


def test_select_matches_a_stable_sort_with_ties() -> None:
    rng = random.Random(SEED + 2)
    cases = []
    # 5,000 distinct efficiencies of weight 1: the first pivot leaves 2,499 steps above it,
    # so a capacity of exactly 2,499 makes the steps above fit with nothing to spare.
    eff = [float(x) for x in rng.sample(range(10**6), 5000)]
    cases += [(eff, [1] * 5000, cap) for cap in (0, 1, 2498, 2499, 2500, 4999)]
    # heavy ties: 9,000 steps over 7 efficiency values, weights 1..5
    eff = [float(rng.randrange(7)) for _ in range(9000)]
    w = [rng.randint(1, 5) for _ in range(9000)]
    cases += [(eff, w, cap) for cap in (3, 5000, sum(w) // 2, sum(w) - 6)]
    # all equal: no step is above any pivot
    cases += [([1.5] * 6000, [2] * 6000, 7001)]
    for eff, w, cap in cases:
        taken, first, used = mckp._select(np.array(eff), np.array(w, dtype=np.int64), cap)
        want_taken, want_first, want_used = select_oracle(eff, w, cap)
        assert sorted(taken.tolist()) == sorted(want_taken)
        assert (int(first), used) == (want_first, want_used)


def hull_oracle(p: list[int], w: list[int], f: list[bool]) -> tuple[list[bool], list[int]]:
    """Brute force: option j is undominated iff feasible and strictly more profitable than
    every feasible option before it in (weight asc, profit desc, index asc) order; the hull is
    the undominated options that are strict vertices of the upper concave envelope (not on
    or below the segment between a lighter and a heavier undominated option), by weight."""
    k = len(p)
    key = {j: (w[j], -p[j], j) for j in range(k)}
    und = [f[j] and all(p[j] > p[i] for i in range(k) if f[i] and key[i] < key[j])
           for j in range(k)]  # fmt: skip
    pts = [j for j in range(k) if und[j]]
    hull = []
    for j in pts:
        below = any(
            w[i] < w[j] < w[m] and (p[j] - p[i]) * (w[m] - w[i]) <= (p[m] - p[i]) * (w[j] - w[i])
            for i in pts
            for m in pts
        )
        if not below:
            hull.append(j)
    return und, sorted(hull, key=lambda j: w[j])


def test_hull_and_dominance_match_brute_force() -> None:
    rng = random.Random(SEED + 3)
    rows_p, rows_w, rows_f = [], [], []
    for _ in range(3000):
        k = 6
        rows_p.append([rng.randint(0, 12) for _ in range(k)])
        rows_w.append([rng.randint(0, 6) for _ in range(k)])  # many equal weights
        rows_f.append([rng.random() < 0.85 for _ in range(k)])
        rows_f[-1][rng.randrange(k)] = True
    p, w, f = (np.array(r) for r in (rows_p, rows_w, rows_f))
    # relax's convention: infeasible options weigh the sentinel
    hull = mckp._build_hull(p, np.where(f, w, mckp._SENTINEL), f)
    assert hull.undominated.dtype == np.bool_
    for g in range(len(rows_p)):
        und, pts = hull_oracle(rows_p[g], rows_w[g], rows_f[g])
        assert hull.undominated[g].tolist() == und, (g, rows_p[g], rows_w[g], rows_f[g])
        n = int(hull.length[g])
        assert hull.hull[:n, g].tolist() == pts, (g, rows_p[g], rows_w[g], rows_f[g])
        assert hull.hp[:n, g].tolist() == [rows_p[g][j] for j in pts]
        assert hull.hw[:n, g].tolist() == [rows_w[g][j] for j in pts]
        assert hull.hull[n:, g].tolist() == [-1] * (hull.hull.shape[0] - n)
        assert hull.hp[n:, g].tolist() == [0] * (hull.hull.shape[0] - n)
        assert hull.hw[n:, g].tolist() == [0] * (hull.hull.shape[0] - n)
