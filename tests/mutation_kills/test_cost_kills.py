"""The one cost function against an oracle written from its docstring (and the README).

The oracle prices a request in exact Fractions straight from the Decimal USD-per-million
rates: cost_usd = sum(tokens x rate) / 10^6 + fee, using the tier with the highest
threshold strictly below the request's input (uncached + cached + cache write), cache
reads at the input rate when no cache-read rate is set, cache writes at the input rate
when no cache-write rate is set, reasoning at the output rate when no reasoning rate is
set. It shares nothing with costplan.pricing.cost or costplan.money.
"""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from costplan.money import PrecisionError
from costplan.pricing.cost import IntRates, request_cost_int, request_cost_pusd
from costplan.pricing.model import PriceSchedule, Rates, Tier

D = Decimal
SEED = 5_061_977


def oracle_pusd(s: PriceSchedule, u: int, c: int, o: int, r: int, w: int) -> int:
    rates = s.base
    best = -1
    for t in s.tiers:  # not assuming any order: the highest threshold exceeded wins
        if u + c + w > t.above_input_tokens and t.above_input_tokens > best:
            best, rates = t.above_input_tokens, t.rates
    f = Fraction
    inp = f(rates.input_usd_per_mtok)
    cr = f(rates.cache_read_usd_per_mtok) if rates.cache_read_usd_per_mtok is not None else inp
    cw = f(rates.cache_write_usd_per_mtok) if rates.cache_write_usd_per_mtok is not None else inp
    out = f(rates.output_usd_per_mtok)
    rs = f(rates.reasoning_usd_per_mtok) if rates.reasoning_usd_per_mtok is not None else out
    usd = (u * inp + c * cr + w * cw + o * out + r * rs) / 10**6 + f(rates.request_usd)
    pusd = usd * 10**12
    assert pusd.denominator == 1  # 6-decimal rates, 12-decimal fees: exact
    return int(pusd)


def random_rates(rng: random.Random) -> Rates:
    def price() -> Decimal:
        return D(rng.randint(0, 20_000_000)) / 10**6  # up to $20 / Mtok, 6 decimals

    def maybe() -> Decimal | None:
        return price() if rng.random() < 0.6 else None

    fee = D(rng.randint(1, 10**6)) / 10**12 if rng.random() < 0.3 else D(0)
    return Rates(price(), price(), maybe(), maybe(), None, maybe(), fee)


def random_schedule(rng: random.Random) -> PriceSchedule:
    thresholds = sorted(rng.sample(range(1, 3000), rng.randint(0, 3)))
    return PriceSchedule(random_rates(rng), tuple(Tier(t, random_rates(rng)) for t in thresholds))


def test_scalar_and_vector_cost_match_the_oracle() -> None:
    rng = random.Random(SEED)
    for _ in range(400):
        s = random_schedule(rng)
        rows = [tuple(rng.randint(0, 2500) for _ in range(5)) for _ in range(rng.randint(1, 8))]
        # put some requests exactly on and just past a threshold (strictly above counts)
        for t in s.tiers[:1]:
            rows.append((t.above_input_tokens, 0, 7, 3, 0))
            rows.append((t.above_input_tokens - 2, 1, 7, 3, 1))
            rows.append((t.above_input_tokens - 1, 1, 7, 3, 1))
        u, c, o, r, w = (np.array(col, dtype=np.int64) for col in zip(*rows, strict=True))
        vec = request_cost_pusd(s, uncached=u, cached=c, output=o, reasoning=r, cache_write=w)
        assert vec.dtype == np.int64
        want = [oracle_pusd(s, *row) for row in rows]
        assert vec.tolist() == want, (SEED, s, rows)
        for row, expected in zip(rows, want, strict=True):
            a, b, cc, d, e = row
            got = request_cost_int(s, uncached=a, cached=b, output=cc, reasoning=d, cache_write=e)
            assert got == expected, (SEED, s, row)


def test_cost_by_hand_with_every_fallback_and_a_tier() -> None:
    base = Rates(D("1"), D("4"), request_usd=D("0.000001"))  # no cache or reasoning rates
    tier = Rates(D("2"), D("8"), D("0.5"), D("3"), None, D("10"))
    s = PriceSchedule(base, (Tier(100, tier),))
    # base: 10 + 5 cached + 2 written = 17 input tokens at $1/Mtok (1e6 pusd/token),
    # 3 output + 4 reasoning at $4/Mtok: (17 + 7 x 4) x 1e6 + 1e6 fee = 46e6 pusd.
    assert request_cost_int(s, uncached=10, cached=5, output=3, reasoning=4, cache_write=2) == (
        46_000_000
    )
    # tier (input 101 > 100): 90 x 2 + 10 x 0.5 + 1 x 3 + 3 x 8 + 4 x 10 = 252 -> 252e6 pusd.
    assert request_cost_int(s, uncached=90, cached=10, output=3, reasoning=4, cache_write=1) == (
        252_000_000
    )
    # exactly 100 input tokens does not exceed the threshold: base, 100 + 12 = 112e6 + 1e6.
    assert request_cost_int(s, uncached=100, output=3) == 113_000_000
    vec = request_cost_pusd(
        s,
        uncached=[10, 90, 100],
        cached=[5, 10, 0],
        output=3,
        reasoning=[4, 4, 0],
        cache_write=[2, 1, 0],
    )
    assert vec.tolist() == [46_000_000, 252_000_000, 113_000_000]


def test_defaults_are_zero_tokens() -> None:
    s = PriceSchedule(Rates(D("3"), D("15"), request_usd=D("0.01")))
    # 7 input tokens at 3e6 pusd + the 1e10 pusd fee; nothing else is charged.
    assert request_cost_int(s, uncached=7) == 7 * 3_000_000 + 10**10
    assert request_cost_pusd(s, uncached=7).tolist() == 7 * 3_000_000 + 10**10
    assert request_cost_pusd(s, uncached=[0, 7]).tolist() == [10**10, 7 * 3_000_000 + 10**10]


def test_later_tiers_win_and_a_tier_no_request_reaches_changes_nothing() -> None:
    tiers = (Tier(10, Rates(D("2"), D("0"))), Tier(20, Rates(D("3"), D("0"))))
    s = PriceSchedule(Rates(D("1"), D("0")), tiers)
    # 5 -> base $1, 15 -> first tier $2, 25 -> second tier $3 (per Mtok = 1e6 pusd/token)
    assert request_cost_pusd(s, uncached=[5, 15, 25]).tolist() == [5e6, 30e6, 75e6]
    assert request_cost_pusd(s, uncached=[5, 6]).tolist() == [5e6, 6e6]
    assert [request_cost_int(s, uncached=n) for n in (10, 11, 20, 21)] == [10e6, 22e6, 40e6, 63e6]


def test_int_rates_convert_every_field_and_refuse_finer_prices() -> None:
    r = Rates(D("1.25"), D("10"), D("0.125"), D("1.5625"), None, D("20"), D("0.000000000007"))
    # USD per Mtok x 1e6 = pico-dollars per token; the fee x 1e12 = pico-dollars.
    # No 1-hour write price: 1-hour writes are billed at the (5-minute) write rate.
    assert IntRates.of(r) == IntRates(
        1_250_000, 10_000_000, 125_000, 1_562_500, 1_562_500, 20_000_000, 7
    )
    r1h = Rates(D("1"), D("2"), None, None, D("2.000001"))
    # 1h price given: 2.000001 x 1e6; no write price: 5-minute writes at input (1e6).
    assert IntRates.of(r1h) == IntRates(
        1_000_000, 2_000_000, 1_000_000, 1_000_000, 2_000_001, 2_000_000, 0
    )
    with pytest.raises(PrecisionError):
        IntRates.of(Rates(D("0.0000001"), D("1")))


def test_narrow_integer_token_arrays_are_priced_in_int64() -> None:
    # Token counters hand over int32/uint16 arrays; 200,000 tokens x 15e6 pusd/token
    # = 3e12 overflows int32, so the arithmetic must widen first:
    # 200,000 x 15e6 + 3 x 75e6 = 3,000,000,000,000 + 225,000,000 = 3,000,225,000,000.
    s = PriceSchedule(Rates(D("15"), D("75")))
    cost = request_cost_pusd(
        s, uncached=np.array([200_000], dtype=np.int32), output=np.array([3], dtype=np.uint16)
    )
    assert cost.dtype == np.int64
    assert cost.tolist() == [3_000_225_000_000]
