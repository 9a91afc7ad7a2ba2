"""``--confidence`` on 200 random small instances (seed printed; every instance must pass).

For each instance the outer approximation's plan must

1. meet the budget in a 100,000-draw Monte Carlo of the period total, drawn here from
   the README's model with numpy (not costplan's sampler), at a rate of at least
   ``c - 3 sqrt(c (1 - c) / D)``;
2. never be beaten by a brute-force search over every count vector, which evaluates the
   deterministic equivalent ``E S + z sd* <= B`` with the README's formula written out
   here (``sd*``: the variance with the per-query noise at its largest, ``Q*``);
3. be infeasible exactly when the brute force finds no plan.
"""

from __future__ import annotations

import itertools
import math
from statistics import NormalDist

import numpy as np

from costplan.risk.chance import ChanceInputs, budget_cone, solve_chance
from costplan.solvers.classlevel import ClassProblem

SEED = 20261202
INSTANCES = 200
DRAWS = 100_000


def _compositions(total: int, parts: int) -> list[tuple[int, ...]]:
    return [c for c in itertools.product(range(total + 1), repeat=parts) if sum(c) == total]


def _instance(rng: np.random.Generator) -> tuple[ClassProblem, ChanceInputs, float]:
    tasks = int(rng.integers(1, 3))
    task, cost, quality, sd = [], [], [], []
    for t in range(tasks):
        for _ in range(int(rng.integers(2, 4))):
            c = int(rng.integers(1_000, 100_000))
            task.append(t)
            cost.append(c)
            sd.append(int(rng.integers(0, c // 2 + 1)))
            quality.append(int(rng.integers(500_000, 1_000_001)))
    volume = [int(rng.integers(2, 7)) for _ in range(tasks)]
    floor = [int(rng.integers(500_000, 800_000)) if rng.random() < 0.4 else -1
             for _ in range(tasks)]  # fmt: skip
    split = [bool(rng.random() < 0.7) for _ in range(tasks)]
    lo = sum(min(c for c, tt in zip(cost, task, strict=True) if tt == t) * volume[t]
             for t in range(tasks))  # fmt: skip
    hi = sum(max(c for c, tt in zip(cost, task, strict=True) if tt == t) * volume[t]
             for t in range(tasks))  # fmt: skip
    budget = int(lo + rng.random() * (1.4 * hi - lo))
    p = ClassProblem(
        task=np.asarray(task, dtype=np.int64), cost=np.asarray(cost, dtype=np.int64),
        quality=np.asarray(quality, dtype=np.int64), volume=np.asarray(volume, dtype=np.int64),
        floor=np.asarray(floor, dtype=np.int64), split=np.asarray(split, dtype=np.bool_),
        objective="max_quality", budget=budget,
    )  # fmt: skip
    d = ChanceInputs(
        sd=sd, se=[None] * len(cost), k=[float(rng.uniform(0, 0.3)) for _ in range(tasks)],
        samples=[int(rng.integers(1, 11)) for _ in range(tasks)],
        rho=float(rng.choice([0.0, 0.5, 1.0])),
    )  # fmt: skip
    return p, d, float(rng.choice([0.8, 0.9, 0.95]))


def _parts(p: ClassProblem, d: ChanceInputs, x: np.ndarray) -> list[tuple[float, float, float]]:
    """Per task: planned cost C, noise Q = sum x sd^2, mean error E = (sum x sd)^2 / n."""
    out = []
    for t in range(len(p.volume)):
        mine = [o for o in range(len(p.cost)) if p.task[o] == t]
        c = float(sum(int(x[o]) * int(p.cost[o]) for o in mine))
        q = float(sum(int(x[o]) * d.sd[o] ** 2 for o in mine))
        e = float(sum(int(x[o]) * d.sd[o] for o in mine)) ** 2 / d.samples[t]
        out.append((c, q, e))
    return out


def _deterministic_equivalent(p: ClassProblem, d: ChanceInputs, x: np.ndarray, z: float) -> float:
    parts = _parts(p, d, x)
    q_star = sum(int(p.volume[t]) * max(d.sd[o] ** 2 for o in range(len(p.cost)) if p.task[o] == t)
                 for t in range(len(p.volume)))  # fmt: skip
    var = q_star
    for t, (c, _, e) in enumerate(parts):
        var += d.k[t] ** 2 * c * c + (1 + d.k[t] ** 2) * e
    for a, b in itertools.permutations(range(len(parts)), 2):
        var += d.rho * d.k[a] * d.k[b] * parts[a][0] * parts[b][0]
    return sum(c for c, _, _ in parts) + z * math.sqrt(var)


def _brute(p: ClassProblem, d: ChanceInputs, z: float) -> int | None:
    """Best quality (micro-units) over every count vector meeting all rows, or None."""
    per_task = []
    for t in range(len(p.volume)):
        mine = [o for o in range(len(p.cost)) if p.task[o] == t]
        choices = []
        for comp in _compositions(int(p.volume[t]), len(mine)):
            if not p.split[t] and sum(1 for v in comp if v) > 1:
                continue
            if p.floor[t] >= 0 and sum(v * int(p.quality[o]) for v, o in zip(comp, mine,
                                       strict=True)) < p.floor[t] * p.volume[t]:  # fmt: skip
                continue
            choices.append(dict(zip(mine, comp, strict=True)))
        per_task.append(choices)
    best = None
    assert p.budget is not None
    for combo in itertools.product(*per_task):
        x = np.zeros(len(p.cost), dtype=np.int64)
        for part in combo:
            for o, v in part.items():
                x[o] = v
        if _deterministic_equivalent(p, d, x, z) <= p.budget:
            value = int(x @ p.quality)
            best = value if best is None else max(best, value)
    return best


def _monte_carlo_rate(p: ClassProblem, d: ChanceInputs, x: np.ndarray, seed: int) -> float:
    """P(S <= B) by simulation: R_t = 1 + k_t (sqrt(rho) Z0 + sqrt(1 - rho) Z_t), e_t normal."""
    rng = np.random.default_rng(seed)
    z0 = rng.standard_normal(DRAWS)
    total = np.zeros(DRAWS)
    noise = np.zeros(DRAWS)
    for t, (c, q, e) in enumerate(_parts(p, d, x)):
        r = 1 + d.k[t] * (math.sqrt(d.rho) * z0 + math.sqrt(1 - d.rho) * rng.standard_normal(DRAWS))
        r = np.maximum(r, 0)
        total += r * (c + math.sqrt(e) * rng.standard_normal(DRAWS))
        noise += r * q
    total += np.sqrt(noise) * rng.standard_normal(DRAWS)
    assert p.budget is not None
    return float(np.mean(total <= p.budget))


def test_confidence_plans_hold_and_are_never_beaten() -> None:
    print(f"seed {SEED}, {INSTANCES} instances, {DRAWS:,} draws each")
    rng = np.random.default_rng(SEED)
    solved = infeasible = 0
    for i in range(INSTANCES):
        p, d, c = _instance(rng)
        z = NormalDist().inv_cdf(c)
        res = solve_chance(p, [budget_cone(p, d, c)], time_limit_s=30)
        best = _brute(p, d, z)
        if res.solution.status == "infeasible":
            assert best is None, f"instance {i}: solver says infeasible, brute force finds {best}"
            infeasible += 1
            continue
        # feasible at gap 0: proven by the outer approximation, not by a checkable certificate
        assert res.solution.status == "feasible", f"instance {i}: {res.solution.status}"
        assert res.solution.gap == 0, f"instance {i}: gap {res.solution.gap}"
        x = np.asarray(res.solution.x, dtype=np.int64)
        assert best is not None, f"instance {i}: brute force finds no plan"
        assert int(x @ p.quality) >= best, f"instance {i}: beaten, {int(x @ p.quality)} < {best}"
        assert _deterministic_equivalent(p, d, x, z) <= p.budget
        rate = _monte_carlo_rate(p, d, x, SEED + i)
        assert rate >= c - 3 * math.sqrt(c * (1 - c) / DRAWS), f"instance {i}: {rate} < {c}"
        solved += 1
    print(f"{solved} solved, {infeasible} infeasible (minimum success rate: all {INSTANCES})")
    assert solved >= INSTANCES // 2  # the generator gives mostly feasible instances
