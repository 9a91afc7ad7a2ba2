"""`costplan frontier`: output, CSV file, exit codes and exact error messages."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from costplan.frontier import FRONTIER_CSV_COLUMNS
from tests.cli.conftest import Runner, edit


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as fh:
        return list(csv.DictReader(fh))


def test_frontier_prints_chart_table_knee_and_aiq(run: Runner, basic: Path) -> None:
    r = run("frontier", basic / "workload.yaml", "--points", "5")
    assert r.code == 0, r.err
    assert r.err == ""
    assert "costplan frontier: basic (per month, 120,000 queries)" in r.out
    assert "frontier points (each an exact max_quality plan)" in r.out
    for header in ("budget", "cost", "mean quality", "quality / $1k"):
        assert header in r.out
    # The knee is the LP breakpoint: a all on big, b all on small (batch), $82.90 + $7.05 =
    # $89.95, mean quality (0.93 x 100,000 + 0.7 x 20,000) / 120,000 = 0.89166..
    # (tests/basic_figures.py derives every figure of the basic fixture).
    assert "breakpoint, ◆ knee" in r.out
    assert "knee: $89.95 at mean quality 0.8917" in r.out
    assert "◆" in r.out.split("frontier points")[0]  # marked on the chart too
    # from the cheapest plan meeting the floor ($20.9855305) to everything on big ($358.90)
    assert "AIQ (mean quality averaged over cost normalised to [0, 1] from $20.99 to $358.90)" in (
        r.out
    )
    # $500 - $358.90 = $141.10
    assert "workload budget $500.00: the best plan costs $358.90; $141.10 of the budget" in r.out


def test_csv_has_one_row_per_point(run: Runner, basic: Path, tmp_path: Path) -> None:
    out = tmp_path / "frontier.csv"
    r = run("frontier", basic / "workload.yaml", "-n", "4", "--no-breakpoints", "--out", out, "-q")
    assert r.code == 0, r.err
    assert r.out == ""
    rows = read_csv(out)
    assert len(rows) == 4
    assert tuple(rows[0]) == FRONTIER_CSV_COLUMNS
    # The cheapest plan meeting a's floor 0.8: 13,334 of a's 100,000 queries on big (0.93),
    # the rest on small (0.78), since 0.13 x_big >= 0.02 x_small needs x_big >= 13,333.3;
    # b all on small (batch): 13,334 x $0.000829 + 86,666 x $0.00003325 + 20,000 x $0.0003525
    # = $11.053886 + $2.8816445 + $7.05 = $20.9855305, exact (tests/basic_figures.py).
    assert rows[0]["cost_usd"] == "20.9855305"
    assert rows[-1]["cost_usd"] == "358.9"  # everything on big: $82.90 + $276.00
    assert {r["kind"] for r in rows} == {"grid"}
    assert sum(r["knee"] == "true" for r in rows) <= 1


def test_csv_with_breakpoints_adds_them(run: Runner, basic: Path, tmp_path: Path) -> None:
    out = tmp_path / "frontier.csv"
    r = run("frontier", basic / "workload.yaml", "--points", "4", "-o", out)
    assert r.code == 0, r.err
    assert f"frontier written to {out} (5 points)" in r.out
    rows = read_csv(out)
    assert [r["kind"] for r in rows].count("grid") == 4
    (bp,) = [r for r in rows if r["kind"] == "breakpoint"]
    assert (bp["budget_usd"], bp["cost_usd"], bp["knee"]) == ("89.95", "89.95", "true")


def test_aiq_range(run: Runner, basic: Path) -> None:
    r = run("frontier", basic / "workload.yaml", "-n", "3", "--aiq-range", "0:400")
    assert r.code == 0, r.err
    assert "AIQ over $0.00 to $400.00: 0." in r.out


@pytest.mark.parametrize("value", ["1", "0", "-2", "1001", "ten", "2.5"])
def test_bad_points_exit_2_with_exact_message(run: Runner, basic: Path, value: str) -> None:
    r = run("frontier", basic / "workload.yaml", "--points", value)
    assert r.code == 2
    assert r.err == f"error: --points must be a whole number from 2 to 1,000 (got '{value}')\n"


@pytest.mark.parametrize("value", ["400", "5:1", "a:b", "-1:5", "1:2:3", "0:1e999", "nan:5"])
def test_bad_aiq_range(run: Runner, basic: Path, value: str) -> None:
    r = run("frontier", basic / "workload.yaml", "--aiq-range", value)
    assert r.code == 2
    assert r.err == (
        f"error: --aiq-range must be LO:HI in USD with 0 <= LO < HI, e.g. 100:500 (got '{value}')\n"
    )


def test_out_must_be_csv(run: Runner, basic: Path, tmp_path: Path) -> None:
    r = run("frontier", basic / "workload.yaml", "--out", tmp_path / "f.txt")
    assert r.code == 2
    assert r.err == f"error: {tmp_path / 'f.txt'}: frontier file must end in .csv (got '.txt')\n"


def test_unreachable_floor_exits_1_and_leaves_csv(run: Runner, basic: Path, tmp_path: Path) -> None:
    out = tmp_path / "frontier.csv"
    out.write_text("previous\n")
    edit(basic / "workload.yaml", "min_quality: 0.8", "min_quality: 0.99")
    r = run("frontier", basic / "workload.yaml", "--out", out)
    assert r.code == 1
    assert "task 'a' needs min_quality 0.99 but its best usable model big reaches 0.93" in r.err
    assert r.err.startswith("error: ")
    assert out.read_text() == "previous\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["basic", "frontier.csv"]


def test_frontier_needs_no_budget(run: Runner, basic: Path) -> None:
    edit(basic / "workload.yaml", "budget_usd: 500\n", "")
    r = run("frontier", basic / "workload.yaml", "-n", "2")
    assert r.code == 0, r.err
    assert "workload budget" not in r.out


def test_help_lists_frontier(run: Runner) -> None:
    r = run("--help")
    assert r.code == 0
    assert "frontier" in r.out
