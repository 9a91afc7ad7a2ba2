"""Names that carry between catalogs: aliases, dated ids and canonical provider ids.

Every expected figure is worked out by hand in the test from the sheet's prices.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from costplan.api import load_inputs, optimize
from costplan.errors import InputError
from costplan.pricing import names
from costplan.pricing.catalogs.common import Selector
from costplan.pricing.catalogs.genai_prices import import_genai_prices
from costplan.pricing.catalogs.litellm import import_litellm
from costplan.pricing.diff import diff_price_sheets
from costplan.pricing.dump import dump_price_sheet
from costplan.pricing.load import load_price_sheet, load_price_sheets
from costplan.verify import names as checker_names
from tests.cli.conftest import Runner

AS_OF = date(2026, 1, 15)

SHEET = """\
currency: USD
models:
  claude-sonnet-4-5:
    provider: anthropic
    input_usd_per_mtok: 3
    output_usd_per_mtok: 15
    aliases: [claude-sonnet-4-5-20250929]
  gpt-4o:
    provider: openai
    input_usd_per_mtok: 2.5
    output_usd_per_mtok: 10
    alias_prefixes: [gpt-4o-20]
  gemini-2.5-flash:
    provider: vertex_ai-language-models
    input_usd_per_mtok: 0.3
    output_usd_per_mtok: 2.5
  gemini-2.5-pro:
    provider: gemini
    input_usd_per_mtok: 1.25
    output_usd_per_mtok: 10
"""


def _workload(tmp: Path, quality: str, extra: str = "") -> Path:
    (tmp / "prices.yaml").write_text(SHEET)
    w = tmp / "workload.yaml"
    w.write_text(
        "name: names\nperiod: month\nobjective: min_cost\nprices: prices.yaml\n"
        "tasks:\n  - name: t\n    volume: 1000\n    prompt: {tokens: 1000}\n"
        f"    output_tokens: 100\n    min_quality: 0.85\nquality:\n  t: {quality}\n{extra}"
    )
    return w


def test_a_dated_id_and_a_prefix_alias_find_their_price(tmp_path: Path) -> None:
    w = _workload(tmp_path, "{claude-sonnet-4-5-20250929: 0.9, gpt-4o-2024-08-06: 0.8}")
    table = load_inputs(w)
    by_model = {o.model: o for o in table.options}
    # claude: 1000 x $3/M + 100 x $15/M = $0.003 + $0.0015 = $0.0045 = 4.5e9 pico-dollars
    assert by_model["claude-sonnet-4-5-20250929"].cost_pusd == 4_500_000_000
    # gpt-4o (prefix gpt-4o-20): 1000 x $2.5/M + 100 x $10/M = $0.0025 + $0.001 = 3.5e9
    assert by_model["gpt-4o-2024-08-06"].cost_pusd == 3_500_000_000
    assert by_model["claude-sonnet-4-5-20250929"].provider == "anthropic"
    # mean quality >= 0.85 with 0.9 and 0.8: half the queries on each, the cheapest
    # mix: 500 x $0.0045 + 500 x $0.0035 = $2.25 + $1.75 = $4.00
    plan = optimize(table, explain=False)
    assert plan.cost_pusd == 4_000_000_000_000


def test_the_checker_resolves_the_same_names(tmp_path: Path, run: Runner) -> None:
    w = _workload(tmp_path, "{claude-sonnet-4-5-20250929: 0.9, gpt-4o-2024-08-06: 0.8}")
    out = tmp_path / "plan.yaml"
    r = run("optimize", w, "-o", out, "-q")
    assert r.code == 0, r.err
    r = run("verify", out)
    assert r.code == 0, r.out + r.err


def test_provider_ids_are_one_whatever_the_catalog(tmp_path: Path) -> None:
    sheet = load_price_sheets([_workload(tmp_path, "{}").parent / "prices.yaml"])
    assert sheet.models["gemini-2.5-flash"].provider == "google"
    assert sheet.models["gemini-2.5-pro"].provider == "google"
    for spelling in ("google", "gemini", "vertex_ai-language-models", "Vertex_AI", "GEMINI"):
        assert names.canonical_provider(spelling) == "google"
        assert checker_names.provider_id(spelling) == "google"
    assert names.canonical_provider("some-new-host") == "some-new-host"


def test_a_share_cap_named_by_another_catalogs_id_caps_the_provider(tmp_path: Path) -> None:
    # gemini-2.5-pro (provider gemini -> google) at 0.9 would cost 1000 x (1000 x 1.25 +
    # 100 x 10)/1e6 = 1000 x $0.00225 = $2.25; a cap of 0 on "vertex_ai-language-models"
    # (also google) forbids it, leaving claude-sonnet-4-5 at $4.50.
    w = _workload(
        tmp_path,
        "{claude-sonnet-4-5: 0.9, gemini-2.5-pro: 0.9}",
        "constraints:\n  max_provider_share: {vertex_ai-language-models: 0}\n",
    )
    plan = optimize(load_inputs(w), explain=False)
    assert plan.cost_pusd == 4_500_000_000_000
    w.write_text(w.read_text().replace("max_provider_share: {vertex_ai-language-models: 0}",
                                       "max_provider_share: {anthropic: 0}"))  # fmt: skip
    assert optimize(load_inputs(w), explain=False).cost_pusd == 2_250_000_000_000


def test_the_checker_and_the_package_share_one_provider_table() -> None:
    from_checker = {
        s: one for one, spellings in checker_names.PROVIDERS.items() for s in (one, *spellings)
    }
    assert from_checker == dict(names.PROVIDER_IDS)


def test_an_alias_naming_another_model_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(SHEET.replace("aliases: [claude-sonnet-4-5-20250929]", "aliases: [GPT-4o]"))
    with pytest.raises(InputError, match=r"alias is the name of model 'gpt-4o'") as e:
        load_price_sheet(p)
    assert "models.claude-sonnet-4-5.aliases" in e.value.render()


def test_longest_prefix_wins_and_exact_names_first() -> None:
    index = names.AliasIndex([("a", (), ("gpt-4o",)), ("b", ("gpt-4o-x",), ("gpt-4o-mini",))])
    assert index.canonical("gpt-4o-mini-2024") == "b"
    assert index.canonical("gpt-4o-2024") == "a"
    assert index.canonical("gpt-4o-x") == "b"
    assert index.canonical("claude") is None


def test_litellm_alias_of_entries_become_aliases(tmp_path: Path) -> None:
    catalog = tmp_path / "litellm.json"
    catalog.write_text(json.dumps({
        "claude-sonnet-4-5": {"litellm_provider": "anthropic", "mode": "chat",
                              "input_cost_per_token": 3e-06, "output_cost_per_token": 1.5e-05},
        "claude-sonnet-4-5-20250929": {"alias_of": "claude-sonnet-4-5",
                                       "litellm_provider": "anthropic", "mode": "chat"},
        "sonnet-latest": {"alias_of": "claude-sonnet-4-5-20250929",
                          "litellm_provider": "anthropic", "mode": "chat"},
        "orphan": {"alias_of": "not-there", "litellm_provider": "anthropic", "mode": "chat"},
        "gemini/gemini-2.5-pro": {"litellm_provider": "gemini", "mode": "chat",
                                  "input_cost_per_token": 1.25e-06,
                                  "output_cost_per_token": 1e-05},
    }))  # fmt: skip
    result = import_litellm(catalog, Selector(), AS_OF)
    assert sorted(result.models) == ["claude-sonnet-4-5", "gemini/gemini-2.5-pro"]
    claude = result.models["claude-sonnet-4-5"]
    assert claude.aliases == ("claude-sonnet-4-5-20250929", "sonnet-latest")
    assert result.models["gemini/gemini-2.5-pro"].provider == "google"
    skipped = {f.model: f.reason for f in result.of_kind("skipped")}
    assert skipped == {"orphan": "alias of 'not-there', which is not imported"}
    # the written sheet keeps the aliases, and a dated id finds the price through them
    out = tmp_path / "sheet.yaml"
    out.write_text(dump_price_sheet(result.sheet()))
    back = load_price_sheet(out)
    assert back.models["sonnet-latest"].standard.base.input_usd_per_mtok == Decimal(3)
    assert back.models["sonnet-latest"].name == "sonnet-latest"
    assert list(back.models) == ["claude-sonnet-4-5", "gemini/gemini-2.5-pro"]


def test_genai_prices_matchers_are_kept_and_price_a_dated_id(tmp_path: Path) -> None:
    from genai_prices import Usage, calc_price

    result = import_genai_prices(Selector(providers=("anthropic", "openai")), AS_OF)
    gpt = result.models["gpt-4o"]
    assert "gpt-4o-2024-08-06" in gpt.aliases
    claude = result.models["claude-sonnet-4-5"]
    assert "claude-sonnet-4-5" in claude.alias_prefixes
    out = tmp_path / "sheet.yaml"
    out.write_text(dump_price_sheet(result.sheet()))
    sheet = load_price_sheet(out)
    for dated, provider in (("claude-sonnet-4-5-20250929", "anthropic"),
                            ("gpt-4o-2024-08-06", "openai")):  # fmt: skip
        model = sheet.models[dated]
        rates = model.standard.base
        # 1000 input and 100 output tokens, priced by hand from the sheet's rates ...
        ours = (1000 * rates.input_usd_per_mtok + 100 * rates.output_usd_per_mtok) / 10**6
        # ... equal genai-prices' own price for the dated id
        theirs = calc_price(
            Usage(input_tokens=1000, output_tokens=100),
            dated,
            provider_id=provider,
            genai_request_timestamp=None,
        ).total_price
        assert ours == theirs, dated


def test_prices_diff_across_catalogs_matches_by_canonical_name(tmp_path: Path) -> None:
    old = tmp_path / "old.yaml"
    old.write_text(
        "currency: USD\nmodels:\n"
        "  claude-sonnet-4-5-20250929: {provider: anthropic, input_usd_per_mtok: 3,"
        " output_usd_per_mtok: 15}\n"
        "  gemini/gemini-2.5-pro: {provider: gemini, input_usd_per_mtok: 1.25,"
        " output_usd_per_mtok: 10}\n"
    )
    new = tmp_path / "new.yaml"
    new.write_text(
        "currency: USD\nmodels:\n"
        "  claude-sonnet-4-5: {provider: anthropic, input_usd_per_mtok: 3.3,"
        " output_usd_per_mtok: 15, aliases: [claude-sonnet-4-5-20250929]}\n"
        "  gemini-2.5-pro: {provider: google, input_usd_per_mtok: 1.25,"
        " output_usd_per_mtok: 10}\n"
    )
    d = diff_price_sheets(load_price_sheet(old), load_price_sheet(new))
    assert d.added == ()
    assert d.removed == ()
    (change,) = d.changed  # gemini is the same model at the same prices
    assert change.name == "claude-sonnet-4-5-20250929 = claude-sonnet-4-5"
    (field,) = change.changes
    # (3.3 - 3) / 3 x 100 = 10.00 %
    assert (field.field, field.old, field.new, field.pct) == (
        "input_usd_per_mtok", Decimal(3), Decimal("3.3"), Decimal("10.00"),
    )  # fmt: skip
