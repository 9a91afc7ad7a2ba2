"""Generate a large per-query Parquet file for ``costplan assign``, batch by batch.

    python benchmarks/make_parquet.py --n 10000000 --out /tmp/q10m   # queries.parquet, prices.yaml

Same columns as ``benchmarks/run_all.py``'s Parquet copy (id, task, prompt_tokens,
output_tokens, ``q:MODEL`` per model) and the same distributions as
``benchmarks/make_queries.py``, but drawn per batch of 1M (seeded by (seed, batch)), so a
10M file is written without holding it, or its JSONL, in memory. Seeded: the same
arguments give the same file.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from make_queries import MODELS, TASKS, prices_yaml

BATCH = 1_000_000


def batch(start: int, n: int, seed: int, b: int) -> pa.Table:
    rng = np.random.default_rng([seed, b])
    task = rng.integers(0, len(TASKS), size=n)
    difficulty = rng.normal(0, 0.08, size=n) - 0.04 * task
    prompt = np.minimum(rng.lognormal(6.5, 0.8, size=n).astype(np.int64) + 20, 100_000)
    output = np.minimum(rng.lognormal(4.5, 0.9, size=n).astype(np.int64) + 5, 8_000)
    base = np.array([m[4] for m in MODELS])
    quality = np.clip(base[None, :] + difficulty[:, None] + rng.normal(0, 0.05, (n, len(MODELS))),
                      0, 1).round(4)  # fmt: skip
    ids = pa.array(np.char.add("q", np.char.zfill(np.arange(start, start + n).astype(str), 8)))
    cols: dict[str, pa.Array] = {
        "id": ids,
        "task": pa.array(np.asarray(TASKS)[task]),
        "prompt_tokens": pa.array(prompt),
        "output_tokens": pa.array(output),
    }
    for k, m in enumerate(MODELS):
        cols[f"q:{m[0]}"] = pa.array(quality[:, k])
    return pa.table(cols)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    a = parser.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "prices.yaml").write_text(prices_yaml())
    writer = None
    for b, start in enumerate(range(0, a.n, BATCH)):
        t = batch(start, min(BATCH, a.n - start), a.seed, b)
        writer = writer or pq.ParquetWriter(a.out / "queries.parquet", t.schema)
        writer.write_table(t)
    if writer:
        writer.close()
    print(f"wrote {a.n:,} queries x {len(MODELS)} models to {a.out}")


if __name__ == "__main__":
    main()
