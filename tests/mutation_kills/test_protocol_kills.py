"""solvers/protocol.py: the one status rule (``settle``), bound rounding, the exact gap, the
Solution's derived fields and the plan file's certificate mapping.

Every expected value is derived by hand in a comment from the contract in the module's
docstring and ``docs/certificate.md`` (``optimal`` only when an integer bound on the unscaled
problem equals the objective; gap ``|bound - objective| / max(1, |objective|)``; a valid
rational bound is rounded towards feasible objectives; a bound on the wrong side is an
internal error).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from costplan.errors import InternalError
from costplan.solvers.protocol import (
    CERTIFICATE_VERSION,
    Certificate,
    Scaling,
    Solution,
    certificate_to_dict,
    exact_gap,
    infeasible,
    round_bound,
    settle,
)


def test_round_bound_goes_towards_feasible_objectives() -> None:
    # max: every objective is an integer <= 7/2, so <= 3; min: >= 7/2, so >= 4.
    assert round_bound(Fraction(7, 2), "max") == 3
    assert round_bound(Fraction(7, 2), "min") == 4
    # negative: floor(-7/2) = -4, ceil(-7/2) = -3 (not truncation towards 0)
    assert round_bound(Fraction(-7, 2), "max") == -4
    assert round_bound(Fraction(-7, 2), "min") == -3
    # integers stay; an int in gives an int out
    assert round_bound(5, "max") == 5
    assert round_bound(5, "min") == 5
    assert type(round_bound(Fraction(9, 2), "max")) is int
    # exact past float precision: (2^60 + 1) / 2 floors to 2^59, ceils to 2^59 + 1
    assert round_bound(Fraction(2**60 + 1, 2), "max") == 2**59
    assert round_bound(Fraction(2**60 + 1, 2), "min") == 2**59 + 1


def test_exact_gap() -> None:
    assert exact_gap(10, 13) == Fraction(3, 10)  # |13 - 10| / 10
    assert exact_gap(13, 10) == Fraction(3, 13)  # divides by the objective, not the bound
    assert exact_gap(0, 5) == 5  # max(1, 0) = 1
    assert exact_gap(1, 3) == 2  # max(1, 1) = 1
    assert exact_gap(-4, -2) == Fraction(1, 2)  # |-2 + 4| / |-4|
    assert exact_gap(-4, -6) == Fraction(1, 2)
    assert exact_gap(7, 7) == 0
    assert isinstance(exact_gap(10, 13), Fraction)


def test_settle_without_any_bound_is_feasible_without_gap() -> None:
    assert settle("max", 10, None, None) == ("feasible", None, None)
    assert settle("min", 10, None, None) == ("feasible", None, None)
    no_d = Certificate("max", {}, None)
    assert settle("max", 10, None, no_d) == ("feasible", None, None)


def test_settle_optimal_only_when_the_rounded_bound_equals_the_objective() -> None:
    # max, objective 10, bound 21/2: floor 10 = objective -> optimal, gap 0
    status, ub, gap = settle("max", 10, Fraction(21, 2), None)
    assert (status, ub, gap) == ("optimal", 10, 0)
    assert type(ub) is int
    assert isinstance(gap, Fraction)
    # min, objective 10, bound 19/2: ceil 10 -> optimal
    assert settle("min", 10, Fraction(19, 2), None) == ("optimal", 10, 0)
    # max, bound 11: gap 1/10, feasible
    assert settle("max", 10, 11, None) == ("feasible", 11, Fraction(1, 10))
    # min, bound 9: gap 1/10, feasible
    assert settle("min", 10, 9, None) == ("feasible", 9, Fraction(1, 10))
    # the bound exactly at the objective is not "on the wrong side"
    assert settle("max", 10, 10, None) == ("optimal", 10, 0)
    assert settle("min", 10, 10, None) == ("optimal", 10, 0)


def test_settle_takes_the_tighter_of_the_bound_and_the_certificate() -> None:
    # max: min(12, floor(23/2) = 11) = 11; gap 1/10
    cert = Certificate("max", {"budget": Fraction(1, 3)}, Fraction(23, 2))
    assert settle("max", 10, 12, cert) == ("feasible", 11, Fraction(1, 10))
    # max: the bound 11 tighter than D = 15
    assert settle("max", 10, 11, Certificate("max", {}, Fraction(15))) == (
        "feasible",
        11,
        Fraction(1, 10),
    )
    # max: D = 21/2 floors to 10 = objective: the certificate alone proves optimality
    assert settle("max", 10, 12, Certificate("max", {}, Fraction(21, 2))) == ("optimal", 10, 0)
    # min: max(8, ceil(17/2) = 9) = 9; gap 1/10
    assert settle("min", 10, 8, Certificate("min", {}, Fraction(17, 2))) == (
        "feasible",
        9,
        Fraction(1, 10),
    )
    # min: the bound 9 tighter than D = 7
    assert settle("min", 10, 9, Certificate("min", {}, Fraction(7))) == (
        "feasible",
        9,
        Fraction(1, 10),
    )
    # no bound given: the certificate's D alone (ceil(19/2) = 10 for min)
    assert settle("min", 10, None, Certificate("min", {}, Fraction(19, 2))) == ("optimal", 10, 0)
    assert settle("max", 10, None, Certificate("max", {}, Fraction(25, 2))) == (
        "feasible",
        12,
        Fraction(1, 5),
    )


def test_settle_refuses_a_bound_on_the_wrong_side() -> None:
    # max: floor(99/10) = 9 < 10
    with pytest.raises(InternalError, match=r"^bound 9 on the wrong side of objective 10 \(max\)$"):
        settle("max", 10, Fraction(99, 10), None)
    # min: ceil(101/10) = 11 > 10
    with pytest.raises(
        InternalError, match=r"^bound 11 on the wrong side of objective 10 \(min\)$"
    ):
        settle("min", 10, Fraction(101, 10), None)
    # a certificate's D on the wrong side is refused too (max: min(12, 9) = 9)
    with pytest.raises(InternalError):
        settle("max", 10, 12, Certificate("max", {}, Fraction(9)))
    with pytest.raises(InternalError):
        settle("min", 10, 8, Certificate("min", {}, Fraction(11)))


def test_scaling_and_certificate_defaults() -> None:
    s = Scaling("money", 8)
    assert (s.row, s.unit, s.direction) == ("money", 8, "stricter")
    c = Certificate("min", {}, None)
    assert (c.proof, c.core_threshold, c.core_groups) == ("none", None, None)


def test_solution_derived_fields() -> None:
    x = np.array([3, 1], np.int64)
    sol = Solution("optimal", x, 7, 7, Fraction(0))
    assert sol.scale == 1  # no scaling: exact pico-dollars
    assert sol.counts is x
    assert sol.choice is x
    assert sol.bound_exact == 7
    assert (sol.method, sol.wall_s, sol.lp_bound, sol.scaling) == ("", 0.0, None, ())
    assert dict(sol.slack) == {}
    assert dict(sol.stats) == {}
    assert sol.certificate is None
    # only the "money" rows set the scale, the largest of them
    scaled = Solution(
        "feasible",
        x,
        7,
        8,
        Fraction(1, 7),
        scaling=(Scaling("money", 8), Scaling("capacity:a", 1000), Scaling("money", 4)),
    )
    assert scaled.scale == 8
    assert Solution("feasible", x, 7, 8, None, scaling=(Scaling("share:b", 9),)).scale == 1


def test_infeasible_solution() -> None:
    sol = infeasible(3, "classmckp", 1.5, stats={"nodes": 4})
    assert sol.status == "infeasible"
    assert sol.x.tolist() == [0, 0, 0]
    assert sol.x.dtype == np.int64
    assert (sol.objective, sol.bound, sol.gap) == (0, None, None)
    assert (sol.method, sol.wall_s, dict(sol.stats)) == ("classmckp", 1.5, {"nodes": 4})
    assert infeasible(2, "m").wall_s == 0.0


def _sol(status: str, proof: str, **kw: object) -> Solution:
    cert = Certificate(
        "max",
        {"budget": Fraction(1, 4), "floor:a": Fraction(0), "cap": Fraction(3, 2)},
        Fraction(41, 2),
        proof,  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )
    return Solution(
        status,  # type: ignore[arg-type]
        np.zeros(1, np.int64),
        20,
        20 if status == "optimal" else 21,
        Fraction(0) if status == "optimal" else Fraction(1, 20),
        cert,
        slack={"budget": Fraction(10), "cap": Fraction(1, 3)},
        scaling=(Scaling("money", 16),),
    )


def test_certificate_to_dict_fields() -> None:
    d = certificate_to_dict(_sol("feasible", "core", core_threshold=Fraction(5, 2),
                                 core_groups=(4, 1)), "micro",
                            units={"budget": 1000})  # fmt: skip
    assert d == {
        "version": 1,
        "sense": "max",
        "objective_unit": "micro",
        "objective": "20",
        "bound": "21",
        # prices: sorted by label, zero prices dropped, multiplied by the row's unit:
        # budget 1/4 x 1000 = 250; cap 3/2 (unit 1) = 1.5
        "prices": {"budget": "250", "cap": "1.5"},
        "lagrangian_bound": "20.5",  # 41/2
        "proof": "core",
        "scaling": [{"row": "money", "unit": 16, "direction": "stricter"}],
        # slack divided by the unit: 10 / 1000 = 0.01; 1/3 is no finite decimal
        "slack": {"budget": "0.01", "cap": "1/3"},
        "core": {"threshold": "2.5", "groups": [4, 1]},
    }
    assert CERTIFICATE_VERSION == 1  # docs/certificate.md: "version: 1"
    assert list(d["prices"]) == ["budget", "cap"]


def test_certificate_to_dict_without_units_and_core() -> None:
    d = certificate_to_dict(_sol("optimal", "lagrangian"), "usd")
    assert d is not None
    assert d["prices"] == {"budget": "0.25", "cap": "1.5"}
    assert d["slack"] == {"budget": "10", "cap": "1/3"}
    assert d["core"] is None
    assert d["proof"] == "lagrangian"
    assert d["bound"] == "20"
    # a certificate without D writes null
    sol = _sol("feasible", "none")
    assert sol.certificate is not None
    bare = Solution(
        "feasible",
        sol.x,
        20,
        21,
        Fraction(1, 20),
        Certificate("max", {"budget": Fraction(1)}, None),
    )
    d2 = certificate_to_dict(bare, "usd")
    assert d2 is not None
    assert d2["lagrangian_bound"] is None
    assert d2["scaling"] == []
    assert d2["slack"] == {}


def test_certificate_to_dict_writes_only_checkable_optimal_proofs() -> None:
    # optimal by a proof the checker does not re-derive: no certificate at all
    assert certificate_to_dict(_sol("optimal", "core"), "usd") is None
    assert certificate_to_dict(_sol("optimal", "none"), "usd") is None
    # "search" and "lagrangian" are checkable by default
    assert certificate_to_dict(_sol("optimal", "search"), "usd") is not None
    assert certificate_to_dict(_sol("optimal", "lagrangian"), "usd") is not None
    # a caller's own list decides
    assert certificate_to_dict(_sol("optimal", "search"), "usd", ("lagrangian",)) is None
    assert certificate_to_dict(_sol("optimal", "core"), "usd", ("core",)) is not None
    # feasible plans keep their certificate whatever the proof
    assert certificate_to_dict(_sol("feasible", "core"), "usd") is not None
    # no certificate, or no bound: nothing to write
    sol = _sol("feasible", "lagrangian")
    no_cert = Solution("feasible", sol.x, 20, 21, Fraction(1, 20))
    assert certificate_to_dict(no_cert, "usd") is None
    no_bound = Solution("feasible", sol.x, 20, None, None, sol.certificate)
    assert certificate_to_dict(no_bound, "usd") is None
