"""The checker re-prices assign plans query by query from the raw query file.

Oracle: tests/data/basic/prices.yaml by hand: small costs 0.15 USD/Mtok input
(150,000 pusd per token) and 0.6 output (600,000 pusd per token), big 3 and 15
(3,000,000 and 15,000,000 pusd per token); the generated queries have no cached
tokens, so a query costs prompt x input + output x output.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import yaml

from tests.assign.test_assign import PRICES, write_queries
from tests.cli.conftest import Runner

RATES = {"small": (150_000, 600_000), "big": (3_000_000, 15_000_000)}


def _usd(pusd: int) -> str:
    whole, frac = divmod(pusd, 10**12)
    return f"{whole}.{frac:012d}".rstrip("0").rstrip(".")


def _assigned(run: Runner, tmp_path: Path, *extra: str) -> tuple[Path, Path, Path]:
    q = write_queries(tmp_path, 120, seed=11)
    rows, plan = tmp_path / "rows.csv", tmp_path / "plan.yaml"
    r = run("assign", q, "--prices", PRICES, "--budget", "0.3", "-o", rows, "--plan", plan, *extra)
    assert r.code == 0, r.err
    return q, rows, plan


def _verify(run: Runner, q: Path, rows: Path, plan: Path) -> tuple[int, list[str]]:
    r = run("verify", plan, "--queries", q, "--assignments", rows, "--prices", PRICES)
    return r.code, r.out.splitlines()


def test_assign_plans_verify(run: Runner, tmp_path: Path) -> None:
    q, rows, plan = _assigned(run, tmp_path)
    code, lines = _verify(run, q, rows, plan)
    assert code == 0, lines
    assert lines[0].startswith(f"verified: {plan}:")


def test_a_tampered_row_cost_is_refused(run: Runner, tmp_path: Path) -> None:
    q, rows, plan = _assigned(run, tmp_path)
    with rows.open() as fh:
        table = list(csv.DictReader(fh))
    first = json.loads(q.read_text().splitlines()[0])
    inp, out = RATES[table[0]["model"]]
    want = first["prompt_tokens"] * inp + first["output_tokens"] * out
    assert table[0]["cost_usd"] == _usd(want)  # the real row agrees with the hand rates
    table[0]["cost_usd"] = "0.000001"
    with rows.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(table[0]))
        writer.writeheader()
        writer.writerows(table)
    code, lines = _verify(run, q, rows, plan)
    assert code == 1
    assert f"rows[0].cost_usd: query 'q0': 0.000001, recomputed {_usd(want)}" in lines


def test_a_share_cap_of_zero_is_refused(run: Runner, tmp_path: Path) -> None:
    """The plan records its settings; a cap of 0 on a provider the plan pays is a violation."""
    q, rows, plan = _assigned(run, tmp_path)
    doc = yaml.safe_load(plan.read_text())
    assert doc["assign"]["max_provider_share"] == {}
    paid = {a["provider"] for t in doc["tasks"] for a in t["allocations"]}
    assert "openai" in paid
    doc["assign"]["max_provider_share"] = {"openai": "0"}
    plan.write_text(yaml.safe_dump(doc, sort_keys=False))
    code, lines = _verify(run, q, rows, plan)
    assert code == 1
    assert any(
        line.startswith("tasks: provider 'openai' gets ") and "more than 0% of the plan's" in line
        for line in lines
    ), lines


def test_a_wrong_summary_row_is_refused(run: Runner, tmp_path: Path) -> None:
    q, rows, plan = _assigned(run, tmp_path)
    doc = yaml.safe_load(plan.read_text())
    doc["tasks"][0]["allocations"][0]["count"] += 1
    plan.write_text(yaml.safe_dump(doc, sort_keys=False))
    code, lines = _verify(run, q, rows, plan)
    assert code == 1
    n = doc["tasks"][0]["allocations"][0]["count"] - 1
    assert f"tasks[0].allocations[0].count: {n + 1}, {n:,} queries use it" in lines


def test_optimal_per_query_plans_need_a_proof_the_checker_can_rederive(
    run: Runner, tmp_path: Path
) -> None:
    q, rows, plan = _assigned(run, tmp_path)
    doc = yaml.safe_load(plan.read_text())
    assert doc["status"] == "optimal"
    z = round(Decimal(doc["totals"]["quality_queries"]) * 10**6)
    for cert, reason in (
        (None, "status: 'optimal' without a certificate"),
        ({"version": 1, "proof": "core"}, "status: 'optimal' without a valid certificate"),
        ({"version": 1, "sense": "max", "objective": str(z), "bound": str(z), "prices": {},
          "proof": "magic"}, "status: 'optimal' is not proven by the certificate (proof: 'magic'"),
    ):  # fmt: skip
        doc["certificate"] = cert
        plan.write_text(yaml.safe_dump(doc, sort_keys=False))
        code, lines = _verify(run, q, rows, plan)
        assert code == 1
        assert any(line.startswith(reason) for line in lines), lines


def _best_quality(q: Path) -> int:
    """Hand oracle with every price 0: each query at its best model (micro-units, the
    generated qualities have 3 decimals, so exact)."""
    total = 0
    for line in q.read_text().splitlines():
        record = json.loads(line)
        total += max(round(Decimal(str(v)) * 10**6) for v in record["quality"].values())
    return total


def test_per_query_lagrangian_bound_from_zero_prices(run: Runner, tmp_path: Path) -> None:
    """Budget $1,000: every query gets its best model, so z = D at zero prices (optimal is
    proven by the certificate); at a $0.3 budget D stays the same but z is below it."""
    q = write_queries(tmp_path, 120, seed=11)
    d = _best_quality(q)
    for budget, optimal in (("1000", True), ("0.3", False)):
        rows, plan = tmp_path / f"rows{budget}.csv", tmp_path / f"plan{budget}.yaml"
        r = run("assign", q, "--prices", PRICES, "--budget", budget, "-o", rows, "--plan", plan)
        assert r.code == 0, r.err
        doc = yaml.safe_load(plan.read_text())
        z = round(Decimal(doc["totals"]["quality_queries"]) * 10**6)
        assert (z == d) is optimal
        doc["certificate"] = {"version": 1, "sense": "max", "objective": str(z),
                              "bound": str(d), "prices": {}, "lagrangian_bound": str(d),
                              "proof": "lagrangian"}  # fmt: skip
        doc["bound"] = f"{Decimal(d).scaleb(-6):f}"
        doc["gap"] = str(Fraction(d - z, max(1, z)))
        plan.write_text(yaml.safe_dump(doc, sort_keys=False))
        code, lines = _verify(run, q, rows, plan)
        if optimal:
            assert code == 0, lines
        else:
            assert f"status: 'optimal' but the certificate proves only {d} against {z}" in lines


def test_a_false_optimal_per_query_claim_is_refused_by_the_checkers_search(
    run: Runner, tmp_path: Path
) -> None:
    """The plan's recorded budget raised from $0.3 to $1,000: the same rows, claimed optimal
    with the same certificate, leave most of the budget unspent, and every query could take
    its best model (the hand oracle above): the checker's own search finds that better plan."""
    q, rows, plan = _assigned(run, tmp_path)
    doc = yaml.safe_load(plan.read_text())
    assert doc["status"] == "optimal"
    assert doc["certificate"]["proof"] in ("core", "search", "lagrangian")
    z = round(Decimal(doc["totals"]["quality_queries"]) * 10**6)
    assert z < _best_quality(q)  # at $0.3 not every query is on its best model
    doc["budget_usd"] = "1000"
    doc["certificate"]["prices"] = {}
    doc["certificate"]["lagrangian_bound"] = None
    doc["certificate"]["proof"] = "core"
    plan.write_text(yaml.safe_dump(doc, sort_keys=False))
    code, lines = _verify(run, q, rows, plan)
    assert code == 1
    want = "status: 'optimal' is not re-derived from the certificate: the checker's search found"
    assert any(line.startswith(want) for line in lines), lines
