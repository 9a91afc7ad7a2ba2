"""``--format json`` of ``frontier --latency``, ``prices import`` and ``workload build``.

Each command runs in-process; stdout is parsed with ``json.loads`` and validated against
``costplan schema output-<name>`` (Draft 2020-12). Figures are derived by hand from the
fixtures in the comments.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.billing.test_latency import FRONTIER, _write
from tests.cli.conftest import DATA, Runner
from tests.cli.test_json_output import validated

OPENROUTER = DATA / "catalogs" / "openrouter_small.json"


def test_frontier_latency_json(run: Runner, tmp_path: Path) -> None:
    w = _write(tmp_path, FRONTIER)
    doc = validated(run, "frontier-latency", "frontier", w, "--latency", "--format", "json")
    # 3 queries of 1000 in / 100 out; fast $1/$2 per Mtok: 1000 + 200 = 1,200 micro-$,
    # quality 0.7, p95 800 ms; slow@quick and slow $3/$15: 3000 + 1500 = 4,500 micro-$,
    # quality 0.85 at 1,200 ms and 0.95 at 4,000 ms. Non-dominated splits (n fast, rest):
    #   800 ms:  3 fast                    $0.0036, quality 2.1  (mean 0.7)
    #   1200 ms: 2f+1q 2,400+4,500 = $0.0069, 1.4+0.85 = 2.25; 1f+2q $0.0102, 2.4; 3q $0.0135, 2.55
    #   4000 ms: 2f+1s $0.0069, 1.4+0.95 = 2.35; 1f+2s $0.0102, 2.6; 3s $0.0135, 2.85
    # (any split with quick and slow is beaten by slow in its place: same cost, more quality)
    got = [
        (p["latency_p95_ms"], p["cost_usd"], p["mean_quality"], p["quality_queries"], p["status"])
        for p in doc["points"]
    ]
    assert got == [
        (800, "0.0036", "0.700000", "2.1", "optimal"),
        (1200, "0.0069", "0.750000", "2.25", "optimal"),  # 2.25 / 3
        (1200, "0.0102", "0.800000", "2.4", "optimal"),
        (1200, "0.0135", "0.850000", "2.55", "optimal"),
        (4000, "0.0069", "0.783333", "2.35", "optimal"),  # 2.35 / 3 = 0.78333...
        (4000, "0.0102", "0.866667", "2.6", "optimal"),  # 2.6 / 3 = 0.86666... rounded
        (4000, "0.0135", "0.950000", "2.85", "optimal"),
    ]
    assert (doc["workload"], doc["period"], doc["volume"]) == ("three-way", "month", 3)
    assert doc["all_optimal"] is True


def test_frontier_latency_json_with_csv(run: Runner, tmp_path: Path) -> None:
    w = _write(tmp_path, FRONTIER)
    out = tmp_path / "f.csv"
    doc = validated(run, "frontier-latency", "frontier", w, "--latency", "-f", "json", "-o", out)
    rows = out.read_text().splitlines()[1:]
    assert len(rows) == len(doc["points"]) == 7
    assert rows[0] == "800,0.0036,0.700000,2.1"
    r = run("frontier", w, "--latency", "-f", "json", "-o", "-")
    assert (r.code, r.out) == (2, "")
    assert r.err == "error: --out and --format json both write to standard output (-)\n"


def test_prices_import_json(run: Runner, tmp_path: Path) -> None:
    out = tmp_path / "or.yaml"
    doc = validated(
        run, "prices-import", "prices", "import", "--from", "openrouter", OPENROUTER, "-o", out,
        "--provider", "openai", "--provider", "anthropic", "--provider", "openrouter",
        "--as-of", "2026-01-15", "--format", "json",
    )  # fmt: skip
    assert out.is_file()  # the sheet is still written
    assert (doc["catalog"], doc["as_of"], doc["out"]) == ("openrouter", "2026-01-15", str(out))
    assert doc["source"].startswith("OpenRouter openrouter_small.json")
    assert (doc["models_count"], doc["providers_count"]) == (2, 2)
    models = {m["name"]: m for m in doc["models"]}
    # OpenRouter prices are USD per token: x 10**6 per Mtok
    # gpt-4o: 0.0000025 -> 2.5, 0.00001 -> 10, cache read 0.00000125 -> 1.25
    assert models["openai/gpt-4o"]["provider"] == "openai"
    assert models["openai/gpt-4o"]["prices"] == {
        "input_usd_per_mtok": "2.5",
        "output_usd_per_mtok": "10",
        "cache_read_usd_per_mtok": "1.25",
    }
    assert models["openai/gpt-4o"]["context_window"] == 128000
    # sonnet 4.5: 0.000003 -> 3, 0.000015 -> 15, read 0.0000003 -> 0.3, write 0.00000375 -> 3.75
    assert models["anthropic/claude-sonnet-4.5"]["prices"] == {
        "input_usd_per_mtok": "3",
        "output_usd_per_mtok": "15",
        "cache_read_usd_per_mtok": "0.3",
        "cache_write_usd_per_mtok": "3.75",
    }
    skipped = {(s["provider"], s["model"]): s["reason"] for s in doc["skipped"]}
    assert set(skipped) == {("openrouter", "openrouter/auto"), ("?", "data[9]")}
    assert "-1" in skipped[("openrouter", "openrouter/auto")]  # prompt price -1: variable
    assert skipped[("?", "data[9]")] == "entry without an 'id'"
    assert [(n["model"], n["reason"]) for n in doc["notes"]] == [
        ("openai/gpt-4o", "prices not represented: image")
    ]
    assert doc["rounded"] == []


def test_prices_import_json_claims_stdout(run: Runner) -> None:
    r = run("prices", "import", "--from", "openrouter", OPENROUTER, "-o", "-", "-f", "json")
    assert (r.code, r.out) == (2, "")
    assert r.err == "error: --out and --format json both write to standard output (-)\n"


@pytest.mark.parametrize(
    "args",
    [
        ("frontier", "W", "--latency"),
        ("prices", "import", "--from", "openrouter", str(OPENROUTER), "-o", "X"),
    ],
)
def test_bad_format_is_one_line(run: Runner, tmp_path: Path, args: tuple[str, ...]) -> None:
    w = _write(tmp_path, FRONTIER)
    argv = [str(w) if a == "W" else str(tmp_path / "x.yaml") if a == "X" else a for a in args]
    r = run(*argv, "--format", "jsn")
    assert (r.code, r.out) == (2, "")
    assert r.err == "error: --format must be one of table, json (got 'jsn'); did you mean 'json'?\n"
    assert not (tmp_path / "x.yaml").exists()


TRAFFIC = """\
task,model,timestamp,end_time,prompt_tokens,output_tokens,spend_usd
a,gpt-4o,2026-11-01T00:00:00Z,2026-11-01T00:00:01Z,10,5,0.25
a,gpt-4o,2026-11-01T12:00:00Z,2026-11-01T12:00:01Z,10,5,0.5
a,gpt-4o-mini,2026-11-01T23:59:59Z,2026-11-02T00:00:00Z,10,5,0.125
a,legacy-1,2026-11-01T06:00:00Z,2026-11-01T06:00:01Z,10,5,1.5
a,legacy-1,2026-11-01T07:00:00Z,2026-11-01T07:00:01Z,10,5,2.25
a,gpt-4o,2026-11-01T08:00:00Z,2026-11-01T08:00:01Z,ten,5,0.1
b,gpt-4o,2026-11-01T10:00:00Z,2026-11-01T10:00:01Z,10,5,0.0625
"""
EVALS = "task,model,item,score\na,gpt-4o,1,1\na,gpt-4o,2,0.8\na,gpt-4o-mini,1,0.7\n"
EVALS += "b,gpt-4o,1,0.8\nb,gpt-4o,2,2\n"


def _build(run: Runner, tmp_path: Path, *extra: str) -> Any:
    (tmp_path / "t.csv").write_text(TRAFFIC)
    (tmp_path / "e.csv").write_text(EVALS)
    return run(
        "workload", "build", "--traffic", tmp_path / "t.csv", "--evals", tmp_path / "e.csv",
        "--prices", DATA / "ingest" / "prices.yaml", "--period", "day",
        "--ignore-model", "legacy-1", "--volume", "b=1000", "-o", tmp_path / "w.yaml", *extra,
    )  # fmt: skip


def test_workload_build_json(run: Runner, tmp_path: Path) -> None:
    r = _build(run, tmp_path, "--format", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    schema = json.loads(run("schema", "output-workload-build").out)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema).validate(doc)
    assert (tmp_path / "w.yaml").is_file()
    assert (tmp_path / "w.empirical.json").is_file()
    assert doc["workload"] == str(tmp_path / "w.yaml")
    assert doc["sidecar"] == str(tmp_path / "w.empirical.json")
    assert (doc["name"], doc["period"], doc["models_checked"]) == ("w", "day", True)
    tasks = {t["name"]: t for t in doc["tasks"]}
    a, b = tasks["a"], tasks["b"]
    # a: 3 good rows besides legacy-1's (ignored) and line 7 (malformed); first start
    # 11-01 00:00:00, last end 11-02 00:00:00: exactly one day, so 3 requests per day
    assert (a["volume"], a["volume_source"], a["requests"]) == (3, "traffic", 3)
    models = {m["model"]: m for m in a["models"]}
    # gpt-4o: 2 requests, $0.25 + $0.5 = $0.75, share 2/3; items 1 and 0.8: quality 0.9
    assert models["gpt-4o"] == {
        "model": "gpt-4o", "requests": 2, "spend_usd": "0.75", "share_today": "0.666667",
        "quality": "0.9",
    }  # fmt: skip
    assert models["gpt-4o-mini"] == {
        "model": "gpt-4o-mini", "requests": 1, "spend_usd": "0.125", "share_today": "0.333333",
        "quality": "0.7",
    }  # fmt: skip
    # today's quality: (2 x 0.9 + 1 x 0.7) / 3 = 2.5 / 3 = 0.833333 (floored to 1e-6)
    assert a["min_quality"] == "0.833333"
    # b: one logged request, volume given; item 2 (score 2) is malformed: quality 0.8
    assert (b["volume"], b["volume_source"], b["requests"]) == (1000, "--volume", 1)
    assert [(m["model"], m["requests"], m["spend_usd"], m["quality"]) for m in b["models"]] == [
        ("gpt-4o", 1, "0.0625", "0.8")
    ]
    assert doc["models"] == ["gpt-4o", "gpt-4o-mini"]
    # legacy-1: 2 requests, $1.5 + $2.25 = $3.75 logged
    assert doc["ignored_models"] == [{"model": "legacy-1", "requests": 2, "spend_usd": "3.75"}]
    t = tmp_path / "t.csv"
    assert doc["malformed"] == {
        "traffic_rows": 1, "traffic_first": [f"{t}:7: bad prompt tokens ten"], "eval_rows": 1,
    }  # fmt: skip
    assert len(doc["warnings"]) == 2
    assert all(not w.startswith("warning:") for w in doc["warnings"])
    # stdout is only the document; the summary line went to stderr
    assert r.err.endswith(f"workload written to {tmp_path / 'w.yaml'} (2 tasks), sidecar "
                          f"{tmp_path / 'w.empirical.json'}\n")  # fmt: skip


def test_workload_build_table_output_unchanged(run: Runner, tmp_path: Path) -> None:
    r = _build(run, tmp_path)
    assert r.code == 0, r.err
    assert r.out.startswith(f"workload written to {tmp_path / 'w.yaml'} (2 tasks)")


def test_workload_build_format_is_the_output_format(run: Runner, tmp_path: Path) -> None:
    r = _build(run, tmp_path, "--format", "generic")
    assert (r.code, r.out) == (2, "")
    assert r.err == (
        "error: --format is the output format (table or json) (got 'generic'); "
        "the traffic log's format is --traffic-format generic\n"
    )
    assert not (tmp_path / "w.yaml").exists()
    r = _build(run, tmp_path, "--format", "jsn")
    assert (r.code, r.out) == (2, "")
    assert r.err == "error: --format must be one of table, json (got 'jsn'); did you mean 'json'?\n"
    assert not (tmp_path / "w.yaml").exists()
    r = _build(run, tmp_path, "--traffic-format", "generic", "-f", "json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["tasks"][0]["requests"] == 3


def test_help_lists_the_new_formats(run: Runner) -> None:
    for args in (("workload", "build"), ("prices", "import"), ("frontier",)):
        r = run(*args, "--help")
        assert r.code == 0
        assert "--format [table|json]" in " ".join(r.out.split()), args
    assert "--traffic-format" in run("workload", "build", "--help").out
