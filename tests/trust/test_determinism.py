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
