"""The checker's exact search (costplan.verify.search) on what its other tests never give it.

Written to kill mutants the suite let survive: side rows (``capacity:<model>:requests``,
``capacity:<model>:tokens``, ``share:<provider>`` with fractional coefficients), the ``min``
sense, priced side rows (their slack cuts), tasks with no volume or no option, and rows past
int64 (relaxed, then every plan found re-checked exactly). Oracles: enumeration of every
integer allocation with the rows written out here from the README's definitions
(requests = sum of the steps' reach on the model, tokens = sum of reach x tokens, share =
spend on the provider minus cap x the option's cost, at most 0), and hand arithmetic in
comments for the fixed cases. Never the code's own output.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from ortools.sat.python import cp_model

from costplan.verify.certificate import Opt, Priced, _coef
from costplan.verify.classplan import Step
from costplan.verify.search import _INT64, Big, _fits, _floor, add_row, cut, margin, prove, run

F = Fraction
SEED = 20261203
CASES = 200
BETTER = "the checker's search found a better plan"


@dataclass(frozen=True)
class _Task:
    name: str
    volume: int
    split: bool


def _allocations(volume: int, n: int, split: bool) -> list[tuple[int, ...]]:
    if not split:
        return [tuple(volume if k == j else 0 for k in range(n)) for j in range(n)]
    return [c for c in itertools.product(range(volume + 1), repeat=n) if sum(c) == volume]


def _row_coef(label: str, o: Opt, shares: dict[str, Fraction]) -> Fraction:
    """The side row's coefficient, from the README's definitions (not the checker's)."""
    parts = label.split(":")
    if parts[0] == "capacity":
        on = [s for s in o.steps if s.model == parts[1]]
        if parts[2] == "requests":
            return sum((s.reach for s in on), F(0))
        return sum((s.reach * s.tokens for s in on), F(0))
    p = parts[1]
    cap = shares[p] if p in shares else shares["*"]
    return sum((s.reach * s.cost for s in o.steps if s.provider == p), F(0)) - cap * o.c


@dataclass(frozen=True)
class _Case:
    sense: str
    tasks: list[_Task]
    opts: dict[str, list[Opt]]
    floors: dict[str, int]
    budget: int | None
    rhs: dict[str, Fraction]
    shares: dict[str, Fraction]


def _brute(c: _Case) -> int | None:
    """Best objective over every allocation meeting every row (None: no plan)."""
    per_task = []
    for t in c.tasks:
        ok = []
        for a in _allocations(t.volume, len(c.opts[t.name]), t.split):
            f = c.floors.get(t.name)
            pairs = zip(c.opts[t.name], a, strict=True)
            if f is None or sum((o.q - f) * x for o, x in pairs) >= 0:
                ok.append(a)
        per_task.append(ok)
    best = None
    for combo in itertools.product(*per_task):
        used = [(o, x) for t, a in zip(c.tasks, combo, strict=True)
                for o, x in zip(c.opts[t.name], a, strict=True)]  # fmt: skip
        if c.budget is not None and sum(o.b * x for o, x in used) > c.budget:
            continue
        if any(sum(_row_coef(r, o, c.shares) * x for o, x in used) > rhs
               for r, rhs in c.rhs.items()):  # fmt: skip
            continue
        z = sum((o.q if c.sense == "max" else o.c) * x for o, x in used)
        if best is None or (z > best if c.sense == "max" else z < best):
            best = z
    return best


def _priced(c: _Case, prices: dict[str, Fraction]) -> Priced:
    """D from docs/certificate.md, written out (module docstring of verify/certificate.py):
    max: a_o = q_o - lam b_o + mu_t (q_o - f_t) - sum_r nu_r a_ro,
         D = lam B + sum_r nu_r rhs_r + sum_t V_t max_o a_o;
    min: a_o = c_o + lam b_o - mu_t (q_o - f_t) + sum_r nu_r a_ro,
         D = -lam B - sum_r nu_r rhs_r + sum_t V_t min_o a_o."""
    sg = 1 if c.sense == "max" else -1
    lam = prices.get("budget", F(0))
    values: dict[str, list[Fraction]] = {}
    d = sg * (lam * (c.budget or 0) + sum((prices.get(r, F(0)) * v for r, v in c.rhs.items()),
                                          F(0)))  # fmt: skip
    for t in c.tasks:
        mu = prices.get(f"floor:{t.name}", F(0))
        f = c.floors.get(t.name, 0)
        vals = []
        for o in c.opts[t.name]:
            side = sum((prices.get(r, F(0)) * _row_coef(r, o, c.shares) for r in c.rhs), F(0))
            base = o.q if c.sense == "max" else o.c
            vals.append(base + sg * (-lam * o.b + mu * (o.q - f) - side))
        values[t.name] = vals
        if t.volume:
            d += t.volume * (max(vals) if c.sense == "max" else min(vals))
    return Priced(c.sense, c.opts, values, prices, c.rhs, c.budget, c.floors, d)


def _random_case(rng: random.Random) -> _Case:
    sense = rng.choice(["max", "min"])
    tasks = [_Task(f"t{i}", rng.randint(1, 3), rng.random() < 0.6)
             for i in range(rng.randint(1, 2))]  # fmt: skip
    opts: dict[str, list[Opt]] = {}
    for t in tasks:
        opts[t.name] = []
        for _ in range(rng.randint(1, 3)):
            steps = tuple(
                Step(rng.choice(["m1", "m2"]), rng.choice(["p1", "p2"]),
                     F(1) if k == 0 else F(1, rng.randint(2, 3)), rng.randint(1, 9),
                     rng.randint(1, 7))
                for k in range(rng.randint(1, 2)))  # fmt: skip
            c = math.ceil(sum((s.reach * s.cost for s in steps), F(0)))
            opts[t.name].append(Opt(rng.randint(0, 20), c, c + rng.randint(0, 3), steps))
    floors = {t.name: rng.randint(0, 12) for t in tasks if rng.random() < 0.4}
    vol = sum(t.volume for t in tasks)
    budget = rng.randint(vol * 3, vol * 13) if rng.random() < 0.6 else None
    rhs: dict[str, Fraction] = {}
    for m in ("m1", "m2"):
        if rng.random() < 0.4:
            rhs[f"capacity:{m}:requests"] = F(rng.randint(vol // 2, 2 * vol), rng.randint(1, 2))
        if rng.random() < 0.3:
            rhs[f"capacity:{m}:tokens"] = F(rng.randint(2 * vol, 10 * vol))
    shares: dict[str, Fraction] = {}
    if rng.random() < 0.5:
        p = rng.choice(["p1", "p2", "*"])
        shares[p] = F(rng.randint(2, 5), 6)
        if p == "*":
            rhs["share:p1"] = rhs["share:p2"] = F(0)
        else:
            rhs[f"share:{p}"] = F(0)
    return _Case(sense, tasks, opts, floors, budget, rhs, shares)


def _random_prices(rng: random.Random, c: _Case) -> dict[str, Fraction]:
    labels = [*c.rhs, *(f"floor:{n}" for n in c.floors)] + (["budget"] * (c.budget is not None))
    if rng.random() < 0.25:
        return {}
    return {r: F(rng.randint(0, 4), rng.randint(1, 5)) for r in labels if rng.random() < 0.7}


def test_search_with_side_rows_and_both_senses_agrees_with_brute_force() -> None:
    rng = random.Random(SEED)
    print(f"seed {SEED}")
    checked = {"max": 0, "min": 0}
    sided = priced_side = tight = 0
    for _ in range(CASES):
        c = _random_case(rng)
        z = _brute(c)
        if z is None:
            continue
        prices = _random_prices(rng, c)
        pr = _priced(c, prices)
        assert margin(c.sense, pr.d, z) >= -1, c  # weak duality: D bounds z*
        assert prove(pr, tuple(c.tasks), c.shares, z, _coef) is None, (c, prices)
        better = z - 1 if c.sense == "max" else z + 1  # a claim one unit worse than z*
        assert margin(c.sense, pr.d, better) >= 0
        assert prove(pr, tuple(c.tasks), c.shares, better, _coef) == BETTER, (c, prices)
        checked[c.sense] += 1
        sided += z != _brute(_Case(c.sense, c.tasks, c.opts, c.floors, c.budget, {}, {}))
        priced_side += any(prices.get(r, 0) > 0 for r in c.rhs)
        tight += margin(c.sense, pr.d, better) == 0
    print(f"checked {checked}, side rows binding {sided}, priced side rows {priced_side}, "
          f"D tight {tight}")  # fmt: skip
    # minimum success rates: both senses, side rows that decide the optimum, priced rows
    assert min(checked.values()) >= CASES // 6, checked
    assert sided >= 10, sided
    assert priced_side >= 20, priced_side


def _one(q: int, c: int, b: int, steps: tuple[Step, ...] = ()) -> Opt:
    return Opt(q, c, b, steps)


def test_share_row_with_a_third_cap_decides_the_optimum() -> None:
    # One task, 3 queries, split. Option A: quality 10, cost 3 all on p1; option B: quality 4,
    # cost 3 all on p2. share:p1 <= 1/3 of spend: 3 a - (1/3)(3 a + 3 b) <= 0 with a + b = 3
    # gives 2a - b <= 0 -> a <= 1. Best: a = 1, b = 2: quality 10 + 8 = 18 (without the row 30).
    a = _one(10, 3, 3, (Step("mA", "p1", F(1), 3, 5),))
    b = _one(4, 3, 3, (Step("mB", "p2", F(1), 3, 5),))
    t = _Task("t", 3, True)
    case = _Case("max", [t], {"t": [a, b]}, {}, None, {"share:p1": F(0)}, {"p1": F(1, 3)})
    assert _brute(case) == 18
    pr = _priced(case, {})  # D = 3 x 10 = 30
    assert pr.d == 30
    assert prove(pr, (t,), case.shares, 18, _coef) is None
    assert prove(pr, (t,), case.shares, 17, _coef) == BETTER
    # the "*" cap stands for every provider without its own (p1 here): same answer
    star = {"*": F(1, 3)}
    assert prove(pr, (t,), star, 18, _coef) is None
    assert prove(pr, (t,), star, 17, _coef) == BETTER
    # priced at nu = 1 on the row's coefficients (a: 3 - 1 = 2, b: 0 - 1 = -1):
    # a_A = 10 - 2 = 8, a_B = 4 + 1 = 5, D = 1 x 0 + 3 x 8 = 24 >= 18
    pr1 = _priced(case, {"share:p1": F(1)})
    assert pr1.d == 24
    assert prove(pr1, (t,), case.shares, 18, _coef) is None
    assert prove(pr1, (t,), case.shares, 17, _coef) == BETTER


def test_capacity_tokens_row_in_min_sense() -> None:
    # min cost; one task, 2 queries, split; floor 5. A: q 9, cost 2, 4 tokens on m1;
    # B: q 3, cost 1, 1 token on m1. Floor: 4a - 2b >= 0 -> a >= b -> a >= 1.
    # capacity:m1:tokens <= 5: 4a + b <= 5 -> (a, b) = (1, 1): cost 3; (2, 0) needs 8 tokens.
    a = _one(9, 2, 2, (Step("m1", "p", F(1), 2, 4),))
    b = _one(3, 1, 1, (Step("m1", "p", F(1), 1, 1),))
    t = _Task("t", 2, True)
    case = _Case("min", [t], {"t": [a, b]}, {"t": 5}, None, {"capacity:m1:tokens": F(5)}, {})
    assert _brute(case) == 3
    pr = _priced(case, {})  # D = 2 x min(2, 1) = 2
    assert pr.d == 2
    assert prove(pr, (t,), {}, 3, _coef) is None
    assert prove(pr, (t,), {}, 4, _coef) == BETTER
    # without the capacity row (2, 0) costs 4 and (1, 1) 3: the row is not binding at 3, but a
    # row of 3 tokens leaves no plan: a >= 1 needs 4 tokens
    case3 = _Case("min", [t], {"t": [a, b]}, {"t": 5}, None, {"capacity:m1:tokens": F(3)}, {})
    assert _brute(case3) is None
    assert prove(_priced(case3, {}), (t,), {}, 100, _coef) is None


def test_margin_and_cut_by_hand() -> None:
    assert margin("max", F(15), 10) == 4  # D - z - 1
    assert margin("min", F(5), 10) == 4  # z - 1 - D
    assert margin("min", F(21, 2), 10) == F(-3, 2)
    assert cut(F(7), F(2), 10) == 3  # floor(7 / 2)
    assert cut(F(7), F(0), 10) == 10  # unpriced: the full volume
    assert cut(F(100), F(1), 5) == 5
    assert cut(F(7, 2), F(1, 3), 20) == 10  # floor(21 / 2)
    assert _floor(F(-1, 2)) == -1


def test_tight_margin_still_searches() -> None:
    # one query, one option of quality 5: D = 5; a claim z = 4 leaves S = 0 but the plan of
    # quality 5 beats it; z = 5 gives S = -1: D alone proves it
    t = _Task("t", 1, True)
    o = _one(5, 1, 1)
    pr = Priced("max", {"t": [o]}, {"t": [F(5)]}, {}, {}, None, {}, F(5))
    assert prove(pr, (t,), {}, 4, _coef) == BETTER
    assert prove(pr, (t,), {}, 5, _coef) is None
    pm = Priced("min", {"t": [o]}, {"t": [F(1)]}, {}, {}, None, {}, F(1))
    assert prove(pm, (t,), {}, 2, _coef) == BETTER  # S = 2 - 1 - 1 = 0
    assert prove(pm, (t,), {}, 1, _coef) is None


def test_tasks_without_volume_or_options() -> None:
    empty = _Task("e", 0, True)  # no volume: skipped, whatever its options
    t = _Task("t", 2, False)
    a, b = _one(7, 1, 1), _one(3, 1, 1)
    pr = Priced("max", {"e": [], "t": [a, b]}, {"e": [], "t": [F(7), F(3)]}, {}, {}, None, {},
                F(14))  # fmt: skip
    assert prove(pr, (empty, t), {}, 13, _coef) == BETTER  # both queries on a: 14
    assert prove(pr, (empty, t), {}, 14, _coef) is None
    none = Priced("max", {"t": []}, {"t": []}, {}, {}, None, {}, F(1))
    assert prove(none, (t,), {}, 0, _coef) == "task 't' has no usable option"


def test_split_false_domain_under_a_cut() -> None:
    # split: false, 2 queries; a: q 7, b: q 3; D = 14. z = 10: S = 3, d_b = 4 -> b capped at
    # floor(3 / 4) = 0 < 2: b's domain is {0}; a's ({0, 2}) gives 14 > 10
    t = _Task("t", 2, False)
    a, b = _one(7, 1, 1), _one(3, 1, 1)
    pr = Priced("max", {"t": [a, b]}, {"t": [F(7), F(3)]}, {}, {}, None, {}, F(14))
    assert prove(pr, (t,), {}, 10, _coef) == BETTER
    # a budget of 1 forbids a (2 queries x 1 = 2 > 1) and b alike: no plan at all
    pb = Priced("max", {"t": [a, b]}, {"t": [F(7), F(3)]}, {}, {}, 1, {}, F(14))
    assert prove(pb, (t,), {}, 5, _coef) is None


def test_split_false_under_a_budget() -> None:
    # 2 queries, split: false, budget 3; a: q 7, budget cost 2; b: q 3, budget cost 1.
    # (2, 0) costs 4 > 3, (0, 2) costs 2: z* = 6. Split, (1, 1) would cost 3 for quality 10.
    t = _Task("t", 2, False)
    a, b = _one(7, 2, 2), _one(3, 1, 1)
    case = _Case("max", [t], {"t": [a, b]}, {}, 3, {}, {})
    assert _brute(case) == 6
    assert _brute(_Case("max", [_Task("t", 2, True)], case.opts, {}, 3, {}, {})) == 10
    pr = _priced(case, {})  # D = 14
    assert prove(pr, (t,), {}, 6, _coef) is None
    assert prove(pr, (t,), {}, 5, _coef) == BETTER


def test_floor_and_objective_past_int64() -> None:
    t = _Task("t", 1, True)
    big = _one(2**62, 1, 1)  # (q - 0) x 1 = 2^62: not below 2^62
    pr = Priced("max", {"t": [big]}, {"t": [F(2**62)]}, {}, {}, None, {"t": 0}, F(2**62))
    assert prove(pr, (t,), {}, 0, _coef) == "the floor rows pass int64"
    ok = _one(2**62 - 1, 1, 1)  # just below: fits, and the plan of quality 2^62 - 1 beats 0
    pr = Priced("max", {"t": [ok]}, {"t": [F(2**62 - 1)]}, {}, {}, None, {"t": 0},
                F(2**62 - 1))  # fmt: skip
    assert prove(pr, (t,), {}, 0, _coef) == BETTER
    # objective: 2 queries of quality 2^61 reach 2^62
    t2 = _Task("t", 2, True)
    half = _one(2**61, 1, 1)
    pr = Priced("max", {"t": [half]}, {"t": [F(2**61)]}, {}, {}, None, {}, F(2**62))
    assert prove(pr, (t2,), {}, 0, _coef) == (
        "the objective passes int64: beyond the checker's exact search"
    )
    # min sense reads the cost: 2 queries of cost 2^61 pass, of quality 2^61 and cost 1 do not
    pm = Priced("min", {"t": [half]}, {"t": [F(1)]}, {}, {}, None, {}, F(2))
    assert prove(pm, (t2,), {}, 3, _coef) == BETTER  # cost 2 <= 2
    costly = _one(0, 2**61, 1)
    pm = Priced("min", {"t": [costly]}, {"t": [F(2**61)]}, {}, {}, None, {}, F(2**62))
    assert "objective passes int64" in str(prove(pm, (t2,), {}, 2**62 + 1, _coef))


def test_budget_row_past_int64_is_rechecked_exactly() -> None:
    # one task, 2 queries, split; a: q 1, budget cost 3e18 + 9; b: q 0, cost 0.
    # B = 6e18 + 17: 2 x a = 6e18 + 18 > B, so at most one a: z* = 1 (by hand).
    # The row reaches 2 x (3e18 + 9) > 2^62: relaxed by u = 10 to 3e17 x a <= 6e17 + 1, which
    # lets a = 2 through; the exact re-check must refuse it.
    t = _Task("t", 2, True)
    a, b = _one(1, 1, 3 * 10**18 + 9), _one(0, 1, 0)
    budget = 6 * 10**18 + 17
    case = _Case("max", [t], {"t": [a, b]}, {}, budget, {}, {})
    assert _brute(case) == 1
    pr = _priced(case, {})  # D = 2
    assert prove(pr, (t,), {}, 1, _coef) is None
    assert prove(pr, (t,), {}, 0, _coef) == BETTER
    # priced (lam > 0) the row gets no slack cut past int64, the answer is the same:
    # lam = 1/10^18: a_a = 1 - 3 - 9/10^18, a_b = 0, D = 6 + 17/10^18 + 2 x 0
    pl = _priced(case, {"budget": F(1, 10**18)})
    assert pl.d == 6 + F(17, 10**18)
    assert prove(pl, (t,), {}, 1, _coef) is None
    assert prove(pl, (t,), {}, 0, _coef) == BETTER


def test_side_row_past_int64() -> None:
    # capacity:m:tokens <= 2^61 + 2^60 with 2^61 tokens per query of a: a at most once among
    # 2 queries. q_a 5, q_b 1: z* = 6 (a once, b once); the row reaches 2 x 2^61 = 2^62, past
    # int64: relaxed (and still refusing a twice). Then the same with a rhs of 3/2 x 2^61 + 1/2
    # (scaled by 2): a once still fits exactly.
    t = _Task("t", 2, True)
    a = _one(5, 1, 1, (Step("m", "p", F(1), 1, 2**61),))
    b = _one(1, 1, 1, (Step("n", "p", F(1), 1, 1),))
    rhs = {"capacity:m:tokens": F(2**61 + 2**60)}
    case = _Case("max", [t], {"t": [a, b]}, {}, None, rhs, {})
    assert _brute(case) == 6
    pr = _priced(case, {})  # D = 10
    assert prove(pr, (t,), {}, 6, _coef) is None
    assert prove(pr, (t,), {}, 5, _coef) == BETTER
    half = {"capacity:m:tokens": F(3 * 2**61 + 1, 2)}
    case = _Case("max", [t], {"t": [a, b]}, {}, None, half, {})
    assert _brute(case) == 6
    assert prove(_priced(case, {}), (t,), {}, 6, _coef) is None
    assert prove(_priced(case, {}), (t,), {}, 5, _coef) == BETTER


def _added(coef: int, ub: int, rhs: int) -> tuple[Any, list[int], int, list[Big]]:
    """add_row on a fresh model with one variable in [0, ub]: (returned expression, the
    coefficients and the upper side of the linear constraint added, the big rows)."""
    model = cp_model.CpModel()
    x = model.new_int_var(0, ub, "x")
    big: list[Big] = []
    expr = add_row(model, "r", [(coef, x)], [ub], rhs, big)
    proto = model.proto  # read once, after every addition, and kept alive while read
    assert len(proto.constraints) == 1
    linear = proto.constraints[0].linear
    coeffs, upper = list(linear.coeffs), int(list(linear.domain)[-1])
    del linear, proto
    return expr, coeffs, upper, big


def test_add_row_fits_or_relaxes_by_powers_of_ten() -> None:
    # reach 2^62 - 1: fits, added exactly, returned, not kept as big
    expr, coeffs, upper, big = _added(2**62 - 1, 1, 5)
    assert expr is not None
    assert coeffs == [2**62 - 1]
    assert upper == 5
    assert big == []
    # 10^19 x <= 10^19 + 7: 10^19 > 2^62, divided by 10 once: 10^18 x <= 10^18
    expr, coeffs, upper, big = _added(10**19, 1, 10**19 + 7)
    assert expr is None
    assert coeffs == [10**18]
    assert upper == 10**18
    assert [(label, [c for c, _ in terms], rhs) for label, terms, rhs in big] == [
        ("r", [10**19], 10**19 + 7)
    ]
    # 5 x 10^20 + 3: two divisions by 10 are not enough (5 x 10^18 > 2^62), three are
    expr, coeffs, upper, big = _added(5 * 10**20 + 3, 1, 10**21 + 9)
    assert expr is None
    assert coeffs == [5 * 10**17]
    assert upper == 10**18
    assert len(big) == 1
    # a small coefficient whose upper bound makes the row large: 3 x 2^61 = 1.5 x 2^62;
    # floor(3 / 10) = 0: the relaxed row is 0 <= floor(2^61 / 10)
    expr, coeffs, upper, big = _added(3, 2**61, 2**61)
    assert expr is None
    assert coeffs == []
    assert upper == 2**61 // 10
    assert len(big) == 1
    # the rhs alone past int64: -(2^62) fits no int64 row; relaxed to floor(-(2^62) / 10)
    expr, coeffs, upper, big = _added(1, 1, -(2**62))
    assert expr is None
    assert upper == -(2**62) // 10
    assert len(big) == 1


def test_fits_boundaries() -> None:
    x = object()
    assert _INT64 == 2**62
    assert _fits([(2**62 - 1, x)], [1], 0)
    assert not _fits([(2**62, x)], [1], 0)
    assert not _fits([(-(2**62), x)], [1], 0)  # |c| counts
    assert _fits([(2**61, x), (-(2**61) + 1, x)], [1, 1], 0)  # 2^62 - 1
    assert not _fits([(2**61, x), (-(2**61), x)], [1, 1], 0)  # 2^62, not 0
    assert not _fits([(1, x)], [2**62], 0)  # ub counts
    assert _fits([], [], 2**62 - 1)
    assert not _fits([], [], 2**62)
    assert not _fits([], [], -(2**62))  # |rhs| counts


def _run_case(lo: int, hi: int, limit: int, rounds: int) -> str | None:
    """x in [lo, hi] in the model; the exact row x <= limit only in ``big``."""
    model = cp_model.CpModel()
    x = model.new_int_var(lo, hi, "")
    big: list[Big] = [("cap", [(1, x)], limit)]
    return run(model, [x], big, rounds)


def test_run_rechecks_big_rows_and_forbids_broken_plans() -> None:
    assert _run_case(1, 1, 1, 20) == BETTER  # x = 1 meets x <= 1 exactly (not broken)
    assert _run_case(0, 3, 1, 20) == BETTER  # at most 2 broken plans are forbidden first
    # x in {2, 3}: both break x <= 1; two rounds forbid both without an answer, a third
    # round finds the model infeasible
    exhausted = "the checker's exact search did not finish within its limit (rows past int64: cap)"
    assert _run_case(2, 3, 1, 2) == exhausted
    assert _run_case(2, 3, 1, 3) is None
    assert _run_case(2, 3, 3, 1) == BETTER
    # with two big rows, both named
    model = cp_model.CpModel()
    x = model.new_int_var(5, 5, "")
    both: list[Big] = [("a", [(1, x)], 4), ("b", [(2, x)], 9)]
    assert run(model, [x], both, 1).endswith("(rows past int64: a, b)")  # type: ignore[union-attr]
    # the default number of rounds is enough for 3 broken plans
    m2 = cp_model.CpModel()
    y = m2.new_int_var(2, 4, "")
    assert run(m2, [y], [("c", [(1, y)], 1)]) is None


def test_model_infeasible_without_big_rows() -> None:
    model = cp_model.CpModel()
    x = model.new_int_var(0, 1, "")
    model.add(x >= 2)
    assert run(model, [x], []) is None
    m = cp_model.CpModel()
    m.new_int_var(0, 1, "")
    assert run(m, [], []) == BETTER
