"""Provider share caps in `assign`: a cap of 0 holds, fine caps are exact and never overflow.

Oracle: per-query costs written by hand from tests/data/basic/prices.yaml (no cached
tokens, fixed prompt tokens), brute force over every assignment, share rows checked in
exact Python integers: ``den * spend(provider) <= num * spend(all)``.

    small (openai):    0.15 $/Mtok in, 0.6 $/Mtok out -> 150,000 p + 600,000 o pico-dollars
    big   (anthropic): 3 $/Mtok in,   15 $/Mtok out   -> 3,000,000 p + 15,000,000 o
"""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import yaml

from costplan.assign import AssignSideConstraints, assign
from costplan.pricing.load import load_price_sheet
from costplan.queries import load_queries
from costplan.solvers.constrained import ShareConstraint, solve_constrained
from costplan.solvers.mckp import MckpProblem
from tests.cli.conftest import Runner

PRICES = Path(__file__).parent.parent / "data" / "basic" / "prices.yaml"
PROVIDER = {"small": "openai", "big": "anthropic"}
RATES = {"small": (150_000, 600_000), "big": (3_000_000, 15_000_000)}  # pusd per token in, out


def queries(tmp_path: Path, rng: np.random.Generator, n: int) -> tuple[Path, list[dict[str, int]]]:
    rows, lines = [], []
    for g in range(n):
        p, o = int(rng.integers(10, 5000)), int(rng.integers(1, 500))
        q = {m: int(rng.integers(0, 1001)) for m in RATES}  # quality in micro-units / 1000
        rows.append({"p": p, "o": o, **{f"q_{m}": q[m] for m in RATES}})
        lines.append(
            json.dumps(
                {
                    "id": f"q{g}",
                    "prompt_tokens": p,
                    "output_tokens": o,
                    "quality": {m: q[m] / 1000 for m in RATES},
                }
            )
        )
    path = tmp_path / "queries.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path, rows


def hand_cost(model: str, row: dict[str, int]) -> int:
    rate_in, rate_out = RATES[model]
    return rate_in * row["p"] + rate_out * row["o"]


def brute_best(
    rows: list[dict[str, int]], budget: int, caps: dict[str, Fraction]
) -> tuple[int, int] | None:
    """Best (quality, -cost) over every assignment meeting budget and caps, else None."""
    best = None
    for plan in itertools.product(RATES, repeat=len(rows)):
        costs = [hand_cost(m, r) for m, r in zip(plan, rows, strict=True)]
        total = sum(costs)
        if total > budget:
            continue
        ok = True
        for prov in set(PROVIDER.values()):
            cap = caps.get(prov, caps.get("*"))
            if cap is None:
                continue
            spent = sum(c for c, m in zip(costs, plan, strict=True) if PROVIDER[m] == prov)
            ok &= cap.denominator * spent <= cap.numerator * total
        if not ok:
            continue
        quality = sum(r[f"q_{m}"] * 1000 for m, r in zip(plan, rows, strict=True))
        key = (quality, -total)
        best = key if best is None or key > best else best
    return best


CAPS = ["0", "0.333333", "0.5", "0.123456789", "0.999999999", "1"]


def test_share_caps_match_brute_force(tmp_path: Path) -> None:
    """60 seeded instances of 6 queries (seed 20261202): same optimum as brute force."""
    sheet = load_price_sheet(PRICES)
    rng = np.random.default_rng(20261202)
    capped_zero = 0
    for _ in range(60):
        path, rows = queries(tmp_path, rng, 6)
        key = str(rng.choice(["openai", "anthropic", "*"]))
        cap = Decimal(str(rng.choice(CAPS)))
        caps = {key: cap}
        capped_zero += cap == 0
        dearest = sum(max(hand_cost(m, r) for m in RATES) for r in rows)
        budget = int(rng.integers(dearest // 4, dearest + 1))
        expected = brute_best(rows, budget, {k: Fraction(v) for k, v in caps.items()})
        side = AssignSideConstraints({}, {}, caps, {})
        qs = load_queries(path)
        if expected is None:
            with pytest.raises(Exception, match="no assignment"):
                assign(qs, sheet, budget_pusd=budget, side=side)
            continue
        result = assign(qs, sheet, budget_pusd=budget, side=side)
        assert result.plan.status == "optimal"
        assert int(result.quality_micro.sum()) == expected[0]
        # The hand-priced cost of the chosen models equals costplan's per-query costs.
        chosen = [result.options[k].model for k in result.choice]
        assert result.cost_pusd.tolist() == [
            hand_cost(m, r) for m, r in zip(chosen, rows, strict=True)
        ]
    assert capped_zero >= 5


def test_a_cap_of_zero_means_no_spend_with_the_provider(run: Runner, tmp_path: Path) -> None:
    """The reproducer of issue 10: `--max-provider-share openai=0` gave 100% openai."""
    path, _ = queries(tmp_path, np.random.default_rng(7), 200)
    out, plan_path = tmp_path / "rows.jsonl", tmp_path / "plan.yaml"
    r = run(
        "assign", path, "--prices", PRICES, "--budget", "1000",
        "--max-provider-share", "openai=0", "-o", out, "--plan", plan_path,
    )  # fmt: skip
    assert r.code == 0, r.err
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {row["model"] for row in rows} == {"big"}  # every openai query costs > 0
    assert yaml.safe_load(plan_path.read_text())["status"] == "optimal"


def test_a_cap_of_zero_wins_over_the_wildcard(tmp_path: Path) -> None:
    sheet = load_price_sheet(PRICES)
    path, _ = queries(tmp_path, np.random.default_rng(8), 50)
    side = AssignSideConstraints({}, {}, {"anthropic": Decimal(0), "*": Decimal(1)}, {})
    result = assign(load_queries(path), sheet, budget_pusd=10**15, side=side)
    assert {result.options[k].model for k in result.choice} == {"small"}


def test_a_fine_cap_on_2000_queries_is_solved_exactly(run: Runner, tmp_path: Path) -> None:
    """Issue 10: a cap of 0.333333 on 2,000 queries exited 3 'too large'.

    den * spend(anthropic) is up to 10**6 * 2,000 * ~8e10 pico-dollars, past int64."""
    path, rows = queries(tmp_path, np.random.default_rng(9), 2000)
    out = tmp_path / "rows.jsonl"
    r = run(
        "assign", path, "--prices", PRICES, "--budget", "100",
        "--max-provider-share", "anthropic=0.333333", "-o", out,
    )  # fmt: skip
    assert r.code == 0, r.err
    chosen = [json.loads(line)["model"] for line in out.read_text().splitlines()]
    costs = [hand_cost(m, row) for m, row in zip(chosen, rows, strict=True)]
    spent = sum(c for c, m in zip(costs, chosen, strict=True) if m == "big")
    assert spent > 0
    assert 1_000_000 * spent <= 333_333 * sum(costs)
    assert sum(costs) <= 100 * 10**12


def test_cap_finer_than_9_decimals_is_refused(run: Runner, tmp_path: Path) -> None:
    path, _ = queries(tmp_path, np.random.default_rng(10), 5)
    r = run(
        "assign", path, "--prices", PRICES, "--budget", "1",
        "--max-provider-share", "openai=0.1234567891",
    )  # fmt: skip
    assert r.code == 2
    assert "a share cap has at most 9 decimals (got 0.1234567891)" in r.err


def brute_shares(p: MckpProblem, shares: list[ShareConstraint]) -> int | None:
    g = p.cost.shape[0]
    best = None
    for plan in itertools.product(*[np.flatnonzero(p.feasible[i]).tolist() for i in range(g)]):
        idx = (np.arange(g), np.asarray(plan))
        v = sum(int(x) for x in p.value[idx])
        if p.budget is not None and sum(int(x) for x in p.cost[idx]) > p.budget:
            continue
        part = [sum(int(x) for x in s.part[idx]) for s in shares]
        whole = [sum(int(x) for x in s.whole[idx]) for s in shares]
        if any(s.den * a > s.num * b for s, a, b in zip(shares, part, whole, strict=True)):
            continue
        best = v if best is None else max(best, v)
    return best


def test_solver_share_rows_exact_with_huge_costs() -> None:
    """Costs near $1,000 a query and caps with 9 decimals: den * spend is ~1e24, far past
    int64; the solver's optimum equals brute force in Python integers (seed 31)."""
    rng = np.random.default_rng(31)
    solved = 0
    for _ in range(150):
        g, k = int(rng.integers(2, 6)), int(rng.integers(2, 4))
        cost = rng.integers(10**14, 10**15, (g, k)).astype(np.int64)
        value = rng.integers(0, 50, (g, k)).astype(np.int64)
        feasible = np.ones((g, k), dtype=np.bool_)
        member = np.zeros(k, dtype=np.int64)
        member[int(rng.integers(0, k))] = 1
        num = int(rng.integers(0, 10**9 + 1))
        f = Fraction(num, 10**9)
        share = ShareConstraint(cost * member, cost, f.numerator, f.denominator, "share")
        budget = int(cost.sum() // 2)
        p = MckpProblem(cost, value, feasible, budget, "max_value")
        expected = brute_shares(p, [share])
        got = solve_constrained(p, [], shares=[share], time_limit_s=10)
        if expected is None:
            assert got.status == "infeasible"
            continue
        solved += 1
        assert got.status == "optimal"
        assert got.objective == expected
    assert solved >= 100
