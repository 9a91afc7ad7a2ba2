"""``assign --engine dask`` (LocalCluster, 2 workers x 1 thread) against ``--engine single``.

    PYTHONPATH=src python benchmarks/dask_engine.py --n 1000000 --shards 8 --out /tmp/dq

Writes ``n`` queries x 20 models as Parquet shards (the generator of ``make_queries.py``:
log-normal tokens, quality rising with price; columns ``id, task, prompt_tokens,
output_tokens, q:<model>``), then runs ``costplan assign SHARDS --budget B -q -o rows.csv
--plan plan.yaml`` once per engine as a child process in the same run (reference: single).
Peak RSS: the OS's high-water mark ``VmHWM`` of the driver and of each of its descendant
processes (the Dask workers), read from ``/proc`` every 0.1 s while they run; the files are
compared byte for byte.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).parent))
from make_queries import MODELS, TASKS, prices_yaml


def write_shards(n: int, shards: int, seed: int, out: Path) -> None:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    base = np.array([m[4] for m in MODELS])
    start = 0
    for s in range(shards):
        m = n // shards + (s < n % shards)
        task = rng.integers(0, len(TASKS), size=m)
        difficulty = rng.normal(0, 0.08, size=m) - 0.04 * task
        cols = {
            "id": pa.array([f"q{g:08d}" for g in range(start, start + m)]),
            "task": pa.array(np.asarray(TASKS)[task]),
            "prompt_tokens": np.minimum(rng.lognormal(6.5, 0.8, m).astype(np.int64) + 20, 100_000),
            "output_tokens": np.minimum(rng.lognormal(4.5, 0.9, m).astype(np.int64) + 5, 8_000),
        }
        q = np.clip(base[None, :] + difficulty[:, None] + rng.normal(0, 0.05, (m, len(MODELS))),
                    0, 1).round(4)  # fmt: skip
        for k, model in enumerate(MODELS):
            cols[f"q:{model[0]}"] = q[:, k]
        pq.write_table(pa.table(cols), out / f"part-{s:03d}.parquet")
        start += m


def _hwm(pid: int) -> int:
    """The process's peak RSS so far (``VmHWM``, KiB), 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for t in Path(f"/proc/{pid}/task").iterdir():
            out += [int(c) for c in (t / "children").read_text().split()]
    except OSError:
        pass
    return out + [g for c in out for g in _children(c)]


def run(engine: str, d: Path, budget: str) -> tuple[float, int, int, int]:
    """(wall s, driver peak RSS KiB, largest worker's peak RSS KiB, exit code)."""
    cmd = [sys.executable, "-m", "costplan", "assign", str(d / "shards"), "--prices",
           str(d / "prices.yaml"), "--budget", budget, "-q", "--engine", engine,
           "-o", str(d / f"{engine}.csv"), "--plan", str(d / f"{engine}.yaml")]  # fmt: skip
    t = time.perf_counter()
    p = subprocess.Popen(cmd)
    driver, others = 0, dict[int, int]()
    while p.poll() is None:  # VmHWM is the OS's high-water mark: sampling only misses growth
        driver = max(driver, _hwm(p.pid))  # after the last sample, before exit
        for c in _children(p.pid):
            others[c] = max(others.get(c, 0), _hwm(c))
        time.sleep(0.1)
    wall = time.perf_counter() - t
    return wall, driver, max(others.values(), default=0), p.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--shards", type=int, default=8)
    ap.add_argument("--budget", default=None, help="USD (default: $0.0003 per query)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    d = args.out
    d.mkdir(parents=True, exist_ok=True)
    (d / "prices.yaml").write_text(prices_yaml())
    if not (d / "shards").exists():
        write_shards(args.n, args.shards, 0, d / "shards")
    budget = args.budget or f"{0.0003 * args.n:.2f}"
    print(f"{args.n:,} queries x {len(MODELS)} models, {args.shards} shards, budget ${budget}; "
          f"load {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
    res = {}
    for engine in ("single", "dask"):
        res[engine] = run(engine, d, budget)
        wall, driver, worker, rc = res[engine]
        print(f"{engine}: wall {wall:.1f} s; peak RSS driver {driver / 1024:.0f} MiB, "
              f"largest worker {worker / 1024:.0f} MiB; exit {rc}", flush=True)  # fmt: skip
    same = all((d / f"dask.{x}").read_bytes() == (d / f"single.{x}").read_bytes()
               for x in ("csv", "yaml"))  # fmt: skip
    print(f"dask / single wall: {res['dask'][0] / res['single'][0]:.2f}x; files identical: "
          f"{same}; load {os.getloadavg()[0]:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
