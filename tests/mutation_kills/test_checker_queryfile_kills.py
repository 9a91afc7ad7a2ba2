"""Kill tests for costplan/verify/queryfile.py: the checker's own reader of query files and
per-query rows.

Oracles by hand: qualities in micro-units rounded down from their decimal text (0.7 ->
700,000; 0.1234567 -> 123,456), the shortest decimal of a binary float (0.29 -> 290,000,
though 0.29 x 1e6 is 289999.99999999994 in doubles), sha256 by hashlib on the bytes written
(a shard set: the manifest ``<sha256>  <name>\\n`` per shard, hashed), pico-dollars of USD text
by shifting the decimal point 12 places.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest

from costplan.errors import InputError
from costplan.verify.queryfile import (
    first_codes,
    pusd_of_text,
    quality_micro,
    read_queries,
    read_rows,
)


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_csv_with_empty_cells_means_no_value(tmp_path: Path) -> None:
    """A real bug, fixed with this test: an empty CSV cell (a NULL to DuckDB) came back as the
    masked array's fill value ('?', or 999999 for integers), not None: reading crashed on
    float('?') and a missing output_tokens became 999,999 tokens."""
    p = tmp_path / "q.csv"
    p.write_text("id,task,prompt_tokens,output_tokens,q:a,q:b\n"
                 "q0,t,5,,0.5,\nq1,t,6,3,0.25,0.7\n")  # fmt: skip
    q = read_queries(p)
    assert q.output.tolist() == [0, 3]
    assert q.output_given.tolist() == [False, True]
    assert q.quality.tolist() == [[500_000, -1], [250_000, 700_000]]
    assert q.prompt is not None
    assert q.prompt.tolist() == [5, 6]


def test_jsonl_with_a_missing_output_means_no_value(tmp_path: Path) -> None:
    p = tmp_path / "q.jsonl"
    rows = [{"id": "q0", "prompt_tokens": 5, "quality": {"a": 0.9}},
            {"id": "q1", "prompt_tokens": 7, "output_tokens": 3, "cached_tokens": 2,
             "quality": {"a": 0.29, "b": None}}]  # fmt: skip
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    q = read_queries(p)
    assert q.output.tolist() == [0, 3]
    assert q.output_given.tolist() == [False, True]
    assert q.cached.tolist() == [0, 2]
    assert q.models == ("a", "b")
    assert q.quality.tolist() == [[900_000, -1], [290_000, -1]]
    assert q.ids == ("q0", "q1")
    assert q.tasks == ("", "")
    assert q.texts is None
    assert q.sha256 == _sha(p)
    col = q.column("a")
    assert col is not None
    assert col.tolist() == [900_000, 290_000]
    assert q.column("zz") is None


def test_csv_all_fields(tmp_path: Path) -> None:
    p = tmp_path / "q.CSV"
    p.write_text('id,task,text,cached_tokens,output_tokens,q:a,"q:x""y",q:\n'
                 "1,t0,hello world,0,4,0.1234567,1,0.5\n"
                 "2,t1,bye,3,5,0.99999999999999999999,0,0.5\n")  # fmt: skip
    q = read_queries(p)
    assert q.ids == ("1", "2")
    assert q.tasks == ("t0", "t1")
    assert q.texts == ("hello world", "bye")
    assert q.prompt is None
    assert q.cached.tolist() == [0, 3]
    assert q.output.tolist() == [4, 5]
    assert q.output_given.tolist() == [True, True]
    # "q:" alone is not a quality column; 0.999...9 (20 nines, 22 characters) read exactly
    assert q.models == ("a", 'x"y')
    assert q.quality.tolist() == [[123_456, 1_000_000], [999_999, 0]]


def test_text_qualities_at_17_and_18_characters(tmp_path: Path) -> None:
    # 17 characters: read through the double (0.999999999999999 = 15 nines rounds to itself,
    # floor 999,999); 18+: exactly; 0.9999999999999999999 (19 nines) is 1.0 as a double
    p = tmp_path / "q.csv"
    p.write_text("id,prompt_tokens,q:a,q:b\n"
                 "q0,1,0.999999999999999,0.9999999999999999999\n"
                 "q1,1,0.000000100000000,0.0000001999999999999\n")  # fmt: skip
    q = read_queries(p)
    assert q.quality.tolist() == [[999_999, 999_999], [0, 0]]
    # 0.0000001 x 1e6 = 0.1 -> 0; 0.0000019999999999999 -> 1.9999999999999 -> 1
    p.write_text("id,prompt_tokens,q:a,q:b\nq0,1,0.0000019999999999999,0.000002\n")
    assert read_queries(p).quality.tolist() == [[1, 2]]


def test_float_qualities_shortest_decimal(tmp_path: Path) -> None:
    p = tmp_path / "q.parquet"
    table = pa.table({"id": ["a", "b", "c", "d"], "prompt_tokens": [1, 2, 3, 4],
                      "q:m": pa.array([0.29, 0.57, None, 1.0], pa.float64()),
                      "q:n": pa.array([1, 0, 1, None], pa.int64())})  # fmt: skip
    pq.write_table(table, p)
    q = read_queries(p)
    # 0.29 x 1e6 = 289999.99999999994 and 0.57 x 1e6 = 569999.9999999999 in doubles
    assert q.quality.tolist() == [[290_000, 1_000_000], [570_000, 0], [-1, 1_000_000],
                                  [1_000_000, -1]]  # fmt: skip
    assert q.output_given.tolist() == [False] * 4
    assert q.output.tolist() == [0] * 4
    assert q.sha256 == _sha(p)


def test_quality_struct_and_arrow_files(tmp_path: Path) -> None:
    quality = pa.array([{"m": 0.5, "k": None}, {"m": None, "k": 0.25}],
                       pa.struct([("m", pa.float64()), ("k", pa.float64())]))  # fmt: skip
    out = pa.array([1, None], pa.int64())
    table = pa.table({"id": ["q0", "q1"], "task": ["t", None], "prompt_tokens": [3, 4],
                      "output_tokens": out, "quality": quality})  # fmt: skip
    for name, write in (("q.arrow", "file"), ("q.arrows", "stream")):
        p = tmp_path / name
        with pa.OSFile(str(p), "wb") as fh:
            w = (ipc.new_file if write == "file" else ipc.new_stream)(fh, table.schema)
            w.write_table(table)
            w.close()
        q = read_queries(p)
        assert q.models == ("m", "k")
        assert q.quality.tolist() == [[500_000, -1], [-1, 250_000]]
        assert q.tasks == ("t", "")
        assert q.output.tolist() == [1, 0]
        assert q.output_given.tolist() == [True, False]


def test_shard_sets_in_name_order_with_a_manifest_digest(tmp_path: Path) -> None:
    d = tmp_path / "shards"
    d.mkdir()
    for name, ids in (("b.parquet", ["q2"]), ("a.PQ", ["q0", "q1"])):
        pq.write_table(pa.table({"id": ids, "prompt_tokens": [1] * len(ids),
                                 "q:m": [0.5] * len(ids)}), d / name)  # fmt: skip
    (d / "notes.txt").write_text("not a shard")
    q = read_queries(d)
    assert q.ids == ("q0", "q1", "q2")
    manifest = f"{_sha(d / 'a.PQ')}  a.PQ\n{_sha(d / 'b.parquet')}  b.parquet\n"
    assert q.sha256 == hashlib.sha256(manifest.encode()).hexdigest()
    g = read_queries(d / "*.parquet")
    assert g.ids == ("q2",)
    assert g.sha256 == hashlib.sha256(f"{_sha(d / 'b.parquet')}  b.parquet\n".encode()).hexdigest()
    with pytest.raises(InputError) as info:
        read_queries(d / "*.none")
    assert info.value.message == "no Parquet shards found"
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError) as info:
        read_queries(empty)
    assert info.value.message == "no Parquet shards found"


def test_unreadable_query_files(tmp_path: Path) -> None:
    p = tmp_path / "q.csv"
    p.write_text("id,prompt_tokens,q:a\n")
    with pytest.raises(InputError) as info:
        read_queries(p)
    assert info.value.message == "query file has no queries"
    p.write_text("id,prompt_tokens,q:a\nq0,1.5,0.5\n")
    with pytest.raises(InputError) as info:
        read_queries(p)
    assert info.value.message == "prompt_tokens must be whole numbers"
    p.write_text("id,prompt_tokens,cached_tokens,q:a\nq0,1,x,0.5\n")
    with pytest.raises(InputError) as info:
        read_queries(p)
    assert info.value.message == "cached_tokens must be whole numbers"
    j = tmp_path / "q.ndjson"
    j.write_text('{"id": "q0", "prompt_tokens": 1\n')
    with pytest.raises(InputError) as info:
        read_queries(j)
    assert info.value.message.startswith("query file is not readable (")


def test_quality_micro_and_pusd_of_text() -> None:
    assert quality_micro("0.7") == 700_000
    assert quality_micro("0.1234567") == 123_456  # rounded down
    assert quality_micro("1") == 1_000_000
    assert quality_micro("0.0000009") == 0
    assert pusd_of_text("0") == 0
    assert pusd_of_text(" 1.5 ") == 1_500_000_000_000
    assert pusd_of_text("0.000000000001") == 1
    assert pusd_of_text("12") == 12 * 10**12
    assert pusd_of_text("3.") == 3 * 10**12
    for bad in ("-1", "0.0000000000001", "1e-3", "", ".5", "1.x", "a"):
        with pytest.raises(ValueError, match=f"^{re.escape(bad)}$"):
            pusd_of_text(bad)


def test_first_codes_in_order_of_first_appearance() -> None:
    names, idx = first_codes(("b", "a", "b", "c", "a"))
    assert names == ["b", "a", "c"]
    assert idx.tolist() == [0, 1, 0, 2, 1]
    assert idx.dtype == np.int64


def test_read_rows_csv_and_jsonl(tmp_path: Path) -> None:
    c = tmp_path / "rows.csv"
    c.write_text("id,task,model,mode,cost_usd,quality\nq0,,a,standard,0.000000000040,0.9\n"
                 "q1,t,b,batch,2,0.1234567\n")  # fmt: skip
    r = read_rows(c)
    assert r.ids == ("q0", "q1")
    assert r.tasks == ("", "t")
    assert r.models == ("a", "b")
    assert r.modes == ("standard", "batch")
    assert r.cost_pusd.tolist() == [40, 2 * 10**12]
    assert r.cost_pusd.dtype == np.int64
    assert r.quality_micro.tolist() == [900_000, 123_456]
    j = tmp_path / "rows.JSONL"
    j.write_text('{"id": "q0", "model": "a", "mode": "standard", "cost_usd": "0.5", '
                 '"quality": 0.29}\n\n  \n{"id": 7, "task": "t", "model": "a", '
                 '"mode": "batch", "cost_usd": 1, "quality": "1"}\n')  # fmt: skip
    r = read_rows(j)
    assert r.ids == ("q0", "7")
    assert r.tasks == ("", "t")
    assert r.cost_pusd.tolist() == [5 * 10**11, 10**12]
    assert r.quality_micro.tolist() == [290_000, 1_000_000]  # JSON 0.29 read as its text


def test_read_rows_past_int64(tmp_path: Path) -> None:
    c = tmp_path / "rows.csv"
    # two rows of 2**61 pusd each: not below 2**62 // 2 = 2**61, so exact Python ints
    big = 2**61
    text = f"{big // 10**12}.{big % 10**12:012d}"
    c.write_text(f"id,task,model,mode,cost_usd,quality\nq0,t,a,standard,{text},0.5\n"
                 f"q1,t,a,standard,{text},0.5\n")  # fmt: skip
    r = read_rows(c)
    assert r.cost_pusd.dtype == object
    assert r.cost_pusd.tolist() == [big, big]
    c.write_text(f"id,task,model,mode,cost_usd,quality\nq0,t,a,standard,{text},0.5\n")
    r = read_rows(c)  # one row: 2**61 < 2**62 // 1, int64
    assert r.cost_pusd.dtype == np.int64
    assert r.cost_pusd.tolist() == [big]


def test_read_rows_refusals(tmp_path: Path) -> None:
    c = tmp_path / "rows.csv"
    c.write_text("id,task,model,mode,cost_usd,quality\nq0,t,a,standard,-1,0.5\n")
    with pytest.raises(InputError) as info:
        read_rows(c)
    assert info.value.message.startswith("per-query rows are not readable (ValueError(")
    c.write_text("id,task,model,cost_usd,quality\nq0,t,a,1,0.5\n")
    with pytest.raises(InputError) as info:
        read_rows(c)
    assert info.value.message == "per-query rows are not readable (KeyError('mode'))"
    c.write_text("id,task,model,mode,cost_usd,quality\nq0,t,a,standard,1,x\n")
    with pytest.raises(InputError) as info:
        read_rows(c)
    assert info.value.message.startswith("per-query rows are not readable (InvalidOperation(")
    j = tmp_path / "rows.jsonl"
    j.write_text('{"id": "q0"\n')
    with pytest.raises(InputError) as info:
        read_rows(j)
    assert info.value.message.startswith("malformed JSON lines: ")
    j.write_text("[1]\n")
    with pytest.raises(InputError) as info:
        read_rows(j)
    assert info.value.message == "every line must be a JSON object"


def test_after_the_mutation_run(tmp_path: Path) -> None:
    """Survivors of the first run: errors name their file and what was read, ``.ndjson`` rows,
    JSON numbers read as their text."""
    j = tmp_path / "rows.NDJSON"
    j.write_text('{"id": "q0", "model": "a", "mode": "standard", "cost_usd": 0.000000000001, '
                 '"quality": 0.5}\n')  # fmt: skip
    r = read_rows(j)  # 1e-12 as a float's repr; as its text, exactly 1 pusd
    assert r.cost_pusd.tolist() == [1]
    for body, message in (('{"id": "q0"\n', "malformed JSON lines: "), ("[1]\n", "every line")):
        j.write_text(body)
        with pytest.raises(InputError) as info:
            read_rows(j)
        assert info.value.file == str(j)
        assert info.value.message.startswith(message)
    c = tmp_path / "rows.csv"
    c.write_text("id,task,model,cost_usd,quality\nq0,t,a,1,0.5\n")
    with pytest.raises(InputError) as info:
        read_rows(c)
    assert info.value.file == str(c)
    with pytest.raises(InputError) as info:
        read_rows(tmp_path / "none.csv")
    assert info.value.message == "per-query rows not found"
    c.write_bytes(b"\x00")
    with pytest.raises(InputError) as info:
        read_rows(c)
    assert info.value.message == "per-query rows is binary (contains NUL bytes)"
    with pytest.raises(InputError) as info:
        read_queries(tmp_path / "none" / "*.parquet")
    assert info.value.file == str(tmp_path / "none" / "*.parquet")
    # 18 and 19 characters: 16 and 17 nines, floored to 999,999 micro-units
    q = tmp_path / "q.csv"
    q.write_text("id,prompt_tokens,q:a\nq0,1,0.9999999999999999\nq1,1,0.99999999999999999\n")
    assert read_queries(q).quality.tolist() == [[999_999], [999_999]]
