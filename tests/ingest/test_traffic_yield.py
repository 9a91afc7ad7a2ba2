"""What a traffic log yields in the workload: cache-hit rate, latency per (task, model),
the day-by-day series and the volume spread it feeds. Figures by hand from TRAFFIC.

TRAFFIC (generic CSV, task t, gpt-4o; prices tests/data/ingest/prices.yaml: input 2.5,
cache read 1.25, output 10 USD per million tokens, 5m cache writes at the input rate):

====  ================  =======  ======  ======  =======
row   start (UTC)       prompt   cached  output  latency
====  ================  =======  ======  ======  =======
1     11-01 00:00:00    3000     2048    100     1000
2     11-01 06:00:00    4000     3000    100     2000
3     11-01 12:00:00    2000     0       100     3000
4     11-02 00:00:00    3000     0       100     4000
====  ================  =======  ======  ======  =======
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from costplan.ingest.spread import volume_cv
from costplan.ingest.sql import connect
from costplan.ingest.summarize import summarize
from costplan.ingest.traffic import read_traffic
from costplan.planio import read_plan
from costplan.workload.load import load_workload

TRAFFIC = """task,model,timestamp,end_time,prompt_tokens,cached_tokens,output_tokens
t,gpt-4o,2026-11-01T00:00:00Z,2026-11-01T00:00:01Z,3000,2048,100
t,gpt-4o,2026-11-01T06:00:00Z,2026-11-01T06:00:02Z,4000,3000,100
t,gpt-4o,2026-11-01T12:00:00Z,2026-11-01T12:00:03Z,2000,0,100
t,gpt-4o,2026-11-02T00:00:00Z,2026-11-02T00:00:04Z,3000,0,100
"""


def _build(data: Path, tmp_path: Path, run, *extra: str):  # type: ignore[no-untyped-def]
    traffic, ev = tmp_path / "traffic.csv", tmp_path / "evals.csv"
    traffic.write_text(TRAFFIC)
    ev.write_text("task,model,score\nt,gpt-4o,1\n")
    out = tmp_path / "w.yaml"
    r = run("workload", "build", "--traffic", traffic, "--evals", ev, "--prices",
            data / "prices.yaml", "--period", "day", "-o", out, *extra)  # fmt: skip
    assert r.code == 0, r.err
    return out, yaml.safe_load(out.read_text())


def test_cache_policy_latency_and_volume_spread(data: Path, tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    out, doc = _build(data, tmp_path, run)
    (task,) = doc["tasks"]
    # hits: rows 1 and 2 of 4 -> hit rate 0.5; their mean cached (2048 + 3000) / 2 = 2524
    # = the prefix; prompt mean 12000 / 4 = 3000 -> uncached 3000 - 2524 = 476
    assert task["cache"] == {"hit_rate": {"5m": 0.5}, "ttl": "auto"}
    assert task["shared_prefix_tokens"] == 2524
    assert task["prompt"] == {"tokens": 476}
    # latencies 1000..4000 ms: p50 (2000 + 3000) / 2 = 2500; p95 at rank .95 x 3 = 2.85:
    # 3000 + .85 x 1000 = 3850
    assert task["profiles"]["gpt-4o"]["latency_ms"] == {"p50": 2500, "p95": 3850}
    # span 00:00 on 11-01 to 00:00:04 on 11-02 = 86,404 s: ceil(4 x 86400 / 86404) = 4;
    # days 3 and 1: mean 2, sample variance 2, (s/m)^2 = .5; D = 1, n = 2:
    # cv^2 = .5 x (1/2 + 1) = .75, cv = .8660254.. rounded up = .866026
    assert task["volume"] == {"mean": 4, "cv": 0.866026}
    side = json.loads((tmp_path / "w.empirical.json").read_text())
    assert side["tasks"]["t"]["days"] == [["2026-11-01", 3], ["2026-11-02", 1]]
    w = load_workload(out)
    assert w.task("t").cache is not None
    assert w.task("t").cache.hit_rates == {"5m": Decimal("0.5")}


def test_today_is_priced_with_the_observed_caching(data: Path, tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    out, _ = _build(data, tmp_path, run)
    plan_file = tmp_path / "plan.yaml"
    r = run("optimize", out, "-o", plan_file)
    assert r.code == 0, r.err
    today = read_plan(plan_file).today
    assert today is not None
    (t,) = today.tasks
    # per query (micro-USD): hit 476 x 2.5 + 2524 x 1.25 + 100 x 10 = 1190 + 3155 + 1000
    # = 5345; miss (written at the input rate) 476 x 2.5 + 2524 x 2.5 + 1000 = 8500;
    # 5m at h = .5: (5345 + 8500) / 2 = 6922.5 (no cache: 3000 x 2.5 + 1000 = 8500);
    # today 4 queries x 6922.5 = 27690
    assert t.cost_pusd == 27690 * 10**6
    assert t.plan_cost_pusd == 27690 * 10**6


def test_given_volume_has_no_spread(data: Path, tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    _, doc = _build(data, tmp_path, run, "--volume", "t=1000")
    assert doc["tasks"][0]["volume"] == 1000


@pytest.mark.parametrize(
    ("days", "period", "cv"),
    [
        ([("2026-11-01", 5)], "month", None),  # one day: no spread
        ([("2026-11-01", 3), ("2026-11-02", 3)], "month", None),  # s = 0
        # the gap day counts 0: 2, 0, 2 -> mean 4/3, variance (4/9 + 16/9 + 4/9) / 2 = 4/3,
        # (s/m)^2 = (4/3) / (16/9) = .75; D = 30 (43,200 minutes), n = 3:
        # cv^2 = .75 x (1/3 + 1/30) = .275, sqrt = .52440442.. -> .524405
        ([("2026-11-01", 2), ("2026-11-03", 2)], "month", Decimal("0.524405")),
    ],
)
def test_volume_cv(days: list[tuple[str, int]], period: str, cv: Decimal | None) -> None:
    assert volume_cv(days, period) == cv


def test_bucketed_sources_give_no_hit_rate(data: Path) -> None:
    # usage-API buckets say how many tokens were cached, not how many requests hit
    con = connect()
    s = summarize(con, [read_traffic(con, data / "openai_usage_completions.json")])
    assert all(t.cache_hits is None for t in s.tasks)
