"""Per-query side constraints at scale: ``solve_constrained`` against the unconstrained solve.

    PYTHONPATH=src python benchmarks/side.py [--sizes 100000 1000000]

Instance: the ``llm`` family of ``instances.py`` (20 options, seed 0, max_value, budget 30%
of the way from the cheapest to the max-value plan) plus one binding side row: the capacity of
the option most queries pick in the unconstrained optimum, at half of what that optimum sends
it. Each solve runs in its own child process (peak RSS = ``ru_maxrss`` of that child, which
includes the interpreter, numpy and the instance); the reference is the unconstrained
``solve_mckp`` on the same instance in the same run. Prints one markdown row per size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _child(kind: str, g: int) -> None:
    # benchmarks/tokenize.py would shadow the standard library's (pandas, via OR-Tools, needs it)
    sys.path[:] = [x for x in sys.path if Path(x or ".").resolve() != HERE]
    import importlib.util

    import numpy as np

    from costplan.solvers.constrained import LinearConstraint, solve_constrained
    from costplan.solvers.mckp import MckpProblem, solve_mckp
    spec = importlib.util.spec_from_file_location("instances", HERE / "instances.py")
    assert spec is not None
    assert spec.loader is not None
    instances = importlib.util.module_from_spec(spec)
    sys.modules["instances"] = instances
    spec.loader.exec_module(instances)
    inst = instances.make("llm", g)
    p = MckpProblem(inst.cost, inst.value, inst.feasible, inst.budget, "max_value")
    t0 = time.perf_counter()
    free = solve_mckp(p)
    t_free = time.perf_counter() - t0
    out: dict[str, object] = {"free_s": t_free, "free_status": free.status}
    if kind == "side":
        top = int(np.bincount(free.choice, minlength=inst.cost.shape[1]).argmax())
        coef = np.zeros(inst.cost.shape, np.int64)
        coef[:, top] = 1
        rhs = int((free.choice == top).sum()) // 2
        row = LinearConstraint(coef, rhs, "cap", f"capacity:m{top}:requests")
        t0 = time.perf_counter()
        got = solve_constrained(p, [row], time_limit_s=60)
        out.update(side_s=time.perf_counter() - t0, status=got.status, gap=float(got.gap or 0),
                   method=got.method, evaluations=got.stats.get("lagrangian_evaluations"),
                   objective=got.objective, bound=got.bound, free_objective=free.objective)
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def _run(kind: str, g: int) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    res = subprocess.run([sys.executable, __file__, "--child", kind, str(g)], env=env,
                         capture_output=True, text=True, check=False, timeout=900)
    if res.returncode:
        return {"status": f"crashed ({res.returncode})", "err": res.stderr[-500:]}
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", nargs=2)
    ap.add_argument("--sizes", nargs="+", type=int, default=[100_000, 1_000_000])
    a = ap.parse_args()
    if a.child:
        _child(a.child[0], int(a.child[1]))
        return
    print("| queries | unconstrained s | RSS MB | side: status | rel. gap | s | ratio | "
          "RSS MB | method | evaluations |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for g in a.sizes:
        free, side = _run("free", g), _run("side", g)
        ratio = float(side.get("side_s", 0)) / max(float(free.get("free_s", 1)), 1e-9)
        print(f"| {g:,} | {float(free['free_s']):.2f} | {float(free['maxrss_mb']):.0f} | "
              f"{side.get('status')} | {float(side.get('gap', 0)):.1e} | "
              f"{float(side.get('side_s', 0)):.1f} | {ratio:.1f}x | "
              f"{float(side.get('maxrss_mb', 0)):.0f} | {side.get('method')} | "
              f"{side.get('evaluations')} |", flush=True)


if __name__ == "__main__":
    main()
