"""Prompt caching as billed: TTLs a schedule offers, minimum prefixes, break-even hit rates.

A task's cacheable prefix of ``P`` tokens (``shared_prefix_tokens``) under a cache
policy with hit rate ``h`` for TTL ``T`` costs, per query (README "Prompt caching")::

    hit  = cost(uncached = prompt, cached = P)                    # read from the cache
    miss = cost(uncached = prompt, cache_write_T = P)             # written at T's rate
    none = cost(uncached = prompt + P)                            # caching not used
    cost per query (TTL T) = ceil(mean over samples of h * hit + (1 - h) * miss)

A prefix shorter than the model's minimum cacheable length is never cached (only
``none``). ``5m`` is offered by every schedule (its write rate defaults to the input
rate, as on OpenAI, where caching is automatic and writes cost nothing extra);
``1h`` only where the sheet has a ``cache_write_1h_usd_per_mtok`` price.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fnmatch import fnmatchcase
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from costplan.pricing.cost import request_cost_int, request_cost_pusd
from costplan.pricing.model import ModelPrice, PriceSchedule

TTLS = ("5m", "1h")
NO_CACHE = "none"

#: Documented defaults of ``min_cacheable_tokens`` (first match wins): (provider glob,
#: model-name glob, tokens), as the providers published them in 2025-2026. A sheet's
#: own ``min_cacheable_tokens`` overrides them (0: no minimum).
DEFAULT_MIN_CACHEABLE: tuple[tuple[str, str, int], ...] = (
    # Claude, whoever serves it (Anthropic, Bedrock, Vertex): by model name.
    ("*", "*opus-4-5*", 4096),
    ("*", "*opus-4-6*", 4096),
    ("*", "*haiku-4-5*", 4096),
    ("*", "*sonnet-4-6*", 2048),
    ("*", "*3-haiku*", 2048),
    ("*", "*3-5-haiku*", 2048),
    ("anthropic", "*", 1024),
    ("openai", "*", 1024),
    ("*", "gemini-*pro*", 4096),
    ("*", "gemini-*", 1024),
    ("*", "*", 1024),
)


def min_cacheable_tokens(model: ModelPrice) -> int:
    """The model's minimum cacheable prefix: the sheet's value, else the documented default."""
    if model.min_cacheable_tokens is not None:
        return model.min_cacheable_tokens
    provider, name = model.provider.lower(), model.name.lower()
    for prov_glob, name_glob, tokens in DEFAULT_MIN_CACHEABLE:
        if fnmatchcase(provider, prov_glob) and fnmatchcase(name, name_glob):
            return tokens
    return 0  # pragma: no cover - the last default matches everything


def ttls_offered(schedule: PriceSchedule) -> tuple[str, ...]:
    """TTLs a schedule can bill: 5m always, 1h with a 1-hour write price."""
    has_1h = schedule.base.cache_write_1h_usd_per_mtok is not None
    return TTLS if has_1h else TTLS[:1]


def expected_cost_pusd(
    schedule: PriceSchedule,
    prompt: npt.NDArray[np.int64],
    output: int,
    reasoning: int,
    prefix: int,
    cache: str,
    hit: Decimal | None,
) -> Fraction:
    """Exact expected cost of one query per prompt in ``prompt``, summed (pico-dollars).

    ``cache``: ``""`` the prefix read from the cache on every query (no policy);
    ``none`` billed as input; a TTL ``h * hit + (1 - h) * miss`` (module docstring).
    """
    numerators, denominator = sample_costs_pusd(
        schedule, prompt, output, reasoning, prefix, cache, hit
    )
    return Fraction(sum(numerators), denominator)


def sample_costs_pusd(
    schedule: PriceSchedule,
    prompt: npt.NDArray[np.int64],
    output: int,
    reasoning: int,
    prefix: int,
    cache: str,
    hit: Decimal | None,
) -> tuple[list[int], int]:
    """Each prompt's exact expected cost as ``numerators[i] / denominator`` pico-dollars.

    The same arithmetic as :func:`expected_cost_pusd`, one query at a time (its sum
    over the prompts is ``sum(numerators) / denominator``).
    """

    def each(**tokens: npt.ArrayLike) -> list[int]:
        if len(prompt) == 1:  # one prompt (a fixed token count): Python ints, no array set-up
            one = {k: int(np.asarray(v).reshape(-1)[0]) for k, v in tokens.items()}
            return [request_cost_int(schedule, output=output, reasoning=reasoning, **one)]
        costs = request_cost_pusd(schedule, output=output, reasoning=reasoning, **tokens)
        return [int(c) for c in costs]

    if cache == "":
        return each(uncached=prompt, cached=prefix), 1
    if cache == NO_CACHE:
        return each(uncached=prompt + prefix), 1
    if hit is None or cache not in TTLS:
        raise ValueError(f"cache choice {cache!r} needs a TTL and its hit rate")
    write = "cache_write" if cache == "5m" else "cache_write_1h"
    h = Fraction(hit)
    hits, misses = each(uncached=prompt, cached=prefix), each(uncached=prompt, **{write: prefix})
    p, q = h.numerator, h.denominator
    return [p * a + (q - p) * b for a, b in zip(hits, misses, strict=True)], q


@dataclass(frozen=True)
class BreakEven:
    """Hit rates where caching starts to pay, from the schedule's base rates (per prefix token).

    ``pays_above[T]``: TTL ``T`` is cheaper than no caching when its hit rate exceeds this
    (``(write_T - input) / (write_T - read)``; 0 when writes cost no more than input).
    ``one_hour_above``: given the 5m hit rate ``h5``, 1h is cheaper than 5m when its own
    hit rate exceeds ``1 - (1 - h5) * (write_5m - read) / (write_1h - read)``.
    """

    pays_above: dict[str, Fraction]
    one_hour_above: Fraction | None


def break_even(schedule: PriceSchedule, hit_5m: Decimal | None) -> BreakEven | None:
    """Break-even hit rates of ``schedule`` (None when cache reads are not cheaper than input)."""
    base = schedule.base
    read = Fraction(base.effective_cache_read())
    inp = Fraction(base.input_usd_per_mtok)
    if read >= inp:
        return None
    w5 = Fraction(base.cache_write_usd_per_mtok or base.input_usd_per_mtok)
    writes = {"5m": w5}
    if base.cache_write_1h_usd_per_mtok is not None:
        writes["1h"] = Fraction(base.cache_write_1h_usd_per_mtok)
    pays = {t: max(Fraction(0), (w - inp) / (w - read)) if w > read else Fraction(0)
            for t, w in writes.items()}  # fmt: skip
    one_hour = None
    if "1h" in writes and hit_5m is not None and writes["1h"] > read:
        ratio = (w5 - read) / (writes["1h"] - read)
        one_hour = max(Fraction(0), 1 - (1 - Fraction(hit_5m)) * ratio)
    return BreakEven(pays, one_hour)


def _pct(x: Fraction) -> str:
    return f"{float(x) * 100:.2f}%"


def break_even_note(
    task: str,
    label: str,
    schedule: PriceSchedule,
    chosen: str,
    hit_rates: Mapping[str, Decimal],
) -> str | None:
    """One line for reports: the TTL chosen and the hit rates where each TTL pays."""
    be = break_even(schedule, hit_rates.get("5m"))
    if be is None:
        return None
    offered = [(t, h) for t, h in hit_rates.items() if t in be.pays_above]
    given = ", ".join(f"{t} {_pct(Fraction(h))}" for t, h in offered)
    pays = ", ".join(f"{_pct(v)} ({t})" for t, v in be.pays_above.items())
    text = (
        f"prompt cache, task {task!r} on {label}: "
        + ("no caching" if chosen == NO_CACHE else f"{chosen} TTL")
        + f" chosen (hit rates given: {given}); caching pays above a hit rate of {pays}"
    )
    if be.one_hour_above is not None:
        text += (
            f"; 1h beats 5m when its hit rate exceeds {_pct(be.one_hour_above)} "
            f"(with 5m at {_pct(Fraction(hit_rates['5m']))})"
        )
    return text
