"""What ``costplan export --to litellm`` reads beside the plan: its workload and sheets.

:func:`load_export_inputs` finds the plan's workload (``--workload``, else the path the
plan records), loads its price sheets (``--prices`` overrides them) one file at a time
so that every model keeps the source kind of the sheet it came from
(:func:`costplan.litellm_routes.source_kind`), applies the workload's region uplift,
and resolves the capacity constraints to (requests, tokens) per period as the optimiser
does (the sheet's rate limits times the period's minutes under ``use_rate_limits``). A
recorded input whose sha256 differs from the plan's is refused: the cost fields would
not be the plan's prices.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from costplan.errors import InputError
from costplan.export import ExportInputs
from costplan.litellm_routes import SourceKind, source_kind
from costplan.plan import Plan


def _sha(path: Path) -> str:
    from costplan.safeio import read_input

    return hashlib.sha256(read_input(path, what="price sheet")).hexdigest()


def load_export_inputs(
    plan: Plan,
    plan_path: Path | None,
    workload_path: Path | None = None,
    prices: Sequence[Path] = (),
) -> ExportInputs:
    """The :class:`ExportInputs` of ``plan`` (see the module docs); InputError if unreadable."""
    from costplan.check import resolve_workload_path
    from costplan.pricing.load import load_price_sheets
    from costplan.pricing.regions import in_region
    from costplan.workload.load import load_workload
    from costplan.workload.model import MINUTES_PER_PERIOD

    wpath = resolve_workload_path(plan, plan_path, workload_path)
    workload = load_workload(wpath)
    paths = tuple(prices) or workload.price_paths
    if not paths:
        raise InputError(
            "no price sheet given", file=wpath, key="prices",
            hint="pass --prices FILE or set 'prices:' in the workload",
        )  # fmt: skip
    for p in paths:
        recorded = plan.inputs.get(str(p))
        if recorded is not None and recorded != _sha(p):
            raise InputError(
                "price sheet changed since the plan was made (sha256 differs): the export's "
                "cost fields would not be the plan's prices",
                file=p,
                hint="re-run costplan optimize, then export",
            )
    kinds: dict[str, SourceKind] = {}
    for p in paths:
        one = load_price_sheets([p])
        kinds.update({name: source_kind(one.source) for name in one.models})
    sheet = in_region(load_price_sheets(paths), workload.region)
    names = {a.model for t in plan.tasks for a in t.allocations}
    names |= {a.detail.split(" -> ", 1)[0].split(" (", 1)[0].strip() for t in plan.tasks
              for a in t.allocations if a.kind == "cascade"}  # fmt: skip
    canonical = {n: found for n in names if (found := sheet.canonical(n)) is not None}
    models = {n: sheet.models[n] for n in canonical}
    minutes = MINUTES_PER_PERIOD[plan.period]
    c = workload.constraints
    capacity: dict[str, tuple[int | None, int | None]] = {}
    for name in names:
        cap = c.capacity.get(name)
        requests = cap.requests if cap is not None else None
        tokens = cap.tokens if cap is not None else None
        if c.use_rate_limits and name in models:
            limits = models[name].limits
            if requests is None and limits.requests_per_minute is not None:
                requests = limits.requests_per_minute * minutes
            if tokens is None and limits.tokens_per_minute is not None:
                tokens = limits.tokens_per_minute * minutes
        if requests is not None or tokens is not None:
            capacity[name] = (requests, tokens)
    return ExportInputs(models=models, kinds=kinds, capacity=capacity, minutes=minutes,
                        canonical=canonical)  # fmt: skip
