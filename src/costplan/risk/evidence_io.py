"""Reading the ``noise`` and ``stability`` plan sections back (:mod:`costplan.risk.evidence`).

Validated at the boundary like the rest of a plan file: money strings must be exact
pico-dollars, the tied plan's gap an exact rational; errors name the key.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from costplan.planfields import gap_at, pusd_at
from costplan.risk.evidence import NoiseRow, NoiseSection, StabilitySection, TiedPlan
from costplan.yamlsource import SourceDocument

Usd = Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NoiseRowIn(_In):
    task: str
    best: str
    within_noise: list[str]
    cheapest_tied: str | None
    best_cost_usd: Usd
    cheapest_tied_cost_usd: Usd


class TiedPlanIn(_In):
    status: Literal["optimal", "feasible", "infeasible"]
    cost_usd: Usd | None
    gap: str | None
    main_choices: dict[str, str]


class NoiseIn(_In):
    confidence: Annotated[Decimal, Field(gt=0, lt=1)]
    z: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    tasks: list[NoiseRowIn]
    tied_plan: TiedPlanIn


class StabilityRowIn(_In):
    task: str
    main_choice: str
    kept: Annotated[int, Field(ge=0)]


class StabilityIn(_In):
    redraws: Annotated[int, Field(ge=1)]
    seed: Annotated[int, Field(ge=0)]
    tasks: list[StabilityRowIn]


def noise_section(doc: SourceDocument, n: NoiseIn | None) -> NoiseSection | None:
    """The plan file's ``noise`` section as a :class:`NoiseSection` (None: absent)."""
    if n is None:
        return None
    rows = tuple(
        NoiseRow(
            r.task, r.best, tuple(r.within_noise), r.cheapest_tied,
            pusd_at(doc, r.best_cost_usd, ("noise", "tasks", i, "best_cost_usd")),
            pusd_at(doc, r.cheapest_tied_cost_usd, ("noise", "tasks", i, "cheapest_tied_cost_usd")),
        )
        for i, r in enumerate(n.tasks)
    )  # fmt: skip
    t = n.tied_plan
    gap = gap_at(doc, t.gap, ("noise", "tied_plan", "gap"))
    cost = (
        None if t.cost_usd is None else pusd_at(doc, t.cost_usd, ("noise", "tied_plan", "cost_usd"))
    )
    tied = TiedPlan(t.status, cost, gap, dict(t.main_choices))
    return NoiseSection(n.confidence, n.z, rows, tied)


def stability_section(doc: SourceDocument, s: StabilityIn | None) -> StabilitySection | None:
    """The plan file's ``stability`` section (None: absent)."""
    if s is None:
        return None
    for i, r in enumerate(s.tasks):
        if r.kept > s.redraws:
            raise doc.error(f"kept must be at most redraws ({s.redraws})",
                            ("stability", "tasks", i, "kept"), r.kept)  # fmt: skip
    kept = {r.task: r.kept for r in s.tasks}
    return StabilitySection(s.redraws, s.seed, {r.task: r.main_choice for r in s.tasks}, kept)
