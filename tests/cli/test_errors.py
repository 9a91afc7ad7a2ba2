"""Every error is one line: control characters from the input are escaped where the
message is built (``CostplanError.render``), whatever part of the message holds them."""

from __future__ import annotations

from pathlib import Path

import pytest

from costplan.errors import InputError, one_line
from tests.cli.conftest import Runner


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text", "plain text"),
        ("a\nb", "a\\nb"),
        ("t\r", "t\\r"),
        ("\x1b]0;title\x07", "\\x1b]0;title\\x07"),  # sets an xterm's title if printed raw
        ("p\u2028q", "p\\u2028q"),  # str.splitlines() splits here
        ("x\x85y", "x\\x85y"),
        ("tab\there", "tab\\there"),
        ("ü 名前", "ü 名前"),
    ],
)
def test_one_line_escapes_what_a_terminal_would_act_on(raw: str, shown: str) -> None:
    assert one_line(raw) == shown


def test_every_part_of_a_message_is_escaped() -> None:
    err = InputError(
        "unknown model 'a\nb'",
        file="dir\n/work\x1bload.yaml",
        line=3,
        key=("quality", "t\u2028", "a\nb"),
        value="v\n",
        hint="try 'c\rd'",
    )
    text = str(err)
    assert text == (
        "dir\\n/work\\x1bload.yaml:3: quality.t\\u2028.a\\nb: unknown model 'a\\nb' "
        "(got 'v\\n'); try 'c\\rd'"
    )
    assert len(text.splitlines()) == 1


def test_cli_error_naming_a_key_with_a_newline_is_one_line(run: Runner, tmp_path: Path) -> None:
    # A YAML key with an escaped newline in it: unknown, so the message names it twice
    # (the key path and the value); both stay on the one line.
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
    assert r.err.endswith("\n")
    assert r.err.count("\n") == 1
    assert r.err == (
        f"error: {tmp_path / 'workload.yaml'}:9: tasks[0].vol\\nume: unknown key "
        "(got 'vol\\nume'); did you mean 'volume'?\n"
    )
