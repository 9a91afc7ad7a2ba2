"""The checker never crashes on a damaged plan document: it names violations or raises
one of costplan's errors (seeded; the seed is printed; every case must hold)."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from costplan.api import load_inputs
from costplan.errors import CostplanError
from costplan.optimize import optimize
from costplan.plan import plan_to_dict
from costplan.verify import Sources, check_document

SEED = 20261202
CASES = 300
VALUES: list[Any] = [None, "x", -1, 0, 1.5, [], {}, True, "1/0", "nan", "inf", "1e400",
                     10**30, "-0.5", {"a": [1]}, [None], 2**70]  # fmt: skip


def _paths(d: Any, pre: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(d, dict):
        for k, v in d.items():
            yield (*pre, k)
            yield from _paths(v, (*pre, k))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            yield (*pre, i)
            yield from _paths(v, (*pre, i))


def test_damaged_documents_never_crash_the_checker(basic: Path) -> None:
    print(f"seed {SEED}, {CASES} cases")
    doc = plan_to_dict(optimize(load_inputs(basic / "workload.yaml"), explain=False))
    sources = Sources(workload=basic / "workload.yaml")
    assert check_document(doc, sources) == []
    rng = random.Random(SEED)
    paths = list(_paths(doc))
    refused = 0
    for _ in range(CASES):
        bad = copy.deepcopy(doc)
        for _ in range(rng.randint(1, 3)):
            target: Any = bad
            path = rng.choice(paths)
            try:
                for k in path[:-1]:
                    target = target[k]
                if rng.random() < 0.2 and isinstance(target, dict):
                    del target[path[-1]]
                else:
                    target[path[-1]] = rng.choice(VALUES)
            except (KeyError, IndexError, TypeError):
                continue
        if rng.random() < 0.3:
            bad["certificate"] = rng.choice([None, {}, {"sense": "max", "prices": rng.choice(
                [None, [], {"budget": rng.choice(VALUES)}]), "objective": rng.choice(VALUES),
                "bound": "1", "proof": "lagrangian"}])  # fmt: skip
        try:
            found = check_document(bad, sources)
        except CostplanError:
            refused += 1
            continue
        refused += bool(found)
    # At least 80% of the damage is refused (278 of 300 with this seed): the rest edits
    # fields the checker does not read (notes, baselines, solver statistics, prices.as_of);
    # every case ended without a crash.
    print(f"refused {refused} of {CASES}")
    assert refused >= CASES * 8 // 10, refused


@pytest.fixture
def basic(tmp_path: Path) -> Path:
    import shutil

    dest = tmp_path / "basic"
    shutil.copytree(Path(__file__).parent.parent / "data" / "basic", dest)
    return dest
