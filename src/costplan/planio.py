"""Plan files: YAML or JSON by suffix, written atomically."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from costplan.atomic import write_atomic
from costplan.errors import InputError
from costplan.plan import Plan, plan_to_dict


def dump_plan(plan: Plan, fmt: str) -> str:
    data = plan_to_dict(plan)
    if fmt == "json":
        return json.dumps(data, indent=2, sort_keys=False) + "\n"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def write_plan(plan: Plan, path: Path) -> None:
    """Write ``plan`` to ``path`` (``.json`` -> JSON, ``.yaml``/``.yml`` -> YAML)."""
    suffix = path.suffix.lower()
    if suffix not in (".json", ".yaml", ".yml"):
        raise InputError(
            "plan file must end in .yaml, .yml or .json", file=path, value=suffix or path.name
        )
    write_atomic(path, dump_plan(plan, "json" if suffix == ".json" else "yaml"))
