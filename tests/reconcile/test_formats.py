"""Reconcile end to end from every traffic format the workload builder reads.

The same small month is written in each format (LiteLLM SpendLogs JSON and CSV, an
OpenAI usage page, an Anthropic usage report, OTel GenAI spans as OTLP/JSON lines,
generic JSONL and Parquet; generic CSV is test_synthetic.py's), following the layouts
of the fixtures in tests/data/ingest (see its README for the schemas cited), and
reconciled against the synthetic month's plan (conftest.py) at the plan's prices:

* alpha on m-a: 3 requests of 1000 prompt tokens (none cached) and 200 output;
* gamma on m-c: 2 requests of 2500 prompt tokens, 2000 of them cached, 100 output;
* beta on m-x (a model the plan does not use for beta): 1 request of 2000 + 500.

By hand (prices in USD per million tokens = micro-dollars per token):

* alpha: 1000 x 1 + 200 x 4 = 1800 u$ = $0.0018 a request (the plan's own cost per
  query); actual 3 x 0.0018 = $0.0054. volume = 3 x 0.0018 - 18 = -17.9946.
* gamma: (2500 - 2000) x 1 + 2000 x 0.1 + 100 x 4 = 500 + 200 + 400 = 1100 u$; actual
  2 x 0.0011 = $0.0022. The plan's query costs $0.00146 (test_synthetic.py):
  volume = 2 x 0.00146 - 14.60 = -14.59708; length 0 (the same 2500 + 100 tokens);
  cache = 0.0022 - 0.00292 = -0.00072 (a hit rate of 2000/2000 instead of 0.8, i.e.
  no 400-token cache writes at the input price, and 400 more reads at 0.1).
* beta: 2000 x 0.5 + 500 x 2 = 2000 u$ = $0.002. volume = 1 x 0.008 - 80 = -79.992;
  unplanned = 0.002 - 1 x 0.008 = -0.006.
* delta: no traffic: volume = -45.
* total: actual 0.0054 + 0.0022 + 0.002 = $0.0096; plan $157.60; difference
  -157.5904 = volume (-17.9946 - 14.59708 - 79.992 - 45 = -157.58368)
  + unplanned (-0.006) + cache (-0.00072).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Runner

# (task, model, requests, prompt tokens, cached tokens, output tokens) per request
MONTH = [
    ("alpha", "m-a", 3, 1000, 0, 200),
    ("gamma", "m-c", 2, 2500, 2000, 100),
    ("beta", "m-x", 1, 2000, 0, 500),
]
DAY0 = datetime(2026, 11, 2, tzinfo=UTC)  # every request on 2 November 2026
EFFECTS = ("volume", "mix", "length", "cache", "price", "unplanned")
EXPECTED_TASKS = {  # task: (actual requests, actual cost, {effect: value}), others 0
    "alpha": (3, "0.0054", {"volume": "-17.9946"}),
    "beta": (1, "0.002", {"volume": "-79.992", "unplanned": "-0.006"}),
    "gamma": (2, "0.0022", {"volume": "-14.59708", "cache": "-0.00072"}),
    "delta": (0, "0", {"volume": "-45"}),
}
EXPECTED_TOTAL = {"volume": "-157.58368", "mix": "0", "length": "0", "cache": "-0.00072",
                  "price": "0", "unplanned": "-0.006"}


def requests() -> list[tuple[str, str, int, int, int, int]]:
    """One entry per request: (task, model, k-th request, prompt, cached, output)."""
    return [(t, m, k, p, c, o) for t, m, n, p, c, o in MONTH for k in range(n)]


def iso(seconds: int) -> str:
    return datetime.fromtimestamp(DAY0.timestamp() + seconds, UTC).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z")


def litellm_rows() -> list[dict[str, Any]]:
    rows = []
    for i, (task, model, _k, prompt, cached, output) in enumerate(requests()):
        rows.append({
            "request_id": f"r{i}", "call_type": "acompletion", "api_key": "hashed",
            "spend": 0.0, "total_tokens": prompt + output, "prompt_tokens": prompt,
            "completion_tokens": output, "startTime": iso(60 * i),
            "endTime": iso(60 * i + 1), "completionStartTime": iso(60 * i + 1),
            "model": model, "model_id": "", "model_group": "chat",
            "api_base": "https://api.example/v1", "user": "",
            "metadata": {"spend_logs_metadata": {"task": task},
                         "usage_object": {"prompt_tokens_details": {"cached_tokens": cached}}},
            "cache_hit": "False", "cache_key": "Cache OFF", "request_tags": [], "team_id": "",
            "end_user": "", "custom_llm_provider": "openai", "status": "success",
        })
    return rows


def write_litellm_json(folder: Path) -> tuple[Path, list[str]]:
    path = folder / "spendlogs.json"
    path.write_text(json.dumps(litellm_rows()))
    return path, ["--task-key", "task"]


def write_litellm_csv(folder: Path) -> tuple[Path, list[str]]:
    rows = litellm_rows()
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({**r, "metadata": json.dumps(r["metadata"]),
                    "request_tags": json.dumps(r["request_tags"]),
                    "startTime": r["startTime"].replace("T", " ").rstrip("Z"),
                    "endTime": r["endTime"].replace("T", " ").rstrip("Z")})
    path = folder / "spendlogs.csv"
    path.write_text(buf.getvalue())
    return path, ["--task-key", "task"]


def write_openai(folder: Path) -> tuple[Path, list[str]]:
    start = int(DAY0.timestamp())
    results = [
        {"object": "organization.usage.completions.result", "input_tokens": n * p,
         "output_tokens": n * o, "input_cached_tokens": n * c, "input_audio_tokens": 0,
         "output_audio_tokens": 0, "num_model_requests": n, "project_id": task,
         "user_id": None, "api_key_id": None, "model": model, "batch": False,
         "service_tier": "default"}
        for task, model, n, p, c, o in MONTH
    ]
    page = {"object": "page", "data": [{"object": "bucket", "start_time": start,
                                         "end_time": start + 86400, "results": results}],
            "has_more": False, "next_page": None}
    path = folder / "openai.json"
    path.write_text(json.dumps(page))
    return path, []  # the task is the project id


def write_anthropic(folder: Path) -> tuple[Path, list[str]]:
    results = [
        {"uncached_input_tokens": n * (p - c), "cache_read_input_tokens": n * c,
         "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
         "output_tokens": n * o, "server_tool_use": {"web_search_requests": 0},
         "model": model, "workspace_id": task, "api_key_id": None, "service_tier": "standard",
         "context_window": "0-200k"}
        for task, model, n, p, c, o in MONTH
    ]
    doc = {"data": [{"starting_at": "2026-11-02T00:00:00Z", "ending_at": "2026-11-03T00:00:00Z",
                     "results": results}], "has_more": False, "next_page": None}
    path = folder / "anthropic.json"
    path.write_text(json.dumps(doc))
    # the report has no request counts: given, by task and by task/model
    return path, ["--requests", "alpha=3", "--requests", "gamma/m-c=2", "--requests", "beta=1"]


def _attr(key: str, value: str | int) -> dict[str, Any]:
    v = {"intValue": str(value)} if isinstance(value, int) else {"stringValue": value}
    return {"key": key, "value": v}


def write_otel(folder: Path) -> tuple[Path, list[str]]:
    spans = []
    for i, (task, model, _k, prompt, cached, output) in enumerate(requests()):
        t0 = (int(DAY0.timestamp()) + 60 * i) * 10**9
        spans.append({
            "traceId": f"{i + 1:032x}", "spanId": f"{i + 1:016x}", "name": f"chat {model}",
            "kind": 3, "startTimeUnixNano": str(t0), "endTimeUnixNano": str(t0 + 5 * 10**8),
            "attributes": [
                _attr("gen_ai.operation.name", "chat"), _attr("gen_ai.provider.name", "openai"),
                _attr("gen_ai.request.model", model), _attr("gen_ai.usage.input_tokens", prompt),
                _attr("gen_ai.usage.output_tokens", output),
                _attr("gen_ai.usage.cache_read.input_tokens", cached), _attr("app.task", task),
            ],
            "status": {},
        })
    doc = {"resourceSpans": [{"resource": {"attributes": [_attr("service.name", "bot")]},
                              "scopeSpans": [{"scope": {"name": "genai"}, "spans": spans}]}]}
    path = folder / "spans.jsonl"
    path.write_text(json.dumps(doc) + "\n")
    return path, ["--task-key", "app.task"]


def write_jsonl(folder: Path) -> tuple[Path, list[str]]:
    lines = [
        json.dumps({"task": task, "model": model, "timestamp": iso(60 * i),
                    "prompt_tokens": p, "cached_tokens": c, "output_tokens": o})
        for i, (task, model, _k, p, c, o) in enumerate(requests())
    ]
    path = folder / "usage.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path, []  # one request per row (no requests column)


def write_parquet(folder: Path) -> tuple[Path, list[str]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "task": [t for t, *_ in MONTH], "model": [m for _, m, *_ in MONTH],
        "timestamp": pa.array([DAY0] * len(MONTH), pa.timestamp("us", tz="UTC")),
        "requests": [n for _t, _m, n, *_ in MONTH],
        "prompt_tokens": [n * p for _t, _m, n, p, _c, _o in MONTH],
        "cached_tokens": [n * c for _t, _m, n, _p, c, _o in MONTH],
        "output_tokens": [n * o for _t, _m, n, _p, _c, o in MONTH],
    })
    path = folder / "usage.parquet"
    pq.write_table(table, path)
    return path, []


WRITERS: dict[str, Callable[[Path], tuple[Path, list[str]]]] = {
    "litellm": write_litellm_json, "litellm-csv": write_litellm_csv, "openai-usage": write_openai,
    "anthropic-usage": write_anthropic, "otel": write_otel, "generic-jsonl": write_jsonl,
    "generic-parquet": write_parquet,
}
DETECTED = {"litellm-csv": "litellm", "generic-jsonl": "generic", "generic-parquet": "generic"}


@pytest.fixture
def planned(month: Path, run: Runner) -> Path:
    r = run("optimize", "workload.yaml", "-o", "plan.yaml", "-q")
    assert r.code == 0, r.err
    return month


@pytest.mark.parametrize("fmt", list(WRITERS))
def test_every_format_reconciles_to_the_figures_by_hand(
    planned: Path, run: Runner, fmt: str
) -> None:
    path, extra = WRITERS[fmt](planned)
    r = run("reconcile", "plan.yaml", "-u", path.name, "--period", "2026-11", "--format",
            "json", *extra)
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert [u["format"] for u in data["usage"]] == [DETECTED.get(fmt, fmt)], data["usage"]
    assert data["plan_cost_usd"] == "157.6"
    assert data["actual_cost_usd"] == "0.0096"
    assert data["difference_usd"] == "-157.5904"
    assert data["effects"] == EXPECTED_TOTAL
    tasks = {t["name"]: t for t in data["tasks"]}
    assert set(tasks) == set(EXPECTED_TASKS)
    for name, (n, cost, effects) in EXPECTED_TASKS.items():
        t = tasks[name]
        assert (t["actual_requests"], t["actual_cost_usd"]) == (n, cost), (fmt, name)
        assert t["effects"] == {e: effects.get(e, "0") for e in EFFECTS}, (fmt, name)
    gamma = next(m for m in tasks["gamma"]["models"] if m["model"] == "m-c")
    assert gamma["actual_tokens"] == {"prompt": 5000, "cached": 4000, "output": 200,
                                      "reasoning": 0}
    beta_x = next(m for m in tasks["beta"]["models"] if m["model"] == "m-x")
    assert (beta_x["planned"], beta_x["actual_requests"]) == (False, 1)
    # one day of a 30-day month: said so, not extrapolated
    assert any(w.startswith("warning: partial period: usage covers 2026-11-02")
               for w in data["warnings"]), data["warnings"]


def test_an_anthropic_report_without_request_counts_names_what_is_missing(
    planned: Path, run: Runner
) -> None:
    path, _ = write_anthropic(planned)
    r = run("reconcile", "plan.yaml", "-u", path.name)
    assert r.code == 2
    assert r.err.startswith(
        "error: task 'alpha', model 'm-a': the usage has no request counts (Anthropic's usage "
        "report has none); reconcile needs requests"), r.err
    assert "--requests alpha/m-a=N or alpha=N" in r.err
    assert r.err.count("\n") == 1
    # a key that matches no uncounted usage is refused, not ignored
    r = run("reconcile", "plan.yaml", "-u", path.name, "--requests", "alpha=3",
            "--requests", "gamma=2", "--requests", "beta=1", "--requests", "alpah=3")
    assert r.code == 2
    assert r.err.startswith("error: --requests names no usage without request counts "
                            "(got 'alpah')"), r.err
    r = run("reconcile", "plan.yaml", "-u", path.name, "--requests", "alpha=x")
    assert r.code == 2
    assert r.err.startswith("error: --requests alpha=N"), r.err
