"""The checker recomputes the bound from a plan's certificate (docs/certificate.md).

Oracle by hand, tests/data/basic (max_quality, budget $300, which keeps the plan below
the bound): with every price 0 the Lagrangian bound is each task's volume times its best
usable quality:
task a (100,000 queries, best big 0.93) + task b (20,000, best big 0.9)
= 93,000 + 18,000 = 111,000 quality queries = 111,000,000,000 micro-units.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from costplan.api import load_inputs
from costplan.optimize import optimize
from costplan.plan import plan_to_dict
from costplan.verify import Sources, check_document

D_ZERO = 111_000_000_000


def _doc(basic: Path) -> tuple[dict[str, Any], int]:
    table = load_inputs(basic / "workload.yaml")
    doc = plan_to_dict(optimize(table, explain=False, budget_usd=Decimal(300)))
    z = sum(
        a["count"] * int(Decimal(a["quality"]) * 10**6)
        for t in doc["tasks"]
        for a in t["allocations"]
    )
    return doc, z


def _certified(doc: dict[str, Any], z: int, bound: int, prices: dict[str, str]) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out["status"] = "feasible"
    out["bound"] = f"{Decimal(bound).scaleb(-6):f}"
    out["gap"] = str(Fraction(abs(bound - z), max(1, z)))
    out["certificate"] = {
        "version": 1, "sense": "max", "objective_unit": "quality_micro",
        "objective": str(z), "bound": str(bound), "prices": prices,
        "lagrangian_bound": str(bound), "proof": "lagrangian", "scaling": [],
    }  # fmt: skip
    return out


def problems(doc: dict[str, Any], basic: Path) -> list[str]:
    return [str(v) for v in check_document(doc, Sources(workload=basic / "workload.yaml"))]


def test_zero_prices_give_the_best_quality_bound(basic: Path) -> None:
    doc, z = _doc(basic)
    assert z < D_ZERO  # the budget keeps the plan below the unconstrained best
    assert problems(_certified(doc, z, D_ZERO, {}), basic) == []


def test_optimal_needs_the_certificate_to_prove_it(basic: Path) -> None:
    doc, z = _doc(basic)
    claimed = _certified(doc, z, D_ZERO, {})
    claimed["status"] = "optimal"
    found = problems(claimed, basic)
    assert f"status: 'optimal' but the certificate proves only {D_ZERO} against {z}" in found


def test_optimal_without_a_certificate_is_refused(basic: Path) -> None:
    doc, _ = _doc(basic)
    assert doc["status"] == "optimal"
    doc["certificate"] = None
    assert "status: 'optimal' without a certificate" in problems(doc, basic)


def test_each_multiplier_is_checked(basic: Path) -> None:
    doc, z = _doc(basic)
    negative = _certified(doc, z, D_ZERO, {"budget": "-1/3"})
    assert "certificate.prices.budget: '-1/3' is not a price >= 0" in problems(negative, basic)
    unknown = _certified(doc, z, D_ZERO, {"floor:b": "1"})  # task b has no floor
    assert "certificate.prices.floor:b: a row this plan does not have" in problems(unknown, basic)
    # A floor price of 1 on task a: each option gains (q - 800,000) per query, best is big:
    # 100,000 x (930,000 + 130,000) + 20,000 x 900,000 = 124,000,000,000.
    floor = _certified(doc, z, D_ZERO, {"floor:a": "1"})
    assert "certificate.lagrangian_bound: '111000000000', recomputed 124000000000" in problems(
        floor, basic
    )


def test_bound_and_gap_must_follow_from_the_certificate(basic: Path) -> None:
    doc, z = _doc(basic)
    low = _certified(doc, z, D_ZERO, {})
    low["gap"] = "0"
    found = problems(low, basic)
    assert any(line.startswith("gap: '0', recomputed ") for line in found), found
    tampered = _certified(doc, z, D_ZERO, {})
    tampered["certificate"]["objective"] = str(z + 1)
    assert f"certificate.objective: '{z + 1}', the rows give {z}" in problems(tampered, basic)
