"""The streamed pyarrow readers against the exact per-value reader (independent of pyarrow).

Oracle: :class:`costplan.querydata.rows.Rows` fed the whole file line by line with
Python's json/csv modules, Decimal per value. Every file is read with pieces of a
few hundred bytes too, so records and errors cross piece boundaries.
"""

from __future__ import annotations

import io
import json
import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from costplan.errors import InputError
from costplan.queries import load_queries
from costplan.querydata import chunks
from costplan.querydata.rows import Rows, csv_rows, jsonl_rows

SEED = 20261202


def exact(path: Path, default: int | None) -> dict[str, object]:
    rows = Rows(path, default, None)
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".csv":
        csv_rows(io.StringIO(text, newline="\n"), rows)
    else:
        jsonl_rows(enumerate(text.split("\n"), start=1), rows)
    part = rows.part()
    return {"ids": part.ids.to_pylist(), "tasks": part.tasks.to_pylist(),
            "models": part.models, "quality": part.quality.tolist(),
            "cached": part.cached.tolist(), "output": part.output.tolist(),
            "prompt": None if part.prompt is None else part.prompt.tolist()}  # fmt: skip


def fast(path: Path, default: int | None) -> dict[str, object]:
    qs = load_queries(path, default_output_tokens=default)
    return {"ids": list(qs.ids), "tasks": list(qs.tasks), "models": qs.models,
            "quality": qs.quality_micro.tolist(), "cached": qs.cached_tokens.tolist(),
            "output": qs.output_tokens.tolist(),
            "prompt": None if qs.prompt_tokens is None else qs.prompt_tokens.tolist()}  # fmt: skip


def quality_text(rng: random.Random) -> str:
    fixed = ["0", "1", "0.5", "0.29", "0.7999995", "0.123456789012345", "1.0"]
    return rng.choice([*fixed, f"{rng.random():.4f}", f"{rng.random():.9f}", repr(rng.random())])


def random_jsonl(rng: random.Random, n: int) -> str:
    models = [f"m{k}" for k in range(rng.randint(1, 6))]
    out = []
    for g in range(n):
        keys = rng.sample(models, rng.randint(1, len(models)))
        q = ", ".join(f'"{m}": {quality_text(rng)}' for m in keys)
        extra = f', "cached_tokens": {rng.randint(0, 9)}' if rng.random() < 0.5 else ""
        extra += f', "output_tokens": {rng.randint(0, 9)}' if rng.random() < 0.5 else ""
        task = f', "task": "t{rng.randint(0, 3)}"' if rng.random() < 0.8 else ""
        out.append(f'{{"id": "q{g}"{task}, "prompt_tokens": {rng.randint(0, 10**6)}{extra}, '
                   f'"quality": {{{q}}}}}')  # fmt: skip
        if rng.random() < 0.05:
            out.append("")
    return "\n".join(out) + ("\n" if rng.random() < 0.7 else "")


def random_csv(rng: random.Random, n: int) -> str:
    models = [f"m{k}" for k in range(rng.randint(1, 6))]
    lines = ["id,task,prompt_tokens,output_tokens," + ",".join(f"q:{m}" for m in models)]
    for g in range(n):
        cells = [quality_text(rng) if rng.random() < 0.7 else "" for _ in models]
        if not any(cells):
            cells[0] = "1"
        lines.append(f'q{g},"t,{rng.randint(0, 2)}",{rng.randint(0, 99)},{rng.randint(0, 9)},'
                     + ",".join(cells))  # fmt: skip
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("piece", [chunks.PIECE_BYTES, 300])
def test_random_files_read_as_the_exact_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piece: int
) -> None:
    monkeypatch.setattr(chunks, "PIECE_BYTES", piece)
    rng = random.Random(SEED)
    print("seed", SEED)
    for i in range(40):
        p = tmp_path / f"q{i}.jsonl"
        p.write_text(random_jsonl(rng, rng.randint(1, 60)))
        assert fast(p, 7) == exact(p, 7), p.read_text()
        c = tmp_path / f"q{i}.csv"
        c.write_text(random_csv(rng, rng.randint(1, 60)))
        assert fast(c, 7) == exact(c, 7), c.read_text()


def test_quality_rounding_by_hand(tmp_path: Path) -> None:
    # floor(d x 10**6): 0.29 -> 290000 (its double is below 0.29), 0.7999995 -> 799999,
    # 1e-7 -> 0, 0.000001 -> 1; as CSV text the long value is exact: 0.99999999999999999 -> 999999.
    p = tmp_path / "q.jsonl"
    p.write_text("".join(json.dumps({"id": f"q{i}", "prompt_tokens": 1, "quality": {"m": v}}) + "\n"
                         for i, v in enumerate([0.29, 0.7999995, 1e-7, 0.000001, 1])))  # fmt: skip
    assert load_queries(p, default_output_tokens=1).quality_micro[:, 0].tolist() == [
        290000,
        799999,
        0,
        1,
        1_000_000,
    ]
    c = tmp_path / "q.csv"
    c.write_text("id,prompt_tokens,q:m\na,1,0.99999999999999999\nb,1,0.2900000\n")
    assert load_queries(c, default_output_tokens=1).quality_micro[:, 0].tolist() == [999999, 290000]


def test_errors_located_across_pieces(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunks, "PIECE_BYTES", 256)
    good = '{"id": "q%d", "prompt_tokens": 1, "quality": {"m": 0.5}}\n'
    p = tmp_path / "q.jsonl"
    p.write_text("".join(good % i for i in range(40)) + good % 3)
    with pytest.raises(InputError, match=r"q\.jsonl:41: id: duplicate id \(first on line 4\)"):
        load_queries(p, default_output_tokens=1)
    p.write_text("".join(good % i for i in range(40)) + '{"id": "x", "quality": {"m": NaN}}\n')
    with pytest.raises(InputError, match=r"q\.jsonl:41: NaN and Infinity are not numbers"):
        load_queries(p, default_output_tokens=1)
    p.write_text("".join(good % i for i in range(30)) + '{"id": "y", "text": "hi", '
                 '"quality": {"m": 1}}\n')  # fmt: skip
    with pytest.raises(InputError, match=r"q\.jsonl:31: every query needs 'text'"):
        load_queries(p, default_output_tokens=1)


def test_hostile_nesting_is_refused_not_a_crash(tmp_path: Path) -> None:
    p = tmp_path / "q.jsonl"
    p.write_text('{"id": "a", "prompt_tokens": 1, "quality": {"m": 1}}\n'
                 '{"id": "b", "x": ' + "[" * 200_000 + "]" * 200_000 + "}\n")  # fmt: skip
    with pytest.raises(
        InputError, match=r"q\.jsonl:2: (the JSON is nested too deeply|unknown key)"
    ):
        load_queries(p, default_output_tokens=1)


def test_explicit_nulls_keep_the_model_order(tmp_path: Path) -> None:
    p = tmp_path / "q.jsonl"
    p.write_text('{"id": "a", "prompt_tokens": 1, "quality": {"c": null, "a": 0.1}}\n'
                 '{"id": "b", "prompt_tokens": 1, "quality": {"b": 0.2, "c": 0.3}}\n')  # fmt: skip
    qs = load_queries(p, default_output_tokens=1)
    assert qs.models == ("a", "b", "c")  # first appearance with a value, as the exact reader


def test_parquet_and_arrow(tmp_path: Path) -> None:
    table = pa.table({"id": ["a", "b"], "task": ["t", None], "prompt_tokens": [10, 20],
                      "output_tokens": pa.array([5, None], pa.int32()),
                      "q:m1": [0.5, None], "q:m2": pa.array(["1", "0.25"])})  # fmt: skip
    pq.write_table(table, tmp_path / "q.parquet")
    with (
        pa.OSFile(str(tmp_path / "q.arrow"), "wb") as sink,
        pa.ipc.new_file(sink, table.schema) as w,
    ):
        w.write_table(table)
    for name in ("q.parquet", "q.arrow"):
        qs = load_queries(tmp_path / name, default_output_tokens=7)
        assert qs.ids == ("a", "b")
        assert qs.tasks == ("t", "")
        assert qs.models == ("m1", "m2")
        assert qs.quality_micro.tolist() == [[500_000, 1_000_000], [-1, 250_000]]
        assert qs.output_tokens.tolist() == [5, 7]
    bad = table.set_column(4, "q:m1", pa.array([1.5, None]))
    pq.write_table(bad, tmp_path / "bad.parquet")
    with pytest.raises(
        InputError, match=r"bad\.parquet: row 1: q:m1: quality must be between 0 and 1"
    ):
        load_queries(tmp_path / "bad.parquet", default_output_tokens=7)
    dup = table.set_column(0, "id", pa.array(["a", "a"]))
    pq.write_table(dup, tmp_path / "dup.parquet")
    with pytest.raises(InputError, match="duplicate id"):
        load_queries(tmp_path / "dup.parquet", default_output_tokens=7)


def test_no_size_cap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from costplan import safeio

    monkeypatch.setattr(safeio, "MAX_INPUT_BYTES", 1000)
    p = tmp_path / "q.jsonl"
    line = '{{"id": "q{}", "prompt_tokens": 1, "quality": {{"m": 1}}}}\n'
    p.write_text("".join(line.format(i) for i in range(200)))
    assert p.stat().st_size > 1000
    assert load_queries(p, default_output_tokens=1).size == 200
    assert np.all(load_queries(p, default_output_tokens=1).quality_micro == 1_000_000)
