"""``assign --engine dask`` on a real two-worker LocalCluster against the single-process path.

Oracle: the single-process engine (``--engine single``, the default) on the same data: once
on the same shard directory (the files must be byte-identical: same ids, costs, plan, inputs)
and once on one Parquet file holding the shards' rows concatenated by pyarrow here (the
assignments file byte-identical; the plan identical but for the workload name and the input
digest, which name a different file). ``costplan verify`` re-derives the dask plan from the
raw shards with its own DuckDB reader.
"""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.cli.conftest import Runner

PRICES = """currency: USD
as_of: 2026-11-01
source: test
models:
  m-a: {provider: p1, input_usd_per_mtok: 0.15, output_usd_per_mtok: 0.6}
  m-b: {provider: p1, input_usd_per_mtok: 0.8, output_usd_per_mtok: 3.2}
  m-c: {provider: p2, input_usd_per_mtok: 3, output_usd_per_mtok: 15}
  m-d: {provider: p3, input_usd_per_mtok: 1.1, output_usd_per_mtok: 4.4, context_window: 3000}
"""
MODELS = ("m-a", "m-b", "m-c", "m-d")
SHARD_ROWS = (2600, 2400, 2500, 2500)  # 10,000 queries in 4 shards


def _rows(rng: random.Random, start: int, n: int, models: tuple[str, ...]) -> pa.Table:
    cols: dict[str, list[object]] = {"id": [], "task": [], "prompt_tokens": [],
                                     "output_tokens": []}  # fmt: skip
    for m in models:
        cols[f"q:{m}"] = []
    for i in range(start, start + n):
        cols["id"].append(f"q{i:05d}")
        cols["task"].append(rng.choice(("triage", "code", "")))
        cols["prompt_tokens"].append(rng.randint(50, 4000))
        cols["output_tokens"].append(rng.randint(10, 800))
        base = rng.random()
        for m in models:
            k = MODELS.index(m)  # m-a is an option for every query
            q = round(min(1.0, base + 0.1 * k * rng.random()), 3)
            cols[f"q:{m}"].append(None if rng.random() < 0.1 and k else q)
    return pa.table(cols)


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dask")
    (root / "prices.yaml").write_text(PRICES)
    shards = root / "shards"
    shards.mkdir()
    rng = random.Random(15)
    start, tables = 0, []
    for i, n in enumerate(SHARD_ROWS):
        # the shards see the models in different column orders; the set's order is first seen
        order = MODELS[i % 4 :] + MODELS[: i % 4]
        table = _rows(rng, start, n, order)
        pq.write_table(table, shards / f"part-{i:02d}.parquet")
        tables.append(table.select(["id", "task", "prompt_tokens", "output_tokens",
                                    *(f"q:{m}" for m in MODELS)]))  # fmt: skip
        start += n
    pq.write_table(pa.concat_tables(tables), root / "all.parquet")
    return root


CASES = {
    "max_quality": ("--budget", "9"),
    "min_cost": ("--objective", "min_cost", "--min-quality", "0.62"),
}


def _assign(run: Runner, data: Path, queries: Path, tag: str, *args: str) -> tuple[Path, Path]:
    out, plan = data / f"{tag}.csv", data / f"{tag}.yaml"
    r = run("assign", queries, "--prices", data / "prices.yaml", *args, "-o", out,
            "--plan", plan, "-q")  # fmt: skip
    assert r.code == 0, r.err
    return out, plan


@pytest.mark.parametrize("case", sorted(CASES))
def test_dask_files_match_single_process(run: Runner, data: Path, case: str) -> None:
    args = CASES[case]
    d_out, d_plan = _assign(run, data, data / "shards", f"dask-{case}", *args, "--engine", "dask")
    s_out, s_plan = _assign(run, data, data / "shards", f"single-{case}", *args)
    assert d_out.read_bytes() == s_out.read_bytes()
    assert d_plan.read_bytes() == s_plan.read_bytes()
    # the same rows as one file: same assignments; the plan differs only in what names the file
    c_out, c_plan = _assign(run, data, data / "all.parquet", f"cat-{case}", *args)
    assert d_out.read_bytes() == c_out.read_bytes()
    assert len(d_out.read_text().splitlines()) == sum(SHARD_ROWS) + 1
    d_text, c_text = d_plan.read_text(), c_plan.read_text()
    assert "status: optimal" in d_text
    # the instances exercise what they should: a binding budget closed by the exact core
    # (fill and DP on the driver); a min_cost floor proven by the Lagrangian bound
    assert f"proof: {'core' if case == 'max_quality' else 'lagrangian'}" in d_text
    digest = lambda t: [ln for ln in t.splitlines() if "shards" in ln or "all.parquet" in ln]  # noqa: E731
    assert len(digest(d_text)) == len(digest(c_text)) >= 1
    for a, b in zip(digest(d_text), digest(c_text), strict=True):
        d_text = d_text.replace(a, b, 1)
    assert d_text == c_text
    # the independent checker re-derives the plan from the raw shards (DuckDB)
    r = run("verify", d_plan, "--queries", data / "shards", "--assignments", d_out,
            "--prices", data / "prices.yaml")  # fmt: skip
    assert r.code == 0, r.out + r.err
    assert "verified:" in r.out
    glob_out, _ = _assign(run, data, data / "shards" / "part-*.parquet", f"glob-{case}", *args,
                          "--engine", "dask")  # fmt: skip
    assert glob_out.read_bytes() == d_out.read_bytes()


def test_malformed_shard_row_is_located(run: Runner, data: Path, tmp_path: Path) -> None:
    shards = tmp_path / "shards"
    shards.mkdir()
    rng = random.Random(3)
    pq.write_table(_rows(rng, 0, 50, MODELS), shards / "a.parquet")
    bad = _rows(rng, 50, 50, MODELS).to_pydict()
    bad["q:m-b"][6] = 1.5
    pq.write_table(pa.table(bad), shards / "b.parquet")
    out = tmp_path / "rows.csv"
    r = run("assign", shards, "--prices", data / "prices.yaml", "--budget", "1", "--engine",
            "dask", "-o", out)  # fmt: skip
    assert r.code == 2
    assert "b.parquet: row 7: q:m-b: quality must be between 0 and 1 (got 1.5)" in r.err
    assert len(r.err.strip().splitlines()) == 1
    assert "Traceback" not in r.err
    assert not out.exists()


def test_side_constraints_refused(run: Runner, data: Path) -> None:
    r = run("assign", data / "shards", "--prices", data / "prices.yaml", "--budget", "1",
            "--engine", "dask", "--capacity", "m-a=10")  # fmt: skip
    assert r.code == 2
    assert "--engine dask does not support --capacity; it supports" in r.err
    assert len(r.err.strip().splitlines()) == 1


def test_existing_cluster_and_ids_repeated_across_shards(
    run: Runner, data: Path, tmp_path: Path
) -> None:
    from dask.distributed import LocalCluster

    shards = tmp_path / "shards"
    shards.mkdir()
    rng = random.Random(4)
    pq.write_table(_rows(rng, 0, 40, MODELS), shards / "a.parquet")
    pq.write_table(_rows(rng, 30, 40, MODELS), shards / "b.parquet")  # q00030.. again
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:  # fmt: skip
        r = run("assign", shards, "--prices", data / "prices.yaml", "--budget", "1",
                "--engine", "dask", "--scheduler", cluster.scheduler_address)  # fmt: skip
    assert r.code == 2
    assert "b.parquet: id: duplicate id (also in shard a.parquet) (got 'q00030')" in r.err
    r = run("assign", shards, "--prices", data / "prices.yaml", "--budget", "1")
    assert r.code == 2
    assert "duplicate id" in r.err
    r = run("assign", shards, "--prices", data / "prices.yaml", "--budget", "1", "--scheduler",
            "tcp://127.0.0.1:1")  # fmt: skip
    assert r.code == 2
    assert "--scheduler needs --engine dask" in r.err


def test_text_and_token_shards_not_mixed(run: Runner, data: Path, tmp_path: Path) -> None:
    shards = tmp_path / "shards"
    shards.mkdir()
    pq.write_table(_rows(random.Random(5), 0, 20, MODELS), shards / "a.parquet")
    pq.write_table(pa.table({"id": ["t1"], "text": ["hello"], "output_tokens": [5],
                             "q:m-a": [0.5]}),
                   shards / "b.parquet")  # fmt: skip
    r = run("assign", shards, "--prices", data / "prices.yaml", "--budget", "1")
    assert r.code == 2
    assert "b.parquet: every shard needs 'text', or every shard 'prompt_tokens'" in r.err


def test_text_shards_tokenised_on_workers(run: Runner, tmp_path: Path) -> None:
    """Texts are tokenised on the workers, batch mode priced there: still the same files."""
    shards = tmp_path / "shards"
    shards.mkdir()
    rng = random.Random(6)
    words = ("invoice", "refund", "hello", "error", "código", "データ")
    for s in range(2):
        ids = [f"t{s}_{i}" for i in range(150)]
        pq.write_table(pa.table({
            "id": ids,
            "text": [" ".join(rng.choice(words) for _ in range(rng.randint(3, 60))) for _ in ids],
            "output_tokens": [rng.randint(5, 300) for _ in ids],
            "q:small": [round(rng.random(), 2) for _ in ids],
            "q:big": [round(rng.random(), 2) for _ in ids],
        }), shards / f"p{s}.parquet")  # fmt: skip
    prices = Path(__file__).parent.parent / "data" / "basic" / "prices.yaml"
    files = {}
    for engine in ("single", "dask"):
        out, plan = tmp_path / f"{engine}.csv", tmp_path / f"{engine}.yaml"
        r = run("assign", shards, "--prices", prices, "--budget", "0.03", "--batch", "--engine",
                engine, "-o", out, "--plan", plan, "-q")  # fmt: skip
        assert r.code == 0, r.err
        files[engine] = (out.read_bytes(), plan.read_bytes())
    assert files["dask"] == files["single"]
    assert b",batch," in files["dask"][0]
    assert b",standard," in files["dask"][0]
    r = run("verify", tmp_path / "dask.yaml", "--queries", shards, "--assignments",
            tmp_path / "dask.csv", "--prices", prices)  # fmt: skip
    assert r.code == 0, r.out + r.err


MORE = {  # more instances: dask against single on the same shards, and the checker
    "non_binding": (("--budget", "1000"), "lagrangian", "prices: {}"),  # above the best plan
    "min_cost_core": (("--objective", "min_cost", "--min-quality", "0.55"), "core", "quality:"),
}


@pytest.mark.parametrize("case", sorted(MORE))
def test_dask_matches_single_on_more_instances(run: Runner, data: Path, case: str) -> None:
    args, proof, price = MORE[case]
    d_out, d_plan = _assign(run, data, data / "shards", f"dask-{case}", *args, "--engine", "dask")
    s_out, s_plan = _assign(run, data, data / "shards", f"single-{case}", *args)
    assert d_out.read_bytes() == s_out.read_bytes()
    assert d_plan.read_bytes() == s_plan.read_bytes()
    text = d_plan.read_text()
    assert f"proof: {proof}" in text
    assert price in text
    r = run("verify", d_plan, "--queries", data / "shards", "--assignments", d_out,
            "--prices", data / "prices.yaml")  # fmt: skip
    assert r.code == 0, r.out + r.err


@pytest.mark.parametrize("args", [("--budget", "0.5"),
                                  ("--objective", "min_cost", "--min-quality", "0.7")])  # fmt: skip
def test_infeasible_the_same_refusal(run: Runner, data: Path, args: tuple[str, ...]) -> None:
    """$0.50 is below the cheapest plan ($5.43 by the single engine); a mean floor of 0.7 is
    above the best plan's mean quality: the same one-line refusal from both engines."""
    got = [run("assign", data / "shards", "--prices", data / "prices.yaml", *args, *engine)
           for engine in ((), ("--engine", "dask"))]  # fmt: skip
    assert got[0].code == got[1].code != 0
    assert got[0].err == got[1].err
    assert len(got[1].err.strip().splitlines()) == 1
