"""The checker's commitments (costplan.verify.commitments), field by field.

Written to kill mutants the suite let survive. The workload is tests/billing/test_commitments.py's
``TWO`` (figures by hand there): 1,000,000 queries that must all run on big ($0.004 a query,
1,250 tokens); ``ptu`` ($1,500, 500,000 requests, price factor 0) and ``cud`` ($500,
625,000,000 tokens = 500,000 queries, factor 0.5: $0.002 a query). Both taken: $2,000 of fees,
500,000 free queries, 500,000 x $0.002 = $1,000; the plan costs $3,000 and each commitment is
used to exactly its capacity.
"""

from __future__ import annotations

import copy
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from costplan.api import load_inputs, optimize
from costplan.plan import plan_to_dict
from costplan.verify import Sources, check_document
from costplan.verify.commitments import CommitSpec, committed_row, read_commitments
from costplan.verify.costs import OptionCost
from costplan.verify.findings import Findings
from costplan.verify.prices import load_sheets
from tests.billing.test_commitments import PRICES, TWO

PUSD = 10**12


def _files(tmp: Path, workload: str = TWO) -> Path:
    (tmp / "prices.yaml").write_text(PRICES)
    path = tmp / "w.yaml"
    path.write_text(workload)
    return path


def _found(doc: dict[str, Any], path: Path) -> list[str]:
    sources = Sources(workload=path, prices=(path.parent / "prices.yaml",))
    return [str(v) for v in check_document(doc, sources)]


@pytest.fixture
def base(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    path = _files(tmp_path)
    doc = plan_to_dict(optimize(load_inputs(path), explain=False))
    assert [c["name"] for c in doc["commitments"]] == ["ptu", "cud"]
    rows = [(a["commitment"], a["count"]) for a in doc["tasks"][0]["allocations"]]
    assert rows == [("cud", 500_000), ("ptu", 500_000)]
    assert doc["totals"]["cost_usd"] == "3000"
    assert _found(doc, path) == []
    return path, doc


def _lines(doc: dict[str, Any], path: Path, *prefixes: str) -> list[str]:
    keep = prefixes or ("commitments", "totals", "tasks")
    return [g for g in _found(doc, path) if g.startswith(keep)]


# the fees are part of the totals: $3,000 with both, $1,500 without ptu's, $2,500 without cud's
NO_PTU = ["totals.cost_usd: '3000' USD, recomputed 1500 USD",
          "totals.cost_p95_usd: '3000' USD, recomputed 1500 USD"]  # fmt: skip
NO_CUD = ["totals.cost_usd: '3000' USD, recomputed 2500 USD",
          "totals.cost_p95_usd: '3000' USD, recomputed 2500 USD"]  # fmt: skip
NONE = ["totals.cost_usd: '3000' USD, recomputed 1000 USD",
        "totals.cost_p95_usd: '3000' USD, recomputed 1000 USD"]  # fmt: skip
C0, C1 = "commitments[0]", "commitments[1]"
CASES: list[tuple[str, Any, Any, list[str]]] = [
    (C0, "fee_usd", "1501", [f"{C0}.fee_usd: '1501', the workload gives 1500 USD"]),
    (C0, "fee_usd", None, [f"{C0}.fee_usd: None, the workload gives 1500 USD"]),
    (
        C1,
        "fee_usd",
        "500.000000000001",
        [f"{C1}.fee_usd: '500.000000000001', the workload gives 500 USD"],
    ),
    (
        C0,
        "capacity",
        {"requests": 1},
        [f"{C0}.capacity: {{'requests': 1}}, the workload gives 500000 requests"],
    ),
    (
        C1,
        "capacity",
        {"requests": 625_000_000},
        [f"{C1}.capacity: {{'requests': 625000000}}, the workload gives 625000000 tokens"],
    ),
    (C0, "used", 1, [f"{C0}.used: 1, the rows use 500,000 requests"]),
    (C1, "used", 624_999_999, [f"{C1}.used: 624999999, the rows use 625,000,000 tokens"]),
    (
        C0,
        "taken",
        "yes",
        [
            f"{C0}.taken: 'yes' is not true or false",
            f"{C0}.taken: rows are served under it but it is not taken (its fee unpaid)",
            *NO_PTU,
        ],
    ),
    (
        C0,
        "taken",
        False,
        [f"{C0}.taken: rows are served under it but it is not taken (its fee unpaid)", *NO_PTU],
    ),
    (
        C1,
        "taken",
        None,
        [
            f"{C1}.taken: None is not true or false",
            f"{C1}.taken: rows are served under it but it is not taken (its fee unpaid)",
            *NO_CUD,
        ],
    ),
]


@pytest.mark.parametrize(("where", "field", "value", "want"), CASES,
                         ids=[f"{w}.{f}={v!r}" for w, f, v, _ in CASES])  # fmt: skip
def test_one_commitment_field(
    base: tuple[Path, dict[str, Any]], where: str, field: str, value: Any, want: list[str]
) -> None:
    path, doc = base
    bad = copy.deepcopy(doc)
    bad["commitments"][int(where[-2])][field] = value
    assert _lines(bad, path) == want


def test_the_section_itself(base: tuple[Path, dict[str, Any]]) -> None:
    path, doc = base
    bad = copy.deepcopy(doc)
    bad["commitments"] = bad["commitments"][:1]  # cud left out: its fee is not counted
    assert _lines(bad, path) == [
        "commitments: ['ptu'] are not the workload's ['cud', 'ptu']",
        *NO_CUD,
    ]
    bad["commitments"] = [doc["commitments"][0], doc["commitments"][0], doc["commitments"][1]]
    assert _lines(bad, path, "commitments") == [
        "commitments: ['ptu', 'ptu', 'cud'] are not the workload's ['cud', 'ptu']"
    ]
    bad["commitments"] = [doc["commitments"][1], doc["commitments"][0]]  # any order
    assert _lines(bad, path) == []
    bad["commitments"] = [doc["commitments"][1], 5, {"name": "other"}]
    assert _lines(bad, path) == [
        "commitments: ['cud', None, 'other'] are not the workload's ['cud', 'ptu']",
        *NO_PTU,
    ]
    bad["commitments"] = {"ptu": True}
    assert _lines(bad, path) == [
        "commitments: missing or not a list (the workload offers commitments)",
        *NONE,
    ]
    bad["commitments"] = None
    assert _lines(bad, path, "commitments") == [
        "commitments: missing or not a list (the workload offers commitments)"
    ]


def test_a_capacity_of_one_less(base: tuple[Path, dict[str, Any]]) -> None:
    """The rows use each capacity exactly; one request (or token) less is exceeded."""
    path, doc = base
    text = TWO.replace("capacity: {requests: 500000}", "capacity: {requests: 499999}")
    text = text.replace("capacity: {tokens: 625000000}", "capacity: {tokens: 624999999}")
    path.write_text(text)
    import hashlib

    doc["inputs"][str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    assert _lines(doc, path, "commitments") == [
        f"{C0}.capacity: {{'requests': 500000}}, the workload gives 499999 requests",
        f"{C0}.used: 500,000 requests above the capacity 499,999",
        f"{C1}.capacity: {{'tokens': 625000000}}, the workload gives 624999999 tokens",
        f"{C1}.used: 625,000,000 tokens above the capacity 624,999,999",
    ]


def test_rows_under_a_commitment(base: tuple[Path, dict[str, Any]]) -> None:
    path, doc = base
    r0 = "tasks[0].allocations[0]"
    bad = copy.deepcopy(doc)
    bad["tasks"][0]["allocations"][0]["commitment"] = "nope"
    # the row keeps its stated figures; cud's rows are gone (0 tokens used)
    assert _lines(bad, path) == [f"{r0}.commitment: the workload has no such commitment",
                                 f"{C1}.used: 625000000, the rows use 0 tokens"]  # fmt: skip
    bad = copy.deepcopy(doc)
    bad["tasks"][0]["allocations"][0].update(model="small", provider="anthropic")
    assert _lines(bad, path) == [
        f"{r0}.commitment: 'cud' covers 'big' (standard), not 'small' (standard)",
        f"{C1}.used: 625000000, the rows use 0 tokens",
    ]
    # the cud row served under ptu (factor 0): free; ptu then serves 1,000,000 requests
    bad = copy.deepcopy(doc)
    bad["tasks"][0]["allocations"][0]["commitment"] = "ptu"
    assert _lines(bad, path, "commitments", "tasks[0].allocations[0].cost") == [
        f"{r0}.cost_per_query_usd: '0.002' USD, recomputed 0 USD",
        f"{r0}.cost_p95_per_query_usd: '0.002' USD, recomputed 0 USD",
        f"{r0}.cost_usd: '1000' USD, recomputed 0 USD",
        f"{C0}.used: 500000, the rows use 1,000,000 requests",
        f"{C0}.used: 1,000,000 requests above the capacity 500,000",
        f"{C1}.used: 625000000, the rows use 0 tokens",
    ]


def test_a_workload_without_commitments(tmp_path: Path) -> None:
    path = _files(tmp_path, TWO[: TWO.index("commitments:")])
    doc = plan_to_dict(optimize(load_inputs(path), explain=False))  # all on big: $4,000
    assert doc["totals"]["cost_usd"] == "4000"
    assert _found(doc, path) == []
    doc["commitments"] = [{"name": "ptu", "taken": True}]
    assert _lines(doc, path) == ["commitments: the workload offers no commitments"]
    doc["commitments"] = []
    assert _lines(doc, path) == []


def test_the_enumeration_certificate(base: tuple[Path, dict[str, Any]]) -> None:
    """min sense: the plan's bound lies in [the enumeration's bound, the cost] and its gap is
    |bound - cost| / cost; 'optimal' is refused whatever the figures."""
    path, doc = base
    keep = ("bound", "gap", "status")
    bad = copy.deepcopy(doc)
    bad["status"] = "optimal"
    assert _lines(bad, path, *keep) == [
        "status: 'optimal' is not re-derived from the certificate: the checker does not "
        "re-derive the subset bounds of a commitment enumeration"
    ]
    bad = copy.deepcopy(doc)
    bad["certificate"]["lagrangian_bound"] = str(3000 * PUSD + 1)
    assert _lines(bad, path, *keep) == [
        "bound: '3000' is not between the plan's objective and the enumeration's bound"
    ]
    bad["certificate"]["lagrangian_bound"] = str(2999 * PUSD)
    assert _lines(bad, path, *keep) == []
    bad["bound"] = "2999"  # within [2999, 3000]: gap $1 / $3,000
    assert "gap: '0', recomputed 1/3000" in _lines(bad, path, *keep)
    bad["certificate"]["lagrangian_bound"] = None  # no bound to compare with
    bad["bound"] = "3000"
    assert _lines(bad, path, *keep) == []


def test_the_enumeration_certificate_in_max_sense(tmp_path: Path) -> None:
    """tests/billing's max_quality case: budget $3,000, ptu only; the enumeration's bound must
    be at least the plan's quality (881,818.1 = 881,818,100,000 micro-units)."""
    text = TWO.replace("objective: min_cost", "objective: max_quality\nbudget_usd: 3000")
    text = text.replace("    min_quality: 0.9\n", "")
    path = _files(tmp_path, text[: text.index("  - name: cud")])
    doc = plan_to_dict(optimize(load_inputs(path), explain=False))
    assert doc["totals"]["quality_queries"] == "881818.100000"
    assert _found(doc, path) == []
    bad = copy.deepcopy(doc)
    bad["certificate"]["lagrangian_bound"] = "881818099999"
    assert [g for g in _found(bad, path) if g.startswith("bound")] == [
        f"bound: {doc['bound']!r} is not between the plan's objective and the enumeration's bound"
    ]


# ------------------------------------------------------------------ the reading, the re-pricing


def test_read_commitments_by_hand() -> None:
    raw = [
        {"name": "a", "model": "m", "fee_usd": "0.0000000000001", "capacity": {"requests": 3}},
        {
            "name": 7,
            "model": "m",
            "mode": "batch",
            "fee_usd": 2,
            "price_factor": "0.25",
            "capacity": {"requests": None, "tokens": "40"},
        },
    ]
    got = read_commitments(raw)
    # 10^-13 USD = 0.1 pusd, rounded up to 1; the factor defaults to 0, the mode to standard
    assert got == {
        "a": CommitSpec("a", "m", "standard", 1, "requests", 3, Fraction(0)),
        "7": CommitSpec("7", "m", "batch", 2 * PUSD, "tokens", 40, Fraction(1, 4)),
    }
    assert read_commitments(None) == {}
    for bad in (
        {"name": "x", "model": "m", "fee_usd": "lots", "capacity": {"requests": 1}},
        {"name": "x", "model": "m", "fee_usd": 1, "price_factor": "x", "capacity": {"requests": 1}},
        {"name": "x", "model": "m", "fee_usd": 1, "capacity": {"minutes": 1}},
    ):
        with pytest.raises(ValueError, match="commitment 'x'"):
            read_commitments([bad])
    with pytest.raises(ValueError, match="unpack"):
        read_commitments([{"name": "x", "model": "m", "fee_usd": 1,
                           "capacity": {"requests": 1, "tokens": 2}}])  # fmt: skip


def test_committed_row_rounds_each_cost_up(tmp_path: Path) -> None:
    """Factor 1/2 on costs 3, 5, 7 and a step of 9 pusd: 1.5, 2.5, 3.5, 4.5 -> 2, 3, 4, 5."""
    from costplan.verify.classplan import Step

    (tmp_path / "prices.yaml").write_text(PRICES + "    aliases: [tiny]\n")
    sheet = load_sheets([tmp_path / "prices.yaml"])
    spec = CommitSpec("c", "small", "standard", 0, "requests", 10, Fraction(1, 2))
    cost = OptionCost(3, 5, Fraction(1000), 1250, None, "tokens", 7)
    step = Step("small", "anthropic", Fraction(1), 9, 1250)
    priced = (cost, Fraction(9, 10), [step], "tokens")
    f = Findings()
    got = committed_row(f, ("k",), sheet, spec, "model", "tiny", "standard", priced)
    assert got is not None
    new, quality, steps, source = got
    assert (new.cost, new.cost_p95, new.sd, new.tokens_per_query) == (2, 3, 4, 1250)
    assert [s.cost for s in steps] == [5]
    assert (quality, source) == (Fraction(9, 10), "commitment")
    assert f.items == []
    for kind, name, mode in (("cascade", "small", "standard"), ("model", "big", "standard"),
                             ("model", "small", "batch")):  # fmt: skip
        assert committed_row(f, ("k",), sheet, spec, kind, name, mode, priced) is None
    assert [str(v) for v in f.items] == [
        "k.commitment: 'c' covers 'small' (standard), not 'small' (standard)",
        "k.commitment: 'c' covers 'small' (standard), not 'big' (standard)",
        "k.commitment: 'c' covers 'small' (standard), not 'small' (batch)",
    ]


def test_fees_count_in_their_providers_share(base: tuple[Path, dict[str, Any]]) -> None:
    """big is openai's: its rows cost $1,000 and both fees $2,000, so openai gets $3,000 of
    the $3,000 (100%): a cap of 0.99 is exceeded; without the fees it would be 1/3."""
    import hashlib

    path, doc = base
    path.write_text(TWO + "constraints:\n  max_provider_share: {openai: 0.99}\n")
    doc["inputs"][str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    assert _lines(doc, path, "tasks") == [
        "tasks: provider 'openai' gets 3000 USD, more than 99% of the plan's 3000 USD"
    ]


def test_entries_after_one_that_is_skipped_are_read(base: tuple[Path, dict[str, Any]]) -> None:
    path, doc = base
    bad = copy.deepcopy(doc)
    bad["commitments"] = [5, *doc["commitments"]]
    assert _lines(bad, path) == [
        "commitments: [None, 'ptu', 'cud'] are not the workload's ['cud', 'ptu']"
    ]
    bad["commitments"] = [{"name": "other"}, doc["commitments"][0], doc["commitments"][1]]
    bad["commitments"][1]["fee_usd"] = "1"
    assert _lines(bad, path) == [
        "commitments: ['other', 'ptu', 'cud'] are not the workload's ['cud', 'ptu']",
        f"{C1}.fee_usd: '1', the workload gives 1500 USD",
    ]
