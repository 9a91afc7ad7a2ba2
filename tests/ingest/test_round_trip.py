"""Logs + evals -> workload build -> optimize -> report: "today vs plan" by hand.

Inputs: tests/data/ingest/litellm_spendlogs.csv (task key 'task'), the inspect,
promptfoo, lm-eval and generic eval fixtures, tests/data/ingest/prices.yaml.

Hand computation (prices in USD per million tokens; 1 micro-USD = 10^6 pico-USD):

built workload (see test_build_cli for each figure):
  classify:  volume 90, prompt 267 uncached (800/3 rounded up), no cache;
             profiles gpt-4o-mini output 20; o4-mini output 100, reasoning 500
  summarize: volume 90, prompt 1101 uncached + 66 cached; profiles gpt-4o output 250,
             gpt-4o-mini output 200
  current:   classify o4-mini 0.666667 / gpt-4o-mini 0.333333;
             summarize gpt-4o 0.666667 / gpt-4o-mini 0.333333
  floors:    today's quality 75/90 = 0.833333 (rounded down) on both

cost per query (micro-USD):
  classify  gpt-4o-mini: 267 x 0.15 + 20 x 0.6               =   52.05
  classify  o4-mini:     267 x 1.1 + (100 + 500) x 4.4        = 2933.7
  summarize gpt-4o:      1101 x 2.5 + 66 x 1.25 + 250 x 10    = 5335
  summarize gpt-4o-mini: 1101 x 0.15 + 66 x 0.075 + 200 x 0.6 =  290.1

today (90 x 0.666667 -> 60, 90 x 0.333333 -> 30 by largest remainder):
  classify  60 x 2933.7 + 30 x 52.05 = 176022 + 1561.5 = 177583.5; quality 75/90
  summarize 60 x 5335 + 30 x 290.1   = 320100 + 8703   = 328803;   quality 75/90
plan (min_cost, mean quality >= 0.833333):
  classify: all 90 on gpt-4o-mini (0.9 >= floor): 90 x 52.05 = 4684.5
  summarize: x on gpt-4o with 875000x + 750000(90 - x) >= 833333 x 90 -> x >= 59.9998,
             x = 60: the same as today, 328803
saving: classify 177583.5 - 4684.5 = 172899; summarize 0; total 172899 micro-USD
logged vs recomputed (over the log's span, per model across tasks):
  gpt-4o:      logged 0.004 + 0.008 + 0.00475 + 0.00525 = 0.022; recomputed at its mean
               lengths 1250 prompt (100 cached), 250 output: 4 x (1150 x 2.5 + 100 x 1.25
               + 250 x 10) = 4 x 5500 = 22000 micro-USD
  gpt-4o-mini: summarize 2 x (1000 x 0.15 + 200 x 0.6) + classify 1 x (200 x 0.15 + 20 x 0.6)
               = 540 + 42 = 582 micro-USD against 0.00033 + 0.00021 + 0.00004 = 0.00058 logged
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

from costplan.planio import read_plan

MICRO = 10**6  # pico-USD per micro-USD


def test_round_trip_today_vs_plan(data: Path, tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    w, plan_file, md = tmp_path / "w.yaml", tmp_path / "plan.yaml", tmp_path / "r.md"
    args: list[str | Path] = ["workload", "build", "--traffic", data / "litellm_spendlogs.csv"]
    args += ["--task-key", "task", "--prices", data / "prices.yaml", "-o", w]
    for e in (
        "inspect_summarize_gpt-4o-mini.json",
        "promptfoo_summarize_gpt-4o.json",
        "lm_eval_results_classify.json",
        "generic_evals_classify.csv",
    ):
        args += ["--evals", data / e]
    assert run(*args).code == 0
    r = run("optimize", w, "-o", plan_file)
    assert r.code == 0, r.err
    assert "today vs plan" in r.out
    plan = read_plan(plan_file)
    # the plan records the workload's sha256; the workload records the sidecar's
    side = tmp_path / "w.empirical.json"
    assert plan.inputs[str(w)] == hashlib.sha256(w.read_bytes()).hexdigest()
    assert hashlib.sha256(side.read_bytes()).hexdigest() in w.read_text()
    today = plan.today
    assert today is not None
    by = {t.name: t for t in today.tasks}
    assert by["classify"].counts == (("gpt-4o-mini", 30), ("o4-mini", 60))
    assert by["classify"].cost_pusd == int(Decimal("177583.5") * MICRO)
    assert by["classify"].plan_cost_pusd == int(Decimal("4684.5") * MICRO)
    assert by["summarize"].cost_pusd == 328803 * MICRO
    assert by["summarize"].plan_cost_pusd == 328803 * MICRO
    # quality totals in micro-units: 60 x 800000 + 30 x 900000 = 75e6 (classify today)
    assert by["classify"].quality_micro_total == 75_000_000
    assert by["classify"].plan_quality_micro_total == 90 * 900_000
    assert today.cost_pusd - today.plan_cost_pusd == 172899 * MICRO
    spend = {s.model: s for s in today.spend}
    assert spend["gpt-4o"].recomputed_pusd == 22000 * MICRO
    assert spend["gpt-4o"].logged_usd == Decimal("0.022")
    assert spend["gpt-4o-mini"].recomputed_pusd == 582 * MICRO
    assert spend["gpt-4o-mini"].logged_usd == Decimal("0.00058")
    assert run("report", plan_file, "-o", md).code == 0
    text = md.read_text()
    # $172,899 micro = $0.172899 -> "$0.17"; 172899 / 506386.5 = 34.1%
    assert "| total | \\$0.51 | 0.833333 | \\$0.33 | 0.866667 | \\$0.17 (34.1%) |" in text
    assert "| gpt-4o-mini | 3 | \\$0.000580 | \\$0.000582 | -\\$0.000002 |" in text
