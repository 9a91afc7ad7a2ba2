"""Bad input to ``costplan workload build`` (issue section "Bad input"), through the CLI:
each refusal is one exact line naming file, line and value, exit 2, nothing written;
malformed rows are counted with the first ones listed, and the run goes on (or stops
with ``--strict``); an extrapolated volume is said so."""

from __future__ import annotations

from pathlib import Path

import pytest

HEAD = "task,model,timestamp,end_time,prompt_tokens,output_tokens"
OK = "a,gpt-4o,2026-11-01T00:00:00Z,2026-11-01T00:00:01Z,10,5"


def _build(tmp_path: Path, run, rows: list[str], *extra: str):  # type: ignore[no-untyped-def]
    t = tmp_path / "t.csv"
    t.write_text("\n".join(rows) + "\n")
    e = tmp_path / "e.csv"
    e.write_text("task,model,score\na,gpt-4o,1\nb,gpt-4o,1\n")
    return t, run("workload", "build", "--traffic", t, "--evals", e, "-o", tmp_path / "w.yaml",
                  *extra)  # fmt: skip


def _nothing_written(tmp_path: Path) -> None:
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.csv", "t.csv"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [HEAD, OK, "a,gpt-4o,2026-11-01T01:00:00Z,2026-11-01T01:00:01Z,-4,5"],
            "{t}:3: negative token count (got 'prompt -4, cached 0, output 5')",
        ),
        (
            [HEAD, OK, "a,gpt-4o,2026-11-01T01:00:00Z,2026-11-01T01:00:01Z,100000001,5"],
            "{t}:3: absurd token count (over 100,000,000 per request) "
            "(got 'n 1, prompt 100000001, output 5')",
        ),
        (
            ["task,model,timestamp,prompt_tokens,cached_tokens,output_tokens",
             "a,gpt-4o,2026-11-01T00:00:00Z,10,20,5", "a,gpt-4o,2026-11-02T00:00:00Z,10,0,5"],
            "{t}:2: cached tokens exceed prompt tokens (got 'prompt 10, cached 20')",
        ),
        (
            [HEAD, OK, "a,gpt-4o,2026-11-01T01:00:00Z,2026-11-01T00:59:00Z,10,5"],
            "{t}:3: clock skew: ends before it starts "
            "(got 'start 2026-11-01 01:00:00+00, end 2026-11-01 00:59:00+00')",
        ),
        (
            [HEAD, OK, "a,gpt-4o,2026-11-01 01:00:00,2026-11-01 01:00:01,10,5"],
            "{t}:3: mixed time zones: this timestamp has no zone, {t}:2 has one (got 'naive')",
        ),
        (
            ["task,model,timestamp,requests,prompt_tokens,output_tokens",
             "a,gpt-4o,2026-11-01T00:00:00Z,0,0,0", "b,gpt-4o,2026-11-02T00:00:00Z,3,30,9"],
            "{t}:2: empty group: task 'a' has 0 requests (got 'a')",
        ),
        (
            ["task,model,timestamp,prompt_tokens,output_tokens,spend_usd",
             "a,gpt-4o,2026-11-01T00:00:00Z,10,5,0.1", "a,gpt-4o,2026-11-02T00:00:00Z,10,5,-0.1"],
            "{t}:3: negative spend (got '-0.1')",
        ),
        (
            ["task,model,timestamp,prompt_tokens,output_tokens",
             "a,gpt-4o,2026-11-01T00:00:00Z,10,5"],
            "{t}: task 'a': its traffic covers no time (first start = last end), so no rate can "
            "be derived (got '2026-11-01 00:00:00+00:00'); give --volume a=N",
        ),
        (
            [HEAD, "a,gpt-4o,never,,1,1"],
            "{t}: no usable traffic records (1 malformed rows, first: {t}:2: bad timestamp never)",
        ),
        (
            [HEAD, OK, "a,gpt-4o,never,,1,1"],
            "{t}:3: malformed row: bad timestamp never; fix the rows, or drop --strict to skip "
            "them",
        ),
    ],
)  # fmt: skip
def test_refused_in_one_line(tmp_path: Path, run, rows: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    extra = ("--strict",) if "--strict" in message else ()
    t, r = _build(tmp_path, run, rows, *extra)
    assert r.code == 2, r.err
    assert r.err == "error: " + message.format(t=t) + "\n"
    _nothing_written(tmp_path)


def test_malformed_rows_counted_first_five_listed(tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    rows = [HEAD, OK,
            "a,gpt-4o,never,,1,1",                       # 3: bad timestamp
            "a,gpt-4o,2026-11-01T02:00:00Z,,x,1",        # 4: bad prompt tokens
            "a,,2026-11-01T02:00:00Z,,1,1",              # 5: no model
            "a,gpt-4o,2026-11-01T02:00:00Z,,1,1.5",      # 6: bad output tokens
            "a,gpt-4o,2026-11-01T02:00:00Z,oops,1,1",    # 7: bad end time
            "a,gpt-4o,,,1,1",                            # 8: no timestamp (not listed)
            "a,gpt-4o,2026-11-01T02:00:00Z,,,1",         # 9: no prompt tokens (not listed)
            "a,gpt-4o,2026-11-02T00:00:00Z,2026-11-02T00:00:01Z,10,5"]  # fmt: skip
    t, r = _build(tmp_path, run, rows)
    assert r.code == 0, r.err
    lines = r.err.splitlines()
    assert lines[:5] == [
        f"warning: 7 malformed rows skipped (first: {t}:3: bad timestamp never); "
        "--strict makes this an error",
        f"  {t}:4: bad prompt tokens x",
        f"  {t}:5: no model",
        f"  {t}:6: bad output tokens 1.5",
        f"  {t}:7: bad end time oops",
    ]
    # the 2 usable rows span 11-01 00:00:00 to 11-02 00:00:01 (86,401 s): a month of 30 days
    # is x29.9996.. -> ceil(2 x 2,592,000 / 86,401) = ceil(59.9993) = 60, said so
    assert "note: task 'a': 2 requests over 1.00 days, extrapolated to a month (x30.00) = 60" in (
        lines
    )


def test_unknown_model_listed_with_requests_and_spend(tmp_path: Path, data: Path, run) -> None:  # type: ignore[no-untyped-def]
    t = tmp_path / "t.csv"
    t.write_text(
        "task,model,timestamp,prompt_tokens,output_tokens,spend_usd\n"
        "a,gpt-4o,2026-11-01T00:00:00Z,10,5,0.25\n"
        "a,mystery-1,2026-11-01T01:00:00Z,10,5,0.5\n"
        "a,mystery-1,2026-11-02T01:00:00Z,10,5,0.75\n"
    )
    e = tmp_path / "e.csv"
    e.write_text("task,model,score\na,gpt-4o,1\n")
    r = run("workload", "build", "--traffic", t, "--evals", e, "--prices", data / "prices.yaml",
            "-o", tmp_path / "w.yaml")  # fmt: skip
    assert r.code == 2
    # mystery-1: 2 requests, 0.5 + 0.75 = $1.25 logged
    assert "mystery-1 (2 requests, $1.2500 logged; traffic)" in r.err
    _nothing_written(tmp_path)


def test_bad_eval_rows(tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    t = tmp_path / "t.csv"
    t.write_text(f"{HEAD}\n{OK}\na,gpt-4o,2026-11-02T00:00:00Z,2026-11-02T00:00:01Z,10,5\n")
    e = tmp_path / "e.csv"
    e.write_text(
        "task,model,item,score,input_tokens,output_tokens\n"
        "a,gpt-4o,1,1,10,5\na,gpt-4o,2,1,-10,5\na,gpt-4o,3,2,10,5\n"
    )
    args = ("workload", "build", "--traffic", t, "--evals", e, "-o", tmp_path / "w.yaml")
    r = run(*args)
    assert r.code == 0, r.err
    # line 3: negative input; line 4: score 2 outside 0..1: 2 skipped, the first named
    assert f"warning: 2 malformed eval rows skipped (first: {e}:3: negative token count)" in r.err
    (tmp_path / "w.yaml").unlink()
    (tmp_path / "w.empirical.json").unlink()
    r = run(*args, "--strict")
    assert r.code == 2
    assert r.err == f"error: {e}:3: malformed eval row: negative token count (2 malformed in all)\n"


def test_usage_report_not_grouped_by_model(tmp_path: Path, run) -> None:  # type: ignore[no-untyped-def]
    u = tmp_path / "t.csv"  # named t.csv for _nothing_written; detected by content
    u.write_text(
        '{"object": "page", "data": [{"object": "bucket", "start_time": 1793577600, '
        '"end_time": 1793664000, "results": [{"object": "organization.usage.completions.result", '
        '"input_tokens": 1000, "output_tokens": 100, "num_model_requests": 5, "model": null}]}]}\n'
    )
    (tmp_path / "e.csv").write_text("task,model,score\na,gpt-4o,1\n")
    r = run("workload", "build", "--traffic", u, "--evals", tmp_path / "e.csv",
            "-o", tmp_path / "w.yaml")  # fmt: skip
    assert r.code == 2
    assert r.err == (
        f"error: {u}: no usable traffic records (1 malformed rows, first: {u}:1: the usage "
        "report is not grouped by model (request it with group_by model); no model)\n"
    )
    _nothing_written(tmp_path)
