"""Each traffic reader on its fixture; expected figures derived by hand from the files.

The fixtures (tests/data/ingest/, sources in its README) are small enough to read:
every number below is worked out from their rows in the comments.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from costplan.ingest.sql import connect
from costplan.ingest.summarize import TaskTraffic, TrafficSummary, summarize
from costplan.ingest.traffic import detect, read_traffic

GENERIC_MAP = {
    "llm": "model",
    "ts": "timestamp",
    "in_tok": "prompt_tokens",
    "cached_tok": "cached_tokens",
    "out_tok": "output_tokens",
    "think_tok": "reasoning_tokens",
    "usd": "spend_usd",
}


def _read(path: Path, **kw: object) -> TrafficSummary:
    con = connect()
    return summarize(con, [read_traffic(con, path, **kw)])  # type: ignore[arg-type]


def _task(s: TrafficSummary, name: str) -> TaskTraffic:
    return next(t for t in s.tasks if t.name == name)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("litellm_spendlogs.csv", "litellm"),
        ("litellm_spendlogs.json", "litellm"),
        ("openai_usage_completions.json", "openai-usage"),
        ("anthropic_usage_messages.json", "anthropic-usage"),
        ("otel_genai_spans.jsonl", "otel"),
        ("generic_traffic.csv", "generic"),
    ],
)
def test_detect(data: Path, name: str, fmt: str) -> None:
    assert detect(data / name) == fmt


@pytest.mark.parametrize("name", ["litellm_spendlogs.csv", "litellm_spendlogs.json"])
def test_litellm(data: Path, name: str) -> None:
    s = _read(data / name, task_key="task")
    # Row m1 (file line 11 of the CSV, element 10 of the JSON) has completion_tokens "n/a".
    assert s.malformed == 1
    assert s.malformed_first[0].line == (11 if name.endswith(".csv") else 10)
    assert "bad output tokens n/a" in s.malformed_first[0].reason
    summ = _task(s, "summarize")  # spend_logs_metadata.task = summarize: r1..r6
    assert summ.requests == 6
    # r1 starts 2026-11-01 00:00:00, r6 ends 2026-11-03 00:00:00: two days.
    assert summ.span_seconds == 2 * 86_400
    assert summ.days == (("2026-11-01", 3), ("2026-11-02", 3))  # r1 r2 r5 | r3 r4 r6
    assert summ.prompt_tokens == 1000 + 2000 + 1500 + 500 + 1200 + 800  # 7000
    assert summ.cached_tokens == 400  # r1's usage_object.prompt_tokens_details
    assert summ.output_tokens == 200 + 300 + 100 + 400 + 250 + 150  # 1400
    assert summ.reasoning_tokens is None  # no reasoning logged for these
    assert summ.cache_hit_rate == Fraction(400, 7000)
    # prompt sorted: 500 800 1000 1200 1500 2000; quantile_disc(0.5) = the 3rd = 1000
    assert summ.distributions["prompt"].p50 == 1000
    assert summ.distributions["prompt"].max == 2000
    assert summ.distributions["prompt"].mean == Fraction(7000, 6)
    big, mini = summ.models
    assert (big.model, big.requests, mini.model, mini.requests) == ("gpt-4o", 4, "gpt-4o-mini", 2)
    assert big.spend_usd == Decimal("0.004") + Decimal("0.008") + Decimal("0.00475") + Decimal(
        "0.00525"
    )
    assert mini.spend_usd == Decimal("0.00033") + Decimal("0.00021")
    assert big.output_mean == Fraction(200 + 300 + 100 + 400, 4)
    # gpt-4o latencies 1000, 2000, 1500, 3000 ms: median (1500+2000)/2; p95 by linear
    # interpolation at rank 0.95*3 = 2.85 -> 2000 + 0.85 * 1000.
    assert big.latency_p50_ms == 1750.0
    assert big.latency_p95_ms == pytest.approx(2850.0)
    cls = _task(s, "classify")  # request_tags 'task:classify': c1 c2 c3
    assert cls.requests == 3
    o4 = next(m for m in cls.models if m.model == "o4-mini")
    # completion 500 and 700 include reasoning 400 and 600: output 100 each, reasoning mean 500.
    assert o4.output_mean == 100
    assert o4.reasoning_mean == 500
    g = next(m for m in cls.models if m.model == "gpt-4o-mini")
    assert g.reasoning_mean is None  # c3 logged no reasoning: not measured, not zero


def test_litellm_default_key_is_model_group(data: Path) -> None:
    s = _read(data / "litellm_spendlogs.csv")
    assert [t.name for t in s.tasks] == ["chat"]  # every row's model_group
    assert s.tasks[0].requests == 9


def test_openai_usage_buckets(data: Path) -> None:
    s = _read(data / "openai_usage_completions.json")
    sup = _task(s, "proj_support")  # grouped by project_id without --task-key
    assert sup.requests == 1000 + 200 + 1400
    assert sup.prompt_tokens == 1_200_000 + 500_000 + 1_800_000
    assert sup.cached_tokens == 300_000 + 600_000
    assert sup.distributions == {}  # buckets: totals, no per-request distribution
    assert sup.span_seconds == 2 * 86_400
    assert sup.days == (("2026-11-01", 1200), ("2026-11-02", 1400))
    mini = sup.models[0]
    assert mini.model == "gpt-4o-mini-2024-07-18"
    assert mini.requests == 2400
    assert mini.prompt_mean == Fraction(3_000_000, 2400)
    assert mini.latency_p50_ms is None
    assert _task(s, "proj_search").requests == 400


def test_anthropic_usage_has_no_request_counts(data: Path) -> None:
    s = _read(data / "anthropic_usage_messages.json")
    assert s.without_counts == ("wrkspc_review",)
    t = s.tasks[0]
    # prompt = uncached + cache reads + 5m and 1h cache writes, over the three results:
    # (100k + 400k + 20k) + (150k + 500k + 10k) + 60k
    assert t.prompt_tokens == 520_000 + 660_000 + 60_000
    assert t.cached_tokens == 400_000 + 500_000
    assert t.output_tokens == 50_000 + 70_000 + 12_000


def test_otel_spans(data: Path) -> None:
    s = _read(data / "otel_genai_spans.jsonl", task_key="app.task")
    assert s.malformed == 0  # the HTTP span is not a GenAI span: skipped, not malformed
    tri = _task(s, "triage")  # spans a1, a2, a5
    assert tri.requests == 3
    assert tri.prompt_tokens == 1000 + 1400 + 600
    assert tri.cached_tokens == 500
    m = tri.models[0]
    # latencies 800, 1200, 400 ms -> median 800
    assert (m.model, m.latency_p50_ms) == ("gpt-4o-mini", 800.0)
    ans = _task(s, "answer")  # a3, a4 on o3-mini: output 900-700 and 500-300
    assert ans.output_tokens == 200 + 200
    assert ans.reasoning_tokens == 700 + 300
    # default key: the resource's service.name
    assert [t.name for t in _read(data / "otel_genai_spans.jsonl").tasks] == ["support-bot"]


def test_generic_with_mapping(data: Path) -> None:
    s = _read(data / "generic_traffic.csv", task_key="use_case", mapping=GENERIC_MAP)
    t = s.tasks[0]
    assert (t.name, t.requests) == ("ticket-triage", 4)
    big = next(m for m in t.models if m.model == "gpt-4o")
    assert big.spend_usd == Decimal("0.0035") * 2
    assert t.cached_tokens == 200
    assert t.reasoning_tokens == 0  # measured and zero (the column is there)


def test_sample_is_seeded_and_bounded(data: Path) -> None:
    a = _read(data / "litellm_spendlogs.csv", task_key="task")
    con = connect()
    b = summarize(
        con, [read_traffic(con, data / "litellm_spendlogs.csv", task_key="task")], sample_size=2
    )
    summ_a, summ_b = _task(a, "summarize"), _task(b, "summarize")
    assert len(summ_a.sample) == 6
    assert len(summ_b.sample) == 2
    assert set(summ_b.sample) <= set(summ_a.sample)
    again = _read(data / "litellm_spendlogs.csv", task_key="task")
    assert _task(again, "summarize").sample == summ_a.sample


def test_prefiltered_sample_is_the_smallest_hashes(tmp_path: Path) -> None:
    # 5,000 requests and a sample of 100: the threshold filter is active (5,000 > 4 x 100).
    # Oracle: the same smallest-hash rule without any filter, in one plain query.
    f = tmp_path / "t.csv"
    rows = "".join(
        f"a,m,2026-11-01T00:00:{i % 60:02d}Z,{i},{i % 7},{i % 13}\n" for i in range(5000)
    )
    f.write_text("task,model,timestamp,prompt_tokens,cached_tokens,output_tokens\n" + rows)
    con = connect()
    s = summarize(con, [read_traffic(con, f)], sample_size=100, seed=7)
    (full,) = con.execute(
        "SELECT min_by([prompt, cached, output, reasoning], hash(src, line, 7), 100) FROM ok"
    ).fetchone()  # type: ignore[misc]
    expected = {(p, c, o, r) for p, c, o, r in full}
    assert len(s.tasks[0].sample) == 100
    assert set(s.tasks[0].sample) == expected
