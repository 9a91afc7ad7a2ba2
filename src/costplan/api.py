"""Python entry points: the same operations the CLI runs, without the rendering."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from costplan.errors import InputError
from costplan.optimize import optimize
from costplan.options import OptionTable, build_options
from costplan.pricing.load import load_price_sheets
from costplan.workload.load import load_workload

if TYPE_CHECKING:
    from costplan.reconcile.run import Reconciled

__all__ = ["load_inputs", "optimize", "reconcile"]


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


def reconcile(
    plan_path: Path,
    usage: Sequence[Path],
    *,
    prices: Sequence[Path] = (),
    plan_prices: Sequence[Path] = (),
    workload: Path | None = None,
    period: str | None = None,
    task_key: str | None = None,
    requests: Mapping[str, int] | None = None,
) -> Reconciled:
    """A saved plan against actual usage (``costplan reconcile``): per task and model,
    and the exact effects (``result.effects``, integer pico-dollars) that add up to
    actual - plan. ``requests``: ``--requests`` (TASK or TASK/MODEL -> N) for usage
    reports without request counts. Raises :class:`costplan.errors.CostplanError` subclasses."""
    from costplan.reconcile.load import UsageRequest
    from costplan.reconcile.run import ReconcileRequest
    from costplan.reconcile.run import reconcile as run

    req = ReconcileRequest(
        plan=plan_path,
        usage=UsageRequest(files=tuple(usage), period=period, task_key=task_key,
                           requests=dict(requests or {})),
        prices=tuple(prices),
        plan_prices=tuple(plan_prices),
        workload=workload,
    )
    return run(req)
