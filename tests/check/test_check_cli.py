"""`costplan check`: exit codes, reasons and reports of the CI gate."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from tests.check.conftest import scaled_big
from tests.cli.conftest import Runner, edit


@pytest.mark.usefixtures("planned")
def test_unchanged_prices_pass(run: Runner) -> None:
    r = run("check", "plan.yaml")
    assert r.code == 0, r.err
    assert "costplan check: plan.yaml (basic, max_quality, per month)" in r.out
    # the plan: all on big, $82.90 + $276.00 = $358.90 (tests/basic_figures.py); $141.10 left
    assert "$358.90 │  $358.90 │ +$0.00 │    +0.0%" in r.out
    assert "the plan's budget $500.00: re-priced plan costs $358.90, $141.10 left" in r.out
    assert r.out.rstrip().endswith("check passed")
    assert r.err == ""


def test_price_increase_that_breaks_the_budget_fails(run: Runner, planned: Path) -> None:
    new = scaled_big(planned, "2")
    r = run("check", "plan.yaml", "--prices", new)
    assert r.code == 1
    assert "check passed" not in r.out
    # big's prices doubled: 2 x $358.90 = $717.80, $217.80 over the $500 budget
    assert "$358.90 │  $717.80 │ +$358.90 │  +100.0%" in r.out
    assert r.err == (
        "error: check failed:\n"
        "  plan.yaml: re-priced plan costs $717.80, over the plan's budget of $500.00 "
        "by $217.80\n"
    )


@pytest.mark.usefixtures("planned")
def test_budget_option_overrides_the_plans_budget(run: Runner) -> None:
    # the plan costs exactly $358.90 (tests/basic_figures.py): a budget of that fits
    assert run("check", "plan.yaml", "--budget", "358.90").code == 0
    r = run("check", "plan.yaml", "--budget", "358.89")
    assert r.code == 1
    assert "over --budget of $358.89 by $0.01" in r.err


def test_removed_model_fails_naming_each_allocation(run: Runner, planned: Path) -> None:
    text = (planned / "prices.yaml").read_text()
    without_big = text[: text.index("  big:\n")]
    (planned / "no-big.yaml").write_text(without_big)
    r = run("check", "plan.yaml", "--prices", "no-big.yaml")
    assert r.code == 1
    lines = r.err.splitlines()
    assert lines[0] == "error: check failed:"
    assert lines[1:] == [
        "  plan.yaml: task 'a': model 'big' is not in the new price sheets",
        "  plan.yaml: task 'b': model 'big' is not in the new price sheets",
    ]
    assert "│      n/a │    n/a │      n/a" in r.out


def test_max_increase_5_fails_after_a_10_percent_rise(run: Runner, planned: Path) -> None:
    new = scaled_big(planned, "1.1")
    r = run("check", "plan.yaml", "--prices", new, "--max-increase", "5")
    assert r.code == 1
    assert "max increase 5%: total changed +10.00%" in r.out
    # every row is on big, whose prices rise 10%: $358.90 x 1.1 = $394.79
    assert (
        "plan.yaml: total cost rises +10.00% ($358.90 -> $394.79), more than --max-increase 5%"
        in r.err
    )
    # Exactly +10% is not *more than* 10%: the comparison is exact, not rounded.
    ok = run("check", "plan.yaml", "--prices", new, "--max-increase", "10%")
    assert ok.code == 0, ok.err
    assert "check passed" in ok.out


def test_price_change_option_is_the_same_as_an_edited_sheet(run: Runner, planned: Path) -> None:
    edited = run("check", "plan.yaml", "--prices", scaled_big(planned, "1.1"), "--format", "json")
    whatif = run("check", "plan.yaml", "--price-change", "big=+10%", "--format", "json")
    a, b = json.loads(edited.out)["checks"][0], json.loads(whatif.out)["checks"][0]
    assert a["new_cost_usd"] == b["new_cost_usd"] == "394.79"
    assert a["tasks"] == b["tasks"]
    assert b["prices_source"] == "test; what-if: big=+10%"


def test_mode_no_longer_offered_fails(run: Runner, planned: Path) -> None:
    # min_cost sends task b (latency batch) to small's batch mode.
    r = run("optimize", "workload.yaml", "--objective", "min_cost", "-o", "cheap.yaml", "-q")
    assert r.code == 0, r.err
    assert "mode: batch" in (planned / "cheap.yaml").read_text()
    edit(planned / "prices.yaml", "    batch: {discount: 0.5}\n", "")
    r = run("check", "cheap.yaml")
    assert r.code == 1
    assert "cheap.yaml: task 'b': small no longer offers batch mode" in r.err


def test_excluded_option_fails_with_the_reason(run: Runner, planned: Path) -> None:
    edit(planned / "prices.yaml", "context_window: 200000", "context_window: 4000")
    r = run("check", "plan.yaml")
    assert r.code == 1
    assert (
        "plan.yaml: task 'b': big is now excluded: context window exceeded: p95 request "
        "needs 4,900 tokens, big takes 4,000" in r.err
    )


def test_changed_workload_warns(run: Runner, planned: Path) -> None:
    edit(planned / "workload.yaml", "volume: 20000", "volume: 25000")
    r = run("check", "plan.yaml")
    assert r.code == 0, r.err
    assert "warning: plan.yaml: workload workload.yaml changed since the plan was made" in r.err
    assert (
        "task 'b': the workload's volume is now 25,000, the plan's 20,000; "
        "re-priced at the planned counts" in r.err
    )
    # the planned counts (20,000 of b on big: $358.90), not the new volume (which would add
    # 5,000 x $0.0138 = $69.00)
    assert "$358.90" in r.out
    assert "$427.90" not in r.out


def test_json_report_is_exact_and_consistent(run: Runner, planned: Path) -> None:
    new = scaled_big(planned, "1.1")
    r = run("check", "plan.yaml", "--prices", new, "--format", "json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert data["passed"] is True
    c = data["checks"][0]
    # $358.90 x 1.1 = $394.79, change $35.89 = 10%
    assert (c["old_cost_usd"], c["new_cost_usd"], c["change_usd"]) == ("358.9", "394.79", "35.89")
    assert c["change_pct"] == "10.0000"
    assert sum(Decimal(t["new_cost_usd"]) for t in c["tasks"]) == Decimal(c["new_cost_usd"])
    for t in c["tasks"]:
        for a in t["allocations"]:
            per_query = Decimal(a["new_cost_per_query_usd"])
            assert Decimal(a["new_cost_usd"]) == per_query * a["count"]
            assert a["problem"] is None


def test_markdown_report_for_a_pr_comment(run: Runner, planned: Path) -> None:
    r = run("check", "plan.yaml", "--prices", scaled_big(planned, "2"), "--format", "markdown")
    assert r.code == 1
    assert "### costplan check: plan.yaml (basic, max_quality, per month)" in r.out
    assert "| task | model (mode) | old cost | new cost | change | change % |" in r.out
    assert "| **total** |  | **$358.90** | **$717.80** | **+$358.90** | **+100.0%** |" in r.out
    assert "**check failed**:\n- re-priced plan costs $717.80, over the plan's budget" in r.out


def test_reoptimize_shows_the_saving(run: Runner, planned: Path) -> None:
    new = scaled_big(planned, "2")
    r = run("check", "plan.yaml", "--prices", new, "--reoptimize", "--format", "json")
    assert r.code == 1  # the saved plan still breaks the budget
    again = json.loads(r.out)["checks"][0]["reoptimized"]
    assert again["status"] == "optimal"
    fresh = Decimal(again["cost_usd"])
    # With big's prices doubled (a: $0.001658, b: $0.0276 a query), a gains 0.15 quality
    # for $0.00162475 more on big, b 0.2 for $0.0272475 (over small batch): a goes first,
    # all of it ($165.80); b's small batch base is $7.05; $500 - $165.80 - $7.05 = $327.15
    # moves 12,006 of b to big ($327.15 / $0.0272475 = 12,006.6). The $0.0125 left cannot
    # buy another b query, nor can it by moving a's queries down (10 of them, -1.5 quality,
    # for one b query, +0.2). Cost: $165.80 + 12,006 x $0.0276 + 7,994 x $0.0003525
    # = $165.80 + $331.3656 + $2.817885 = $499.983485.
    assert fresh == Decimal("499.983485")
    assert Decimal(again["saves_usd"]) == Decimal("717.8") - fresh
    table = run("check", "plan.yaml", "--prices", new, "--reoptimize")
    assert "re-optimized with the new prices: $" in table.out
    # mean quality (0.93 x 100,000 + 0.9 x 20,000) / 120,000 = 0.925; saves $217.816515
    assert "against the re-priced plan ($717.80, mean quality 0.9250) it saves $217.82" in table.out


def test_several_plans_fail_only_for_the_failing_one(run: Runner, planned: Path) -> None:
    r = run("optimize", "workload.yaml", "--budget", "2000", "-o", "rich.yaml", "-q")
    assert r.code == 0, r.err
    new = scaled_big(planned, "1.5")
    r = run("check", "plan.yaml", "rich.yaml", "--prices", new)
    assert r.code == 1
    assert "plan.yaml: re-priced plan costs $538.35" in r.err  # $358.90 x 1.5
    assert "rich.yaml" not in r.err
    assert "costplan check: rich.yaml" in r.out


def test_workload_not_found_from_another_directory(
    run: Runner, planned: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    r = run("check", planned / "plan.yaml")
    assert r.code == 2
    assert "workload_path: the plan's workload file is not found" in r.err
    assert "pass --workload FILE" in r.err
    ok = run("check", planned / "plan.yaml", "--workload", planned / "workload.yaml")
    assert ok.code == 0, ok.err


@pytest.mark.usefixtures("planned")
def test_bad_options_exit_2(run: Runner) -> None:
    r = run("check", "plan.yaml", "--max-increase", "ten")
    assert (r.code, r.err) == (
        2,
        "error: --max-increase must be a number from 0 to 1,000,000% (got 'ten')\n",
    )
    r = run("check", "plan.yaml", "--format", "mardown")
    assert r.code == 2
    assert "did you mean 'markdown'?" in r.err
    r = run("check", "plan.yaml", "--price-change", "big=10%")
    assert r.code == 2
    assert "--price-change: the change needs its sign" in r.err
    r = run("check", "missing.yaml")
    assert r.code == 2
    assert "missing.yaml: plan file not found" in r.err


def test_robust_plan_is_checked_at_p95_lengths(
    run: Runner, basic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `optimize --robust` is refused now (replaced by --confidence), but robust plan files
    # written before stay checkable: one is made through the library, as the CLI did.
    from costplan.api import load_inputs, optimize
    from costplan.planio import write_plan

    monkeypatch.chdir(basic)
    old = optimize(load_inputs(Path("workload.yaml")), budget_usd=Decimal(400), robust=True)
    write_plan(old, Path("robust.yaml"))
    import yaml

    plan = yaml.safe_load(Path("robust.yaml").read_text())
    assert plan["robust"] is True
    expected = Decimal(plan["totals"]["cost_usd"])
    at_p95 = Decimal(plan["totals"]["cost_p95_usd"])
    assert expected < at_p95 <= 400
    between = ((expected + at_p95) / 2).quantize(Decimal("0.01"))
    r = run("check", "robust.yaml", "--budget", str(between))
    assert r.code == 1
    assert "re-priced robust plan costs" in r.err
    assert f"at p95 lengths, over --budget of ${between}" in r.err
    # The same allocation, checked as a plain plan, fits that budget.
    Path("plain.yaml").write_text(
        Path("robust.yaml").read_text().replace("robust: true", "robust: false")
    )
    assert run("check", "plain.yaml", "--budget", str(between)).code == 0
