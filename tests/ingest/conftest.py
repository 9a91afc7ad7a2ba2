from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "ingest"


@pytest.fixture
def data() -> Path:
    return DATA
