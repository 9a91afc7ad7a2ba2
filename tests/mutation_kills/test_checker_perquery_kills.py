"""Kill tests for costplan/verify/perquery.py: a per-query plan re-priced query by query.

One hand-made instance (no solver run): the sheet below, five queries, and a plan document
written from the hand figures. Each test changes one thing and expects the checker's exact
line. Rates (USD per Mtok x 10**6 = pico-dollars per token):

* ``a`` (openai) base: input 2, cache_read 1, output 6, fee 10 pusd (1e-11 USD); above 10
  input tokens (uncached + cached): input 4, cache_read 3, output 8, fee 20. ``batch``:
  discount 0.5, every rate halved and rounded up to a whole pusd, fees unchanged: base 1,
  1 (0.5 up), 3; tier 2, 2 (1.5 up), 4.
* ``b`` (anthropic): input 1, output 3 (no cache_read: cached input billed as input), no
  fee, context window 40, max output 8, no batch mode.

Queries (id, task, prompt, cached, output, quality a, quality b) and the plan's choice:

====  ====  ======  ======  ======  =====  =====  ==========  ============================
id    task  prompt  cached  output  q(a)   q(b)   row         cost by hand (pusd)
====  ====  ======  ======  ======  =====  =====  ==========  ============================
q0    t0    5       2       3       0.9    0.5    a standard  5x2 + 2x1 + 3x6 + 10 = 40
q1    t0    9       3       4       0.8    0.7    a batch     12 > 10: 9x2 + 3x2 + 4x4 + 20 = 60
q2    t1    6       0       2       0.6    0.95   b standard  6x1 + 2x3 = 12
q3    t1    20      0       9       0.4    --     a standard  20 > 10: 20x4 + 9x8 + 20 = 172
q4    t0    4       1       2       0.5    0.3    a standard  4x2 + 1x1 + 2x6 + 10 = 31
====  ====  ======  ======  ======  =====  =====  ==========  ============================

Task t0: a batch (q1: 60, 0.8), a standard (q0, q4: 71, 1.4; 35 per query rounded down from
35.5); t1: a standard (q3: 172, 0.4), b standard (q2: 12, 0.95). Totals: 5 queries, 315 pusd,
3.55 quality. ``quality_stderr`` = sqrt(sum p (1 - p)) / n, computed here from the qualities.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from costplan.verify import Sources
from costplan.verify.findings import Findings
from costplan.verify.perquery import _costs, _pair_codes, check_per_query
from costplan.verify.prices import load_sheets
from costplan.verify.queryfile import read_rows

SHEET = """\
currency: USD
models:
  a:
    provider: openai
    input_usd_per_mtok: 0.000002
    cache_read_usd_per_mtok: 0.000001
    output_usd_per_mtok: 0.000006
    request_usd: 0.00000000001
    tiers:
      - above_input_tokens: 10
        input_usd_per_mtok: 0.000004
        cache_read_usd_per_mtok: 0.000003
        output_usd_per_mtok: 0.000008
        request_usd: 0.00000000002
    batch: {discount: 0.5}
  b:
    provider: anthropic
    input_usd_per_mtok: 0.000001
    output_usd_per_mtok: 0.000003
    context_window: 40
    max_output_tokens: 8
"""
QUERIES: list[dict[str, Any]] = [
    {"id": "q0", "task": "t0", "prompt_tokens": 5, "cached_tokens": 2, "output_tokens": 3,
     "quality": {"a": 0.9, "b": 0.5}},
    {"id": "q1", "task": "t0", "prompt_tokens": 9, "cached_tokens": 3, "output_tokens": 4,
     "quality": {"a": 0.8, "b": 0.7}},
    {"id": "q2", "task": "t1", "prompt_tokens": 6, "cached_tokens": 0, "output_tokens": 2,
     "quality": {"a": 0.6, "b": 0.95}},
    {"id": "q3", "task": "t1", "prompt_tokens": 20, "cached_tokens": 0, "output_tokens": 9,
     "quality": {"a": 0.4}},
    {"id": "q4", "task": "t0", "prompt_tokens": 4, "cached_tokens": 1, "output_tokens": 2,
     "quality": {"a": 0.5, "b": 0.3}},
]  # fmt: skip
#: (id, task, model, mode, cost pusd, quality text) by hand (table above)
ROWS = [
    ("q0", "t0", "a", "standard", 40, "0.9"),
    ("q1", "t0", "a", "batch", 60, "0.8"),
    ("q2", "t1", "b", "standard", 12, "0.95"),
    ("q3", "t1", "a", "standard", 172, "0.4"),
    ("q4", "t0", "a", "standard", 31, "0.5"),
]


def _usd(pusd: int) -> str:
    whole, frac = divmod(pusd, 10**12)
    return f"{whole}.{frac:012d}".rstrip("0").rstrip(".")


def _se(*ps: float) -> float:
    return math.sqrt(sum(p * (1 - p) for p in ps)) / len(ps)


def _alloc(model: str, mode: str, provider: str, n: int, pusd: int, qq: str, q: str,
           se: float) -> dict[str, Any]:  # fmt: skip
    return {"model": model, "mode": mode, "provider": provider, "count": n,
            "cost_usd": _usd(pusd), "cost_per_query_usd": _usd(pusd // n),
            "quality_queries": qq, "quality": q, "quality_stderr": se}  # fmt: skip


def base_doc() -> dict[str, Any]:
    return {
        "objective": "max_quality",
        "budget_usd": "0.0000000004",  # 400 pusd
        "status": "feasible",
        "tasks": [
            {"name": "t0", "volume": 3, "cost_usd": _usd(131), "allocations": [
                _alloc("a", "batch", "openai", 1, 60, "0.8", "0.8", _se(0.8)),
                _alloc("a", "standard", "openai", 2, 71, "1.4", "0.7", _se(0.9, 0.5)),
            ]},
            {"name": "t1", "volume": 2, "cost_usd": _usd(184), "allocations": [
                _alloc("a", "standard", "openai", 1, 172, "0.4", "0.4", _se(0.4)),
                _alloc("b", "standard", "anthropic", 1, 12, "0.95", "0.95", _se(0.95)),
            ]},
        ],
        "totals": {"volume": 5, "cost_usd": _usd(315), "quality_queries": "3.55"},
        "assign": {},
        "risk": {"method": "exact", "mean_usd": _usd(315), "p50_usd": _usd(315),
                 "p95_usd": _usd(315), "p99_usd": _usd(315), "sd_usd": "0",
                 "p_within_budget": 1},
    }  # fmt: skip


class Inst:
    """The instance's files in ``tmp``; ``check`` runs the checker on a document."""

    def __init__(self, tmp: Path, queries: list[dict[str, Any]] | None = None,
                 rows: list[tuple[str, str, str, str, int, str]] | None = None,
                 sheet: str = SHEET) -> None:  # fmt: skip
        self.tmp = tmp
        self.sheet = tmp / "prices.yaml"
        self.sheet.write_text(sheet)
        self.queries = tmp / "queries.jsonl"
        self.queries.write_text("".join(json.dumps(q) + "\n" for q in queries or QUERIES))
        self.rows_path = tmp / "rows.csv"
        lines = ["id,task,model,mode,cost_usd,quality"]
        lines += [f"{i},{t},{m},{o},{_usd(c)},{q}" for i, t, m, o, c, q in rows or ROWS]
        self.rows_path.write_text("\n".join(lines) + "\n")
        self.doc = base_doc()
        self.doc["inputs"] = {
            "queries": hashlib.sha256(self.queries.read_bytes()).hexdigest(),
            "prices": hashlib.sha256(self.sheet.read_bytes()).hexdigest(),
        }

    def sources(self) -> Sources:
        return Sources(prices=(self.sheet,), queries=self.queries, rows=read_rows(self.rows_path))

    def check(self, doc: dict[str, Any] | None = None, sources: Sources | None = None) -> list[str]:
        f = Findings()
        check_per_query(self.doc if doc is None else doc, sources or self.sources(), f)
        return [str(v) for v in f.items]


@pytest.fixture
def inst(tmp_path: Path) -> Inst:
    return Inst(tmp_path)


def test_the_hand_made_plan_verifies(inst: Inst) -> None:
    assert inst.check() == []
    # the same plan as min_cost (no budget needed, objective in USD)
    doc = inst.doc
    doc["objective"] = "min_cost"
    assert inst.check() == []


# --- the document's own sums (no query file needed) ------------------------------------------


def _alloc_of(doc: dict[str, Any], i: int, j: int) -> dict[str, Any]:
    out: dict[str, Any] = doc["tasks"][i]["allocations"][j]
    return out


def test_document_sums_without_sources(inst: Inst) -> None:
    doc = copy.deepcopy(inst.doc)
    assert inst.check(doc, Sources()) == []
    _alloc_of(doc, 0, 1)["count"] = True
    _alloc_of(doc, 1, 0)["cost_usd"] = "-0.000000000172"
    _alloc_of(doc, 1, 1)["quality_queries"] = "1.5"  # above its 1 query
    got = inst.check(doc, Sources())
    assert "tasks[0].allocations[1].count: True is not an integer >= 0" in got
    assert "tasks[1].allocations[0].cost_usd: '-0.000000000172' is not an amount" in got
    assert ("tasks[1].allocations[1].quality_queries: '1.5' is not between 0 and the row's 1 "
            "queries") in got  # fmt: skip
    # t0 counts 1 (the skipped row's 2 missing), t1 1 and costs 12 only (its first row skipped)
    assert "tasks[0].volume: 3, the counts sum to 1" in got
    assert "tasks[1].volume: 2, the counts sum to 1" in got
    assert "tasks[0].cost_usd: '0.000000000131' USD, rows sum to 0.00000000006" in got
    assert "tasks[1].cost_usd: '0.000000000184' USD, rows sum to 0.000000000012" in got
    assert "totals.volume: 5, rows sum to 2" in got
    assert "totals.cost_usd: '0.000000000315' USD, rows sum to 0.000000000072" in got
    # quality: 0.8 + 0 (its rows skipped) + 0 (out of range) = 0.8
    assert "totals.quality_queries: '3.55', rows sum to 0.800000" in got


def test_counts_and_amounts_refused_one_by_one(inst: Inst) -> None:
    for bad, shown in ((-1, "-1"), ("2", "'2'"), (1.0, "1.0"), (None, "None")):
        doc = copy.deepcopy(inst.doc)
        _alloc_of(doc, 0, 0)["count"] = bad
        got = inst.check(doc, Sources())
        assert f"tasks[0].allocations[0].count: {shown} is not an integer >= 0" in got, bad
    for amount in ("0.0000000000605", None, "x"):
        doc = copy.deepcopy(inst.doc)
        _alloc_of(doc, 0, 0)["cost_usd"] = amount
        got = inst.check(doc, Sources())
        assert f"tasks[0].allocations[0].cost_usd: {amount!r} is not an amount" in got
    doc = copy.deepcopy(inst.doc)
    _alloc_of(doc, 0, 0)["cost_usd"] = "0"  # 0 is an amount: t0 then sums to 71
    assert "tasks[0].cost_usd: '0.000000000131' USD, rows sum to 0.000000000071" in inst.check(
        doc, Sources())  # fmt: skip
    for qq, ok in (("-0.000001", False), ("0", True), ("1", True), (None, False)):
        doc = copy.deepcopy(inst.doc)
        _alloc_of(doc, 0, 0)["quality_queries"] = qq
        got = inst.check(doc, Sources())
        flagged = any(g.startswith("tasks[0].allocations[0].quality_queries:") for g in got)
        assert flagged is not ok, qq


def test_totals_quality_within_half_a_micro_per_task_and_one(inst: Inst) -> None:
    # two tasks: slack (2 + 1) x 0.5e-6 = 1.5e-6 either way
    for text, ok in (("3.5500015", True), ("3.5499985", True), ("3.5500016", False),
                     ("3.5499984", False), (None, False)):  # fmt: skip
        doc = copy.deepcopy(inst.doc)
        doc["totals"]["quality_queries"] = text
        got = inst.check(doc, Sources())
        assert (got == []) is ok, (text, got)
        if not ok:
            assert got == [f"totals.quality_queries: {text!r}, rows sum to 3.550000"]


def test_without_sources_status_and_risk(inst: Inst) -> None:
    doc = copy.deepcopy(inst.doc)
    doc["status"] = "optimal"
    doc["gap"], doc["bound"], doc["bound_unit"] = 0, "3.55", "quality_queries"
    assert inst.check(doc, Sources()) == ["status: 'optimal' without a certificate"]
    doc["certificate"] = {"proof": "search"}
    assert inst.check(doc, Sources()) == [
        "status: 'optimal' is not proven by a certificate this checker can re-derive "
        "(per-query plan, proof: 'search')"
    ]
    doc["certificate"] = "x"
    assert inst.check(doc, Sources()) == [
        "status: 'optimal' is not proven by a certificate this checker can re-derive "
        "(per-query plan, proof: None)"
    ]
    # the claim is checked against the rows' quality (max) or cost in USD (min)
    doc = copy.deepcopy(inst.doc)
    doc["gap"], doc["bound"], doc["bound_unit"] = "0.01", "3.549999", "quality_queries"
    assert inst.check(doc, Sources()) == [
        "bound: '3.549999' is below the plan's quality 3.550000: not an upper bound"
    ]
    doc["bound"] = "3.55"
    assert inst.check(doc, Sources()) == []
    doc["objective"], doc["bound_unit"] = "min_cost", "usd"
    doc["bound"] = "0.000000000315"
    assert inst.check(doc, Sources()) == []
    doc["bound"] = "0.000000000316"
    assert inst.check(doc, Sources()) == [
        "bound: '0.000000000316' is above the plan's cost 3.15e-10 USD: not a lower bound"
    ]
    doc = copy.deepcopy(inst.doc)
    doc["budget_usd"] = "0.000000000314"
    got = inst.check(doc, Sources())
    assert "budget_usd: cost 0.000000000315 USD exceeds the budget 0.000000000314 USD" in got
    assert "risk.p_within_budget: 1, the exact total gives 0" in got
    doc = copy.deepcopy(inst.doc)
    doc["risk"]["p95_usd"] = "0.000000000316"
    assert inst.check(doc, Sources()) == [
        "risk.p95_usd: '0.000000000316' USD, its queries cost 0.000000000315"
    ]


def test_exact_risk_fields(inst: Inst) -> None:
    doc = copy.deepcopy(inst.doc)
    del doc["risk"]
    assert inst.check(doc) == []  # a plan written before per-query plans carried one
    for k in ("mean_usd", "p50_usd", "p95_usd", "p99_usd"):
        doc = copy.deepcopy(inst.doc)
        doc["risk"][k] = "0.000000000314"
        assert inst.check(doc) == [f"risk.{k}: '0.000000000314' USD, its queries cost "
                                   "0.000000000315"]  # fmt: skip
    doc = copy.deepcopy(inst.doc)
    doc["risk"]["sd_usd"] = "0.000000000001"
    assert inst.check(doc) == ["risk.sd_usd: '0.000000000001' USD, an exact total has none"]
    doc["risk"]["sd_usd"] = None
    assert inst.check(doc) == ["risk.sd_usd: None USD, an exact total has none"]
    doc = copy.deepcopy(inst.doc)
    doc["risk"]["method"] = "normal"
    assert inst.check(doc) == [f"risk.method: {doc['risk']!r}: a per-query plan's total is exact"]
    doc["risk"] = "exact"
    assert inst.check(doc) == ["risk.method: 'exact': a per-query plan's total is exact"]
    # exactly at the budget: within it (p = 1); no budget (min_cost): p must be absent
    doc = copy.deepcopy(inst.doc)
    doc["budget_usd"] = "0.000000000315"
    assert inst.check(doc) == []
    doc["risk"]["p_within_budget"] = "0.5"
    assert inst.check(doc) == ["risk.p_within_budget: '0.5', the exact total gives 1"]
    doc = copy.deepcopy(inst.doc)
    doc["objective"], doc["budget_usd"] = "min_cost", None
    assert inst.check(doc) == ["risk.p_within_budget: 1, the exact total gives None"]
    doc["risk"]["p_within_budget"] = None
    assert inst.check(doc) == []


def test_half_given_sources_are_refused(inst: Inst) -> None:
    need = ("re-pricing a per-query plan needs the query file, its per-query rows and the "
            "price sheets")  # fmt: skip
    s = inst.sources()
    assert inst.check(sources=Sources(prices=s.prices, queries=s.queries)) == [need]
    assert inst.check(sources=Sources(prices=s.prices, rows=s.rows)) == [need]
    assert inst.check(sources=Sources(queries=s.queries, rows=s.rows)) == [need]


# --- re-pricing query by query ------------------------------------------------------------------


def test_inputs_must_name_the_files_digests(inst: Inst) -> None:
    qsha = inst.doc["inputs"]["queries"]
    psha = inst.doc["inputs"]["prices"]
    inst.doc["inputs"] = {"queries": qsha}
    assert inst.check() == [f"inputs: no entry has the sha256 of the {inst.sheet} ({psha})"]
    inst.doc["inputs"] = {"prices": psha, "n": 3}
    assert inst.check() == [f"inputs: no entry has the sha256 of the query file ({qsha})"]
    inst.doc["inputs"] = [qsha, psha]
    assert len(inst.check()) == 2


def test_rows_must_be_the_query_files_queries_in_order(tmp_path: Path) -> None:
    swapped = [ROWS[1], ROWS[0], *ROWS[2:]]
    inst = Inst(tmp_path, rows=swapped)
    assert inst.check() == ["rows: the per-query rows are not the query file's queries, in order"]
    other_task = [*ROWS[:4], ("q4", "t1", "a", "standard", 31, "0.5")]
    inst = Inst(tmp_path, rows=other_task)
    assert inst.check() == ["rows: the per-query rows are not the query file's queries, in order"]


def test_a_tampered_cost_and_quality_are_shown(tmp_path: Path) -> None:
    rows = list(ROWS)
    rows[3] = ("q3", "t1", "a", "standard", 171, "0.4")  # by hand 172
    rows[4] = ("q4", "t0", "a", "standard", 31, "0.6")  # the query file gives 0.5
    inst = Inst(tmp_path, rows=rows)
    got = inst.check()
    assert "rows[3].cost_usd: query 'q3': 0.000000000171, recomputed 0.000000000172" in got
    assert "rows[4].quality: query 'q4': 0.600000, recomputed 0.500000" in got


def test_more_than_three_differing_rows_shows_three_and_the_count(tmp_path: Path) -> None:
    rows = [(i, t, m, o, c + 1, q) for i, t, m, o, c, q in ROWS]
    got = Inst(tmp_path, rows=rows).check()
    shown = [g for g in got if g.startswith("rows[") and ".cost_usd" in g]
    assert shown == [
        "rows[0].cost_usd: query 'q0': 0.000000000041, recomputed 0.00000000004 (5 rows differ)",
        "rows[1].cost_usd: query 'q1': 0.000000000061, recomputed 0.00000000006 (5 rows differ)",
        "rows[2].cost_usd: query 'q2': 0.000000000013, recomputed 0.000000000012 (5 rows differ)",
    ]


def test_each_cost_term_by_hand(tmp_path: Path) -> None:
    """The rows priced a term short each: the checker's recomputed figure is the hand one."""
    inst = Inst(tmp_path)
    sheet = load_sheets([inst.sheet])
    a = sheet.models["a"]
    std, batch = a.schedule("standard"), a.schedule("batch")
    assert std is not None
    assert batch is not None
    import numpy as np

    def cost(s: Any, u: int, c: int, o: int) -> int:
        got = _costs(s, np.asarray([u]), np.asarray([c]), np.asarray([o]))
        return int(got[0])

    assert cost(std, 5, 2, 3) == 40  # 5x2 + 2x1 + 3x6 + 10
    assert cost(std, 8, 2, 3) == 8 * 2 + 2 + 18 + 10  # 10 input: still the base
    assert cost(std, 9, 2, 3) == 9 * 4 + 2 * 3 + 3 * 8 + 20  # 11 > 10: the tier
    assert cost(std, 11, 0, 0) == 11 * 4 + 20
    assert cost(std, 0, 11, 0) == 11 * 3 + 20
    assert cost(std, 0, 0, 7) == 7 * 6 + 10
    assert cost(batch, 9, 3, 4) == 60
    assert cost(batch, 4, 1, 2) == 4 * 1 + 1 * 1 + 2 * 3 + 10
    b = sheet.models["b"].schedule("standard")
    assert b is not None
    assert cost(b, 6, 4, 2) == 6 + 4 + 6  # cached at the input rate, no fee
    # several queries in one call, each on its own tier
    many = _costs(std, np.asarray([5, 20, 0]), np.asarray([2, 0, 0]), np.asarray([3, 9, 0]))
    assert [int(x) for x in many] == [40, 172, 10]
    assert len(_costs(std, *(np.zeros(0, np.int64),) * 3)) == 0


def test_costs_past_int64_stay_exact(tmp_path: Path) -> None:
    import numpy as np

    inst = Inst(tmp_path)
    std = load_sheets([inst.sheet]).models["a"].schedule("standard")
    assert std is not None
    big = 10**18  # tokens: 3 x 10**18 x 8 is far past 2**63
    got = _costs(std, np.asarray([big, 1]), np.asarray([big, 0]), np.asarray([big, 0]))
    assert [int(x) for x in got] == [big * 4 + big * 3 + big * 8 + 20, 2 + 10]
    # just below the int64 switch: 3 x n x 8 + 20 < 2**62 with n = (2**62 - 21) // 24
    n = (2**62 - 21) // 24
    got = _costs(std, np.asarray([n]), np.asarray([0]), np.asarray([n]))
    assert int(got[0]) == n * 4 + n * 8 + 20
    # the worst case reads the largest of the three counts (here the output alone)
    m = 2**61
    got = _costs(std, np.asarray([0]), np.asarray([0]), np.asarray([m]))
    assert int(got[0]) == m * 6 + 10
    got = _costs(std, np.asarray([0]), np.asarray([m]), np.asarray([0]))
    assert int(got[0]) == m * 3 + 20
    # cached tokens alone past the int64 range once priced: 2**62 x 3 > 2**63
    got = _costs(std, np.asarray([0]), np.asarray([2**62]), np.asarray([0]))
    assert int(got[0]) == 2**62 * 3 + 20
    got = _costs(std, np.asarray([m]), np.asarray([0]), np.asarray([0]))
    assert int(got[0]) == m * 4 + 20


def test_options_that_cannot_serve_a_query(tmp_path: Path) -> None:
    # q3 on b: output 9 above b's max output 8; q2 on a missing model; q1 on b batch
    rows = list(ROWS)
    rows[3] = ("q3", "t1", "b", "standard", 20 + 27, "0")
    inst = Inst(tmp_path, rows=rows)
    got = inst.check()
    assert "rows[3]: query 'q3' has no quality for 'b' (1 such queries)" in got
    assert "rows[3]: query 'q3' does not fit 'b' (1 such queries)" in got
    rows = list(ROWS)
    rows[1] = ("q1", "t0", "zz", "standard", 60, "0.8")
    got = Inst(tmp_path, rows=rows).check()
    assert "rows[1]: 1 queries on 'zz' (standard): not in the price sheet" in got
    rows = list(ROWS)
    rows[2] = ("q2", "t1", "b", "batch", 12, "0.95")
    got = Inst(tmp_path, rows=rows).check()
    assert "rows[2]: 1 queries on 'b' (batch): has no 'batch' price" in got
    inst = Inst(tmp_path)
    inst.doc["assign"] = {"modes": ["standard"]}
    got = inst.check()
    assert "rows[1]: 1 queries on 'a' (batch): mode 'batch' was not allowed" in got
    inst.doc["assign"] = {"modes": ["standard", "batch"]}
    assert inst.check() == []


def test_context_window_and_max_output_at_their_edges(tmp_path: Path) -> None:
    # b: context 40 (prompt + cached + output), max output 8; costs 1 per input, 3 per output
    qs = [dict(q) for q in QUERIES]
    qs[2] = {"id": "q2", "task": "t1", "prompt_tokens": 20, "cached_tokens": 12,
             "output_tokens": 8, "quality": {"a": 0.6, "b": 0.95}}  # 40 sent: fits  # fmt: skip
    rows = list(ROWS)
    rows[2] = ("q2", "t1", "b", "standard", 32 + 24, "0.95")
    inst = Inst(tmp_path, queries=qs, rows=rows)
    inst.doc["tasks"][1]["allocations"][1]["cost_usd"] = _usd(56)
    inst.doc["tasks"][1]["allocations"][1]["cost_per_query_usd"] = _usd(56)
    inst.doc["tasks"][1]["cost_usd"] = _usd(172 + 56)
    inst.doc["totals"]["cost_usd"] = _usd(359)
    for k in ("mean_usd", "p50_usd", "p95_usd", "p99_usd"):
        inst.doc["risk"][k] = _usd(359)
    assert inst.check() == []
    qs[2] = {**qs[2], "cached_tokens": 13}  # 41 sent
    rows[2] = ("q2", "t1", "b", "standard", 33 + 24, "0.95")
    inst2 = Inst(tmp_path, queries=qs, rows=rows)
    inst2.doc = copy.deepcopy(inst.doc) | {"inputs": inst2.doc["inputs"]}
    got = inst2.check()
    assert "rows[2]: query 'q2' does not fit 'b' (1 such queries)" in got


def test_queries_without_output_tokens_use_the_plans_default(tmp_path: Path) -> None:
    qs = [dict(q) for q in QUERIES]
    del qs[0]["output_tokens"]  # q0 on a: 5x2 + 2x1 + 3x6 + 10 = 40 with the default 3
    inst = Inst(tmp_path, queries=qs)
    assert inst.check() == ["assign.output_tokens: queries give no output_tokens and the plan "
                            "records no default"]  # fmt: skip
    inst.doc["assign"] = {"output_tokens": 3}
    assert inst.check() == []
    inst.doc["assign"] = {"output_tokens": "4"}  # 40 + 6
    assert "rows[0].cost_usd: query 'q0': 0.00000000004, recomputed 0.000000000046" in (
        inst.check())  # fmt: skip


def test_allocations_must_match_the_queries(inst: Inst) -> None:
    doc = copy.deepcopy(inst.doc)
    doc["tasks"][0]["allocations"].append(
        _alloc("b", "standard", "anthropic", 1, 1, "0.1", "0.1", 0.3)
    )
    got = inst.check(doc)
    assert "tasks[0].allocations[2]: no query of the task uses it" in got
    doc = copy.deepcopy(inst.doc)
    doc["tasks"][0]["allocations"].append(_alloc("zz", "flex", "x", 1, 1, "0.1", "0.1", 0.3))
    got = inst.check(doc)
    assert "tasks[0].allocations[2]: ('zz', 'flex') is not used by any query" in got
    doc = copy.deepcopy(inst.doc)
    del doc["tasks"][0]["allocations"][0]
    got = inst.check(doc)
    assert "tasks[0].allocations: 1 queries use a (batch) but no row says so" in got
    # the task's other rows are still checked against their queries, not left over
    assert not [g for g in got if "is not used by any query" in g]
    doc["tasks"][0]["allocations"][0]["count"] = 3
    assert "tasks[0].allocations[0].count: 3, 2 queries use it" in inst.check(doc)
    doc = copy.deepcopy(inst.doc)
    doc["tasks"].reverse()
    assert inst.check(doc)[-1] == "tasks: ['t1', 't0'] are not the query file's tasks"


def test_one_task_without_a_name_is_all(tmp_path: Path) -> None:
    qs = [{k: v for k, v in q.items() if k != "task"} for q in QUERIES[:2]]
    rows = [(i, "", m, o, c, q) for i, _, m, o, c, q in ROWS[:2]]
    inst = Inst(tmp_path, queries=qs, rows=rows)
    doc = inst.doc
    doc["tasks"] = [{"name": "(all)", "volume": 2, "cost_usd": _usd(100), "allocations": [
        _alloc("a", "batch", "openai", 1, 60, "0.8", "0.8", _se(0.8)),
        _alloc("a", "standard", "openai", 1, 40, "0.9", "0.9", _se(0.9))]}]  # fmt: skip
    doc["totals"] = {"volume": 2, "cost_usd": _usd(100), "quality_queries": "1.7"}
    doc["risk"] = None
    assert inst.check() == []
    doc["tasks"][0]["name"] = None
    assert inst.check() == ["tasks: [None] are not the query file's tasks"]


def test_row_fields_against_their_queries(inst: Inst) -> None:
    def one(j: int, key: str, value: Any) -> list[str]:
        doc = copy.deepcopy(inst.doc)
        _alloc_of(doc, 0, j)[key] = value
        return inst.check(doc)

    assert "tasks[0].allocations[1].count: 3, 2 queries use it" in one(1, "count", 3)
    assert one(1, "cost_usd", _usd(70))[-1] == (
        "tasks[0].allocations[1].cost_usd: '0.00000000007' USD, its queries cost 0.000000000071"
    )
    assert one(1, "cost_per_query_usd", "0.0000000000355") == [
        "tasks[0].allocations[1].cost_per_query_usd: '0.0000000000355' USD, recomputed "
        "0.000000000035 (the mean, rounded down)"
    ]
    assert one(1, "cost_per_query_usd", _usd(36)) != []
    assert one(1, "quality_queries", "1.400001")[-1] == (
        "tasks[0].allocations[1].quality_queries: '1.400001', its queries sum to 1.400000"
    )
    # the mean 0.7 may be off by 1.5e-6 at most
    assert one(1, "quality", "0.7000015") == []
    assert one(1, "quality", "0.6999985") == []
    assert one(1, "quality", "0.7000016") == [
        "tasks[0].allocations[1].quality: '0.7000016', its queries average 0.700000"
    ]
    assert one(1, "quality", None) == [
        "tasks[0].allocations[1].quality: None, its queries average 0.700000"
    ]
    assert one(1, "provider", "anthropic") == [
        "tasks[0].allocations[1].provider: 'anthropic', the sheet says 'openai'"
    ]


def test_quality_stderr(inst: Inst) -> None:
    def one(value: Any) -> list[str]:
        doc = copy.deepcopy(inst.doc)
        _alloc_of(doc, 0, 1)["quality_stderr"] = value
        return inst.check(doc)

    # sqrt(sum p (1 - p)) / n in micro-units squared: p = 0.9, 0.5 -> 9e10 + 2.5e11
    want = math.sqrt(900_000 * 100_000 + 500_000 * 500_000) / 10**6 / 2  # 0.29154759...
    assert one(want * (1 + 0.9e-9)) == []
    assert one(str(want)) == []
    assert one(want * (1 - 0.9e-9)) == []
    key = "tasks[0].allocations[1].quality_stderr"
    assert one(want * (1 + 1.1e-9)) == [
        f"{key}: {want * (1 + 1.1e-9)!r}, its queries give {want!r}"
    ]
    assert one(want * (1 - 1.1e-9)) != []
    assert one(None) == [f"{key}: None, its queries give {want!r}"]
    assert one("x") == [f"{key}: 'x', its queries give {want!r}"]


def test_quality_stderr_of_certain_queries_is_none(tmp_path: Path) -> None:
    qs = [dict(q) for q in QUERIES]
    qs[3] = {**qs[3], "quality": {"a": 1}}  # q3: p = 1, no spread
    rows = list(ROWS)
    rows[3] = ("q3", "t1", "a", "standard", 172, "1")
    inst = Inst(tmp_path, queries=qs, rows=rows)
    a = inst.doc["tasks"][1]["allocations"][0]
    a.update(quality_queries="1", quality="1", quality_stderr=None)
    inst.doc["totals"]["quality_queries"] = "4.15"
    assert inst.check() == []
    a["quality_stderr"] = 0.0
    assert inst.check() == ["tasks[1].allocations[0].quality_stderr: 0.0, its queries give None"]


# --- the plan's settings ------------------------------------------------------------------------


def test_mean_quality_floor(inst: Inst) -> None:
    inst.doc["assign"] = {"min_quality": "0.71"}  # 3.55 / 5 = 0.71 exactly
    assert inst.check() == []
    inst.doc["assign"] = {"min_quality": "0.710001"}
    assert inst.check() == ["assign.min_quality: mean quality 0.710000 is below the floor "
                            "0.710001"]  # fmt: skip


def test_task_floors(inst: Inst) -> None:
    # t0: (0.8 + 0.9 + 0.5) / 3 = 0.7333...; t1: (0.4 + 0.95) / 2 = 0.675
    inst.doc["assign"] = {"task_min_quality": {"t1": "0.675", "t0": "0.7"}}
    assert inst.check() == []
    inst.doc["assign"] = {"task_min_quality": {"t1": "0.675001", "t0": "0.733334"}}
    assert inst.check() == [
        "assign.task_min_quality.t1: task mean quality 0.675000 is below 0.675001",
        "assign.task_min_quality.t0: task mean quality 0.733333 is below 0.733334",
    ]
    inst.doc["assign"] = {"task_min_quality": {"t9": "0.5", "t0": None}}
    assert inst.check() == []


def test_capacities(inst: Inst) -> None:
    # a: 4 requests, tokens 10 + 16 + 29 + 7 = 62; b: 1 request, 8 tokens
    inst.doc["assign"] = {"capacity_requests": {"a": 4, "b": 1},
                          "capacity_tokens": {"a": 62, "b": "8"}}  # fmt: skip
    assert inst.check() == []
    inst.doc["assign"] = {"capacity_requests": {"a": 3, "b": 0, "zz": 0},
                          "capacity_tokens": {"a": 61, "b": 7}}  # fmt: skip
    assert inst.check() == [
        "assign.capacity_requests.a: 4 requests on 'a', above its capacity 3",
        "assign.capacity_requests.b: 1 requests on 'b', above its capacity 0",
        "assign.capacity_tokens.a: 62 tokens on 'a', above its capacity 61",
        "assign.capacity_tokens.b: 8 tokens on 'b', above its capacity 7",
    ]


def test_provider_shares(inst: Inst) -> None:
    # openai 303 of 315, anthropic 12 of 315
    inst.doc["assign"] = {"max_provider_share": {"OpenAI": "0.962", "*": "0"}}
    got = inst.check()
    assert got == ["tasks: provider 'anthropic' gets 0.000000000012 USD, more than 0% of the "
                   "plan's 0.000000000315 USD"]  # fmt: skip
    inst.doc["assign"] = {"max_provider_share": {"openai": "0.9619", "anthropic": "1"}}
    assert inst.check() == ["tasks: provider 'openai' gets 0.000000000303 USD, more than "
                            "96.19% of the plan's 0.000000000315 USD"]  # fmt: skip
    # 303 / 315 = 0.961904...: a cap of 0.962 holds; the own cap wins over '*'
    inst.doc["assign"] = {"max_provider_share": {"openai": "0.962", "*": "0.04"}}
    assert inst.check() == []
    inst.doc["assign"] = {"max_provider_share": {"openai": None, "*": "0.9"}}
    assert inst.check() == ["tasks: provider 'openai' gets 0.000000000303 USD, more than "
                            "90% of the plan's 0.000000000315 USD"]  # fmt: skip


def test_the_certificate_objective_is_the_rows(inst: Inst) -> None:
    inst.doc["certificate"] = {"sense": "max", "objective": 3_550_001}
    assert "certificate.objective: 3550001, the rows give 3550000" in inst.check()
    inst.doc["certificate"] = {"sense": "max", "objective": 3_550_000}
    assert not any(g.startswith("certificate.objective") for g in inst.check())
    inst.doc["objective"] = "min_cost"
    inst.doc["certificate"] = {"sense": "min", "objective": 314}
    assert "certificate.objective: 314, the rows give 315" in inst.check()


def test_pair_codes_sorted_labels() -> None:
    labels, code = _pair_codes(("b", "a", "b", "a", "c"),
                               ("standard", "batch", "batch", "batch", "standard"))  # fmt: skip
    assert labels == [("a", "batch"), ("b", "batch"), ("b", "standard"), ("c", "standard")]
    assert code.tolist() == [2, 0, 1, 0, 3]
    labels, code = _pair_codes((), ())
    assert labels == [] and code.tolist() == []  # noqa: PT018


# --- after the first mutation run: share caps as the bound reads them, prompts from texts ----


def _bare(settings: dict[str, Any]) -> Any:
    from costplan.verify.perquery import _PerQuery

    pq = object.__new__(_PerQuery)
    pq.settings = settings
    pq._tokens = {}
    return pq


def test_share_cap_own_then_star() -> None:
    from fractions import Fraction

    pq = _bare({"max_provider_share": {"OpenAI": "0.5", "openai": "0.25", "*": "0.75",
                                       "anthropic": None}})  # fmt: skip
    assert pq.share_cap("openai") == Fraction(1, 4)  # the least of its own caps, any spelling
    assert pq.share_cap("anthropic") == Fraction(3, 4)  # its own cap unreadable: the '*' cap
    assert pq.share_cap("google") == Fraction(3, 4)
    pq = _bare({"max_provider_share": {"openai": "0"}})
    assert pq.share_cap("openai") == 0  # a cap of 0 is a cap
    assert pq.share_cap("google") is None
    assert _bare({}).share_cap("openai") is None
    assert _bare({"max_provider_share": None}).share_cap("openai") is None
    assert _bare({"max_provider_share": {"*": "x"}}).share_cap("openai") is None


def test_prompts_counted_from_texts_by_each_models_tokenizer(tmp_path: Path) -> None:
    from fractions import Fraction

    from costplan.verify.prices import load_sheets
    from costplan.verify.queryfile import read_queries
    from tests.mutation_kills.test_checker_tokens_kills import _want

    texts = ["Hello, world!", "The quick brown fox jumps over the lazy dog 1234567 times."]
    q = tmp_path / "q.jsonl"
    q.write_text("".join(json.dumps({"id": f"q{i}", "text": t, "output_tokens": 1,
                                     "quality": {"a": 0.5}}) + "\n"
                         for i, t in enumerate(texts)))  # fmt: skip
    sheet = load_sheets([Inst(tmp_path).sheet])
    pq = _bare({})
    pq.qs = read_queries(q)
    exact = _want("o200k_base", texts)  # a: openai, exact o200k_base
    claude = _want("o200k_base", texts, Fraction(6, 5))  # b: anthropic, ceil(n x 1.2)
    assert pq.prompt(sheet.models["a"]).tolist() == exact
    assert pq.prompt(sheet.models["b"]).tolist() == claude
    assert pq.prompt(sheet.models["a"]).tolist() == exact  # from its memo
    assert len(pq._tokens) == 2
    assert pq.prompt(sheet.models["a"]).dtype == np.int64


def test_qualities_of_zero_and_models_no_query_scores(tmp_path: Path) -> None:
    qs = [dict(q) for q in QUERIES]
    qs[2] = {**qs[2], "quality": {"a": 0.6, "b": 0}}  # q2 on b: a quality of 0 is a quality
    rows = list(ROWS)
    rows[2] = ("q2", "t1", "b", "standard", 12, "0")
    inst = Inst(tmp_path, queries=qs, rows=rows)
    inst.doc["tasks"][1]["allocations"][1].update(quality_queries="0", quality="0",
                                                  quality_stderr=None)  # fmt: skip
    inst.doc["totals"]["quality_queries"] = "2.6"
    assert inst.check() == []
    # no query scores b at all: q2's row on b has no quality (-1: shown as -0.000001). A real
    # bug, fixed with this test: its spread p (1 - p) was then negative and math.sqrt raised
    # (the checker crashed instead of reporting)
    qs = [{**q, "quality": {"a": q["quality"]["a"]}} for q in QUERIES]
    got = Inst(tmp_path, queries=qs).check()
    assert "rows[2]: query 'q2' has no quality for 'b' (1 such queries)" in got
    assert "rows[2].quality: query 'q2': 0.950000, recomputed -0.000001" in got


def test_two_differing_rows_say_so(tmp_path: Path) -> None:
    rows = [(i, t, m, o, c + (1 if i in ("q1", "q3") else 0), q) for i, t, m, o, c, q in ROWS]
    got = [g for g in Inst(tmp_path, rows=rows).check() if g.startswith("rows[")]
    assert got == [
        "rows[1].cost_usd: query 'q1': 0.000000000061, recomputed 0.00000000006 (2 rows differ)",
        "rows[3].cost_usd: query 'q3': 0.000000000173, recomputed 0.000000000172 (2 rows differ)",
    ]


def test_row_costs_past_2_53_compare_exactly(tmp_path: Path) -> None:
    # q on a (tier): 4 x (10**16 + 1) + 3 x 1 + 0 + 20 = 40,000,000,000,000,027 pusd, which no
    # float64 holds (spacing 8 there)
    n = 10**16 + 1
    cost = 4 * n + 3 + 20
    assert float(cost) != cost
    qs = [{"id": "q0", "task": "t0", "prompt_tokens": n, "cached_tokens": 1, "output_tokens": 0,
           "quality": {"a": 0.5}}]  # fmt: skip
    rows = [("q0", "t0", "a", "standard", cost, "0.5")]
    got = Inst(tmp_path, queries=qs, rows=rows).check()
    assert not [g for g in got if g.startswith("rows[")], got
    rows = [("q0", "t0", "a", "standard", cost + 1, "0.5")]
    got = Inst(tmp_path, queries=qs, rows=rows).check()
    assert [g for g in got if g.startswith("rows[")] == [
        f"rows[0].cost_usd: query 'q0': {_usd(cost + 1)}, recomputed {_usd(cost)}"
    ]


def test_a_plan_of_texts_is_priced_by_tiktokens_counts(tmp_path: Path) -> None:
    from tests.mutation_kills.test_checker_tokens_kills import _want

    texts = ["Hello, world!", "The quick brown fox jumps over the lazy dog 1234567 times."]
    n = _want("o200k_base", texts)  # a is openai: exact o200k_base counts
    qs = [{"id": f"q{i}", "task": "t0", "text": t, "output_tokens": 1, "quality": {"a": 0.5}}
          for i, t in enumerate(texts)]  # fmt: skip
    # a standard: n x 2 + 1 x 6 + 10 at or below 10 input tokens, else n x 4 + 8 + 20
    costs = [k * 2 + 16 if k <= 10 else k * 4 + 28 for k in n]
    rows = [(f"q{i}", "t0", "a", "standard", c, "0.5") for i, c in enumerate(costs)]
    got = Inst(tmp_path, queries=qs, rows=rows).check()
    assert not [g for g in got if g.startswith("rows[")], got
    rows[1] = ("q1", "t0", "a", "standard", costs[1] + 4, "0.5")
    got = Inst(tmp_path, queries=qs, rows=rows).check()
    assert [g for g in got if g.startswith("rows[")] == [
        f"rows[1].cost_usd: query 'q1': {_usd(costs[1] + 4)}, recomputed {_usd(costs[1])}"
    ]


def _doc_of(rows: list[tuple[str, str, str, str, int, str]], qs: list[dict[str, Any]],
            provider: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    """A plan document whose rows are the sums of the given per-query rows (stderr from the
    query file's qualities of each row's model, as README "Uncertainty" defines it)."""
    quality = {q["id"]: q["quality"] for q in qs}
    tasks: dict[str, dict[tuple[str, str], list[Any]]] = {}
    for i, t, m, o, c, _ in rows:
        tasks.setdefault(t, {}).setdefault((m, o), []).append((c, quality[i][m]))
    out = []
    for t, groups in tasks.items():
        allocs = []
        for (m, o), items in sorted(groups.items()):
            n, cost = len(items), sum(c for c, _ in items)
            qq = sum(Fraction(str(p)) for _, p in items)
            allocs.append(_alloc(m, o, provider[m], n, cost, str(qq), str(qq / n),
                                 _se(*(float(p) for _, p in items))))  # fmt: skip
        out.append({"name": t, "volume": sum(a["count"] for a in allocs),
                    "cost_usd": _usd(sum(sum(c for c, _ in v) for v in groups.values())),
                    "allocations": allocs})  # fmt: skip
    total = sum(c for _, _, _, _, c, _ in rows)
    qtotal = sum(Fraction(str(quality[i][m])) for i, _, m, _, _, _ in rows)
    return {"objective": "min_cost", "status": "feasible", "tasks": out, "assign": {},
            "totals": {"volume": len(rows), "cost_usd": _usd(total),
                       "quality_queries": str(qtotal)}}  # fmt: skip


def test_one_option_over_two_tasks(tmp_path: Path) -> None:
    # q0 (t0) and q2 (t1) both on a standard: 40 and 6x2 + 2x6 + 10 = 34
    qs = [QUERIES[0], QUERIES[2]]
    rows = [("q0", "t0", "a", "standard", 40, "0.9"), ("q2", "t1", "a", "standard", 34, "0.6")]
    inst = Inst(tmp_path, queries=qs, rows=rows)
    doc = _doc_of(rows, qs, {"a": "openai"}) | {"inputs": inst.doc["inputs"]}
    assert doc["tasks"][1]["allocations"][0]["cost_usd"] == "0.000000000034"
    assert inst.check(doc) == []
    doc["tasks"][1]["allocations"][0]["cost_usd"] = "0.000000000040"
    doc["tasks"][1]["cost_usd"] = "0.000000000040"
    doc["totals"]["cost_usd"] = "0.00000000008"
    assert inst.check(doc) == [
        "tasks[1].allocations[0].cost_usd: '0.000000000040' USD, its queries cost 0.000000000034"
    ]


def test_row_sums_past_2_53_stay_exact(tmp_path: Path) -> None:
    n = 10**16 + 1  # as in test_row_costs_past_2_53_compare_exactly: 40,000,000,000,000,027
    cost = 4 * n + 3 + 20
    qs = [{"id": "q0", "task": "t0", "prompt_tokens": n, "cached_tokens": 1, "output_tokens": 0,
           "quality": {"a": 0.5}}, QUERIES[4] | {"task": "t0"}]  # fmt: skip
    rows = [("q0", "t0", "a", "standard", cost, "0.5"), ("q4", "t0", "a", "standard", 31, "0.5")]
    inst = Inst(tmp_path, queries=qs, rows=rows)
    doc = _doc_of(rows, qs, {"a": "openai"}) | {"inputs": inst.doc["inputs"]}
    assert doc["tasks"][0]["allocations"][0]["cost_usd"] == _usd(cost + 31)
    assert inst.check(doc) == []


def test_a_one_query_task_floor_shows_its_mean(tmp_path: Path) -> None:
    qs = [QUERIES[0], QUERIES[2]]  # t0: q0 (0.9 on a), t1: q2 (0.95 on b)
    rows = [("q0", "t0", "a", "standard", 40, "0.9"), ("q2", "t1", "b", "standard", 12, "0.95")]
    inst = Inst(tmp_path, queries=qs, rows=rows)
    doc = _doc_of(rows, qs, {"a": "openai", "b": "anthropic"}) | {"inputs": inst.doc["inputs"]}
    doc["assign"] = {"task_min_quality": {"t1": "0.96"}}
    assert inst.check(doc) == ["assign.task_min_quality.t1: task mean quality 0.950000 is below "
                               "0.96"]  # fmt: skip


def test_the_claim_is_checked_against_the_repriced_rows(inst: Inst) -> None:
    doc = inst.doc
    doc["objective"] = "min_cost"
    doc["gap"], doc["bound"], doc["bound_unit"] = "0", "0.000000000315", "usd"
    assert inst.check() == []
    doc["bound"] = "0.000000000316"
    assert inst.check() == [
        "bound: '0.000000000316' is above the plan's cost 3.15e-10 USD: not a lower bound"
    ]
    doc["objective"], doc["bound_unit"], doc["bound"] = "max_quality", "quality_queries", "3.54"
    assert inst.check() == [
        "bound: '3.54' is below the plan's quality 3.550000: not an upper bound"
    ]


def test_price_changes_are_applied(tmp_path: Path) -> None:
    inst = Inst(tmp_path)
    s = inst.sources()
    # b's input doubled: q2 on b costs 6 x 2 + 2 x 3 = 18
    changed = Sources(prices=s.prices, queries=s.queries, rows=s.rows,
                      price_changes=("b.input_usd_per_mtok=+100%",))  # fmt: skip
    assert "rows[2].cost_usd: query 'q2': 0.000000000012, recomputed 0.000000000018" in (
        inst.check(sources=changed))  # fmt: skip


def test_a_model_outside_the_sheet_is_provider_unknown(tmp_path: Path) -> None:
    rows = list(ROWS)
    rows[1] = ("q1", "t0", "zz", "standard", 60, "0.8")
    inst = Inst(tmp_path, rows=rows)
    inst.doc["assign"] = {"max_provider_share": {"*": "0"}}
    got = inst.check()
    assert ("tasks: provider '?' gets 0.00000000006 USD, more than 0% of the plan's "
            "0.000000000315 USD") in got  # fmt: skip


def test_token_capacity_past_2_53_counts_exactly(tmp_path: Path) -> None:
    n = 10**16 + 1
    cost = 4 * n + 3 + 20
    qs = [{"id": "q0", "task": "t0", "prompt_tokens": n, "cached_tokens": 1, "output_tokens": 0,
           "quality": {"a": 0.5}}, QUERIES[4] | {"task": "t0"}]  # fmt: skip
    rows = [("q0", "t0", "a", "standard", cost, "0.5"), ("q4", "t0", "a", "standard", 31, "0.5")]
    inst = Inst(tmp_path, queries=qs, rows=rows)
    doc = _doc_of(rows, qs, {"a": "openai"}) | {"inputs": inst.doc["inputs"]}
    used = (n + 1 + 0) + (4 + 1 + 2)  # 10,000,000,000,000,009: no float64 holds it
    doc["assign"] = {"capacity_tokens": {"a": used - 1}}
    assert inst.check(doc) == [
        f"assign.capacity_tokens.a: {used:,} tokens on 'a', above its capacity {used - 1:,}"
    ]
    doc["assign"] = {"capacity_tokens": {"a": used}}
    assert inst.check(doc) == []


def test_a_row_of_zero_queries_is_a_row_and_a_bad_row_skips_only_itself(inst: Inst) -> None:
    doc = copy.deepcopy(inst.doc)
    doc["tasks"][0]["allocations"].append(
        _alloc("b", "standard", "anthropic", 1, 0, "0", "0", 0.0) | {"count": 0}
    )
    assert inst.check(doc, Sources()) == []
    doc = copy.deepcopy(inst.doc)
    _alloc_of(doc, 0, 0)["count"] = "x"  # t0's first row skipped, its second still summed
    got = inst.check(doc, Sources())
    assert "tasks[0].volume: 3, the counts sum to 2" in got


def test_a_models_own_tokenizer_counts_its_prompts(tmp_path: Path) -> None:
    from costplan.verify.prices import load_sheets
    from costplan.verify.queryfile import read_queries
    from tests.mutation_kills.test_checker_tokens_kills import _want

    texts = [
        "\u6bd5\u8001\u5e08\u8bf4\uff1a\u4ef7\u683c\u662f123\u5143\u3002",
        "na\u00efve caf\u00e9 r\u00e9sum\u00e9 12345678",
    ]  # 12 and 11 cl100k tokens, 9 o200k
    assert _want("cl100k_base", texts) != _want("o200k_base", texts)
    q = tmp_path / "q.jsonl"
    q.write_text("".join(json.dumps({"id": f"q{i}", "text": t, "quality": {"a": 0.5}}) + "\n"
                         for i, t in enumerate(texts)))  # fmt: skip
    sheet = SHEET.replace(
        "    provider: openai\n", "    provider: openai\n    tokenizer: cl100k_base\n"
    )
    pq = _bare({})
    pq.qs = read_queries(q)
    model = load_sheets([Inst(tmp_path, sheet=sheet).sheet]).models["a"]
    assert pq.prompt(model).tolist() == _want("cl100k_base", texts)
