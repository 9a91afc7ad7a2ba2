"""What the evals can and cannot resolve, as plan sections (README "Uncertainty").

Two optional sections of a plan, computed by :mod:`costplan.risk.noise`:

* :class:`NoiseSection` (``optimize --noise``): per task, the option with the highest
  quality, the models *within noise* of it at a stated two-sided confidence ``c``
  (``q_best - q_o <= z sqrt(se_best^2 + se_o^2)``, ``z = Phi^-1((1 + c) / 2)``), and the
  cheapest plan whose every task is served only by models within noise of its best (floors
  and side constraints kept), solved exactly as a min-cost problem: its cost, status and
  exact gap.
* :class:`StabilitySection` (``optimize --stability K``): per task, how many of ``K``
  seeded redraws of the quality estimates keep the plan's main choice.

Both are plain frozen data here (no solver), so that :mod:`costplan.plan` can carry them
and every report can print them from a plan file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from costplan.exact import rational_str
from costplan.money import usd_str


@dataclass(frozen=True)
class NoiseRow:
    """One task: its best option, the models within noise of it, the cheapest tied one."""

    task: str
    best: str  # option label (model and mode) with the highest quality
    tied: tuple[str, ...]  # models within noise of the best (the best's model included)
    cheapest_tied: str | None  # the cheapest tied option meeting the floor; None: none does
    best_cost_pusd: int  # the task all on its best option
    cheapest_tied_cost_pusd: int  # the task all on its cheapest tied option (0 when None)


@dataclass(frozen=True)
class TiedPlan:
    """The exact min-cost plan over the tied models (floors and side constraints kept)."""

    status: str  # optimal | feasible | infeasible
    cost_pusd: int | None  # None when infeasible
    gap: Fraction | None
    main_choices: Mapping[str, str]  # task -> label of its allocation with most queries


@dataclass(frozen=True)
class NoiseSection:
    confidence: Decimal
    z: float
    rows: tuple[NoiseRow, ...]
    tied_plan: TiedPlan

    @property
    def best_cost_pusd(self) -> int:
        """Every task on its best option (what a quality-at-any-price plan pays)."""
        return sum(r.best_cost_pusd for r in self.rows)


@dataclass(frozen=True)
class StabilitySection:
    redraws: int
    seed: int
    main_choices: Mapping[str, str]  # task -> the plan's main choice (label)
    kept: Mapping[str, int]  # task -> redraws that keep it

    def share(self, task: str) -> Fraction:
        return Fraction(self.kept.get(task, 0), max(self.redraws, 1))


def noise_to_dict(s: NoiseSection) -> dict[str, Any]:
    """The plan file's ``noise`` section (money as decimal strings, gap exact)."""
    t = s.tied_plan
    return {
        "confidence": f"{s.confidence:f}",
        "z": s.z,
        "tasks": [
            {
                "task": r.task,
                "best": r.best,
                "within_noise": list(r.tied),
                "cheapest_tied": r.cheapest_tied,
                "best_cost_usd": usd_str(r.best_cost_pusd),
                "cheapest_tied_cost_usd": usd_str(r.cheapest_tied_cost_pusd),
            }
            for r in s.rows
        ],
        "tied_plan": {
            "status": t.status,
            "cost_usd": None if t.cost_pusd is None else usd_str(t.cost_pusd),
            "gap": None if t.gap is None else rational_str(t.gap),
            "main_choices": dict(t.main_choices),
        },
    }


def stability_to_dict(s: StabilitySection) -> dict[str, Any]:
    """The plan file's ``stability`` section."""
    return {
        "redraws": s.redraws,
        "seed": s.seed,
        "tasks": [
            {"task": task, "main_choice": label, "kept": s.kept.get(task, 0)}
            for task, label in s.main_choices.items()
        ],
    }
