"""Regional and data-residency uplifts: a price-sheet modifier chosen by the workload.

Every expected figure is derived by hand in the test."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

from costplan.api import load_inputs, optimize
from costplan.pricing.catalogs.common import Selector
from costplan.pricing.catalogs.genai_prices import import_genai_prices
from costplan.pricing.dump import dump_price_sheet
from costplan.pricing.load import load_price_sheet
from tests.cli.conftest import Runner

PRICES = """\
currency: USD
models:
  a:
    provider: openai
    input_usd_per_mtok: 2.5
    output_usd_per_mtok: 10
    request_usd: 0.000001
    regions: {eu: {uplift_pct: 10}, us: {uplift_pct: 0}}
  odd:
    provider: openai
    input_usd_per_mtok: 0.123457
    output_usd_per_mtok: 0.000001
    regions: {eu: {uplift_pct: 10}}
  b:
    provider: anthropic
    input_usd_per_mtok: 3
    output_usd_per_mtok: 15
    regions: {us: {uplift_pct: 0}}
  c:
    provider: mistral
    input_usd_per_mtok: 1
    output_usd_per_mtok: 1
"""

WORKLOAD = """\
name: regions
objective: max_quality
budget_usd: 1
region: eu
prices: prices.yaml
tasks:
  - name: t
    volume: 10
    prompt: {tokens: 1000}
    output_tokens: 100
quality:
  t: {a: 0.9, odd: 0.4, b: 0.95, c: 0.5}
"""


def _write(tmp: Path) -> Path:
    (tmp / "prices.yaml").write_text(PRICES)
    w = tmp / "workload.yaml"
    w.write_text(WORKLOAD)
    return w


def test_an_eu_workload_pays_the_uplift_rounded_up_and_loses_models_not_offered(
    tmp_path: Path,
) -> None:
    table = load_inputs(_write(tmp_path))
    by = {o.model: o for o in table.options}
    # a in eu: input 2.5 x 1.1 = 2.75, output 10 x 1.1 = 11, fee 1e-6 x 1.1 = 1.1e-6 USD:
    # 1000 x 2.75 + 100 x 11 = 3,850 micro-USD + 1.1 micro-USD = 3,851.1 micro-USD
    assert by["a"].cost_pusd == 3_851_100_000
    # odd: 0.123457 x 1.1 = 0.1358027 -> up to 0.135803; 0.000001 x 1.1 -> up to 0.000002:
    # 1000 x 0.135803 + 100 x 0.000002 = 135.803 + 0.0002 micro-USD = 135,803,200 pusd
    assert by["odd"].cost_pusd == 135_803_200
    # c lists no regions: served everywhere at its list price, 1000 + 100 = 1,100 micro-USD
    assert by["c"].cost_pusd == 1_100_000_000
    assert by["b"].excluded == "b is not offered in region eu (only us)"
    # best quality within $1: 10 queries on a cost 10 x $0.0038511 = $0.038511; b is out
    plan = optimize(table, explain=False)
    assert {a.model: a.count for t in plan.tasks for a in t.allocations} == {"a": 10}
    assert plan.cost_pusd == 38_511_000_000


def test_without_a_region_the_list_prices_hold(tmp_path: Path) -> None:
    w = _write(tmp_path)
    w.write_text(WORKLOAD.replace("region: eu\n", ""))
    by = {o.model: o for o in load_inputs(w).options}
    # 1000 x 2.5 + 100 x 10 + 1 (fee) = 3,501 micro-USD
    assert by["a"].cost_pusd == 3_501_000_000
    assert by["b"].excluded is None


def test_the_checker_applies_the_same_uplift(tmp_path: Path, run: Runner) -> None:
    out = tmp_path / "plan.yaml"
    r = run("optimize", _write(tmp_path), "-o", out, "-q")
    assert r.code == 0, r.err
    r = run("verify", out)
    assert r.code == 0, r.out + r.err


def test_regions_survive_a_dump(tmp_path: Path) -> None:
    _write(tmp_path)
    sheet = load_price_sheet(tmp_path / "prices.yaml")
    again = tmp_path / "again.yaml"
    again.write_text(dump_price_sheet(sheet))
    assert load_price_sheet(again).models["a"].regions == {"eu": Decimal(10), "us": Decimal(0)}


def test_genai_prices_regional_routes_import_as_uplifts() -> None:
    result = import_genai_prices(
        Selector(providers=("openrouter",), models=("mistralai/mistral-large-4-0",)),
        date(2026, 12, 1),
    )
    model = result.models["mistralai/mistral-large-4-0"]
    # the catalog's route mistral/eu: input 0.77 over 0.7, output 2.31 over 2.1, cache read
    # 0.077 over 0.07: each 1.1 times the standard price -> uplift 10 %
    assert model.standard.base.input_usd_per_mtok == Decimal("0.7")
    assert model.regions == {"eu": Decimal(10)}
