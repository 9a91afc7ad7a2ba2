"""Class-level commands end to end on many tasks x many models, against the solve alone.

    PYTHONPATH=src python benchmarks/class_e2e.py [--tasks 50] [--models 250] [--points 10]
        [--no-frontier]

A seeded workload (``tasks`` tasks with fixed prompt and output tokens, a quality per task
and model rising with price plus noise, a binding budget) and a sheet of ``models`` models
over 7 providers are written to a temporary folder. Measured in the same run:

* the reference: one exact class-level ``max_quality`` solve of the same option table
  in-process (``costplan.optimize.solve_table``: the solver alone, no checker, no report);
* ``costplan estimate``, ``costplan optimize -q`` and ``costplan frontier --points N`` as
  child processes: wall time (with Python start-up) and peak RSS of that child (its own
  rusage from ``os.wait4``).

Ratios are to the reference. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def write_inputs(folder: Path, n_task: int, n_model: int, seed: int = 1) -> Path:
    rng = random.Random(seed)
    prices = ["currency: USD", "as_of: 2026-01-01", "models:"]
    # Input prices 0.05 x 1.02^(i x step) USD/Mtok: up to 250 models step 1 (0.05 to ~7), a
    # larger sheet spreads over the same range instead of growing past any real price.
    step = 250 / max(n_model, 250)
    for i in range(n_model):
        a = round(0.05 * (1.02 ** (i * step)) * rng.uniform(0.8, 1.2), 4)
        prices.append(
            f"  m{i}: {{provider: p{i % 7}, input_usd_per_mtok: {a}, "
            f"output_usd_per_mtok: {round(a * 4, 4)}, tokenizer: o200k_base}}"
        )
    (folder / "prices.yaml").write_text("\n".join(prices) + "\n")
    w = ["name: big", "period: month", "objective: max_quality", "prices: prices.yaml",
         f"budget_usd: {n_task * 500}", "tasks:"]  # fmt: skip
    for t in range(n_task):
        w.append(
            f"  - {{name: t{t}, volume: {rng.randint(1000, 200000)}, prompt: {{tokens: "
            f"{rng.randint(100, 5000)}}}, output_tokens: {rng.randint(20, 1000)}}}"
        )
    w.append("quality:")
    for t in range(n_task):
        w.append(f"  t{t}:")
        for i in range(n_model):
            q = min(0.99, 0.4 + 0.5 * i / n_model + rng.uniform(-0.05, 0.05))
            w.append(f"    m{i}: {q:.4f}")
    path = folder / "workload.yaml"
    path.write_text("\n".join(w) + "\n")
    return path


def reference_solve(workload: Path) -> float:
    from costplan.api import load_inputs
    from costplan.optimize import solve_table

    table = load_inputs(workload)
    t0 = time.perf_counter()
    budget = table.workload.budget_usd
    assert budget is not None
    solve_table(table, objective="max_quality", budget_pusd=int(budget * 10**12))
    return time.perf_counter() - t0


def child(args: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one child, from its own rusage (``wait4``)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "costplan", *args],
                            stdout=subprocess.DEVNULL)  # fmt: skip
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"costplan {args[0]} exited {proc.returncode}")
    return wall, usage.ru_maxrss


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=50)
    ap.add_argument("--models", type=int, default=250)
    ap.add_argument("--points", type=int, default=10)
    ap.add_argument("--no-frontier", action="store_true", help="skip frontier (large sheets)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        w = write_inputs(Path(d), a.tasks, a.models)
        ref = reference_solve(w)
        rows = [("solve alone (reference, in-process)", ref, None)]
        for label, args in (
            ("estimate", ["estimate", str(w)]),
            ("optimize -q", ["optimize", str(w), "-q"]),
            (f"frontier --points {a.points}", ["frontier", str(w), "--points", str(a.points)]),
        ):
            if a.no_frontier and args[0] == "frontier":
                continue
            wall, rss = child(args)
            rows.append((label, wall, rss))
    print(f"{a.tasks} tasks x {a.models} models; load average {os.getloadavg()[0]:.1f}\n")
    print("| command | s | vs solve alone | peak RSS |\n| --- | ---: | ---: | ---: |")
    for label, s, rss in rows:
        mem = "-" if rss is None else f"{rss / 1024:.0f} MiB"
        print(f"| {label} | {s:.2f} | {s / ref:.1f}x | {mem} |")


if __name__ == "__main__":
    main()
