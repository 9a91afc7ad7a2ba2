"""Run the independent checker on a plan before anyone sees it.

The glue between the objects that produced a plan and :mod:`costplan.verify`,
which sees only the plan document and the raw input files (paths, what-if
changes). It lives outside ``costplan/verify`` because it reads costplan's own
objects, which the checker may not import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    import numpy as np
    import numpy.typing as npt

    from costplan.assign import AssignOption
    from costplan.options import OptionTable
    from costplan.plan import Plan
    from costplan.pricing.model import PriceSheet
    from costplan.queries import QuerySet


def verify_plan(plan: Plan, table: OptionTable) -> None:
    """Check ``plan`` (as the document it will be written as) against the table's files.

    Raises :class:`~costplan.errors.InternalError` naming every violation.
    """
    from costplan.plan import plan_to_dict
    from costplan.verify import Sources, require

    if table.workload.path is None:  # built in memory: only the document's own arithmetic
        require(plan_to_dict(plan), Sources())
        return
    cap = table.latency_cap_ms
    sources = Sources(
        workload=table.workload.path,
        prices=tuple(table.sheet.paths),
        price_changes=tuple(table.sheet.changes),
        settings={} if cap is None else {"latency_cap_ms": cap},
    )
    require(plan_to_dict(plan), sources)


def verify_assignment(
    plan: Plan,
    qs: QuerySet,
    sheet: PriceSheet,
    options: Sequence[AssignOption],
    choice: npt.NDArray[np.int64],
    cost_pusd: npt.NDArray[np.int64],
    quality_micro: npt.NDArray[np.int64],
) -> None:
    """Check a per-query plan document (``costplan assign``) before it is written.

    The per-query rows handed over are the ones ``assign -o`` writes; the checker
    re-prices each from the raw query file and price sheets.
    """
    from costplan.plan import plan_to_dict
    from costplan.verify import Sources, require
    from costplan.verify.queryfile import QueryRows

    labels = [(o.model, o.mode) for o in options]
    picked = [labels[k] for k in choice.tolist()]
    rows = QueryRows(
        ids=qs.ids,
        tasks=qs.tasks,
        models=tuple(m for m, _ in picked),
        modes=tuple(mode for _, mode in picked),
        cost_pusd=cost_pusd,
        quality_micro=quality_micro,
    )
    sources = Sources(
        queries=qs.path, prices=tuple(sheet.paths), price_changes=tuple(sheet.changes), rows=rows
    )
    require(plan_to_dict(plan), sources)
