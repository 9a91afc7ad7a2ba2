"""The checker's checks of a class-level plan (costplan.verify.classplan), line by line.

Written to kill mutants the suite let survive. The workload is small enough to price by hand
(USD per million tokens; 1 USD = 10^12 pico-dollars):

    small (openai):    input 1, output 2, batch discount 0.5
    big   (anthropic): input 3, output 15
    task a: 1,000 queries, 1,000 prompt tokens, 100 output, floor 0.8, realtime
        small: 1000 x 1 + 100 x 2 = 1,200 USD/M = $0.0012; big: 1000 x 3 + 100 x 15 = $0.0045
    task b: 200 queries, 2,000 prompt tokens, 500 output, batch
        small batch: (2000 x 1 + 500 x 2) x 0.5 = $0.0015; big: 2000 x 3 + 500 x 15 = $0.0135

min_cost: task a meets its floor with big on x of a's queries, 0.7 + 0.2 x >= 0.8, x = 1/2:
500 on big ($2.25, quality 450), 500 on small ($0.60, quality 350), $2.85; task b all on small
batch, 200 x $0.0015 = $0.30, quality 120. Plan: $3.15, 1,200 queries, quality 920.
"""

from __future__ import annotations

import copy
import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from costplan.api import load_inputs
from costplan.optimize import optimize
from costplan.plan import plan_to_dict
from costplan.verify import Sources, check_document
from tests.trust.tamper import set_path

PRICES = """\
currency: USD
models:
  small:
    provider: openai
    input_usd_per_mtok: 1
    output_usd_per_mtok: 2
    batch: {discount: 0.5}
  big:
    provider: anthropic
    input_usd_per_mtok: 3
    output_usd_per_mtok: 15
    aliases: [big-alias]
"""

WORKLOAD = """\
name: k
period: month
budget_usd: 500
objective: max_quality
prices: prices.yaml
tasks:
  - name: a
    volume: 1000
    prompt: {tokens: 1000}
    output_tokens: 100
    min_quality: 0.8
  - name: b
    volume: 200
    prompt: {tokens: 2000}
    output_tokens: 500
    latency: batch
quality:
  a: {small: 0.7, big: 0.9}
  b: {small: 0.6, big: 0.95}
"""


def _write(tmp: Path, workload: str = WORKLOAD, prices: str = PRICES) -> Path:
    (tmp / "prices.yaml").write_text(prices)
    path = tmp / "workload.yaml"
    path.write_text(workload)
    return path


def _solve(path: Path, **kwargs: Any) -> dict[str, Any]:
    return plan_to_dict(optimize(load_inputs(path), explain=False, **kwargs))


def _found(doc: dict[str, Any], path: Path) -> list[str]:
    return [str(v) for v in check_document(doc, Sources(workload=path))]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rewrite(path: Path, doc: dict[str, Any], text: str) -> None:
    """Change the workload file under a plan, and its recorded digest with it."""
    path.write_text(text)
    doc["inputs"][str(path)] = _sha(path)


@pytest.fixture
def base(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    path = _write(tmp_path)
    doc = _solve(path, objective="min_cost")
    # the plan derived in the module docstring, in the solver's row order
    rows = [[(a["model"], a["mode"], a["count"]) for a in t["allocations"]] for t in doc["tasks"]]
    assert rows == [[("big", "standard", 500), ("small", "standard", 500)],
                    [("small", "batch", 200)]]  # fmt: skip
    assert doc["totals"]["cost_usd"] == "3.15"
    assert _found(doc, path) == []
    return path, doc


A0 = "tasks[0].allocations[0]"
#: (key path, new value, the full list of findings), each derived by hand from the docstring
TAMPERS: list[tuple[str, Any, list[str]]] = [
    ("period", "day", ["period: 'day' is not the workload's 'month'"]),
    ("workload", "x", ["workload: 'x' is not the workload's 'k'"]),
    ("tasks[1].volume", 5, ["tasks[1].volume: 5 is not the workload's 200"]),
    ("tasks[0].min_quality", "0.5", ["tasks[0].min_quality: '0.5' is not the workload's 0.8"]),
    ("tasks[1].min_quality", "0.5", ["tasks[1].min_quality: '0.5' is not the workload's None"]),
    ("tasks[0].cost_usd", "2.84", ["tasks[0].cost_usd: '2.84' USD, recomputed 2.85 USD"]),
    ("tasks[0].cost_usd", "-2.85", ["tasks[0].cost_usd: '-2.85' USD, recomputed 2.85 USD"]),
    # $2.85 + 10^-13 is not a whole number of pico-dollars
    (
        "tasks[0].cost_usd",
        "2.8500000000001",
        ["tasks[0].cost_usd: '2.8500000000001' USD, recomputed 2.85 USD"],
    ),
    # mean quality 0.8 within 3/2 x 10^-6 (MICRO_SLACK): 0.8000015 holds, 0.8000016 does not
    ("tasks[0].mean_quality", "0.8000015", []),
    ("tasks[0].mean_quality", "0.7999985", []),
    (
        "tasks[0].mean_quality",
        "0.8000016",
        ["tasks[0].mean_quality: '0.8000016', recomputed 0.8000000"],
    ),
    ("tasks[0].mean_quality", None, ["tasks[0].mean_quality: None, recomputed 0.8000000"]),
    # the row is dropped: task a keeps 500 on small ($0.60, quality 350 = 0.35 of 1,000 and
    # 0.7 of the 500 counted, below 0.8); the plan 700 queries, $0.90, quality 470
    (
        f"{A0}.count",
        -1,
        [
            f"{A0}.count: -1 is not an integer >= 0",
            "tasks[0].allocations: counts sum to 500, volume is 1,000",
            "tasks[0].cost_usd: '2.85' USD, recomputed 0.6 USD",
            "tasks[0].mean_quality: '0.800000', recomputed 0.3500000",
            "tasks[0].min_quality: mean quality 0.7000000 is below the floor 0.8",
            "totals.volume: 1200, rows sum to 700",
            "totals.cost_usd: '3.15' USD, recomputed 0.9 USD",
            "totals.cost_p95_usd: '3.15' USD, recomputed 0.9 USD",
            "totals.quality_queries: '920.000000', recomputed 470.0000000",
            "bound: '3.15' is above the plan's cost 0.9 USD: not a lower bound",
            "bound: '3.15' is not between the plan's objective and the certificate's bound",
        ],
    ),
    (f"{A0}.per_query", True, [f"{A0}.per_query: a workload plan has no per-query rows"]),
    (f"{A0}.per_query", None, []),
    (
        f"{A0}.cost_per_query_usd",
        "0.0045000000000001",
        [f"{A0}.cost_per_query_usd: '0.0045000000000001' USD, recomputed 0.0045 USD"],
    ),
    (
        f"{A0}.cost_p95_per_query_usd",
        "0.0046",
        [f"{A0}.cost_p95_per_query_usd: '0.0046' USD, recomputed 0.0045 USD"],
    ),
    (f"{A0}.cost_usd", "2.26", [f"{A0}.cost_usd: '2.26' USD, recomputed 2.25 USD"]),
    (
        f"{A0}.cost_sd_per_query_usd",
        "0.000001",
        [f"{A0}.cost_sd_per_query_usd: '0.000001' USD, recomputed 0 USD"],
    ),
    (f"{A0}.quality", "0.91", [f"{A0}.quality: '0.91', the workload says 0.9"]),
    # 500 x 0.9 = 450 within 3/2 x 10^-6 x (500 + 1) = 0.0007515
    (f"{A0}.quality_queries", "450.0007515", []),
    (f"{A0}.quality_queries", "449.9992485", []),
    (
        f"{A0}.quality_queries",
        "450.0007516",
        [f"{A0}.quality_queries: '450.0007516', recomputed 450.0000000"],
    ),
    (f"{A0}.cost_source", "measured", [f"{A0}.cost_source: 'measured', expected 'tokens'"]),
    # a share 500 / 1000 within 1/2 x 10^-6
    (f"{A0}.share", "0.5000005", []),
    (f"{A0}.share", "0.5000006", [f"{A0}.share: '0.5000006', recomputed 0.5000000"]),
    (f"{A0}.share", "0.4999994", [f"{A0}.share: '0.4999994', recomputed 0.5000000"]),
    (f"{A0}.usage_per_query", None, []),
    (f"{A0}.usage_per_query", 5, [f"{A0}.usage_per_query: not a mapping"]),
    (
        f"{A0}.usage_per_query.cached_tokens",
        1,
        [f"{A0}.usage_per_query.cached_tokens: 1, the workload gives 0"],
    ),
    (
        f"{A0}.usage_per_query.output_tokens",
        99,
        [f"{A0}.usage_per_query.output_tokens: 99, the workload gives 100"],
    ),
    (
        f"{A0}.usage_per_query.reasoning_tokens",
        2,
        [f"{A0}.usage_per_query.reasoning_tokens: 2, the workload gives 0"],
    ),
    # the mean prompt 1000 within 1/1000
    (f"{A0}.usage_per_query.prompt_tokens_mean", "1000.001", []),
    (
        f"{A0}.usage_per_query.prompt_tokens_mean",
        "1000.0011",
        [f"{A0}.usage_per_query.prompt_tokens_mean: '1000.0011', recomputed 1000.0000000"],
    ),
    (
        f"{A0}.quality_stderr",
        0.1,
        [f"{A0}.quality_stderr: 0.1, the workload's n / stderr give None"],
    ),
    (f"{A0}.provider", "openai", [f"{A0}.provider: 'openai', the sheet says 'anthropic'"]),
    (
        f"{A0}.cache",
        "x",
        [f"{A0}.cache: 'x' is not a cache choice of the task on 'big' (standard): ['']"],
    ),
    ("totals.volume", 1201, ["totals.volume: 1201, rows sum to 1,200"]),
    ("totals.cost_usd", "3.14", ["totals.cost_usd: '3.14' USD, recomputed 3.15 USD"]),
    ("totals.cost_p95_usd", "3.16", ["totals.cost_p95_usd: '3.16' USD, recomputed 3.15 USD"]),
    # 920 within 3/2 x 10^-6 x (1200 + 1) = 0.0018015
    ("totals.quality_queries", "920.0018015", []),
    (
        "totals.quality_queries",
        "920.0018016",
        ["totals.quality_queries: '920.0018016', recomputed 920.0000000"],
    ),
    ("budget_usd", "3.15", []),
    (
        "budget_usd",
        "3.149999999999",
        ["budget_usd: cost 3.15 USD exceeds the budget 3.149999999999 USD"],
    ),
]


@pytest.mark.parametrize(("where", "value", "want"), TAMPERS,
                         ids=[f"{w}={v!r}" for w, v, _ in TAMPERS])  # fmt: skip
def test_one_field_changed(
    base: tuple[Path, dict[str, Any]], where: str, value: Any, want: list[str]
) -> None:
    path, doc = base
    bad = copy.deepcopy(doc)
    set_path(bad, where, value)
    got = _found(bad, path)
    # the lines about the risk section and the certificate follow from the changed counts
    # and budget; every line from classplan.py is listed
    skip = ("risk", "quality_risk", "certificate", "status", "gap")
    assert [g for g in got if not g.startswith(skip)] == want, got


def _lines(doc: dict[str, Any], path: Path) -> list[str]:
    skip = ("risk", "quality_risk", "certificate", "status", "gap")
    return [g for g in _found(doc, path) if not g.startswith(skip)]


def _zero_row(doc: dict[str, Any], i: int, j: int, **change: Any) -> dict[str, Any]:
    """A copy of row ``j`` of task ``i`` with no queries (its stated amounts all 0)."""
    row: dict[str, Any] = copy.deepcopy(doc["tasks"][i]["allocations"][j])
    row.update(count=0, share="0", cost_usd="0", quality_queries="0", **change)
    return row


def test_rows_that_are_not_allocations(base: tuple[Path, dict[str, Any]]) -> None:
    path, doc = base
    bad = copy.deepcopy(doc)
    bad["tasks"][0]["allocations"].append(7)
    assert _lines(bad, path) == ["tasks[0].allocations[2]: not a mapping"]
    bad = copy.deepcopy(doc)
    bad["tasks"][0]["allocations"].append(_zero_row(doc, 0, 1))
    assert _lines(bad, path) == ["tasks[0].allocations[2]: small (standard) is allocated twice"]
    # small on task b in standard mode ($0.003 = 2000 x 1 + 500 x 2 undiscounted) is another
    # option than small batch: no finding
    bad = copy.deepcopy(doc)
    bad["tasks"][1]["allocations"].append(
        _zero_row(
            doc, 1, 0, mode="standard", cost_per_query_usd="0.003", cost_p95_per_query_usd="0.003"
        )
    )
    assert _lines(bad, path) == []
    # tasks renamed or missing
    bad = copy.deepcopy(doc)
    bad["tasks"][0]["name"] = "z"
    assert _lines(bad, path) == ["tasks: tasks ['z', 'b'] are not the workload's ['a', 'b']"]


def test_allocation_kind_and_usability(base: tuple[Path, dict[str, Any]]) -> None:
    path, doc = base
    cases = [
        # (row, field, value, the finding); a row that cannot be priced keeps its stated
        # figures, so nothing else changes
        (0, 0, "kind", "other", f"{A0}.kind: unknown allocation kind 'other'"),
        (
            0,
            0,
            "model",
            "ghost",
            f"{A0}.model: 'ghost' (standard) is not usable: model 'ghost' is not in the price "
            "sheet",
        ),
        (
            0,
            0,
            "mode",
            "batch",
            f"{A0}.model: 'big' (batch) is not usable: model 'big' has no 'batch' price",
        ),
        (
            0,
            1,
            "mode",
            "batch",
            "tasks[0].allocations[1].model: 'small' (batch) is not usable: mode 'batch' is not "
            "allowed for a realtime task",
        ),
        (
            1,
            0,
            "mode",
            "flex",
            "tasks[1].allocations[0].model: 'small' (flex) is not usable: model 'small' has no "
            "'flex' price",
        ),
    ]
    for i, j, field, value, want in cases:
        bad = copy.deepcopy(doc)
        bad["tasks"][i]["allocations"][j][field] = value
        assert _lines(bad, path) == [want], (field, value)


def test_allow_list_and_missing_score(base: tuple[Path, dict[str, Any]]) -> None:
    path, doc = base
    text = WORKLOAD.replace("    min_quality: 0.8\n", "    min_quality: 0.8\n    allow: [small]\n")
    _rewrite(path, doc, text)
    assert _lines(doc, path) == [
        f"{A0}.model: 'big' (standard) is not usable: not in the task's 'allow' list"
    ]
    text = WORKLOAD.replace("  a: {small: 0.7, big: 0.9}\n", "  a: {small: 0.7}\n")
    _rewrite(path, doc, text)
    assert _lines(doc, path) == [
        f"{A0}.model: 'big' (standard) is not usable: no quality score for the task"
    ]


def test_split_false_and_inputs(base: tuple[Path, dict[str, Any]]) -> None:
    path, doc = base
    bad = copy.deepcopy(doc)
    bad["inputs"] = {"x": "0" * 64}
    prices = path.parent / "prices.yaml"
    assert _lines(bad, path) == [
        f"inputs: no entry has the sha256 of {path} ({_sha(path)})",
        f"inputs: no entry has the sha256 of {prices} ({_sha(prices)})",
    ]
    bad["inputs"] = [_sha(path), _sha(prices)]  # not a mapping: no digest is read
    assert len(_lines(bad, path)) == 2
    _rewrite(
        path,
        doc,
        WORKLOAD.replace("    min_quality: 0.8\n", "    min_quality: 0.8\n    split: false\n"),
    )
    assert _lines(doc, path) == ["tasks[0].allocations: split: false but 2 options are used"]


def _constraints(path: Path, doc: dict[str, Any], text: str, workload: str = WORKLOAD) -> list[str]:
    _rewrite(path, doc, workload + "constraints:\n" + text)
    return _lines(doc, path)


def test_capacities_by_hand(base: tuple[Path, dict[str, Any]]) -> None:
    """big serves 500 queries of task a, 1,100 tokens each (1000 prompt + 100 output):
    550,000 tokens."""
    path, doc = base
    assert _constraints(path, doc, "  capacity: {big: {requests: 500, tokens: 550000}}\n") == []
    assert _constraints(path, doc, "  capacity: {big: {requests: 499, tokens: 549999}}\n") == [
        "tasks: model 'big' serves 500 requests, above its capacity 499",
        "tasks: model 'big' uses 550,000 tokens, above its capacity 549,999",
    ]
    # two keys naming one sheet model: the smaller of each capacity
    two = "  capacity:\n    big: {requests: 499, tokens: 600000}\n    big-alias: {tokens: 549999}\n"
    assert _constraints(path, doc, two) == [
        "tasks: model 'big' serves 500 requests, above its capacity 499",
        "tasks: model 'big' uses 550,000 tokens, above its capacity 549,999",
    ]
    two = "  capacity:\n    big-alias: {requests: 600, tokens: 549999}\n    big: {requests: 499}\n"
    assert _constraints(path, doc, two) == [
        "tasks: model 'big' serves 500 requests, above its capacity 499",
        "tasks: model 'big' uses 550,000 tokens, above its capacity 549,999",
    ]
    # small: 500 requests on a, 200 on b (700); 500 x 1,100 + 200 x 2,500 = 1,050,000 tokens
    assert _constraints(path, doc, "  capacity: {small: {requests: 699, tokens: 1049999}}\n") == [
        "tasks: model 'small' serves 700 requests, above its capacity 699",
        "tasks: model 'small' uses 1,050,000 tokens, above its capacity 1,049,999",
    ]


def test_rate_limits_over_one_hour(base: tuple[Path, dict[str, Any]]) -> None:
    """An hour is 60 minutes: 8 requests a minute are 480 < 500; 9,166 tokens a minute are
    549,960 < 550,000; 9,167 are 550,020 (fits). A capacity stated in the workload wins."""
    path, doc = base
    doc["period"] = "hour"
    prices = path.parent / "prices.yaml"

    def limits(rpm: int, tpm: int, constraints: str) -> list[str]:
        prices.write_text(PRICES + f"    limits: {{requests_per_minute: {rpm}, "
                          f"tokens_per_minute: {tpm}}}\n")  # fmt: skip
        doc["inputs"][str(prices)] = _sha(prices)
        return _constraints(path, doc, constraints, WORKLOAD.replace("month", "hour"))

    on = "  use_rate_limits: true\n"
    assert limits(8, 9166, on) == [
        "tasks: model 'big' serves 500 requests, above its capacity 480",
        "tasks: model 'big' uses 550,000 tokens, above its capacity 549,960",
    ]
    assert limits(9, 9167, on) == []
    assert limits(8, 9166, "  use_rate_limits: false\n") == []
    assert limits(8, 9166, on + "  capacity: {big: {requests: 500, tokens: 550000}}\n") == []


def test_share_caps_by_hand(base: tuple[Path, dict[str, Any]]) -> None:
    """anthropic (big) gets $2.25 of $3.15: 71% of it is $2.2365 (exceeded), 72% $2.268."""
    path, doc = base
    assert _constraints(path, doc, "  max_provider_share: {anthropic: 0.71}\n") == [
        "tasks: provider 'anthropic' gets 2.25 USD, more than 71% of the plan's 3.15 USD"
    ]
    assert _constraints(path, doc, "  max_provider_share: {anthropic: 0.72}\n") == []
    # openai gets $0.90: '*' at 0.28 ($0.882) refuses it, anthropic's own cap 1 allows it
    assert _constraints(path, doc, "  max_provider_share: {'*': 0.28, anthropic: 1}\n") == [
        "tasks: provider 'openai' gets 0.9 USD, more than 28% of the plan's 3.15 USD"
    ]


def test_max_quality_plan_and_its_bound(tmp_path: Path) -> None:
    """All on big: a 1,000 x $0.0045 = $4.50, b 200 x $0.0135 = $2.70, $7.20; quality
    1,000 x 0.9 + 200 x 0.95 = 1,090 = 1,090,000,000 micro-units."""
    path = _write(tmp_path)
    doc = _solve(path)
    assert doc["totals"]["cost_usd"] == "7.2"
    assert _found(doc, path) == []
    bad = copy.deepcopy(doc)
    bad["bound"] = "1089.999999"
    assert "bound: '1089.999999' is below the plan's quality 1090.000000: not an upper bound" in (
        _found(bad, path)
    )
    bad = copy.deepcopy(doc)
    bad["budget_usd"] = "7.199999999999"
    assert _lines(bad, path) == ["budget_usd: cost 7.2 USD exceeds the budget 7.199999999999 USD"]


def test_robust_budget_is_on_the_p95_cost(tmp_path: Path) -> None:
    """Task b's output at p95 is 1,000 tokens: small batch (2000 + 2000) x 0.5 = $0.002 at p95
    against $0.0015 on average; the p95 total $2.85 + 200 x $0.002 = $3.25, the mean $3.15."""
    text = WORKLOAD.replace(
        "    output_tokens: 500\n", "    output_tokens: {mean: 500, p95: 1000}\n"
    )
    path = _write(tmp_path, text)
    doc = _solve(path, objective="min_cost", robust=True, budget_usd=Decimal("3.25"))
    assert (doc["totals"]["cost_usd"], doc["totals"]["cost_p95_usd"]) == ("3.15", "3.25")
    assert _found(doc, path) == []
    bad = copy.deepcopy(doc)
    bad["budget_usd"] = "3.249999999999"
    assert _lines(bad, path) == [
        "budget_usd: p95 cost 3.25 USD exceeds the budget 3.249999999999 USD"
    ]
    bad["robust"] = False  # the mean $3.15 is within it
    assert _lines(bad, path) == []


CASCADE = WORKLOAD.replace(
    "    latency: batch\n",
    "    latency: batch\n    min_quality: 0.9\n    cascades:\n"
    "      - {name: cf, steps: [small, big], escalate: 0.37, quality: 0.9, mode: standard}\n",
)


@pytest.fixture
def cascade(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    """Task b with a floor of 0.9 and a cascade small -> big escalating 37% (quality 0.9):
    small standard $0.003 + 0.37 x big $0.0135 = $0.003 + $0.004995 = $0.007995 a query, the
    cheapest way to 0.9 (small batch + big would cost 0.0015 + 6/7 x 0.012 = $0.0118). All 200
    on it: $1.599; the plan $2.85 + $1.599 = $4.449."""
    path = _write(tmp_path, CASCADE)
    doc = _solve(path, objective="min_cost")
    row = doc["tasks"][1]["allocations"]
    assert [(a["kind"], a["model"], a["count"]) for a in row] == [("cascade", "cf", 200)]
    assert (row[0]["cost_per_query_usd"], doc["totals"]["cost_usd"]) == ("0.007995", "4.449")
    assert _found(doc, path) == []
    return path, doc


def test_cascade_rows(cascade: tuple[Path, dict[str, Any]]) -> None:
    path, doc = cascade
    b0 = "tasks[1].allocations[0]"
    for field, value, want in [
        ("mode", "batch", f"{b0}.mode: 'batch', the cascade runs in 'standard'"),
        ("model", "nope", f"{b0}.model: the task has no cascade named 'nope'"),
        (
            "cost_per_query_usd",
            "0.007994",
            f"{b0}.cost_per_query_usd: '0.007994' USD, recomputed 0.007995 USD",
        ),
        ("cost_source", "tokens", f"{b0}.cost_source: 'tokens', expected 'cascade'"),
        ("quality", "0.95", f"{b0}.quality: '0.95', the workload says 0.9"),
        (
            "cost_p95_per_query_usd",
            "0.0135",
            f"{b0}.cost_p95_per_query_usd: '0.0135' USD, recomputed 0.007995 USD",
        ),
    ]:
        bad = copy.deepcopy(doc)
        bad["tasks"][1]["allocations"][0][field] = value
        assert _lines(bad, path) == [want], field


def test_cascade_steps_count_in_capacities_and_shares(cascade: tuple[Path, dict[str, Any]]) -> None:
    """big serves 500 queries of a and 0.37 x 200 = 74 of b (574): 500 x 1,100 + 74 x 2,500 =
    735,000 tokens; small 500 + 200 = 700 requests, 500 x 1,100 + 200 x 2,500 = 1,050,000
    tokens. anthropic is paid 500 x $0.0045 + 74 x $0.0135 = $3.249 of $4.449 (73.03%)."""
    path, doc = cascade
    cap = "  capacity: {big: {requests: 573, tokens: 734999}, small: {requests: 699}}\n"
    assert _constraints(path, doc, cap, CASCADE) == [
        "tasks: model 'big' serves 574 requests, above its capacity 573",
        "tasks: model 'big' uses 735,000 tokens, above its capacity 734,999",
        "tasks: model 'small' serves 700 requests, above its capacity 699",
    ]
    cap = "  capacity: {big: {requests: 574, tokens: 735000}, small: {tokens: 1049999}}\n"
    assert _constraints(path, doc, cap, CASCADE) == [
        "tasks: model 'small' uses 1,050,000 tokens, above its capacity 1,049,999",
    ]
    share = "  max_provider_share: {anthropic: 0.73}\n"
    assert _constraints(path, doc, share, CASCADE) == [
        "tasks: provider 'anthropic' gets 3.249 USD, more than 73% of the plan's 4.449 USD"
    ]
    share = "  max_provider_share: {anthropic: 0.7303}\n"  # 0.7303 x 4.449 = 3.2491047
    assert _constraints(path, doc, share, CASCADE) == []


def test_cascade_latency_is_the_sum_of_its_steps(cascade: tuple[Path, dict[str, Any]]) -> None:
    """small p95 300 ms + big 900 ms = 1,200 ms: an SLO of 1,200 holds, 1,199 does not."""
    path, doc = cascade
    prices = path.parent / "prices.yaml"
    slow = PRICES.replace("    batch: {discount: 0.5}\n",
                          "    batch: {discount: 0.5}\n    latency_ms: {p95: 300}\n")  # fmt: skip
    prices.write_text(slow + "    latency_ms: {p95: 900}\n")
    doc["inputs"][str(prices)] = _sha(prices)
    slo = "    latency: batch\n    max_latency_p95_ms: {}\n"
    _rewrite(path, doc, CASCADE.replace("    latency: batch\n", slo.format(1200)))
    assert _lines(doc, path) == []
    # the cascade unusable, the certificate's bound (over the usable options) moves too
    cut = "bound: '4.449' is not between the plan's objective and the certificate's bound"
    _rewrite(path, doc, CASCADE.replace("    latency: batch\n", slo.format(1199)))
    assert _lines(doc, path) == [
        "tasks[1].allocations[0].model: cascade 'cf' is not usable: p95 latency 1,200 ms is "
        "above the SLO",
        cut,
    ]
    prices.write_text(slow)  # big's latency unknown: the step, and so the cascade, unusable
    doc["inputs"][str(prices)] = _sha(prices)
    assert _lines(doc, path) == [
        "tasks[1].allocations[0].model: step 'big' is not usable: no p95 latency known for a "
        "task with a latency SLO",
        "tasks[1].allocations[0].model: cascade 'cf' is not usable: no p95 latency known for a "
        "task with a latency SLO",
        cut,
    ]


def test_tasks_and_rows_out_of_line(base: tuple[Path, dict[str, Any]]) -> None:
    path, doc = base
    # a non-mapping row between two rows: the row after it is still read
    bad = copy.deepcopy(doc)
    bad["tasks"][0]["allocations"].insert(1, "x")
    assert _lines(bad, path) == ["tasks[0].allocations[1]: not a mapping"]
    # a plan with fewer tasks than the workload: the missing one is named, nothing crashes
    bad = copy.deepcopy(doc)
    del bad["tasks"][1]
    assert _lines(bad, path)[0] == "tasks: tasks ['a'] are not the workload's ['a', 'b']"


def test_split_counts_only_used_rows(base: tuple[Path, dict[str, Any]]) -> None:
    """split: false on task b: one row of 200 and a row of 0 use one option; a row of 199 and
    a row of 1 use two."""
    path, doc = base
    text = WORKLOAD.replace("    latency: batch\n", "    latency: batch\n    split: false\n")
    _rewrite(path, doc, text)
    standard = {"mode": "standard", "cost_per_query_usd": "0.003",
                "cost_p95_per_query_usd": "0.003"}  # fmt: skip
    doc["tasks"][1]["allocations"].append(_zero_row(doc, 1, 0, **standard))
    assert _lines(doc, path) == []
    doc["tasks"][1]["allocations"][0]["count"] = 199
    doc["tasks"][1]["allocations"][1]["count"] = 1
    assert "tasks[1].allocations: split: false but 2 options are used" in _lines(doc, path)


def test_a_task_without_queries(tmp_path: Path) -> None:
    """Task c has volume 0: its mean quality is 0, it has no share to state, and it adds
    nothing to the plan's $3.15."""
    text = WORKLOAD.replace("quality:\n", "  - {name: c, volume: 0, prompt: {tokens: 10}, "
                            "output_tokens: 1}\nquality:\n") + "  c: {small: 0.5}\n"  # fmt: skip
    path = _write(tmp_path, text)
    doc = _solve(path, objective="min_cost")
    assert doc["totals"]["cost_usd"] == "3.15"
    assert _found(doc, path) == []
    doc["tasks"][2]["mean_quality"] = "0.000002"  # above 0 + 3/2 x 10^-6
    assert _lines(doc, path) == ["tasks[2].mean_quality: '0.000002', recomputed 0.0000000"]


def test_quality_stderr_from_n(tmp_path: Path) -> None:
    """small on task a: quality 0.7 over n = 100 items: se = sqrt(0.7 x 0.3 / 100) =
    sqrt(0.0021) = 0.0458258; the stated value within 1e-12 + 1e-9 x se."""
    text = WORKLOAD.replace("  a: {small: 0.7, big: 0.9}\n",
                            "  a:\n    small: {score: 0.7, n: 100}\n    big: 0.9\n")  # fmt: skip
    path = _write(tmp_path, text)
    doc = _solve(path, objective="min_cost")
    a1 = "tasks[0].allocations[1]"
    se = doc["tasks"][0]["allocations"][1]["quality_stderr"]
    assert abs(se - 0.0021**0.5) < 1e-15
    assert _found(doc, path) == []
    for stated, ok in ((se + 3e-11, True), (se - 3e-11, True), (se + 6e-11, False),
                       (None, False), ("x", False)):  # fmt: skip
        bad = copy.deepcopy(doc)
        bad["tasks"][0]["allocations"][1]["quality_stderr"] = stated
        got = [g for g in _lines(bad, path) if g.startswith(a1)]
        want = f"{a1}.quality_stderr: {stated!r}, the workload's n / stderr give 0.04582575"
        assert (got == []) if ok else (len(got) == 1 and got[0].startswith(want)), stated
    bad = copy.deepcopy(doc)
    del bad["tasks"][0]["allocations"][1]["quality_stderr"]  # not stated: not judged
    assert _lines(bad, path) == []


def test_robust_max_quality_with_a_binding_budget(tmp_path: Path) -> None:
    """Robust: the budget binds the p95 costs (task b's output at p95 1,000 tokens), so the
    certificate's bound D is built on p95 costs; a plan the solver writes passes."""
    text = WORKLOAD.replace(
        "    output_tokens: 500\n", "    output_tokens: {mean: 500, p95: 1000}\n"
    )
    path = _write(tmp_path, text)
    doc = _solve(path, robust=True, budget_usd=Decimal(6))
    assert _found(doc, path) == []
    assert doc["status"] == "optimal"


def test_allow_lists_and_unscored_models_in_the_bound(tmp_path: Path) -> None:
    """Task a may use small only (0.7 < its floor 0.8 is then infeasible; so the floor goes)
    and a sheet model without any score is no option: the certificate's bound ranges over the
    options left, and the plan passes."""
    text = WORKLOAD.replace("    min_quality: 0.8\n", "    allow: [small]\n")
    prices = PRICES + "  spare:\n    provider: x\n    input_usd_per_mtok: 0\n" \
        "    output_usd_per_mtok: 0\n"  # fmt: skip
    path = _write(tmp_path, text, prices)
    for objective in ("max_quality", "min_cost"):
        doc = _solve(path, objective=objective, budget_usd=Decimal(2))
        assert [a["model"] for a in doc["tasks"][0]["allocations"]] == ["small"]
        assert _found(doc, path) == []


@pytest.mark.parametrize(
    ("extra", "kwargs"),
    [
        # max_quality would put all 1,200 queries on big (1,600,000 tokens, 100% anthropic);
        # each cap binds above the 574 requests / 735,000 tokens / 73% the floors need
        ("constraints:\n  capacity: {big: {requests: 900}}\n", {}),
        ("constraints:\n  capacity: {big: {tokens: 1200000}}\n", {}),
        ("constraints:\n  max_provider_share: {anthropic: 0.8}\n", {}),
        # the p95 budget binds a max_quality plan with the cascade among the options
        ("", {"robust": True, "budget_usd": Decimal(6)}),
        ("", {"budget_usd": Decimal(5)}),
    ],
)
def test_cascade_plans_with_binding_rows_pass(
    tmp_path: Path, extra: str, kwargs: dict[str, Any]
) -> None:
    """The certificate's bound D ranges over every option, the cascade with its steps' reach,
    costs and tokens in the side rows; a plan the solver writes passes (an error in any of
    them moves D off the certificate's)."""
    text = CASCADE.replace(
        "    output_tokens: 500\n", "    output_tokens: {mean: 500, p95: 1000}\n"
    )
    path = _write(tmp_path, text + extra)
    doc = _solve(path, **kwargs)
    assert any(a["kind"] == "cascade" for t in doc["tasks"] for a in t["allocations"]) or extra
    assert _found(doc, path) == []


def test_defaults_and_unpriced_rows(base: tuple[Path, dict[str, Any]]) -> None:
    path, doc = base
    a0 = doc["tasks"][0]["allocations"][0]
    for field in ("kind", "cost_source"):  # model and tokens by default
        bad = copy.deepcopy(doc)
        del bad["tasks"][0]["allocations"][0][field]
        assert _lines(bad, path) == [], field
    bad = copy.deepcopy(doc)
    bad["tasks"][0]["allocations"][0]["cost_usd"] = None
    assert _lines(bad, path) == [f"{A0}.cost_usd: None USD, recomputed 2.25 USD"]
    # a row of unknown kind without its stated figures counts 0 a query at quality 0:
    # task a then costs 500 x $0.0012 = $0.60, quality 350 (0.35; 0.35 of its 1,000 < 0.8)
    bad = copy.deepcopy(doc)
    row = bad["tasks"][0]["allocations"][0]
    row["kind"] = "other"
    for field in ("cost_per_query_usd", "cost_p95_per_query_usd", "quality"):
        del row[field]
    assert a0["count"] == 500
    assert _lines(bad, path) == [
        f"{A0}.kind: unknown allocation kind 'other'",
        "tasks[0].cost_usd: '2.85' USD, recomputed 0.6 USD",
        "tasks[0].mean_quality: '0.800000', recomputed 0.3500000",
        "tasks[0].min_quality: mean quality 0.3500000 is below the floor 0.8",
        "totals.cost_usd: '3.15' USD, recomputed 0.9 USD",
        "totals.cost_p95_usd: '3.15' USD, recomputed 0.9 USD",
        "totals.quality_queries: '920.000000', recomputed 470.0000000",
        "bound: '3.15' is above the plan's cost 0.9 USD: not a lower bound",
        "bound: '3.15' is not between the plan's objective and the certificate's bound",
    ]


def test_a_row_the_pricer_excludes(base: tuple[Path, dict[str, Any]]) -> None:
    """An SLO of 500 ms on task a and big's p95 of 900 ms: big is excluded there."""
    path, doc = base
    prices = path.parent / "prices.yaml"
    prices.write_text(PRICES + "    latency_ms: {p95: 900}\n")
    doc["inputs"][str(prices)] = _sha(prices)
    _rewrite(
        path,
        doc,
        WORKLOAD.replace(
            "    min_quality: 0.8\n", "    min_quality: 0.8\n    max_latency_p95_ms: 500\n"
        ),
    )
    lines = _lines(doc, path)
    assert lines[0] == f"{A0}.model: 'big' is not usable: p95 latency 900 ms is above the SLO"
    assert (
        "tasks[0].allocations[1].model: 'small' is not usable: no p95 latency known for a "
        "task with a latency SLO" in lines
    )


def test_a_cascade_step_without_the_cascades_mode(cascade: tuple[Path, dict[str, Any]]) -> None:
    """The cascade run in batch: small has a batch price, big none."""
    path, doc = cascade
    _rewrite(path, doc, CASCADE.replace("mode: standard}", "mode: batch}"))
    doc["tasks"][1]["allocations"][0]["mode"] = "batch"
    assert _lines(doc, path)[0] == ("tasks[1].allocations[0].model: step 'big' is not usable: "
                                    "model 'big' has no 'batch' price")  # fmt: skip


def test_a_task_without_quality_scores(base: tuple[Path, dict[str, Any]]) -> None:
    """costplan's loader refuses such a workload, the checker reads it: task b's row has no
    score (and no option is left for b's bound)."""
    path, doc = base
    _rewrite(path, doc, WORKLOAD.replace("  b: {small: 0.6, big: 0.95}\n", ""))
    assert _lines(doc, path)[0] == ("tasks[1].allocations[0].model: 'small' (batch) is not "
                                    "usable: no quality score for the task")  # fmt: skip
