"""Content validation (issue 11): escaped text, one number rule, merge keys, messages.

Oracles are written by hand (expected strings and arithmetic in comments), never
the code's own output.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from costplan.errors import InputError
from costplan.money import fmt_over_budget
from costplan.numbers import NumberRule, coerce_number, parse_number, read_number
from costplan.textsafe import printable, printable_lines
from costplan.yamlsource import parse_yaml_text
from tests.cli.conftest import Runner, edit

# --- text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain ascii", "plain ascii"),
        ("t\x1b]0;PWNED\x07", "t\\x1b]0;PWNED\\x07"),
        ("a\nb\tc\rd", "a\\nb\\tc\\rd"),
        ("csi \x9b31m", "csi \\x9b31m"),
        ("del \x7f nul \x00", "del \\x7f nul \\x00"),
        ("rtl \u202eevil\u202c", "rtl \\u202eevil\\u202c"),
        ("sep \u2028 \u2029", "sep \\u2028 \\u2029"),
        ("ünïcödé 模型 🙂", "ünïcödé 模型 🙂"),
    ],
)
def test_printable_escapes_every_control_character(raw: str, shown: str) -> None:
    assert printable(raw) == shown
    assert "\n" not in printable(raw)


def test_printable_lines_keeps_only_newlines() -> None:
    assert printable_lines("a\x1b[2J\nb\t") == "a\\x1b[2J\nb\\t"


# --- numbers ---------------------------------------------------------------------------

BUDGET = NumberRule("--budget", Decimal(0), Decimal(10**12), unit="USD", money=True)
POINTS = NumberRule("--points", Decimal(2), Decimal(1000), whole=True)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("12000", Decimal(12000)),
        ("$12,000.50", Decimal("12000.50")),
        ("1.2e4", Decimal(12000)),
        ("1_000", Decimal(1000)),
        ("0", Decimal(0)),
        ("1e12", Decimal(10**12)),
    ],
)
def test_budget_accepted(text: str, value: Decimal) -> None:
    assert parse_number(text, BUDGET) == value


@pytest.mark.parametrize(
    "text", ["1e999", "1e999999999", "nan", "inf", "-inf", "-1", "1e12.5", "abc", "", "9" * 40,
             "1.000000000001e12", "0x10", "true"],
)  # fmt: skip
def test_budget_refused_with_one_message(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_number(text, BUDGET)
    assert str(info.value) == (
        f"--budget must be a number from 0 to 1,000,000,000,000 USD (got {text!r})"
    )


@pytest.mark.parametrize(
    ("text", "ok"),
    [("2", True), ("1e3", True), ("1000.0", True), ("2.5", False), ("1001", False), ("1", False)],
)
def test_whole_numbers_by_value_not_notation(text: str, ok: bool) -> None:
    if ok:
        assert parse_number(text, POINTS) == Decimal(text)
    else:
        with pytest.raises(InputError, match="must be a whole number from 2 to 1,000"):
            parse_number(text, POINTS)


def test_read_number_names_the_range_problem() -> None:
    assert read_number("1e31") == "number is too large"
    assert read_number("1e-31") == "number is too small"
    assert read_number("1e999999999") == "number is too large"  # never built
    assert read_number("$1") == "not a number"
    assert read_number("2.50") == Decimal("2.50")


def test_schema_coercion_refuses_booleans_and_fractions() -> None:
    with pytest.raises(ValueError, match="not true or false"):
        coerce_number(True, whole=True)
    with pytest.raises(ValueError, match="not true or false"):
        coerce_number(False, whole=False)
    with pytest.raises(ValueError, match="whole number"):
        coerce_number(Decimal("2.5"), whole=True)
    assert coerce_number(Decimal("2E+6"), whole=True) == 2_000_000
    assert type(coerce_number(Decimal("2E+6"), whole=True)) is int
    assert coerce_number("lots", whole=True) == "lots"  # the schema names it


# --- money in messages -----------------------------------------------------------------

P = 10**12  # pico-dollars per USD


@pytest.mark.parametrize(
    ("cost", "budget", "expected"),
    [
        # 14,210.55 over 12,000: cents suffice.
        (1421055 * P // 100, 12000 * P, ("$14,210.55", "$12,000.00", "$2,210.55")),
        # $0.5201 over $0.52: the shortfall 0.0001 needs 4 places.
        (5201 * P // 10000, 52 * P // 100, ("$0.5201", "$0.5200", "$0.0001")),
        # $0.521 over $0.5195: the budget needs 4 places; so does the shortfall 0.0015.
        (521 * P // 1000, 5195 * P // 10000, ("$0.5210", "$0.5195", "$0.0015")),
        # 1 pico-dollar over: 12 places; cost up, budget down.
        (P // 2 + 1, P // 2, ("$0.500000000001", "$0.500000000000", "$0.000000000001")),
        # budget $0.0001 is shown exactly (4 places), cost 0.01400...1 rounded up.
        (14 * P // 1000 + 1, P // 10000, ("$0.0141", "$0.0001", "$0.0140")),
    ],
)
def test_over_budget_amounts(cost: int, budget: int, expected: tuple[str, str, str]) -> None:
    assert fmt_over_budget(cost, budget) == expected


# --- YAML merge keys -------------------------------------------------------------------


def test_merge_keys_explicit_wins_earlier_merge_wins_lines_kept() -> None:
    text = (
        "base: &base {provider: a, input_usd_per_mtok: 1, output_usd_per_mtok: 2}\n"  # 1
        "other: &other {provider: z, context_window: 1000}\n"  # 2
        "m:\n"  # 3
        "  <<: [*base, *other]\n"  # 4
        "  input_usd_per_mtok: 5\n"  # 5
    )
    doc = parse_yaml_text(text, Path("p.yaml"))
    assert doc.data["m"] == {
        "provider": "a",  # *base is listed first: it wins over *other
        "input_usd_per_mtok": 5,  # explicit wins over merged
        "output_usd_per_mtok": 2,
        "context_window": 1000,
    }
    assert doc.lines[("m", "input_usd_per_mtok")] == 5
    assert doc.lines[("m", "output_usd_per_mtok")] == 1  # where the anchor wrote it
    assert doc.lines[("m", "context_window")] == 2


def test_merge_key_needs_a_mapping_and_duplicates_stay_errors() -> None:
    with pytest.raises(InputError, match=r"p.yaml:2: m: a merge key '<<' takes a mapping"):
        parse_yaml_text("a: &a [1]\nm: {<<: *a}\n", Path("p.yaml"))
    # Two explicit x: still an error (line 5, the second), merge keys or not.
    with pytest.raises(InputError, match=r"p.yaml:5: m: duplicate key 'x'"):
        parse_yaml_text("a: &a {x: 1}\nm:\n  <<: *a\n  x: 2\n  x: 3\n", Path("p.yaml"))


def test_yaml_1_2_exponent_is_a_number() -> None:
    doc = parse_yaml_text("a: 1e6\nb: '1e6'\nc: 2E-3\n", Path("x.yaml"))
    assert doc.data == {"a": Decimal("1e6"), "b": "1e6", "c": Decimal("0.002")}


# --- through the CLI -------------------------------------------------------------------


def test_usage_errors_are_one_line_exit_2(run: Runner, basic: Path) -> None:
    r = run("optimize", basic / "workload.yaml", "--budgett", "5")
    assert r.code == 2
    assert r.err == (
        "error: costplan optimize: No such option: --budgett (Possible options: --budget, "
        "--quiet); see 'costplan optimize --help'\n"
    )
    r = run("optimiz")
    assert (r.code, r.err.count("\n")) == (2, 1)
    assert r.err.startswith("error: costplan: No such command 'optimiz'")


@pytest.mark.parametrize(
    "args",
    [
        ("--time-limit", "nan"),
        ("--time-limit", "1e999"),
        ("--gap", "inf"),
        ("--budget", "1e999"),
    ],
)
def test_numeric_options_use_the_shared_rule(
    run: Runner, basic: Path, args: tuple[str, str]
) -> None:
    r = run("optimize", basic / "workload.yaml", *args)
    assert r.code == 2
    assert r.err.startswith(f"error: {args[0]} must be a number from ")
    assert r.err.endswith(f"(got {args[1]!r})\n")


def test_escape_in_a_task_name_never_reaches_the_terminal(run: Runner, basic: Path) -> None:
    edit(basic / "workload.yaml", "name: a\n", 'name: "a\\e]0;PWNED\\a[bold]x"\n')
    edit(basic / "workload.yaml", "\n  a:", '\n  "a\\e]0;PWNED\\a[bold]x":')
    r = run("optimize", basic / "workload.yaml")
    assert r.code == 0, r.err
    assert "\x1b" not in r.out
    assert "\x07" not in r.out
    assert "a\\x1b]0;PWNED\\x07[bold]x" in r.out  # escaped, and markup shown as text
    md = basic / "plan.md"
    r = run("optimize", basic / "workload.yaml", "-q", "--report", md)
    assert r.code == 0, r.err
    assert "\x1b" not in md.read_text()


def test_zero_volume_makes_a_floor_vacuous(run: Runner, basic: Path) -> None:
    # Task a: volume 0 and a floor no model reaches; b is served as usual.
    text = (basic / "workload.yaml").read_text()
    assert "min_quality: 0.8" in text
    edit(basic / "workload.yaml", "min_quality: 0.8", "min_quality: 0.999")
    r = run("optimize", basic / "workload.yaml", "-q")
    assert r.code == 1
    assert "needs min_quality 0.999" in r.err
    volume_line = next(line for line in text.splitlines() if "volume:" in line)
    edit(basic / "workload.yaml", volume_line, volume_line.split(":")[0] + ": 0")
    out = basic / "plan.yaml"
    r = run("optimize", basic / "workload.yaml", "-q", "-o", out)
    assert r.code == 0, r.err
    import yaml

    plan = yaml.safe_load(out.read_text())
    first = plan["tasks"][0]
    assert (first["volume"], first["allocations"], first["cost_usd"]) == (0, [], "0")


def test_missing_package_is_named_with_its_install_command(
    run: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "genai_prices", None)  # import raises ModuleNotFoundError
    r = run("prices", "import", "--from", "genai-prices", "-o", tmp_path / "p.yaml")
    assert r.code == 2
    assert r.err == (
        "error: the Python package 'genai-prices' is not installed (module 'genai_prices'); "
        "install it with: pip install genai-prices\n"
    )
    assert not (tmp_path / "p.yaml").exists()
