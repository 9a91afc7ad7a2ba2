"""Benchmark the class-level solver with many tasks: MCKP core vs CP-SAT on the same model.

Usage (from the repository root)::

    .venv/bin/python benchmarks/classlevel.py                  # 100/300/1000 tasks x 20 models
    .venv/bin/python benchmarks/classlevel.py --write-readme   # also rewrite benchmarks/README.md

Instances: ``class_instances.llm_classes`` (seeded, LLM-like, 20 models, volumes of
1,000-2,000,000 queries per task), with a 0.55 quality floor on none, half or all of the tasks
(and, with half the floors, 10% of the tasks with ``split: false``); the budget is the cheapest
plan plus 4% of the way to the dearest. Both methods solve the same ``ClassProblem``
(``solve_class(method="mckp")`` and ``solve_class(method="cp-sat")``), one after the other in this
process, with one worker and the same time limit each (``method="mckp"`` falls back to CP-SAT
when its enumeration limit is hit; the *method* column says who answered).
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
sys.path.insert(0, str(HERE))

from class_instances import llm_classes  # noqa: E402

README = HERE / "README.md"
BEGIN, END = "<!-- classlevel:begin -->", "<!-- classlevel:end -->"


def run(
    n_task: int, floor_share: float, seed: int, limit: float, no_split: float = 0.0
) -> dict[str, Any]:
    from costplan.solvers.classlevel import solve_class

    p = llm_classes(n_task, seed, floor_share=floor_share, no_split=no_split)
    row: dict[str, Any] = {"tasks": n_task, "floors": floor_share, "no_split": no_split}
    for name in ("mckp", "cp-sat"):
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
        "| tasks | floors | no split | MCKP core: status | wall s | objective (quality) "
        "| rel. gap | rounds | configurations | CP-SAT: status | wall s | objective | rel. gap "
        "| CP-SAT below ours | speed-up |\n|" + "---|" * 15 + "\n"
    )
    lines = []
    for r in rows:
        a, b = r["mckp"], r["cp-sat"]
        behind = (a["objective"] - b["objective"]) / max(1, a["objective"])
        speed = b["wall_s"] / a["wall_s"]
        proven = b["status"] == "optimal"
        lines.append(
            f"| {r['tasks']:,} | {r['floors']:.0%} | {r['no_split']:.0%} "
            f"| {a['status']} ({a['method']}) "
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
    ap.add_argument("--time-limit", type=float, default=60.0, help="per method and instance")
    ap.add_argument(
        "--no-split", default="0,0.1", help="shares of tasks with split: false (at 50%% floors)"
    )
    ap.add_argument("--json", type=Path)
    ap.add_argument("--write-readme", action="store_true")
    args = ap.parse_args()
    rows = []
    for n_task in [int(x) for x in args.tasks.split(",")]:
        cases = [(float(x), 0.0) for x in args.floors.split(",")]
        cases += [(0.5, float(x)) for x in args.no_split.split(",") if float(x) > 0]
        for share, no_split in cases:
            rows.append(run(n_task, share, args.seed, args.time_limit, no_split))
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
