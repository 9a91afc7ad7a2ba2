"""costplan.numbers at the edges of its rule (module docstring, README "Numbers").

Every expected value is read off the rule by hand: below 1e30 in magnitude, 0 or at least
1e-30, at most 100 characters, exponents beyond +-300 refused before any number is built,
``,`` and ``$`` only on the command line, ranges named in the message.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from costplan.errors import InputError
from costplan.numbers import (
    MAX_TEXT,
    RANGE,
    NumberRule,
    coerce_number,
    decimal_of,
    magnitude_problem,
    parse_number,
    parse_whole,
    read_number,
)

D = Decimal
LARGE, SMALL, NAN = "number is too large", "number is too small", "not a number"


def test_int_magnitude_at_1e30() -> None:
    # |x| < 10^30 is in range: 10^30 - 1 (30 nines) is, 10^30 is not, either sign.
    assert magnitude_problem(10**30 - 1) is None
    assert magnitude_problem(-(10**30 - 1)) is None
    assert magnitude_problem(10**30) == LARGE
    assert magnitude_problem(-(10**30)) == LARGE
    assert magnitude_problem(0) is None


def test_decimal_magnitude_at_both_ends() -> None:
    # adjusted() is the exponent of the leading digit: 9.99e29 -> 29 (in), 1e30 -> 30 (out).
    assert magnitude_problem(D("9.99e29")) is None
    assert magnitude_problem(D("1e30")) == LARGE
    assert magnitude_problem(D("-1e30")) == LARGE
    # 1e-30 -> -30 (in), 9.9e-31 -> -31 (out).
    assert magnitude_problem(D("1e-30")) is None
    assert magnitude_problem(D("9.9e-31")) == SMALL
    # a zero with any exponent is 0, in range; non-finite values are not this function's
    assert magnitude_problem(D("0E+40")) is None
    assert magnitude_problem(D("0E-40")) is None
    assert magnitude_problem(D("NaN")) is None
    assert magnitude_problem(D("Infinity")) is None


def test_read_number_text_length_limit() -> None:
    # 100 characters is the limit: "1" followed by 99 zeros after "0." is 101 characters.
    assert MAX_TEXT == 100
    hundred = "0." + "0" * 97 + "5"  # 2 + 97 + 1 = 100 characters, 5e-98 -> too small
    assert len(hundred) == 100
    assert read_number(hundred) == SMALL
    assert read_number(hundred + "0") == NAN  # 101 characters
    ok = "1" + "." + "0" * 98  # 100 characters, value 1
    assert read_number(ok) == D(1)
    # underscores and surrounding spaces do not count
    assert read_number("  1_0" + "_" * 150 + "0  ") == D(100)


def test_read_number_exponent_guard_at_300() -> None:
    # Exponents up to +-300 are built (a zero mantissa is then just 0); beyond, refused.
    assert read_number("0e300") == D(0)
    assert read_number("0e-300") == D(0)
    assert read_number("0e301") == LARGE
    assert read_number("0E301") == LARGE  # the exponent marker in either case
    assert read_number("0e+301") == LARGE
    assert read_number("0e-301") == SMALL
    assert read_number("0E-301") == SMALL
    assert read_number("1e301") == LARGE
    assert read_number("1e-301") == SMALL
    assert read_number("1e29") == D(10**29)
    assert read_number("-1.5e-30") == D("-1.5e-30")


def test_read_number_refuses_what_is_not_decimal_notation() -> None:
    for text in ("1e", "e5", ".", "1.2.3", "1,000", "$1", "0x1f", "true", "1e5.0", "--1", ""):
        assert read_number(text) == NAN, text
    assert read_number(".5") == D("0.5")
    assert read_number("5.") == D(5)
    assert read_number("+7") == D(7)
    assert decimal_of("1e31") is None
    assert decimal_of("x") is None
    assert decimal_of("2.50") == D("2.50")


RULE = NumberRule("--x", D("0.5"), D(1000), unit="USD", money=True)
OPEN = NumberRule("--rate", D(0), D(100), low_open=True, unit="%")
WHOLE = NumberRule("--points", D(2), D(1_000_000), whole=True)
SECONDS = NumberRule("--time-limit", D("0.010"), D("1.50"), unit="seconds")


def test_describe_names_the_range() -> None:
    assert RULE.describe() == "--x must be a number from 0.5 to 1,000 USD"
    assert OPEN.describe() == "--rate must be a number above 0 to 100%"
    assert WHOLE.describe() == "--points must be a whole number from 2 to 1,000,000"
    # trailing zeros and a bare point are dropped in messages, never zeros of an integer
    assert SECONDS.describe() == "--time-limit must be a number from 0.01 to 1.5 seconds"
    assert NumberRule("--n", D(10), D(100)).describe() == "--n must be a number from 10 to 100"
    # "1.0" -> "1." -> "1": the point goes once the zeros are gone
    assert NumberRule("--n", D("1.0"), D("20.00")).describe() == (
        "--n must be a number from 1 to 20"
    )


def test_admits_at_each_end() -> None:
    assert RULE.admits(D("0.5"))
    assert RULE.admits(D(1000))
    assert not RULE.admits(D("0.4999"))
    assert not RULE.admits(D("1000.0001"))
    assert not OPEN.admits(D(0))
    assert OPEN.admits(D("0.000001"))
    assert OPEN.admits(D(100))
    assert not OPEN.admits(D("100.01"))
    assert WHOLE.admits(D(2))
    assert WHOLE.admits(D("2E3"))
    assert WHOLE.admits(D("7.000"))
    assert not WHOLE.admits(D("2.5"))
    assert not WHOLE.admits(D(1))
    assert RULE.admits(D("2.5"))  # not a whole-number rule


def test_parse_number_cleans_command_line_text() -> None:
    assert parse_number(" $1,000 ", RULE) == D(1000)
    assert parse_number("1,0,0", RULE) == D(100)  # commas are dropped wherever they are
    assert parse_number("50%", OPEN) == D(50)
    assert parse_number("0.5", OPEN) == D("0.5")
    with pytest.raises(InputError) as info:
        parse_number("$5", OPEN)  # '$' only for money
    assert str(info.value) == "--rate must be a number above 0 to 100% (got '$5')"
    with pytest.raises(InputError) as info:
        parse_number("5%", RULE)  # '%' only for a percent unit
    assert info.value.message == RULE.describe()
    assert info.value.value == "5%"
    with pytest.raises(InputError):
        parse_number("0", OPEN)
    with pytest.raises(InputError):
        parse_number("1e31", RULE)


def test_parse_whole_is_an_int() -> None:
    got = parse_whole("2e3", WHOLE)
    assert got == 2000
    assert type(got) is int
    with pytest.raises(InputError, match="whole number from 2 to 1,000,000"):
        parse_whole("2.5", WHOLE)


def test_coerce_number_for_schemas() -> None:
    with pytest.raises(ValueError, match=r"^must be a number, not true or false$"):
        coerce_number(True, whole=False)
    assert coerce_number("lots", whole=False) == "lots"
    with pytest.raises(ValueError, match="too large") as info:
        coerce_number("1e31", whole=False)
    assert str(info.value) == f"{LARGE}; {RANGE}"
    assert RANGE == "numbers must be below 1e30 in magnitude and 0 or at least 1e-30"
    with pytest.raises(ValueError, match="too small") as info:
        coerce_number("1e-31", whole=True)
    assert str(info.value) == f"{SMALL}; {RANGE}"
    # quoted text is read exactly; a whole field gives an int, other fields the Decimal
    got = coerce_number("2e6", whole=True)
    assert got == 2_000_000
    assert type(got) is int
    got = coerce_number("2.50", whole=False)
    assert got == D("2.50")
    assert isinstance(got, Decimal)
    got = coerce_number(D("2.50"), whole=False)
    assert got == D("2.50")
    assert isinstance(got, Decimal)
    with pytest.raises(ValueError, match=r"^must be a whole number$"):
        coerce_number("2.5", whole=True)
    assert coerce_number(7, whole=True) == 7
    assert coerce_number(1.5, whole=True) == 1.5  # floats go on to the schema's check
    nan = coerce_number(D("NaN"), whole=True)  # not finite: the schema refuses it
    assert isinstance(nan, Decimal)
    assert nan.is_nan()
