"""The unconditional rule: no ``optimal`` without a certificate the checker accepts.

A plan file that says ``optimal`` fails ``costplan verify`` when its certificate is absent
(the key deleted, not only nulled), unreadable, or does not prove the claim, whatever the
rest of the file says; the same file saying ``feasible`` (with its bound and gap) passes.
Class level (quickstart) and per query (``assign``, with the query file).
"""

from __future__ import annotations

import shutil
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from tests.assign.test_assign import PRICES, write_queries
from tests.cli.conftest import Runner

ROOT = Path(__file__).parent.parent.parent


def _quickstart(run: Runner, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    folder = tmp_path / "quickstart"
    shutil.copytree(ROOT / "examples" / "quickstart", folder)
    plan = folder / "plan.yaml"
    assert run("optimize", folder / "workload.yaml", "-o", plan, "-q").code == 0
    return folder, yaml.safe_load(plan.read_text())


def _verify(run: Runner, doc: dict[str, Any], path: Path, *args: Any) -> tuple[int, list[str]]:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    r = run("verify", path, *args)
    return r.code, r.out.splitlines()


def _as_feasible(doc: dict[str, Any]) -> dict[str, Any]:
    """The same plan claiming only what its certificate's D proves (exact, by hand: the bound
    is floor(D) micro-units, the gap |bound - z| / z)."""
    cert = doc["certificate"]
    d = Fraction(cert["lagrangian_bound"])
    z = int(cert["objective"])
    bound = d.numerator // d.denominator
    out = dict(doc, status="feasible", bound=f"{Decimal(bound).scaleb(-6):f}",
               gap=str(Fraction(bound - z, z)))
    out["certificate"] = dict(cert, bound=str(bound))
    return out


def test_class_plan_optimal_without_certificate_fails(run: Runner, tmp_path: Path) -> None:
    folder, doc = _quickstart(run, tmp_path)
    assert doc["status"] == "optimal"
    args = ("--workload", folder / "workload.yaml")
    assert _verify(run, doc, tmp_path / "ok.yaml", *args)[0] == 0
    bare = {k: v for k, v in doc.items() if k != "certificate"}
    code, lines = _verify(run, bare, tmp_path / "bare.yaml", *args)
    assert code == 1
    assert "status: 'optimal' without a certificate" in lines
    broken = dict(doc, certificate="proven, trust me")
    code, lines = _verify(run, broken, tmp_path / "broken.yaml", *args)
    assert code == 1
    assert "status: 'optimal' without a valid certificate" in lines
    # claiming only the certificate's own bound is accepted, with or without the certificate
    feasible = _as_feasible(doc)
    code, lines = _verify(run, feasible, tmp_path / "feasible.yaml", *args)
    assert code == 0, lines
    assert lines[0].endswith("status feasible re-derived from the raw inputs"), lines
    assert Fraction(feasible["gap"]) > 0  # D alone does not close it: the search did


def test_per_query_optimal_without_certificate_fails(run: Runner, tmp_path: Path) -> None:
    q = write_queries(tmp_path, 60, seed=5)
    rows, plan = tmp_path / "rows.csv", tmp_path / "plan.yaml"
    assert run("assign", q, "--prices", PRICES, "--budget", "0.2", "-o", rows,
               "--plan", plan).code == 0  # fmt: skip
    doc = yaml.safe_load(plan.read_text())
    assert doc["status"] == "optimal"
    args = ("--queries", q, "--assignments", rows, "--prices", PRICES)
    assert _verify(run, doc, tmp_path / "ok.yaml", *args)[0] == 0
    bare = {k: v for k, v in doc.items() if k != "certificate"}
    code, lines = _verify(run, bare, tmp_path / "bare.yaml", *args)
    assert code == 1
    assert "status: 'optimal' without a certificate" in lines
    # without the query file nothing can be re-derived: optimal is refused, with a reason
    code, lines = _verify(run, doc, tmp_path / "alone.yaml")
    assert code == 1
    why = "status: 'optimal' is not proven by a certificate this checker can re-derive"
    assert any(line.startswith(f"{why} (per-query plan") for line in lines), lines
