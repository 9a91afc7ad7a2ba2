"""A synthetic month with known effects decomposes back into exactly those effects.

The month is described in conftest.py. Every expected figure below is derived by
hand from the prices (USD per million tokens, i.e. micro-dollars per token) and
the token counts; none is read from costplan's output.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Runner
from tests.reconcile.conftest import HEADER, MIX_WORKLOAD, usage_rows

# --- the plan, by hand ---------------------------------------------------------------------
# alpha on m-a: 1000 input x $1/M + 200 output x $4/M = $0.0010 + $0.0008 = $0.0018 a query;
#   10,000 queries: $18.00.
# beta on m-b: 2000 x $2/M + 500 x $8/M = $0.004 + $0.004 = $0.008; x 10,000 = $80.00.
# gamma on m-c, 5-minute cache, hit rate 0.8, prefix 2000 tokens, 500 more input, 100 output:
#   hit:  500 x $1/M + 2000 x $0.1/M (cache read) + 100 x $4/M = $0.0005 + $0.0002 + $0.0004
#         = $0.0011
#   miss: 500 x $1/M + 2000 x $1/M (write, billed as input: no write price) + $0.0004 = $0.0029
#   0.8 x $0.0011 + 0.2 x $0.0029 = $0.00088 + $0.00058 = $0.00146; x 10,000 = $14.60.
# delta on m-d: 1000 x $3/M + 100 x $15/M = $0.003 + $0.0015 = $0.0045; x 10,000 = $45.00.
# Plan total: 18 + 80 + 14.60 + 45 = $157.60.
#
# --- the actual month, by hand ---------------------------------------------------------------
# alpha: 11,000 x $0.0018 = $19.80.                         volume +$1.80 (= 1,000 x $0.0018)
# beta: 8,000 x $0.008 = $64.00 on m-b; 2,000 on m-x at 2000 x $0.5/M + 500 x $2/M
#   = $0.001 + $0.001 = $0.002 each: $4.00; actual $68.00.
#   unplanned = $4.00 - 2,000 x (plan mean $0.008) = $4.00 - $16.00 = -$12.00; mix 0 (the
#   rest stays on the one planned model).
# gamma: 10,000 requests of 2500 prompt tokens, 1000 of them cached (hit rate 0.5 on the
#   2000-token prefix), 100 output: 1500 x $1/M + 1000 x $0.1/M + 100 x $4/M
#   = $0.0015 + $0.0001 + $0.0004 = $0.0020; x 10,000 = $20.00.
#   length 0 (same tokens per request); cache = $20.00 - $14.60 = +$5.40.
# delta: input $3/M -> $4/M: 1000 x $4/M + $0.0015 = $0.0055; x 10,000 = $55.00.
#   price = 10,000 x 1000 x ($4 - $3)/M = +$10.00.
# Actual total: 19.80 + 68 + 20 + 55 = $162.80; difference +$5.20
#   = volume 1.80 + unplanned -12 + cache 5.40 + price 10.

EXPECTED_TASKS = {
    # task: (plan, actual, {effect: value}), other effects 0
    "alpha": ("18", "19.8", {"volume": "1.8"}),
    "beta": ("80", "68", {"unplanned": "-12"}),
    "gamma": ("14.6", "20", {"cache": "5.4"}),
    "delta": ("45", "55", {"price": "10"}),
}
EFFECTS = ("volume", "mix", "length", "cache", "price", "unplanned")


def reconcile_json(run: Runner, *args: str) -> dict[str, Any]:
    made = run("optimize", "workload.yaml", "-o", "plan.yaml", "-q")
    assert made.code == 0, made.err
    r = run("reconcile", "plan.yaml", "--usage", "usage.csv", "--format", "json", *args)
    assert r.code == 0, r.err
    data: dict[str, Any] = json.loads(r.out)
    return data


@pytest.mark.usefixtures("month")
def test_the_month_decomposes_into_exactly_the_known_effects(run: Runner) -> None:
    data = reconcile_json(run, "--prices", "actual.yaml", "--period", "2026-11")
    assert data["plan_cost_usd"] == "157.6"
    assert data["actual_cost_usd"] == "162.8"
    assert data["difference_usd"] == "5.2"
    assert data["effects"] == {
        "volume": "1.8", "mix": "0", "length": "0", "cache": "5.4", "price": "10",
        "unplanned": "-12",
    }
    by_name = {t["name"]: t for t in data["tasks"]}
    assert list(by_name) == ["alpha", "beta", "gamma", "delta"]
    for name, (plan, actual, effects) in EXPECTED_TASKS.items():
        t = by_name[name]
        assert (t["plan_cost_usd"], t["actual_cost_usd"]) == (plan, actual), name
        assert t["effects"] == {e: effects.get(e, "0") for e in EFFECTS}, name
    # share of traffic on plan: beta sent 2,000 of its 10,000 requests to m-x
    assert by_name["beta"]["on_plan_share"] == "0.8"
    assert by_name["beta"]["off_plan_share"] == "0.2"
    assert by_name["alpha"]["on_plan_share"] == "1"
    assert data["warnings"] == []


@pytest.mark.usefixtures("month")
def test_requests_and_tokens_by_kind_per_task_per_model_and_in_total(run: Runner) -> None:
    data = reconcile_json(run, "--prices", "actual.yaml")
    # plan, per query: alpha 1000 prompt + 200 out; beta 2000 + 500; gamma 2500 prompt
    # (500 + the 2000-token prefix, 0.8 x 2000 = 1600 of it read from the cache) + 100 out;
    # delta 1000 + 100; 10,000 queries each. Actual: conftest.USAGE.
    by_name = {t["name"]: t for t in data["tasks"]}
    assert by_name["gamma"]["plan_tokens"] == {"prompt": "25000000", "cached": "16000000",
                                               "output": "1000000", "reasoning": "0"}
    assert by_name["beta"]["actual_tokens"] == {  # 8,000 + 2,000 requests of 2000 + 500
        "prompt": 20_000_000, "cached": 0, "output": 5_000_000, "reasoning": 0}
    models = {m["model"]: m for m in data["models"]}
    assert list(models) == ["m-a", "m-b", "m-c", "m-d", "m-x"]
    assert models["m-a"] == {
        "model": "m-a", "provider": "openai", "plan_requests": 10000, "actual_requests": 11000,
        "plan_tokens": {"prompt": "10000000", "cached": "0", "output": "2000000",
                        "reasoning": "0"},
        "actual_tokens": {"prompt": 11_000_000, "cached": 0, "output": 2_200_000,
                          "reasoning": 0},
        "plan_cost_usd": "18", "actual_cost_usd": "19.8",
    }
    assert (models["m-x"]["plan_requests"], models["m-x"]["actual_requests"],
            models["m-x"]["actual_cost_usd"]) == (0, 2000, "4")
    # totals: plan 4 x 10,000 requests; prompt 10M + 20M + 25M + 10M = 65M, cached 16M,
    # output 2M + 5M + 1M + 1M = 9M. Actual 11,000 + 10,000 x 3 requests; prompt
    # 11M + 16M + 4M + 25M + 10M = 66M, cached 10M, output 2.2M + 4M + 1M + 1M + 1M = 9.2M.
    assert data["totals"] == {
        "plan_requests": 40000, "actual_requests": 41000,
        "plan_tokens": {"prompt": "65000000", "cached": "16000000", "output": "9000000",
                        "reasoning": "0"},
        "actual_tokens": {"prompt": 66_000_000, "cached": 10_000_000, "output": 9_200_000,
                          "reasoning": 0},
    }


@pytest.mark.usefixtures("month")
def test_effects_sum_exactly_to_the_difference_per_task_and_in_total(run: Runner) -> None:
    data = reconcile_json(run, "--prices", "actual.yaml")
    for item in [data, *data["tasks"]]:
        total = sum((Decimal(v) for v in item["effects"].values()), Decimal(0))
        assert total == Decimal(item["actual_cost_usd"]) - Decimal(item["plan_cost_usd"])
    task_sum = {e: sum(Decimal(t["effects"][e]) for t in data["tasks"]) for e in EFFECTS}
    assert task_sum == {e: Decimal(v) for e, v in data["effects"].items()}


@pytest.mark.usefixtures("month")
def test_without_the_new_prices_there_is_no_price_effect(run: Runner) -> None:
    # delta priced at the plan's $3/M: actual $45.00, as planned; total +$5.20 - $10 = -$4.80
    data = reconcile_json(run)
    assert data["effects"]["price"] == "0"
    assert data["actual_cost_usd"] == "152.8"
    assert data["difference_usd"] == "-4.8"


def test_interactions_land_in_the_later_effect(month: Path, run: Runner) -> None:
    """delta also grows by 10%: volume is valued at the plan price, price on the grown volume."""
    text = (month / "usage.csv").read_text()
    old = usage_rows("delta", "m-d", 10000, 1000, 0, 100)
    (month / "usage.csv").write_text(text.replace(old, usage_rows("delta", "m-d", 11000, 1000,
                                                                 0, 100)))
    data = reconcile_json(run, "--prices", "actual.yaml")
    delta = next(t for t in data["tasks"] if t["name"] == "delta")
    # volume: 1,000 more queries x $0.0045 (plan price) = $4.50
    # price: 11,000 x 1000 input tokens x $1/M more = $11.00; actual 11,000 x $0.0055 = $60.50
    assert delta["effects"]["volume"] == "4.5"
    assert delta["effects"]["price"] == "11"
    assert delta["actual_cost_usd"] == "60.5"


def test_lengths_change(month: Path, run: Runner) -> None:
    """alpha's answers grow from 200 to 300 tokens: a length effect, nothing else."""
    text = (month / "usage.csv").read_text()
    old = usage_rows("alpha", "m-a", 11000, 1000, 0, 200)
    (month / "usage.csv").write_text(text.replace(old, usage_rows("alpha", "m-a", 10000, 1000,
                                                                 0, 300)))
    data = reconcile_json(run)
    alpha = next(t for t in data["tasks"] if t["name"] == "alpha")
    # 10,000 requests x 100 more output tokens x $4/M = $4.00; actual $22.00
    assert alpha["effects"] == {e: ("4" if e == "length" else "0") for e in EFFECTS}
    assert alpha["actual_cost_usd"] == "22"


def test_mix_between_planned_models(month: Path, run: Runner) -> None:
    """A floor of 0.8 over qualities 0.7 (m-a) and 0.9 (m-b) needs at least half on m-b:
    the cheapest plan is 5,000 / 5,000. The month sends 7,000 to m-a and 3,000 to m-b."""
    (month / "workload.yaml").write_text(MIX_WORKLOAD)
    (month / "usage.csv").write_text(
        HEADER + usage_rows("split", "m-a", 7000, 2000, 0, 500)
        + usage_rows("split", "m-b", 3000, 2000, 0, 500)
    )
    data = reconcile_json(run)
    # m-a: 2000 x $1/M + 500 x $4/M = $0.004 a query; m-b: $0.008 (see beta above).
    # plan: 5,000 x 0.004 + 5,000 x 0.008 = $20 + $40 = $60.00; mean $0.006 a query
    # actual: 7,000 x 0.004 + 3,000 x 0.008 = $28 + $24 = $52.00
    # volume 0 (10,000 as planned); mix = $52 - 10,000 x $0.006 = -$8.00
    split = data["tasks"][0]
    assert split["plan_cost_usd"] == "60"
    assert split["actual_cost_usd"] == "52"
    assert split["effects"] == {e: ("-8" if e == "mix" else "0") for e in EFFECTS}
    # on plan: min(0.5, 0.7) + min(0.5, 0.3) = 0.8
    assert split["on_plan_share"] == "0.8"
    # quality-weighted (m-a 0.7, m-b 0.9): (0.5 x 0.7 + 0.3 x 0.9) / (0.5 x 0.7 + 0.5 x 0.9)
    #   = (0.35 + 0.27) / 0.8 = 0.775 on plan, 0.225 off
    assert (split["off_plan_share"], split["quality_weighted_off_plan_share"]) == ("0.2",
                                                                                  "0.225")


@pytest.mark.usefixtures("month")
def test_api_reconcile_gives_the_same_integers(run: Runner) -> None:
    from costplan.api import reconcile

    reconcile_json(run)  # writes plan.yaml
    rec = reconcile(Path("plan.yaml"), [Path("usage.csv")], prices=[Path("actual.yaml")])
    e = rec.result.effects
    # pico-dollars: $1.80 = 1.8e12; mix and length exactly 0
    assert e.as_dict() == {
        "volume": 1_800_000_000_000, "mix": 0, "length": 0, "cache": 5_400_000_000_000,
        "price": 10_000_000_000_000, "unplanned": -12_000_000_000_000,
    }
    # $157.60 and $162.80
    assert (rec.result.plan_cost_pusd, rec.result.actual_cost_pusd) == (
        157_600_000_000_000, 162_800_000_000_000)
    assert rec.result.actual_cost_pusd - rec.result.plan_cost_pusd == e.total
    # per task, to the pico-dollar (the by-hand figures above, x 10^12)
    for t in rec.result.tasks:
        plan, actual, effects = EXPECTED_TASKS[t.name]
        assert (t.plan_cost_pusd, t.actual_cost_pusd) == (
            int(Decimal(plan) * 10**12), int(Decimal(actual) * 10**12)), t.name
        assert t.effects.as_dict() == {
            k: int(Decimal(effects.get(k, "0")) * 10**12) for k in EFFECTS}, t.name
        assert t.effects.total == t.actual_cost_pusd - t.plan_cost_pusd


@pytest.mark.usefixtures("month")
@pytest.mark.parametrize("fmt", ["markdown", "table"])
def test_text_reports_show_the_effects(run: Runner, fmt: str) -> None:
    assert run("optimize", "workload.yaml", "-o", "plan.yaml", "-q").code == 0
    r = run("reconcile", "plan.yaml", "-u", "usage.csv", "-p", "actual.yaml", "--format", fmt)
    assert r.code == 0, r.err
    out = r.out.replace("\\$", "$")  # markdown escapes the dollar sign
    assert "plan $157.60, actual $162.80: +$5.20 (+3.30%)" in out
    for amount in ("-$12.00", "+$5.40", "+$10.00"):
        assert amount in out
    # the per-model and total table: 40,000 planned and 41,000 actual requests,
    # 65,000,000 / 66,000,000 prompt tokens (see the test above)
    assert "Per model and in total" in out
    lines = out.splitlines()
    i = next(k for k, line in enumerate(lines) if "65,000,000" in line)
    for figure in ("total", "plan", "40,000", "16,000,000", "9,000,000", "$157.60"):
        assert figure in lines[i], lines[i]
    for figure in ("actual", "41,000", "66,000,000", "10,000,000", "9,200,000", "$162.80"):
        assert figure in lines[i + 1], lines[i + 1]
