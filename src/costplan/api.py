"""Python entry points: the same operations the CLI runs, without the rendering."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from costplan.errors import InputError
from costplan.optimize import optimize
from costplan.options import OptionTable, build_options
from costplan.pricing.load import load_price_sheets
from costplan.workload.load import load_workload

__all__ = ["load_inputs", "optimize"]


def load_inputs(workload_path: Path, prices: Sequence[Path] = ()) -> OptionTable:
    """Load a workload and its price sheets (``prices`` overrides the workload's)."""
    workload = load_workload(workload_path)
    paths = tuple(prices) or workload.price_paths
    if not paths:
        raise InputError(
            "no price sheet given",
            file=workload_path,
            key="prices",
            hint="set 'prices: prices.yaml' in the workload or pass --prices FILE",
        )
    sheet = load_price_sheets(paths)
    return build_options(workload, sheet)
