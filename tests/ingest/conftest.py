from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import run  # noqa: F401  (the CLI runner the CLI tests use)

DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"


@pytest.fixture
def data() -> Path:
    return DATA
