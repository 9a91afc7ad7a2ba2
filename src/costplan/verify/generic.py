"""Checks every plan document must pass, whatever produced it."""

from __future__ import annotations

from typing import Any

from costplan.verify.findings import Findings

FORMAT = 1


def check_structure(doc: dict[str, Any], f: Findings) -> bool:
    """The document's shape; False when it is too broken to check further."""
    if doc.get("format") != FORMAT:
        f.add(("format",), f"{doc.get('format')!r}: this checker reads plan format {FORMAT}")
        return False
    if not isinstance(doc.get("tasks"), list):
        f.add(("tasks",), "missing or not a list")
        return False
    for i, t in enumerate(doc["tasks"]):
        if not isinstance(t, dict) or not isinstance(t.get("allocations"), list):
            f.add(("tasks", i), "a task needs an 'allocations' list")
            return False
    if not isinstance(doc.get("totals"), dict):
        f.add(("totals",), "missing or not a mapping")
        return False
    return True
