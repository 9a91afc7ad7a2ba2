"""Render a built workload as readable YAML (exact decimals, leaf mappings inline)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import yaml


class _Dumper(yaml.SafeDumper):
    pass


def _decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    text = format(value.normalize(), "f")
    if "." not in text:
        return dumper.represent_int(int(value))
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


_Dumper.add_representer(Decimal, _decimal)


def workload_yaml(doc: dict[str, Any], header: list[str]) -> str:
    """YAML text: ``header`` lines as comments, then the document in its key order."""
    body = yaml.dump(
        doc, Dumper=_Dumper, sort_keys=False, default_flow_style=None, width=100, allow_unicode=True
    )
    return "".join(f"# {line}\n" if line else "#\n" for line in header) + body


def sidecar_json(doc: dict[str, Any]) -> str:
    """Deterministic JSON (two-space indent, trailing newline)."""
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
