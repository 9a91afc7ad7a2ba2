"""Prompt caching as billed: hit rates, writes at the TTL's rate, minimum prefixes, TTL choice.

Oracles: hand arithmetic in comments (README "Prompt caching"), and genai-prices'
``calc_price`` for every hit and miss request.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from genai_prices import Usage

from costplan.api import load_inputs, optimize
from costplan.errors import InputError
from costplan.planio import read_plan, write_plan
from costplan.pricing.cost import request_cost_int
from costplan.pricing.load import load_price_sheet
from tests.cli.conftest import Runner

# haiku: Anthropic-style (read 0.1x, 5m write 1.25x, 1h write 2x input); mini: OpenAI-style
# (read 0.5x, no write price: a miss is plain input; no 1-hour TTL).
PRICES = """\
currency: USD
models:
  haiku:
    provider: anthropic
    input_usd_per_mtok: 1
    output_usd_per_mtok: 5
    cache_read_usd_per_mtok: 0.1
    cache_write_usd_per_mtok: 1.25
    cache_write_1h_usd_per_mtok: 2
    min_cacheable_tokens: 2048
  mini:
    provider: openai
    input_usd_per_mtok: 0.15
    output_usd_per_mtok: 0.6
    cache_read_usd_per_mtok: 0.075
"""


def workload(tmp_path: Path, cache: str, *, prefix: int = 4000, extra: str = "") -> Path:
    (tmp_path / "prices.yaml").write_text(PRICES)
    w = tmp_path / "workload.yaml"
    w.write_text(
        "name: cw\nbudget_usd: 1000\nprices: prices.yaml\ntasks:\n"
        "  - name: support\n    volume: 100000\n    prompt: {tokens: 500}\n"
        f"    shared_prefix_tokens: {prefix}\n    output_tokens: 100\n"
        + (f"    cache: {cache}\n" if cache else "")
        + extra
        + "quality:\n  support: {haiku: 0.9, mini: 0.8}\n"
    )
    return w


def costs(path: Path) -> dict[str, int]:
    return {o.label: o.cost_pusd for o in load_inputs(path).options if o.excluded is None}


def test_expected_costs_by_hand(tmp_path: Path) -> None:
    """500 prompt + 4,000 prefix + 100 output tokens, in micro-dollars (1e6 pusd):

    haiku none: 4,500 x 1 + 100 x 5 = 5,000
    haiku hit:  500 x 1 + 4,000 x 0.1 + 500 = 1,400
    haiku miss: 5m 500 + 4,000 x 1.25 + 500 = 6,000;  1h 500 + 4,000 x 2 + 500 = 9,000
    5m at 60%: 0.6 x 1,400 + 0.4 x 6,000 = 3,240;  1h at 95%: 0.95 x 1,400 + 0.05 x 9,000 = 1,780
    mini none: 4,500 x 0.15 + 100 x 0.6 = 735;  hit 75 + 300 + 60 = 435;  miss = none = 735
    mini 5m at 60%: 0.6 x 435 + 0.4 x 735 = 555
    """
    got = costs(workload(tmp_path, "{hit_rate: {5m: 0.6, 1h: 0.95}}"))
    micro = 10**6
    assert got == {
        "haiku (no cache)": 5_000 * micro,
        "haiku (5m cache)": 3_240 * micro,
        "haiku (1h cache)": 1_780 * micro,
        "mini (no cache)": 735 * micro,
        "mini (5m cache)": 555 * micro,
    }


def test_without_a_policy_the_prefix_is_read_on_every_query(tmp_path: Path) -> None:
    # Today's behaviour: haiku 500 + 4,000 x 0.1 + 500 = 1,400; mini 75 + 300 + 60 = 435.
    assert costs(workload(tmp_path, "")) == {"haiku": 1_400 * 10**6, "mini": 435 * 10**6}


def test_expected_cost_rounds_up_once(tmp_path: Path) -> None:
    # haiku 5m: h x 1,400e6 + (1 - h) x 6,000e6 = 6,000e6 - h x 4,600e6 pico-dollars.
    # h = 0.3333333: 6,000,000,000 - 1,533,333,180 = 4,466,666,820 exactly;
    # h = 0.33333333333: 6e9 - 1,533,333,333.318 = 4,466,666,666.682 -> up to ...667.
    got = costs(workload(tmp_path, "{hit_rate: 0.3333333, ttl: 5m}"))
    assert got["haiku (5m cache)"] == 4_466_666_820
    got = costs(workload(tmp_path, "{hit_rate: 0.33333333333, ttl: 5m}"))
    assert got["haiku (5m cache)"] == 4_466_666_667


def test_a_prefix_below_the_minimum_is_never_cached(tmp_path: Path) -> None:
    # haiku's sheet minimum is 2,048: a 2,000-token prefix is billed as input
    # (2,500 x 1 + 500 = 3,000). mini has OpenAI's default minimum 1,024: cached.
    table = load_inputs(workload(tmp_path, "{hit_rate: 0.9}", prefix=2000))
    haiku = [o for o in table.options if o.model == "haiku"]
    assert [(o.cache, o.cost_pusd) for o in haiku] == [("none", 3_000 * 10**6)]
    assert "below haiku's minimum cacheable 2,048" in haiku[0].detail
    assert {o.cache for o in table.options if o.model == "mini"} == {"none", "5m"}


@pytest.mark.parametrize(
    ("provider", "name", "minimum"),
    [
        ("anthropic", "claude-haiku-4-5", 4096),
        ("anthropic", "claude-3-5-haiku-20241022", 2048),
        ("anthropic", "claude-sonnet-4-5", 1024),
        ("aws", "anthropic.claude-haiku-4-5-20251001-v1:0", 4096),
        ("openai", "gpt-4o", 1024),
        ("google", "gemini-2.5-pro", 4096),
        ("google", "gemini-2.5-flash", 1024),
        ("acme", "x", 1024),
    ],
)
def test_documented_default_minimums(
    tmp_path: Path, provider: str, name: str, minimum: int
) -> None:
    from costplan.pricing.caching import min_cacheable_tokens

    p = tmp_path / "p.yaml"
    p.write_text(
        f"models:\n  {name}:\n    provider: {provider}\n"
        "    input_usd_per_mtok: 1\n    output_usd_per_mtok: 1\n"
    )
    assert min_cacheable_tokens(load_price_sheet(p).models[name]) == minimum


@pytest.mark.parametrize(
    ("rates", "chosen"),
    [
        # 1h at 95%: 1,780 < 5m at 60%: 3,240 < none 5,000 (see the hand costs above).
        ("{5m: 0.6, 1h: 0.95}", "1h"),
        # 1h at 70%: 0.7 x 1,400 + 0.3 x 9,000 = 3,680 > 5m's 3,240 -> 5m.
        ("{5m: 0.6, 1h: 0.7}", "5m"),
        # h = 0.1 for both: 5m 0.1 x 1,400 + 0.9 x 6,000 = 5,540 > none 5,000 -> none.
        ("0.1", "none"),
    ],
)
def test_the_solver_picks_the_ttl(tmp_path: Path, rates: str, chosen: str) -> None:
    w = workload(tmp_path, f"{{hit_rate: {rates}}}", extra="    allow: [haiku]\n")
    plan = optimize(load_inputs(w), explain=False)
    [a] = plan.tasks[0].allocations
    assert (a.model, a.cache, a.count) == ("haiku", chosen, 100_000)
    [note] = [n for n in plan.notes if n.startswith("prompt cache")]
    # 5m pays above 0.25 / 1.15 = 21.74%, 1h above 1 / 1.9 = 52.63%.
    assert "caching pays above a hit rate of 21.74% (5m), 52.63% (1h)" in note


def test_break_even_of_one_hour_against_five_minutes(tmp_path: Path) -> None:
    # 1 - (1 - 0.6) x (1.25 - 0.1) / (2 - 0.1) = 1 - 0.4 x 0.60526... = 75.79%
    w = workload(tmp_path, "{hit_rate: {5m: 0.6, 1h: 0.95}}", extra="    allow: [haiku]\n")
    plan = optimize(load_inputs(w), explain=False)
    [note] = [n for n in plan.notes if n.startswith("prompt cache")]
    assert note.startswith("prompt cache, task 'support' on haiku (1h cache): 1h TTL chosen")
    assert "1h beats 5m when its hit rate exceeds 75.79% (with 5m at 60.00%)" in note


def test_a_fixed_ttl_the_model_does_not_offer_is_excluded(tmp_path: Path) -> None:
    table = load_inputs(workload(tmp_path, "{hit_rate: 0.9, ttl: 1h}"))
    mini = [o for o in table.options if o.model == "mini"]
    assert [(o.cache, o.excluded) for o in mini] == [("1h", "mini has no 1-hour cache write price")]
    assert [o.cache for o in table.options if o.model == "haiku"] == ["1h"]


def test_plans_with_cache_choices_round_trip_and_reprice(tmp_path: Path, run: Runner) -> None:
    w = workload(tmp_path, "{hit_rate: {5m: 0.6, 1h: 0.95}}")
    plan = optimize(load_inputs(w), explain=False)
    out = tmp_path / "plan.yaml"
    write_plan(plan, out)
    assert "cache: 1h" in out.read_text()
    back = read_plan(out)
    assert [a.cache for t in back.tasks for a in t.allocations] == ["1h"]
    r = run("check", out, "--workload", w, "--prices", tmp_path / "prices.yaml")
    assert r.code == 0, r.err


@pytest.mark.parametrize(
    ("cache", "extra", "fragment"),
    [
        ("{hit_rate: {5m: 0.5}, ttl: 1h}", "", "'hit_rate' has no rate for the chosen ttl 1h"),
        ("{hit_rate: 1.5}", "", "tasks[0].cache.hit_rate"),
        ("{hit_rate: 0.5, ttl: 10m}", "", "tasks[0].cache.ttl"),
    ],
)
def test_bad_cache_policies_are_located(
    tmp_path: Path, cache: str, extra: str, fragment: str
) -> None:
    with pytest.raises(InputError) as info:
        load_inputs(workload(tmp_path, cache, extra=extra))
    assert fragment in str(info.value)


def test_a_policy_needs_a_prefix_and_no_measured_cost(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="a cache policy needs a cacheable prefix"):
        load_inputs(workload(tmp_path, "{hit_rate: 0.5}", prefix=0))
    w = workload(tmp_path, "{hit_rate: 0.5}")
    w.write_text(w.read_text() + "measured_cost_usd:\n  support: {haiku: 0.001}\n")
    with pytest.raises(InputError, match="a measured cost already includes caching"):
        load_inputs(w)


# --- genai-prices ------------------------------------------------------------------

AS_OF = datetime(2026, 11, 28, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog() -> dict[str, object]:
    from costplan.pricing.catalogs.common import Selector
    from costplan.pricing.catalogs.genai_prices import import_genai_prices_with_entries

    result, entries = import_genai_prices_with_entries(
        Selector(providers=("anthropic", "openai")), AS_OF.date()
    )
    rounded = {(f.provider, f.model) for f in result.of_kind("rounded")}
    return {
        e.name: (result.models[e.name], e)
        for e in entries
        if (e.provider.id, e.model.id) not in rounded
    }


def theirs(entry: object, usage: Usage) -> Decimal:
    e = entry
    return e.model.calc_price(usage, e.provider, genai_request_timestamp=AS_OF).total_price  # type: ignore[attr-defined]


def test_cache_reads_and_writes_equal_genai_prices(catalog: dict[str, object]) -> None:
    """>= 1,000 seeded random usages (seed 20261202) with cache reads, 5-minute and 1-hour
    writes, on every Anthropic and OpenAI model with a cache price: costplan's request cost
    equals genai-prices' calc_price exactly, to the pico-dollar."""
    rng = random.Random(20261202)
    compared = with_1h = 0
    for name in sorted(catalog):
        model, entry = catalog[name]  # type: ignore[misc]
        base = model.standard.base
        if base.cache_read_usd_per_mtok is None and base.cache_write_usd_per_mtok is None:
            continue
        for _ in range(16):
            u, c = rng.randint(0, 50_000), rng.randint(0, 150_000)
            w5, w1h = rng.randint(0, 100_000), rng.randint(0, 100_000) * rng.randint(0, 1)
            o, r = rng.randint(0, 20_000), rng.randint(0, 5_000)
            ours = request_cost_int(
                model.standard, uncached=u, cached=c, cache_write=w5, cache_write_1h=w1h,
                output=o, reasoning=r,
            )  # fmt: skip
            usage = Usage(
                input_tokens=u + c + w5 + w1h,
                cache_read_tokens=c,
                cache_write_tokens=w5 + w1h,
                cache_write_1h_tokens=w1h,
                output_tokens=o + r,
                output_reasoning_tokens=r,
            )
            assert Decimal(ours) / 10**12 == theirs(entry, usage), (
                name, usage,
            )  # fmt: skip
            compared += 1
            with_1h += w1h > 0 and base.cache_write_1h_usd_per_mtok is not None
    print(f"compared {compared} usages, {with_1h} with priced 1-hour writes")  # pytest -s
    assert compared >= 1000
    assert with_1h >= 100


def test_option_costs_equal_genai_prices_hit_and_miss(
    catalog: dict[str, object], tmp_path: Path, run: Runner
) -> None:
    """An option's cost per query is ceil(h x calc_price(hit) + (1 - h) x calc_price(miss))
    with both requests priced by genai-prices, for Claude Haiku 4.5 (5m and 1h) and GPT-4o."""
    prices = tmp_path / "prices.yaml"
    r = run(
        "prices", "import", "--from", "genai-prices", "-o", prices, "--as-of", "2026-11-28",
        "--model", "claude-haiku-4-5", "--model", "gpt-4o",
    )  # fmt: skip
    assert r.code == 0, r.err
    w = tmp_path / "workload.yaml"
    w.write_text(
        "name: g\nbudget_usd: 1000\nprices: prices.yaml\ntasks:\n"
        "  - {name: t, volume: 10, prompt: {tokens: 777}, shared_prefix_tokens: 5000, "
        "output_tokens: 321, cache: {hit_rate: {5m: 0.61, 1h: 0.937}}}\n"
        "quality:\n  t: {claude-haiku-4-5: 0.9, gpt-4o: 0.8}\n"
    )
    table = load_inputs(w)
    seen = set()
    for o in table.options:
        entry = catalog[o.model][1]  # type: ignore[index]
        p, out = 777, 321
        none = theirs(entry, Usage(input_tokens=p + 5000, output_tokens=out))
        if o.cache == "none":
            expected = Fraction(none) * 10**12
        else:
            hit = theirs(entry, Usage(input_tokens=p + 5000, cache_read_tokens=5000,
                                      output_tokens=out))  # fmt: skip
            one_hour = 5000 if o.cache == "1h" else 0
            miss_usage = Usage(
                input_tokens=p + 5000,
                cache_write_tokens=5000,
                cache_write_1h_tokens=one_hour,
                output_tokens=out,
            )
            miss = theirs(entry, miss_usage)
            h = Fraction(Decimal({"5m": "0.61", "1h": "0.937"}[o.cache]))
            expected = (h * Fraction(hit) + (1 - h) * Fraction(miss)) * 10**12
        assert o.cost_pusd == -(-expected.numerator // expected.denominator), o.label
        seen.add((o.model, o.cache))
    assert seen == {
        ("claude-haiku-4-5", "none"), ("claude-haiku-4-5", "5m"), ("claude-haiku-4-5", "1h"),
        ("gpt-4o", "none"), ("gpt-4o", "5m"),
    }  # fmt: skip


def test_exports_carry_the_cache_choice(tmp_path: Path) -> None:
    import csv
    import io

    import yaml

    from costplan.export import to_csv, to_litellm

    w = workload(tmp_path, "{hit_rate: {5m: 0.6, 1h: 0.95}}", extra="    allow: [haiku]\n")
    plan = optimize(load_inputs(w), explain=False)
    [row] = list(csv.DictReader(io.StringIO(to_csv(plan))))
    assert (row["model"], row["cache"]) == ("haiku", "1h")
    [deployment] = yaml.safe_load(to_litellm(plan))["model_list"]
    assert deployment["model_info"]["costplan_cache"] == "1h"


def test_check_says_when_a_cache_choice_is_gone(tmp_path: Path, run: Runner) -> None:
    w = workload(tmp_path, "{hit_rate: {5m: 0.6, 1h: 0.95}}", extra="    allow: [haiku]\n")
    out = tmp_path / "plan.yaml"
    write_plan(optimize(load_inputs(w), explain=False), out)
    new = tmp_path / "new.yaml"
    new.write_text(PRICES.replace("    cache_write_1h_usd_per_mtok: 2\n", ""))
    r = run("check", out, "--workload", w, "--prices", new)
    assert r.code == 1
    assert "haiku (1h cache): cache choice '1h' is no longer offered" in r.err + r.out


def test_the_caching_example_by_hand() -> None:
    """examples/caching/README.md derives every figure: 1h wins on both Claude models;
    80% / 20% of reviews meet the 0.88 floor; triage on gpt-4.1-mini with 5m."""
    example = Path(__file__).parents[2] / "examples" / "caching" / "workload.yaml"
    plan = optimize(load_inputs(example), explain=False)
    got = {
        (t.name, a.model, a.cache): (a.count, a.cost_per_query_pusd)
        for t in plan.tasks
        for a in t.allocations
    }
    micro = 10**6
    assert got == {
        ("code-review", "claude-sonnet-4-5", "1h"): (160_000, 25_440 * micro),
        ("code-review", "claude-haiku-4-5", "1h"): (40_000, 8_480 * micro),
        ("triage", "gpt-4.1-mini", "5m"): (1_000_000, 392 * micro),
    }
    assert plan.cost_pusd == 4_801_600_000 * 10**6  # $4,801.60
    assert plan.status == "optimal"


def test_claude_on_another_provider_keeps_its_minimum(tmp_path: Path) -> None:
    """Haiku 4.5 served by Bedrock: a 4,000-token prefix is below its 4,096 minimum, so only
    'no cache' (the defaults match Claude by model name, not by provider)."""
    (tmp_path / "prices.yaml").write_text(
        "models:\n  anthropic.claude-haiku-4-5:\n    provider: aws\n"
        "    input_usd_per_mtok: 1\n    output_usd_per_mtok: 5\n"
        "    cache_read_usd_per_mtok: 0.1\n    cache_write_usd_per_mtok: 1.25\n"
    )
    w = tmp_path / "workload.yaml"
    w.write_text(
        "name: b\nbudget_usd: 100\nprices: prices.yaml\ntasks:\n"
        "  - {name: t, volume: 10, prompt: {tokens: 500}, shared_prefix_tokens: 4000, "
        "output_tokens: 100, cache: {hit_rate: 0.9}}\n"
        "quality:\n  t: {anthropic.claude-haiku-4-5: 0.9}\n"
    )
    plan = optimize(load_inputs(w), explain=False)
    [a] = plan.tasks[0].allocations
    # 4,500 x 1 + 100 x 5 = 5,000 micro-dollars a query, uncached.
    assert (a.cache, a.cost_per_query_pusd) == ("none", 5_000 * 10**6)
