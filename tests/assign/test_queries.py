"""Query files for `costplan assign`: JSONL and CSV, with located errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from costplan.errors import InputError
from costplan.queries import load_queries


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text)
    return p


def test_jsonl_with_tokens(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "q.jsonl",
        '{"id": "a", "task": "t", "prompt_tokens": 10, "output_tokens": 5, '
        '"quality": {"m1": 0.5, "m2": 1}}\n'
        "\n"
        '{"id": "b", "prompt_tokens": 20, "cached_tokens": 3, "quality": {"m2": 0}}\n',
    )
    qs = load_queries(p, default_output_tokens=7)
    assert qs.ids == ("a", "b")
    assert qs.tasks == ("t", "")
    assert qs.models == ("m1", "m2")
    assert qs.quality_micro.tolist() == [[500_000, 1_000_000], [-1, 0]]
    assert qs.prompt_tokens is not None
    assert qs.prompt_tokens.tolist() == [10, 20]
    assert qs.cached_tokens.tolist() == [0, 3]
    assert qs.output_tokens.tolist() == [5, 7]
    assert qs.texts is None


def test_csv_with_text(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "q.csv",
        'id,task,text,output_tokens,q:m1,q:m2\na,t,"Hello, world",5,0.9,\nb,t,Bye,6,0.1,0.2\n',
    )
    qs = load_queries(p)
    assert qs.texts == ("Hello, world", "Bye")
    assert np.array_equal(qs.quality_micro, np.array([[900_000, -1], [100_000, 200_000]]))


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        (
            "q.jsonl",
            '{"id": "a", "quality": {"m": 0.5}}\nnot json\n',
            "q.jsonl:1: prompt_tokens: 'prompt_tokens' is required",
        ),
        (
            "q.jsonl",
            '{"id": "a", "prompt_tokens": 1, "quality": {"m": 0.5}}\n{oops\n',
            "q.jsonl:2: not valid JSON",
        ),
        (
            "q.jsonl",
            '{"id": "a", "prompt_tokens": 1, "quality": {"m": 1.5}}\n',
            "q.jsonl:1: quality.m: quality must be between 0 and 1 (got 1.5)",
        ),
        (
            "q.jsonl",
            '{"id": "a", "prompt_tokens": -1, "quality": {"m": 0.5}}\n',
            "prompt_tokens: token count must be between 0 and 100,000,000 (got -1)",
        ),
        (
            "q.jsonl",
            '{"id": "a", "prompt_tokens": 1, "quality": {"m": 0.5}}\n'
            '{"id": "a", "prompt_tokens": 1, "quality": {"m": 0.5}}\n',
            "q.jsonl:2: id: duplicate id (first on line 1) (got 'a')",
        ),
        (
            "q.jsonl",
            '{"id": "a", "prompt_tokens": 1, "qualty": {"m": 0.5}}\n',
            "q.jsonl:1: unknown key (got 'qualty')",
        ),
        (
            "q.jsonl",
            '{"id": "a", "prompt_tokens": 1, "quality": {}}\n',
            "a query needs a quality for at least one model",
        ),
        (
            "q.jsonl",
            '{"id": "a", "prompt_tokens": 1, "quality": {"m": "NaN"}}\n',
            "quality must be between 0 and 1",
        ),
        ("q.jsonl", "\n\n", "query file has no queries"),
        ("q.csv", "id,prompt_tokens\na,1\n", "the header needs at least one q:<model>"),
        ("q.csv", "id,prompt_tokens,colour,q:m\na,1,red,0.5\n", "q.csv:1: unknown column"),
        ("q.csv", "id,prompt_tokens,q:m\na,1\n", "q.csv:2: expected 3 columns, found 2"),
        ("q.txt", "x", "query file must end in .jsonl, .csv, .parquet or .arrow"),
        ("q.jsonl", b"\xff\xfe{}", "not valid UTF-8 (byte offset 0)"),
        ("q.jsonl", b'{"id": "\x00"}', "query file is binary"),
    ],
)
def test_bad_query_files(tmp_path: Path, name: str, content: str | bytes, fragment: str) -> None:
    with pytest.raises(InputError) as err:
        load_queries(write(tmp_path, name, content), default_output_tokens=1)
    assert fragment in str(err.value)


def test_output_tokens_required_without_default(tmp_path: Path) -> None:
    p = write(tmp_path, "q.jsonl", '{"id": "a", "prompt_tokens": 1, "quality": {"m": 1}}\n')
    with pytest.raises(InputError, match=r"q\.jsonl:1: output_tokens: 'output_tokens' is required"):
        load_queries(p)
