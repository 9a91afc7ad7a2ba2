"""``--format json`` of ``frontier --latency``, ``prices import`` and ``workload build``.

Each command runs in-process; stdout is parsed with ``json.loads`` and validated against
``costplan schema output-<name>`` (Draft 2020-12). Figures are derived by hand from the
fixtures in the comments.
"""

from __future__ import annotations

from pathlib import Path

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
