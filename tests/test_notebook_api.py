"""``import costplan``: the use cases as functions, money as Decimal USD, DataFrames, HTML."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

import costplan
from costplan.errors import InputError

ROOT = Path(__file__).parents[1]
BASIC = ROOT / "tests" / "data" / "basic" / "workload.yaml"
QUERIES = "id,prompt_tokens,output_tokens,q:small,q:big\nq1,100,10,0.5,0.9\nq2,2000,40,0.8,1\n"


def test_import_costplan_is_light_and_exports_the_use_cases() -> None:
    code = (
        "import sys, costplan\n"
        "heavy = [m for m in ('ortools', 'duckdb', 'numpy', 'pandas', 'matplotlib', 'pyarrow')"
        " if m in sys.modules]\n"
        "print(heavy, sorted(costplan.__all__))"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={"PYTHONPATH": str(ROOT / "src")})  # fmt: skip
    assert r.stdout.strip() == (
        "[] ['__version__', 'assign', 'check', 'export', 'frontier', 'load', 'optimize', "
        "'reconcile', 'report']"
    )


def test_use_case_names_are_callable_and_still_the_modules() -> None:
    import costplan.optimize as optimize_module  # the optimiser's module, as before

    assert callable(costplan.optimize)
    assert costplan.optimize is optimize_module
    assert callable(optimize_module.plan_from_counts)
    for name in costplan.USE_CASES:
        assert callable(getattr(costplan, name)), name


@pytest.fixture(scope="module")
def plan() -> costplan.notebook.PlanView:
    return costplan.optimize(BASIC)


def test_optimize_money_is_exact_decimal_usd(plan: costplan.notebook.PlanView) -> None:
    # tests/data/basic at its $500 budget: everything on 'big', $358.90 (tests/check).
    assert plan.cost_usd == Decimal("358.9")
    assert isinstance(plan.cost_usd, Decimal)
    assert plan.budget_usd == Decimal(500)
    rows = plan.allocations()
    assert {r["model"] for r in rows} == {"big"}
    assert sum((r["cost_usd"] for r in rows), Decimal(0)) == plan.cost_usd
    for r in rows:  # each row's cost is its count times its exact per-query cost
        assert r["cost_usd"] == r["count"] * r["cost_per_query_usd"]
        assert isinstance(r["cost_per_query_usd"], Decimal)
    cheaper = costplan.optimize(BASIC, budget_usd="300")
    assert cheaper.cost_usd <= Decimal(300)
    with pytest.raises(InputError, match="floats are not exact"):
        costplan.optimize(BASIC, budget_usd=300.0)  # type: ignore[arg-type]


def test_to_pandas_and_notebook_display(plan: costplan.notebook.PlanView,
                                        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    df = plan.to_pandas()
    assert list(df.columns[:4]) == ["task", "model", "mode", "provider"]
    assert sum(df["cost_usd"], Decimal(0)) == Decimal("358.9")  # Decimals kept, not floats
    html = plan._repr_html_()
    assert html.startswith("<table><caption>basic: max_quality, optimal, cost $358.9 per month")
    assert html.count("<tr>") == 1 + len(plan.allocations())
    monkeypatch.setitem(sys.modules, "pandas", None)  # pandas not installed
    with pytest.raises(InputError, match="needs the optional package pandas") as err:
        plan.to_pandas()
    assert err.value.hint == "pip install pandas"


def test_report_export_check_frontier_assign(plan: costplan.notebook.PlanView,
                                             tmp_path: Path) -> None:  # fmt: skip
    assert costplan.report(plan, "md").startswith("# costplan: basic (max_quality, per month)\n")
    assert costplan.report(plan).startswith("<!DOCTYPE html>")
    saved = tmp_path / "plan.yaml"
    plan.save(saved)
    assert "model: anthropic/big" in costplan.export(saved, "litellm")
    assert costplan.export(plan, "csv").startswith("task,model,provider,mode,count,")
    checked = costplan.check(saved)
    assert checked.passed
    assert checked.old_cost_usd == checked.new_cost_usd == Decimal("358.9")
    front = costplan.frontier(BASIC, points=3)
    points = front.points()
    costs = [p["cost_usd"] for p in points]
    assert costs == sorted(costs)
    assert all(isinstance(c, Decimal) for c in costs)
    assert front.to_pandas().shape[0] == len(points)
    queries = tmp_path / "q.csv"
    queries.write_text(QUERIES)
    prices = BASIC.parent / "prices.yaml"
    assigned = costplan.assign(queries, prices=[prices], objective="min_cost",
                               min_mean_quality="0.85")  # fmt: skip
    # q1: small 0.5 / big 0.9, q2: small 0.8 / big 1. A mean of 0.85 needs both on big
    # (0.95) or q1 big + q2 small (0.85): the cheaper one, q2 on small.
    rows = {(r["model"], r["count"]) for r in assigned.allocations()}
    assert rows == {("big", 1), ("small", 1)}
    assert isinstance(assigned.cost_usd, Decimal)
