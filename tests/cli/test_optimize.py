"""`costplan optimize` and `estimate`: outputs, plan files, exit codes, error messages."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from tests.cli.conftest import Runner, edit


def test_optimize_prints_allocation_and_totals(run: Runner, basic: Path) -> None:
    r = run("optimize", basic / "workload.yaml")
    assert r.code == 0, r.err
    assert "costplan: basic (max_quality, per month)" in r.out
    assert "a (>= 0.8)" in r.out
    assert "status: optimal" in r.out
    # all on big: 100,000 x $0.000829 + 20,000 x $0.0138 = $82.90 + $276.00 (basic_figures)
    assert "budget $500.00: plan costs $358.90" in r.out
    assert "against simple policies" in r.out
    assert r.err == ""


def test_plan_file_totals_equal_sum_of_rows(run: Runner, basic: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.yaml"
    r = run("optimize", basic / "workload.yaml", "--out", out, "--budget", "300")
    assert r.code == 0, r.err
    plan = yaml.safe_load(out.read_text())
    assert plan["status"] == "optimal"
    assert plan["budget_usd"] == "300"
    tasks_total = Decimal(0)
    volume = 0
    for t in plan["tasks"]:
        rows = sum(Decimal(a["cost_usd"]) for a in t["allocations"])
        assert rows == Decimal(t["cost_usd"])
        assert sum(a["count"] for a in t["allocations"]) == t["volume"]
        for a in t["allocations"]:
            assert Decimal(a["cost_usd"]) == Decimal(a["cost_per_query_usd"]) * a["count"]
        tasks_total += rows
        volume += t["volume"]
    assert tasks_total == Decimal(plan["totals"]["cost_usd"])
    assert tasks_total <= Decimal(300)
    assert volume == plan["totals"]["volume"]
    assert set(plan["inputs"]) == {str(basic / "workload.yaml"), str(basic / "prices.yaml")}


def test_json_plan_and_min_cost(run: Runner, basic: Path, tmp_path: Path) -> None:
    import json

    out = tmp_path / "plan.json"
    r = run("optimize", basic / "workload.yaml", "--objective", "min_cost", "-o", out, "-q")
    assert r.code == 0, r.err
    assert r.out == ""
    plan = json.loads(out.read_text())
    assert plan["objective"] == "min_cost"
    # floor a >= 0.8: small (0.78) alone misses it, so part of 'a' goes to big.
    a = next(t for t in plan["tasks"] if t["name"] == "a")
    assert Decimal(a["mean_quality"]) >= Decimal("0.8")
    assert len(a["allocations"]) == 2


def test_infeasible_budget_explains_and_exits_1(run: Runner, basic: Path) -> None:
    r = run("optimize", basic / "workload.yaml", "--budget", "10")
    assert r.code == 1
    assert "no plan fits the budget: the cheapest plan meeting every quality floor costs" in r.err
    assert "budget is $10.00" in r.err
    assert "Task 'a' forces most of it" in r.err
    assert "Traceback" not in r.err


def test_estimate_lists_every_option(run: Runner, basic: Path) -> None:
    r = run("estimate", basic / "workload.yaml")
    assert r.code == 0, r.err
    assert "small (batch)" in r.out
    assert "tokens estimated" in r.out  # 'big' is anthropic: claude family estimate


BAD_CASES = [
    # (file to edit, old, new, extra args, exit code, message fragments)
    (
        "workload.yaml",
        "tasks:\n",
        "tasks: [\n",
        (),
        2,
        ["workload.yaml:", "malformed YAML"],
    ),
    (
        "workload.yaml",
        "a: {small: 0.78",
        "a: {smal: 0.78",
        (),
        2,
        [
            "workload.yaml:19: quality.a.smal: unknown model in the quality table",
            "(got 'smal'); did you mean 'small'?",
        ],
    ),
    (
        "prices.yaml",
        "input_usd_per_mtok: 0.15",
        "input_usd_per_mtok: -0.15",
        (),
        2,
        [
            "prices.yaml:7: models.small.input_usd_per_mtok: Input should be greater than or equal "
            "to 0",
            "(got -0.15)",
        ],
    ),
    (
        "workload.yaml",
        "budget_usd: 500\n",
        "",
        (),
        2,
        ["workload.yaml: budget_usd: budget_usd is required for objective max_quality"],
    ),
    (
        "workload.yaml",
        "samples/a/*.txt",
        "samples/zzz/*.txt",
        (),
        2,
        ["workload.yaml:9: tasks[0].prompt.samples:", "matches no file"],
    ),
    (
        "workload.yaml",
        "volume: 100000",
        "volumne: 100000",
        (),
        2,
        ["workload.yaml:8: tasks[0].volumne: unknown key", "did you mean 'volume'?"],
    ),
    (
        "workload.yaml",
        "volume: 100000",
        "volume: lots",
        (),
        2,
        ["workload.yaml:8: tasks[0].volume: Input should be a valid integer", "(got 'lots')"],
    ),
    (
        "workload.yaml",
        "name: b\n",
        "name: a\n",
        (),
        2,
        ["tasks[1].name: duplicate task name (first at tasks[0])", "(got 'a')"],
    ),
    (
        "workload.yaml",
        "min_quality: 0.8",
        "min_quality: 1.8",
        (),
        2,
        ["tasks[0].min_quality: Input should be less than or equal to 1"],
    ),
    (
        "workload.yaml",
        "  b: {small",
        "  bb: {small",
        (),
        2,
        ["quality.bb: quality table names an unknown task", "did you mean 'b'?"],
    ),
    (
        "workload.yaml",
        "prices: prices.yaml",
        "prices: nope.yaml",
        (),
        2,
        ["nope.yaml: price sheet not found"],
    ),
    (
        "prices.yaml",
        "currency: USD",
        "currency: EUR",
        (),
        2,
        ["prices.yaml:1: currency: prices in EUR need an exchange rate", "usd_per_unit"],
    ),
    (
        "workload.yaml",
        "min_quality: 0.8",
        "min_quality: 0.99",
        (),
        1,
        ["task 'a' needs min_quality 0.99 but its best usable model big reaches 0.93"],
    ),
    (
        "workload.yaml",
        "",
        "",
        ("--objective", "cheapest"),
        2,
        ["--objective must be max_quality or min_cost (got 'cheapest')"],
    ),
    (
        "workload.yaml",
        "",
        "",
        ("--budget", "lots"),
        2,
        ["--budget must be a number from 0 to 1,000,000,000,000 USD (got 'lots')"],
    ),
    (
        "workload.yaml",
        "",
        "",
        ("--out", "plan.txt"),
        2,
        ["plan.txt: plan file must end in .yaml, .yml or .json"],
    ),
]


@pytest.mark.parametrize(
    ("target", "old", "new", "args", "code", "fragments"),
    BAD_CASES,
    ids=[f"{i}-{c[5][0][:40]}" for i, c in enumerate(BAD_CASES)],
)
def test_bad_input_exact_code_and_message(
    run: Runner,
    basic: Path,
    target: str,
    old: str,
    new: str,
    args: tuple[str, ...],
    code: int,
    fragments: list[str],
) -> None:
    if old:
        edit(basic / target, old, new)
    r = run("optimize", basic / "workload.yaml", *args)
    assert r.code == code, (r.out, r.err)
    for fragment in fragments:
        assert fragment in r.err
    assert "Traceback" not in r.err
    assert r.err.startswith("error: ")


def test_missing_workload_and_directory(run: Runner, tmp_path: Path) -> None:
    r = run("optimize", tmp_path / "nope.yaml")
    assert r.code == 2
    assert r.err == f"error: {tmp_path / 'nope.yaml'}: workload not found\n"
    r = run("optimize", tmp_path)
    assert r.code == 2
    assert r.err == f"error: {tmp_path}: workload is a directory, expected a file\n"


def test_failed_run_leaves_existing_plan_untouched(
    run: Runner, basic: Path, tmp_path: Path
) -> None:
    out = tmp_path / "plan.yaml"
    out.write_text("previous plan\n")
    r = run("optimize", basic / "workload.yaml", "--budget", "1", "--out", out)
    assert r.code == 1
    assert out.read_text() == "previous plan\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["basic", "plan.yaml"]


def test_help_does_not_import_ortools_or_tiktoken() -> None:
    code = (
        "import sys\n"
        "from costplan.cli.app import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as e:\n    assert e.code == 0\n"
        "heavy = [m for m in ('ortools', 'tiktoken', 'pydantic') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "optimize" in r.stdout
    assert r.stdout.strip().splitlines()[-1] == "HEAVY="


def test_python_dash_m_runs(basic: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "costplan", "optimize", str(basic / "workload.yaml"), "-q"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr


def _spend_by(plan: dict, key: str) -> dict[str, Decimal]:  # type: ignore[type-arg]
    out: dict[str, Decimal] = {}
    for t in plan["tasks"]:
        for a in t["allocations"]:
            out[a[key]] = out.get(a[key], Decimal(0)) + Decimal(a["cost_usd"])
    return out


def test_provider_share_cap_and_capacity_hold(run: Runner, basic: Path, tmp_path: Path) -> None:
    wl = basic / "workload.yaml"
    wl.write_text(
        wl.read_text()
        + "constraints:\n"
        + "  max_provider_share: {anthropic: 0.5}\n"
        + "  capacity: {big: {requests: 30000}}\n"
    )
    out = tmp_path / "plan.yaml"
    r = run("optimize", wl, "--budget", "1000", "-o", out)
    assert r.code == 0, r.err
    plan = yaml.safe_load(out.read_text())
    spend = _spend_by(plan, "provider")
    assert spend["anthropic"] <= Decimal("0.5") * sum(spend.values())
    big = sum(a["count"] for t in plan["tasks"] for a in t["allocations"] if a["model"] == "big")
    assert big <= 30000


def test_unknown_capacity_model_is_located(run: Runner, basic: Path) -> None:
    wl = basic / "workload.yaml"
    wl.write_text(wl.read_text() + "constraints:\n  capacity:\n    bigg: {requests: 5}\n")
    r = run("optimize", wl)
    assert r.code == 2
    assert (
        "workload.yaml:23: constraints.capacity.bigg: capacity for a model that is not in" in r.err
    )
    assert "did you mean 'big'?" in r.err


def test_capacity_conflicting_with_floor_exits_1(run: Runner, basic: Path) -> None:
    wl = basic / "workload.yaml"
    wl.write_text(wl.read_text() + "constraints:\n  capacity: {big: {requests: 10}}\n")
    r = run("optimize", wl)
    assert r.code == 1
    assert (
        "no plan meets every quality floor within the side constraints "
        "(capacity of big: 10 requests), whatever the budget" in r.err
    )


def test_robust_is_refused_for_confidence(run: Runner, basic: Path, tmp_path: Path) -> None:
    out = tmp_path / "plan.yaml"
    r = run("optimize", basic / "workload.yaml", "--budget", "400", "--robust", "-o", out)
    assert r.code == 2
    assert "--robust is replaced by --confidence" in r.err
    assert "--confidence 0.95" in r.err
    assert len(r.err.strip().splitlines()) <= 2  # one error line (and its hint), no traceback
    assert not out.exists()


def test_old_robust_plan_file_is_read_with_a_migration_note(
    run: Runner, basic: Path, tmp_path: Path
) -> None:
    from costplan.api import load_inputs, optimize
    from costplan.planio import MIGRATED_NOTE, MIGRATED_ROBUST_NOTE, read_plan, write_plan

    old = optimize(load_inputs(basic / "workload.yaml"), budget_usd=Decimal(400), robust=True)
    path = tmp_path / "old.yaml"
    write_plan(old, path)
    data = yaml.safe_load(path.read_text())
    del data["risk"]  # as written before costplan.risk existed
    data.pop("quality_risk")
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    plan = read_plan(path)
    assert MIGRATED_NOTE in plan.notes
    assert MIGRATED_ROBUST_NOTE in plan.notes
    r = run("report", path)
    assert r.code == 0, r.err
    assert "migrated: this plan file predates the period-cost distribution" in r.out
    assert "budget at risk:" not in r.out
