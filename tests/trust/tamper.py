"""Shared by the tamper corpora: change one value of a plan document by its key path."""

from __future__ import annotations

import re
from typing import Any


def set_path(doc: Any, path: str, value: Any) -> None:
    """Set ``doc`` at ``path`` (``a.b[2].c``) to ``value``."""
    parts: list[str | int] = []
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        parts.append(int(index) if index else name)
    target = doc
    for p in parts[:-1]:
        target = target[p]
    target[parts[-1]] = value
