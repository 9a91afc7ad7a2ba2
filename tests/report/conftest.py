from __future__ import annotations

from pathlib import Path

import pytest

from costplan.api import load_inputs, optimize
from costplan.plan import Plan
from tests.cli.conftest import basic, run  # noqa: F401  (CLI fixtures, shared)

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture(scope="session")
def solved_plan() -> Plan:
    """tests/data/basic solved at $300: several models, a batch row, p95 costs."""
    from decimal import Decimal

    return optimize(load_inputs(DATA / "basic" / "workload.yaml"), budget_usd=Decimal(300))
