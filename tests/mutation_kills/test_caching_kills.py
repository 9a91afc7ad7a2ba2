"""Prompt caching as billed (costplan.pricing.caching) against an oracle from its docstring.

The oracle prices each request in Fractions from the Decimal rates (as in
test_cost_kills.py: the highest tier whose threshold the request's input, uncached +
cached + both writes, exceeds; cache reads at input when unset; 5-minute writes at input
when unset; 1-hour writes at their own rate, else the 5-minute one), then mixes hit and miss
as ``h x hit + (1 - h) x miss``. Break-even rates and notes are worked by hand in comments.
It shares nothing with costplan.pricing.cost.
"""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from costplan.pricing.caching import (
    BreakEven,
    break_even,
    break_even_note,
    expected_cost_pusd,
    min_cacheable_tokens,
    sample_costs_pusd,
    ttls_offered,
)
from costplan.pricing.model import ModelPrice, PriceSchedule, Rates, Tier

D = Decimal
F = Fraction
SEED = 20_261_204


def oracle(s: PriceSchedule, u: int, c: int, o: int, r: int, w: int = 0, h: int = 0) -> int:
    rates, best = s.base, -1
    for t in s.tiers:
        if u + c + w + h > t.above_input_tokens and t.above_input_tokens > best:
            best, rates = t.above_input_tokens, t.rates
    inp = F(rates.input_usd_per_mtok)
    cr = F(rates.cache_read_usd_per_mtok) if rates.cache_read_usd_per_mtok is not None else inp
    cw = F(rates.cache_write_usd_per_mtok) if rates.cache_write_usd_per_mtok is not None else inp
    h1 = rates.cache_write_1h_usd_per_mtok
    cw1h = F(h1) if h1 is not None else cw
    out = F(rates.output_usd_per_mtok)
    rs = F(rates.reasoning_usd_per_mtok) if rates.reasoning_usd_per_mtok is not None else out
    usd = (u * inp + c * cr + w * cw + h * cw1h + o * out + r * rs) / 10**6
    pusd = (usd + F(rates.request_usd)) * 10**12
    assert pusd.denominator == 1
    return int(pusd)


def expected(
    s: PriceSchedule, prompts: list[int], o: int, r: int, p: int, cache: str, hit: Decimal | None
) -> list[Fraction]:
    if cache == "":
        return [F(oracle(s, u, p, o, r)) for u in prompts]
    if cache == "none":
        return [F(oracle(s, u + p, 0, o, r)) for u in prompts]
    assert hit is not None
    h = F(hit)
    got = []
    for u in prompts:
        miss = oracle(s, u, 0, o, r, w=p) if cache == "5m" else oracle(s, u, 0, o, r, h=p)
        got.append(h * oracle(s, u, p, o, r) + (1 - h) * miss)
    return got


def random_rates(rng: random.Random) -> Rates:
    def price() -> Decimal:
        return D(rng.randint(0, 9_000_000)) / 10**6

    def maybe() -> Decimal | None:
        return price() if rng.random() < 0.6 else None

    fee = D(rng.randint(1, 999)) / 10**12 if rng.random() < 0.3 else D(0)
    return Rates(price(), price(), maybe(), maybe(), maybe(), maybe(), fee)


def test_sample_costs_match_the_oracle() -> None:
    rng = random.Random(SEED)
    print("seed", SEED)
    for _ in range(300):
        tiers = sorted(rng.sample(range(1, 4000), rng.randint(0, 2)))
        s = PriceSchedule(random_rates(rng), tuple(Tier(t, random_rates(rng)) for t in tiers))
        prompts = [rng.randint(0, 3000) for _ in range(rng.choice((1, 1, 2, 5)))]
        o, r, p = rng.randint(0, 900), rng.randint(0, 300), rng.randint(0, 3000)
        if tiers and rng.random() < 0.5:  # the prefix alone takes the request past a tier
            prompts[0], p = 0, tiers[0] - rng.randint(-1, 1)
        cache = rng.choice(("", "none", "5m", "1h"))
        hit = D(rng.randint(0, 1000)) / 1000 if cache in ("5m", "1h") else None
        arr = np.array(prompts, dtype=np.int64)
        nums, den = sample_costs_pusd(s, arr, o, r, p, cache, hit)
        want = expected(s, prompts, o, r, p, cache, hit)
        assert [F(n, den) for n in nums] == want
        assert expected_cost_pusd(s, arr, o, r, p, cache, hit) == sum(want)


# Anthropic-like: input 1, read 0.1, 5m write 1.25, 1h write 2, output 5 ($/Mtok); a tier
# above 5,000 input tokens doubles every rate.
HAIKU = Rates(D(1), D(5), D("0.1"), D("1.25"), D(2))
HAIKU2 = Rates(D(2), D(10), D("0.2"), D("2.5"), D(4))
TIERED = PriceSchedule(HAIKU, (Tier(5000, HAIKU2),))


def test_costs_by_hand_with_a_tier_crossed_by_the_prefix() -> None:
    # prompt 1,000, prefix 4,500, output 100 (input 5,500 > 5,000: the tier's rates),
    # in micro-dollars (1e6 pusd):
    # hit  = 1,000 x 2 + 4,500 x 0.2 + 100 x 10 = 3,900
    # 5m miss = 2,000 + 4,500 x 2.5 + 1,000 = 14,250; 1h miss = 2,000 + 18,000 + 1,000 = 21,000
    # none = 5,500 x 2 + 1,000 = 12,000
    # 5m at h = 0.25: 0.25 x 3,900 + 0.75 x 14,250 = 975 + 10,687.5 = 11,662.5
    # 1h at h = 0.25: 975 + 15,750 = 16,725
    one = np.array([1000], dtype=np.int64)
    m = 10**6
    assert expected_cost_pusd(TIERED, one, 100, 0, 4500, "", None) == 3900 * m
    assert expected_cost_pusd(TIERED, one, 100, 0, 4500, "none", None) == 12000 * m
    assert expected_cost_pusd(TIERED, one, 100, 0, 4500, "5m", D("0.25")) == F(116625, 10) * m
    assert expected_cost_pusd(TIERED, one, 100, 0, 4500, "1h", D("0.25")) == 16725 * m
    nums, den = sample_costs_pusd(TIERED, one, 100, 0, 4500, "5m", D("0.25"))
    assert (nums, den) == ([1 * 3900 * m + 3 * 14250 * m], 4)  # h = 1/4: p = 1, q - p = 3
    # two prompts, 1,000 and 100: the second stays below the tier only when read (4,600)
    # hit: 3,900 and 100 + 450 + 500 = 1,050 (base rates); 5m miss 14,250 and
    # 100 + 4,500 x 1.25 + 500 = 6,225 (input 4,600 <= 5,000: base rates). h = 1/2.
    two = np.array([1000, 100], dtype=np.int64)
    nums, den = sample_costs_pusd(TIERED, two, 100, 0, 4500, "5m", D("0.5"))
    assert [F(n, den) for n in nums] == [F(3900 + 14250, 2) * m, F(1050 + 6225, 2) * m]
    # reasoning tokens at the output rate (the tier's 10): 50 x 10 = 500 more than 3,900
    assert expected_cost_pusd(TIERED, one, 100, 50, 4500, "", None) == 4400 * m


def test_a_cache_choice_needs_a_ttl_and_a_hit_rate() -> None:
    one = np.array([10], dtype=np.int64)
    with pytest.raises(ValueError, match="cache choice '5m' needs a TTL and its hit rate"):
        sample_costs_pusd(TIERED, one, 1, 0, 5, "5m", None)
    with pytest.raises(ValueError, match="cache choice '10m' needs"):
        sample_costs_pusd(TIERED, one, 1, 0, 5, "10m", D("0.5"))
    # "" and "none" take no hit rate (a rate given is not read)
    assert sample_costs_pusd(TIERED, one, 1, 0, 5, "none", D("0.5"))[1] == 1
    assert sample_costs_pusd(TIERED, one, 1, 0, 5, "", D("0.5"))[1] == 1


def m(name: str, provider: str, minimum: int | None = None) -> ModelPrice:
    return ModelPrice(name, provider, PriceSchedule(HAIKU), min_cacheable_tokens=minimum)


@pytest.mark.parametrize(
    ("provider", "name", "tokens"),
    [
        ("aws", "Claude-Opus-4-5-v1", 4096),  # by name, whoever serves it, any case
        ("vertex", "claude-opus-4-6", 4096),
        ("anthropic", "claude-haiku-4-5", 4096),
        ("Anthropic", "claude-sonnet-4-6", 2048),
        ("x", "claude-3-haiku", 2048),
        ("x", "claude-3-5-haiku", 2048),
        ("ANTHROPIC", "claude-sonnet-4", 1024),
        ("OpenAI", "gpt-5", 1024),
        ("google", "Gemini-2.5-PRO", 4096),
        ("vertex", "gemini-2.0-flash", 1024),
        ("acme", "gemini", 1024),
        ("acme", "model", 1024),
        # the provider rows come first: a "gemini-*pro*" name served by Anthropic or OpenAI
        ("Anthropic", "gemini-2.5-pro", 1024),
        ("OPENAI", "gemini-2.5-pro", 1024),
    ],
)
def test_documented_minimums(provider: str, name: str, tokens: int) -> None:
    assert min_cacheable_tokens(m(name, provider)) == tokens


def test_the_sheet_minimum_wins_even_when_zero() -> None:
    assert min_cacheable_tokens(m("claude-opus-4-5", "anthropic", 0)) == 0
    assert min_cacheable_tokens(m("x", "acme", 7)) == 7


def test_ttls_offered() -> None:
    assert ttls_offered(PriceSchedule(HAIKU)) == ("5m", "1h")
    assert ttls_offered(PriceSchedule(Rates(D(1), D(2), D("0.5"), D(2)))) == ("5m",)
    # a tier's 1-hour price does not count: the base rates decide
    assert ttls_offered(PriceSchedule(Rates(D(1), D(2)), (Tier(10, HAIKU),))) == ("5m",)


def test_break_even_by_hand() -> None:
    be = break_even(PriceSchedule(HAIKU), D("0.6"))
    # 5m: (1.25 - 1) / (1.25 - 0.1) = 0.25 / 1.15 = 5/23; 1h: (2 - 1) / (2 - 0.1) = 10/19
    # 1h over 5m at h5 = 0.6: 1 - 0.4 x (1.15 / 1.9) = 1 - 0.4 x 23/38 = 1 - 46/190 = 72/95
    assert be == BreakEven({"5m": F(5, 23), "1h": F(10, 19)}, F(72, 95))
    assert break_even(PriceSchedule(HAIKU), None) == BreakEven(
        {"5m": F(5, 23), "1h": F(10, 19)}, None
    )
    # OpenAI-like: no write price (writes at input): caching pays at any hit rate
    assert break_even(PriceSchedule(Rates(D(1), D(2), D("0.5"))), D("0.6")) == BreakEven(
        {"5m": F(0)}, None
    )
    # writes cheaper than input but dearer than reads: (0.8 - 1) / ... < 0 -> 0
    assert break_even(PriceSchedule(Rates(D(1), D(2), D("0.5"), D("0.8"))), None) == BreakEven(
        {"5m": F(0)}, None
    )
    # a write exactly at the read rate: no division, 0
    assert break_even(PriceSchedule(Rates(D(1), D(2), D("0.5"), D("0.5"))), None) == BreakEven(
        {"5m": F(0)}, None
    )
    # reads not cheaper than input: no break-even at all
    assert break_even(PriceSchedule(Rates(D(1), D(2))), None) is None
    assert break_even(PriceSchedule(Rates(D(1), D(2), D(1), D(2))), None) is None
    assert break_even(PriceSchedule(Rates(D(1), D(2), D("1.5"))), None) is None


def test_one_hour_break_even_edges() -> None:
    # a 1-hour write at the read rate: 1h never loses on writes, no crossing (None), pays 0
    be = break_even(PriceSchedule(Rates(D(1), D(2), D("0.1"), D("1.25"), D("0.1"))), D("0.5"))
    assert be == BreakEven({"5m": F(5, 23), "1h": F(0)}, None)
    # 5m write 3, 1h write 2, read 0.1, h5 = 0: 1 - 1 x 2.9 / 1.9 < 0 -> 0
    be = break_even(PriceSchedule(Rates(D(1), D(2), D("0.1"), D(3), D(2))), D(0))
    assert be is not None
    assert be.one_hour_above == 0
    assert be.pays_above == {"5m": F(20, 29), "1h": F(10, 19)}  # 2/2.9, 1/1.9
    # h5 = 1: 1 - 0 = 1
    be = break_even(PriceSchedule(HAIKU), D(1))
    assert be is not None
    assert be.one_hour_above == 1


def test_break_even_note_by_hand() -> None:
    rates = {"5m": D("0.6"), "1h": D("0.95")}
    # 5/23 = 21.739..% -> 21.74%; 10/19 = 52.631..% -> 52.63%; 72/95 = 75.789..% -> 75.79%
    assert break_even_note("support", "haiku", PriceSchedule(HAIKU), "1h", rates) == (
        "prompt cache, task 'support' on haiku: 1h TTL chosen (hit rates given: 5m 60.00%, "
        "1h 95.00%); caching pays above a hit rate of 21.74% (5m), 52.63% (1h); 1h beats 5m "
        "when its hit rate exceeds 75.79% (with 5m at 60.00%)"
    )
    # no 1-hour price: the 1h rate given is not listed; no caching chosen
    mini = PriceSchedule(Rates(D("0.15"), D("0.6"), D("0.075")))
    assert break_even_note("t", "mini", mini, "none", rates) == (
        "prompt cache, task 't' on mini: no caching chosen (hit rates given: 5m 60.00%); "
        "caching pays above a hit rate of 0.00% (5m)"
    )
    # only a 1h rate given: no 5m rate to compare with
    assert break_even_note("t", "h", PriceSchedule(HAIKU), "5m", {"1h": D("0.5")}) == (
        "prompt cache, task 't' on h: 5m TTL chosen (hit rates given: 1h 50.00%); "
        "caching pays above a hit rate of 21.74% (5m), 52.63% (1h)"
    )
    assert break_even_note("t", "x", PriceSchedule(Rates(D(1), D(2))), "none", rates) is None
