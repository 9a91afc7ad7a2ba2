"""solvers/classconfigs.py (a task's integer configurations within a penalty margin) against
brute force and hand figures, sharing no code with it.

The oracle enumerates every count vector of a task (summing to its volume; one option only
for ``split: false``), keeps those meeting the floor, and prices each exactly in Fractions by
the module docstring's formula ``P_t(x) = sum_o d_o x_o + mu_t (sum_o (q_o - f_t) x_o)``.
Losses, prices and margins are multiples of 1/4 (exact in binary floats), so the float
superset the module promises is the exact set itself at integer margins.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from costplan.solvers import classconfigs as cc
from costplan.solvers.classlevel import ClassProblem
from costplan.solvers.classprices import Prices

SEED = 7_311
Config = tuple[int, ...]


def problem(tasks: list[dict[str, object]], budget: int | None = None) -> ClassProblem:
    """Tasks as dicts: q (qualities), c (costs), n (volume), f (floor, -1 none), split."""
    task, cost, quality = [], [], []
    for t, spec in enumerate(tasks):
        qs = list(spec["q"])  # type: ignore[call-overload]
        task += [t] * len(qs)
        quality += qs
        cost += list(spec["c"])  # type: ignore[call-overload]
    return ClassProblem(
        task=np.asarray(task, np.int64),
        cost=np.asarray(cost, np.int64),
        quality=np.asarray(quality, np.int64),
        volume=np.asarray([spec["n"] for spec in tasks], np.int64),
        floor=np.asarray([spec["f"] for spec in tasks], np.int64),
        split=np.asarray([spec["split"] for spec in tasks], np.bool_),
        objective="max_quality",
        budget=budget,
    )


def prices(loss: list[Fraction], mu: list[Fraction], lam: Fraction = Fraction(0)) -> Prices:
    return Prices(lam=lam, mu=tuple(mu), bound=Fraction(0), loss=tuple(loss), critical=None)


def groups(p: ClassProblem) -> list[np.ndarray]:
    return [np.flatnonzero(p.task == t).astype(np.int64) for t in range(len(p.volume))]


def all_configs(p: ClassProblem, t: int, pr: Prices) -> dict[Config, Fraction]:
    """Every configuration of task t meeting its floor, with its exact penalty."""
    opts = [int(o) for o in np.flatnonzero(p.task == t)]
    n, f, m = int(p.volume[t]), int(p.floor[t]), len(opts)
    if p.split[t]:
        cands = [x for x in itertools.product(range(n + 1), repeat=m) if sum(x) == n]
    else:
        cands = [tuple(n if j == k else 0 for j in range(m)) for k in range(m)]
    out = {}
    for x in cands:
        slack = 0 if f < 0 or n == 0 else sum((int(p.quality[o]) - f) * k
                                              for o, k in zip(opts, x, strict=True))
        if slack < 0:
            continue
        out[x] = sum((pr.loss[o] * k for o, k in zip(opts, x, strict=True)), Fraction(0)) + (
            pr.mu[t] * slack)
    return out


def dot(a: list[int], x: Config) -> int:
    return sum(u * v for u, v in zip(a, x, strict=True))


def free_rule(p: ClassProblem, t: int, pr: Prices) -> bool:
    """The module docstring's rule: split, and 3+ zero-loss options, or 2 with mu = 0."""
    zero = sum(1 for o in np.flatnonzero(p.task == t) if pr.loss[int(o)] == 0)
    return bool(p.split[t]) and (zero >= 3 or (zero == 2 and pr.mu[t] == 0))


def random_task(rng: np.random.Generator) -> tuple[ClassProblem, Prices, int]:
    m = int(rng.integers(1, 5))
    n = int(rng.integers(0, 6))
    q = [int(v) for v in rng.integers(0, 10, m)]
    c = [int(v) for v in rng.integers(1, 9, m)]
    f = int(rng.integers(0, 10)) if rng.random() < 0.6 else -1
    split = bool(rng.random() < 0.8)
    p = problem([{"q": q, "c": c, "n": n, "f": f, "split": split}])
    loss = [Fraction(int(v), 4) if rng.random() < 0.6 else Fraction(0)
            for v in rng.integers(1, 13, m)]  # fmt: skip
    # LP prices leave every task a zero-loss option (its LP choice): the module's premise
    loss[int(rng.integers(0, m))] = Fraction(0)
    mu = [Fraction(int(rng.integers(0, 9)), 4) if f >= 0 else Fraction(0)]
    return p, prices(loss, mu), int(rng.integers(0, 7))


# --- _within -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_within_is_every_vector_under_both_caps_in_product_order(seed: int) -> None:
    rng = np.random.default_rng(SEED + seed)
    for _ in range(40):
        total = int(rng.integers(0, 5))
        loss = [float(v) / 4 for v in rng.integers(1, 13, int(rng.integers(0, 4)))]
        tol = float(rng.integers(0, 25)) / 4
        want = [y for y in itertools.product(range(total + 1), repeat=len(loss))
                if sum(y) <= total
                and sum(a * b for a, b in zip(loss, y, strict=True)) <= tol]  # fmt: skip
        assert list(cc._within(total, loss, tol)) == want


def test_within_by_hand() -> None:
    # total 2, losses (1, 2), tol 2: (0,0) (0,1) (1,0) (2,0); (1,1) costs 3 > 2, (0,2) 4.
    assert list(cc._within(2, [1.0, 2.0], 2.0)) == [(0, 0), (0, 1), (1, 0), (2, 0)]
    assert list(cc._within(3, [], 0.0)) == [()]
    assert list(cc._within(0, [0.5], 9.0)) == [(0,)]


# --- _interval ---------------------------------------------------------------------------


def test_interval_by_hand() -> None:
    # Bounds widened by 1e-9 |x| + 1 first; then ceil((low - a) / coef - 1e-9) and
    # floor((high - a) / coef + 1e-9).
    # 10 <= 2j <= 20: low 8.99999999 -> ceil(4.499999995 - 1e-9) = 5; high 21.00000002 ->
    # floor(10.50000001 + 1e-9) = 10.
    assert cc._interval(0, 100, 0, 2, 10.0, 20.0) == (5, 10)
    # 3 <= j <= 7 (a = 0, coef 1): low 2 - 3e-9 -> ceil(2 - 4e-9) = 2; high 8 + 7e-9 -> 8.
    assert cc._interval(0, 100, 0, 1, 3.0, 7.0) == (2, 8)
    # the same with a = 1: 3 <= 1 + j <= 7 -> j in [1, 7] widened by one each side.
    assert cc._interval(0, 100, 1, 1, 3.0, 7.0) == (1, 7)
    # and clamped by [lo, hi] = [4, 5]
    assert cc._interval(4, 5, 0, 1, 3.0, 7.0) == (4, 5)
    # -20 <= -2j <= -10: lo = ceil((-8.99999999) / -2 - 1e-9) = 5,
    # hi = floor((-21.00000002) / -2 + 1e-9) = 10.
    assert cc._interval(0, 100, 0, -2, -20.0, -10.0) == (5, 10)
    assert cc._interval(6, 8, 0, -2, -20.0, -10.0) == (6, 8)
    # -20 <= 4 - 2j <= -10: j in [7, 12]; widened 1 / 2 -> lo = ceil(6.5 - 1e-9) = 7,
    # hi = floor(12.5 + ...) = 12.
    assert cc._interval(0, 100, 4, -2, -20.0, -10.0) == (7, 12)
    # infinite sides leave [lo, hi] alone (no ceil of an infinity)
    assert cc._interval(0, 9, 0, 3, -math.inf, math.inf) == (0, 9)
    assert cc._interval(0, 9, 0, -3, -math.inf, math.inf) == (0, 9)
    assert cc._interval(0, 9, 0, 3, 6.0, math.inf) == (2, 9)  # ceil((6 - 1 - 6e-9)/3) = 2
    assert cc._interval(0, 9, 0, 3, -math.inf, 6.0) == (0, 2)  # floor((7 + 6e-9)/3) = 2
    assert cc._interval(0, 9, 0, -3, -6.0, math.inf) == (0, 2)  # floor((-7 - 6e-9)/-3) = 2
    assert cc._interval(0, 9, 0, -3, -math.inf, -6.0) == (2, 9)  # ceil((-5 + 6e-9)/-3) = 2
    # coef 0: the whole range when low <= a <= high (widened by 1), else empty (1, 0)
    assert cc._interval(0, 5, 3, 0, 4.0, 9.0) == (0, 5)  # 4 - 1 - 4e-9 <= 3
    assert cc._interval(0, 5, 3, 0, -1.0, 2.0) == (0, 5)  # 3 <= 2 + 2e-9 + 1
    assert cc._interval(0, 5, 5, 0, 0.0, 2.0) == (1, 0)  # 5 > 3.000000002
    assert cc._interval(0, 5, -2, 0, 0.0, 2.0) == (1, 0)  # -2 < -1


@pytest.mark.parametrize("seed", range(4))
def test_interval_is_a_superset_within_one_step(seed: int) -> None:
    rng = np.random.default_rng(SEED + 100 + seed)
    for _ in range(200):
        lo, hi = sorted(int(v) for v in rng.integers(-20, 21, 2))
        a, coef = int(rng.integers(-30, 31)), int(rng.integers(-5, 6))
        low, high = sorted(float(v) for v in rng.integers(-60, 61, 2))
        got = cc._interval(lo, hi, a, coef, low, high)
        exact = [j for j in range(lo, hi + 1) if low <= a + coef * j <= high]
        inside = set(range(got[0], got[1] + 1))
        assert set(exact) <= inside
        # nothing further than the 1-unit widening of each bound
        wide = {j for j in range(lo, hi + 1) if low - 1.001 <= a + coef * j <= high + 1.001}
        assert inside <= wide or (coef == 0 and inside == set(range(lo, hi + 1)))


# --- Work, _basic, is_free ---------------------------------------------------------------


def test_work_counts_steps_and_checks_the_deadline_every_4096() -> None:
    w = cc.Work(3, math.inf)
    for _ in range(3):
        w.tick()
    assert w.left == 0
    with pytest.raises(cc.TooMany):
        w.tick()
    # deadline passed: only looked at when the steps left are a multiple of 4096
    late = cc.Work(4098, -math.inf)
    late.tick()  # 4097 left: not checked
    with pytest.raises(cc.TooMany):
        late.tick()  # 4096 left: checked, past
    assert late.left == 4096
    fine = cc.Work(4097, math.inf)
    fine.tick()  # 4096 left, deadline not reached
    assert fine.left == 4096


def test_basic_and_free_by_hand() -> None:
    z, one = Fraction(0), Fraction(1)
    p = problem([
        {"q": [1, 2, 3], "c": [1, 1, 1], "n": 4, "f": -1, "split": True},
        {"q": [1, 2], "c": [1, 1], "n": 4, "f": 1, "split": True},
        {"q": [1, 2, 3], "c": [1, 1, 1], "n": 4, "f": 1, "split": False},
        {"q": [1, 2, 3], "c": [1, 1, 1], "n": 4, "f": 1, "split": True},
    ])  # fmt: skip
    g = groups(p)
    pr = prices([z, one, z, z, z, z, z, z, z, one, z], [z, z, one, one])  # 11 options
    assert cc._basic(g[0], pr) == [0, 2]
    assert cc._basic(g[3], pr) == [0, 2]  # options 8, 9, 10: 9 has a loss
    assert cc.is_free(p, 0, g[0], pr)  # two zero-loss options, mu = 0
    assert cc.is_free(p, 1, g[1], pr)
    assert not cc.is_free(p, 2, g[2], pr)  # split: false never
    assert not cc.is_free(p, 3, g[3], pr)  # two zero-loss options with mu = 1
    pr3 = prices([z] * 11, [z, z, one, one])
    assert cc.is_free(p, 3, g[3], pr3)  # three zero-loss options, mu = 1
    pr1 = prices([z, one, one] + [z] * 8, [z, z, z, z])
    assert not cc.is_free(p, 0, g[0], pr1)  # one zero-loss option


# --- _task_configs, least_configs, least_penalties ---------------------------------------


@pytest.mark.parametrize("seed", range(8))
def test_task_configs_are_exactly_those_within_the_margin(seed: int) -> None:
    rng = np.random.default_rng(SEED + 200 + seed)
    for _ in range(40):
        p, pr, margin = random_task(rng)
        work = cc.Work(10**6, math.inf)
        got = cc._task_configs(p, p.cost, 0, groups(p)[0], pr, float(margin), work)
        want = {x for x, pen in all_configs(p, 0, pr).items() if pen <= margin}
        if int(p.volume[0]) > 0:  # (a task of 0 queries may list its empty config twice)
            assert len(got) == len(set(got))
        assert set(got) == want


@pytest.mark.parametrize("seed", range(4))
def test_task_configs_in_a_cost_window_keep_every_config_inside(seed: int) -> None:
    rng = np.random.default_rng(SEED + 300 + seed)
    for _ in range(40):
        p, pr, margin = random_task(rng)
        c = [int(v) for v in p.cost]
        lo = float(rng.integers(0, 30))
        window = (lo, lo + float(rng.integers(0, 15)))
        got = cc._task_configs(p, p.cost, 0, groups(p)[0], pr, float(margin),
                               cc.Work(10**6, math.inf), window)  # fmt: skip
        within = {x for x, pen in all_configs(p, 0, pr).items() if pen <= margin}
        inside = {x for x in within
                  if window[0] <= dot(c, x) <= window[1]}  # fmt: skip
        assert inside <= set(got) <= within


def test_task_configs_by_hand() -> None:
    # One task of 3 queries, options q = (5, 8, 9), floor 6; losses (1, 0, 0), mu = 1/2,
    # margin 2. Slack = -x0 + 2 x1 + 3 x2 >= 0; P = x0 + (slack) / 2.
    # (0,3,0): slack 6, P 3; (0,2,1): 7, 3.5; ... every x0 = 0 config has slack >= 6, P >= 3.
    # (1,2,0): slack 3, P 2.5; (1,1,1) 4, 3; (2,1,0): slack 0, P 2 -> kept; (2,0,1): 1, 2.5;
    # (3,0,0) fails the floor. So only (2,1,0) at margin 2, and at margin 3 also (0,3,0),
    # (1,2,0), (1,1,1), (2,0,1).
    p = problem([{"q": [5, 8, 9], "c": [1, 2, 3], "n": 3, "f": 6, "split": True}])
    pr = prices([Fraction(1), Fraction(0), Fraction(0)], [Fraction(1, 2)])
    g = groups(p)[0]
    assert cc._task_configs(p, p.cost, 0, g, pr, 2.0, cc.Work(100, math.inf)) == [(2, 1, 0)]
    got = cc._task_configs(p, p.cost, 0, g, pr, 3.0, cc.Work(100, math.inf))
    assert set(got) == {(2, 1, 0), (0, 3, 0), (1, 2, 0), (1, 1, 1), (2, 0, 1)}
    # split: false: one option takes all 3; (0,3,0) P 3 and (0,0,3) slack 9, P 4.5.
    q = problem([{"q": [5, 8, 9], "c": [1, 2, 3], "n": 3, "f": 6, "split": False}])
    assert cc._task_configs(q, q.cost, 0, g, pr, 3.0, cc.Work(100, math.inf)) == [(0, 3, 0)]
    assert cc._task_configs(q, q.cost, 0, g, pr, 5.0, cc.Work(100, math.inf)) == [
        (0, 3, 0), (0, 0, 3)]  # fmt: skip
    with pytest.raises(cc.TooMany):
        cc._task_configs(p, p.cost, 0, g, pr, 3.0, cc.Work(2, math.inf))


def least_cap(pens: list[Fraction]) -> Fraction:
    cap = Fraction(1)
    while cap < min(pens):
        cap *= 4
    return cap


def random_tasks(rng: np.random.Generator) -> tuple[list[dict[str, Any]], list[Any], list[Any]]:
    """One to three tasks drawn by :func:`random_task`: their raw fields, losses and prices."""
    tasks: list[dict[str, Any]] = []
    losses: list[Any] = []
    mus: list[Any] = []
    for _t in range(int(rng.integers(1, 4))):
        p1, pr1, _ = random_task(rng)
        tasks.append({"q": [int(v) for v in p1.quality], "c": [int(v) for v in p1.cost],
                      "n": int(p1.volume[0]), "f": int(p1.floor[0]),
                      "split": bool(p1.split[0])})  # fmt: skip
        losses += list(pr1.loss)
        mus += list(pr1.mu)
    return tasks, losses, mus


@pytest.mark.parametrize("seed", range(4))
def test_least_configs_and_penalties_match_brute_force(seed: int) -> None:
    rng = np.random.default_rng(SEED + 400 + seed)
    for _ in range(30):
        tasks, losses, mus = random_tasks(rng)
        p, pr = problem(tasks), prices(losses, mus)
        g = groups(p)
        every = [all_configs(p, t, pr) for t in range(len(tasks))]
        for t, configs in enumerate(every):
            got = cc.least_configs(p, p.cost, t, g[t], pr, cc.Work(10**6, math.inf))
            if not configs:
                assert got == []
                continue
            cap = least_cap(list(configs.values()))
            assert set(got) == {x for x, pen in configs.items() if pen <= cap}
        least = cc.least_penalties(p, p.cost, g, pr, cc.Work(10**6, math.inf))
        if any(not configs for configs in every):
            assert least == [Fraction(0)] * len(tasks)
            continue
        want = [Fraction(0) if free_rule(p, t, pr) or int(p.volume[t]) == 0
                else min(every[t].values()) for t in range(len(tasks))]  # fmt: skip
        assert least == want
        assert cc.least_penalties(p, p.cost, g, pr, cc.Work(0, math.inf)) in (None, want)


def test_least_penalties_by_hand() -> None:
    # Task 0 as in test_task_configs_by_hand: least P = 2 at (2,1,0) (within cap 4 after
    # cap 1 finds nothing: every config has P >= 2). Task 1 is free (2 zero-loss, mu 0): 0.
    p = problem([
        {"q": [5, 8, 9], "c": [1, 2, 3], "n": 3, "f": 6, "split": True},
        {"q": [1, 2], "c": [1, 1], "n": 5, "f": -1, "split": True},
    ])  # fmt: skip
    pr = prices([Fraction(1), Fraction(0), Fraction(0), Fraction(0), Fraction(0)],
                [Fraction(1, 2), Fraction(0)])  # fmt: skip
    g = groups(p)
    least = cc.least_penalties(p, p.cost, g, pr, cc.Work(1000, math.inf))
    assert least == [Fraction(2), Fraction(0)]
    # Cap 1 admits nothing (least P 2), cap 4 every config but (0,0,3) (slack 9, P 4.5):
    # P = 3, 3.5, 4 for (0,3,0), (0,2,1), (0,1,2); 2.5, 3, 3.5 for (1,2,0), (1,1,1), (1,0,2);
    # 2, 2.5 for (2,1,0), (2,0,1).
    assert set(cc.least_configs(p, p.cost, 0, g[0], pr, cc.Work(1000, math.inf))) == {
        (0, 3, 0), (0, 2, 1), (0, 1, 2), (1, 2, 0), (1, 1, 1), (1, 0, 2), (2, 1, 0), (2, 0, 1)}
    assert cc.least_penalties(p, p.cost, g, pr, cc.Work(1, math.inf)) is None


# --- build -------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_build_arrays_match_brute_force(seed: int) -> None:
    rng = np.random.default_rng(SEED + 500 + seed)
    for _ in range(25):
        tasks, losses, mus = random_tasks(rng)
        budget = int(rng.integers(0, 60))
        lam = Fraction(int(rng.integers(0, 5)), 4)
        p, pr = problem(tasks, budget), prices(losses, mus, lam)
        g = groups(p)
        floor_pen = [float(rng.integers(0, 3)) for _ in tasks]
        margin = float(rng.integers(0, 5))
        out = cc.build(p, p.cost, g, pr, floor_pen, margin, cc.Work(10**6, math.inf))
        assert out is not None
        found, cost, value, feas = out
        within = [{x for x, pen in all_configs(p, t, pr).items() if pen <= floor_pen[t] + margin}
                  for t in range(len(tasks))]  # fmt: skip
        free = [t for t in range(len(tasks)) if free_rule(p, t, pr)]
        for t, task in enumerate(found):
            assert task.options.tolist() == g[t].tolist()
            if t not in free:
                assert set(task.configs) == within[t]
            else:
                assert set(task.configs) <= within[t]
        spend = [{x: sum(int(p.cost[int(o)]) * k for o, k in zip(g[t], x, strict=True))
                  for x in within[t]} for t in range(len(tasks))]  # fmt: skip
        for t in free:  # every config of a plan spending in [B - margin / lam, B] is kept
            others = {0}
            for u in range(len(tasks)):
                if u != t:
                    others = {a + b for a in others for b in spend[u].values()}
            low = -math.inf if lam == 0 else budget - Fraction(margin) / lam
            need = {x for x, c in spend[t].items() if any(low <= c + o <= budget for o in others)}
            assert need <= set(found[t].configs)
        if any(not task.configs for task in found):
            assert cost.shape == value.shape == feas.shape == (0, 0)
            continue
        width = max(len(task.configs) for task in found)
        assert cost.shape == value.shape == feas.shape == (len(tasks), width)
        for t, task in enumerate(found):
            for i, x in enumerate(task.configs):
                assert cost[t, i] == dot([int(p.cost[int(o)]) for o in g[t]], x)
                assert value[t, i] == dot([int(p.quality[int(o)]) for o in g[t]], x)
            assert feas[t].tolist() == [i < len(task.configs) for i in range(width)]
            assert cost[t, len(task.configs):].tolist() == [0] * (width - len(task.configs))


def test_build_gives_up_over_its_caps() -> None:
    # One task of 100 queries, a zero-loss option and two of loss 1/4, margin 1000: every
    # (a, b) with a + b <= 100 is within it, C(102, 2) = 5,151 configurations > 4,096.
    p = problem([{"q": [1, 1, 1], "c": [1, 1, 1], "n": 100, "f": -1, "split": True}], 10**6)
    pr = prices([Fraction(0), Fraction(1, 4), Fraction(1, 4)], [Fraction(0)])
    g = groups(p)
    assert len(cc._task_configs(p, p.cost, 0, g[0], pr, 1000.0, cc.Work(10**6, math.inf))) == (
        5151)
    assert cc.build(p, p.cost, g, pr, [0.0], 1000.0, cc.Work(10**6, math.inf)) is None
    # 100 queries at margin 10: a + b <= 40, C(42, 2) = 861 configurations, width 861
    out = cc.build(p, p.cost, g, pr, [0.0], 10.0, cc.Work(10**6, math.inf))
    assert out is not None
    assert out[1].shape == (1, 861)
    assert cc.build(p, p.cost, g, pr, [0.0], 10.0, cc.Work(5, math.inf)) is None  # TooMany
