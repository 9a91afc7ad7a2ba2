"""The one cost function: every price in costplan is applied here.

Cost of one request, in integer pico-dollars (see :mod:`costplan.money`)::

    rates = the schedule's tier for all input tokens (uncached + cached + cache_write
            + cache_write_1h; the highest tier whose above_input_tokens is exceeded, else base)
    cost  = uncached       * input
          + cached         * (cache_read  or input)
          + cache_write    * (cache_write or input)                   # 5-minute writes
          + cache_write_1h * (cache_write_1h or cache_write or input) # 1-hour writes
          + output         * output
          + reasoning      * (reasoning   or output)
          + request fee

with every rate in pico-dollars per token (= USD per million tokens x 1e6), so
the arithmetic is exact integer arithmetic, vectorised over requests with numpy.
The fallbacks are genai-prices' (an unpriced kind of token is billed as its parent:
a 1-hour write as a write, a write or a read as input, reasoning as output), so
costs equal ``genai_prices.calc_price`` (tests/pricing).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from costplan.money import price_to_pusd_per_token, usd_to_pusd
from costplan.pricing.model import PriceSchedule, Rates

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class IntRates:
    """Rates in pico-dollars per token (fee in pico-dollars per request)."""

    input: int
    output: int
    cache_read: int
    cache_write: int
    cache_write_1h: int
    reasoning: int
    request: int

    @classmethod
    def of(cls, r: Rates) -> IntRates:
        """``r`` in pico-dollars per token (memoised: option tables price one schedule for
        every task, and ``Rates`` are frozen values)."""
        return _int_rates(r)

    @classmethod
    def convert(cls, r: Rates) -> IntRates:
        """``r`` in pico-dollars per token (exact; raises PrecisionError beyond 6 decimals)."""
        cw = r.cache_write_usd_per_mtok
        cw = cw if cw is not None else r.input_usd_per_mtok
        cw1h = r.cache_write_1h_usd_per_mtok
        return cls(
            input=price_to_pusd_per_token(r.input_usd_per_mtok),
            output=price_to_pusd_per_token(r.output_usd_per_mtok),
            cache_read=price_to_pusd_per_token(r.effective_cache_read()),
            cache_write=price_to_pusd_per_token(cw),
            cache_write_1h=price_to_pusd_per_token(cw1h if cw1h is not None else cw),
            reasoning=price_to_pusd_per_token(r.effective_reasoning()),
            request=usd_to_pusd(r.request_usd),
        )


@functools.lru_cache(maxsize=65536)
def _int_rates(r: Rates) -> IntRates:
    return IntRates.convert(r)


def _as_i64(x: npt.ArrayLike) -> IntArray:
    return np.asarray(x, dtype=np.int64)


def request_cost_pusd(
    schedule: PriceSchedule,
    *,
    uncached: npt.ArrayLike,
    cached: npt.ArrayLike = 0,
    output: npt.ArrayLike = 0,
    reasoning: npt.ArrayLike = 0,
    cache_write: npt.ArrayLike = 0,
    cache_write_1h: npt.ArrayLike = 0,
) -> IntArray:
    """Exact cost in pico-dollars of each request (arrays broadcast together)."""
    arrays = (uncached, cached, output, reasoning, cache_write, cache_write_1h)
    u, c, o, r, w, h = np.broadcast_arrays(*(_as_i64(a) for a in arrays))

    def priced(rates: IntRates) -> IntArray:
        out: IntArray = (
            u * rates.input
            + c * rates.cache_read
            + w * rates.cache_write
            + h * rates.cache_write_1h
            + o * rates.output
            + r * rates.reasoning
            + rates.request
        )
        return out

    cost = priced(IntRates.of(schedule.base))
    if schedule.tiers:
        total_in = u + c + w + h
        for tier in schedule.tiers:  # ascending thresholds: later tiers overwrite
            mask = total_in > tier.above_input_tokens
            if mask.any():
                cost = np.where(mask, priced(IntRates.of(tier.rates)), cost)
    return cost


def request_cost_int(
    schedule: PriceSchedule,
    *,
    uncached: int,
    cached: int = 0,
    output: int = 0,
    reasoning: int = 0,
    cache_write: int = 0,
    cache_write_1h: int = 0,
) -> int:
    """Scalar version of :func:`request_cost_pusd` in Python ints (no overflow)."""
    total_in = uncached + cached + cache_write + cache_write_1h
    rates = schedule.base
    for tier in schedule.tiers:
        if total_in > tier.above_input_tokens:
            rates = tier.rates
    ir = IntRates.of(rates)
    return (
        uncached * ir.input
        + cached * ir.cache_read
        + cache_write * ir.cache_write
        + cache_write_1h * ir.cache_write_1h
        + output * ir.output
        + reasoning * ir.reasoning
        + ir.request
    )
