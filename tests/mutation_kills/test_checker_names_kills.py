"""The checker's reading of regions, aliases, alias prefixes, latency and cache minimums
(costplan.verify.prices: ``_Reader.model``, ``in_region``, ``named``), value by value.

Written to kill mutants the suite let survive. Expected figures by hand from the README:
a region's ``uplift_pct`` multiplies every rate and fee by ``(100 + uplift) / 100`` (derived
prices round up to 10^-6 USD/Mtok, fees to 10^-12 USD); a model listing regions is usable only
in those; a model listing none is billed as is everywhere. A name resolves to the model, else
the model listing it under ``aliases`` (the first such model; an alias that is another
model's own name stays that model's), else a variant's base, else the longest
``alias_prefixes`` entry; the model is then known under the name asked for.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from costplan.errors import InputError
from costplan.verify.prices import in_region, load_sheets

F = Fraction

SHEET = """\
models:
  eu-model:
    provider: Acme
    input_usd_per_mtok: 2
    output_usd_per_mtok: 1.000001
    request_usd: 0.000000000003
    batch: {discount: 0.5}
    regions: {eu: {uplift_pct: 10}, us: null, ap: {}}
    aliases: [eu-alias, 7]
    latency_ms: {p95: 900}
    min_cacheable_tokens: 1024
  plain:
    provider: Other
    input_usd_per_mtok: 1
    output_usd_per_mtok: 3
    aliases: [eu-alias, eu-model, shared]
    alias_prefixes: [plain-, pl]
    flex: {input_usd_per_mtok: 0.5, output_usd_per_mtok: 1.5, latency_ms: {p95: 40000}}
  us-only:
    input_usd_per_mtok: 4
    output_usd_per_mtok: 4
    regions: {us: {uplift_pct: 25}}
    alias_prefixes: [plain-x]
"""


def _sheet(tmp_path: Path, text: str = SHEET):  # type: ignore[no-untyped-def]
    path = tmp_path / "prices.yaml"
    path.write_text(text)
    return load_sheets([path])


def _rates(model, mode: str = "standard") -> dict[str, Fraction]:  # type: ignore[no-untyped-def]
    sched = model.schedule(mode)
    assert sched is not None
    return dict(sched.base.usd_per_mtok)


def test_fields_read_from_the_raw_sheet(tmp_path: Path) -> None:
    m = _sheet(tmp_path).models
    eu = m["eu-model"]
    assert eu.regions == (("eu", F(10)), ("us", F(0)), ("ap", F(0)))  # null / {}: no uplift
    assert eu.aliases == ("eu-alias", "7")
    assert eu.alias_prefixes == ()
    assert eu.latency_p95 == (("standard", 900),)
    assert eu.min_cacheable_tokens == 1024
    plain = m["plain"]
    assert plain.aliases == ("eu-alias", "eu-model", "shared")
    assert plain.alias_prefixes == ("plain-", "pl")
    assert plain.latency_p95 == (("flex", 40000),)  # a mode's own latency, under its name
    assert plain.regions == ()
    assert plain.min_cacheable_tokens is None


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("regions: {eu: {uplift_pct: x}}", "models.m.regions.eu: expected a number"),
        ("latency_ms: {p95: x}", "models.m.latency_ms: expected a number"),
        ("min_cacheable_tokens: x", "models.m.min_cache: expected a number"),
    ],
)
def test_bad_fields_are_refused_with_their_key(tmp_path: Path, field: str, message: str) -> None:
    text = f"models:\n  m: {{input_usd_per_mtok: 1, output_usd_per_mtok: 1, {field}}}\n"
    with pytest.raises(InputError) as info:
        _sheet(tmp_path, text)
    assert str(info.value).startswith(message)


def test_names_resolve_aliases_prefixes_and_variants(tmp_path: Path) -> None:
    m = _sheet(tmp_path).models
    # an alias: the first model listing it (eu-model lists eu-alias before plain does)
    assert m["eu-alias"].provider == "Acme"
    assert m["eu-alias"].name == "eu-alias"  # known under the name asked for
    assert m["7"].provider == "Acme"  # a number in the list is read as its text
    # plain lists eu-model as an alias, but that is a model's own name: it stays that model
    assert m["eu-model"].provider == "Acme"
    assert m["shared"].provider == "Other"
    # prefixes: the longest entry the name starts with (plain-x of us-only beats plain-)
    assert m.get("plain-y").provider == "Other"
    assert m.get("plain-y").name == "plain-y"
    assert m.get("plus").provider == "Other"  # "pl"
    assert _rates(m["plain-xl"]) == {"input_usd_per_mtok": F(4), "output_usd_per_mtok": F(4)}
    assert m["plain-xl"].name == "plain-xl"
    # a variant is priced as its base
    assert m["shared@high"].provider == "Other"
    assert m["shared@high"].name == "shared@high"
    assert m.get("nothing-like-it") is None
    assert "nothing-like-it" not in m
    assert "shared" in m


def test_the_first_model_listing_a_prefix_keeps_it(tmp_path: Path) -> None:
    text = (
        "models:\n"
        "  first: {provider: A, input_usd_per_mtok: 1, output_usd_per_mtok: 1,"
        " alias_prefixes: [fam-]}\n"
        "  second: {provider: B, input_usd_per_mtok: 2, output_usd_per_mtok: 2,"
        " alias_prefixes: [fam-], aliases: [x1]}\n"
        "  third: {provider: C, input_usd_per_mtok: 3, output_usd_per_mtok: 3, aliases: [x1]}\n"
    )
    m = _sheet(tmp_path, text).models
    assert m["fam-7"].provider == "A"
    assert m["x1"].provider == "B"


def test_no_region_is_the_sheet_as_is(tmp_path: Path) -> None:
    sheet = _sheet(tmp_path)
    assert in_region(sheet, None) is sheet


def test_a_region_uplifts_rates_and_fees_and_drops_other_regions_models(tmp_path: Path) -> None:
    sheet = _sheet(tmp_path)
    eu = in_region(sheet, "eu")
    assert eu.files == sheet.files
    # us-only lists regions, not eu: not usable in eu; plain lists none: as is
    assert sorted(dict.keys(eu.models)) == ["eu-model", "plain"]
    assert "us-only" not in eu.models
    model = eu.models["eu-model"]
    # input 2 x 110/100 = 2.2; output 1.000001 x 1.1 = 1.1000011 -> up to 1.100002
    assert _rates(model) == {
        "input_usd_per_mtok": F(22, 10),
        "output_usd_per_mtok": F(1100002, 10**6),
    }
    # the fee 3e-12 x 1.1 = 3.3e-12 -> up to 4e-12 USD
    assert model.schedule("standard").base.fee_usd == F(4, 10**12)  # type: ignore[union-attr]
    # the batch mode (half of 2 and of 1.000001 -> 1, 0.500001) is uplifted too:
    # 1 x 1.1 = 1.1; 0.500001 x 1.1 = 0.5500011 -> 0.550002
    assert _rates(model, "batch") == {
        "input_usd_per_mtok": F(11, 10),
        "output_usd_per_mtok": F(550002, 10**6),
    }
    assert [mode for mode, _ in model.modes] == ["standard", "batch"]
    assert model.latency_p95 == (("standard", 900),)  # only prices change
    assert _rates(eu.models["plain"]) == {"input_usd_per_mtok": F(1), "output_usd_per_mtok": F(3)}
    # the region's sheet still resolves aliases
    assert eu.models["eu-alias"].provider == "Acme"
    assert _rates(eu.models["eu-alias"])["input_usd_per_mtok"] == F(22, 10)


def test_a_region_listed_without_uplift_bills_as_is(tmp_path: Path) -> None:
    us = in_region(_sheet(tmp_path), "us")
    assert sorted(dict.keys(us.models)) == ["eu-model", "plain", "us-only"]
    assert _rates(us.models["eu-model"]) == {
        "input_usd_per_mtok": F(2),
        "output_usd_per_mtok": F(1000001, 10**6),
    }
    assert us.models["eu-model"].schedule("standard").base.fee_usd == F(3, 10**12)  # type: ignore[union-attr]
    # 25%: 4 x 1.25 = 5
    assert _rates(us.models["us-only"]) == {"input_usd_per_mtok": F(5), "output_usd_per_mtok": F(5)}
    # a region no model lists: only the models listing none remain
    assert sorted(dict.keys(in_region(_sheet(tmp_path), "mars").models)) == ["plain"]


# ------------------------------------------------------------------ costplan.verify.names itself


def test_provider_ids() -> None:
    from costplan.verify.names import PROVIDERS, provider_id

    # every spelling in the README's table is its provider, in any case
    for one, spellings in PROVIDERS.items():
        for s in (one, *spellings):
            assert provider_id(s) == one
            assert provider_id(s.upper()) == one
    assert provider_id("Vertex_AI-Anthropic") == "google"  # any vertex_ai-* id
    assert provider_id("vertex_ai") == "google"
    assert provider_id("vertex_ai_beta") == "vertex_ai_beta"  # not vertex_ai-*: as written
    assert provider_id("Acme") == "Acme"  # unknown: kept as written, case and all
    assert provider_id("xvertex_ai-x") == "xvertex_ai-x"


def test_one_id_shares_keeps_the_smaller_cap() -> None:
    from costplan.verify.names import one_id_shares

    got = one_id_shares({"Gemini": F(1, 2), "vertex": F(1, 3), "*": F(9, 10), "OpenAI": F(1),
                         "Acme": F(1, 5)})  # fmt: skip
    assert got == {"google": F(1, 3), "*": F(9, 10), "openai": F(1), "Acme": F(1, 5)}
    got = one_id_shares({"vertex": F(1, 3), "google": F(1, 2)})  # the smaller, either order
    assert got == {"google": F(1, 3)}
    assert one_id_shares({}) == {}


def test_named_lookups() -> None:
    from costplan.verify.names import Named, canonical_model

    models: Named[Any] = Named(
        {"base": 1, "other": 2, "pre-long": 3},
        {"al": "base", "al@x": "other"},
        {"pre-": "other", "pre-lo": "pre-long"},
        lambda value, name: (value, name),
    )
    assert models.target("base") == "base"
    assert models.target("al") == "base"
    assert models.target("al@x") == "other"  # an alias spelled with @ is an alias first
    assert models.target("base@high") == "base"  # a variant: split at the last @
    # al@a@b: base al@a (split at the last @), itself a variant of al, an alias of base
    assert models.target("al@a@b") == "base"
    # al@x@high: split at the last @ (al@x, an alias of other), not the first (al)
    assert models.target("al@x@high") == "other"
    assert models.target("base@") is None  # no level
    assert models.target("@high") is None  # no base
    assert models.target("pre-longer") == "pre-long"  # the longest prefix
    assert models.target("pre-x") == "other"
    assert models.target("nothing") is None
    assert models.target(7) is None
    assert models["base"] == 1  # its own name: the value as is
    assert models["al"] == (1, "al")  # renamed to the name asked for
    assert models["base@high"] == (1, "base@high")
    with pytest.raises(KeyError, match="nothing"):
        models["nothing"]
    assert "al" in models
    assert "nothing" not in models
    assert not models.__contains__(7)
    assert models.get("nothing") is None
    assert models.get("nothing", "d") == "d"
    assert models.get("pre-x") == (2, "pre-x")
    assert models.get("base", "d") == 1
    assert canonical_model(models, "al@x") == "other"
    assert canonical_model(models, "nothing") == "nothing"
    assert canonical_model({"a": 1}, "a") == "a"  # a plain mapping has no aliases
