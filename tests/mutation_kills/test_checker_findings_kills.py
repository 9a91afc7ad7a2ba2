"""The checker's findings and number forms (costplan.verify.findings), value by value.

Written to kill mutants the suite let survive. Expected forms by hand: a plan number is read
exactly (an int, a Fraction, a finite Decimal, a decimal or ``p/q`` string with surrounding
blanks, a float through its shortest repr); amounts in messages are exact USD text of
pico-dollars (1 USD = 10^12) when they have a finite decimal form within 12 places.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from costplan.verify.findings import Findings, Violation, exact, show, usd

F = Fraction


@pytest.mark.parametrize(
    ("value", "want"),
    [
        (True, None),
        (False, None),
        (None, None),
        (0, F(0)),
        (-7, F(-7)),
        (10**30, F(10**30)),
        (F(1, 3), F(1, 3)),
        (0.1, F(1, 10)),  # the shortest repr, not the binary value
        (2.5e-7, F(25, 10**8)),
        (-0.0, F(0)),
        (float("nan"), None),
        (float("inf"), None),
        (float("-inf"), None),
        (Decimal("1.25"), F(5, 4)),
        (Decimal("NaN"), None),
        (Decimal("-Infinity"), None),
        ("  1.5 \n", F(3, 2)),
        ("1/3", F(1, 3)),
        ("-2e3", F(-2000)),
        ("x", None),
        ("1/0", None),
        ("", None),
        ([1], None),
        ({"a": 1}, None),
    ],
)
def test_exact(value: object, want: Fraction | None) -> None:
    got = exact(value)
    assert got == want
    assert got is None or type(got) is Fraction


@pytest.mark.parametrize(
    ("pusd", "want"),
    [
        (0, "0"),
        (1, "0.000000000001"),
        (10**12, "1"),
        (10**13, "10"),  # trailing zeros of a whole number stay
        (1_500_000_000_000, "1.5"),
        (3_150_000_000_000, "3.15"),
        (-2_500_000_000_000, "-2.5"),
        (F(1, 2), "5e-13"),  # half a pico-dollar: no 12-place form, 12 significant digits
        (F(10**12, 3), "0.333333333333"),
        (F(7 * 10**12, 4), "1.75"),
        (F(4 * 10**12), "4"),
    ],
)
def test_usd(pusd: int | Fraction, want: str) -> None:
    assert usd(pusd) == want


@pytest.mark.parametrize(
    ("value", "want"),
    [
        (F(3, 2), "1.5"),
        (F(5), "5"),
        (F(-1, 4), "-0.25"),
        (F(1, 10**24), "0." + "0" * 23 + "1"),  # a divisor of 10^24: decimal text
        (F(1, 3), "1/3"),
        (F(1, 2**30), "1/1073741824"),  # 2^30 does not divide 10^24 (only 2^24 does)
        (F(1, 2**24), f"{Decimal(1) / Decimal(2**24):f}"),
        (F(1, 2**25), "1/33554432"),  # 2^25 divides 10^25, not 10^24: a fraction
        ("x", "'x'"),
        (5, "5"),
        (None, "None"),
        (0.5, "0.5"),
    ],
)
def test_show(value: object, want: str) -> None:
    assert show(value) == want


def test_violations_and_findings() -> None:
    f = Findings()
    assert f.items == []
    f.add(["tasks", 0, "allocations", 2, "count"], "bad")
    f.add((), "plain")
    f.add(("totals",), "t")
    assert f.items == [
        Violation(("tasks", 0, "allocations", 2, "count"), "bad"),
        Violation((), "plain"),
        Violation(("totals",), "t"),
    ]
    assert type(f.items[0].key) is tuple
    assert [str(v) for v in f.items] == ["tasks[0].allocations[2].count: bad", "plain", "totals: t"]
    assert str(Violation((3,), "m")) == "[3]: m"
