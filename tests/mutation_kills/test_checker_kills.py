"""The checker's own price arithmetic (costplan.verify.prices, .costs), value by value.

Written to kill mutants the suite let survive. Every expected figure is derived by hand in a
comment from the README's rules: USD per million tokens x 10^6 = pico-dollars per token; a
fee x 10^12 = pico-dollars; absent cache_read / cache_write bill at the input rate, absent
reasoning at the output rate; a tier applies when the input exceeds its threshold; derived
prices (currency, discount, what-if) are exact in these cases (no rounding involved) unless
a comment says otherwise (then they round up, the README's rounding table).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from costplan.errors import InputError
from costplan.verify.costs import request_cost
from costplan.verify.prices import Rates, Schedule, apply_change, load_sheets

F = Fraction
M = 10**6  # pico-dollars per token for 1 USD per million tokens

SHEET = """\
currency: USD
models:
  alpha:
    provider: Acme
    input_usd_per_mtok: 2
    output_usd_per_mtok: 8
    reasoning_usd_per_mtok: 12
    request_usd: 0.000001
    context_window: 1000
    max_output_tokens: 300
    limits: {requests_per_minute: 60, tokens_per_minute: 9000}
    tiers:
      - {above_input_tokens: 200, input_usd_per_mtok: 5, output_usd_per_mtok: 9}
      - {above_input_tokens: 100, input_usd_per_mtok: 3, output_usd_per_mtok: 8.5}
    batch: {discount: 0.5}
    flex:
      input_usd_per_mtok: 1
      output_usd_per_mtok: 4
      cache_read_usd_per_mtok: 0.25
  gamma:
    input_usd_per_mtok: 1
    output_usd_per_mtok: 1
    tokenizer: cl100k_base
    priority: {input_usd_per_mtok: 4, output_usd_per_mtok: 4}
  beta:
    provider: Other
    input_usd_per_mtok: 0.5
    output_usd_per_mtok: 1.5
    cache_read_usd_per_mtok: 0.125
    cache_write_usd_per_mtok: 0.625
"""


def sheet_file(tmp_path: Path, text: str = SHEET, name: str = "prices.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_rates_defaults_tiers_and_modes_from_the_raw_sheet(tmp_path: Path) -> None:
    sheet = load_sheets([sheet_file(tmp_path)])
    alpha, beta = sheet.models["alpha"], sheet.models["beta"]
    assert (alpha.provider, alpha.context_window, alpha.max_output_tokens) == ("Acme", 1000, 300)
    assert (alpha.requests_per_minute, alpha.tokens_per_minute) == (60, 9000)
    assert [m for m, _ in alpha.modes] == ["standard", "batch", "flex"]
    assert alpha.schedule("priority") is None
    std = alpha.schedule("standard")
    assert std is not None
    # tiers are sorted by threshold whatever the file order: 100 then 200
    assert [a for a, _ in std.tiers] == [100, 200]
    base = std.base
    assert base.per_token("input_usd_per_mtok") == 2 * M
    assert base.per_token("cache_read_usd_per_mtok") == 2 * M  # absent: the input rate
    assert base.per_token("cache_write_usd_per_mtok") == 2 * M  # absent: the input rate
    assert base.per_token("cache_write_1h_usd_per_mtok") == 2 * M  # absent: the input rate
    assert base.per_token("reasoning_usd_per_mtok") == 12 * M
    assert base.fee_pusd() == 1_000_000  # 0.000001 USD = 10^6 pusd
    # a tier's own rates only: reasoning absent there -> its output rate 8.5 USD/Mtok
    assert std.rates_for(101).per_token("reasoning_usd_per_mtok") == 8_500_000
    assert std.rates_for(101).fee_pusd() == 0  # a tier without request_usd charges no fee
    gamma = sheet.models["gamma"]
    # modes after an absent one are still read; no provider is the empty string
    assert [m for m, _ in gamma.modes] == ["standard", "priority"]
    assert gamma.schedule("priority").base.per_token("input_usd_per_mtok") == 4 * M
    assert (gamma.provider, gamma.tokenizer, alpha.tokenizer) == ("", "cl100k_base", None)
    assert beta.schedule("standard").base.per_token("cache_write_usd_per_mtok") == 625_000
    assert beta.schedule("standard").base.per_token("cache_read_usd_per_mtok") == 125_000
    # batch = standard x (1 - 0.5) on every rate of the base and every tier; fee unchanged
    batch = alpha.schedule("batch")
    assert batch.base.per_token("input_usd_per_mtok") == 1 * M
    assert batch.base.per_token("reasoning_usd_per_mtok") == 6 * M
    assert batch.base.fee_pusd() == 1_000_000
    assert [(a, r.per_token("input_usd_per_mtok")) for a, r in batch.tiers] == [
        (100, 1_500_000),
        (200, 2_500_000),
    ]
    # flex: full rates of its own, nothing inherited (no tiers, no fee, its own cache read)
    flex = alpha.schedule("flex")
    assert flex.tiers == ()
    assert flex.base.fee_pusd() == 0
    assert flex.base.per_token("cache_read_usd_per_mtok") == 250_000
    assert flex.base.per_token("reasoning_usd_per_mtok") == 4 * M


def test_request_cost_by_hand(tmp_path: Path) -> None:
    std = load_sheets([sheet_file(tmp_path)]).models["alpha"].schedule("standard")
    assert std is not None
    # input 60 + 40 = 100 does not exceed 100: base rates.
    # 60 x 2e6 + 40 x 2e6 (cache read = input) + 10 x 8e6 + 5 x 12e6 + 1e6 fee
    # = 120e6 + 80e6 + 80e6 + 60e6 + 1e6 = 341e6
    assert request_cost(std, 60, 40, 10, 5) == 341_000_000
    # input 61 + 40 = 101 > 100: first tier (3, 8.5, reasoning = 8.5, no fee)
    # 61 x 3e6 + 40 x 3e6 + 10 x 8.5e6 + 5 x 8.5e6 = 183e6 + 120e6 + 85e6 + 42.5e6 = 430.5e6
    assert request_cost(std, 61, 40, 10, 5) == 430_500_000
    # 201 > 200: second tier (5, 9): 201 x 5e6 + 2 x 9e6 = 1005e6 + 18e6
    assert request_cost(std, 201, 0, 2, 0) == 1_023_000_000


def test_foreign_currency_converts_rates_and_fees(tmp_path: Path) -> None:
    text = """\
currency: EUR
usd_per_unit: 1.5
models:
  m: {provider: p, input_usd_per_mtok: 2, output_usd_per_mtok: 0.5, request_usd: 0.000002}
"""
    base = load_sheets([sheet_file(tmp_path, text)]).models["m"].schedule("standard").base
    # 2 EUR x 1.5 = 3 USD per Mtok; 0.5 x 1.5 = 0.75; fee 0.000002 x 1.5 = 0.000003 USD
    assert base.per_token("input_usd_per_mtok") == 3 * M
    assert base.per_token("output_usd_per_mtok") == 750_000
    assert base.fee_pusd() == 3_000_000


def test_a_later_sheet_replaces_a_model_entirely(tmp_path: Path) -> None:
    first = sheet_file(tmp_path)
    second = sheet_file(
        tmp_path,
        "models:\n  beta: {provider: New, input_usd_per_mtok: 7, output_usd_per_mtok: 9}\n",
        "more.yaml",
    )
    sheet = load_sheets([first, second])
    beta = sheet.models["beta"].schedule("standard").base
    assert sheet.models["beta"].provider == "New"
    assert beta.per_token("cache_read_usd_per_mtok") == 7 * M  # not the old 0.125
    assert sorted(sheet.models) == ["alpha", "beta", "gamma"]
    assert len(sheet.files) == 2


M1 = "models:\n  m: {input_usd_per_mtok: 1, output_usd_per_mtok: 1, "
#: Structure errors name the file; a bad number names its key path only (the checker's
#: shared number reader has no file at hand).
NAMES_FILE = {"models-not-a-mapping", "zero-usd-per-unit", "model-not-a-mapping",
              "tier-not-a-mapping", "mode-not-a-mapping"}  # fmt: skip
BAD_SHEETS = {
    # id: (sheet text, the message)
    "models-not-a-mapping": ("models: [1]\n", "price sheet needs a 'models' mapping"),
    "zero-usd-per-unit": (
        "currency: EUR\nusd_per_unit: 0\nmodels: {}\n",
        "usd_per_unit: usd_per_unit must be positive",
    ),
    "no-usd-per-unit": ("currency: EUR\nmodels: {}\n", "usd_per_unit: expected a number"),
    "model-not-a-mapping": ("models:\n  m: 3\n", "models.m: a model must be a mapping"),
    "negative-price": (
        "models:\n  m: {input_usd_per_mtok: -1, output_usd_per_mtok: 1}\n",
        "models.m.input_usd_per_mtok: a price cannot be negative (got -1)",
    ),
    "text-price": (
        "models:\n  m: {input_usd_per_mtok: cheap, output_usd_per_mtok: 1}\n",
        "models.m.input_usd_per_mtok: expected a number (got 'cheap')",
    ),
    "text-fee": (M1 + "request_usd: x}\n", "models.m.request_usd: expected a number"),
    "tier-not-a-mapping": (M1 + "tiers: [3]}\n", "models.m: a tier must be a mapping"),
    "tier-threshold": (
        M1 + "tiers: [{above_input_tokens: x, input_usd_per_mtok: 1, output_usd_per_mtok: 1}]}\n",
        "models.m.tiers[0]: expected a number",
    ),
    "tier-price": (
        M1 + "tiers: [{above_input_tokens: 5, input_usd_per_mtok: -2, output_usd_per_mtok: 1}]}\n",
        "models.m.tiers[0].input_usd_per_mtok: a price cannot be negative",
    ),
    "mode-not-a-mapping": (M1 + "batch: 3}\n", "models.m: a mode must be a mapping"),
    "mode-discount": (M1 + "batch: {discount: x}}\n", "models.m.batch.discount: expected a number"),
    "mode-price": (
        M1 + "flex: {input_usd_per_mtok: y, output_usd_per_mtok: 1}}\n",
        "models.m.flex.input_usd_per_mtok: expected a number",
    ),
    # the wording of the shared number reader, whatever the field
    "context-window": (M1 + "context_window: -5}\n", "models.m.context_window: a price cannot be"),
    "max-output": (M1 + "max_output_tokens: z}\n", "models.m.max_output: expected a number"),
    "limits-requests": (
        M1 + "limits: {requests_per_minute: q}}\n",
        "models.m.limits: expected a number",
    ),
    "limits-tokens": (M1 + "limits: {tokens_per_minute: q}}\n", "models.m.limits: expected"),
}


@pytest.mark.parametrize("case", sorted(BAD_SHEETS))
def test_bad_sheets_are_refused_with_file_and_key(tmp_path: Path, case: str) -> None:
    text, message = BAD_SHEETS[case]
    path = sheet_file(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_sheets([path])
    where = f"{path}: " if case in NAMES_FILE else ""
    assert str(info.value).startswith(where + message)


def test_an_unreadable_sheet_is_named_as_a_price_sheet(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(InputError) as info:
        load_sheets([missing])
    assert str(info.value) == f"{missing}: price sheet not found"


def test_prices_finer_than_the_unit_are_refused() -> None:
    r = Rates((("input_usd_per_mtok", F(1, 10**7)),), F(0))
    with pytest.raises(InputError, match=r"input_usd_per_mtok: price 1e-07 USD per Mtok is finer"):
        r.per_token("input_usd_per_mtok")
    with pytest.raises(InputError, match=r"request_usd: request fee is finer than 1e-12 USD"):
        Rates((), F(1, 10**13)).fee_pusd()
    # an absent rate with no default (input itself absent) costs nothing
    assert Rates((), F(0)).per_token("input_usd_per_mtok") == 0


def test_rates_for_uses_the_highest_threshold_exceeded() -> None:
    def r(x: int) -> Rates:
        return Rates((("input_usd_per_mtok", F(x)),), F(0))

    s = Schedule(r(1), ((10, r(2)), (20, r(3))))
    got = [s.rates_for(n).per_token("input_usd_per_mtok") // M for n in (0, 10, 11, 20, 21)]
    assert got == [1, 1, 2, 2, 3]


# ------------------------------------------------------------------ what-if changes


def models(tmp_path: Path) -> dict[str, object]:
    return dict(load_sheets([sheet_file(tmp_path)]).models)


def rate(ms: dict, name: str, key: str, mode: str = "standard", tier: int | None = None) -> int:
    s = ms[name].schedule(mode)
    r = s.base if tier is None else s.tiers[tier][1]
    return r.per_token(key)


def test_a_change_scales_every_rate_mode_and_tier_of_the_matched_models(tmp_path: Path) -> None:
    ms = apply_change(models(tmp_path), "alph*=+50%")
    # x 1.5: input 2 -> 3, reasoning 12 -> 18, batch input 1 -> 1.5, tier 100 input 3 -> 4.5,
    # fee 0.000001 -> 0.0000015 USD = 1.5e6 pusd; beta is not matched.
    assert rate(ms, "alpha", "input_usd_per_mtok") == 3 * M
    assert rate(ms, "alpha", "reasoning_usd_per_mtok") == 18 * M
    assert rate(ms, "alpha", "input_usd_per_mtok", "batch") == 1_500_000
    assert rate(ms, "alpha", "input_usd_per_mtok", tier=0) == 4_500_000
    assert ms["alpha"].schedule("standard").base.fee_pusd() == 1_500_000
    assert rate(ms, "beta", "input_usd_per_mtok") == 500_000


def test_a_change_of_one_field_and_of_an_absent_field(tmp_path: Path) -> None:
    ms = apply_change(models(tmp_path), "alpha.input=-25%")
    # input 2 x 0.75 = 1.5; output unchanged 8; cache read was absent and stays absent:
    # it follows the new input rate
    assert rate(ms, "alpha", "input_usd_per_mtok") == 1_500_000
    assert rate(ms, "alpha", "output_usd_per_mtok") == 8 * M
    assert rate(ms, "alpha", "cache_read_usd_per_mtok") == 1_500_000
    # an absent cache read changed by itself starts from the input rate: 2 x 1.1 = 2.2
    ms = apply_change(models(tmp_path), "alpha.cache_read_usd_per_mtok = + 10 %")
    assert rate(ms, "alpha", "cache_read_usd_per_mtok") == 2_200_000
    assert rate(ms, "alpha", "input_usd_per_mtok") == 2 * M
    # reasoning of beta was absent: starts from its output rate 1.5 x 2 = 3
    ms = apply_change(models(tmp_path), "beta.reasoning=+100%")
    assert rate(ms, "beta", "reasoning_usd_per_mtok") == 3 * M
    # cache write of alpha was absent: from input 2 x 0.5 = 1
    ms = apply_change(models(tmp_path), "alpha.cache_write=-50%")
    assert rate(ms, "alpha", "cache_write_usd_per_mtok") == 1 * M
    # the fee alone: 0.000001 x 3 = 0.000003 USD; rates unchanged
    ms = apply_change(models(tmp_path), "alpha.request=+200%")
    assert ms["alpha"].schedule("standard").base.fee_pusd() == 3_000_000
    assert rate(ms, "alpha", "input_usd_per_mtok") == 2 * M


def test_a_change_by_provider_is_case_insensitive(tmp_path: Path) -> None:
    ms = apply_change(models(tmp_path), "provider:acme=+100%")
    assert rate(ms, "alpha", "input_usd_per_mtok") == 4 * M
    assert rate(ms, "beta", "input_usd_per_mtok") == 500_000
    # a model name is matched case-sensitively
    with pytest.raises(InputError, match="matches no model"):
        apply_change(models(tmp_path), "ALPHA=+1%")


def test_derived_prices_round_up_to_the_unit(tmp_path: Path) -> None:
    # README rounding table: derived prices and fees round up (the user's disfavour).
    # what-if +0.00001%: fee 0.000001 USD x 1.0000001 = 1,000,000.1 pusd -> 1,000,001;
    # input 2 x 1.0000001 = 2.0000002 USD/Mtok -> up to 2.000001 -> 2,000,001 pusd per token.
    ms = apply_change(models(tmp_path), "alpha=+0.00001%")
    assert ms["alpha"].schedule("standard").base.fee_pusd() == 1_000_001
    assert rate(ms, "alpha", "input_usd_per_mtok") == 2_000_001
    # currency: 0.000001 EUR x 1.1 = 0.0000011 USD/Mtok -> up to 0.000002 -> 2 pusd per token;
    # fee 0.000000000001 EUR x 1.1 = 1.1 pusd -> 2. A 0.9 discount on 0.000003 USD/Mtok:
    # 0.0000003 -> up to 0.000001 -> 1 pusd per token.
    text = """\
currency: EUR
usd_per_unit: 1.1
models:
  m:
    provider: p
    input_usd_per_mtok: 0.000001
    output_usd_per_mtok: 0.000003
    request_usd: 0.000000000001
    batch: {discount: 0.9}
"""
    m = load_sheets([sheet_file(tmp_path, text, "eur.yaml")]).models["m"]
    base = m.schedule("standard").base
    assert base.per_token("input_usd_per_mtok") == 2
    assert base.fee_pusd() == 2
    # output 0.000003 x 1.1 = 0.0000033 -> 0.000004; batch x 0.1 = 0.0000004 -> 0.000001
    assert base.per_token("output_usd_per_mtok") == 4
    assert m.schedule("batch").base.per_token("output_usd_per_mtok") == 1


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param("alpha", "'alpha'", id="no-equals"),
        pytest.param("alpha=10%", "'alpha=10%'", id="no-sign"),
        pytest.param("alpha=+x%", "'alpha=+x%'", id="no-number"),
        pytest.param("=+1%", "'=+1%'", id="no-target"),
        pytest.param("alpha=+1", "'alpha=+1'", id="no-percent"),
    ],
)
def test_unreadable_changes_are_refused(tmp_path: Path, text: str, shown: str) -> None:
    with pytest.raises(InputError) as info:
        apply_change(models(tmp_path), text)
    assert str(info.value) == f"--price-change: cannot read the price change (got {shown})"


def test_a_change_matching_nothing_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        apply_change(models(tmp_path), "delta=+1%")
    assert str(info.value) == "--price-change: the price change matches no model (got 'delta=+1%')"


def test_a_field_is_read_after_the_last_dot_only(tmp_path: Path) -> None:
    # "a.b.input": the model pattern is "a.b", the field input (rpartition); a name with a dot
    # and no field ("v1.5=+100%") is a pattern. 2 x 2 = 4 USD/Mtok -> 4e6 pusd per token.
    extra = (
        "  a.b:\n    provider: X\n    input_usd_per_mtok: 2\n    output_usd_per_mtok: 2\n"
        "  v1.5:\n    provider: X\n    input_usd_per_mtok: 2\n    output_usd_per_mtok: 2\n"
    )
    text = SHEET.replace("  beta:", extra + "  beta:")
    ms = dict(load_sheets([sheet_file(tmp_path, text)]).models)
    out = apply_change(ms, "a.b.input=+100%")
    assert rate(out, "a.b", "input_usd_per_mtok") == 4 * M
    assert rate(out, "a.b", "output_usd_per_mtok") == 2 * M
    out = apply_change(ms, "v1.5=+100%")
    assert rate(out, "v1.5", "output_usd_per_mtok") == 4 * M


def test_a_fee_change_is_rounded_to_one_pico_dollar(tmp_path: Path) -> None:
    # 0.000001 USD x 1.000001 = 0.000001000001 USD = 1,000,001 pusd exactly (odd: a coarser
    # unit would move it)
    ms = apply_change(models(tmp_path), "alpha.request=+0.0001%")
    assert ms["alpha"].schedule("standard").base.fee_pusd() == 1_000_001


# ------------------------------------------------------------------ option costs (Pricer)

WORKLOAD = """\
name: w
tasks:
  - name: t
    volume: 10
    prompt: {samples: "*.txt"}
    shared_prefix_tokens: 20
    output_tokens: {mean: 9.5, p95: 30}
    reasoning_tokens: 5
measured_cost_usd:
  t: {alpha: 0.0005, zero: 0.0001}
"""
EXTRA = """\
  narrow: {provider: p, input_usd_per_mtok: 1, output_usd_per_mtok: 1, context_window: 154}
  fits: {provider: p, input_usd_per_mtok: 1, output_usd_per_mtok: 1, context_window: 155}
  short: {provider: p, input_usd_per_mtok: 1, output_usd_per_mtok: 1, max_output_tokens: 34}
  enough: {provider: p, input_usd_per_mtok: 1, output_usd_per_mtok: 1, max_output_tokens: 35}
  zero: {provider: p, input_usd_per_mtok: 0, output_usd_per_mtok: 0, batch: {discount: 0.5}}
"""
#: Prompt token counts, fixed (not tokenised): 1..10 and 100, so n = 11, the sum is 155,
#: and the p95 sample is at rank ceil(0.95 x 10) = 10 of the sorted counts: 100.
COUNTS = [7, 1, 100, 3, 9, 2, 8, 4, 6, 10, 5]


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


@pytest.fixture
def pricer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from costplan.verify.costs import Pricer
    from costplan.verify.tasks import read_workload

    sheet = load_sheets([sheet_file(tmp_path, SHEET + EXTRA)])
    w = read_workload(sheet_file(tmp_path, WORKLOAD, "workload.yaml"))
    p = Pricer(w, sheet)
    monkeypatch.setattr(p, "prompt_counts", lambda _task, _model: list(COUNTS))
    return p


def test_option_cost_mean_p95_and_tokens_by_hand(pricer) -> None:  # type: ignore[no-untyped-def]
    task = pricer.w.tasks[0]
    alpha = pricer.sheet.models["alpha"]
    tok = pricer.token_cost(task, alpha, "standard")
    # output {mean 9.5, p95 30} bills 10 and 30. Per request with u prompt tokens:
    # u + 20 <= 100 (u <= 10): base 2e6 u + 20 x 2e6 + 10 x 8e6 + 5 x 12e6 + 1e6 = 2e6 u + 181e6,
    #   over u = 1..10: 2e6 x 55 + 10 x 181e6 = 1,920e6;
    # u = 100 (120 > 100): tier (3, 8.5, reasoning 8.5, no fee):
    #   300e6 + 60e6 + 85e6 + 42.5e6 = 487.5e6.
    # cost = ceil((1,920e6 + 487.5e6) / 11) = ceil(218,863,636.36...) = 218,863,637
    assert tok.cost == 218_863_637
    # p95: u = 100 with 30 output tokens: 300e6 + 60e6 + 30 x 8.5e6 + 5 x 8.5e6 = 657.5e6
    assert tok.cost_p95 == 657_500_000
    assert tok.prompt_mean == F(155, 11)
    assert tok.tokens_per_query == 15 + 20 + 10 + 5  # ceil(155 / 11) = 15
    assert tok.excluded is None
    assert tok.source == "tokens"


def test_measured_cost_replaces_standard_and_scales_other_modes(pricer) -> None:  # type: ignore[no-untyped-def]
    task = pricer.w.tasks[0]
    alpha = pricer.sheet.models["alpha"]
    std = pricer.option(task, alpha, "standard")
    # 0.0005 USD = 5e8 pusd replaces the standard cost; p95 scales by 5e8 / 218,863,637
    assert (std.cost, std.source) == (500_000_000, "measured")
    assert std.cost_p95 == ceil_div(657_500_000 * 500_000_000, 218_863_637)
    assert std.tokens_per_query == 50
    # batch halves every rate (fee unchanged): u <= 10: 1e6 u + 20e6 + 40e6 + 30e6 + 1e6,
    # sum 55e6 + 910e6 = 965e6; u = 100 on the halved tier: 150e6 + 30e6 + 42.5e6 + 21.25e6
    # = 243.75e6; token cost ceil(1,208.75e6 / 11) = ceil(109,886,363.6) = 109,886,364.
    batch = pricer.option(task, alpha, "batch")
    new = ceil_div(500_000_000 * 109_886_364, 218_863_637)
    assert batch.cost == new
    # batch p95 tokens: 150e6 + 30e6 + 30 x 4.25e6 + 5 x 4.25e6 = 328.75e6, scaled likewise
    assert batch.cost_p95 == ceil_div(328_750_000 * new, 109_886_364)
    assert pricer.option(task, alpha, "standard") is std  # memoised per (task, model, mode)


def test_measured_cost_of_free_tokens_is_used_as_is(pricer) -> None:  # type: ignore[no-untyped-def]
    task = pricer.w.tasks[0]
    zero = pricer.sheet.models["zero"]
    # tokens cost nothing: the measured 0.0001 USD = 1e8 pusd in every mode, p95 too
    for mode in ("standard", "batch"):
        c = pricer.option(task, zero, mode)
        assert (c.cost, c.cost_p95, c.source) == (100_000_000, 100_000_000, "measured")


def test_context_window_and_max_output_exclusions(pricer) -> None:  # type: ignore[no-untyped-def]
    task = pricer.w.tasks[0]
    ms = pricer.sheet.models
    # p95 request: 100 + 20 shared + 30 output + 5 reasoning = 155 tokens; output 35
    assert pricer.option(task, ms["narrow"], "standard").excluded == (
        "p95 request of 155 tokens exceeds the context window"
    )
    assert pricer.option(task, ms["fits"], "standard").excluded is None
    assert pricer.option(task, ms["short"], "standard").excluded == (
        "p95 output of 35 tokens exceeds max output"
    )
    assert pricer.option(task, ms["enough"], "standard").excluded is None
    # no measured cost for these: token costs. fits, every rate $1/Mtok = 1e6 pusd per token:
    # u + 20 + 10 + 5 tokens per request, (155 + 11 x 35) / 11 = 540 / 11 = 49.0909... x 1e6
    # -> ceil(49,090,909.09) = 49,090,910
    fits = pricer.option(task, ms["fits"], "standard")
    assert (fits.cost, fits.source) == (49_090_910, "tokens")


def test_p95_rank_on_21_samples(pricer, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    # 21 counts 1..20 and 1000: rank ceil(0.95 x 20) = 19 of the sorted counts is 20, not 1000.
    # p95 request on alpha: 20 + 20 = 40 <= 100, base rates:
    # 20 x 2e6 + 20 x 2e6 + 30 x 8e6 + 5 x 12e6 + 1e6 = 40e6 + 40e6 + 240e6 + 60e6 + 1e6 = 381e6
    monkeypatch.setattr(pricer, "prompt_counts", lambda _t, _m: [*range(1, 21), 1000])
    tok = pricer.token_cost(pricer.w.tasks[0], pricer.sheet.models["alpha"], "standard")
    assert tok.cost_p95 == 381_000_000


def test_prompt_counts_follow_tokenizer_field_and_subsample(tmp_path: Path) -> None:
    # Relative oracles (no token count is assumed): a factor-3 tokenizer counts
    # ceil(3 x the exact o200k count); a JSONL field counts like the same text in its own
    # file; max_samples 2 keeps 2 of the 3 prompts.
    from costplan.verify.costs import Pricer
    from costplan.verify.tasks import read_workload

    texts = ["one", "two two, and more words", "three three three: a longer prompt here"]
    (tmp_path / "j").mkdir()
    (tmp_path / "j" / "p.jsonl").write_text("".join(f'{{"prompt": "{t}"}}\n' for t in texts))
    (tmp_path / "t").mkdir()
    for i, t in enumerate(texts):
        (tmp_path / "t" / f"{i}.txt").write_text(t)
    sheet = load_sheets([sheet_file(tmp_path, """\
models:
  exact: {provider: p, input_usd_per_mtok: 1, output_usd_per_mtok: 1, tokenizer: o200k_base}
  triple:
    provider: p
    input_usd_per_mtok: 1
    output_usd_per_mtok: 1
    tokenizer: {family: custom, factor: 3}
""")])  # fmt: skip
    w = read_workload(sheet_file(tmp_path, """\
name: w
tasks:
  - {name: jl, volume: 1, prompt: {samples: "j/*.jsonl", field: prompt}, output_tokens: 1}
  - {name: txt, volume: 1, prompt: {samples: "t/*.txt"}, output_tokens: 1}
  - {name: few, volume: 1, prompt: {samples: "t/*.txt", max_samples: 2}, output_tokens: 1}
""", "workload.yaml"))  # fmt: skip
    p = Pricer(w, sheet)
    jl, txt, few = w.tasks
    exact, triple = sheet.models["exact"], sheet.models["triple"]
    base = p.prompt_counts(txt, exact)
    assert len(base) == 3
    assert len(set(base)) == 3  # the prompts differ in length
    assert p.prompt_counts(jl, exact) == base
    assert p.prompt_counts(txt, triple) == [3 * c for c in base]
    picked = p.prompt_counts(few, exact)
    assert len(picked) == 2
    assert set(picked) <= set(base)
