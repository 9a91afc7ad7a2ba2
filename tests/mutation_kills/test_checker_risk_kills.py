"""The checker's period-cost and quality distributions (costplan.verify.risk), by closed forms.

Written to kill mutants the suite let survive. Prices: model ``m`` costs $1 per million input
tokens and nothing else, so a query of ``u`` prompt tokens costs ``u`` micro-dollars; ``m2``
twice that. The expected figures are derived in each test from the README ("Uncertainty"):
a fixed volume has ``R = 1``; ``cv`` gives ``sd(R) = cv``; Poisson ``1 / sqrt(V)``; a range
symmetric about ``V`` ``(p95 - p05) / (2 z95 V)``; otherwise a two-piece normal (checked here
by integrating its density numerically). With constant costs ``C_t`` the period total has
mean ``sum C_t`` and variance ``sum k_t^2 C_t^2 + rho sum_{t != u} k_t k_u C_t C_u``.
"""

from __future__ import annotations

import copy
import math
from fractions import Fraction
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pytest

from costplan.api import load_inputs, optimize
from costplan.plan import plan_to_dict
from costplan.verify import Sources, check_document
from costplan.verify import risk as vrisk
from costplan.verify.findings import Findings
from costplan.verify.tasks import read_workload

PHI = NormalDist()
PUSD = 10**12
PRICES = """currency: USD
models:
  m: {provider: openai, input_usd_per_mtok: 1, output_usd_per_mtok: 0}
  m2: {provider: openai, input_usd_per_mtok: 2, output_usd_per_mtok: 0}
"""


def _workload(tmp: Path, tasks: str, quality: str, extra: str = "") -> Path:
    (tmp / "prices.yaml").write_text(PRICES)
    path = tmp / "workload.yaml"
    path.write_text(
        "name: w\nperiod: month\nobjective: min_cost\nprices: prices.yaml\n"
        f"{extra}tasks:\n{tasks}quality:\n{quality}"
    )
    return path


def _task(name: str, volume: str, tokens: int, extra: str = "") -> str:
    return (f"  - {{name: {name}, volume: {volume}, prompt: {{tokens: {tokens}}}, "
            f"output_tokens: 0{extra}}}\n")  # fmt: skip


def _solved(path: Path, **kw: Any) -> dict[str, Any]:
    from decimal import Decimal

    if "budget_usd" in kw:
        kw["budget_usd"] = Decimal(kw["budget_usd"])
    return plan_to_dict(optimize(load_inputs(path), explain=False, **kw))


def _found(doc: dict[str, Any], path: Path) -> list[str]:
    return [str(v) for v in check_document(doc, Sources(workload=path))]


def _risk_lines(doc: dict[str, Any], path: Path) -> list[str]:
    return [g for g in _found(doc, path)
            if g.startswith(("risk", "quality_risk", "chance", "tasks"))]  # fmt: skip


# ------------------------------------------------------------------ R's kind and parameters


def test_relative_volume_of_each_kind(tmp_path: Path) -> None:
    z95 = PHI.inv_cdf(0.95)
    tasks = (
        _task("fixed", "1000", 10)
        + _task("zero", "0", 10)
        + _task("cv", "{mean: 1000, cv: 0.1}", 10)
        + _task("poisson", "{mean: 10000, distribution: poisson}", 10)
        + _task("sym", "{mean: 1000000, p05: 900000, p95: 1100000}", 10)
        + _task("flat", "{mean: 1000, p05: 1000, p95: 1000}", 10)
    )
    quality = "".join(f"  {n}: {{m: 0.9}}\n" for n in ("fixed", "zero", "cv", "poisson", "sym",
                                                     "flat"))  # fmt: skip
    w = read_workload(_workload(tmp_path, tasks, quality))
    got = [vrisk.relative_volume(t) for t in w.tasks]
    assert got[:2] == [("fixed", {}), ("fixed", {})]
    assert got[2] == ("normal", {"sd": 0.1})
    assert got[3] == ("poisson", {"sd": 0.01})  # 1 / sqrt(10,000)
    kind, p = got[4]  # type: ignore[misc]
    assert kind == "normal"
    assert abs(p["sd"] - 0.2 / (2 * z95)) < 1e-15  # (1.1e6 - 0.9e6) / (2 z95 1e6)
    assert got[5] == ("fixed", {})


def _two_piece_moments(mode: float, s1: float, s2: float) -> tuple[float, float, float, float]:
    """(mass, mean, 5% point, 95% point) of the two-piece normal, by numerical integration."""
    x = np.linspace(mode - 12 * s1, mode + 12 * s2, 1_000_001)
    sig = np.where(x < mode, s1, s2)
    dens = 2 / (math.sqrt(2 * math.pi) * (s1 + s2)) * np.exp(-((x - mode) ** 2) / (2 * sig**2))
    dx = x[1] - x[0]
    cdf = np.cumsum(dens) * dx
    return (float(dens.sum() * dx), float((x * dens).sum() * dx),
            float(np.interp(0.05, cdf, x)), float(np.interp(0.95, cdf, x)))  # fmt: skip


@pytest.mark.parametrize(("lo", "hi"), [(110_000, 180_000), (110_000, 160_000)])
def test_two_piece_fit_hits_the_mean_and_both_quantiles(tmp_path: Path, lo: int, hi: int) -> None:
    """Mean 140,000: R = N / V has mean 1 and its 5% / 95% points at p05 / V and p95 / V
    (right-skewed for 110k-180k, left-skewed for 110k-160k)."""
    v = 140_000
    tasks = _task("t", f"{{mean: {v}, p05: {lo}, p95: {hi}}}", 10)
    w = read_workload(_workload(tmp_path, tasks, "  t: {m: 0.9}\n"))
    got = vrisk.relative_volume(w.tasks[0])
    assert got is not None
    kind, p = got
    assert kind == "two_piece"
    assert (p["s2"] > p["s1"]) == (hi - v > v - lo)
    mass, mean, q05, q95 = _two_piece_moments(p["mode"], p["s1"], p["s2"])
    assert abs(mass - 1) < 1e-6
    assert abs(mean - 1) < 1e-6
    assert abs(q05 - lo / v) < 1e-5
    assert abs(q95 - hi / v) < 1e-5
    # its variance, integrated, against the closed form the section uses
    x = np.linspace(p["mode"] - 12 * p["s1"], p["mode"] + 12 * p["s2"], 1_000_001)
    sig = np.where(x < p["mode"], p["s1"], p["s2"])
    dens = 2 / (math.sqrt(2 * math.pi) * (p["s1"] + p["s2"])) * np.exp(
        -((x - p["mode"]) ** 2) / (2 * sig**2))  # fmt: skip
    var = float(((x - 1) ** 2 * dens).sum() * (x[1] - x[0]))
    assert abs(vrisk._var_r(kind, p) - var) < 1e-6 * var


@pytest.mark.parametrize(("lo", "hi"), [(130_000, 300_000), (1_000, 150_000)])
def test_a_range_no_two_piece_normal_fits(tmp_path: Path, lo: int, hi: int) -> None:
    """The scale ratio is searched in [1/18.9, 18.9]; at r = 18.9 the mean sits at
    (m - q05) / (q95 - q05) ~ 0.39 of the range (by the quantile formulas), so a mean at
    10,000 / 170,000 = 0.06 of it (or 139,000 / 149,000 = 0.93, the mirror case) fits none."""
    tasks = _task("t", f"{{mean: 140000, p05: {lo}, p95: {hi}}}", 10)
    w = read_workload(_workload(tmp_path, tasks, "  t: {m: 0.9}\n"))
    assert vrisk.relative_volume(w.tasks[0]) is None
    f = Findings()
    doc: dict[str, Any] = {"risk": {}, "tasks": [{}]}
    vrisk.check_risk(doc, w, [[]], f)
    assert [str(v) for v in f.items] == ["tasks[0].volume: the range fits no two-piece normal"]


def test_quantile_helper_by_hand() -> None:
    """r = 1 is the normal: P(X < mode) = 1/2, quantiles -z95 and z95, mean 0."""
    q05, q95, m = vrisk._tp_quantiles(1.0)
    z = PHI.inv_cdf(0.95)
    assert abs(q05 + z) < 1e-12
    assert abs(q95 - z) < 1e-12
    assert m == 0
    # r = 3: P(X < mode) = 1/4; q05 = Phi^-1(0.05 / 0.5) = Phi^-1(0.1);
    # q95 = 3 Phi^-1(1 - 0.05 / 1.5); mean sqrt(2 / pi) x 2
    q05, q95, m = vrisk._tp_quantiles(3.0)
    assert abs(q05 - PHI.inv_cdf(0.1)) < 1e-12
    assert abs(q95 - 3 * PHI.inv_cdf(1 - 0.05 / 1.5)) < 1e-12
    assert abs(m - 2 * math.sqrt(2 / math.pi)) < 1e-15
    assert vrisk._var_r("normal", {"sd": 0.3}) == 0.09
    assert vrisk._var_r("fixed", {}) == 0.0
    # two-piece s1 = 1, s2 = 2: (1 - 2/pi) x 1 + 2
    assert abs(vrisk._var_r("two_piece", {"s1": 1.0, "s2": 2.0}) - (3 - 2 / math.pi)) < 1e-15


def test_close_and_quality_se() -> None:
    assert vrisk._close(1.0, 1.0 + 5e-10)
    assert not vrisk._close(1.0, 1.0 + 3e-9)
    assert vrisk._close(0.0, 0.0)
    assert vrisk._close(0.0, 1e-301)
    assert not vrisk._close(0.0, 1e-299)
    assert vrisk.quality_se(Fraction(9, 10), None) is None
    assert vrisk.quality_se(Fraction(9, 10), (None, None)) is None
    assert vrisk.quality_se(Fraction(9, 10), (400, Fraction(1, 50))) == 0.02  # stated wins
    assert vrisk.quality_se(Fraction(9, 10), (400, None)) == math.sqrt(0.09 / 400)  # 0.015


# ------------------------------------------------------------------ Monte Carlo draws


def test_draws_of_fixed_and_normal_parts() -> None:
    """Fixed parts without noise draw their constant; two normal parts (sd 0.1 and 0.2 of
    C = 1000 and 2000) correlated rho = 0.25 have Var = 100^2 + 400^2 + 2 x 0.25 x 100 x 400
    = 190,000. 200,000 draws estimate the sd within about 0.2% (seed 7)."""
    fixed = vrisk._draws([("fixed", {}, 1000, 0, 0.0), ("fixed", {}, 5, 0, 0.0)], 0.3, 4, 7)
    assert fixed.tolist() == [1005.0] * 4
    parts = [("normal", {"sd": 0.1}, 1000, 0, 0.0), ("normal", {"sd": 0.2}, 2000, 0, 0.0)]
    s = vrisk._draws(parts, 0.25, 200_000, 7)
    assert abs(float(s.mean()) - 3000) < 3  # se 436 / sqrt(2e5) ~ 1
    assert abs(float(s.std()) - math.sqrt(190_000)) < 0.01 * math.sqrt(190_000)
    # rho = 1: one common score, the sds add (100 + 400 = 500); rho = 0: root of squares
    s1 = vrisk._draws(parts, 1.0, 200_000, 7)
    assert abs(float(s1.std()) - 500) < 5
    s0 = vrisk._draws(parts, 0.0, 200_000, 7)
    assert abs(float(s0.std()) - math.hypot(100, 400)) < 0.01 * math.hypot(100, 400)
    # a per-query noise q and a mean error e: Var adds q + e (fixed volume), R floored at 0
    noisy = vrisk._draws([("fixed", {}, 1000, 400, 900.0)], 0.0, 200_000, 7)
    assert abs(float(noisy.std()) - math.sqrt(1300)) < 0.01 * math.sqrt(1300)
    wide = vrisk._draws([("normal", {"sd": 3.0}, 1000, 0, 0.0)], 0.0, 100_000, 7)
    assert float(wide.min()) == 0.0  # R = 1 + 3 Z < 0 a third of the time: cut to 0
    # P(R = 0) = P(Z < -1/3) ~ 0.369
    assert abs(float((wide == 0).mean()) - PHI.cdf(-1 / 3)) < 0.01


def test_two_piece_draws_hit_the_fitted_quantiles(tmp_path: Path) -> None:
    tasks = _task("t", "{mean: 140000, p05: 110000, p95: 180000}", 10)
    w = read_workload(_workload(tmp_path, tasks, "  t: {m: 0.9}\n"))
    got = vrisk.relative_volume(w.tasks[0])
    assert got is not None
    s = np.sort(vrisk._draws([(got[0], got[1], 1000, 0, 0.0)], 0.0, 100_000, 11))
    # C = 1000: the draws are 1000 R; R's 5% / 95% points are 110/140 and 180/140, mean 1
    assert abs(float(s[4_999]) - 1000 * 110 / 140) < 5
    assert abs(float(s[94_999]) - 1000 * 180 / 140) < 5
    assert abs(float(s.mean()) - 1000) < 2


# ------------------------------------------------------------------ the risk section


def _normal_plan(tmp_path: Path, budget: str | None = "2150", rho: str = "0") -> tuple[Path, Any]:
    """Two tasks at constant costs: a 1,000,000 queries x $0.001 = $1,000 (cv 0.1, sd $100),
    b 1,000,000 x $0.001 = $1,000 (cv 0.2: sd $200). rho = 0: sd sqrt(100^2 + 200^2)."""
    tasks = (_task("a", "{mean: 1000000, cv: 0.1}", 1000)
             + _task("b", "{mean: 1000000, cv: 0.2}", 1000))  # fmt: skip
    path = _workload(tmp_path, tasks, "  a: {m: 0.9}\n  b: {m: 0.9}\n",
                     extra=f"volume_correlation: {rho}\n")  # fmt: skip
    kw = {} if budget is None else {"budget_usd": budget}
    return path, _solved(path, **kw)


def test_normal_section_by_hand(tmp_path: Path) -> None:
    path, doc = _normal_plan(tmp_path)
    r = doc["risk"]
    sd = math.hypot(100, 200)
    assert r["method"] == "normal"
    assert r["mean_usd"] == "2000"
    assert abs(float(r["sd_usd"]) - sd) < 1e-6
    for key, p in (("p50_usd", 0.5), ("p95_usd", 0.95), ("p99_usd", 0.99)):
        assert abs(float(r[key]) - (2000 + PHI.inv_cdf(p) * sd)) < 1e-6
    assert abs(float(r["p_within_budget"]) - PHI.cdf(150 / sd)) < 1e-6
    assert _found(doc, path) == []
    z99 = 2000 + PHI.inv_cdf(0.99) * sd

    def one(key: str, value: Any) -> list[str]:
        bad = copy.deepcopy(doc)
        bad["risk"][key] = value
        return _risk_lines(bad, path)

    # the mean exactly; the other amounts within 1e-9 relative (at least 2 pusd)
    assert one("mean_usd", "2000.000000000001") == [
        "risk.mean_usd: '2000.000000000001' USD, recomputed 2000000000000000 pusd"
    ]
    assert one("mean_usd", None) == ["risk.mean_usd: None is not an amount"]
    assert one("p99_usd", f"{z99 * (1 + 5e-10):.9f}") == []
    assert one("p99_usd", f"{z99 * (1 + 2e-9):.9f}")[0].startswith(
        f"risk.p99_usd: '{z99 * (1 + 2e-9):.9f}' USD, recomputed "
    )
    assert len(one("sd_usd", f"{sd * (1 - 2e-9):.9f}")) == 1
    # P(cost <= budget) within 1e-6
    p = PHI.cdf(150 / sd)
    assert one("p_within_budget", repr(p + 9e-7)) == []
    assert one("p_within_budget", repr(p - 9e-7)) == []
    assert len(one("p_within_budget", repr(p + 2e-6))) == 1
    assert len(one("p_within_budget", None)) == 1
    assert one("volume_correlation", "0.5") == [
        "risk.volume_correlation: '0.5', the workload gives 0.0"
    ]
    assert len(one("volume_correlation", None)) == 1
    assert one("method", "monte_carlo") == ["risk.method: 'monte_carlo', expected 'normal'"]


def test_p50_slack_is_relative(tmp_path: Path) -> None:
    """$2,000 = 2 x 10^15 pusd: 1e-9 of it is 2 x 10^6 pusd ($0.000002); $0.000001 over holds,
    $0.000003 over does not."""
    path, doc = _normal_plan(tmp_path)
    bad = copy.deepcopy(doc)
    bad["risk"]["p50_usd"] = "2000.000001"
    assert _risk_lines(bad, path) == []
    bad["risk"]["p50_usd"] = "2000.000003"
    assert _risk_lines(bad, path) == ["risk.p50_usd: '2000.000003' USD, recomputed 2000.0 USD"]


def test_fixed_volume_amounts_within_two_pico_dollars(tmp_path: Path) -> None:
    """A fixed volume has sd 0: a stated sd of 2 pusd holds, 3 pusd does not; the budget above
    the mean gives P = 1, below it P = 0."""
    path = _workload(tmp_path, _task("a", "1000", 1000), "  a: {m: 0.9}\n")
    doc = _solved(path, budget_usd="1")  # 1000 x $0.001 = $1: the budget exactly
    assert doc["risk"]["p_within_budget"] == "1.000000"
    assert _found(doc, path) == []
    bad = copy.deepcopy(doc)
    bad["risk"]["sd_usd"] = "0.000000000002"
    assert _risk_lines(bad, path) == []
    bad["risk"]["sd_usd"] = "0.000000000003"
    assert _risk_lines(bad, path) == ["risk.sd_usd: '0.000000000003' USD, recomputed 0.0 USD"]
    bad = copy.deepcopy(doc)
    bad["budget_usd"] = "0.999999999999"
    bad["risk"]["p_within_budget"] = "0"
    assert _risk_lines(bad, path) == []  # limit below the mean, sd 0: P = 0


def test_chance_confidence_is_checked_against_the_recomputed_probability(tmp_path: Path) -> None:
    """P(cost <= $2,150) = Phi(150 / sqrt(50,000)) = Phi(0.6708) = 0.7488."""
    path, doc = _normal_plan(tmp_path)
    p = PHI.cdf(150 / math.hypot(100, 200))
    bad = copy.deepcopy(doc)
    bad["chance"] = {"confidence": 0.75}
    assert _risk_lines(bad, path) == [
        f"chance.confidence: P(cost <= budget) recomputed {p!r} is below the stated confidence 0.75"
    ]
    bad["chance"] = {"confidence": 0.74}
    assert _risk_lines(bad, path) == []
    bad["chance"] = {"confidence": "x"}  # not a level: not judged
    assert _risk_lines(bad, path) == []
    bad = copy.deepcopy(doc)
    bad.pop("risk")
    bad["chance"] = {}
    assert _risk_lines(bad, path) == ["risk: a chance-constrained plan needs its risk section"]
    bad["chance"] = None
    assert _risk_lines(bad, path) == []
    bad["risk"] = [1]
    assert _risk_lines(bad, path) == ["risk: not a mapping"]


def test_no_budget_means_no_probability(tmp_path: Path) -> None:
    path, doc = _normal_plan(tmp_path, budget=None)
    assert doc["risk"].get("p_within_budget") is None
    assert _found(doc, path) == []
    bad = copy.deepcopy(doc)
    bad["risk"]["p_within_budget"] = "0.5"
    assert _risk_lines(bad, path) == ["risk.p_within_budget: '0.5', recomputed None"]
    bad["chance"] = {"confidence": 0.5}
    assert (
        "chance.confidence: P(cost <= budget) recomputed None is below the stated "
        "confidence 0.5" in _risk_lines(bad, path)
    )


@pytest.mark.parametrize("rho", ["0.5", "1"])
def test_correlated_volumes(tmp_path: Path, rho: str) -> None:
    """Var = 100^2 + 200^2 + 2 rho 100 200: rho 1/2 gives 70,000, rho 1 gives 300^2."""
    path, doc = _normal_plan(tmp_path, rho=rho)
    want = math.sqrt(50_000 + 2 * float(rho) * 20_000)
    assert abs(float(doc["risk"]["sd_usd"]) - want) < 1e-6
    assert _found(doc, path) == []


def test_task_rows_samples_and_spread(tmp_path: Path) -> None:
    path, doc = _normal_plan(tmp_path)
    for field, value, want in [
        ("samples", 3, "tasks[0].samples: 3, the prompts give 1"),
        (
            "volume_spread",
            {"kind": "fixed"},
            "tasks[0].volume_spread: {'kind': 'fixed'}, the workload gives normal",
        ),
        ("volume_spread", None, "tasks[0].volume_spread: None, the workload gives normal"),
        (
            "volume_spread",
            {"kind": "normal", "sd": 0.1000000003},
            "tasks[0].volume_spread.sd: 0.1000000003, recomputed 0.1",
        ),
        ("volume_spread", {"kind": "normal"}, "tasks[0].volume_spread.sd: None, recomputed 0.1"),
    ]:
        bad = copy.deepcopy(doc)
        bad["tasks"][0][field] = value
        assert _risk_lines(bad, path) == [want], field
    bad = copy.deepcopy(doc)
    bad["tasks"][0]["volume_spread"]["sd"] = 0.1000000001  # within 1e-9 relative
    assert _risk_lines(bad, path) == []


def test_two_piece_section_runs_the_draws(tmp_path: Path) -> None:
    """The skewed task draws; P(cost <= c x 180,000 = $180) = 0.95 within Monte Carlo error."""
    tasks = (_task("t", "{mean: 140000, p05: 110000, p95: 180000}", 1000)
             + _task("u", "{mean: 50000, cv: 0.2}", 300))  # fmt: skip
    path = _workload(tmp_path, tasks, "  t: {m: 0.9}\n  u: {m: 0.9}\n",
                     extra="volume_correlation: 0.3\n")  # fmt: skip
    doc = _solved(path, budget_usd="195")
    r = doc["risk"]
    assert r["method"] == "monte_carlo"
    assert r["mean_usd"] == "155"  # $140 + 50,000 x $0.0003
    assert _found(doc, path) == []
    d = r["draws"]
    for key, value, n in [("draws", 0, 1), ("seed", -1, 1), ("draws", "many", 1),
                          ("method", "normal", 1)]:  # fmt: skip
        bad = copy.deepcopy(doc)
        bad["risk"][key] = value
        assert len(_risk_lines(bad, path)) == n, key
    bad = copy.deepcopy(doc)
    bad["risk"]["draws"] = 0
    assert _risk_lines(bad, path) == [f"risk: draws 0 / seed {r['seed']} are not counts"]
    # the probability within 3 draws: 3 / d
    p = float(r["p_within_budget"])
    bad = copy.deepcopy(doc)
    bad["risk"]["p_within_budget"] = repr(p + 2.5 / d)
    assert _risk_lines(bad, path) == []
    bad["risk"]["p_within_budget"] = repr(p + 3.5 / d)
    assert len(_risk_lines(bad, path)) == 1


# ------------------------------------------------------------------ quality_risk


def _quality_plan(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """m: 10 micro-dollars at quality 0.8 with n = 100 (se sqrt(.8 x .2 / 100) = 0.04); m2: 20
    at 0.9 with stderr 0.01. Floor 0.85 at least cost: 500 on each, mean 0.85, sd
    sqrt((.5 x .04)^2 + (.5 x .01)^2) = sqrt(0.000425); P(floor met) = Phi(0) = 1/2. Task u:
    100 queries on m2 at 0.9 (floor 0.5): sd 0.01, P = Phi(40) = 1."""
    tasks = (_task("t", "1000", 10, ", min_quality: 0.85")
             + _task("u", "100", 10, ", min_quality: 0.5"))  # fmt: skip
    quality = ("  t:\n    m: {score: 0.8, n: 100}\n    m2: {score: 0.9, stderr: 0.01}\n"
               "  u:\n    m2: {score: 0.9, stderr: 0.01}\n")  # fmt: skip
    path = _workload(tmp_path, tasks, quality)
    return path, _solved(path)


def test_quality_risk_by_hand(tmp_path: Path) -> None:
    path, doc = _quality_plan(tmp_path)
    q = doc["quality_risk"]
    sd_t = math.sqrt(0.000425)
    assert abs(q["tasks"][0]["sd"] - sd_t) < 1e-12
    assert abs(q["tasks"][0]["p_floor_met"] - 0.5) < 1e-9
    assert abs(q["tasks"][1]["sd"] - 0.01) < 1e-12
    assert _found(doc, path) == []
    # the plan: mean (850 + 90) / 1100, sd sqrt(20^2 + 5^2 + 1^2) / 1100 (counts x se)
    mean, sd = 940 / 1100, math.sqrt(400 + 25 + 1) / 1100
    z = PHI.inv_cdf(0.975)
    lo, hi = q["mean_quality_interval"]
    assert abs(lo - (mean - z * sd)) < 1e-12
    assert abs(hi - (mean + z * sd)) < 1e-12

    def one(change: Any) -> list[str]:
        bad = copy.deepcopy(doc)
        change(bad["quality_risk"])
        return _risk_lines(bad, path)

    assert one(lambda r: r["tasks"][0].update(sd=sd_t + 5e-10)) == []
    (line,) = one(lambda r: r["tasks"][0].update(sd=sd_t + 2e-9))
    assert line.startswith(f"quality_risk.tasks[0].sd: {sd_t + 2e-9!r}, recomputed 0.02061552")
    assert len(one(lambda r: r["tasks"][0].update(p_floor_met=0.5 + 2e-9))) == 1
    assert one(lambda r: r["tasks"][0].update(p_floor_met=None)) == [
        "quality_risk.tasks[0].p_floor_met: None, recomputed 0.5"
    ]
    assert one(lambda r: r["tasks"].__setitem__(1, 5)) == ["quality_risk.tasks[1]: not a mapping"]
    assert one(lambda r: r.update(level=1)) == ["quality_risk.level: 1 is not a level in (0, 1)"]
    assert one(lambda r: r.update(level=0)) == ["quality_risk.level: 0 is not a level in (0, 1)"]
    assert one(lambda r: r.update(level=None)) == [
        "quality_risk.level: None is not a level in (0, 1)"
    ]
    assert one(lambda r: r.update(mean_quality_interval=[lo])) == [
        f"quality_risk.mean_quality_interval: {[lo]!r} is not [low, high]"
    ]
    assert one(lambda r: r.update(mean_quality_interval=[lo, hi + 2e-9])) == [
        f"quality_risk.mean_quality_interval[1]: {hi + 2e-9!r}, recomputed {hi!r}"
    ]
    assert one(lambda r: r.update(mean_quality_interval=[lo - 2e-9, hi])) == [
        f"quality_risk.mean_quality_interval[0]: {lo - 2e-9!r}, recomputed {lo!r}"
    ]
    assert one(lambda r: r.update(tasks=None)) == [
        "quality_risk: not a mapping with a 'tasks' list"
    ]
    bad = copy.deepcopy(doc)
    bad["quality_risk"] = None
    assert _risk_lines(bad, path) == []


def test_floor_confidence(tmp_path: Path) -> None:
    """Task t's P(floor met) is 1/2: a stated floor confidence of 0.6 is refused there only
    (task u's P = Phi(40) = 1.0)."""
    path, doc = _quality_plan(tmp_path)
    bad = copy.deepcopy(doc)
    bad["chance"] = {"floor_confidence": 0.6}
    p = doc["quality_risk"]["tasks"][0]["p_floor_met"]
    lines = [g for g in _risk_lines(bad, path) if g.startswith("chance")]
    assert len(lines) == 1
    assert lines[0].startswith("chance.floor_confidence: task 't': P(floor met) recomputed 0.5")
    assert abs(p - 0.5) < 1e-9
    bad["chance"] = {"floor_confidence": 0.4}
    assert [g for g in _risk_lines(bad, path) if g.startswith("chance")] == []


def test_quality_interval_is_clipped_to_zero_and_one(tmp_path: Path) -> None:
    """One task at quality 0.99 with stderr 0.2: 0.99 +- 1.96 x 0.2 runs past 1 and below
    0.6; the interval is [0.99 - z 0.2, 1] (and [0, ...] for 0.01 with the same error)."""
    z = PHI.inv_cdf(0.975)
    for score, want in (("0.99", (0.99 - z * 0.2, 1.0)), ("0.01", (0.0, 0.01 + z * 0.2))):
        sub = tmp_path / score
        sub.mkdir()
        path = _workload(sub, _task("t", "100", 10),
                         f"  t:\n    m: {{score: {score}, stderr: 0.2}}\n")  # fmt: skip
        doc = _solved(path)
        lo, hi = doc["quality_risk"]["mean_quality_interval"]
        assert abs(lo - want[0]) < 1e-12
        assert abs(hi - want[1]) < 1e-12
        assert _found(doc, path) == []


def test_quality_at_the_floor_without_errors(tmp_path: Path) -> None:
    """No stderr, no n: sd 0, and P(floor met) is 1 exactly at the floor (0.8 >= 0.8), 0 below
    it; a task of volume 0 has mean 0 and sd 0 (P = 0 for its floor 0.5)."""
    tasks = (_task("t", "1000", 10, ", min_quality: 0.8")
             + _task("z", "0", 10, ", min_quality: 0.5"))  # fmt: skip
    path = _workload(tmp_path, tasks, "  t: {m: 0.8}\n  z: {m: 0.9}\n")
    doc = _solved(path)
    q = doc["quality_risk"]["tasks"]
    assert (q[0]["sd"], q[0]["p_floor_met"]) == (0.0, 1.0)
    assert (q[1]["sd"], q[1]["p_floor_met"]) == (0.0, 0.0)
    assert _found(doc, path) == []
    bad = copy.deepcopy(doc)
    bad["chance"] = {"floor_confidence": 1}  # P = 1 is not below 1; task z has P = 0
    assert [g for g in _risk_lines(bad, path) if g.startswith("chance")] == [
        "chance.floor_confidence: task 'z': P(floor met) recomputed 0.0 is below the stated 1.0"
    ]
    bad = copy.deepcopy(doc)
    bad["quality_risk"]["tasks"] = q[:1]  # task z's entry missing: its figures are None
    assert _risk_lines(bad, path) == [
        "quality_risk.tasks[1].sd: None, recomputed 0.0",
        "quality_risk.tasks[1].p_floor_met: None, recomputed 0.0",
    ]


def test_quality_below_the_floor_without_errors(tmp_path: Path) -> None:
    """Task t on m (0.9) and m2 (0.5, costlier): the plan puts all 1,000 on m; moved to m2 the
    mean is 0.5 < 0.8 with sd 0, so P(floor met) is 0."""
    path = _workload(tmp_path, _task("t", "1000", 10, ", min_quality: 0.8"),
                     "  t: {m: 0.9, m2: 0.5}\n")  # fmt: skip
    doc = _solved(path)
    row = doc["tasks"][0]["allocations"][0]
    assert (row["model"], doc["quality_risk"]["tasks"][0]["p_floor_met"]) == ("m", 1.0)
    row["model"] = "m2"
    assert "quality_risk.tasks[0].p_floor_met: 1.0, recomputed 0.0" in _risk_lines(doc, path)


def test_a_plan_missing_a_task(tmp_path: Path) -> None:
    """The rows of a task the plan leaves out count as none (no crash in either section)."""
    path, doc = _normal_plan(tmp_path)
    bad = copy.deepcopy(doc)
    del bad["tasks"][1]
    lines = _found(bad, path)
    assert "tasks: tasks ['a'] are not the workload's ['a', 'b']" in lines
    sub = tmp_path / "q"
    sub.mkdir()
    path2, qdoc = _quality_plan(sub)
    del qdoc["tasks"][1]
    assert "quality_risk.tasks[1].sd: 0.01, recomputed 0.0" in _found(qdoc, path2)


def test_monte_carlo_with_sampled_prompts(tmp_path: Path) -> None:
    """Sampled prompts give each query a spread and the mean an error: both enter the draws
    (a plan the solver writes, drawn in the documented order, passes)."""
    folder = tmp_path / "s"
    folder.mkdir()
    for i, text in enumerate(["short", "a somewhat longer prompt", "x " * 60]):
        (folder / f"{i}.txt").write_text(text)
    tasks = ("  - {name: t, volume: {mean: 140000, p05: 110000, p95: 180000}, "
             "prompt: {samples: \"s/*.txt\"}, output_tokens: 0}\n")  # fmt: skip
    path = _workload(tmp_path, tasks, "  t: {m: 0.9}\n")
    doc = _solved(path, budget_usd="4")
    assert doc["risk"]["method"] == "monte_carlo"
    assert doc["tasks"][0]["samples"] == 3
    assert doc["tasks"][0]["allocations"][0]["cost_sd_per_query_usd"] != "0"
    assert _found(doc, path) == []


def test_quality_risk_entries_one_by_one(tmp_path: Path) -> None:
    path, doc = _quality_plan(tmp_path)
    sd_t = doc["quality_risk"]["tasks"][0]["sd"]
    bad = copy.deepcopy(doc)
    # 1e-9 + 1e-9 x 0.0206 = 1.0206e-9 of slack: 0.99e-9 off holds
    bad["quality_risk"]["tasks"][0]["sd"] = sd_t + 9.9e-10
    assert _risk_lines(bad, path) == []
    # a non-mapping entry does not stop the next one from being read
    bad["quality_risk"]["tasks"][0] = 5
    bad["quality_risk"]["tasks"][1]["sd"] = 0.02
    assert _risk_lines(bad, path) == [
        "quality_risk.tasks[0]: not a mapping",
        "quality_risk.tasks[1].sd: 0.02, recomputed 0.01",
    ]


def test_a_probability_where_there_is_no_floor(tmp_path: Path) -> None:
    path, doc = _normal_plan(tmp_path)  # no floors: P(floor met) is None for both tasks
    bad = copy.deepcopy(doc)
    bad["quality_risk"]["tasks"][1]["p_floor_met"] = 0.5
    assert _risk_lines(bad, path) == ["quality_risk.tasks[1].p_floor_met: 0.5, recomputed None"]


def test_a_plan_without_queries(tmp_path: Path) -> None:
    """Every task of volume 0: the plan's mean quality is 0 with sd 0, the interval [0, 0]."""
    path = _workload(tmp_path, _task("t", "0", 10), "  t: {m: 0.9}\n")
    doc = _solved(path)
    assert doc["quality_risk"]["mean_quality_interval"] == [0.0, 0.0]
    assert _found(doc, path) == []
