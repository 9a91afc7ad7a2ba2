"""Quality with its error: standard errors from n / stderr, intervals, P(floor met).

Every expected figure is derived by hand in the test from the workload's numbers.
"""

from __future__ import annotations

import copy
import math
from statistics import NormalDist

from costplan.api import load_inputs, optimize
from costplan.plan import plan_to_dict
from costplan.verify import Sources, check_document
from tests.risk.conftest import Make

PHI = NormalDist()


def test_split_task_interval_and_floor(make: Make) -> None:
    # m costs 10 micro-dollars a query at quality 0.8 (n = 100: se = sqrt(.8 x .2 / 100)
    # = 0.04); m2 costs 20 at 0.9 (stderr 0.01). Floor 0.85 at least cost: 500 queries on
    # each, mean exactly 0.85, sd = sqrt((.5 x .04)^2 + (.5 x .01)^2) = sqrt(0.000425).
    path = make(
        "  - {name: t, volume: 1000, prompt: {tokens: 10}, output_tokens: 0, min_quality: 0.85}\n",
        "  t:\n    m: {score: 0.8, n: 100}\n    m2: {score: 0.9, stderr: 0.01}\n",
    )
    plan = optimize(load_inputs(path))
    counts = {a.model: a.count for a in plan.tasks[0].allocations}
    assert counts == {"m": 500, "m2": 500}
    se = {a.model: a.quality_se for a in plan.tasks[0].allocations}
    assert se["m"] is not None
    assert abs(se["m"] - 0.04) < 1e-15
    assert se["m2"] == 0.01
    q = plan.quality_risk
    (t,) = q.tasks
    sd = math.sqrt(0.000425)
    assert abs(t.sd - sd) < 1e-12
    assert t.known
    assert t.p_floor_met is not None
    assert abs(t.p_floor_met - 0.5) < 1e-9
    z = PHI.inv_cdf(0.975)
    assert abs(q.interval[0] - (0.85 - z * sd)) < 1e-9
    assert abs(q.interval[1] - (0.85 + z * sd)) < 1e-9


def test_floor_probability_single_model_and_checker(make: Make) -> None:
    # q = 0.9 over n = 400 items: se = sqrt(.09 / 400) = 0.015; floor 0.85:
    # P(met) = Phi(0.05 / 0.015) = Phi(10/3). A second task without n: exact, P = 1.
    path = make(
        "  - {name: t, volume: 100, prompt: {tokens: 10}, output_tokens: 0, min_quality: 0.85}\n"
        "  - {name: u, volume: 100, prompt: {tokens: 10}, output_tokens: 0, min_quality: 0.5}\n",
        "  t:\n    m: {score: 0.9, n: 400}\n  u: {m: 0.6}\n",
    )
    plan = optimize(load_inputs(path))
    t, u = plan.quality_risk.tasks
    assert t.p_floor_met is not None
    assert abs(t.p_floor_met - PHI.cdf(10 / 3)) < 1e-9
    assert u.p_floor_met == 1.0
    assert not u.known
    doc = plan_to_dict(plan)
    sources = Sources(workload=path)
    assert check_document(doc, sources) == []
    bad = copy.deepcopy(doc)
    bad["tasks"][0]["allocations"][0]["quality_stderr"] = 0.02
    assert any("quality_stderr" in str(v) for v in check_document(bad, sources))
    bad = copy.deepcopy(doc)
    bad["quality_risk"]["tasks"][0]["p_floor_met"] = 0.99
    assert any("p_floor_met" in str(v) for v in check_document(bad, sources))
