"""The checker's per-query bound and exact search (costplan.verify.perquerycert,
costplan.verify.searchq) against brute force on tiny per-query instances.

Written to kill mutants the suite let survive: its per-query tests give the search a budget
and floors only, in ``max`` sense. Here every row kind is drawn (budget, mean-quality floor,
task floors, request and token capacities, provider shares with a cap of 0, a fraction or
1, a ``*`` cap), both senses, random prices on every row, options that do not fit a context
window or a max output, a mode not allowed, a model the sheet does not price. The oracles
(tests/mutation_kills/perquery_cases.py) enumerate every plan and sum ``D`` option by option
from the README's and docs/certificate.md's definitions; never the checker's output.
"""

from __future__ import annotations

import random
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from costplan.verify import searchq
from costplan.verify.findings import Findings
from costplan.verify.perquery import _PerQuery
from costplan.verify.perquerycert import PricedQueries, priced
from costplan.verify.search import margin
from costplan.verify.searchq import prove
from tests.mutation_kills import perquery_cases as pc

SEED = 20261203
CASES = 200
BETTER = "the checker's search found a better plan"
F = Fraction


@pytest.fixture(scope="module")
def sheet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pc.write_sheet(tmp_path_factory.mktemp("sheet"))


def _priced(
    c: pc.Case, sheet: Path, prices: dict[str, Fraction]
) -> tuple[_PerQuery, PricedQueries | None, Findings]:
    pq = pc.per_query(c, sheet)
    f = Findings()
    pr = priced(pq, np.asarray(c.output, dtype=np.int64), {"prices": prices}, f)
    return pq, pr, f


def test_bound_and_search_agree_with_brute_force(sheet: Path) -> None:
    rng = random.Random(SEED)
    print(f"seed {SEED}")
    seen = {"max": 0, "min": 0}
    searched = refuted = infeasible = side_binding = pruned = 0
    for _ in range(CASES):
        c = pc.random_case(rng)
        prices = pc.random_prices(rng, c)
        want_d = pc.lagrangian(c, prices)
        pq, pr, f = _priced(c, sheet, prices)
        if want_d is None:  # a query with no usable option: no bound
            assert pr is None
            continue
        assert pr is not None, f.items
        assert pr.d == want_d, (c, prices)
        sense = "max" if c.maximise else "min"
        z = pc.brute(c)
        if z is None:
            # no plan meets the rows: no claim can be beaten, whatever the prices
            claim = int(want_d) - 3 if c.maximise else int(want_d) + 3
            assert prove(pq, pr, claim) is None, (c, prices)
            infeasible += 1
            continue
        assert margin(sense, pr.d, z) >= -1, (c, prices)  # weak duality: D bounds z*
        searched += margin(sense, pr.d, z) >= 0
        assert prove(pq, pr, z) is None, (c, prices)
        worse = z - 1 if c.maximise else z + 1  # a claim one unit worse than z*
        assert prove(pq, pr, worse) == BETTER, (c, prices)
        refuted += 1
        seen[sense] += 1
        free = pc.Case(c.tasks, c.prompt, c.cached, c.output, c.quality, c.objective,
                       c.budget, {k: v for k, v in c.settings.items()
                                  if k in ("modes", "min_quality")})  # fmt: skip
        side_binding += pc.brute(free) != z
        pruned += margin(sense, pr.d, worse) < 10 * len(c.tasks)
    print(f"senses {seen}, searched {searched}, refuted {refuted}, infeasible {infeasible}, "
          f"side rows binding {side_binding}, tight bounds {pruned}")  # fmt: skip
    # minimum success rates: both senses, the search reached, side rows that decide z*
    assert min(seen.values()) >= CASES // 6, seen
    assert searched >= CASES // 4, searched
    assert side_binding >= 15, side_binding
    assert infeasible >= 5, infeasible


BIG_SHEET = """\
currency: USD
models:
  a:
    provider: openai
    input_usd_per_mtok: 1000000000000
    output_usd_per_mtok: 0.000007
  b:
    provider: anthropic
    input_usd_per_mtok: 0.000001
    output_usd_per_mtok: 0.000001
"""


def _big(tmp_path: Path, objective: str, budget: str | None = None,
         **settings: object) -> tuple[_PerQuery, PricedQueries]:  # fmt: skip
    """Two queries of 3 prompt and 1 output token, quality 10 on ``a`` and 1 on ``b``.
    By hand: ``a`` costs 3 x 1e18 + 7 = 3,000,000,000,000,000,007 pusd a query (10^12 USD
    per Mtok = 10^18 pusd per token), past int64 for two queries (2^62 ~ 4.6e18); ``b``
    costs 3 + 1 = 4."""
    path = tmp_path / "big.yaml"
    path.write_text(BIG_SHEET)
    c = pc.Case(["t", "t"], [3, 3], [0, 0], [1, 1], [[10, 1, -1, -1], [10, 1, -1, -1]],
                objective, budget, dict(settings))  # fmt: skip
    pq, pr, f = _priced(c, path, {})
    assert pr is not None, f.items
    return pq, pr


def test_a_budget_past_int64_is_relaxed_then_every_plan_rechecked_exactly(tmp_path: Path) -> None:
    # Budget 6e18 + 13 pusd: both queries on a cost 6e18 + 14 (one pusd over), so the best
    # plan is one query on a, one on b: quality 10 + 1 = 11. D at zero prices: 10 + 10 = 20.
    # The relaxed budget row (coefficients and rhs divided by 10, rounded down) admits
    # a, a (6e17 <= 6e17); only the exact re-check refuses it.
    pq, pr = _big(tmp_path, "max_quality", "6000000.000000000013")
    assert pr.d == 20
    assert prove(pq, pr, 11) is None
    assert prove(pq, pr, 10) == BETTER
    # one pusd more and a, a fits: 20 is reached, so 19 is beaten and 20 proven by D
    pq, pr = _big(tmp_path, "max_quality", "6000000.000000000014")
    assert prove(pq, pr, 19) == BETTER
    assert prove(pq, pr, 11) == BETTER


def test_a_plan_the_relaxed_budget_admits_is_refused_and_forbidden(tmp_path: Path) -> None:
    # As above with b's quality 2 and a price of 5 on "at most 2 queries on b" (never
    # binding, so it only loosens D): D = 5 x 2 + 10 + 10 = 30 (each query's best priced
    # value is a's 10; b's is 2 - 5 = -3, a loss of 13). The best plan is a, b: 12. Against
    # a claim of 12 the margin is 30 - 13 = 17 >= 13, so both options of both queries stay
    # in the search; the only plan of quality >= 13 is a, a (20), which the relaxed budget
    # row admits and the exact one refuses: it is forbidden and the search solved again.
    path = tmp_path / "big.yaml"
    path.write_text(BIG_SHEET)
    c = pc.Case(["t", "t"], [3, 3], [0, 0], [1, 1], [[10, 2, -1, -1], [10, 2, -1, -1]],
                "max_quality", "6000000.000000000013", {"capacity_requests": {"b": 2}})  # fmt: skip
    pq, pr, f = _priced(c, path, {"capacity:b:requests": Fraction(5)})
    assert pr is not None, f.items
    assert pr.d == 30
    assert prove(pq, pr, 12) is None
    assert prove(pq, pr, 11) == BETTER


def test_a_share_row_past_int64_is_relaxed_then_rechecked(tmp_path: Path) -> None:
    # openai (model a) at most half the spend: a on either query puts > 3e18 of the
    # 3e18 + 11 on openai, so only b, b (quality 2) meets the row; D at zero prices 20.
    pq, pr = _big(tmp_path, "max_quality", None, max_provider_share={"openai": "0.5"})
    assert prove(pq, pr, 2) is None
    assert prove(pq, pr, 1) == BETTER


def test_a_cost_objective_past_int64_is_left_unproven(tmp_path: Path) -> None:
    # min cost: D at zero prices = 4 + 4 = 8 (both on b). A claim of 7e18 leaves every option
    # within the margin, so the cost row reaches 6e18 + 14 > 2^62: not searched, unproven.
    pq, pr = _big(tmp_path, "min_cost")
    assert pr.d == 8
    want = "the objective row passes int64: beyond the checker's exact search"
    assert prove(pq, pr, 7 * 10**18) == want
    assert prove(pq, pr, 9) == BETTER  # b, b costs 8 < 9
    assert prove(pq, pr, 8) is None  # D = 8 proves it alone


def test_the_core_size_limit(sheet: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Three queries of 5 prompt and 5 output tokens, quality on every model: each fits b
    # (10 tokens <= 40) and c (5 output <= 8), so each has 4 options (a, a batch, b, c).
    # Claim 0 in max sense at zero prices: every option is within the margin, so the core
    # is 3 queries x 4 options = 12 choices.
    c = pc.Case(["t"] * 3, [5] * 3, [0] * 3, [5] * 3, [[1, 2, 3, -1]] * 3, "max_quality")
    pq, pr, _ = _priced(c, sheet, {})
    monkeypatch.setattr(searchq, "MAX_CHOICES", 12)
    assert prove(pq, pr, 0) == BETTER
    monkeypatch.setattr(searchq, "MAX_CHOICES", 11)
    want = "its core (3 queries) is larger than the checker's exact search takes"
    assert prove(pq, pr, 0) == want


def _one_query(objective: str, budget: str | None = None, **settings: object) -> pc.Case:
    return pc.Case(["t"], [5], [0], [5], [[4, 2, 3, -1]], objective, budget, dict(settings))


@pytest.mark.parametrize(
    ("case", "label"),
    [
        (_one_query("max_quality", max_provider_share={"openai": "1"}), "share:openai"),
        (_one_query("max_quality", max_provider_share={"*": "1"}), "share:anthropic"),
        (_one_query("max_quality", max_provider_share={"openai": "0.5"}), "share:anthropic"),
        (_one_query("min_cost", "1", min_quality="0.000001"), "budget"),  # budget: unpriced
        (_one_query("max_quality", "1", min_quality="0.000001"), "quality"),
        (_one_query("max_quality", capacity_requests={"a": 1}), "capacity:a:tokens"),
        (_one_query("max_quality", capacity_tokens={"a": 9}), "capacity:a:requests"),
        (_one_query("max_quality", task_min_quality={"t": "0.1"}), "floor:u"),
    ],
)
def test_a_price_on_a_row_the_plan_does_not_have_is_refused(
    sheet: Path, case: pc.Case, label: str
) -> None:
    """The plan's rows (docs/certificate.md): a share row only for a cap below 1 on that
    provider, the budget priced only when maximising, the mean floor only when minimising,
    each capacity and floor row only as the settings name it."""
    _, pr, f = _priced(case, sheet, {label: Fraction(1, 2)})
    assert pr is None
    assert [(v.key, v.message) for v in f.items] == [
        (("certificate", "prices", label), "a row this plan does not have")
    ]


@pytest.mark.parametrize(
    ("case", "label"),
    [
        (_one_query("max_quality", max_provider_share={"openai": "0.999"}), "share:openai"),
        (_one_query("max_quality", max_provider_share={"*": "0"}), "share:anthropic"),
        (_one_query("max_quality", "1"), "budget"),
        (_one_query("min_cost", min_quality="0.000001"), "quality"),
        (_one_query("max_quality", capacity_tokens={"a": 9}), "capacity:a:tokens"),
        (_one_query("max_quality", capacity_requests={"b": 0}), "capacity:b:requests"),
        (_one_query("max_quality", task_min_quality={"t": "0.1"}), "floor:t"),
        (_one_query("max_quality", task_min_quality={"t": "0"}), "floor:t"),
        (_one_query("min_cost", min_quality="0"), "quality"),
        (_one_query("max_quality", "0"), "budget"),
    ],
)
def test_a_price_on_each_row_the_plan_has_is_read(sheet: Path, case: pc.Case, label: str) -> None:
    _, pr, f = _priced(case, sheet, {label: Fraction(1, 2)})
    assert pr is not None, f.items
    assert pr.prices == {label: Fraction(1, 2)}
    assert pr.d == pc.lagrangian(case, {label: Fraction(1, 2)})


def test_a_query_no_model_can_take_has_no_bound(sheet: Path) -> None:
    # query 1 scores only bz (not in the sheet) and a model whose context it overflows:
    # 30 prompt + 3 cached + 10 output = 43 > b's 40 tokens
    c = pc.Case(["t", "t"], [5, 30], [0, 3], [5, 10], [[4, 2, 3, -1], [-1, 7, -1, 9]],
                "max_quality")  # fmt: skip
    _, pr, f = _priced(c, sheet, {})
    assert pr is None
    assert not f.items


def test_the_core_is_what_the_margin_leaves(sheet: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The same three queries: qualities a 1, b 2, c 3 (a batch: 1), so D at zero prices is
    # 3 x 3 = 9. A claim of 8 leaves a margin of 0: only c (loss 0) is kept, every query is
    # fixed and the core is empty, well within a limit of 11 choices; c, c, c (9) beats 8.
    c = pc.Case(["t"] * 3, [5] * 3, [0] * 3, [5] * 3, [[1, 2, 3, -1]] * 3, "max_quality")
    pq, pr, _ = _priced(c, sheet, {})
    assert pr is not None
    assert pr.d == 9
    monkeypatch.setattr(searchq, "MAX_CHOICES", 11)
    assert prove(pq, pr, 8) == BETTER


@pytest.mark.parametrize(
    ("objective", "settings", "claim", "want"),
    [
        # budget 0: no option is free, so no plan at all: nothing beats a claim of 0
        ("max_quality", {"budget": "0"}, 0, None),
        # a mean floor of 0 binds nothing: the cheapest plan (each query on its cheapest
        # option, D at zero prices) beats D + 1
        ("min_cost", {"min_quality": "0"}, "D+1", BETTER),
        # a task floor of 0 binds nothing: the best plan (D) beats D - 1
        ("max_quality", {"task_min_quality": {"t": "0"}}, "D-1", BETTER),
    ],
)
def test_limits_of_zero(sheet: Path, objective: str, settings: dict[str, object], claim: object,
                        want: str | None) -> None:  # fmt: skip
    s = dict(settings)
    budget = s.pop("budget", None)
    c = pc.Case(["t"] * 2, [5] * 2, [0] * 2, [5] * 2, [[1, 2, 3, -1], [4, 0, 2, -1]], objective,
                budget, s)  # fmt: skip
    pq, pr, f = _priced(c, sheet, {})
    assert pr is not None, f.items
    assert pr.d == pc.lagrangian(c, {})
    z = claim if isinstance(claim, int) else int(pr.d) + (1 if claim == "D+1" else -1)
    assert prove(pq, pr, z) == want


COLON_SHEET = """\
currency: USD
models:
  "x:1":
    provider: "acme:eu"
    input_usd_per_mtok: 0.000001
    output_usd_per_mtok: 0.000001
  b:
    provider: anthropic
    input_usd_per_mtok: 0.000001
    output_usd_per_mtok: 0.000001
"""


@pytest.mark.parametrize(
    ("settings", "best", "label", "d"),
    [
        # one query on x:1 (10), one on b (1); D = 1/2 x 1 + 2 x max(10 - 1/2, 1) = 19.5
        ({"capacity_requests": {"x:1": 1}}, 11, "capacity:x:1:requests", F(39, 2)),
        # a query sends 5 + 5 = 10 tokens; D = 1/2 x 10 + 2 x max(10 - 5, 1) = 15
        ({"capacity_tokens": {"x:1": 10}}, 11, "capacity:x:1:tokens", F(15)),
        # none on x:1: b, b (2); a query on x:1 costs 5 + 5 = 10 pusd, all of it on acme:eu:
        # D = 2 x max(10 - 1/2 x 10, 1 - 1/2 x 0) = 10
        ({"max_provider_share": {"acme:eu": "0"}}, 2, "share:acme:eu", F(10)),
    ],
)
def test_rows_of_names_with_colons(tmp_path: Path, settings: dict[str, object], best: int,
                                   label: str, d: Fraction) -> None:  # fmt: skip
    """A model ``x:1`` of a provider ``acme:eu`` (names may hold ``:``; the row label is
    ``capacity:x:1:requests``, ``share:acme:eu``). Two queries, quality 10 on x:1, 1 on b;
    D at zero prices 20, and with a price of 1/2 on the row as in each comment."""
    path = tmp_path / "colon.yaml"
    path.write_text(COLON_SHEET)
    c = pc.Case(["t"] * 2, [5] * 2, [0] * 2, [5] * 2, [[1, -1, -1, -1]] * 2, "max_quality",
                None, dict(settings))  # fmt: skip
    pq = pc.per_query(c, path)
    qs = pq.qs
    pq.qs = type(qs)(qs.ids, qs.tasks, qs.texts, qs.prompt, qs.cached, qs.output,
                     qs.output_given, ("x:1", "b"), np.asarray([[10, 1]] * 2, dtype=np.int64),
                     qs.sha256)  # fmt: skip
    f = Findings()
    pr = priced(pq, qs.output, {"prices": {}}, f)
    assert pr is not None, f.items
    assert pr.d == 20
    assert prove(pq, pr, best) is None
    assert prove(pq, pr, best - 1) == BETTER
    pr = priced(pq, qs.output, {"prices": {label: F(1, 2)}}, f)
    assert pr is not None, f.items
    assert pr.d == d
    assert prove(pq, pr, best) is None
    assert prove(pq, pr, best - 1) == BETTER


def test_a_cost_row_of_exactly_2_to_the_62_is_past_the_limit(tmp_path: Path) -> None:
    # One query of 1 prompt token and no output on a model of 2^62 / 10^6 USD per Mtok
    # (= 4,611,686,018,427.387904, exactly 2^62 pusd per token): its only option costs
    # 2^62, at the limit (every expression must stay below 2^62). A claim of 2^62 + 5 leaves
    # a margin of 4 over D = 2^62, so the cost row is searched: it is past the limit.
    path = tmp_path / "edge.yaml"
    path.write_text("models:\n  a:\n    provider: openai\n"
                    "    input_usd_per_mtok: 4611686018427.387904\n")  # fmt: skip
    c = pc.Case(["t"], [1], [0], [0], [[3, -1, -1, -1]], "min_cost")
    pq, pr, f = _priced(c, path, {})
    assert pr is not None, f.items
    assert pr.d == 2**62
    want = "the objective row passes int64: beyond the checker's exact search"
    assert prove(pq, pr, 2**62 + 5) == want


def test_a_model_of_quality_0_on_every_query_is_an_option(sheet: Path) -> None:
    # min cost, standard mode only, two queries of 5 prompt and 5 output tokens scored 0 on
    # b (costs 5 + 15 = 20 pusd) and 7 on a (10 + 30 = 40): D at zero prices = 20 + 20 = 40,
    # from b (without b's column it would be 80).
    c = pc.Case(["t"] * 2, [5] * 2, [0] * 2, [5] * 2, [[7, 0, -1, -1]] * 2, "min_cost",
                None, {"modes": ["standard"]})  # fmt: skip
    _, pr, f = _priced(c, sheet, {})
    assert pr is not None, f.items
    assert pr.d == 40


def test_a_request_of_exactly_the_context_window_fits(sheet: Path) -> None:
    # 30 prompt + 2 cached + 8 output = 40 tokens = b's context window: b fits. Quality only
    # on b (5): D = 5; at 41 tokens no model fits and there is no bound.
    c = pc.Case(["t"], [30], [2], [8], [[-1, 5, -1, -1]], "max_quality")
    _, pr, f = _priced(c, sheet, {})
    assert pr is not None, f.items
    assert pr.d == 5
    c = pc.Case(["t"], [31], [2], [8], [[-1, 5, -1, -1]], "max_quality")
    _, pr, _ = _priced(c, sheet, {})
    assert pr is None


def test_a_max_output_of_exactly_the_limit_fits(sheet: Path) -> None:
    # 8 output tokens = c's max output: c fits (quality 6); at 9 it does not (no bound).
    c = pc.Case(["t"], [1], [0], [8], [[-1, -1, 6, -1]], "max_quality")
    _, pr, f = _priced(c, sheet, {})
    assert pr is not None, f.items
    assert pr.d == 6
    c = pc.Case(["t"], [1], [0], [9], [[-1, -1, 6, -1]], "max_quality")
    _, pr, _ = _priced(c, sheet, {})
    assert pr is None


def test_a_plan_one_micro_short_of_a_task_floor_does_not_count(sheet: Path) -> None:
    # One query, quality 4 on a only, a task floor of 5 micro: no plan meets the floor (it
    # is 1 micro short), so nothing beats a claim of 3, though D at zero prices is 4.
    c = pc.Case(["t"], [5], [0], [5], [[4, -1, -1, -1]], "max_quality", None,
                {"task_min_quality": {"t": "0.000005"}})  # fmt: skip
    pq, pr, f = _priced(c, sheet, {})
    assert pr is not None, f.items
    assert pr.d == 4
    assert prove(pq, pr, 3) is None


HUGE_SHEET = """\
currency: USD
models:
  h:
    provider: openai
    input_usd_per_mtok: 1000000000000
  b:
    provider: anthropic
    input_usd_per_mtok: 0.000001
"""


@pytest.mark.parametrize(
    ("objective", "budget", "settings", "prompt", "quality", "prices", "d"),
    [
        # max, budget 1e19 pusd priced 10: D = 10 x 1e19 + max(10 - 10 x 1e18, 1 - 10 x 1)
        ("max_quality", "10000000", {}, 1, [10, 1], {"budget": F(10)}, 10**20 - 9),
        # min, "at most 1 query on h" priced 1/10: D = -1/10 x 1 + min(1e18 + 1/10, 1) = 9/10
        (
            "min_cost",
            None,
            {"capacity_requests": {"h": 1}},
            1,
            [10, 1],
            {"capacity:h:requests": F(1, 10)},
            F(9, 10),
        ),
        # max, quality on b only, 1e17 prompt tokens (1e17 pusd), "at most 1e17 tokens on b"
        # priced 100: D = 100 x 1e17 + (1 - 100 x 1e17) = 1
        (
            "max_quality",
            None,
            {"capacity_tokens": {"b": 10**17}},
            10**17,
            [-1, 1],
            {"capacity:b:tokens": F(100)},
            1,
        ),
        # max, quality 600000 micro on b only, a task floor of 0.5 priced 1e14:
        # D = 600000 - 1e14 x (500000 - 600000) = 1e19 + 600000
        (
            "max_quality",
            None,
            {"task_min_quality": {"t": "0.5"}},
            1,
            [-1, 600000],
            {"floor:t": F(10**14)},
            10**19 + 600000,
        ),
        # max, quality 600001 on b only, a task floor of 0.5 priced 1e11 + 2: within int64,
        # past 2^53 (a double would round it): D = 600001 + (1e11 + 2) x 100001
        (
            "max_quality",
            None,
            {"task_min_quality": {"t": "0.5"}},
            1,
            [-1, 600001],
            {"floor:t": F(10**11 + 2)},
            10000100000800003,
        ),
        # min, mean floor 0.000001 (1 micro, one query) priced 1e13, quality 1e6 micro on b:
        # D = 1e13 x 1 + min(1 - 1e13 x 1e6) = 10**13 + 1 - 10**19
        (
            "min_cost",
            None,
            {"min_quality": "0.000001"},
            1,
            [-1, 10**6],
            {"quality": F(10**13)},
            10**13 + 1 - 10**19,
        ),
        # max, "at most 1 request on b" priced 1e19 (its red alone passes int64):
        # D = 1e19 x 1 + (1 - 1e19) = 1
        (
            "max_quality",
            None,
            {"capacity_requests": {"b": 1}},
            1,
            [-1, 1],
            {"capacity:b:requests": F(10**19)},
            1,
        ),
    ],
)
def test_priced_values_past_int64_stay_exact(
    tmp_path: Path, objective: str, budget: str | None, settings: dict[str, object],
    prompt: int, quality: list[int], prices: dict[str, Fraction], d: Fraction | int,
) -> None:  # fmt: skip
    """One query on ``h`` (10^18 pusd a prompt token: 10^12 USD per Mtok) or ``b`` (1 pusd a
    token), no output: the priced values pass int64 (9.2e18) though every cost fits it."""
    path = tmp_path / "huge.yaml"
    path.write_text(HUGE_SHEET)
    c = pc.Case(["t"], [prompt], [0], [0], [[*quality, -1, -1]], objective, budget,
                dict(settings))  # fmt: skip
    pq = pc.per_query(c, path)
    qs = pq.qs
    pq.qs = type(qs)(qs.ids, qs.tasks, qs.texts, qs.prompt, qs.cached, qs.output,
                     qs.output_given, ("h", "b"), np.asarray([quality], dtype=np.int64),
                     qs.sha256)  # fmt: skip
    f = Findings()
    pr = priced(pq, qs.output, {"prices": prices}, f)
    assert pr is not None, f.items
    assert pr.d == d
