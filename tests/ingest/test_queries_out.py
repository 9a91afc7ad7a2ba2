"""``workload build --queries-out``, the hindsight warning, and ``assign --predictions``.

Prices (tests/data/ingest/prices.yaml, USD per million tokens): gpt-4o 2.5 in / 10 out,
gpt-4o-mini 0.15 / 0.6. Per-item evals (EVALS below) and the cost of each query:

====  ==========  ===========  =======  =========================  ========================
item  gpt-4o      gpt-4o-mini  tokens   gpt-4o cost                gpt-4o-mini cost
====  ==========  ===========  =======  =========================  ========================
a     1 (1000/2)  0 (1100/250) 1100/250 .00275 + .0025 = .00525    .000165 + .00015 = .000315
b     1 (1000/3)  1 (900/200)  1000/300 .0025 + .003 = .0055       .00015 + .00018 = .00033
c     0 (1000/2)  1 (1000/250) 1000/250 .0025 + .0025 = .005       .00015 + .00015 = .0003
====  ==========  ===========  =======  =========================  ========================

(tokens: the item's largest measured input / output over the models.)
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

EVALS = """task,model,item,score,input_tokens,output_tokens
summarize,gpt-4o,a,1,1000,200
summarize,gpt-4o,b,1,1000,300
summarize,gpt-4o,c,0,1000,200
summarize,gpt-4o-mini,a,0,1100,250
summarize,gpt-4o-mini,b,1,900,200
summarize,gpt-4o-mini,c,1,1000,250
"""

WARNING = "per-item eval scores used as assign quality make a hindsight oracle"


def _build(data: Path, tmp_path: Path, run, *extra: str | Path):  # type: ignore[no-untyped-def]
    ev = tmp_path / "items.csv"
    ev.write_text(EVALS)
    return run("workload", "build", "--traffic", data / "litellm_spendlogs.csv",
               "--task-key", "task", "--prices", data / "prices.yaml",
               "--evals", ev, "--evals", data / "lm_eval_results_classify.json",
               "-o", tmp_path / "w.yaml", *extra)  # fmt: skip


def test_queries_out_lines_and_warning(data: Path, tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    q = tmp_path / "q.jsonl"
    r = _build(data, tmp_path, run, "--queries-out", q)
    assert r.code == 0, r.err
    warning = [line for line in r.err.splitlines() if WARNING in line]
    assert len(warning) == 1  # one stderr line, not wrapped
    assert "3 per-item queries written to" in r.out
    rows = [json.loads(line) for line in q.read_text().splitlines()]
    # classify's lm-eval file is a summary: no items; summarize's three items as above
    assert rows == [
        {"id": "summarize/a", "task": "summarize", "prompt_tokens": 1100, "cached_tokens": 0,
         "output_tokens": 250, "quality": {"gpt-4o": 1, "gpt-4o-mini": 0}},
        {"id": "summarize/b", "task": "summarize", "prompt_tokens": 1000, "cached_tokens": 0,
         "output_tokens": 300, "quality": {"gpt-4o": 1, "gpt-4o-mini": 1}},
        {"id": "summarize/c", "task": "summarize", "prompt_tokens": 1000, "cached_tokens": 0,
         "output_tokens": 250, "quality": {"gpt-4o": 0, "gpt-4o-mini": 1}},
    ]  # fmt: skip


def test_queries_out_without_item_ids_writes_nothing(data: Path, tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    ev = tmp_path / "noitems.csv"
    ev.write_text("task,model,score\nsummarize,gpt-4o,1\nsummarize,gpt-4o-mini,0\n")
    q = tmp_path / "q.jsonl"
    r = run("workload", "build", "--traffic", data / "litellm_spendlogs.csv",
            "--task-key", "task", "--prices", data / "prices.yaml", "--evals", ev,
            "--evals", data / "lm_eval_results_classify.json", "-o", tmp_path / "w.yaml",
            "--queries-out", q)  # fmt: skip
    assert r.code == 2
    assert r.err.count("\n") == 1, r.err
    assert "noitems.csv: task 'summarize': the eval file names no items" in r.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["noitems.csv"]


def _assign(data: Path, q: Path, run, *extra: str | Path):  # type: ignore[no-untyped-def]
    return run("assign", q, "--prices", data / "prices.yaml", "--objective", "min_cost",
               "--min-quality", "0.8", *extra)  # fmt: skip


def test_assign_on_eval_correctness_says_hindsight(data: Path, tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    q = tmp_path / "q.jsonl"
    assert _build(data, tmp_path, run, "--queries-out", q).code == 0
    plan = tmp_path / "plan.yaml"
    r = _assign(data, q, run, "--plan", plan)
    assert r.code == 0, r.err
    assert WARNING in r.out  # the plan note, in the terminal
    notes = yaml.safe_load(plan.read_text())["notes"]
    assert any(WARNING in n for n in notes)  # and in the plan file
    md = tmp_path / "r.md"
    assert run("report", plan, "-o", md).code == 0
    assert WARNING in md.read_text()  # and in the report


def test_no_hindsight_note_on_predicted_quality(data: Path, tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "p.jsonl"
    p.write_text('{"id": "x", "prompt_tokens": 10, "output_tokens": 5, '
                 '"quality": {"gpt-4o": 0.9, "gpt-4o-mini": 0.7}}\n')  # fmt: skip
    r = run("assign", p, "--prices", data / "prices.yaml", "--objective", "min_cost",
            "--min-quality", "0.5")  # fmt: skip
    assert r.code == 0, r.err
    assert WARNING not in r.out


PREDICTIONS = {"a": (0.9, 0.6), "b": (0.9, 0.8), "c": (0.9, 0.5)}  # (gpt-4o, gpt-4o-mini)


def test_predictions_show_the_gap(data: Path, tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    q = tmp_path / "q.jsonl"
    assert _build(data, tmp_path, run, "--queries-out", q).code == 0
    pred = tmp_path / "pred.jsonl"
    lines = []
    for row in map(json.loads, q.read_text().splitlines()):
        big, mini = PREDICTIONS[row["id"].split("/")[1]]
        lines.append(json.dumps({**row, "quality": {"gpt-4o": big, "gpt-4o-mini": mini}}))
    pred.write_text("\n".join(reversed(lines)) + "\n")  # another order: matched by id
    plan = tmp_path / "plan.yaml"
    r = _assign(data, q, run, "--predictions", pred, "--plan", plan)
    assert r.code == 0, r.err
    # Floor 0.8 over 3 queries = 2.4. Hindsight (0/1 quality): all three right, cheapest:
    # a gpt-4o .00525, b mini .00033, c mini .0003 = .00588, mean quality 1.
    # Predictions: all mini = .6 + .8 + .5 = 1.9; the cheapest upgrades reaching 2.4:
    # {c, a} (+.4 +.3, costs +.0047 +.004935) beats {c, b} (+.00987) and {a, b} (+.010105):
    # a gpt-4o, b mini, c gpt-4o = .00525 + .00033 + .005 = .01058; predicted 2.6 / 3 =
    # .866667; measured 1 + 1 + 0 = 2 -> .666667; gap 1 - .666667 = .333333
    assert "hindsight (query file quality): mean quality 1.000000, cost $0.005880" in r.out
    assert ("prediction-based (pred.jsonl): mean quality 0.666667 measured (0.866667 "
            "predicted), cost $0.010580") in r.out  # fmt: skip
    assert "hindsight gap: 0.333333 mean quality" in r.out
    notes = yaml.safe_load(plan.read_text())["notes"]
    assert any("hindsight gap: 0.333333" in n for n in notes)


def test_predictions_must_be_the_same_queries(data: Path, tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    q = tmp_path / "q.jsonl"
    assert _build(data, tmp_path, run, "--queries-out", q).code == 0
    rows = [json.loads(line) for line in q.read_text().splitlines()]
    other = tmp_path / "other.jsonl"
    rows[1]["output_tokens"] += 1  # b's tokens differ
    other.write_text("".join(json.dumps(r) + "\n" for r in rows))
    r = _assign(data, q, run, "--predictions", other)
    assert r.code == 2
    assert "other.jsonl: the predictions file's queries differ from the query file's" in r.err
    fewer = tmp_path / "fewer.jsonl"
    fewer.write_text("".join(json.dumps(r) + "\n" for r in rows[:2]))
    r = _assign(data, q, run, "--predictions", fewer)
    assert r.code == 2
    assert "the predictions file must list the query file's ids, each once" in r.err
