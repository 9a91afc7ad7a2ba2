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
    from costplan.verify import Sources


def _unproven(message: str) -> bool:
    """A finding that only says ``optimal`` is not re-derived (no certificate; the checker's
    search did not finish or the numbers pass its range), not that it is wrong."""
    return message.startswith("'optimal' without a certificate") or (
        message.startswith("'optimal' is not re-derived from the certificate:")
        and "found a better plan" not in message
    )


def settle_claim(plan: Plan, sources: Sources) -> Plan:
    """``plan`` when the independent checker accepts it; the plan downgraded to ``feasible``
    (with the certificate's own bound ``D``, rounded towards the objective, and a note) when
    the checker's only objection is that it cannot re-derive ``optimal``: the rule is no
    ``optimal`` without a certificate the checker accepts. Any other violation raises
    :class:`~costplan.errors.InternalError` (a plan that fails is never written).
    """
    import dataclasses
    import math
    from fractions import Fraction

    from costplan.plan import plan_to_dict
    from costplan.verify import check_document, refuse, require

    doc = plan_to_dict(plan)
    items = check_document(doc, sources)  # once: the checker is most of a large plan's wait
    if not items:
        return plan
    unproven = [v for v in items if v.key == ("status",) and _unproven(v.message)]
    cert = plan.certificate
    if len(unproven) != len(items) or plan.status != "optimal":
        refuse(doc, items)
    d = None if cert is None or cert.get("lagrangian_bound") is None else Fraction(
        str(cert["lagrangian_bound"]))  # fmt: skip
    bound = gap = None
    new_cert = None if cert is None else dict(cert)
    if d is not None and new_cert is not None:
        bound = math.floor(d) if plan.objective == "max_quality" else math.ceil(d)
        z = int(str(new_cert["objective"]))
        gap = Fraction(abs(bound - z), max(1, abs(z)))
        new_cert["bound"] = str(bound)
    note = ("status feasible: the solver's proof of optimality is not re-derived by the "
            f"independent checker ({unproven[0].message}); the bound is the certificate's")
    plan = dataclasses.replace(plan, status="feasible", bound=bound, gap=gap,
                               certificate=new_cert, notes=(*plan.notes, note))  # fmt: skip
    require(plan_to_dict(plan), sources)
    return plan


def verify_plan(plan: Plan, table: OptionTable) -> Plan:
    """Check ``plan`` (as the document it will be written as) against the table's files.

    Returns the plan to write (:func:`settle_claim`); raises
    :class:`~costplan.errors.InternalError` naming every violation.
    """
    from costplan.verify import Sources

    if table.workload.path is None:  # built in memory: only the document's own arithmetic
        return settle_claim(plan, Sources())
    from costplan.safeio import library_path

    cap, allow = table.latency_cap_ms, table.allow_override
    settings: dict[str, object] = {} if cap is None else {"latency_cap_ms": cap}
    if allow is not None:
        settings["allow"] = {t: list(models) for t, models in allow.items()}
    sources = Sources(
        workload=table.workload.path,
        prices=tuple(library_path(p) for p in table.sheet.paths),  # stdin: its spool
        price_changes=tuple(table.sheet.changes),
        settings=settings,
    )
    return settle_claim(plan, sources)


def verify_assignment(
    plan: Plan,
    qs: QuerySet,
    sheet: PriceSheet,
    options: Sequence[AssignOption],
    choice: npt.NDArray[np.int64],
    cost_pusd: npt.NDArray[np.int64],
    quality_micro: npt.NDArray[np.int64],
) -> Plan:
    """Check a per-query plan document (``costplan assign``) before it is written.

    The per-query rows handed over are the ones ``assign -o`` writes; the checker
    re-prices each from the raw query file and price sheets.
    """
    import numpy as np

    from costplan.verify import Sources
    from costplan.verify.queryfile import QueryRows

    # each query's model and mode by fancy indexing (objects shared, no loop per query)
    models = np.asarray([o.model for o in options], dtype=object)[choice]
    modes = np.asarray([o.mode for o in options], dtype=object)[choice]
    rows = QueryRows(
        ids=qs.ids,
        tasks=qs.tasks,
        models=tuple(models.tolist()),
        modes=tuple(modes.tolist()),
        cost_pusd=cost_pusd,
        quality_micro=quality_micro,
    )
    from costplan.safeio import library_path

    sources = Sources(
        queries=library_path(qs.path),  # stdin: its spool
        prices=tuple(library_path(p) for p in sheet.paths),
        price_changes=tuple(sheet.changes),
        rows=rows,
    )
    return settle_claim(plan, sources)
