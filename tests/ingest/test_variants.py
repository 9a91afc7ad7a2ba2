"""Real-world variations of each format (one fixture each); figures by hand from the files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from costplan.errors import InputError
from costplan.ingest.evals import detect_eval, read_evals
from costplan.ingest.sql import connect
from costplan.ingest.summarize import summarize
from costplan.ingest.traffic import detect, read_traffic

GSM = "lm_eval_results_gsm8k_hellaswag.json"
SAMPLES = "samples_gsm8k_2026-11-05T10-11-12.123456.jsonl"


def test_lm_eval_default_metric_is_first_numeric_when_no_acc(data: Path) -> None:
    by_task = {r.task: r for r in read_evals(connect(), data / GSM).results}
    # gsm8k has no acc,none: its first numeric metric exact_match,strict-match = 0.75
    # (stderr 0.0119); hellaswag keeps acc,none = 0.6 (stderr 0.0049); n = n-samples.effective
    g, h = by_task["gsm8k"], by_task["hellaswag"]
    assert (g.score, g.stderr, g.n) == (Decimal("0.75"), Decimal("0.0119"), 1319)
    assert (h.score, h.stderr, h.n) == (Decimal("0.6"), Decimal("0.0049"), 10042)
    assert g.model == "meta-llama/Llama-3.1-8B-Instruct"  # model_name


def test_lm_eval_named_metric_with_non_numeric_stderr(data: Path) -> None:
    (g,) = read_evals(connect(), data / GSM, metric="exact_match,flexible-extract").results
    # 0.78 with stderr "N/A" (bootstrap off): unknown stderr, n still known
    assert (g.task, g.score, g.stderr, g.n) == ("gsm8k", Decimal("0.78"), None, 1319)
    (h,) = read_evals(connect(), data / GSM, metric="acc_norm,none").results
    assert (h.task, h.score, h.stderr) == ("hellaswag", Decimal("0.79"), Decimal("0.0041"))


def test_lm_eval_old_release_without_n_samples(data: Path) -> None:
    (r,) = read_evals(connect(), data / "lm_eval_results_old_no_nsamples.json").results
    # no model_name: model_args "pretrained=EleutherAI/pythia-160m"; no n-samples: n unknown
    assert (r.task, r.model, r.score, r.n) == ("arc_easy", "EleutherAI/pythia-160m",
                                               Decimal("0.8"), None)  # fmt: skip


def test_lm_eval_samples_one_filter(data: Path) -> None:
    f = data / SAMPLES
    assert detect_eval(f) == "lm-eval-samples"
    (r,) = read_evals(connect(), f, model="llama").results
    # each doc twice (strict-match, flexible-extract); metrics[0] = exact_match and the first
    # line's filter strict-match: docs 0..3 -> 1, 0, 1, 0 = 0.5 over 4 docs (not 8 rows)
    assert (r.task, r.n, r.score) == ("gsm8k", 4, Decimal("0.5"))
    (x,) = read_evals(connect(), f, model="llama", metric="exact_match,flexible-extract").results
    assert (x.n, x.score) == (4, Decimal("0.75"))  # 1, 1, 1, 0


def test_promptfoo_v2_summary_without_wrapper(data: Path) -> None:
    f = data / "promptfoo_v2_summary.json"
    assert detect_eval(f) == "promptfoo"
    (r,) = read_evals(connect(), f).results
    # no config: task 'default'; provider openai:gpt-4o-mini -> gpt-4o-mini; third result has
    # no top-level score: gradingResult.score 1 -> scores 1, 0, 1 = 2/3; tokens 500/600/700
    assert (r.task, r.model, r.n) == ("default", "gpt-4o-mini", 3)
    assert r.score == Decimal("0.666667")
    assert (r.input_mean, r.output_mean) == (600, 60)


def test_promptfoo_provider_as_string(tmp_path: Path) -> None:
    f = tmp_path / "p.json"
    f.write_text(
        '{"version": 2, "results": [{"provider": "anthropic:messages:claude-haiku-4-5", '
        '"success": true, "score": 1, "latencyMs": 10, "gradingResult": {"pass": true}}]}'
    )
    (r,) = read_evals(connect(), f).results
    assert (r.model, r.score) == ("claude-haiku-4-5", Decimal("1"))


@pytest.mark.parametrize(("value", "score"), [('"yes"', "1"), ('"NO"', "0"), ("true", "1"),
                                              ("0.25", "0.25"), ('"P"', "0.5")])  # fmt: skip
def test_inspect_score_encodings(tmp_path: Path, value: str, score: str) -> None:
    f = tmp_path / "log.json"
    f.write_text(
        '{"eval": {"task": "t", "model": "m"}, "plan": {}, "samples": [{"id": 1, "epoch": 1, '
        f'"scores": {{"s": {{"value": {value}}}}}}}]}}'
    )
    (r,) = read_evals(connect(), f).results
    assert r.score == Decimal(score)


def test_inspect_version_1_sample_score(tmp_path: Path) -> None:
    f = tmp_path / "log.json"
    f.write_text(
        '{"version": 1, "eval": {"task": "t", "model": "m"}, "plan": {}, "samples": ['
        '{"id": 1, "epoch": 1, "score": {"value": "C"}}, {"id": 2, "epoch": 1, '
        '"score": {"value": "I"}}]}'
    )
    (r,) = read_evals(connect(), f).results
    assert (r.score, r.n) == (Decimal("0.5"), 2)


def test_inspect_dict_score_is_malformed_not_guessed(tmp_path: Path) -> None:
    f = tmp_path / "log.json"
    f.write_text(
        '{"eval": {"task": "t", "model": "m"}, "plan": {}, "samples": ['
        '{"id": 1, "epoch": 1, "scores": {"s": {"value": {"a": 1, "b": 0}}}}, '
        '{"id": 2, "epoch": 1, "scores": {"s": {"value": "C"}}}]}'
    )
    r = read_evals(connect(), f)
    assert (r.malformed, r.results[0].n) == (1, 1)
    with pytest.raises(InputError, match="malformed eval row: no score"):
        read_evals(connect(), f, strict=True)


def test_litellm_variants(data: Path) -> None:
    f = data / "litellm_spendlogs_variants.jsonl"
    assert detect(f) == "litellm"
    con = connect()
    s = summarize(con, [read_traffic(con, f, task_key="task")])
    assert s.malformed == 0
    chat, triage = s.tasks
    # v3 has request_tags null and no spend_logs_metadata: named by model_group 'chat'
    assert (chat.name, chat.requests, chat.unkeyed) == ("chat", 1, 1)
    # triage: v1 (tags a list, "task:triage" second), v2 (tags a JSON string, metadata a JSON
    # string, no usage_object), v4 (Anthropic-style usage_object.cache_read_input_tokens)
    assert (triage.name, triage.requests) == ("triage", 3)
    assert (triage.prompt_tokens, triage.cached_tokens) == (1000 + 800 + 1200, 300 + 500)
    # output excludes reasoning where measured: (100 - 40) + 50 + 150
    assert (triage.output_tokens, triage.reasoning_tokens) == (260, 40)
    mini = next(m for m in triage.models if m.model == "gpt-4o-mini")
    # spend 0.001 (number) + "0.0008" (text); latency 2000 and 1000 ms (offset timestamps)
    assert mini.spend_usd == Decimal("0.0018")
    assert mini.latency_p50_ms == 1500.0


def test_inspect_summary_picks_the_named_scorer(tmp_path: Path) -> None:
    f = tmp_path / "log.json"
    f.write_text(
        '{"eval": {"task": "t", "model": "m"}, "plan": {}, "results": {"total_samples": 10, '
        '"scores": [{"name": "a", "metrics": {"mean": {"name": "mean", "value": 0.4}}}, '
        '{"name": "b", "metrics": {"accuracy": {"name": "accuracy", "value": 0.9}, '
        '"stderr": {"name": "stderr", "value": 0.1}}}]}}'
    )
    (first,) = read_evals(connect(), f).results
    assert (first.score, first.stderr, first.n) == (Decimal("0.4"), None, 10)  # first scorer
    (b,) = read_evals(connect(), f, scorer="b").results
    assert (b.score, b.stderr) == (Decimal("0.9"), Decimal("0.1"))


def test_lm_eval_group_with_blank_metric_is_left_out(tmp_path: Path) -> None:
    f = tmp_path / "results.json"
    f.write_text(
        '{"results": {"mmlu": {"acc,none": " ", "alias": "mmlu"}, '
        '"mmlu_anatomy": {"acc,none": 0.5, "acc_stderr,none": 0.04, "alias": " - anatomy"}}, '
        '"model_name": "m", "n-samples": {"mmlu_anatomy": {"original": 135, "effective": 135}}}'
    )
    (r,) = read_evals(connect(), f, metric="acc,none").results
    assert (r.task, r.score, r.n) == ("mmlu_anatomy", Decimal("0.5"), 135)


@pytest.mark.parametrize(("word", "score"), [("correct", "1"), ("INCORRECT", "0"),
                                             ("pass", "1"), ("Fail", "0")])  # fmt: skip
def test_generic_score_words(tmp_path: Path, word: str, score: str) -> None:
    f = tmp_path / "e.csv"
    f.write_text(f"task,model,score\nt,m,{word}\n")
    (r,) = read_evals(connect(), f).results
    assert r.score == Decimal(score)


def test_otel_before_otlp_1_0(tmp_path: Path) -> None:
    # OTLP before 0.15 named scopeSpans instrumentationLibrarySpans
    f = tmp_path / "old.json"
    f.write_text(
        '{"resourceSpans": [{"resource": {"attributes": []}, "instrumentationLibrarySpans": '
        '[{"spans": [{"startTimeUnixNano": "1793577600000000000", "endTimeUnixNano": '
        '"1793577601000000000", "attributes": [{"key": "gen_ai.request.model", "value": '
        '{"stringValue": "gpt-4o"}}, {"key": "gen_ai.usage.prompt_tokens", "value": '
        '{"intValue": 7}}, {"key": "gen_ai.usage.completion_tokens", "value": '
        '{"intValue": 3}}]}]}]}]}'
    )
    con = connect()
    (t,) = summarize(con, [read_traffic(con, f)]).tasks
    assert (t.requests, t.prompt_tokens, t.output_tokens) == (1, 7, 3)
