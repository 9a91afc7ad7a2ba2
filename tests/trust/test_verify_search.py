"""The checker's re-derivation of a class-level ``proof: search`` against brute force.

Small random class-level problems (a budget, floors, ``split: false``) are solved by
enumerating every integer allocation (the oracle: no solver, no costplan code). The
checker's :func:`costplan.verify.search.prove` must then accept the brute-force optimum
``z*`` as optimal (no plan beats it) and refute ``z* - 1`` (a better plan exists), for any
non-negative prices: the cuts it derives from the prices are valid whatever they are.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from fractions import Fraction

from costplan.verify.certificate import Opt, Priced
from costplan.verify.search import margin, prove

SEED = 20261202
CASES = 200


@dataclass(frozen=True)
class _Task:
    name: str
    volume: int
    split: bool


def _allocations(volume: int, n: int, split: bool) -> list[tuple[int, ...]]:
    if not split:
        return [tuple(volume if k == j else 0 for k in range(n)) for j in range(n)]
    return [c for c in itertools.product(range(volume + 1), repeat=n) if sum(c) == volume]


def _sum(tasks: list[_Task], opts: dict[str, list[Opt]], combo: tuple[tuple[int, ...], ...],
         what: str) -> int:  # fmt: skip
    return sum(getattr(o, what) * x for t, a in zip(tasks, combo, strict=True)
               for o, x in zip(opts[t.name], a, strict=True))  # fmt: skip


def _brute(tasks: list[_Task], opts: dict[str, list[Opt]], floors: dict[str, int],
           budget: int) -> int | None:  # fmt: skip
    """Best total quality over every allocation meeting floors and budget (None: none)."""
    per_task = []
    for t in tasks:
        ok = []
        for a in _allocations(t.volume, len(opts[t.name]), t.split):
            f = floors.get(t.name)
            pairs = zip(opts[t.name], a, strict=True)
            if f is None or sum((o.q - f) * x for o, x in pairs) >= 0:
                ok.append(a)
        per_task.append(ok)
    best = None
    for combo in itertools.product(*per_task):
        if _sum(tasks, opts, combo, "b") <= budget:
            q = _sum(tasks, opts, combo, "q")
            best = q if best is None else max(best, q)
    return best


def _priced(tasks: list[_Task], opts: dict[str, list[Opt]], floors: dict[str, int],
            budget: int, lam: Fraction, mus: dict[str, Fraction]) -> Priced:  # fmt: skip
    """D written out from docs/certificate.md: lam B + sum_t V_t max_o a_o,
    a_o = q_o - lam b_o + mu_t (q_o - f_t)."""
    values = {t.name: [o.q - lam * o.b + mus.get(t.name, Fraction(0))
                       * (o.q - floors.get(t.name, 0)) for o in opts[t.name]]
              for t in tasks}  # fmt: skip
    d = lam * budget + sum((t.volume * max(values[t.name]) for t in tasks), Fraction(0))
    prices = {"budget": lam, **{f"floor:{k}": v for k, v in mus.items()}}
    return Priced("max", opts, values, prices, {}, budget, floors, d)


def test_search_agrees_with_brute_force() -> None:
    rng = random.Random(SEED)
    print(f"seed {SEED}")
    checked = refuted = binding = 0
    for _ in range(CASES):
        tasks = [_Task(f"t{i}", rng.randint(1, 4), rng.random() < 0.7)
                 for i in range(rng.randint(1, 3))]  # fmt: skip
        opts = {t.name: [Opt(rng.randint(0, 20), 0, rng.randint(1, 12), ())
                         for _ in range(rng.randint(1, 3))] for t in tasks}  # fmt: skip
        floors = {t.name: rng.randint(0, 8) for t in tasks if rng.random() < 0.5}
        low = sum(t.volume * min(o.b for o in opts[t.name]) for t in tasks)
        high = sum(t.volume * max(o.b for o in opts[t.name]) for t in tasks)
        budget = rng.randint(low, high)  # between the cheapest and the dearest plan
        z = _brute(tasks, opts, floors, budget)
        if z is None:
            continue
        binding += z < (_brute(tasks, opts, floors, 10**9) or 0)
        lam = Fraction(rng.randint(0, 8), rng.randint(1, 8))
        mus = {name: Fraction(rng.randint(0, 4), rng.randint(1, 4)) for name in floors}
        pr = _priced(tasks, opts, floors, budget, lam, mus)
        assert margin("max", pr.d, z) >= -1  # D is an upper bound on z* (weak duality)
        assert prove(pr, tuple(tasks), {}, z, None) is None, (tasks, opts, floors, budget)  # type: ignore[arg-type]
        checked += 1
        if margin("max", pr.d, z - 1) >= 0:
            why = prove(pr, tuple(tasks), {}, z - 1, None)  # type: ignore[arg-type]
            assert why == "the checker's search found a better plan"
            refuted += 1
    # minimum success rates: most random instances are feasible and get both checks
    print(f"checked {checked}, refuted {refuted}, budget binding {binding}")
    assert checked >= CASES // 2, checked
    assert refuted >= checked // 2, refuted
    assert binding >= checked // 4, binding  # the budget decides a good share of them
