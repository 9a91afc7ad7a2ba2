"""Each eval reader on its fixture; expected figures derived by hand from the files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from costplan.errors import InputError
from costplan.ingest.evals import detect_eval, merge, read_evals
from costplan.ingest.sql import connect


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("inspect_summarize_gpt-4o-mini.json", "inspect"),
        ("inspect_summarize_gpt-4o-mini.eval", "inspect"),
        ("lm_eval_results_classify.json", "lm-eval"),
        ("promptfoo_summarize_gpt-4o.json", "promptfoo"),
        ("samples_classify_2026-11-01T00-00-00.jsonl", "lm-eval-samples"),
        ("generic_evals_classify.csv", "generic"),
    ],
)
def test_detect(data: Path, name: str, fmt: str) -> None:
    assert detect_eval(data / name) == fmt


@pytest.mark.parametrize(
    "name", ["inspect_summarize_gpt-4o-mini.json", "inspect_summarize_gpt-4o-mini.eval"]
)
def test_inspect(data: Path, name: str) -> None:
    (r,) = read_evals(connect(), data / name).results
    # scores C, C, I, C -> 1, 1, 0, 1: mean 3/4; sample variance
    # (3 x 0.25^2 + 0.75^2) / 3 = 0.25, sd 0.5, stderr 0.5 / sqrt(4) = 0.25
    assert (r.task, r.model, r.n) == ("summarize", "openai/gpt-4o-mini", 4)
    assert r.score == Decimal("0.75")
    assert r.stderr == Decimal("0.25")
    # model_usage output 180, 220, 200, 200 -> mean 200; no reasoning reported
    assert r.output_mean == 200
    assert r.reasoning_mean is None
    assert r.latency_p50_ms == 1500.0  # total_time 1.5 s for every sample


def test_lm_eval(data: Path) -> None:
    (r,) = read_evals(connect(), data / "lm_eval_results_classify.json").results
    # results.classify["acc,none"] = 0.9, "acc_stderr,none" = 0.03, n-samples effective 100
    assert (r.task, r.model, r.score, r.stderr, r.n) == (
        "classify",
        "gpt-4o-mini",
        Decimal("0.9"),
        Decimal("0.03"),
        100,
    )
    assert r.output_mean is None


def test_lm_eval_missing_metric(data: Path) -> None:
    with pytest.raises(InputError, match="no 'f1,none' metric"):
        read_evals(connect(), data / "lm_eval_results_classify.json", metric="f1,none")


def test_promptfoo(data: Path) -> None:
    (r,) = read_evals(connect(), data / "promptfoo_summarize_gpt-4o.json").results
    # provider openai:chat:gpt-4o -> gpt-4o; task from config.description; scores
    # 1, 1, 1, 0.5: mean 0.875; deviations .125 x3 and -.375: variance .1875 / 3 = .0625,
    # sd .25, stderr .25 / 2 = .125
    assert (r.task, r.model, r.n) == ("summarize", "gpt-4o", 4)
    assert r.score == Decimal("0.875")
    assert r.stderr == Decimal("0.125")
    assert r.output_mean == 250
    assert r.latency_p50_ms == 1050.0  # latencyMs 900, 1000, 1100, 1200
    # task key from vars
    (k,) = read_evals(connect(), data / "promptfoo_summarize_gpt-4o.json", task_key="doc").results[
        :1
    ]
    assert k.task == "d0"


def test_generic(data: Path) -> None:
    (r,) = read_evals(connect(), data / "generic_evals_classify.csv").results
    # scores 1 1 1 1 0: 0.8; variance (4 x .2^2 + .8^2)/4 = .2, sd .4472, stderr .2
    assert (r.task, r.model, r.n, r.score, r.stderr) == (
        "classify",
        "o4-mini",
        5,
        Decimal("0.8"),
        Decimal("0.2"),
    )
    assert r.reasoning_mean == (400 + 400 + 500 + 500 + 700) / 5
    assert r.output_mean == 50


def test_malformed_eval_rows(tmp_path: Path) -> None:
    f = tmp_path / "e.csv"
    f.write_text("task,model,score\na,m,1\na,m,maybe\na,m,0\na,m,1.5\n")
    r = read_evals(connect(), f)
    assert r.malformed == 2  # 'maybe' (line 3) and 1.5 (line 5, outside 0..1)
    assert r.first_malformed is not None
    assert r.first_malformed.endswith(":3: bad score maybe")
    assert r.results[0].n == 2
    with pytest.raises(InputError, match=r"e.csv:3: malformed eval row: bad score maybe"):
        read_evals(connect(), f, strict=True)


def test_merge_refuses_two_sources_for_one_pair(data: Path) -> None:
    a = read_evals(connect(), data / "inspect_summarize_gpt-4o-mini.json").results
    b = read_evals(connect(), data / "inspect_summarize_gpt-4o-mini.eval").results
    with pytest.raises(InputError, match="scored by two eval files"):
        merge([*a, *b])


def test_lm_eval_samples(data: Path) -> None:
    f = data / "samples_classify_2026-11-01T00-00-00.jsonl"
    with pytest.raises(InputError, match="give --eval-model"):
        read_evals(connect(), f)
    (r,) = read_evals(connect(), f, model="gpt-4o-mini").results
    # acc 1, 1, 0, 1: mean 0.75, variance 0.25, stderr 0.5 / 2 = 0.25; task from the file name
    assert (r.task, r.model, r.n, r.score, r.stderr) == (
        "classify",
        "gpt-4o-mini",
        4,
        Decimal("0.75"),
        Decimal("0.25"),
    )
