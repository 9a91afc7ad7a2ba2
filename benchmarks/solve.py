"""Benchmark the exact MCKP solver against the naive CP-SAT model.

Usage (from the repository root)::

    .venv/bin/python benchmarks/solve.py                       # all families, 10k/100k/1M
    .venv/bin/python benchmarks/solve.py --sizes 10000,100000 --families llm
    .venv/bin/python benchmarks/solve.py --write-readme        # also rewrite benchmarks/README.md

Every run happens in a fresh subprocess that loads the instance from a temporary ``.npz`` file
and solves it, so its peak RSS (``ru_maxrss``) is the solver's footprint plus the input arrays and
the interpreter (numpy + OR-Tools imported). The naive model (one boolean per (group, option),
the same integers, CP-SAT with a time limit and several workers) runs in its own subprocess;
it is skipped above ``--naive-max-groups`` groups (20M booleans do not fit comfortably in memory).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from instances import FAMILIES, make  # noqa: E402

README = HERE / "README.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"


def _ours(path: str, objective: str, time_limit: float | None) -> dict[str, Any]:
    import resource

    from costplan.solvers.mckp import MckpProblem, solve_mckp

    data = np.load(path)
    problem = MckpProblem(
        cost=data["cost"],
        value=data["value"],
        feasible=data["feasible"],
        budget=int(data["budget"]) if objective == "max_value" else None,
        objective=objective,  # type: ignore[arg-type]
        min_value=int(data["min_value"]) if objective == "min_cost" else None,
    )
    from costplan.solvers.protocol import certificate_to_dict

    start = time.perf_counter()
    result = solve_mckp(problem, time_limit_s=time_limit)
    wall = time.perf_counter() - start
    # the certificate's share of this same solve: its assembly inside the solver
    # (t_certificate: prices, proof, core list, slack, the status rule) plus the file form
    t = time.perf_counter()
    cert = certificate_to_dict(result, "pusd", checkable=("lagrangian", "core", "search"))
    t_file = time.perf_counter() - t
    return {
        "status": result.status,
        "wall_s": wall,
        "cert_s": float(result.stats.get("t_certificate", 0.0)) + t_file,
        "cert_proof": None if cert is None else cert["proof"],
        "cert_core_groups": 0 if cert is None or cert["core"] is None
        else len(cert["core"]["groups"]),
        "objective": result.objective,
        "bound": result.bound_exact,
        "lp_bound": float(result.lp_bound) if result.lp_bound is not None else None,
        "gap": None if result.gap is None else float(result.gap),
        "core_groups": int(result.stats.get("core_groups", 0)),
        "dp_layers": int(result.stats.get("dp_layers", 0)),
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "stats": {k: float(v) for k, v in result.stats.items()},
    }


def _naive(path: str, objective: str, time_limit: float, workers: int) -> dict[str, Any]:
    import resource

    from ortools.sat.python import cp_model

    data = np.load(path)
    cost, value, feas = data["cost"], data["value"], data["feasible"]
    start = time.perf_counter()
    model = cp_model.CpModel()
    gi, ki = np.nonzero(feas)
    xs = [model.new_bool_var("") for _ in range(gi.size)]
    starts = np.searchsorted(gi, np.arange(cost.shape[0] + 1)).tolist()
    for a, b in itertools.pairwise(starts):
        model.add_exactly_one(xs[a:b])
    c_expr = cp_model.LinearExpr.weighted_sum(xs, cost[gi, ki].tolist())
    v_expr = cp_model.LinearExpr.weighted_sum(xs, value[gi, ki].tolist())
    if objective == "max_value":
        model.add(c_expr <= int(data["budget"]))
        model.maximize(v_expr)
    else:
        model.add(v_expr >= int(data["min_value"]))
        model.minimize(c_expr)
    build = time.perf_counter() - start
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 0
    code = solver.solve(model)
    wall = time.perf_counter() - start
    found = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    return {
        "status": solver.status_name(code).lower(),
        "build_s": build,
        "wall_s": wall,
        "objective": round(solver.objective_value) if found else None,
        "bound": solver.best_objective_bound if found else None,
        "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _run_child(args: list[str], timeout: float) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(HERE.parent / "src"), str(HERE), env.get("PYTHONPATH", "")]
    )
    try:
        out = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--child", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"status": "killed (timeout)"}
    if out.returncode != 0:
        return {"status": f"crashed (exit {out.returncode})", "stderr": out.stderr[-2000:]}
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        mem = f"{mem_kb / 1024**2:.0f} GiB RAM"
    except (OSError, StopIteration):
        mem = "unknown RAM"
    import ortools

    return (
        f"{os.cpu_count()} cores ({cpu}), {mem}; Python {platform.python_version()}, "
        f"numpy {np.__version__}, OR-Tools {ortools.__version__}"
    )


def fmt_int(x: Any) -> str:
    return "-" if x is None else f"{round(x):,}"


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| family | objective | groups | ours: status | wall s | peak RSS MB | objective | "
        "bound | rel. gap | core groups | naive CP-SAT: status | wall s | objective | "
        "rel. gap to ours | peak RSS MB | speed-up |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in rows:
        o, n = r["ours"], r.get("naive")
        ours_cells = [
            o.get("status", "?"),
            f"{o['wall_s']:.2f}" if "wall_s" in o else "-",
            f"{o['maxrss_mb']:.0f}" if "maxrss_mb" in o else "-",
            fmt_int(o.get("objective")),
            fmt_int(o.get("bound")),
            f"{o['gap']:.1e}" if o.get("gap") is not None else "-",
            fmt_int(o.get("core_groups")),
        ]
        if n is None:
            naive_cells = ["skipped (memory)", "-", "-", "-", "-", "-"]
        else:
            rel = "-"
            if n.get("objective") is not None and o.get("objective") is not None:
                rel = f"{abs(n['objective'] - o['objective']) / max(1, abs(o['objective'])):.1e}"
            speed = "-"
            if "wall_s" in n and o.get("wall_s"):
                # naive without a proof: we are at least this much faster to a proven optimum
                more = "" if n.get("status") == "optimal" else ">"
                speed = f"{more}{n['wall_s'] / o['wall_s']:.0f}x"
            naive_cells = [
                n.get("status", "?"),
                f"{n['wall_s']:.1f}" if "wall_s" in n else "-",
                fmt_int(n.get("objective")),
                rel,
                f"{n['maxrss_mb']:.0f}" if "maxrss_mb" in n else "-",
                speed,
            ]
        cells = [r["family"], r["objective"], f"{r['groups']:,}", *ours_cells, *naive_cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_readme(text: str) -> None:
    body = README.read_text() if README.exists() else ""
    if BEGIN in body and END in body:
        pre, rest = body.split(BEGIN, 1)
        post = rest.split(END, 1)[1]
        README.write_text(pre + BEGIN + "\n" + text + "\n" + END + post)
    else:
        README.write_text(body + "\n" + BEGIN + "\n" + text + "\n" + END + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000", help="comma-separated group counts")
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--objectives", default="max_value", help="max_value,min_cost")
    ap.add_argument("--models", type=int, default=20, help="options per group")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--time-limit", type=float, default=None, help="ours, seconds")
    ap.add_argument("--naive-time-limit", type=float, default=60.0)
    ap.add_argument("--naive-workers", type=int, default=2)
    ap.add_argument("--naive-max-groups", type=int, default=100_000)
    ap.add_argument("--no-naive", action="store_true")
    ap.add_argument("--write-readme", action="store_true")
    ap.add_argument("--json", type=Path, default=None, help="also dump raw results here")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        kind, path, objective, limit, workers = args.child
        if kind == "ours":
            res = _ours(path, objective, None if limit == "none" else float(limit))
        else:
            res = _naive(path, objective, float(limit), int(workers))
        print(json.dumps(res))
        return

    sizes = [int(s) for s in args.sizes.split(",") if s]
    families = [f for f in args.families.split(",") if f]
    objectives = [o for o in args.objectives.split(",") if o]
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for g in sizes:
            for family in families:
                inst = make(family, g, args.models, args.seed)
                path = os.path.join(tmp, f"{family}_{g}.npz")
                np.savez(
                    path,
                    cost=inst.cost,
                    value=inst.value,
                    feasible=inst.feasible,
                    budget=np.int64(inst.budget),
                    min_value=np.int64(inst.min_value),
                )
                del inst
                for objective in objectives:
                    limit = "none" if args.time_limit is None else str(args.time_limit)
                    ours = _run_child(["ours", path, objective, limit, "1"], timeout=3600)
                    naive = None
                    if not args.no_naive and g <= args.naive_max_groups:
                        naive = _run_child(
                            [
                                "naive",
                                path,
                                objective,
                                str(args.naive_time_limit),
                                str(args.naive_workers),
                            ],
                            timeout=args.naive_time_limit * 5 + 600,
                        )
                    row = {
                        "family": family,
                        "objective": objective,
                        "groups": g,
                        "ours": ours,
                        "naive": naive,
                    }
                    rows.append(row)
                    print(f"# {family} {objective} {g}: ours {ours} naive {naive}", file=sys.stderr)
                os.remove(path)
    out = table(rows)
    cert_lines = [
        "| family | objective | groups | solve wall s (same run) | certificate s | share | proof "
        "| core groups listed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        o = r["ours"]
        if "cert_s" in o and o.get("wall_s"):
            cert_lines.append(
                f"| {r['family']} | {r['objective']} | {r['groups']:,} | {o['wall_s']:.2f} | "
                f"{o['cert_s']:.4f} | {o['cert_s'] / o['wall_s']:.2%} | {o.get('cert_proof')} | "
                f"{o.get('cert_core_groups', 0):,} |"
            )
    out += "\n\nCertificate cost (part of the wall time above, same run):\n\n" + "\n".join(
        cert_lines
    )
    command = "python benchmarks/solve.py " + " ".join(
        a for a in sys.argv[1:] if a != "--write-readme"
    )
    note = f"Command: `{command.strip()}`  \nMachine: {machine()}"
    print(out)
    print()
    print(note)
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=1))
    if args.write_readme:
        write_readme(out + "\n\n" + note)


if __name__ == "__main__":
    main()
