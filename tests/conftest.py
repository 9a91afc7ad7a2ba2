"""Suite-wide: every plan file the tests write must pass the independent checker.

``costplan.planio``'s atomic writer is wrapped for every test: after a plan is written
(by the library or the in-process CLI), the file is read back raw and checked by
:func:`costplan.verify.check_file` against the workload it records and the price sheets
among its inputs (what-if changes are read from its ``prices.source`` note). Plans
without a workload file (``assign``) are checked on their own arithmetic there, and
re-priced query by query before they are written (see costplan.assign).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


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
    from costplan.verify import check_file
    from costplan.verify.raw import read_file

    real = planio.write_atomic  # what write_plan writes every plan with

    def write_atomic(path: Path, text: str) -> None:
        real(path, text)
        data = read_file(path, "plan file").data
        found = check_file(path, _sources(data))
        assert found == [], f"{path} fails the checker: {[str(v) for v in found]}"

    monkeypatch.setattr(planio, "write_atomic", write_atomic)
