"""The independent checker (costplan.verify): real plans pass, tampering is named.

Oracles: costs derived by hand from tests/data/basic's prices (in comments), and
plan documents edited one field at a time.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import costplan.optimize as optimize_mod
from costplan.api import load_inputs
from costplan.errors import InternalError
from costplan.optimize import optimize
from costplan.plan import plan_to_dict
from costplan.verify import Sources, check_document
from costplan.verify.costs import Pricer
from costplan.verify.prices import load_sheets
from costplan.verify.tasks import read_workload
from tests.cli.conftest import edit
from tests.trust.conftest import Runner


def solved(folder: Path, **kwargs: Any) -> dict[str, Any]:
    table = load_inputs(folder / "workload.yaml")
    return plan_to_dict(optimize(table, explain=False, **kwargs))


def problems(doc: dict[str, Any], folder: Path, **kw: Any) -> list[str]:
    return [str(v) for v in check_document(doc, Sources(workload=folder / "workload.yaml", **kw))]


# ------------------------------------------------------------------ hand-derived costs


def test_costs_by_hand(basic: Path) -> None:
    """Task b: prompt 3000 tokens, 1000 cached, output mean 300 (p95 900), batch latency.

    big (USD/Mtok: input 3, cache read 0.3, output 15), per query:
        3000 x 3 + 1000 x 0.3 + 300 x 15 = 13,800 USD/M = $0.0138 = 13,800,000,000 pusd
        at p95: 3000 x 3 + 1000 x 0.3 + 900 x 15 = 22,800 USD/M = 22,800,000,000 pusd
    small batch (discount 0.5 of input 0.15, cache read 0.075, output 0.6):
        3000 x 0.075 + 1000 x 0.0375 + 300 x 0.3 = 352.5 USD/M = 352,500,000 pusd
    """
    w = read_workload(basic / "workload.yaml")
    sheet = load_sheets([basic / "prices.yaml"])
    pricer = Pricer(w, sheet)
    b = w.tasks[1]
    big = pricer.option(b, sheet.models["big"], "standard")
    assert (big.cost, big.cost_p95) == (13_800_000_000, 22_800_000_000)
    assert pricer.option(b, sheet.models["small"], "batch").cost == 352_500_000


def test_what_if_and_currency_by_hand(basic: Path) -> None:
    """EUR at 1.1 USD: big input 3 EUR = 3.3 USD; +10% on big.output: 15 x 1.1 x 1.1 = 18.15.

    b on big: 3000 x 3.3 + 1000 x 0.33 + 300 x 18.15 = 9900 + 330 + 5445 = 15,675 USD/M.
    """
    edit(basic / "prices.yaml", "currency: USD\n", "currency: EUR\nusd_per_unit: 1.1\n")
    w = read_workload(basic / "workload.yaml")
    sheet = load_sheets([basic / "prices.yaml"], ["big.output=+10%"])
    cost = Pricer(w, sheet).option(w.tasks[1], sheet.models["big"], "standard")
    assert cost.cost == 15_675_000_000


# ------------------------------------------------------------------ real plans pass


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"objective": "min_cost"},
        {"budget_usd": Decimal(300)},
        {"robust": True, "budget_usd": Decimal(900)},
    ],
)
def test_solver_plans_pass(basic: Path, kwargs: dict[str, Any]) -> None:
    assert problems(solved(basic, **kwargs), basic) == []


def test_measured_costs_cascades_tiers_and_side_constraints_pass(basic: Path) -> None:
    """Every cost path agrees with the checker's own arithmetic."""
    edit(
        basic / "prices.yaml",
        "    context_window: 128000\n",
        "    context_window: 128000\n    tiers:\n"
        "      - {above_input_tokens: 3500, input_usd_per_mtok: 0.3, output_usd_per_mtok: 1.2}\n"
        "    request_usd: 0.000001\n",
    )
    edit(
        basic / "workload.yaml",
        "    latency: batch\n",
        "    latency: batch\n    cascades:\n"
        "      - {name: cheap-first, steps: [small, big], escalate: 0.37, quality: 0.88,"
        " mode: batch}\n",
    )
    text = (basic / "workload.yaml").read_text()
    text += (
        "measured_cost_usd:\n  b: {big: 0.0123}\n"
        "constraints:\n  capacity: {big: {requests: 90000}}\n"
        "  max_provider_share: {anthropic: 0.9}\n"
    )
    (basic / "workload.yaml").write_text(text)
    for objective in ("max_quality", "min_cost"):
        doc = solved(basic, objective=objective, budget_usd=Decimal(2000))
        assert problems(doc, basic) == []


# ------------------------------------------------------------------ tampering is caught

Tamper = Callable[[dict[str, Any]], None]


def _alloc(doc: dict[str, Any], i: int = 0, j: int = 0) -> dict[str, Any]:
    a: dict[str, Any] = doc["tasks"][i]["allocations"][j]
    return a


TAMPERS: dict[str, tuple[Tamper, str]] = {
    "count": (
        lambda d: _alloc(d).update(count=_alloc(d)["count"] + 1),
        "tasks[0].allocations: counts sum to 100,001, volume is 100,000",
    ),
    "negative-count": (
        lambda d: _alloc(d).update(count=-1),
        "tasks[0].allocations[0].count: -1 is not an integer >= 0",
    ),
    "price": (
        lambda d: _alloc(d).update(cost_per_query_usd="0.0000001"),
        "tasks[0].allocations[0].cost_per_query_usd: '0.0000001' USD, recomputed",
    ),
    "quality": (
        lambda d: _alloc(d).update(quality="0.99"),
        "tasks[0].allocations[0].quality: '0.99', the workload says",
    ),
    "unknown-model": (
        lambda d: _alloc(d).update(model="ghost"),
        "tasks[0].allocations[0].model: 'ghost' (standard) is not usable: "
        "model 'ghost' is not in the price sheet",
    ),
    "latency-mode": (
        lambda d: _alloc(d).update(model="small", provider="openai", mode="batch"),
        "is not usable: mode 'batch' is not allowed for a realtime task",
    ),
    "budget": (lambda d: d.update(budget_usd="1"), "budget_usd: cost "),
    "status": (lambda d: d.update(gap=0.5), "gap: 0.5: an optimal plan has gap 0"),
    "bound": (lambda d: d.update(bound="1"), "bound: '1' is below the plan's quality"),
    "totals": (
        lambda d: d["totals"].update(cost_usd="1"),
        "totals.cost_usd: '1' USD, recomputed",
    ),
    "period": (lambda d: d.update(period="day"), "period: 'day' is not the workload's 'month'"),
    "volume": (
        lambda d: d["tasks"][1].update(volume=5),
        "tasks[1].volume: 5 is not the workload's 20000",
    ),
    "inputs": (lambda d: d.update(inputs={}), "inputs: no entry has the sha256 of"),
}


@pytest.mark.parametrize("name", list(TAMPERS))
def test_tampered_plan_is_refused(basic: Path, name: str) -> None:
    doc = solved(basic)
    assert doc["status"] == "optimal"
    tamper, expected = TAMPERS[name]
    bad = copy.deepcopy(doc)
    tamper(bad)
    found = problems(bad, basic)
    assert any(expected in line for line in found), found


def test_split_false_with_two_options_is_refused(basic: Path) -> None:
    doc = solved(basic, objective="min_cost")
    assert len(doc["tasks"][0]["allocations"]) == 2  # the floor forces a mix on task a
    floor = "    min_quality: 0.8\n"
    edit(basic / "workload.yaml", floor, floor + "    split: false\n")
    doc["inputs"] = {"w": read_workload(basic / "workload.yaml").file.sha256, **doc["inputs"]}
    found = problems(doc, basic)
    assert "tasks[0].allocations: split: false but 2 options are used" in found


def test_floor_missed_is_refused(basic: Path) -> None:
    """Raise task a's floor to 0.99 in the workload: the plan (mean <= 0.93) misses it."""
    doc = solved(basic)
    edit(basic / "workload.yaml", "min_quality: 0.8\n", "min_quality: 0.99\n")
    doc["tasks"][0]["min_quality"] = "0.99"
    found = problems(doc, basic)
    assert any(line.startswith("tasks[0].min_quality: mean quality ") and
               line.endswith("is below the floor 0.99") for line in found), found  # fmt: skip


def test_share_cap_of_zero_is_a_cap() -> None:
    """A cap of 0 forbids any spend on that provider (today's solvers once dropped it)."""
    from costplan.verify.classplan import check_shares
    from costplan.verify.findings import Findings

    f = Findings()
    check_shares(f, {"openai": Fraction(1), "anthropic": Fraction(0)}, 1, {"openai": Fraction(0)})
    assert [str(v) for v in f.items] == [
        "tasks: provider 'openai' gets 0.000000000001 USD, more than 0% of the plan's "
        "0.000000000001 USD"
    ]


# ------------------------------------------------------------------ optimize() runs it


def _tampered_solve(real: Callable[..., tuple[list[object], object]]) -> Callable[..., object]:
    def solve(*args: object, **kwargs: object) -> object:
        options, sol = real(*args, **kwargs)
        counts = np.array(sol.counts, copy=True)  # type: ignore[attr-defined]
        counts[int(np.argmax(counts))] += 1  # one query too many: a solver bug
        return options, dataclasses.replace(sol, counts=counts)  # type: ignore[call-overload]

    return solve


def test_optimize_refuses_a_plan_that_fails_verification(
    basic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(optimize_mod, "solve_table", _tampered_solve(optimize_mod.solve_table))
    table = load_inputs(basic / "workload.yaml")
    with pytest.raises(InternalError, match=r"counts sum to 100,001, volume is 100,000"):
        optimize(table)


def test_cli_writes_no_plan_that_fails_verification(
    run: Runner, basic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(optimize_mod, "solve_table", _tampered_solve(optimize_mod.solve_table))
    out = tmp_path / "plan.yaml"
    out.write_text("old plan\n")
    r = run("optimize", basic / "workload.yaml", "--out", out)
    assert r.code == 4
    assert r.err.startswith("error: plan for 'basic' failed independent verification (")
    assert "tasks[0].allocations: counts sum to 100,001, volume is 100,000" in r.err
    assert "no plan file was written" in r.err
    assert "Traceback" not in r.err
    assert out.read_text() == "old plan\n"
    assert r.out == ""


def test_measured_cost_of_a_model_whose_tokens_cost_nothing(basic: Path) -> None:
    """A measured cost overrides tokens (README), also when the tokens are free."""
    edit(basic / "prices.yaml", "input_usd_per_mtok: 3\n", "input_usd_per_mtok: 0\n")
    edit(basic / "prices.yaml", "output_usd_per_mtok: 15\n", "output_usd_per_mtok: 0\n")
    edit(basic / "prices.yaml", "    cache_read_usd_per_mtok: 0.3\n", "")
    text = (basic / "workload.yaml").read_text() + "measured_cost_usd:\n  b: {big: 0.002}\n"
    (basic / "workload.yaml").write_text(text)
    doc = solved(basic)  # verified inside: the checker recomputes $0.002 too
    b = next(a for a in doc["tasks"][1]["allocations"] if a["model"] == "big")
    assert b["cost_per_query_usd"] == "0.002"


def test_prompt_caching_by_hand(basic: Path) -> None:
    """Task b on big with a 5-minute cache policy, hit rate 0.8, writes at 3.75 USD/Mtok:

    hit  = 3000 x 3 + 1000 x 0.3 (read) + 300 x 15 = 13,800 USD/M
    miss = 3000 x 3 + 1000 x 3.75 (write) + 300 x 15 = 17,250 USD/M
    5m   = 0.8 x 13,800 + 0.2 x 17,250 = 14,490 USD/M -> 14,490,000,000 pusd per query
    none = (3000 + 1000) x 3 + 300 x 15 = 16,500 USD/M
    """
    edit(basic / "prices.yaml", "    cache_read_usd_per_mtok: 0.3\n",
         "    cache_read_usd_per_mtok: 0.3\n    cache_write_usd_per_mtok: 3.75\n"
         "    min_cacheable_tokens: 0\n")  # fmt: skip
    edit(basic / "workload.yaml", "    latency: batch\n",
         "    latency: batch\n    cache: {hit_rate: 0.8, ttl: auto}\n")  # fmt: skip
    w = read_workload(basic / "workload.yaml")
    sheet = load_sheets([basic / "prices.yaml"])
    pricer = Pricer(w, sheet)
    big = sheet.models["big"]
    assert pricer.option(w.tasks[1], big, "standard", "5m").cost == 14_490_000_000
    assert pricer.option(w.tasks[1], big, "standard", "none").cost == 16_500_000_000
    doc = solved(basic)
    assert problems(doc, basic) == []
    rows = [a for t in doc["tasks"] for a in t["allocations"] if a.get("cache")]
    assert rows, "the plan uses a cache choice"
    rows[0]["cache"] = "1h"  # no 1-hour write price in the sheet
    assert any(line.endswith("is not usable: big has no 1-hour cache write price")
               or ".cache: '1h' is not a cache choice" in line
               for line in problems(doc, basic)), problems(doc, basic)  # fmt: skip


def test_a_pricing_bug_in_costplan_is_caught_by_the_checker(
    basic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checker shares no pricing code: a one-pico-dollar slip in the cost function
    (as a mutant would make it) is refused before any plan is written."""
    import costplan.pricing.caching as caching

    real = caching.request_cost_pusd

    def off_by_one(*args: Any, **kwargs: Any) -> Any:
        return real(*args, **kwargs) - 1

    monkeypatch.setattr(caching, "request_cost_pusd", off_by_one)
    with pytest.raises(InternalError, match=r"cost_per_query_usd: '[0-9.]+' USD, recomputed"):
        optimize(load_inputs(basic / "workload.yaml"), explain=False)


def test_float_written_bounds_are_judged_within_their_precision() -> None:
    """Found by the fuzz test: a min_cost plan of $264,465.751250862 whose solver bound was a
    float (264465751250862016 pusd, the nearest double) was written 16 pusd above the cost.
    Without a certificate such a bound is allowed the old verifier's relative 1e-9; with one,
    bounds are exact and compared exactly."""
    from costplan.verify.classplan import check_claim
    from costplan.verify.findings import Findings

    cost = Fraction("264465.751250862")
    doc: dict[str, Any] = {"status": "optimal", "gap": 0.0, "objective": "min_cost",
                           "bound": "264465.751250862016", "bound_unit": "usd"}  # fmt: skip
    f = Findings()
    check_claim(f, doc, cost)
    assert f.items == []
    doc["bound"] = "264465.8"  # about $0.05 above the cost: far more than float rounding
    check_claim(f, doc, cost)
    assert [str(v) for v in f.items] == [
        "bound: '264465.8' is above the plan's cost 264465.751250862 USD: not a lower bound"
    ]
    doc["bound"], doc["certificate"], f = "264465.751250862016", {}, Findings()
    check_claim(f, doc, cost)
    assert len(f.items) == 1
