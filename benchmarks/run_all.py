"""Regenerate the data-path benchmark table in benchmarks/README.md, in one command.

    python benchmarks/run_all.py --quick     # 100k queries x 20 models
    python benchmarks/run_all.py --full      # 1M queries x 20 models (548 MB JSONL)

Data files are generated once under /work/bench-data (``--data`` to move them;
never in git) by benchmarks/make_queries.py, plus a Parquet copy. Every figure
is measured in its own child process, one at a time, run with ``nice``; wall
time by the parent, peak RSS (``ru_maxrss`` of that child, from ``os.wait4``:
measured by the OS). Each costplan figure stands beside a reference measured in
the same run on the same file, as a ratio:

* parse: ``costplan.queries.load_queries`` vs ``pyarrow.json.read_json`` and
  DuckDB's ``read_json`` reading the same file alone (ratio to the fastest);
* assign end to end (``costplan assign ... -o out.csv --plan plan.yaml``: read,
  tokens, solve, verify, write) vs the solve alone (``solve_mckp`` on the
  arrays, timed inside its child), and one vectorised argmax pass over the
  same value matrix (the floor of any per-query solve);
* peers (``--peers 10000,100000``, ``benchmarks/peers.py``, the ``bench`` extra: scipy,
  highspy): HiGHS MIP, HiGHS LP (the relaxation) and the naive CP-SAT model on the
  instance ``assign`` solves for a query file of that size, each with ``--peer-time-limit``,
  as a ratio to costplan's exact solve (``solve_mckp``) on the same instance.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
MARK_BEGIN = "<!-- run_all:begin -->"
MARK_END = "<!-- run_all:end -->"

PARSE_COSTPLAN = """
import sys, time
from pathlib import Path
from costplan.queries import load_queries
t = time.perf_counter(); qs = load_queries(Path(sys.argv[1]), default_output_tokens=100)
print(time.perf_counter() - t)
"""
PARSE_PYARROW = """
import sys, time, pyarrow.json as pj
t = time.perf_counter(); pj.read_json(sys.argv[1]); print(time.perf_counter() - t)
"""
PARSE_DUCKDB = """
import sys, time, duckdb
t = time.perf_counter()
duckdb.sql("SELECT * FROM read_json(?, format='newline_delimited')",
           params=[sys.argv[1]]).arrow().read_all()  # .arrow() alone is a lazy reader
print(time.perf_counter() - t)
"""
PARSE_PARQUET = PARSE_COSTPLAN
SOLVE_ALONE = """
import sys, time
import numpy as np
from pathlib import Path
from costplan.assign import build_arrays
from costplan.pricing.load import load_price_sheets
from costplan.queries import load_queries
from costplan.solvers.mckp import MckpProblem, solve_mckp
qs = load_queries(Path(sys.argv[1]), default_output_tokens=100)
sheet = load_price_sheets([Path(sys.argv[2])])
options, cost, value, feasible, _ = build_arrays(qs, sheet)
budget = int(sys.argv[3]) * 10**12
t = time.perf_counter()
r = solve_mckp(MckpProblem(cost=cost, value=value, feasible=feasible, budget=budget,
                           objective="max_value", min_value=None), time_limit_s=600)
solve = time.perf_counter() - t
t = time.perf_counter()
np.argmax(np.where(feasible, value, -1), axis=1)
argmax = time.perf_counter() - t
print(solve, argmax, r.status)
"""


def child(args: list[str]) -> tuple[float, float, str]:
    """Run ``args`` niced; (wall seconds, peak RSS in MB, stdout)."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    t = time.perf_counter()
    proc = subprocess.Popen(["nice", "-n", "10", *args], stdout=subprocess.PIPE, env=env, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    if status != 0 and os.waitstatus_to_exitcode(status) not in (0, 3):
        raise SystemExit(f"failed: {args}")
    return wall, usage.ru_maxrss / 1024, out.strip()


def data(folder: Path, n: int) -> tuple[Path, Path, Path]:
    q, prices = folder / "queries.jsonl", folder / "prices.yaml"
    parquet = folder / "queries.parquet"
    if not q.exists():
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([PY, str(ROOT / "benchmarks/make_queries.py"), "--n", str(n), "--out",
                        str(folder)], check=True)  # fmt: skip
    if not parquet.exists():
        import pyarrow as pa
        import pyarrow.json as pj
        import pyarrow.parquet as pq

        t = pj.read_json(q)
        quality = t.column("quality").combine_chunks()
        cols = {c: t[c] for c in t.column_names if c != "quality"}
        for i, f in enumerate(quality.type):
            cols[f"q:{f.name}"] = quality.field(i)
        pq.write_table(pa.table(cols), parquet)
    return q, prices, parquet


def peer_table(folder: Path, sizes: list[int], limit: float) -> list[str]:
    """HiGHS MIP, HiGHS LP and naive CP-SAT against ``solve_mckp`` on the same instances."""
    lines = [f"Peers on the instance `assign` solves (`benchmarks/peers.py`, time limit {limit:g} s"
             " each; ratio = peer wall / costplan's exact solve in the same run):", "",
             "| queries | solver | status | wall s | peak RSS (OS) | objective | vs optimum "
             "| ratio |", "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |"]  # fmt: skip
    for n in sizes:
        q, prices, _ = data(folder / f"q{n // 1000}k", n)
        inst = folder / f"q{n // 1000}k" / "instance.npz"
        if not inst.exists():
            sys.path.insert(0, str(ROOT / "benchmarks"))
            from peers import save_instance

            save_instance(q, prices, n * 150 // 100_000, inst)
        got = {}
        for peer in ("ours", "highs_mip", "highs_lp", "naive"):
            _w, rss, out = child([PY, str(ROOT / "benchmarks/peers.py"), peer, str(inst),
                                  str(limit)])  # fmt: skip
            got[peer] = (json.loads(out.splitlines()[-1]), rss)
        best = got["ours"][0]["objective"]
        for peer, label in (("ours", "costplan solve_mckp"),
                            ("highs_mip", "HiGHS MIP (scipy milp)"),
                            ("highs_lp", "HiGHS LP relaxation (scipy linprog)"),
                            ("naive", "naive CP-SAT (2 workers)")):  # fmt: skip
            r, rss = got[peer]
            obj = r.get("exact_objective", r.get("objective"))
            status = r["status"]
            if peer == "highs_mip" and r.get("gap") is not None:
                status += f" (HiGHS gap {r['gap']:.1e})"
            rel = "" if obj is None or not best else f"{(best - obj) / best:+.1e}"
            ratio = r["wall_s"] / got["ours"][0]["wall_s"]
            obj_text = "-" if obj is None else f"{obj:,.0f}"
            lines.append(f"| {n:,} | {label} | {status} | {r['wall_s']:.2f} | {rss:,.0f} MB | "
                         f"{obj_text} | {rel} | {ratio:,.0f}x |")  # fmt: skip
    lines.append("")
    lines.append(
        "*vs optimum*: (costplan's proven optimum - the peer's objective) / optimum; "
        "the LP's is its fractional bound (negative: above any 0/1 plan)."
    )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = ap.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="100k queries (default)")
    size.add_argument("--full", action="store_true", help="1M queries")
    ap.add_argument("--data", type=Path, default=Path("/work/bench-data"))
    ap.add_argument("--no-write", action="store_true", help="print the table only")
    ap.add_argument("--peers", default="10000", help="sizes for the peers ('' for none)")
    ap.add_argument("--peer-time-limit", type=float, default=120.0)
    a = ap.parse_args()
    n = 1_000_000 if a.full else 100_000
    budget = n * 150 // 100_000  # the README's 150 USD per 100k queries
    q, prices, parquet = data(a.data / f"q{n // 1000}k", n)
    rows = []

    def py(code: str, *args: str) -> tuple[float, float, str]:
        return child([PY, "-c", code, *args])

    _c_wall, c_rss, c_out = py(PARSE_COSTPLAN, str(q))
    _p_wall, p_rss, p_out = py(PARSE_PYARROW, str(q))
    _d_wall, d_rss, d_out = py(PARSE_DUCKDB, str(q))
    fastest = min(float(p_out), float(d_out))
    rows.append(("parse JSONL (costplan load_queries)", float(c_out), c_rss,
                 f"{float(c_out) / fastest:.2f}x the fastest reference"))  # fmt: skip
    rows.append(("  reference: pyarrow.json.read_json alone", float(p_out), p_rss, ""))
    rows.append(("  reference: DuckDB read_json alone", float(d_out), d_rss, ""))
    _k_wall, k_rss, k_out = py(PARSE_PARQUET, str(parquet))
    rows.append(("parse Parquet (costplan load_queries)", float(k_out), k_rss,
                 f"{float(k_out) / fastest:.2f}x the fastest JSONL reference"))  # fmt: skip
    _s_wall, _s_rss, s_out = py(SOLVE_ALONE, str(q), str(prices), str(budget))
    solve, argmax, status = s_out.split()
    out = a.data / "bench-out"
    out.mkdir(exist_ok=True)
    for label, src in (("JSONL", q), ("Parquet", parquet)):
        e_wall, e_rss, _ = child([PY, "-m", "costplan", "assign", str(src), "--prices", str(prices),
                                  "--budget", str(budget), "--output-tokens", "100", "-q",
                                  "-o", str(out / "a.csv"), "--plan", str(out / "plan.yaml"),
                                  "--time-limit", "600"])  # fmt: skip
        rows.append((f"assign end to end from {label} (read, solve, verify, write)", e_wall, e_rss,
                     f"{e_wall / float(solve):.2f}x the solve alone"))  # fmt: skip
    rows.append(("  reference: solve_mckp alone (" + status + ")", float(solve), None,
                 f"{float(solve) / float(argmax):.1f}x one argmax pass"))  # fmt: skip
    rows.append(("  reference: one vectorised argmax pass", float(argmax), None, ""))
    flag = "--full" if a.full else "--quick"
    day = time.strftime("%Y-%m-%d", time.gmtime())
    table = [f"{n:,} queries x 20 models, `python benchmarks/run_all.py {flag}` ({day}, "
             "this 2-core shared machine, niced):", "",
             "| what | seconds | peak RSS (OS) | ratio |",
             "| --- | ---: | ---: | --- |"]  # fmt: skip
    for what, sec, rss, ratio in rows:
        rss_text = "" if rss is None else f"{rss:,.0f} MB"
        table.append(f"| {what} | {sec:.2f} | {rss_text} | {ratio} |")
    load = Path("/proc/loadavg").read_text().split()[:3]
    table.append("")
    table.append(f"Load average at the end of the run: {' '.join(load)}.")
    peer_sizes = [int(x) for x in a.peers.split(",") if x]
    if peer_sizes:
        table += ["", *peer_table(a.data, peer_sizes, a.peer_time_limit)]
    text = "\n".join(table)
    print(text)
    if a.no_write:
        return
    readme = ROOT / "benchmarks/README.md"
    body = readme.read_text()
    block = f"{MARK_BEGIN}\n{text}\n{MARK_END}"
    if MARK_BEGIN in body:
        head, rest = body.split(MARK_BEGIN, 1)
        body = head + block + rest.split(MARK_END, 1)[1]
    else:
        title = "## Data path: query files to assignments (`benchmarks/run_all.py`)"
        body += f"\n{title}\n\n{block}\n"
    readme.write_text(body)


if __name__ == "__main__":
    main()
