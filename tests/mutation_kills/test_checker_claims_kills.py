"""The plan-wide claims (costplan.verify.claims): shares, budget, status, gap and bound.

Written to kill mutants the suite let survive. Each case is a document and the exact lines the
README's rules give for it (amounts in pico-dollars, 1 USD = 10^12; shares are caps on a
provider's spend as a fraction of the plan's total, a cap of 1 or more is no cap; a budget is a
ceiling rounded down to a pico-dollar; without a certificate a bound may be off by 1e-9 of the
objective).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from costplan.verify.claims import check_budget, check_claim, check_shares
from costplan.verify.findings import Findings

F = Fraction
PUSD = 10**12


def _shares(spend: dict[str, Fraction], total: int, caps: dict[str, Fraction]) -> list[str]:
    f = Findings()
    check_shares(f, spend, total, caps)
    return [str(v) for v in f.items]


def test_share_caps() -> None:
    spend = {"b": F(30 * PUSD), "a": F(70 * PUSD)}
    total = 100 * PUSD
    # a gets 70 of 100: a cap of 0.7 holds, 0.69 does not (69 < 70)
    assert _shares(spend, total, {"a": F(7, 10)}) == []
    assert _shares(spend, total, {"a": F(69, 100)}) == [
        "tasks: provider 'a' gets 70 USD, more than 69% of the plan's 100 USD"
    ]
    # '*' caps every provider without its own cap; the providers in sorted order
    assert _shares(spend, total, {"*": F(1, 4)}) == [
        "tasks: provider 'a' gets 70 USD, more than 25% of the plan's 100 USD",
        "tasks: provider 'b' gets 30 USD, more than 25% of the plan's 100 USD",
    ]
    assert _shares(spend, total, {"*": F(1, 4), "a": F(1), "b": F(3, 10)}) == []
    assert _shares(spend, total, {"*": F(1, 4), "b": F(2)}) == [
        "tasks: provider 'a' gets 70 USD, more than 25% of the plan's 100 USD"
    ]
    # a cap of exactly 1 is no cap (skipped); a cap of 0 forbids any spend
    assert _shares({"a": F(1)}, 0, {"a": F(1)}) == []
    assert _shares({"a": F(0)}, 0, {"a": F(0)}) == []
    assert _shares({"a": F(1)}, 1, {"a": F(0)}) == [
        "tasks: provider 'a' gets 0.000000000001 USD, more than 0% of the plan's 0.000000000001 USD"
    ]


def _budget(doc: dict[str, Any], spend: int, robust: bool = False) -> list[str]:
    f = Findings()
    check_budget(f, doc, spend, robust=robust)
    return [str(v) for v in f.items]


def test_budget() -> None:
    assert _budget({"budget_usd": "3.15"}, 3_150_000_000_000) == []
    assert _budget({"budget_usd": "3.15"}, 3_150_000_000_001) == [
        "budget_usd: cost 3.150000000001 USD exceeds the budget 3.15 USD"
    ]
    assert _budget({"budget_usd": "3.15"}, 3_150_000_000_001, robust=True) == [
        "budget_usd: p95 cost 3.150000000001 USD exceeds the budget 3.15 USD"
    ]
    # 10^-13 USD below a pico-dollar: the ceiling rounds down to 3.149999999999
    assert _budget({"budget_usd": "3.1499999999999"}, 3_150_000_000_000) == [
        "budget_usd: cost 3.15 USD exceeds the budget 3.149999999999 USD"
    ]
    assert _budget({"budget_usd": "3.1499999999999"}, 3_149_999_999_999) == []
    assert _budget({"budget_usd": "x"}, 1) == ["budget_usd: 'x' is not an amount"]
    assert _budget({"budget_usd": True}, 1) == ["budget_usd: True is not an amount"]
    assert _budget({}, 10**20) == []
    assert _budget({"objective": "max_quality"}, 1) == [
        "budget_usd: a max_quality plan needs a budget"
    ]
    assert _budget({"objective": "max_quality", "budget_usd": None}, 1) == [
        "budget_usd: a max_quality plan needs a budget"
    ]


def _claim(z: Fraction, /, **doc: Any) -> list[str]:
    f = Findings()
    check_claim(f, doc, z)
    return [str(v) for v in f.items]


MAXQ = {"objective": "max_quality", "bound_unit": "quality_queries"}
MINC = {"objective": "min_cost", "bound_unit": "usd"}


def test_status_and_gap() -> None:
    assert _claim(F(5), status="optimal", gap="0", bound="5", **MAXQ) == []
    assert _claim(F(5), status="proven", gap="0", bound="5", **MAXQ) == [
        "status: 'proven', expected 'optimal' or 'feasible'"
    ]
    assert _claim(F(5), status="optimal", gap="0.1", bound="5", **MAXQ) == [
        "gap: '0.1': an optimal plan has gap 0"
    ]
    assert _claim(F(5), status="feasible", gap="0.1", bound="6", **MAXQ) == []
    assert _claim(F(5), status="feasible", gap="-0.1", bound="6", **MAXQ) == [
        "gap: '-0.1' is not a number >= 0"
    ]
    assert _claim(F(5), status="feasible", gap="x", bound="6", **MAXQ) == [
        "gap: 'x' is not a number >= 0"
    ]
    # a feasible plan may state neither gap nor bound; an optimal one may not
    assert _claim(F(5), status="feasible", **MAXQ) == []
    assert _claim(F(5), status="optimal", **MAXQ) == [
        "gap: None is not a number >= 0",
        "bound: an optimal plan needs a bound",
    ]
    assert _claim(F(5), status="feasible", bound="6", **MAXQ) == ["gap: None is not a number >= 0"]
    assert _claim(F(5), status="feasible", gap="0", **MAXQ) == []
    # a gap stated without a bound is still judged
    assert _claim(F(5), status="feasible", gap="-1", **MAXQ) == ["gap: '-1' is not a number >= 0"]
    assert _claim(F(5), status="optimal", gap="0", bound="5", objective="max_cost") == [
        "objective: 'max_cost' is unknown"
    ]


@pytest.mark.parametrize("cert", [False, True])
def test_bound_side_and_unit(cert: bool) -> None:
    extra: dict[str, Any] = {"certificate": {}} if cert else {}
    ok = dict(status="optimal", gap="0", **extra)
    assert _claim(F(5), bound="5", **ok, **MAXQ) == []
    assert _claim(F(5), bound="4.9", **ok, **MAXQ) == [
        "bound: '4.9' is below the plan's quality 5.000000: not an upper bound"
    ]
    assert _claim(F(5), bound="5", **ok, objective="max_quality", bound_unit="usd") == [
        "bound_unit: 'usd', a max_quality bound is in 'quality_queries'"
    ]
    assert _claim(F(5), bound="5", **ok, **MINC) == []
    assert _claim(F(5), bound="5.1", **ok, **MINC) == [
        "bound: '5.1' is above the plan's cost 5.0 USD: not a lower bound"
    ]
    assert _claim(F(5), bound="5", **ok, objective="min_cost") == [
        "bound_unit: None, a min_cost bound is in 'usd'"
    ]
    # the other side of each is fine: an upper bound above, a lower bound below
    assert _claim(F(5), bound="6", status="feasible", gap="0.2", **extra, **MAXQ) == []
    assert _claim(F(5), bound="4", status="feasible", gap="0.2", **extra, **MINC) == []


def test_float_slack_without_a_certificate() -> None:
    """Without a certificate: 1e-9 of the objective. 10^12 x 1e-9 = 1000."""
    z = F(10**12)
    ok = {"status": "optimal", "gap": "0"}
    assert _claim(z, bound=str(10**12 - 1000), **ok, **MAXQ) == []
    assert _claim(z, bound=str(10**12 - 1001), **ok, **MAXQ) == [
        "bound: '999999998999' is below the plan's quality 1000000000000.000000: not an upper bound"
    ]
    assert _claim(z, bound=str(10**12 + 1000), **ok, **MINC) == []
    assert _claim(z, bound=str(10**12 + 1001), **ok, **MINC) == [
        "bound: '1000000001001' is above the plan's cost 1000000000000.0 USD: not a lower bound"
    ]
    # a negative objective: the slack is 1e-9 of its size
    assert _claim(-z, bound=str(-(10**12) + 1000), **ok, **MINC) == []
    assert _claim(-z, bound=str(-(10**12) - 1000), **ok, **MAXQ) == []
    # with a certificate, exact
    assert len(_claim(z, bound=str(10**12 + 1), certificate={}, **ok, **MINC)) == 1
    assert len(_claim(z, bound=str(10**12 - 1), certificate={}, **ok, **MAXQ)) == 1
