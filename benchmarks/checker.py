"""What the independent checker costs next to the solve it checks (same run, as ratios).

    python benchmarks/checker.py --n 100000     # assign: queries re-priced one by one
    python benchmarks/checker.py --quickstart   # optimize on examples/quickstart

For ``assign`` the timed solve is :func:`costplan.assign.assign` (which runs the checker
inside) and the checker is then timed alone on the same plan document and per-query rows;
the ratio checker / assign says what the independent re-pricing adds.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))


def bench_assign(n: int) -> None:
    from make_queries import prices_yaml, queries_jsonl

    from costplan.assign import assign
    from costplan.plan import plan_to_dict
    from costplan.pricing.load import load_price_sheet
    from costplan.queries import load_queries
    from costplan.verify import Sources, check_document, tokens
    from costplan.verify.queryfile import QueryRows

    folder = Path(tempfile.mkdtemp())
    (folder / "queries.jsonl").write_text(queries_jsonl(n, 0))
    (folder / "prices.yaml").write_text(prices_yaml())
    sheet = load_price_sheet(folder / "prices.yaml")
    start = time.perf_counter()
    qs = load_queries(folder / "queries.jsonl")
    budget = 150 * 10**12 * n // 100_000
    result = assign(qs, sheet, budget_pusd=budget)
    solve = time.perf_counter() - start
    picked = [(result.options[k].model, result.options[k].mode) for k in result.choice.tolist()]
    rows = QueryRows(qs.ids, qs.tasks, tuple(m for m, _ in picked), tuple(d for _, d in picked),
                     result.cost_pusd, result.quality_micro)  # fmt: skip
    tokens._COUNTED.clear()  # time the checker from scratch (no counts cached by the solve)
    start = time.perf_counter()
    found = check_document(
        plan_to_dict(result.plan),
        Sources(queries=folder / "queries.jsonl", prices=(folder / "prices.yaml",), rows=rows),
    )
    check = time.perf_counter() - start
    assert found == [], found
    print(f"assign {n:,} queries: load+solve+check {solve:.2f} s; checker alone {check:.2f} s "
          f"(ratio {check / solve:.2f})")  # fmt: skip


def bench_quickstart() -> None:
    from costplan.api import load_inputs
    from costplan.optimize import optimize
    from costplan.plan import plan_to_dict
    from costplan.verify import Sources, check_document, tokens

    workload = ROOT / "examples" / "quickstart" / "workload.yaml"
    start = time.perf_counter()
    table = load_inputs(workload)
    plan = optimize(table, explain=False)
    solve = time.perf_counter() - start
    tokens._COUNTED.clear()
    start = time.perf_counter()
    found = check_document(plan_to_dict(plan), Sources(workload=workload, prices=table.sheet.paths))
    check = time.perf_counter() - start
    assert found == [], found
    print(f"optimize quickstart: load+solve+check {solve:.2f} s; checker alone {check:.2f} s "
          f"(ratio {check / solve:.2f})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=0, help="assign benchmark with N queries")
    parser.add_argument("--quickstart", action="store_true")
    args = parser.parse_args()
    if args.quickstart:
        bench_quickstart()
    if args.n:
        bench_assign(args.n)


if __name__ == "__main__":
    main()
