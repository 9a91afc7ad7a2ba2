"""The readers on fixtures written by the real tools (tests/data/ingest/make_*.py).

Expected figures come from the values the generators chose (their docstrings list
them) and, for what the tools measured themselves (inspect-ai's ``total_time``),
from the numbers as they stand in the committed files.
"""

from __future__ import annotations

import shutil
import struct
import zipfile
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
import yaml

from costplan.errors import InputError
from costplan.ingest.evals import detect_eval, read_evals
from costplan.ingest.sql import connect
from costplan.ingest.summarize import summarize
from costplan.ingest.traffic import detect, read_traffic


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("inspect_real_summarize.eval", "inspect"),
        ("inspect_real_summarize.json", "inspect"),
        ("inspect_real_classify_epochs.eval", "inspect"),
        ("inspect_real_classify_epochs.json", "inspect"),
        ("promptfoo_real_summarize.json", "promptfoo"),
    ],
)
def test_detect_real_eval_files(data: Path, name: str, fmt: str) -> None:
    assert detect_eval(data / name) == fmt


@pytest.mark.parametrize("name", ["otel_real_genai.jsonl", "otel_real_genai_old_semconv.jsonl"])
def test_detect_real_otel(data: Path, name: str) -> None:
    assert detect(data / name) == "otel"


def test_real_eval_zip_has_zstandard_entries(data: Path) -> None:
    # the premise of the next test: inspect-ai wrote its entries with method 93
    with zipfile.ZipFile(data / "inspect_real_summarize.eval") as z:
        assert {i.compress_type for i in z.infolist()} == {93}


@pytest.mark.parametrize("ext", ["eval", "json"])
def test_inspect_real_summarize(data: Path, ext: str) -> None:
    (r,) = read_evals(connect(), data / f"inspect_real_summarize.{ext}").results
    # match() scored C, C, I, C -> mean 3/4; sample variance (3 x .25^2 + .75^2) / 3 = .25,
    # sd .5, stderr .5 / sqrt 4 = .25
    assert (r.task, r.model, r.n) == ("summarize", "mockllm/model", 4)
    assert (r.score, r.stderr) == (Decimal("0.75"), Decimal("0.25"))
    # input_tokens exclude cache reads: (900 + 100) + 1000 + 1100 + 1000 = 4100 -> 1025
    assert r.input_mean == 1025
    assert r.output_mean == (180 + 220 + 200 + 200) / 4
    assert r.reasoning_mean is None


def test_inspect_real_latency_is_total_time(data: Path) -> None:
    (r,) = read_evals(connect(), data / "inspect_real_summarize.json").results
    # samples' total_time in the file: 0.004, 0.004, 0.022, 0.014 s -> 4, 4, 14, 22 ms:
    # p50 = (4 + 14) / 2 = 9
    assert r.latency_p50_ms == 9.0


@pytest.mark.parametrize("ext", ["eval", "json"])
def test_inspect_real_epochs_and_scorers(data: Path, ext: str) -> None:
    f = data / f"inspect_real_classify_epochs.{ext}"
    (r,) = read_evals(connect(), f).results
    # first scorer 'graded': 1, 0.5, 0.25, 0 (2 samples x 2 epochs, each one item)
    # mean 1.75 / 4 = 0.4375; squared deviations .31640625 + .00390625 + .03515625
    # + .19140625 = .546875, / 3 = .18229.., sd .426956.., / 2 = .213478
    assert (r.task, r.n, r.score, r.stderr) == ("classify", 4, Decimal("0.4375"),
                                                 Decimal("0.213478"))  # fmt: skip
    # output includes reasoning: a 300 - 200 = 100, b 500 - 400 = 100; reasoning 300 mean
    assert (r.output_mean, r.reasoning_mean, r.input_mean) == (100, 300, 500)
    (m,) = read_evals(connect(), f, scorer="match").results
    assert (m.score, m.n) == (Decimal("1"), 4)  # match(): C for every sample and epoch


def _restamp(src: Path, dest: Path, method: int) -> None:
    """Copy a stored zip with every entry's compression method field set to ``method``."""
    data = bytearray(src.read_bytes())
    with zipfile.ZipFile(src) as z:
        for info in z.infolist():
            struct.pack_into("<H", data, info.header_offset + 8, method)
    i = 0
    while (i := data.find(b"PK\x01\x02", i)) >= 0:  # central directory entries
        struct.pack_into("<H", data, i + 10, method)
        i += 4
    dest.write_bytes(bytes(data))


def test_inspect_bad_zstandard_entry_is_one_error(tmp_path: Path) -> None:
    stored = tmp_path / "stored.eval"
    with zipfile.ZipFile(stored, "w") as z:
        z.writestr("header.json", '{"eval": {"task": "t", "model": "m"}}')
    bad = tmp_path / "bad.eval"
    _restamp(stored, bad, 93)  # the bytes are not a Zstandard frame
    with pytest.raises(InputError, match=r"cannot decompress header\.json"):
        read_evals(connect(), bad)


def test_inspect_unknown_zip_method_is_one_error(tmp_path: Path) -> None:
    stored = tmp_path / "stored.eval"
    with zipfile.ZipFile(stored, "w") as z:
        z.writestr("header.json", "{}")
    odd = tmp_path / "odd.eval"
    _restamp(stored, odd, 97)  # WavPack: no reader here
    with pytest.raises(InputError, match=r"cannot read inspect-ai \.eval log"):
        read_evals(connect(), odd)


def test_promptfoo_real(data: Path) -> None:
    f = data / "promptfoo_real_summarize.json"
    (r,) = read_evals(connect(), f).results
    # scores 1, 0, 0.5, 1: mean 0.625; squared deviations .140625 + .390625 + .015625
    # + .140625 = .6875, / 3 = .229166.., sd .478713.., / 2 = .239357
    assert (r.task, r.model, r.n) == ("summarize", "echo", 4)
    assert (r.score, r.stderr) == (Decimal("0.625"), Decimal("0.239357"))
    assert (r.input_mean, r.output_mean) == (0, 0)  # the echo provider reports 0 tokens
    by_kind = {x.task: x.score for x in read_evals(connect(), f, task_key="kind").results}
    assert by_kind == {"short": Decimal("0.5"), "long": Decimal("0.75")}  # (1+0)/2, (.5+1)/2


def _traffic(path: Path, key: str) -> object:
    con = connect()
    return summarize(con, [read_traffic(con, path, task_key=key)])


def test_otel_real_current_conventions(data: Path) -> None:
    s = _traffic(data / "otel_real_genai.jsonl", "app.task")
    assert s.malformed == 0  # type: ignore[attr-defined]  # HTTP and tool spans skipped
    (t,) = s.tasks  # type: ignore[attr-defined]
    assert (t.name, t.requests) == ("triage", 3)
    assert (t.prompt_tokens, t.cached_tokens) == (1200 + 1000 + 1100, 1000)
    # output excludes reasoning: 80 + 120 + (700 - 500)
    assert (t.output_tokens, t.reasoning_tokens) == (400, 500)
    assert t.days == (("2026-11-02", 1), ("2026-11-03", 2))
    mini, o4 = t.models
    assert (mini.model, mini.requests, mini.latency_p50_ms) == ("gpt-4o-mini", 2, 1000.0)
    assert (o4.model, o4.output_mean, o4.reasoning_mean) == ("o4-mini", 200, 500)
    assert t.cache_hit_rate == Fraction(1000, 3300)


def test_otel_real_old_conventions(data: Path) -> None:
    # gen_ai.system, gen_ai.usage.prompt_tokens / completion_tokens, no operation name;
    # the task key is a resource attribute
    s = _traffic(data / "otel_real_genai_old_semconv.jsonl", "app.task")
    (t,) = s.tasks  # type: ignore[attr-defined]
    assert (t.name, t.requests, t.prompt_tokens, t.output_tokens) == ("report", 2, 1200, 200)
    (m,) = t.models
    assert (m.model, m.latency_p50_ms) == ("gpt-4o", 1500.0)  # 1000 and 2000 ms


def test_build_from_real_fixtures(data: Path, tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "w.yaml"
    r = run("workload", "build", "--traffic", data / "otel_real_genai.jsonl",
            "--task-key", "app.task", "--evals", data / "inspect_real_summarize.eval",
            "--task-map", "summarize=triage", "--model", "mockllm/model=gpt-4o-mini",
            "--prices", data / "prices.yaml", "--period", "day", "-o", out)  # fmt: skip
    assert r.code == 0, r.err
    doc = yaml.safe_load(out.read_text())
    (task,) = doc["tasks"]
    # 3 requests from 2026-11-02 00:00 to 2026-11-03 12:00:03 (129,603 s): a day is
    # 86,400 s -> ceil(3 x 86400 / 129603) = ceil(1.99995..) = 2. Days: 1, 2 -> mean 1.5,
    # sample variance .5; D = 1 day, n = 2: cv^2 = (.5 / 2.25)(1/2 + 1/1) = 1/3,
    # cv = .57735026.. rounded up = .577351
    assert task["volume"] == {"mean": 2, "cv": 0.577351}
    # one hit of 1000 cached tokens: shorter than gpt-4o-mini's 1024-token minimum, so no
    # cache policy; the mean cached tokens floor(1000 / 3) = 333 stay billed as cache reads
    assert "cache" not in task
    assert task["shared_prefix_tokens"] == 333
    assert "shorter than gpt-4o-mini's minimum cacheable prefix (1,024)" in r.err
    assert doc["quality"]["triage"]["gpt-4o-mini"] == {"score": 0.75, "n": 4, "stderr": 0.25}
    assert "no eval score" in r.err  # o4-mini runs today but has no score: no floor


def test_generated_fixture_copies_read_the_same(data: Path, tmp_path: Path) -> None:
    # a renamed copy reads the same (detection is by content, not by name)
    copy = tmp_path / "log.bin"
    shutil.copy(data / "inspect_real_summarize.eval", copy)
    (r,) = read_evals(connect(), copy).results
    assert r.score == Decimal("0.75")


@pytest.mark.parametrize("ext", ["eval", "json"])
def test_inspect_real_log_without_samples(data: Path, ext: str) -> None:
    # --no-log-samples: only results.scores[match].metrics {accuracy .75, stderr .25} and
    # completed_samples 4 remain (the same run as inspect_real_summarize)
    r = read_evals(connect(), data / f"inspect_real_summarize_nosamples.{ext}")
    (x,) = r.results
    assert (x.task, x.model, x.score, x.stderr, x.n) == (
        "summarize", "mockllm/model", Decimal("0.75"), Decimal("0.25"), 4,
    )  # fmt: skip
    assert (x.input_mean, r.items) == (None, ())  # no tokens, no per-item scores
