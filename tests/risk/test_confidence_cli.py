"""``costplan optimize --confidence`` / ``--floor-confidence`` end to end."""

from __future__ import annotations

import math
from decimal import Decimal
from pathlib import Path
from statistics import NormalDist

import pytest

from costplan.api import load_inputs, optimize
from costplan.errors import InputError
from costplan.verify import Sources, check_file
from tests.cli.conftest import Runner
from tests.risk.conftest import Make

PHI = NormalDist()


def test_floor_confidence_moves_the_split(make: Make) -> None:
    # m: 10 micro-dollars at 0.8 (se 0.04); m2: 20 at 0.9 (se 0.01); floor 0.85, V = 1000.
    # With y queries on m2 the mean is 0.8 + 0.1 y / 1000 and its sd
    # sqrt(((1000 - y) 0.04)^2 + (y 0.01)^2) / 1000; the cheapest plan with
    # P(mean >= 0.85) >= 0.9 is the least y with mean - z90 sd >= 0.85 (searched here).
    path = make(
        "  - {name: t, volume: 1000, prompt: {tokens: 10}, output_tokens: 0, min_quality: 0.85}\n",
        "  t:\n    m: {score: 0.8, n: 100}\n    m2: {score: 0.9, stderr: 0.01}\n",
    )
    z = PHI.inv_cdf(0.9)

    def ok(y: int) -> bool:
        mean = 0.8 + 0.1 * y / 1000
        sd = math.hypot((1000 - y) * 0.04, y * 0.01) / 1000
        return mean - z * sd >= 0.85

    want = next(y for y in range(1001) if ok(y))
    plan = optimize(load_inputs(path), floor_confidence=0.9)
    counts = {a.model: a.count for a in plan.tasks[0].allocations}
    assert counts.get("m2") == want
    (t,) = plan.quality_risk.tasks
    assert t.p_floor_met is not None
    assert t.p_floor_met >= 0.9
    assert plan.chance is not None
    assert plan.status == "feasible"  # no checkable certificate for the cone bound
    assert plan.gap == 0


def test_confidence_plan_file_is_verified(make: Make, tmp_path: Path, run: Runner) -> None:
    # Two tasks with cv-volumes; the budget binds the plain plan (P = about 50%).
    path = make(
        "  - {name: a, volume: {mean: 1000, cv: 0.1}, prompt: {tokens: 1000}, output_tokens: 0}\n"
        "  - {name: b, volume: {mean: 2000, cv: 0.2}, prompt: {tokens: 500}, output_tokens: 0}\n",
        "  a: {m: 0.8, m2: 0.9}\n  b: {m: 0.8, m2: 0.95}\n",
        extra="budget_usd: 4\nvolume_correlation: 0.5\n",
    )
    out = tmp_path / "plan.yaml"
    r = run("optimize", path, "--objective", "max_quality", "--confidence", "0.9", "-o", out)
    assert r.code == 0, r.err
    assert "P(cost <= budget) = 9" in r.out
    assert check_file(out, Sources(workload=path)) == []
    plain = optimize(load_inputs(path), objective="max_quality")
    held = optimize(load_inputs(path), objective="max_quality", confidence=0.9)
    assert plain.risk is not None
    assert held.risk is not None
    assert held.risk.p_within_budget is not None
    assert held.risk.p_within_budget >= Decimal("0.9")
    assert held.risk.p95_pusd <= plain.risk.p95_pusd or held.cost_pusd <= plain.cost_pusd


def test_confidence_refuses_skewed_volumes_and_no_budget(make: Make) -> None:
    path = make(
        "  - {name: a, volume: {mean: 1000, p05: 850, p95: 1200}, prompt: {tokens: 10}, "
        "output_tokens: 0}\n",
        "  a: {m: 0.8}\n",
        extra="budget_usd: 4\n",
    )
    with pytest.raises(InputError, match="symmetric volume ranges; skewed: a"):
        optimize(load_inputs(path), confidence=0.9)
    with pytest.raises(InputError, match="needs a budget"):
        _no_budget(make)
    with pytest.raises(InputError, match=r"at least 0\.5"):
        optimize(load_inputs(path), floor_confidence=0.2)


def _no_budget(make: Make) -> None:
    path = make(
        "  - {name: a, volume: 10, prompt: {tokens: 10}, output_tokens: 0}\n", "  a: {m: 0.8}\n"
    )
    optimize(load_inputs(path), confidence=0.9)
