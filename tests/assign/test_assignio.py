"""The streamed per-query writer gives the bytes Python's csv/json modules give."""

from __future__ import annotations

import csv
import io
import json
import random

import numpy as np
import pytest

from costplan import assignio
from costplan.money import usd_str

SEED = 7


def reference(ids, tasks, labels, choice, cost, quality, csv_file):  # type: ignore[no-untyped-def]
    def q(micro: int) -> str:  # the exact decimal of micro-units, by hand
        whole, frac = divmod(micro, 10**6)
        return f"{whole}.{frac:06d}".rstrip("0").rstrip(".")

    rows = [[i, t, labels[k][0], labels[k][1], usd_str(c), q(v)]
            for i, t, k, c, v in zip(ids, tasks, choice.tolist(), cost.tolist(), quality.tolist(),
                                     strict=True)]  # fmt: skip
    if csv_file:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["id", "task", "model", "mode", "cost_usd", "quality"])
        w.writerows(rows)
        return buf.getvalue().encode()
    names = ["id", "task", "model", "mode", "cost_usd", "quality"]
    return "".join(json.dumps(dict(zip(names, r, strict=True))) + "\n" for r in rows).encode()


@pytest.mark.parametrize("csv_file", [True, False])
def test_same_bytes_as_the_csv_and_json_modules(
    monkeypatch: pytest.MonkeyPatch, csv_file: bool
) -> None:
    monkeypatch.setattr(assignio, "BATCH", 7)
    rng = random.Random(SEED)
    print("seed", SEED)
    n = 50
    odd = ['a,b', 'qu"ote', "new\nline", "é", "back\\slash", "tab\t"]
    ids = [f"q{g}" if rng.random() < 0.9 else rng.choice(odd) + str(g) for g in range(n)]
    tasks = [rng.choice(["t", "", "x y"]) for _ in range(n)]
    labels = [("m1", "standard"), ("m2", "batch")]
    choice = np.asarray([rng.randrange(2) for _ in range(n)], dtype=np.int64)
    cost = np.asarray([rng.choice([0, 1, 10**12, 123456789, 5 * 10**15 + 7])
                       for _ in range(n)], dtype=np.int64)  # fmt: skip
    quality = np.asarray([rng.choice([0, 1, 10**6, 799999, 500000]) for _ in range(n)],
                         dtype=np.int64)  # fmt: skip
    got = b"".join(assignio.rows_bytes(ids, tasks, labels, choice, cost, quality, csv_file))
    assert got == reference(ids, tasks, labels, choice, cost, quality, csv_file)
