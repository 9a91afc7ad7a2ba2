"""Benchmark the class-level solver with many tasks: MCKP core vs CP-SAT on the same model.

Usage (from the repository root)::

    .venv/bin/python benchmarks/classlevel.py                  # 100/300/1000 tasks x 20 models
    .venv/bin/python benchmarks/classlevel.py --write-readme   # also rewrite benchmarks/README.md

Instances (seeded, LLM-like): 20 models with list-price-like input/output prices over two to
three orders of magnitude, quality rising with log price plus per-task noise; per task a token
profile (100-8,000 prompt tokens, 20-1,500 output tokens) and a volume of 1,000-2,000,000
queries per period; a 0.55 quality floor on none, half or all of the tasks; the budget is the
cheapest plan plus 4% of the way to the dearest. Both methods solve the same ``ClassProblem``
(``solve_class(method="mckp")`` and ``solve_class(method="cp-sat")``), one after the other in this
process, with one worker each.
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
BEGIN, END = "<!-- classlevel:begin -->", "<!-- classlevel:end -->"


def make(n_task: int, floor_share: float, seed: int, n_model: int = 20) -> Any:
    from costplan.solvers.classlevel import ClassProblem

    rng = np.random.default_rng(seed)
    price_in = np.exp(rng.uniform(np.log(0.05), np.log(15), n_model))  # USD per Mtok
    price_out = price_in * rng.uniform(2, 5, n_model)
    base = 0.45 + 0.4 * np.log(price_in / 0.05) / np.log(300)
    cost, quality = [], []
    for _ in range(n_task):
        tin, tout = int(rng.integers(100, 8000)), int(rng.integers(20, 1500))
        # pico-dollars per query: USD/Mtok x tokens = 1e6 pUSD per token per USD/Mtok
        cost.append(np.ceil((price_in * tin + price_out * tout) * 1e6).astype(np.int64))
        quality.append((np.clip(base + rng.normal(0, 0.06, n_model), 0, 1) * 1e6).round())
    task = np.repeat(np.arange(n_task), n_model).astype(np.int64)
    volume = rng.integers(1_000, 2_000_000, n_task).astype(np.int64)
    c = np.concatenate(cost)
    per_task = c.reshape(n_task, n_model)
    lo = int(np.sum(per_task.min(axis=1).astype(object) * volume.astype(object)))
    hi = int(np.sum(per_task.max(axis=1).astype(object) * volume.astype(object)))
    floors = np.where(rng.random(n_task) < floor_share, 550_000, -1).astype(np.int64)
    return ClassProblem(
        task=task,
        cost=c,
        quality=np.concatenate(quality).astype(np.int64),
        volume=volume,
        floor=floors,
        split=np.ones(n_task, np.bool_),
        objective="max_quality",
        budget=lo + (hi - lo) // 25,
    )


def run(n_task: int, floor_share: float, seed: int, cpsat_limit: float) -> dict[str, Any]:
    from costplan.solvers.classlevel import solve_class

    p = make(n_task, floor_share, seed)
    row: dict[str, Any] = {"tasks": n_task, "floors": floor_share, "seed": seed}
    for name, limit in (("mckp", 600.0), ("cp-sat", cpsat_limit)):
        start = time.perf_counter()
        sol = solve_class(p, time_limit_s=limit, method=name)  # type: ignore[arg-type]
        row[name] = {
            "method": sol.method,
            "status": sol.status,
            "wall_s": time.perf_counter() - start,
            "objective": sol.objective,
            "bound": sol.bound,
            "gap": sol.gap,
            "scale": sol.scale,
            "stats": sol.stats,
        }
    return row


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| tasks | floors | MCKP core: status | wall s | objective (quality) | rel. gap | rounds |"
        " configurations | CP-SAT: status | wall s | objective | rel. gap | CP-SAT below ours |"
        " speed-up |\n|" + "---|" * 14 + "\n"
    )
    lines = []
    for r in rows:
        a, b = r["mckp"], r["cp-sat"]
        behind = (a["objective"] - b["objective"]) / max(1, a["objective"])
        speed = b["wall_s"] / a["wall_s"]
        proven = b["status"] == "optimal"
        lines.append(
            f"| {r['tasks']:,} | {r['floors']:.0%} | {a['status']} ({a['method']}) "
            f"| {a['wall_s']:.2f} | {a['objective']:,} | {a['gap']:.1e} "
            f"| {int(a['stats'].get('rounds', 0))} | {int(a['stats'].get('configs', 0)):,} "
            f"| {b['status']} | {b['wall_s']:.1f} | {b['objective']:,} | {b['gap']:.1e} "
            f"| {behind:.1e} | {'' if proven else '>'}{speed:.0f}x |"
        )
    return head + "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tasks", default="100,300,1000")
    ap.add_argument("--floors", default="0,0.5,1")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cpsat-time-limit", type=float, default=60.0)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--write-readme", action="store_true")
    args = ap.parse_args()
    rows = []
    for n_task in [int(x) for x in args.tasks.split(",")]:
        for share in [float(x) for x in args.floors.split(",")]:
            rows.append(run(n_task, share, args.seed, args.cpsat_time_limit))
            print(json.dumps(rows[-1], default=str), flush=True)
    text = table(rows)
    print(text)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1, default=str))
    if args.write_readme:
        import ortools

        cmd = "`.venv/bin/python " + " ".join(["benchmarks/classlevel.py", *sys.argv[1:]]) + "`"
        stamp = time.strftime("%Y-%m-%d")
        info = (
            f"Command: {cmd} (run {stamp})  \nMachine: {platform.machine()}, Python "
            f"{platform.python_version()}, numpy {np.__version__}, OR-Tools {ortools.__version__}"
        )
        body = f"{BEGIN}\n{text}\n{info}\n{END}"
        old = README.read_text()
        new = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), body, old, flags=re.S)
        README.write_text(new)


if __name__ == "__main__":
    main()
