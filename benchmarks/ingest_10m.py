"""Benchmark: 10 million traffic rows in Parquet -> a workload (``costplan workload build``).

Generates the data in this script (DuckDB, seeded), then measures in the same run:

* reference: DuckDB's own ``SELECT count(*), sum(...)`` over the same file (the floor any
  reader of that file pays);
* ``costplan workload build`` in a subprocess (wall time and peak RSS of the child).

Run: ``python benchmarks/ingest_10m.py [ROWS]``; figures go in benchmarks/README.md as ratios.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000_000
TASKS, MODELS = 10, ("gpt-4o", "gpt-4o-mini", "o4-mini")
PRICES = Path(__file__).resolve().parents[1] / "tests" / "data" / "ingest" / "prices.yaml"


def generate(path: Path) -> None:
    import duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    models = "['" + "', '".join(MODELS) + "']"
    con.execute(
        f"""
        COPY (
          SELECT 'task-' || (hash(i, 1) % {TASKS}) AS task,
                 {models}[1 + (hash(i, 2) % {len(MODELS)})::INT] AS model,
                 TIMESTAMPTZ '2026-11-01 00:00:00+00'
                   + to_microseconds(i * {30 * 86_400_000_000 // ROWS}) AS timestamp,
                 (200 + hash(i, 3) % 3000)::BIGINT AS prompt_tokens,
                 (hash(i, 4) % 200)::BIGINT AS cached_tokens,
                 (20 + hash(i, 5) % 800)::BIGINT AS output_tokens,
                 (hash(i, 6) % 3)::BIGINT * 300 AS reasoning_tokens,
                 (hash(i, 7) % 10000) / 1e7 AS spend_usd,
                 (100 + hash(i, 8) % 5000)::DOUBLE AS latency_ms
          FROM range({ROWS}) t(i)
        ) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)
        """
    )


def reference(path: Path) -> float:
    import duckdb

    con = duckdb.connect()
    t = time.perf_counter()
    con.execute(
        f"SELECT count(*), sum(prompt_tokens), sum(cached_tokens), sum(output_tokens), "
        f"sum(reasoning_tokens), sum(spend_usd) FROM read_parquet('{path}')"
    ).fetchall()
    return time.perf_counter() - t


def build(path: Path, evals: Path, out: Path) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    args = [sys.executable, "-m", "costplan", "workload", "build", "--traffic", str(path)]
    args += ["--evals", str(evals), "--prices", str(PRICES), "-o", str(out)]
    t = time.perf_counter()
    subprocess.run(args, check=True, env=env, capture_output=True)
    wall = time.perf_counter() - t
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, peak_kib / 1024


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        data, evals, out = d / "traffic.parquet", d / "evals.csv", d / "w.yaml"
        t = time.perf_counter()
        generate(data)
        gen = time.perf_counter() - t
        rows = [f"task-{k},{m},0.{5 + j}\n" for k in range(TASKS) for j, m in enumerate(MODELS)]
        evals.write_text("task,model,score\n" + "".join(rows))
        ref = reference(data)
        wall, peak = build(data, evals, out)
        ref2 = reference(data)  # again after, to see the machine's drift within the run
        size = data.stat().st_size / 2**20
        print(f"rows: {ROWS:,}; parquet {size:.0f} MiB; generated in {gen:.1f} s")
        print(f"reference (DuckDB count + sums): {ref:.2f} s before, {ref2:.2f} s after")
        print(f"workload build (subprocess, incl. Python start): {wall:.2f} s")
        print(f"peak RSS of the build: {peak:.0f} MiB")
        print(f"ratio build / reference (mean of both): {wall / ((ref + ref2) / 2):.1f}")
        print(f"cores: {os.cpu_count()}; load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
