"""The cost-quality frontier: exact points, monotone, ends equal optimize, knee and AIQ."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from costplan.api import load_inputs, optimize
from costplan.errors import InfeasibleError, InputError
from costplan.frontier import (
    FRONTIER_CSV_COLUMNS,
    Frontier,
    aiq,
    compute_frontier,
    frontier_csv,
    knee_index,
    upper_hull,
)
from costplan.money import PUSD_PER_USD, usd_str
from costplan.options import OptionTable
from costplan.solvers.classlevel import ClassProblem
from tests.solvers.classlevel_oracle import brute_force, class_problem

DATA = Path(__file__).parent / "data"
USD = PUSD_PER_USD
HUGE = Decimal(10**9)


def write_workload(
    folder: Path,
    tasks: list[dict[str, object]],
    options: dict[str, dict[str, tuple[str, str]]],
) -> Path:
    """A workload whose per-query costs are exact: ``measured_cost_usd`` per option.

    ``tasks``: dicts with name, volume and optional min_quality / split;
    ``options``: task -> model -> (cost per query in USD, quality).
    """
    models = sorted({m for per in options.values() for m in per})
    prices = ["currency: USD", "as_of: 2026-11-01", "source: test", "models:"]
    for m in models:
        prices += [
            f"  {m}:",
            "    provider: openai",
            "    input_usd_per_mtok: 1",
            "    output_usd_per_mtok: 1",
            "    context_window: 100000",
            "    tokenizer: o200k_base",
        ]
    (folder / "prices.yaml").write_text("\n".join(prices) + "\n")
    lines = ["name: synthetic", "period: month", "prices: prices.yaml", "tasks:"]
    for t in tasks:
        lines += [
            f"  - name: {t['name']}",
            f"    volume: {t['volume']}",
            "    prompt: {tokens: 10}",
            "    output_tokens: 10",
        ]
        if t.get("min_quality") is not None:
            lines.append(f"    min_quality: {t['min_quality']}")
        if t.get("split") is False:
            lines.append("    split: false")
    lines.append("quality:")
    for task, per in options.items():
        lines.append(f"  {task}: {{{', '.join(f'{m}: {q}' for m, (_, q) in per.items())}}}")
    lines.append("measured_cost_usd:")
    for task, per in options.items():
        lines.append(f"  {task}: {{{', '.join(f'{m}: {c}' for m, (c, _) in per.items())}}}")
    path = folder / "workload.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def check_frontier(table: OptionTable, f: Frontier) -> None:
    """Monotone, every point proven optimal, ends equal independent optimize() runs."""
    assert f.all_optimal
    budgets = [p.budget_pusd for p in f.points]
    assert budgets == sorted(set(budgets))
    for a, b in zip(f.points, f.points[1:], strict=False):
        assert b.quality_micro_total >= a.quality_micro_total  # more budget never hurts
        assert b.cost_pusd >= a.cost_pusd  # ties go to the cheaper plan
    for p in f.points:
        assert p.cost_pusd <= p.budget_pusd
        assert p.plan.cost_pusd == p.cost_pusd
    cheapest = optimize(table, objective="min_cost", explain=False)
    assert f.points[0].budget_pusd == cheapest.cost_pusd
    assert f.points[0].cost_pusd == cheapest.cost_pusd
    assert f.points[0].quality_micro_total == cheapest.quality_micro_total
    best = optimize(table, objective="max_quality", budget_usd=HUGE, explain=False)
    assert f.points[-1].quality_micro_total == best.quality_micro_total
    assert f.points[-1].cost_pusd == best.cost_pusd


def test_basic_frontier_is_exact_and_monotone() -> None:
    # (its speed is measured in benchmarks/, not asserted here)
    table = load_inputs(DATA / "basic" / "workload.yaml")
    f = compute_frontier(table, points=10)
    check_frontier(table, f)
    assert [p.kind for p in f.points].count("grid") == 10
    # Hand-derived LP vertex: all of 'a' on big, all of 'b' on small (batch):
    # 100,000 x $0.000829 + 20,000 x $0.0003525 = $82.90 + $7.05 = $89.95.
    assert f.lp_vertices_pusd == (89_950_000_000_000,)
    bp = [p for p in f.points if p.kind == "breakpoint"]
    assert [(p.budget_pusd, p.cost_pusd) for p in bp] == [(89_950_000_000_000,) * 2]
    # Slope is 0.15 quality per $0.00079575 before it and 0.2 per $0.0134475 after:
    # the largest drop, hence the knee.
    assert f.knee is not None
    assert f.points[f.knee] is bp[0]
    # Every point is what optimize() returns at that budget.
    for p in f.points[1::3]:
        again = optimize(table, budget_usd=Decimal(p.budget_pusd) / USD, explain=False)
        assert (again.cost_pusd, again.quality_micro_total) == (
            p.cost_pusd,
            p.quality_micro_total,
        )


Raw = list[tuple[str, int, Decimal | None, bool, dict[str, tuple[str, str]]]]


def random_workload(folder: Path, rng: np.random.Generator) -> tuple[Path, Raw]:
    """A small random workload, and its raw numbers: (task, volume, floor, split,
    model -> (cost per query in USD, quality))."""
    tasks: list[dict[str, object]] = []
    options: dict[str, dict[str, tuple[str, str]]] = {}
    raw: Raw = []
    for i in range(int(rng.integers(1, 4))):
        name = f"t{i}"
        k = int(rng.integers(1, 4))
        models = [f"m{j}" for j in rng.choice(4, size=k, replace=False)]
        per = {
            m: (f"0.{int(rng.integers(1, 60)):03d}", f"0.{int(rng.integers(1, 10))}")
            for m in models
        }
        options[name] = per
        top = max(Decimal(q) for _, q in per.values())
        floor = None if rng.random() < 0.5 else top - Decimal(int(rng.integers(0, 3))) / 10
        floor = floor if floor is None or floor > 0 else None
        volume, split = int(rng.integers(1, 5)), bool(rng.random() < 0.7)
        tasks.append({"name": name, "volume": volume, "min_quality": floor, "split": split})
        raw.append((name, volume, floor, split, per))
    return write_workload(folder, tasks, options), raw


def raw_problem(raw: Raw, budget_pusd: int) -> ClassProblem:
    """The class-level problem written down from the raw numbers alone (no costplan code
    but the container): cost in pico-dollars, quality and floors in millionths."""
    task, cost, quality, volume, floor, split = [], [], [], [], [], []
    for t, (_, vol, min_q, can_split, per) in enumerate(raw):
        for c, q in per.values():
            task.append(t)
            cost.append(int(Decimal(c) * USD))
            quality.append(int(Decimal(q) * 10**6))
        volume.append(vol)
        floor.append(-1 if min_q is None else int(min_q * 10**6))
        split.append(can_split)
    arrays = [np.array(a) for a in (task, cost, quality, volume, floor, split)]
    return class_problem(*arrays, budget=budget_pusd)


def test_random_small_workloads_every_point_matches_brute_force(tmp_path: Path) -> None:
    rng = np.random.default_rng(20261201)
    points = 0
    for n in range(12):
        folder = tmp_path / f"w{n}"
        folder.mkdir()
        path, raw = random_workload(folder, rng)
        table = load_inputs(path)
        f = compute_frontier(table, points=4)
        check_frontier(table, f)
        for p in f.points:
            # Independent of CP-SAT and of costplan's option table: every allocation of
            # the raw numbers enumerated at this budget.
            assert brute_force(raw_problem(raw, p.budget_pusd)) == (
                p.quality_micro_total,
                p.cost_pusd,
            )
            points += 1
    assert points >= 20  # 21 with this seed: most workloads have more than one point


def test_hand_computed_knee_aiq_and_marginals(tmp_path: Path) -> None:
    # One task of 100 queries: cheap ($0.01, 0.5), mid ($0.02, 0.8), top ($0.04, 0.9).
    # Cheapest plan: all cheap, $1; best: all top, $4. Budgets $1, $2, $3, $4:
    #   $1 -> all cheap 0.5; $2 -> all mid 0.8; $3 -> 50 mid + 50 top 0.85; $4 -> 0.9.
    path = write_workload(
        tmp_path,
        [{"name": "t", "volume": 100}],
        {"t": {"cheap": ("0.01", "0.5"), "mid": ("0.02", "0.8"), "top": ("0.04", "0.9")}},
    )
    f = compute_frontier(load_inputs(path), points=4)
    assert [p.budget_pusd for p in f.points] == [1 * USD, 2 * USD, 3 * USD, 4 * USD]
    assert [p.cost_pusd for p in f.points] == [1 * USD, 2 * USD, 3 * USD, 4 * USD]
    assert [p.mean_quality for p in f.points] == [Decimal(x) for x in ("0.5", "0.8", "0.85", "0.9")]
    # Slopes: 0.3 per $ (= 300 per $1k), then 0.05 per $ (= 50 per $1k) twice.
    assert [f.marginal_per_1k(i) for i in range(4)] == [
        None,
        Decimal(300),
        Decimal(50),
        Decimal(50),
    ]
    assert f.knee == 1  # drop 300 - 50 at $2; none at $3 (collinear)
    assert f.lp_vertices_pusd == (2 * USD,)  # the LP's interior vertex: all mid
    assert [p.kind for p in f.points] == ["grid"] * 4  # $2 was already a grid budget
    # AIQ over [$1, $4]: trapezoids 0.65 + 0.825 + 0.875 = 2.35, / 3 = 0.78333...
    assert f.aiq == Decimal("0.783333")
    # Over [$0, $5]: nothing below $1, 0.9 above $4: (2.35 + 0.9) / 5 = 0.65.
    assert f.aiq_between(0, 5 * USD) == Decimal("0.650000")
    rows = list(csv.DictReader(io.StringIO(frontier_csv(f))))
    assert tuple(rows[0]) == FRONTIER_CSV_COLUMNS
    assert [r["cost_usd"] for r in rows] == ["1", "2", "3", "4"]
    assert [r["knee"] for r in rows] == ["false", "true", "false", "false"]
    assert [r["marginal_mean_quality_per_1k_usd"] for r in rows] == ["", "300", "50", "50"]
    assert rows[2]["quality_queries"] == "85"


def test_hull_knee_and_aiq_functions() -> None:
    q = Fraction
    # (2, 0.6) lies below the chord from (1, 0.5) to (3, 0.8): not a hull vertex.
    pts = [(1, q(1, 2)), (2, q(3, 5)), (3, q(4, 5)), (5, q(9, 10))]
    assert upper_hull(pts) == [(1, q(1, 2)), (3, q(4, 5)), (5, q(9, 10))]
    # slopes 0.15 then 0.05: the only interior vertex is the knee
    assert knee_index(upper_hull(pts)) == 1
    assert knee_index(pts[:2]) is None  # two points: no knee
    assert knee_index([(0, q(0)), (1, q(1)), (2, q(2))]) is None  # straight: no drop
    # A single point: AIQ is its quality; a range below it gives 0.
    assert aiq([(7, q(3, 4))], 7, 7) == Decimal("0.750000")
    assert aiq([(7, q(3, 4))], 0, 7) == Decimal("0.000000")
    with pytest.raises(InputError, match="lo <= hi"):
        aiq(pts, 3, 1)


def test_aiq_is_floored_exactly_even_past_decimal_precision() -> None:
    # A quality of 1 - 10^-30 is 0.999999... to 30 places: floored to 6 decimals it is
    # 0.999999. A Decimal division at the default 28 digits rounds it to 1.000... first,
    # and a floor after that would report 1.000000, overstating the quality.
    q = Fraction(10**30 - 1, 10**30)
    assert aiq([(7, q)], 7, 7) == Decimal("0.999999")
    # An exact 6-decimal value is kept as it is, and a quality of 0 prints with 6 places.
    assert str(aiq([(7, Fraction(1, 2))], 7, 7)) == "0.500000"
    assert str(aiq([(7, Fraction(0))], 7, 7)) == "0.000000"


def test_single_plan_frontier_collapses(tmp_path: Path) -> None:
    # One option: the cheapest plan is also the best, every budget is the same.
    path = write_workload(tmp_path, [{"name": "t", "volume": 3}], {"t": {"only": ("0.002", "0.7")}})
    f = compute_frontier(load_inputs(path), points=5)
    assert len(f.points) == 1
    assert f.points[0].cost_pusd == 6 * 10**9
    assert f.knee is None
    assert f.aiq == Decimal("0.700000")
    assert f.marginal_per_1k(0) is None


def test_csv_money_is_exact_and_rows_match_points() -> None:
    table = load_inputs(DATA / "basic" / "workload.yaml")
    f = compute_frontier(table, points=3, breakpoints=False)
    rows = list(csv.DictReader(io.StringIO(frontier_csv(f))))
    assert len(rows) == 3
    for r, p in zip(rows, f.points, strict=True):
        assert r["cost_usd"] == usd_str(p.cost_pusd)
        assert r["budget_usd"] == usd_str(p.budget_pusd)
        assert Decimal(r["quality_queries"]) * 10**6 == p.quality_micro_total
        assert r["kind"] == "grid"
        assert r["status"] == "optimal"


@pytest.mark.parametrize("points", [1, 0, -3, 1001])
def test_points_out_of_range(points: int) -> None:
    table = load_inputs(DATA / "basic" / "workload.yaml")
    with pytest.raises(InputError, match=r"points must be between 2 and 1000"):
        compute_frontier(table, points=points)


def test_unreachable_floor_is_infeasible(tmp_path: Path) -> None:
    path = write_workload(
        tmp_path,
        [{"name": "t", "volume": 3, "min_quality": "0.95"}],
        {"t": {"a": ("0.001", "0.5"), "b": ("0.002", "0.9")}},
    )
    with pytest.raises(InfeasibleError, match=r"needs min_quality 0\.95 but its best usable"):
        compute_frontier(load_inputs(path), points=3)
