"""Small helpers shared by the pricing tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

CATALOGS = Path(__file__).parent.parent / "data" / "catalogs"


def write_sheet(path: Path, text: str) -> Path:
    """Write dedented YAML to ``path`` and return the path."""
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path
