"""Option costs from prices and tokens (costplan.option_pricing) against an oracle.

The oracle prices one request in Fractions straight from the Decimal rates (USD per
million tokens: pico-dollars per token = rate x 10^6; no tiers here): prompt tokens at
input, the prefix at the cache-read rate (no policy), at input (``none``), or as
``h x read + (1 - h) x write`` (a TTL), output and reasoning at the output rate, plus the fee.
Then: the mean over the samples rounded up, the p95 sample by rank (``ceil(0.95 (n - 1))``
of the sorted counts, 0-based) at the p95 output, ``ceil(sqrt(population variance))``,
and a measured cost scaled by ``ceil(measured x cost / standard cost)``. Hand figures are in
comments. Prompt counts are fixed per test (the builder's token counter is replaced).
"""

from __future__ import annotations

import math
import random
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from costplan.errors import InputError
from costplan.latency import LatencyMs
from costplan.option_pricing import _Builder, tokenizer_for
from costplan.option_table import Option
from costplan.pricing.model import ModelPrice, PriceSchedule, PriceSheet, Rates
from costplan.tokens.tokenizer import TokenizerSpec, parse_tokenizer
from costplan.workload.model import CachePolicy, OutputSpec, Profile, PromptSpec, Task, Workload
from costplan.yamlsource import SourceDocument

D = Decimal
F = Fraction
SEED = 4_121_2026


def rates(inp: str, out: str, read: str | None = None, w5: str | None = None,
          w1h: str | None = None, fee: str = "0") -> Rates:  # fmt: skip
    def d(x: str | None) -> Decimal | None:
        return None if x is None else D(x)

    return Rates(D(inp), D(out), d(read), d(w5), d(w1h), None, D(fee))


def request(r: Rates, u: int, prefix: int, out: int, reasoning: int, cache: str,
            h: Fraction | None) -> Fraction:  # fmt: skip
    """One request's cost in pico-dollars (the oracle of the module docstring)."""
    inp = F(r.input_usd_per_mtok)
    read = F(r.cache_read_usd_per_mtok) if r.cache_read_usd_per_mtok is not None else inp
    w5 = F(r.cache_write_usd_per_mtok) if r.cache_write_usd_per_mtok is not None else inp
    w1h = F(r.cache_write_1h_usd_per_mtok) if r.cache_write_1h_usd_per_mtok is not None else w5
    if cache == "":
        pre = prefix * read
    elif cache == "none":
        pre = prefix * inp
    else:
        assert h is not None
        pre = prefix * (h * read + (1 - h) * (w5 if cache == "5m" else w1h))
    usd = (u * inp + pre + (out + reasoning) * F(r.output_usd_per_mtok)) / 10**6
    return (usd + F(r.request_usd)) * 10**12


def ceil(x: Fraction) -> int:
    return math.ceil(x)


def ceil_root(x: Fraction) -> int:
    """The least s >= 0 with s^2 >= x, by bisection."""
    lo, hi = 0, ceil(x) + 1  # hi^2 >= x
    while lo < hi:
        mid = (lo + hi) // 2
        if mid * mid >= x:
            hi = mid
        else:
            lo = mid + 1
    return lo


def p95_index(n: int) -> int:
    return ceil(F(95, 100) * (n - 1))


def expected(r: Rates, counts: list[int], prefix: int, out: OutputSpec, reasoning: int,
             cache: str = "", h: Fraction | None = None) -> tuple[int, int, int, int]:  # fmt: skip
    """(cost, p95 cost, sd, p95 prompt) by the oracle."""
    each = [request(r, u, prefix, out.mean_tokens, reasoning, cache, h) for u in counts]
    n = len(each)
    mean = sum(each, F(0)) / n
    var = sum(((c - mean) ** 2 for c in each), F(0)) / n
    p95 = sorted(counts)[p95_index(n)]
    cost_p95 = request(r, p95, prefix, out.p95_tokens, reasoning, cache, h)
    return ceil(mean), ceil(cost_p95), ceil_root(var), p95


def model(name: str = "m", provider: str = "acme", base: Rates | None = None,
          **kw: Any) -> ModelPrice:  # fmt: skip
    return ModelPrice(name, provider, PriceSchedule(base or rates("1", "2", "0.5")), **kw)


def task(**kw: Any) -> Task:
    base: dict[str, Any] = {
        "name": "t",
        "volume": 10,
        "prompt": PromptSpec(texts=("x",)),
        "output": OutputSpec(7, 30),
    }
    base.update(kw)
    return Task(**base)


def builder(models: list[ModelPrice], tasks: list[Task], counts: list[int] | None = None,
            **w: Any) -> _Builder:  # fmt: skip
    work = Workload("w", tuple(tasks), {}, **w)
    b = _Builder(work, PriceSheet({m.name: m for m in models}))
    if counts is not None:

        def get(_task: Task, _spec: TokenizerSpec) -> npt.NDArray[np.int64]:
            return np.array(counts, dtype=np.int64)

        b.prompts.get = get  # type: ignore[method-assign,assignment]
    return b


def options(b: _Builder, t: Task, name: str = "m", se: float | None = None) -> list[Option]:
    return b.model_options(t, name, D("0.8"), se)


def test_random_costs_match_the_oracle() -> None:
    rng = random.Random(SEED)
    print("seed", SEED)
    for _ in range(60):
        price = D(rng.randint(1, 9_000_000)) / 10**6
        r = rates(str(price), str(D(rng.randint(0, 9_000_000)) / 10**6),
                  str(D(rng.randint(0, 900_000)) / 10**6),
                  fee=str(D(rng.randint(0, 999)) / 10**12))  # fmt: skip
        n = rng.choice((2, 3, 18, 20, 21, 40))
        counts = [rng.randint(0, 5000) for _ in range(n)]
        out = OutputSpec(rng.randint(0, 500), rng.randint(500, 900))
        t = task(shared_prefix_tokens=rng.randint(0, 900), output=out,
                 reasoning_tokens=rng.randint(0, 50))  # fmt: skip
        (o,) = options(builder([model(base=r)], [t], counts), t)
        want = expected(r, counts, t.shared_prefix_tokens, out, t.reasoning_tokens)
        assert (o.cost_pusd, o.cost_p95_pusd, o.cost_sd_pusd, o.prompt_tokens_p95) == want
        assert o.samples == n
        assert o.prompt_tokens_mean == pytest.approx(sum(counts) / n)


def test_p95_rank_at_21_and_18_samples() -> None:
    # 21 samples 10, 20, ..., 210 (shuffled): rank 0.95 x 20 = 19 exactly -> 200 (not 210);
    # 18 samples: 0.95 x 17 = 16.15 -> the next rank, 17 -> the largest
    t = task(output=OutputSpec(0, 0))
    r = rates("1", "2", "0.5")
    counts = [10 * k for k in (5, 1, 21, 3, 9, 2, 8, 4, 6, 10, 7, 11, 20, 13, 12, 14, 19, 15,
                               18, 17, 16)]  # fmt: skip
    (o,) = options(builder([model(base=r)], [t], counts), t)
    assert o.prompt_tokens_p95 == 200
    assert o.cost_p95_pusd == 200 * 10**6  # 200 tokens x $1/Mtok
    eighteen = [*counts[:17], 170]  # 10..210 minus some; sorted[17] is the largest, 210
    assert max(eighteen) == 210
    assert sorted(eighteen)[16] == 200
    (o,) = options(builder([model(base=r)], [t], eighteen), t)
    assert o.prompt_tokens_p95 == 210


def test_one_fixed_prompt_by_hand() -> None:
    # 1,000 prompt tokens, prefix 200 (read at 0.5), output mean 7 / p95 30, reasoning 3,
    # rates $1 / $2 per Mtok, fee $0.000001 (1e6 pusd):
    # mean request: 1,000e6 + 200 x 0.5e6 + (7 + 3) x 2e6 + 1e6 = 1,000 + 100 + 20 + 1 = 1,121e6
    # p95 request: output 30: 1,000 + 100 + 66 + 1 = 1,167e6; one sample: sd 0
    r = rates("1", "2", "0.5", fee="0.000001")
    t = task(prompt=PromptSpec(tokens=1000), shared_prefix_tokens=200, reasoning_tokens=3)
    (o,) = options(builder([model(base=r)], [t]), t, se=0.25)
    assert (o.cost_pusd, o.cost_p95_pusd, o.cost_sd_pusd) == (1121 * 10**6, 1167 * 10**6, 0)
    assert (o.prompt_tokens_mean, o.prompt_tokens_p95, o.samples) == (1000.0, 1000, 1)
    assert (o.cached_tokens, o.output_tokens, o.output_tokens_p95, o.reasoning_tokens) == (
        200, 7, 30, 3)  # fmt: skip
    assert (o.task, o.model, o.provider, o.mode, o.quality) == ("t", "m", "acme", "standard",
                                                                D("0.8"))  # fmt: skip
    assert o.quality_se == 0.25
    assert o.cache == ""
    assert o.excluded is None
    assert o.detail == ""
    assert o.cost_source == "tokens"
    assert o.latency is None
    # the tokenizer: an unknown provider's is an o200k_base estimate; fixed tokens are not
    # estimated counts
    assert o.tokenizer == "acme ~ o200k_base x 1 (estimate)"
    assert o.tokens_estimated is False
    (c,) = o.components
    # tokens per query: 1,000 + 200 + 7 + 3 = 1,210
    assert (c.model, c.provider, c.reach, c.cost_pusd, c.tokens_per_query) == (
        "m", "acme", D(1), 1121 * 10**6, 1210)  # fmt: skip
    # p95 output equal to the mean: the p95 cost is the mean request's
    t2 = task(prompt=PromptSpec(tokens=1000), output=OutputSpec(7, 7))
    (o,) = options(builder([model(base=r)], [t2]), t2)
    assert o.cost_p95_pusd == o.cost_pusd == (1000 + 14 + 1) * 10**6


def test_samples_mean_sd_and_tokens_per_query_by_hand() -> None:
    # prompts 1 and 2 tokens at $1/Mtok, no output: costs 1e6 and 2e6; mean 1.5e6;
    # variance ((0.5e6)^2 + (0.5e6)^2) / 2 = 0.25e12 -> sd 0.5e6 exactly
    t = task(output=OutputSpec(0, 0))
    r = rates("1", "0")
    (o,) = options(builder([model(base=r)], [t], [1, 2]), t)
    assert (o.cost_pusd, o.cost_sd_pusd, o.cost_p95_pusd) == (1_500_000, 500_000, 2_000_000)
    assert o.prompt_tokens_mean == 1.5
    assert o.components[0].tokens_per_query == 2  # ceil(1.5)
    assert o.tokens_estimated is True  # counted from texts with an estimated tokenizer
    # three prompts 0, 0, 1 at $0.000001/Mtok: costs 0, 0, 1 pusd; mean 1/3 -> 1;
    # variance (2 (1/3)^2 + (2/3)^2) / 3 = 2/9 -> sd 1
    (o,) = options(builder([model(base=rates("0.000001", "0"))], [t], [0, 1, 0]), t)
    assert (o.cost_pusd, o.cost_sd_pusd, o.cost_p95_pusd) == (1, 1, 1)


def test_modes_allowed_by_the_latency_class() -> None:
    modes = {k: PriceSchedule(rates("0.5", "1")) for k in ("batch", "flex", "priority")}
    m = model(modes=modes)
    for latency, want in (("realtime", ["standard"]), ("batch", ["standard", "batch", "flex"])):
        t = task(prompt=PromptSpec(tokens=10), latency=latency)
        assert [o.mode for o in options(builder([m], [t]), t)] == want
    t = task(prompt=PromptSpec(tokens=1000), output=OutputSpec(0, 0), latency="batch")
    got = {o.mode: o.cost_pusd for o in options(builder([m], [t]), t)}
    assert got == {"standard": 1000 * 10**6, "batch": 500 * 10**6, "flex": 500 * 10**6}


def test_latency_profile_wins_and_the_slo_excludes() -> None:
    modes = {"batch": PriceSchedule(rates("0.5", "1"))}
    lat = {"standard": LatencyMs(100, 900), "batch": LatencyMs(1000, 5000)}
    m = model(modes=modes, latency_ms=lat)
    prof = Profile(latency_ms={"batch": LatencyMs(10, 800)})
    t = task(prompt=PromptSpec(tokens=10), latency="batch", max_latency_p95_ms=900,
             profiles=(("m", prof),))  # fmt: skip
    got = {o.mode: (o.latency, o.excluded) for o in options(builder([m], [t]), t)}
    assert got == {"standard": (LatencyMs(100, 900), None), "batch": (LatencyMs(10, 800), None)}
    t = task(prompt=PromptSpec(tokens=10), latency="batch", max_latency_p95_ms=899)
    why = {o.mode: o.excluded for o in options(builder([m], [t]), t)}
    assert why == {
        "standard": "p95 latency 900 ms is above the task's SLO of 899 ms",
        "batch": "p95 latency 5,000 ms is above the task's SLO of 899 ms",
    }
    t = task(prompt=PromptSpec(tokens=10), max_latency_p95_ms=1000)
    (o,) = options(builder([model()], [t]), t)
    assert o.excluded == "no p95 latency known for m; the task's SLO is 1,000 ms"
    m2 = model(modes=modes)
    t = task(prompt=PromptSpec(tokens=10), latency="batch", max_latency_p95_ms=1000)
    (_, b) = options(builder([m2], [t]), t)
    assert b.excluded == "no p95 latency known for m (batch); the task's SLO is 1,000 ms"


def test_context_window_and_max_output_at_the_edge() -> None:
    # p95 prompt 1,000 + prefix 500 + p95 output 30 + reasoning 4 = 1,534 tokens needed;
    # p95 output 30 + reasoning 4 = 34
    t = task(prompt=PromptSpec(tokens=1000), shared_prefix_tokens=500, reasoning_tokens=4)

    def why(**kw: Any) -> str | None:
        (o,) = options(builder([model(**kw)], [t]), t)
        return o.excluded

    assert why(context_window=1534) is None
    assert why(context_window=1533) == (
        "context window exceeded: p95 request needs 1,534 tokens, m takes 1,533"
    )
    assert why(max_output_tokens=34) is None
    assert why(max_output_tokens=33) == (
        "max output exceeded: p95 output needs 34 tokens, m allows 33"
    )
    # the p95 prompt of samples counts, not the mean: samples 10 and 2,000 (p95 2,000)
    t2 = task(output=OutputSpec(1, 1))
    (o,) = options(builder([model(context_window=2001)], [t2], [10, 2000]), t2)
    assert o.excluded is None
    (o,) = options(builder([model(context_window=2000)], [t2], [10, 2000]), t2)
    assert o.excluded == "context window exceeded: p95 request needs 2,001 tokens, m takes 2,000"
    # a model outside the workload's region; the context window is named first
    b = builder([model(regions={"us": D(0)}, context_window=1)], [t], region="eu")
    (o,) = options(b, t)
    assert o.excluded is not None
    assert o.excluded.startswith("context window exceeded")
    b = builder([model(regions={"us": D(0), "ap": D(0)})], [t], region="eu")
    (o,) = options(b, t)
    assert o.excluded == "m is not offered in region eu (only ap, us)"
    # the region's reason comes before the SLO's
    t3 = task(prompt=PromptSpec(tokens=1), max_latency_p95_ms=5)
    (o,) = options(builder([model(regions={"us": D(0)})], [t3], region="eu"), t3)
    assert o.excluded == "m is not offered in region eu (only us)"


def test_measured_cost_is_scaled_to_other_modes() -> None:
    # standard 1,000 prompt x $3/Mtok = 3,000e6 pusd; batch at $1/Mtok = 1,000e6;
    # p95 output 100 x $6 = 600e6 (batch: x $2 = 200e6) more: p95 costs 3,600e6 and
    # 1,200e6 (output mean 0)
    modes = {"batch": PriceSchedule(rates("1", "2"))}
    m = model(base=rates("3", "6"), modes=modes)
    t = task(prompt=PromptSpec(tokens=1000), output=OutputSpec(0, 100), latency="batch")
    measured = {"t": {"m": D("0.0011")}}  # 1.1e9 pusd
    s, b = options(builder([m], [t], measured_cost_usd=measured), t)
    assert (s.cost_source, b.cost_source) == ("measured", "measured")
    assert s.cost_pusd == 1_100_000_000
    assert s.components[0].cost_pusd == 1_100_000_000
    # p95: ceil(3,600e6 x 1.1e9 / 3,000e6) = 1,320,000,000
    assert s.cost_p95_pusd == 1_320_000_000
    assert s.cost_sd_pusd == 0
    # batch: ceil(1.1e9 x 1,000e6 / 3,000e6) = ceil(366,666,666.67) = 366,666,667
    assert b.cost_pusd == 366_666_667 == b.components[0].cost_pusd
    # its p95: ceil(1,200e6 x 366,666,667 / 1,000e6) = ceil(440,000,000.4) = 440,000,001
    assert b.cost_p95_pusd == ceil(F(1_200_000_000 * 366_666_667, 1_000_000_000))
    assert b.cost_p95_pusd == 440_000_001


def test_measured_cost_with_samples_scales_the_spread() -> None:
    # prompts 1 and 2 tokens at $1/Mtok: cost 1.5e6, sd 0.5e6, p95 2e6; measured 3e6 pusd:
    # sd ceil(0.5e6 x 3e6 / 1.5e6) = 1e6, p95 ceil(2e6 x 3e6 / 1.5e6) = 4e6
    t = task(output=OutputSpec(0, 0))
    b = builder([model(base=rates("1", "0"))], [t], [1, 2],
                measured_cost_usd={"t": {"m": D("0.000003")}})  # fmt: skip
    (o,) = options(b, t)
    assert (o.cost_pusd, o.cost_sd_pusd, o.cost_p95_pusd) == (3_000_000, 1_000_000, 4_000_000)
    # another task's or model's measured cost does not apply
    b = builder([model(base=rates("1", "0"))], [t], [1, 2],
                measured_cost_usd={"u": {"m": D(1)}, "t": {"n": D(1)}})  # fmt: skip
    (o,) = options(b, t)
    assert (o.cost_source, o.cost_pusd) == ("tokens", 1_500_000)


def test_measured_cost_of_free_tokens() -> None:
    # free tokens: cost 0, no ratio: every mode takes the measured cost, its p95 too, sd 0
    modes = {"batch": PriceSchedule(rates("0", "0"))}
    m = model(base=rates("0", "0"), modes=modes)
    t = task(latency="batch", output=OutputSpec(0, 0))
    b = builder([m], [t], [1, 5], measured_cost_usd={"t": {"m": D("0.000000000007")}})
    got = [(o.cost_pusd, o.cost_p95_pusd, o.cost_sd_pusd) for o in options(b, t)]
    assert got == [(7, 7, 0), (7, 7, 0)]
    # a free standard mode but a priced batch mode: no ratio, the measured cost holds
    m = model(base=rates("0", "0"), modes={"batch": PriceSchedule(rates("1", "0"))})
    t = task(prompt=PromptSpec(tokens=1000), latency="batch", output=OutputSpec(0, 0))
    b = builder([m], [t], measured_cost_usd={"t": {"m": D("0.000000000007")}})
    # batch: cost 1,000e6 > 0: p95 ceil(1,000e6 x 7 / 1,000e6) = 7
    assert [(o.cost_pusd, o.cost_p95_pusd) for o in options(b, t)] == [(7, 7), (7, 7)]


def test_measured_cost_finer_than_a_pico_dollar_is_located() -> None:
    t = task(prompt=PromptSpec(tokens=10))
    b = builder([model()], [t], measured_cost_usd={"t": {"m": D("0.0000000000001")}})
    with pytest.raises(InputError) as info:
        options(b, t)
    assert info.value.key == "measured_cost_usd.t.m"
    assert info.value.value == D("0.0000000000001")


HAIKU = rates("1", "5", "0.1", "1.25", "2")
MINI = rates("0.15", "0.6", "0.075")


def cache_task(policy: CachePolicy, prefix: int = 4000) -> Task:
    return task(prompt=PromptSpec(tokens=500), shared_prefix_tokens=prefix,
                output=OutputSpec(100, 100), cache=policy)  # fmt: skip


def test_cache_choices_and_costs_by_hand() -> None:
    # As in tests/pricing/test_caching.py, micro-dollars: haiku none 4,500 + 500 = 5,000;
    # 5m at 0.6: 0.6 x 1,400 + 0.4 x 6,000 = 3,240; 1h at 0.95: 0.95 x 1,400 + 0.05 x 9,000
    # = 1,780. mini (no 1-hour price: 1h is not offered and silently left out): none 735,
    # 5m at 0.6: 0.6 x 435 + 0.4 x 735 = 555
    policy = CachePolicy({"5m": D("0.6"), "1h": D("0.95")})
    t = cache_task(policy)
    ms = [model("haiku", "anthropic", HAIKU, min_cacheable_tokens=4000),
          model("mini", "openai", MINI)]  # fmt: skip
    b = builder(ms, [t])
    got = {(o.model, o.cache): (o.cost_pusd, o.excluded) for n in ("haiku", "mini")
           for o in options(b, t, n)}  # fmt: skip
    micro = 10**6
    assert got == {
        ("haiku", "none"): (5000 * micro, None),
        ("haiku", "5m"): (3240 * micro, None),
        ("haiku", "1h"): (1780 * micro, None),
        ("mini", "none"): (735 * micro, None),
        ("mini", "5m"): (555 * micro, None),
    }
    for o in options(b, t, "haiku"):
        assert o.cost_p95_pusd == o.cost_pusd  # fixed tokens, p95 output = mean
        h = F(policy.hit_rates[o.cache]) if o.cache in ("5m", "1h") else None
        want = request(HAIKU, 500, 4000, 100, 0, o.cache, h)
        assert o.cost_pusd == ceil(want)


def test_a_fixed_ttl_not_offered_is_excluded_and_a_short_prefix_never_cached() -> None:
    t = cache_task(CachePolicy({"1h": D("0.5")}, ttl="1h"))
    (o,) = options(builder([model("mini", "openai", MINI)], [t]), t, "mini")
    assert (o.cache, o.excluded) == ("1h", "mini has no 1-hour cache write price")
    assert o.detail == ""
    # the region's reason comes before the TTL's
    b = builder([model("mini", "openai", MINI, regions={"us": D(0)})], [t], region="eu")
    (o,) = options(b, t, "mini")
    assert o.excluded == "mini is not offered in region eu (only us)"
    # a prefix one token below the minimum: only "none", with a note; at the minimum: cached
    auto = CachePolicy({"5m": D("0.6")})
    h = model("haiku", "anthropic", HAIKU, min_cacheable_tokens=4001)
    (o,) = options(builder([h], [cache_task(auto)]), cache_task(auto), "haiku")
    assert (o.cache, o.cost_pusd) == ("none", 5000 * 10**6)
    assert o.detail == (
        "prefix of 4,000 tokens is below haiku's minimum cacheable 4,001: never cached"
    )
    h = model("haiku", "anthropic", HAIKU, min_cacheable_tokens=4000)
    got = [(o.cache, o.detail) for o in options(builder([h], [cache_task(auto)]),
                                                cache_task(auto), "haiku")]  # fmt: skip
    assert got == [("none", ""), ("5m", "")]


def test_tokenizer_by_provider() -> None:
    families = {"openai": "o200k_base", "azure": "o200k_base", "anthropic": "claude",
                "google": "gemini", "meta": "llama", "mistral": "mistral", "qwen": "qwen",
                "alibaba": "qwen", "deepseek": "deepseek"}  # fmt: skip
    for provider, family in families.items():
        want = parse_tokenizer(family, file=None, key="k")
        assert tokenizer_for(model(provider=provider.upper())) == want, provider
    assert tokenizer_for(model(provider="OpenAI")).estimated is False
    assert tokenizer_for(model(provider="Acme")) == TokenizerSpec.estimate("acme", D(1))
    assert tokenizer_for(model(provider="")) == TokenizerSpec.estimate("unknown", D(1))
    own = TokenizerSpec.exact("cl100k_base")
    assert tokenizer_for(model(provider="anthropic", tokenizer=own)) is own


def test_prompt_texts_are_counted_once_per_task() -> None:
    from costplan.tokens.count import TokenCounter

    spec = TokenizerSpec.exact("o200k_base")
    texts = ("hello world", "a", "one two three four five six")
    t = task(prompt=PromptSpec(texts=texts))
    b = builder([model(tokenizer=spec), model("n", tokenizer=spec)], [t])
    want = TokenCounter(list(texts)).counts(spec)
    got = b.prompts.get(t, spec)
    assert got.dtype == np.int64
    assert list(got) == list(want)
    (first,) = b.prompts._counters.values()
    assert isinstance(first, TokenCounter)
    assert list(b.prompts.get(t, spec)) == list(want)
    assert list(b.prompts._counters.values()) == [first]  # the same counter again
    (o,) = options(b, t)
    assert o.samples == 3
    assert o.tokens_estimated is False
    assert o.tokenizer == "o200k_base"
    # a subsample of at most max_samples texts
    t2 = task(name="u", index=1, prompt=PromptSpec(texts=texts * 4, max_samples=5))
    assert len(b.prompts.get(t2, spec)) == 5
    fixed = task(name="v", index=2, prompt=PromptSpec(tokens=42))
    assert list(b.prompts.get(fixed, spec)) == [42]
    assert len(b.prompts._counters) == 2


def test_a_model_profile_prices_and_excludes_with_its_own_tokens() -> None:
    # the task: output 7 (p95 30), reasoning 0; m's profile: output 50 (p95 80), reasoning 9.
    # prompt 1,000 at $1, output and reasoning at $2 per Mtok:
    # mean 1,000 + (50 + 9) x 2 = 1,118e6; p95 1,000 + (80 + 9) x 2 = 1,178e6
    prof = Profile(output=OutputSpec(50, 80), reasoning_tokens=9)
    t = task(prompt=PromptSpec(tokens=1000), profiles=(("m", prof),))
    (o,) = options(builder([model(base=rates("1", "2"))], [t]), t)
    assert (o.cost_pusd, o.cost_p95_pusd) == (1118 * 10**6, 1178 * 10**6)
    assert (o.output_tokens, o.output_tokens_p95, o.reasoning_tokens) == (50, 80, 9)
    # needs 1,000 + 80 + 9 = 1,089 tokens (the task's own: 1,030); output 89 (the task's 30)
    (o,) = options(builder([model(context_window=1088)], [t]), t)
    assert o.excluded == "context window exceeded: p95 request needs 1,089 tokens, m takes 1,088"
    (o,) = options(builder([model(max_output_tokens=88)], [t]), t)
    assert o.excluded == "max output exceeded: p95 output needs 89 tokens, m allows 88"
    (o,) = options(builder([model(context_window=1089, max_output_tokens=89)], [t]), t)
    assert o.excluded is None
    # another model's profile does not apply
    (o,) = options(builder([model("n", base=rates("1", "2"))], [t]), t, "n")
    assert (o.cost_pusd, o.output_tokens, o.reasoning_tokens) == ((1000 + 14) * 10**6, 7, 0)


def test_a_measured_spread_is_rounded_up_to_a_whole_pico_dollar() -> None:
    # prompts 1 and 2 at $1/Mtok: cost 1.5e6, sd 0.5e6, p95 2e6; measured 3,000,001 pusd:
    # sd ceil(0.5e6 x 3,000,001 / 1.5e6) = ceil(1,000,000.33) = 1,000,001;
    # p95 ceil(2e6 x 3,000,001 / 1.5e6) = ceil(4,000,001.33) = 4,000,002
    t = task(output=OutputSpec(0, 0))
    b = builder([model(base=rates("1", "0"))], [t], [1, 2],
                measured_cost_usd={"t": {"m": D("0.000003000001")}})  # fmt: skip
    (o,) = options(b, t)
    assert (o.cost_pusd, o.cost_sd_pusd, o.cost_p95_pusd) == (3_000_001, 1_000_001, 4_000_002)
    assert type(o.cost_sd_pusd) is int
    assert type(o.cost_p95_pusd) is int


def test_a_measured_cost_finer_than_a_pico_dollar_names_the_file() -> None:
    t = task(prompt=PromptSpec(tokens=10))
    b = builder([model()], [t], measured_cost_usd={"t": {"m": D("0.0000000000001")}},
                doc=SourceDocument(Path("w.yaml"), {}, "0"))  # fmt: skip
    with pytest.raises(InputError) as info:
        options(b, t)
    assert info.value.file == "w.yaml"
    assert info.value.message == "amount 1E-13 USD is finer than 1e-12 USD"


def test_cache_ttl_over_samples_spread_and_p95() -> None:
    # haiku (input 1, read 0.1, 5m write 1.25, output 5), prefix 4,000, output mean 100 /
    # p95 200, prompts 500 and 1,500, 5m hit rate 0.6: each cost by the oracle, exact
    # (a denominator of 5); sd and the p95 cost at prompt 1,500 and output 200 likewise
    policy = CachePolicy({"5m": D("0.6")}, ttl="5m")
    t = task(shared_prefix_tokens=4000, output=OutputSpec(100, 200), cache=policy)
    h = model("haiku", "anthropic", HAIKU, min_cacheable_tokens=0)
    (o,) = options(builder([h], [t], [500, 1500]), t, "haiku")
    want = expected(HAIKU, [500, 1500], 4000, OutputSpec(100, 200), 0, "5m", F(3, 5))
    assert (o.cost_pusd, o.cost_p95_pusd, o.cost_sd_pusd, o.prompt_tokens_p95) == want
    # by hand: hits 500 + 400 + 500 = 1,400 and 2,400 (micro-USD); misses 500 + 5,000 + 500 =
    # 6,000 and 7,000; at 0.6: 3,240 and 4,240: mean 3,740, sd 500; p95: output 200 at 1,500:
    # hit 1,500 + 400 + 1,000 = 2,900, miss 7,500: 0.6 x 2,900 + 0.4 x 7,500 = 4,740
    assert want == (3740 * 10**6, 4740 * 10**6, 500 * 10**6, 1500)
