"""``costplan workload build`` on the fixtures: the workload it writes, and bad input."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from costplan.workload.load import load_workload

EVALS = (
    "inspect_summarize_gpt-4o-mini.json",
    "promptfoo_summarize_gpt-4o.json",
    "lm_eval_results_classify.json",
    "generic_evals_classify.csv",
)


def _args(data: Path, out: Path, *extra: str) -> list[str | Path]:
    args: list[str | Path] = ["workload", "build", "--traffic", data / "litellm_spendlogs.csv"]
    args += ["--task-key", "task", "--prices", data / "prices.yaml", "-o", out]
    for e in EVALS:
        args += ["--evals", data / e]
    return [*args, *extra]


def test_build_writes_a_loadable_workload(data: Path, tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "w.yaml"
    r = run(*_args(data, out))
    assert r.code == 0, r.err
    assert "1 malformed rows skipped" in r.err  # row m1, line 11
    assert "litellm_spendlogs.csv:11: bad output tokens n/a" in r.err
    assert "extrapolated to a month (x15.00) = 90" in r.err  # summarize: 6 over 2 days
    doc = yaml.safe_load(out.read_text())
    tasks = {t["name"]: t for t in doc["tasks"]}
    summ = tasks["summarize"]
    # 6 requests over 2 days -> 6 x 30 / 2 = 90 a month
    assert summ["volume"] == 90
    # prompt mean 7000/6 = 1166.67 -> ceil 1167; cached mean 400/6 = 66.67 -> floor 66;
    # uncached 1167 - 66 = 1101
    assert summ["prompt"] == {"tokens": 1101}
    assert summ["shared_prefix_tokens"] == 66
    # output mean 1400/6 = 233.3 -> 234; p95 (quantile_disc of 100 150 200 250 300 400) = 400
    assert summ["output_tokens"] == {"mean": 234, "p95": 400}
    # gpt-4o's own traffic: output 200 300 100 400 -> mean 250, p95 400; latencies
    # 1000 2000 1500 3000 ms -> p50 (1500 + 2000) / 2 = 1750, p95 2000 + 0.85 x 1000 = 2850
    assert summ["profiles"]["gpt-4o"] == {
        "output_tokens": {"mean": 250, "p95": 400},
        "latency_ms": {"p50": 1750, "p95": 2850},
    }
    cls = tasks["classify"]
    # o4-mini: output (500-400, 700-600) = 100 each; reasoning (400 + 600) / 2 = 500
    # its latencies (endTime - startTime) 2000 and 4000 ms: p50 3000, p95 by linear
    # interpolation at rank 0.95 x 1 -> 2000 + 0.95 x 2000 = 3900
    assert cls["profiles"]["o4-mini"] == {
        "output_tokens": 100,
        "reasoning_tokens": 500,
        "latency_ms": {"p50": 3000, "p95": 3900},
    }
    assert "reasoning_tokens" not in cls  # billed only where measured: per model
    # shares of requests: summarize 4 of 6 on gpt-4o -> 0.666667 / 0.333333 (sum exactly 1)
    assert doc["current"]["summarize"] == {"gpt-4o": 0.666667, "gpt-4o-mini": 0.333333}
    # today's quality on summarize over 90 queries = 60 x 0.875 + 30 x 0.75 = 75 -> 75/90
    # = 0.8333.. rounded down to 1e-6
    assert summ["min_quality"] == 0.833333
    assert doc["quality"]["summarize"]["gpt-4o"] == {"score": 0.875, "n": 4, "stderr": 0.125}
    assert doc["quality"]["classify"]["gpt-4o-mini"] == {"score": 0.9, "n": 100, "stderr": 0.03}
    side = tmp_path / "w.empirical.json"
    assert doc["empirical"] == {
        "file": "w.empirical.json",
        "sha256": hashlib.sha256(side.read_bytes()).hexdigest(),
    }
    w = load_workload(out)
    assert w.task("classify").reasoning_for("o4-mini") == 500
    assert w.task("classify").reasoning_for("gpt-4o-mini") == 0


def _nothing_written(tmp_path: Path) -> None:
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--strict",), r"litellm_spendlogs.csv:11: malformed row: bad output tokens n/a"),
        (("--period", "fortnight"), r"unknown --period"),
        (("--volume", "summarize=lots"), r"--volume summarize=N must be a whole number"),
        (("--sample-size", "1e9"), r"--sample-size must be a whole number from 0 to 1,000,000"),
    ],
)
def test_refused_writes_nothing(data: Path, tmp_path: Path, run, extra, message) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "w.yaml"
    r = run(*_args(data, out, *extra))
    assert r.code == 2
    assert len(r.err.strip().splitlines()) == 1
    assert pytest.importorskip("re").search(message, r.err)
    _nothing_written(tmp_path)


def test_unknown_models_listed_with_requests_and_spend(data: Path, tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    sheet = tmp_path / "p.yaml"
    text = (data / "prices.yaml").read_text()
    sheet.write_text(text[: text.index("  o4-mini:")])
    out = tmp_path / "o" / "w.yaml"
    out.parent.mkdir()
    args = [a if a != data / "prices.yaml" else sheet for a in _args(data, out)]
    r = run(*args)
    assert r.code == 2
    # o4-mini: c1 and c2, logged 0.00253 + 0.00341; and the generic eval file's o4-mini
    assert "unknown models (not in" in r.err
    assert "o4-mini (2 requests, $0.0059 logged; eval generic_evals_classify.csv, traffic)" in r.err
    assert not any(out.parent.iterdir())
    r = run(*args, "--ignore-model", "o4-mini")
    assert r.code == 0, r.err  # dropped from traffic and evals, and said so
    assert "--ignore-model o4-mini: 2 requests, $0.0059 logged left out" in r.err
    assert "o4-mini" not in out.read_text()


def test_never_overwrites_an_input(data: Path, tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "litellm_spendlogs.csv"
    target.write_bytes((data / "litellm_spendlogs.csv").read_bytes())
    before = target.read_bytes()
    args = _args(data, tmp_path / "x.yaml")
    args[3] = target
    args[args.index("-o") + 1] = target
    r = run(*args)
    assert r.code == 2
    assert "refusing to overwrite an input" in r.err
    assert target.read_bytes() == before


def test_anthropic_report_needs_volume(data: Path, tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    base = ["workload", "build", "--traffic", data / "anthropic_usage_messages.json"]
    ev = tmp_path / "e.csv"
    ev.write_text("task,model,score\nwrkspc_review,claude-sonnet-4-5,1\n")
    r = run(*base, "--evals", ev, "-o", tmp_path / "w.yaml")
    assert r.code == 2
    assert "no request counts" in r.err
    assert "--volume wrkspc_review=N" in r.err
    r = run(*base, "--evals", ev, "--volume", "wrkspc_review=3000", "-o", tmp_path / "w.yaml")
    assert r.code == 0, r.err
    doc = yaml.safe_load((tmp_path / "w.yaml").read_text())
    assert doc["tasks"][0]["volume"] == 3000


@pytest.mark.parametrize("how", ["same", "symlink", "hardlink"])
@pytest.mark.parametrize("which", ["traffic", "evals"])
def test_an_output_over_a_traffic_or_eval_file_is_refused(  # type: ignore[no-untyped-def]
    data: Path, tmp_path: Path, run, how: str, which: str
) -> None:
    import shutil

    traffic = tmp_path / "spend.csv"
    evals = tmp_path / "evals.csv"
    shutil.copy(data / "litellm_spendlogs.csv", traffic)
    shutil.copy(data / "generic_evals_classify.csv", evals)
    victim = traffic if which == "traffic" else evals
    before = victim.read_bytes()
    out = victim
    if how != "same":
        out = tmp_path / "w.yaml"
        (out.symlink_to if how == "symlink" else out.hardlink_to)(victim)
    args = ["workload", "build", "--traffic", traffic, "--evals", evals, "--task-key", "task"]
    r = run(*args, "--prices", data / "prices.yaml", "-o", out)
    assert r.code == 2, r.err
    assert r.err.count("\n") == 1, r.err
    assert "refusing to overwrite an input" in r.err, r.err
    assert victim.read_bytes() == before
