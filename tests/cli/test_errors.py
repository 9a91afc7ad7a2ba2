"""Every error is one line: control characters from the input never split it."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import Runner


def test_cli_error_naming_a_key_with_a_newline_is_one_line(run: Runner, tmp_path: Path) -> None:
    # A YAML key with an escaped newline in it: unknown, so the message names it twice
    # (the key path and the value); both stay on the one line. (This split the message
    # over two lines, which the fuzz test found on a fresh machine.)
    (tmp_path / "prices.yaml").write_text(
        "currency: USD\nmodels:\n  m:\n    provider: openai\n"
        "    input_usd_per_mtok: 1\n    output_usd_per_mtok: 2\n"
    )
    (tmp_path / "workload.yaml").write_text(
        "name: x\nbudget_usd: 10\nprices: prices.yaml\ntasks:\n"
        "  - name: t\n    volume: 10\n    prompt: {tokens: 10}\n    output_tokens: 1\n"
        '    "vol\\nume": 3\nquality:\n  t: {m: 0.5}\n'
    )
    r = run("optimize", tmp_path / "workload.yaml")
    assert r.code == 2
    assert r.err.count("\n") == 1
    assert r.err == (
        f"error: {tmp_path / 'workload.yaml'}:9: tasks[0].vol\\nume: unknown key "
        "(got 'vol\\nume'); did you mean 'volume'?\n"
    )


def test_cli_error_with_a_terminal_escape_in_a_task_name_is_escaped(
    run: Runner, tmp_path: Path
) -> None:
    # An OSC sequence (sets an xterm's title) and a line separator in a task name.
    (tmp_path / "prices.yaml").write_text(
        "currency: USD\nmodels:\n  m:\n    provider: openai\n"
        "    input_usd_per_mtok: 1\n    output_usd_per_mtok: 2\n"
    )
    name = "t\\e]0;title\\a\\u2028x"
    (tmp_path / "workload.yaml").write_text(
        "name: x\nbudget_usd: 10\nprices: prices.yaml\ntasks:\n"
        f'  - name: "{name}"\n    volume: 10\n    prompt: {{tokens: 10}}\n'
        "    output_tokens: 1\n    min_quality: 0.9\n"
        f'quality:\n  "{name}": {{m: 0.5}}\n'
    )
    r = run("optimize", tmp_path / "workload.yaml")
    assert r.code == 1, r.err
    assert r.err.count("\n") == 1
    assert "\x1b" not in r.err
    assert "\u2028" not in r.err
    assert "task 't\\x1b]0;title\\x07\\u2028x' needs min_quality 0.9 but" in r.err
