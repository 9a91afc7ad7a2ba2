"""Suite-wide test configuration.

Every plan file the tests write must pass the independent checker.

``costplan.planio``'s writer (``safeio.write_output``) is wrapped for every test: after a
plan is written (by the library or the in-process CLI), the file is read back raw and checked by
:func:`costplan.verify.check_file` against the workload it records and the price sheets
among its inputs (what-if changes are read from its ``prices.source`` note). Plans
without a workload file (``assign``) are checked on their own arithmetic there, and
re-priced query by query before they are written (see costplan.assign).

Hypothesis draws the same cases on every run:

* Profile ``costplan`` (the default; ``HYPOTHESIS_PROFILE`` picks another): derandomized
  (each test draws from a fixed seed, or from the one it states with ``@seed``), no example
  database (a past failure does not change what a later run draws), and the
  ``@reproduce_failure`` blob printed with any failure.
* Hypothesis's files (unicode tables, caches) go to a temporary folder, not to
  ``.hypothesis/`` in the working tree: the suite writes nothing into the repository.
* Hypothesis (>= 6.131) also draws about 5% of its values from the constants of every
  *local* module already imported, collected under a wall-clock budget: generated inputs
  then depend on test order, lazy imports, how costplan is installed (``pip install .``
  puts it outside "local" code, a ``src/`` checkout does not) and the machine's load. The
  same seed drew different cases on a fresh machine. That pool is turned off here; its
  built-in constants stay.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.internal.conjecture import providers as _providers

_HOME = tempfile.mkdtemp(prefix="costplan-hypothesis-")
atexit.register(shutil.rmtree, _HOME, ignore_errors=True)
set_hypothesis_home_dir(_HOME)

settings.register_profile("costplan", derandomize=True, database=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "costplan"))

if hasattr(_providers, "_get_local_constants") and hasattr(_providers, "Constants"):
    _EMPTY = _providers.Constants()
    _providers._get_local_constants = lambda *_args, **_kwargs: _EMPTY


def _sources(data: dict[str, Any]) -> Any:
    from costplan.verify import Sources

    workload = data.get("workload_path")
    if not isinstance(workload, str) or not Path(workload).is_file():
        return Sources()
    prices = tuple(Path(p) for p in data.get("inputs") or {} if p != workload)
    note = str((data.get("prices") or {}).get("source") or "")
    changes = note.split("what-if: ", 1)[1].split(", ") if "what-if: " in note else []
    return Sources(workload=Path(workload), prices=prices, price_changes=tuple(changes))


@pytest.fixture(autouse=True)
def _every_written_plan_verifies(monkeypatch: pytest.MonkeyPatch) -> None:
    import costplan.planio as planio
    from costplan.safeio import is_stdout
    from costplan.verify import check_file
    from costplan.verify.raw import read_file

    real = planio.write_output  # what write_plan writes every plan with

    def write_output(path: Path, text: str | bytes) -> None:
        real(path, text)
        if is_stdout(path):  # -o -: the same text a file would get, checked in file runs
            return
        data = read_file(path, "plan file").data
        found = check_file(path, _sources(data))
        if data.get("workload_path") is None:
            # a per-query plan checked without its query file: its optimal claim is not
            # re-derivable here (the checker says so); the writer re-derived it with the
            # query file and the rows in memory before writing (preflight.settle_claim)
            found = [v for v in found if not v.message.startswith(
                "'optimal' is not proven by a certificate this checker can re-derive")]  # fmt: skip
        assert found == [], f"{path} fails the checker: {[str(v) for v in found]}"

    monkeypatch.setattr(planio, "write_output", write_output)
