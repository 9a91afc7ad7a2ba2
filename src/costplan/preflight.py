"""Run the independent checker on a plan before anyone sees it.

The glue between the objects that produced a plan and :mod:`costplan.verify`,
which sees only the plan document and the raw input files (paths, what-if
changes). It lives outside ``costplan/verify`` because it reads costplan's own
objects, which the checker may not import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from costplan.options import OptionTable
    from costplan.plan import Plan


def verify_plan(plan: Plan, table: OptionTable) -> None:
    """Check ``plan`` (as the document it will be written as) against the table's files.

    Raises :class:`~costplan.errors.InternalError` naming every violation.
    """
    from costplan.plan import plan_to_dict
    from costplan.verify import Sources, require

    if table.workload.path is None:  # built in memory: only the document's own arithmetic
        require(plan_to_dict(plan), Sources())
        return
    sources = Sources(
        workload=table.workload.path,
        prices=tuple(table.sheet.paths),
        price_changes=tuple(table.sheet.changes),
    )
    require(plan_to_dict(plan), sources)


def verify_assignment(plan: Plan) -> None:
    """Check a per-query plan document (``costplan assign``) before it is written."""
    from costplan.plan import plan_to_dict
    from costplan.verify import Sources, require

    require(plan_to_dict(plan), Sources())
