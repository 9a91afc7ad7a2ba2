"""``costplan reconcile`` as a use case: plan + usage + prices -> a :class:`Reconciled`.

Inputs: the plan file; its workload (``--workload``, default the file the plan
records: it gives each task's cache hit rates); the *plan prices* (``--plan-prices``,
default the workload's sheets: the prices the plan was made with) and the *actual
prices* (``--prices``, default the plan prices: then the price effect is 0). A plan
price sheet whose sha256 differs from the one the plan recorded is named in a
warning (the price effect is then measured against the sheet as it is now).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from costplan.errors import InputError
from costplan.plan import Plan
from costplan.reconcile.decompose import Reconciliation, decompose
from costplan.reconcile.load import Usage, UsageRequest, load_usage


@dataclass(frozen=True)
class ReconcileRequest:
    plan: Path
    usage: UsageRequest
    prices: tuple[Path, ...] = ()
    plan_prices: tuple[Path, ...] = ()
    workload: Path | None = None


@dataclass(frozen=True)
class Reconciled:
    plan: Plan
    plan_path: Path
    usage: Usage
    result: Reconciliation
    plan_price_paths: tuple[Path, ...]
    price_paths: tuple[Path, ...]
    warnings: tuple[str, ...] = field(default_factory=tuple)


def _sha(path: Path) -> str:
    from costplan.safeio import read_input

    return hashlib.sha256(read_input(path, what="price sheet")).hexdigest()


def reconcile(req: ReconcileRequest) -> Reconciled:
    """Read everything, decompose, and return the result (nothing is written here)."""
    from costplan.check import resolve_workload_path
    from costplan.planio import read_plan
    from costplan.pricing.load import load_price_sheets
    from costplan.workload.load import load_workload
    from costplan.workload.model import MINUTES_PER_PERIOD

    plan = read_plan(req.plan)
    wpath = resolve_workload_path(plan, req.plan, req.workload)
    workload = load_workload(wpath)
    plan_paths = tuple(req.plan_prices) or workload.price_paths
    if not plan_paths:
        raise InputError(
            "no price sheet for the plan", file=wpath, key="prices",
            hint="pass --plan-prices FILE or set 'prices:' in the workload",
        )
    warnings = []
    for p in plan_paths:
        recorded = plan.inputs.get(str(p))
        if recorded is not None and recorded != _sha(p):
            warnings.append(
                f"warning: price sheet {p} changed since the plan was made (sha256 differs); "
                "the price effect is measured against it as it is now"
            )
    plan_sheet = load_price_sheets(plan_paths)
    actual_paths = tuple(req.prices) or plan_paths
    actual_sheet = load_price_sheets(actual_paths) if req.prices else plan_sheet
    known = set(plan_sheet.models) | set(actual_sheet.models)
    usage = load_usage(req.usage, known, MINUTES_PER_PERIOD[plan.period])
    hit: dict[str, Mapping[str, Decimal]] = {
        t.name: dict(t.cache.hit_rates) for t in workload.tasks if t.cache is not None
    }
    result = decompose(plan, usage, plan_sheet, actual_sheet, hit)
    return Reconciled(plan, req.plan, usage, result, plan_paths, actual_paths,
                      (*usage.warnings, *warnings))
