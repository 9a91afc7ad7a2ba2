"""Quality with its error (README "Uncertainty", quality).

A quality entry ``{score: q, n: N}`` has standard error ``sqrt(q (1 - q) / N)`` (a
proportion over ``N`` items: the binomial standard error); ``{score, stderr: s}`` has ``s``
(a stated stderr wins over ``n``); a plain number has no stated error and counts as exact
(reports say which tasks have one). Estimates of different (task, model) pairs are
independent. A task's mean quality ``q_t = sum_a x_a q_a / V`` then has

    sd_t = sqrt(sum_a (x_a / V)^2 se_a^2)
    P(floor met) = Phi((q_t - floor) / sd_t)       (1 or 0 when sd_t = 0)

read as: the chance that the task's true mean quality is at least its floor, under the
normal approximation of each estimate. The plan's mean quality ``q = sum x q / V_total``
has ``sd = sqrt(sum (x / V_total)^2 se^2)`` and the interval ``q -/+ z sd`` at level
``LEVEL`` (z = Phi^-1(0.975)), clipped to [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from statistics import NormalDist

_N = NormalDist()
LEVEL = Decimal("0.95")


def standard_error(score: Decimal, n: int | None, stderr: Decimal | None) -> float | None:
    """The module docstring's standard error of one quality entry (None: none stated)."""
    if stderr is not None:
        return float(stderr)
    if n is not None:
        q = float(score)
        return math.sqrt(q * (1 - q) / n)
    return None


@dataclass(frozen=True)
class TaskQuality:
    name: str
    mean: float
    sd: float
    floor: Decimal | None
    p_floor_met: float | None  # None without a floor
    known: bool  # every used option has a stated error


@dataclass(frozen=True)
class QualityRisk:
    mean: float
    sd: float
    interval: tuple[float, float]
    tasks: tuple[TaskQuality, ...]


def _p_met(mean: float, sd: float, floor: Decimal) -> float:
    if sd == 0:
        return 1.0 if mean >= float(floor) else 0.0
    return _N.cdf((mean - float(floor)) / sd)


def quality_risk(
    tasks: Sequence[tuple[str, Decimal | None, Sequence[tuple[int, Decimal, float | None]]]],
) -> QualityRisk:
    """From (task, floor, [(count, quality, se or None)]) per task (module docstring)."""
    out = []
    total_v = sum(x for _, _, rows in tasks for x, _, _ in rows)
    total_q = 0.0
    total_var = 0.0
    for name, floor, rows in tasks:
        v = sum(x for x, _, _ in rows)
        q = sum(x * float(s) for x, s, _ in rows)
        var = sum((x * (se or 0.0)) ** 2 for x, _, se in rows)
        mean, sd = (q / v, math.sqrt(var) / v) if v else (0.0, 0.0)
        known = all(se is not None for x, _, se in rows if x > 0)
        p = None if floor is None else _p_met(mean, sd, floor)
        out.append(TaskQuality(name, mean, sd, floor, p, known))
        total_q += q
        total_var += var
    mean = total_q / total_v if total_v else 0.0
    sd = math.sqrt(total_var) / total_v if total_v else 0.0
    z = _N.inv_cdf(0.5 + float(LEVEL) / 2)
    lo, hi = max(0.0, mean - z * sd), min(1.0, mean + z * sd)
    return QualityRisk(mean, sd, (lo, hi), tuple(out))
