"""Rounding is in the user's disfavour: qualities down, floors up, derived prices up.

Each expected figure is derived by hand in a comment; the README's "Money is exact"
section states the rule.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from costplan.api import load_inputs, optimize
from costplan.assign import AssignSideConstraints, assign
from costplan.errors import InfeasibleError
from costplan.pricing.load import load_price_sheet
from costplan.queries import load_queries

PRICES = """\
currency: USD
models:
  m:
    provider: openai
    input_usd_per_mtok: 1
    output_usd_per_mtok: 2
    tokenizer: o200k_base
  s:
    provider: openai
    input_usd_per_mtok: 10
    output_usd_per_mtok: 20
    tokenizer: o200k_base
"""


def workload(tmp_path: Path, quality: str, floor: str) -> Path:
    """One task of 10 queries: m (cheap, ``quality``) or s (10x dearer, 0.9)."""
    (tmp_path / "prices.yaml").write_text(PRICES)
    w = tmp_path / "workload.yaml"
    w.write_text(
        "name: r\nobjective: min_cost\nprices: prices.yaml\n"
        "tasks:\n  - {name: t, volume: 10, prompt: {tokens: 100}, output_tokens: 10, "
        f"min_quality: {floor}}}\n"
        f"quality:\n  t: {{m: {quality}, s: 0.9}}\n"
    )
    return w


@pytest.mark.parametrize(
    ("quality", "floor", "on_s"),
    [
        # All 10 on m: mean 0.7999995 < 0.8, yet half-even made it 0.800000 and met the
        # floor. Exactly: x_s * (0.9 - 0.7999995) >= 10 * 0.0000005 -> x_s >= 1.
        ("0.7999995", "0.8", 1),
        # 0.8000004 -> 800000 (down), 0.8000005 -> 800001 (up): x_s * 99,999 >= 10 -> 1.
        ("0.8000004", "0.8000005", 1),
        # 0.800001 -> 800001 >= 800001: all on m.
        ("0.800001", "0.8000005", 0),
        ("0.8", "0.8", 0),
        # A task floor is rounded up per query (conservative): ceil(0.8999991 x 10^6) =
        # 900,000 for each of the 10, so m (899,999) never counts and all 10 go to s. The
        # exact mean rule ceil(8,999,991) would have let 9 x 899,999 + 900,000 = 8,999,991 do.
        ("0.899999", "0.8999991", 10),
    ],
)
def test_min_cost_plans_meet_floors_exactly(
    tmp_path: Path, quality: str, floor: str, on_s: int
) -> None:
    plan = optimize(load_inputs(workload(tmp_path, quality, floor)), explain=False)
    assert plan.status == "optimal"
    counts = {a.model: a.count for a in plan.tasks[0].allocations}
    assert counts.get("s", 0) == on_s
    exact_mean = (counts.get("m", 0) * Decimal(quality) + on_s * Decimal("0.9")) / 10
    if on_s:  # the plan meets the floor in exact decimals
        assert exact_mean >= Decimal(floor)


def test_qualities_round_down_in_the_objective(tmp_path: Path) -> None:
    # 0.9999999 -> 999999 micro-units (half-even would give 1000000).
    w = workload(tmp_path, "0.9999999", "0")
    w.write_text(w.read_text().replace("min_cost", "max_quality\nbudget_usd: 1000"))
    plan = optimize(load_inputs(w), explain=False)
    assert plan.quality_micro_total == 10 * 999_999


def _queries(tmp_path: Path, quality: str) -> Path:
    p = tmp_path / "q.jsonl"
    rows = [{"id": f"q{i}", "task": "t", "prompt_tokens": 10, "output_tokens": 1,
             "quality": {"m": float(quality)}} for i in range(3)]  # fmt: skip
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp_path / "prices.yaml").write_text(PRICES)
    return p


def test_assign_floors_round_up_and_qualities_down(tmp_path: Path) -> None:
    qs = load_queries(_queries(tmp_path, "0.7999995"))
    sheet = load_price_sheet(tmp_path / "prices.yaml")
    assert qs.quality_micro.tolist() == [[799_999]] * 3
    with pytest.raises(InfeasibleError):
        assign(qs, sheet, objective="min_cost", min_mean_quality=Decimal("0.8"))
    side = AssignSideConstraints({}, {}, {}, {"t": Decimal("0.8")})
    with pytest.raises(InfeasibleError):
        assign(qs, sheet, budget_pusd=10**12, side=side)
    # A mean floor of 0.7999993 over 3 queries needs ceil(2.3999979e6) = 2,399,998 micro:
    # 3 x 799,999 = 2,399,997 falls short.
    with pytest.raises(InfeasibleError):
        assign(qs, sheet, objective="min_cost", min_mean_quality=Decimal("0.7999993"))
    ok = assign(qs, sheet, objective="min_cost", min_mean_quality=Decimal("0.799999"))
    assert int(ok.quality_micro.sum()) == 3 * 799_999


def test_the_mean_floor_is_rounded_up_once_over_all_queries(tmp_path: Path) -> None:
    # Qualities 0.800001, 0.8, 0.8 = 800,001 + 800,000 + 800,000 = 2,400,001 micro-units.
    # --min-quality 0.8000001 over n = 3 queries: ceil(0.8000001 x 10^6 x 3) =
    # ceil(2,400,000.3) = 2,400,001: met exactly. Rounded per query it would need
    # 3 x ceil(800,000.1) = 2,400,003 and be refused.
    (tmp_path / "prices.yaml").write_text(PRICES)
    sheet = load_price_sheet(tmp_path / "prices.yaml")
    p = tmp_path / "q.jsonl"
    rows = [{"id": f"q{i}", "task": "t", "prompt_tokens": 10, "output_tokens": 1,
             "quality": {"m": q}} for i, q in enumerate([0.800001, 0.8, 0.8])]  # fmt: skip
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    qs = load_queries(p)
    assert qs.quality_micro.tolist() == [[800_001], [800_000], [800_000]]
    ok = assign(qs, sheet, objective="min_cost", min_mean_quality=Decimal("0.8000001"))
    assert int(ok.quality_micro.sum()) == 2_400_001
    # The task floor of the same value is per query (n x ceil(f x 10^6), conservative):
    # 2,400,003 > 2,400,001, so no plan.
    side = AssignSideConstraints({}, {}, {}, {"t": Decimal("0.8000001")})
    with pytest.raises(InfeasibleError):
        assign(qs, sheet, budget_pusd=10**12, side=side)
    # All three at 0.8: 2,400,000 < 2,400,001 (half-even or down of 2,400,000.3 would accept).
    rows = [dict(r, quality={"m": 0.8}) for r in rows]
    p.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(InfeasibleError):
        assign(load_queries(p), sheet, objective="min_cost",
               min_mean_quality=Decimal("0.8000001"))  # fmt: skip


def sheet_text(extra: str, model: str = "") -> str:
    return "currency: USD\nmodels:\n  m:\n    provider: openai\n" + model + extra


def test_discounted_prices_round_up(tmp_path: Path) -> None:
    # 0.000005 x (1 - 0.5) = 0.0000025 -> 0.000003 (half-even: 0.000002);
    # 0.000001 x 0.5 = 0.0000005 -> 0.000001 (half-even: 0, a free model).
    p = tmp_path / "p.yaml"
    p.write_text(sheet_text(
        "    batch: {discount: 0.5}\n",
        "    input_usd_per_mtok: 0.000005\n    output_usd_per_mtok: 0.000001\n",
    ))  # fmt: skip
    batch = load_price_sheet(p).models["m"].modes["batch"].base
    assert batch.input_usd_per_mtok == Decimal("0.000003")
    assert batch.output_usd_per_mtok == Decimal("0.000001")


def test_converted_prices_and_fees_round_up(tmp_path: Path) -> None:
    # 0.000001 EUR x 1.1 = 0.0000011 USD -> 0.000002 (half-even: 0.000001);
    # fee 0.000000000001 EUR x 1.1 = 1.1e-12 USD -> 2e-12 (was refused as finer than 1e-12).
    p = tmp_path / "p.yaml"
    p.write_text(
        "currency: EUR\nusd_per_unit: 1.1\nmodels:\n  m:\n    provider: x\n"
        "    input_usd_per_mtok: 0.000001\n    output_usd_per_mtok: 3\n"
        "    request_usd: 0.000000000001\n"
    )
    base = load_price_sheet(p).models["m"].standard.base
    assert base.input_usd_per_mtok == Decimal("0.000002")
    assert base.output_usd_per_mtok == Decimal("3.3")
    assert base.request_usd == Decimal("2e-12")


def test_what_if_prices_round_up(tmp_path: Path) -> None:
    from costplan.pricing.whatif import apply_price_changes, parse_price_changes

    p = tmp_path / "p.yaml"
    p.write_text(sheet_text("", "    input_usd_per_mtok: 0.000001\n    output_usd_per_mtok: 1\n"))
    sheet = apply_price_changes(load_price_sheet(p), parse_price_changes(["m=+10%"]))
    # 0.000001 x 1.1 = 0.0000011 -> 0.000002; 1 x 1.1 = 1.1 exactly.
    base = sheet.models["m"].standard.base
    assert (base.input_usd_per_mtok, base.output_usd_per_mtok) == (
        Decimal("0.000002"),
        Decimal("1.1"),
    )
