"""Bad traffic: one located error each, or counted malformed rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from costplan.errors import InputError
from costplan.ingest.sql import connect
from costplan.ingest.summarize import summarize
from costplan.ingest.traffic import read_traffic

HEAD = "task,model,timestamp,end_time,prompt_tokens,output_tokens\n"


def _run(tmp_path: Path, body: str, **kw: object) -> object:
    f = tmp_path / "t.csv"
    f.write_text(HEAD + body)
    con = connect()
    return summarize(con, [read_traffic(con, f)], **kw)  # type: ignore[arg-type]


OK = "a,m,2026-11-01T00:00:00Z,2026-11-01T00:00:01Z,10,5\n"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("a,m,2026-11-01T01:00:00Z,2026-11-01T01:00:01Z,-4,5\n", r"t.csv:3: negative token count"),
        (
            "a,m,2026-11-01T01:00:00Z,2026-11-01T01:00:01Z,100000001,5\n",
            r"t.csv:3: absurd token count",
        ),
        (
            "a,m,2026-11-01T01:00:00Z,2026-11-01T00:59:00Z,10,5\n",
            r"t.csv:3: clock skew: ends before it starts",
        ),
        (
            "a,m,2026-11-01 01:00:00,2026-11-01 01:00:01,10,5\n",
            r"t.csv:3: mixed time zones: this timestamp has no zone, .*t.csv:2 has one",
        ),
    ],
)
def test_refused(tmp_path: Path, row: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        _run(tmp_path, OK + row)


def test_malformed_counted_then_strict(tmp_path: Path) -> None:
    body = OK + "a,m,yesterday,,10,5\na,,2026-11-01T02:00:00Z,,10,5\n" + OK
    s = _run(tmp_path, body)
    assert s.malformed == 2  # type: ignore[attr-defined]
    lines = [m.line for m in s.malformed_first]  # type: ignore[attr-defined]
    assert lines == [3, 4]
    with pytest.raises(InputError, match=r"t.csv:3: malformed row: bad timestamp yesterday"):
        _run(tmp_path, body, strict=True)


def test_empty_group(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text(
        "task,model,timestamp,requests,prompt_tokens,output_tokens\n"
        "a,m,2026-11-01T00:00:00Z,0,0,0\nb,m,2026-11-01T00:00:00Z,3,30,9\n"
    )
    con = connect()
    with pytest.raises(InputError, match=r"t.csv:2: empty group: task 'a' has 0 requests"):
        summarize(con, [read_traffic(con, f)])


def test_nothing_usable(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no usable traffic records"):
        _run(tmp_path, "a,m,never,,1,1\n")


def test_unknown_map_field(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text(HEAD + OK)
    with pytest.raises(InputError, match="--map names an unknown field"):
        read_traffic(connect(), f, mapping={"model": "modle"})
