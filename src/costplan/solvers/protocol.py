"""One solver protocol, one Solution type, one status rule (see ``docs/certificate.md``).

Every back end (CP-SAT class level, the class-level MCKP core, the per-query MCKP core, the
constrained per-query path) returns a :class:`Solution`: the exact objective of its plan, an
exact bound on the **unscaled** problem (an ``int``: objectives are integers, so a valid
rational bound is rounded towards the objective and stays valid), the status decided by
:func:`settle` and nowhere else, the slack of every row by its stable label, the scaling the
back end used to fit int64 (recorded, with its direction) and a :class:`Certificate`: the
Lagrangian prices from which anyone can recompute the bound ``D`` from the option table.

Status rule: ``optimal`` only when an exact bound on the unscaled problem equals the exact
objective; otherwise ``feasible`` with the exact gap ``|bound - objective| / max(1,
|objective|)`` (a :class:`~fractions.Fraction`). A bound from a scaled model is never passed
here: back ends pass the bound they proved on the exact integers (a Lagrangian value recomputed
exactly, or an exact search), and :func:`settle` clips it to the certified ``D``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from costplan.errors import InternalError
from costplan.exact import rational_str

Status = Literal["optimal", "feasible", "infeasible", "unknown"]
Sense = Literal["max", "min"]
Proof = Literal["lagrangian", "core", "search", "none"]
I64 = npt.NDArray[np.int64]
CERTIFICATE_VERSION = 1


@dataclass(frozen=True)
class Scaling:
    """A back end divided ``row`` (a row label, or ``"money"`` for costs, budget and every
    money row) by ``unit``, rounding in the stricter direction (coefficients up, right-hand
    side down): a plan feasible at the scale is feasible exactly, the converse fails."""

    row: str
    unit: int
    direction: Literal["stricter"] = "stricter"


@dataclass(frozen=True)
class Certificate:
    """What an independent checker needs to re-derive the bound (``docs/certificate.md``).

    ``prices`` maps row labels to Lagrangian multipliers (>= 0; absent = 0);
    ``lagrangian_bound`` is ``D`` at those prices on the exact problem. ``proof`` says what
    closes ``D`` to the reported bound: ``lagrangian`` (nothing: floor/ceil of ``D``), ``core``
    (per query: reduced-cost fixing at ``core_threshold`` leaves ``core_groups``, solved
    exactly), ``search`` (an exact integer search the prices do not replay), ``none``.
    """

    sense: Sense
    prices: Mapping[str, Fraction]
    lagrangian_bound: Fraction | None
    proof: Proof = "none"
    core_threshold: Fraction | None = None
    core_groups: tuple[int, ...] | None = None


@dataclass(frozen=True)
class Solution:
    """A back end's answer. ``x``: counts per option (class level) or option per group (per
    query). ``bound``/``gap`` are ``None`` when no bound is known (infeasible, unknown)."""

    status: Status
    x: I64
    objective: int
    bound: int | None
    gap: Fraction | None
    certificate: Certificate | None = None
    slack: Mapping[str, Fraction] = field(default_factory=dict)
    scaling: tuple[Scaling, ...] = ()
    method: str = ""
    wall_s: float = 0.0
    stats: Mapping[str, float | int] = field(default_factory=dict)
    lp_bound: Fraction | None = None  # exact LP value where the back end has one

    @property
    def counts(self) -> I64:
        return self.x

    @property
    def choice(self) -> I64:
        return self.x

    @property
    def scale(self) -> int:
        """The money unit the back end solved in (1: exact pico-dollars)."""
        return max((s.unit for s in self.scaling if s.row == "money"), default=1)

    @property
    def bound_exact(self) -> int | None:
        return self.bound


class Solver(Protocol):
    """Every back end: a problem in, a :class:`Solution` out (``None``: does not apply)."""

    def __call__(self, problem: Any, *, time_limit_s: float) -> Solution | None: ...


def round_bound(bound: Fraction | int, sense: Sense) -> int:
    """An integer bound from a rational one, rounded towards feasible objectives (valid
    because every objective value is an integer)."""
    b = Fraction(bound)
    return math.floor(b) if sense == "max" else math.ceil(b)


def exact_gap(objective: int, bound: int) -> Fraction:
    return Fraction(abs(bound - objective), max(1, abs(objective)))


def settle(
    sense: Sense,
    objective: int,
    bound: int | Fraction | None,
    certificate: Certificate | None,
) -> tuple[Status, int | None, Fraction | None]:
    """THE status rule: (status, exact integer bound, exact gap) of a plan.

    ``bound`` must be proven on the unscaled problem (never a scaled model's bound). It is
    rounded towards the objective and clipped to the certificate's ``D`` (both valid). A bound
    on the wrong side of the objective is an internal error (a broken proof, not a result).
    """
    cands: list[int] = []
    if bound is not None:
        cands.append(round_bound(bound, sense))
    if certificate is not None and certificate.lagrangian_bound is not None:
        cands.append(round_bound(certificate.lagrangian_bound, sense))
    if not cands:
        return "feasible", None, None
    ub = min(cands) if sense == "max" else max(cands)
    if (sense == "max" and ub < objective) or (sense == "min" and ub > objective):
        raise InternalError(f"bound {ub} on the wrong side of objective {objective} ({sense})")
    gap = exact_gap(objective, ub)
    return ("optimal" if gap == 0 else "feasible"), ub, gap


def infeasible(n: int, method: str, wall_s: float = 0.0, **kw: Any) -> Solution:
    return Solution("infeasible", np.zeros(n, np.int64), 0, None, None, method=method,
                    wall_s=wall_s, **kw)  # fmt: skip


# ----------------------------------------------------------------------------- file form


def certificate_to_dict(
    sol: Solution,
    objective_unit: str,
    checkable: tuple[str, ...] = ("lagrangian", "search"),
    units: Mapping[str, int] | None = None,
) -> dict[str, Any] | None:
    """The plan file's ``certificate`` mapping (``docs/certificate.md``), exact strings.

    ``checkable``: the proofs the independent checker re-derives today. An ``optimal`` plan
    whose proof is another kind (an integer search) gets no certificate in the file rather
    than one the checker must refuse: the file then claims what the solver proved, and says
    (by the absence) that no certificate re-derives it."""
    c = sol.certificate
    units = units or {}
    if c is None or sol.bound is None:
        return None
    if sol.status == "optimal" and c.proof not in checkable:
        return None
    return {
        "version": CERTIFICATE_VERSION,
        "sense": c.sense,
        "objective_unit": objective_unit,
        "objective": str(sol.objective),
        "bound": str(sol.bound),
        "prices": {
            k: rational_str(v * units.get(k, 1)) for k, v in sorted(c.prices.items()) if v != 0
        },
        "lagrangian_bound": None
        if c.lagrangian_bound is None
        else rational_str(c.lagrangian_bound),
        "proof": c.proof,
        "scaling": [{"row": s.row, "unit": s.unit, "direction": s.direction} for s in sol.scaling],
        "slack": {k: rational_str(v / units.get(k, 1)) for k, v in sol.slack.items()},
        "core": None
        if c.core_threshold is None
        else {
            "threshold": rational_str(c.core_threshold),
            "groups": list(c.core_groups or ()),
        },
    }
