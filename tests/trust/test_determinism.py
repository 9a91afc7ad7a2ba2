"""Determinism: the same inputs give byte-identical plan files, whatever the hash seed,
and the solver's worker count and time limit do not change an optimal answer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from costplan.solvers.classlevel import ClassProblem, solve_class
from tests.cli.conftest import Runner
from tests.solvers.classlevel_oracle import class_problem, spend_range

ROOT = Path(__file__).parent.parent.parent
QUICKSTART = ROOT / "examples" / "quickstart" / "workload.yaml"


def test_plan_files_are_byte_identical_across_hash_seeds(tmp_path: Path) -> None:
    """Three fresh processes (PYTHONHASHSEED 0, 1, 12345), run side by side; the YAML
    and JSON writers share one dict (plan_to_dict), so YAML is checked here."""
    workload = (
        QUICKSTART if QUICKSTART.exists() else ROOT / "tests" / "data" / "basic" / "workload.yaml"
    )
    procs = {}
    for seed in ("0", "1", "12345"):
        for suffix in ("yaml", "json"):
            out = tmp_path / f"plan-{seed}.{suffix}"
            env = {**os.environ, "PYTHONHASHSEED": seed}
            procs[out] = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "costplan",
                    "optimize",
                    str(workload),
                    "--out",
                    str(out),
                    "-q",
                ],
                env=env,
                stderr=subprocess.PIPE,
                text=True,
            )
    for out, proc in procs.items():
        # a hang guard, not a speed test: six solves side by side on a loaded machine
        _, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, (out, err)
    outputs = {p.read_bytes() for p in tmp_path.glob("plan-*.yaml")}
    assert len(outputs) == 1, "plans differ across PYTHONHASHSEED"
    assert b"\nstatus: optimal\n" in outputs.pop()


def _problem(seed: int) -> ClassProblem:
    """Random tasks, options with distinct costs and qualities (no ties), floors,
    split and no-split tasks, and a budget between the cheapest and dearest plan."""
    rng = np.random.default_rng(seed)
    n_tasks, per_task = 6, 4
    task = np.repeat(np.arange(n_tasks), per_task)
    cost = rng.integers(1_000, 10**9, size=task.size)
    quality = rng.integers(100_000, 1_000_000, size=task.size)
    assert len(set(cost)) == len(set(quality)) == task.size  # no ties
    volume = rng.integers(100, 10_000, size=n_tasks)
    floor = np.where(rng.random(n_tasks) < 0.4, 300_000, -1)
    split = rng.random(n_tasks) < 0.6
    low, high = spend_range(task, cost, volume)
    return class_problem(task, cost, quality, volume, floor, split, budget=(low + high) // 2)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_workers_and_time_limit_do_not_change_an_optimal_answer(seed: int) -> None:
    p = _problem(seed)
    one = solve_class(p, num_workers=1, time_limit_s=30)
    two = solve_class(p, num_workers=2, time_limit_s=30)
    longer = solve_class(p, num_workers=1, time_limit_s=60)
    assert one.status == two.status == longer.status == "optimal"
    assert one.counts.tolist() == two.counts.tolist() == longer.counts.tolist()
    assert one.objective == two.objective == longer.objective
    # the exact claim too: bound, gap, slack by label and the certificate (prices, D, proof)
    assert one.bound == two.bound == longer.bound
    assert one.gap == two.gap == longer.gap
    assert dict(one.slack) == dict(two.slack) == dict(longer.slack)
    assert one.certificate == two.certificate == longer.certificate
    assert one.certificate is not None


def test_certified_plan_files_are_byte_identical_across_hash_seeds_and_workers(
    tmp_path: Path,
) -> None:
    """A plan stopped within ``--gap`` is ``feasible`` and carries its certificate (prices as
    exact rationals, ``D``, slack): the file is the same byte for byte under three hash seeds."""
    workload = (
        QUICKSTART if QUICKSTART.exists() else ROOT / "tests" / "data" / "basic" / "workload.yaml"
    )
    procs = {}
    for seed in ("0", "1", "12345"):
        out = tmp_path / f"plan-{seed}.json"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        cmd = [sys.executable, "-m", "costplan", "optimize", str(workload), "--gap", "0.5"]
        procs[out] = subprocess.Popen(
            [*cmd, "--out", str(out), "-q"], env=env, stderr=subprocess.PIPE, text=True
        )
    for out, proc in procs.items():
        # a hang guard, not a speed test: six solves side by side on a loaded machine
        _, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, (out, err)
    outputs = {p.read_bytes() for p in tmp_path.glob("plan-*.json")}
    assert len(outputs) == 1, "plans differ across PYTHONHASHSEED"
    text = outputs.pop()
    assert b'"certificate": {' in text
    assert b'"lagrangian_bound": "' in text


def _query_csv(path: Path, n: int) -> Path:
    """``n`` queries with fixed token counts and qualities (3 decimals) for both models of
    tests/data/basic/prices.yaml, two tasks; written as CSV (read by pyarrow's threaded
    reader)."""
    rng = np.random.default_rng(7)
    lines = ["id,task,prompt_tokens,output_tokens,q:small,q:big"]
    for g in range(n):
        lines.append(
            f"q{g},{'ab'[g % 2]},{int(rng.integers(10, 5000))},{int(rng.integers(1, 500))},"
            f"{int(rng.integers(0, 1000)) / 1000},{int(rng.integers(0, 1000)) / 1000}"
        )
    path.write_text("\n".join(lines) + "\n")
    return path


def test_assign_plans_and_rows_are_byte_identical_across_hash_seeds_and_threads(
    tmp_path: Path,
) -> None:
    """``assign`` in fresh processes under different PYTHONHASHSEED values and thread counts
    (OMP_NUM_THREADS, which sizes pyarrow's CPU pool, and the BLAS pools of numpy): the plan
    file and the per-query rows are the same byte for byte."""
    queries = _query_csv(tmp_path / "queries.csv", 3000)
    prices = ROOT / "tests" / "data" / "basic" / "prices.yaml"
    threads_seen = set()
    for seed, threads in (("0", "1"), ("1", "2"), ("4242", "4")):
        env = {
            **os.environ,
            "PYTHONHASHSEED": seed,
            "OMP_NUM_THREADS": threads,
            "OPENBLAS_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
        }
        probe = subprocess.run(
            [sys.executable, "-c", "import pyarrow; print(pyarrow.cpu_count())"],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        threads_seen.add(probe.stdout.strip())
        out = tmp_path / f"{seed}-{threads}"
        cmd = [sys.executable, "-m", "costplan", "assign", str(queries), "--prices",
               str(prices), "--budget", "3", "-o", f"{out}.csv", "--plan", f"{out}.yaml", "-q"]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stderr
    assert threads_seen == {"1", "2", "4"}  # the thread pools really differed
    plans = {p.read_bytes() for p in tmp_path.glob("*-*.yaml")}
    rows = {p.read_bytes() for p in tmp_path.glob("*-*.csv")}
    assert len(plans) == 1, "assign plans differ across hash seeds / thread counts"
    assert len(rows) == 1, "per-query rows differ across hash seeds / thread counts"
    text = plans.pop()
    assert b"\ncertificate:\n" in text
    assert rows.pop().count(b"\n") == 3001


def test_plan_files_are_byte_identical_across_cp_sat_worker_counts(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quickstart ``optimize`` with CP-SAT on 1, 2 and 4 workers (the CLI uses 1; the
    solver call is wrapped to force the count): the plan files are identical (YAML; the JSON
    writer serialises the same dict, see the first test)."""
    import functools

    import costplan.optimize

    real = costplan.optimize.solve_class
    outputs: set[bytes] = set()
    for workers in (1, 2, 4):
        calls: list[int] = []

        def counted(
            *args: object, _w: int = workers, _calls: list[int] = calls, **kwargs: object
        ) -> object:
            _calls.append(_w)
            return functools.partial(real, num_workers=_w)(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(costplan.optimize, "solve_class", counted)
        out = tmp_path / f"plan-{workers}.yaml"
        r = run("optimize", QUICKSTART, "--out", out, "-q")
        assert r.code == 0, r.err
        outputs.add(out.read_bytes())
        assert set(calls) == {workers}  # the wrapped solver really ran
    assert len(outputs) == 1, "plans differ across CP-SAT worker counts"
    assert b"\nstatus: optimal\n" in outputs.pop()
