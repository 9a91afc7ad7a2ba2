"""The checker's cache choices, minimum cacheable prefixes, cheapest step and integer square
root (costplan.verify.costs), value by value.

Written to kill mutants the suite let survive. Expected figures by hand from the README
("Prompt caching"): with a policy, ``none`` bills the prefix as input; a hit reads it at
``cache_read``; a miss writes it at the TTL's write price (1h falls back to the 5-minute write,
that to input); an option's cost is ``h x hit + (1 - h) x miss`` (rounded up once).
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pytest

from costplan.verify.costs import Pricer, cache_choices, ceil_root, min_cacheable
from costplan.verify.prices import Model, load_sheets
from costplan.verify.tasks import read_workload

F = Fraction
M6 = 10**6  # pico-dollars per token for 1 USD per million tokens


def _model(name: str, provider: str, minimum: int | None = None) -> Model:
    return Model(name, provider, (), None, None, None, None, None, minimum)


@pytest.mark.parametrize(
    ("name", "provider", "sheet", "want"),
    [
        ("claude-sonnet-4-6", "anthropic", 0, 0),  # the sheet's value wins, 0 included
        ("anything", "openai", 777, 777),
        ("claude-opus-4-5", "anthropic", None, 4096),
        ("claude-opus-4-6", "aws", None, 4096),  # by name, whoever serves it
        ("anthropic.claude-haiku-4-5-v1", "aws", None, 4096),
        ("Claude-Sonnet-4-6", "google", None, 2048),  # names compared in lower case
        ("claude-3-haiku", "anthropic", None, 2048),
        ("claude-3-5-haiku-latest", "anthropic", None, 2048),
        ("claude-sonnet-4-5", "anthropic", None, 1024),  # other Anthropic models
        ("claude-sonnet-4-5", "Anthropic", None, 1024),
        ("gemini-2.5-pro", "google", None, 4096),
        ("Gemini-2.5-PRO-preview", "google", None, 4096),
        ("gemini-2.5-flash", "google", None, 1024),
        ("gemini-pro-proxy", "openai", None, 1024),  # OpenAI: 1,024 whatever the name
        ("my-gemini-pro", "google", None, 1024),  # the pattern is anchored: gemini-*pro*
        ("mistral-large", "mistral", None, 1024),
    ],
)
def test_minimum_cacheable_prefix_defaults(
    name: str, provider: str, sheet: int | None, want: int
) -> None:
    assert min_cacheable(_model(name, provider, sheet)) == want


def test_integer_square_root_rounds_up() -> None:
    assert [ceil_root(F(x)) for x in (-5, 0, 1, 2, 3, 4, 5, 9, 10, 16, 17)] == [
        0, 0, 1, 2, 2, 2, 3, 3, 4, 4, 5,
    ]  # fmt: skip
    assert ceil_root(F(1, 4)) == 1  # 0^2 < 1/4 <= 1^2
    assert ceil_root(F(9, 4)) == 2  # 1 < 2.25 <= 4
    assert ceil_root(F(10**12)) == 10**6
    assert ceil_root(F(10**12 + 1)) == 10**6 + 1
    for x in range(0, 300):  # against the standard library's isqrt
        r = math.isqrt(x)
        assert ceil_root(F(x)) == (r if r * r == x else r + 1), x


SHEET = """\
models:
  cachy:
    provider: anthropic
    input_usd_per_mtok: 1
    cache_read_usd_per_mtok: 0.1
    cache_write_usd_per_mtok: 1.25
    cache_write_1h_usd_per_mtok: 2
    output_usd_per_mtok: 1
    min_cacheable_tokens: 0
    flex: {input_usd_per_mtok: 1, cache_read_usd_per_mtok: 0.1, output_usd_per_mtok: 1}
  no1h:
    provider: anthropic
    input_usd_per_mtok: 1
    cache_read_usd_per_mtok: 0.1
    cache_write_usd_per_mtok: 1.25
    output_usd_per_mtok: 1
    min_cacheable_tokens: 0
  tiny:
    provider: anthropic
    input_usd_per_mtok: 1
    output_usd_per_mtok: 1
    context_window: 500
    min_cacheable_tokens: 0
  big-minimum:
    provider: anthropic
    input_usd_per_mtok: 1
    output_usd_per_mtok: 1
    min_cacheable_tokens: 1001
  tiered:
    provider: anthropic
    input_usd_per_mtok: 1
    cache_read_usd_per_mtok: 0.1
    cache_write_usd_per_mtok: 1.25
    cache_write_1h_usd_per_mtok: 2
    output_usd_per_mtok: 1
    min_cacheable_tokens: 0
    tiers:
      - {above_input_tokens: 1099, input_usd_per_mtok: 10, cache_read_usd_per_mtok: 1,
         cache_write_usd_per_mtok: 12.5, cache_write_1h_usd_per_mtok: 20, output_usd_per_mtok: 10}
"""
WORKLOAD = """\
name: w
tasks:
  - {name: plain, volume: 1, prompt: {tokens: 100}, shared_prefix_tokens: 1000, output_tokens: 10}
  - name: auto
    volume: 1
    prompt: {tokens: 100}
    shared_prefix_tokens: 1000
    output_tokens: 10
    cache: {hit_rate: {5m: 0.5, 1h: 0.9}, ttl: auto}
  - name: auto-slow-1h
    volume: 1
    prompt: {tokens: 100}
    shared_prefix_tokens: 1000
    output_tokens: 10
    cache: {hit_rate: {5m: 0.5, 1h: 0.5}}
  - name: fixed-1h
    volume: 1
    prompt: {tokens: 100}
    shared_prefix_tokens: 1000
    output_tokens: 10
    cache: {hit_rate: 0.9, ttl: 1h}
  - name: at-minimum
    volume: 1
    prompt: {tokens: 100}
    shared_prefix_tokens: 1001
    output_tokens: 10
    cache: {hit_rate: 0.9}
  - name: fixed-5m
    volume: 1
    prompt: {tokens: 100}
    shared_prefix_tokens: 1000
    output_tokens: 10
    cache: {hit_rate: 0.9, ttl: 5m}
"""
# Per query (pusd), prompt 100, prefix P = 1000, output 10; cachy's rates per token:
# input 1e6, read 1e5, 5m write 1.25e6, 1h write 2e6, output 1e6.
#   hit   = 100e6 + 1000 x 1e5 + 10e6      = 210e6   (also the no-policy cost)
#   none  = 1100e6 + 10e6                  = 1,110e6
#   miss5 = 100e6 + 1000 x 1.25e6 + 10e6   = 1,360e6;  5m at h 0.5: 785e6; at 0.9: 325e6
#   miss1 = 100e6 + 1000 x 2e6 + 10e6      = 2,110e6;  1h at h 0.9: 400e6; at 0.5: 1,160e6
# no1h has no 1h write: its 1h miss falls back to the 5m write, 1,360e6: at 0.9, 325e6.
HIT, NONE = 210 * M6, 1110 * M6


@pytest.fixture
def setup(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "prices.yaml").write_text(SHEET)
    (tmp_path / "workload.yaml").write_text(WORKLOAD)
    sheet = load_sheets([tmp_path / "prices.yaml"])
    w = read_workload(tmp_path / "workload.yaml")
    return Pricer(w, sheet), {t.name: t for t in w.tasks}, sheet.models


def test_cache_choices_by_policy_model_and_mode(setup) -> None:  # type: ignore[no-untyped-def]
    _, t, m = setup
    assert cache_choices(t["plain"], m["cachy"], "standard") == [("", None)]
    both = [("none", None), ("5m", None), ("1h", None)]
    assert cache_choices(t["auto"], m["cachy"], "standard") == both
    # flex has no 1h write price of its own: 1h is not offered there (auto: no reason)
    assert cache_choices(t["auto"], m["cachy"], "flex") == [("none", None), ("5m", None)]
    assert cache_choices(t["auto"], m["cachy"], "batch") == [("none", None), ("5m", None)]
    assert cache_choices(t["auto"], m["no1h"], "standard") == [("none", None), ("5m", None)]
    assert cache_choices(t["fixed-1h"], m["cachy"], "standard") == [("1h", None)]
    assert cache_choices(t["fixed-1h"], m["no1h"], "standard") == [
        ("1h", "no1h has no 1-hour cache write price")
    ]
    assert cache_choices(t["fixed-5m"], m["no1h"], "standard") == [("5m", None)]
    # a prefix of 1,000 below the model's minimum of 1,001: only no caching
    assert cache_choices(t["auto"], m["big-minimum"], "standard") == [("none", None)]
    assert cache_choices(t["plain"], m["big-minimum"], "standard") == [("", None)]


def test_option_costs_by_cache_choice(setup) -> None:  # type: ignore[no-untyped-def]
    p, t, m = setup
    cachy = m["cachy"]
    assert p.option(t["plain"], cachy, "standard").cost == HIT
    assert p.option(t["auto"], cachy, "standard", "none").cost == NONE
    assert p.option(t["auto"], cachy, "standard", "5m").cost == 785 * M6
    assert p.option(t["auto"], cachy, "standard", "1h").cost == 400 * M6
    assert p.option(t["auto-slow-1h"], cachy, "standard", "1h").cost == 1160 * M6
    assert p.option(t["fixed-1h"], m["no1h"], "standard", "1h").cost == 325 * M6
    c = p.option(t["auto"], cachy, "standard", "5m")
    assert (c.cost_p95, c.sd, c.samples) == (785 * M6, 0, 1)  # one fixed prompt


def test_cheapest_cache_choice_of_a_step(setup) -> None:  # type: ignore[no-untyped-def]
    p, t, m = setup
    best = p.cheapest(t["auto"], m["cachy"], "standard")
    assert (best.cost, best.excluded) == (400 * M6, None)  # 1h beats 5m (785e6), none
    best = p.cheapest(t["auto-slow-1h"], m["cachy"], "standard")
    assert (best.cost, best.excluded) == (785 * M6, None)  # 5m beats 1h (1,160e6), none
    best = p.cheapest(t["plain"], m["cachy"], "standard")
    assert (best.cost, best.excluded) == (HIT, None)
    # a fixed 1h on a model without the price: priced (325e6), but excluded with the reason
    step = p.cheapest(t["fixed-1h"], m["no1h"], "standard")
    assert (step.cost, step.excluded) == (325 * M6, "no1h has no 1-hour cache write price")
    assert (step.cost_p95, step.source, step.samples) == (325 * M6, "tokens", 1)
    assert step.tokens_per_query == 100 + 1000 + 10
    # an option already excluded keeps its own reason: 100 + 1000 + 10 > 500
    step = p.cheapest(t["auto"], m["tiny"], "standard")
    assert step.excluded == "p95 request of 1,110 tokens exceeds the context window"


def test_a_prefix_exactly_at_the_minimum_is_cacheable(setup) -> None:  # type: ignore[no-untyped-def]
    _, t, m = setup
    # 1,001 prefix tokens, minimum 1,001: not shorter, so cached (no 1h price: none, 5m)
    assert cache_choices(t["at-minimum"], m["big-minimum"], "standard") == [
        ("none", None), ("5m", None)
    ]  # fmt: skip


def test_cache_writes_count_towards_the_tier(setup) -> None:  # type: ignore[no-untyped-def]
    p, t, m = setup
    tiered = m["tiered"]
    # every request has 100 + 1,000 = 1,100 input tokens (read or written) > 1,099: the tier
    #   hit   = 100 x 10e6 + 1000 x 1e6 + 10 x 10e6     = 2,100e6
    #   miss5 = 1000e6 + 1000 x 12.5e6 + 100e6          = 13,600e6; 5m at 0.5: 7,850e6
    #   miss1 = 1000e6 + 1000 x 20e6 + 100e6            = 21,100e6; 1h at 0.9: 4,000e6
    assert p.option(t["auto"], tiered, "standard", "5m").cost == 7850 * M6
    assert p.option(t["auto"], tiered, "standard", "1h").cost == 4000 * M6


def test_p95_rank_on_18_samples(setup, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    p, t, m = setup
    monkeypatch.setattr(p, "prompt_counts", lambda _task, _model: list(range(18, 0, -1)))
    # rank ceil(0.95 x 17) = ceil(16.15) = 17 of the sorted 1..18: 18 prompt tokens;
    # no policy: 18e6 + 1000 x 1e5 + 10e6 = 128e6
    assert p.option(t["plain"], m["cachy"], "standard").cost_p95 == 128 * M6
