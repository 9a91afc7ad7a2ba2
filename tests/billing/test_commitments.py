"""Commitments (README "Commitments"): fixed fees with a capacity, planned by enumerating
every on/off subset. Expected figures are derived by hand in each test; a brute force over
every integer allocation of small instances is the oracle for the enumeration."""

from __future__ import annotations

import itertools
import random
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from costplan.api import load_inputs, optimize
from costplan.plan import plan_to_dict
from costplan.verify import Sources, check_document
from tests.cli.conftest import Runner

PRICES = """\
currency: USD
models:
  big:
    provider: openai
    input_usd_per_mtok: 2
    output_usd_per_mtok: 8
  small:
    provider: anthropic
    input_usd_per_mtok: 1
    output_usd_per_mtok: 1
"""

# big: 1000 x $2/M + 250 x $8/M = $0.002 + $0.002 = $0.004 per query (1,250 tokens).
# small: 1000 x $1/M + 250 x $1/M = $0.00125 per query.
TWO = """\
name: commit
objective: min_cost
prices: prices.yaml
tasks:
  - name: t
    volume: 1000000
    prompt: {tokens: 1000}
    output_tokens: 250
    min_quality: 0.9
quality:
  t: {big: 0.9, small: 0.8}
commitments:
  - name: ptu
    model: big
    fee_usd: 1500
    capacity: {requests: 500000}
  - name: cud
    model: big
    fee_usd: 500
    capacity: {tokens: 625000000}
    price_factor: 0.5
"""

PUSD = 10**12


def _files(tmp: Path, workload: str, prices: str = PRICES) -> Path:
    (tmp / "prices.yaml").write_text(prices)
    path = tmp / "w.yaml"
    path.write_text(workload)
    return path


def _sources(path: Path) -> Sources:
    return Sources(workload=path, prices=(path.parent / "prices.yaml",))


def test_min_cost_takes_both_commitments_figures_by_hand(tmp_path: Path) -> None:
    # The floor 0.9 forces every query onto big ($4,000 on demand).
    #   none:      1,000,000 x $0.004                                   = $4,000
    #   ptu alone: $1,500 + 500,000 free + 500,000 x $0.004             = $3,500
    #   cud alone: $500 + 500,000 x $0.002 (625M tokens / 1,250 = 500k) + 500,000 x $0.004
    #              = $500 + $1,000 + $2,000                             = $3,500
    #   both:      $2,000 fees + 500,000 free + 500,000 x $0.002        = $3,000  <- best
    plan = optimize(load_inputs(_files(tmp_path, TWO)))
    assert plan.cost_pusd == 3_000 * PUSD
    assert plan.fees_pusd == 2_000 * PUSD
    rows = {a.commitment: a.count for a in plan.tasks[0].allocations}
    assert rows == {"ptu": 500_000, "cud": 500_000}
    per = {a.commitment: a.cost_per_query_pusd for a in plan.tasks[0].allocations}
    assert per == {"ptu": 0, "cud": 2_000_000_000}  # $0.004 x 0.5 = $0.002
    uses = {c.name: c for c in plan.commitments}
    assert uses["ptu"].taken
    assert uses["cud"].taken
    assert uses["ptu"].used == 500_000
    assert uses["cud"].used == 625_000_000
    # break-even: ptu $1,500 / $0.004 per request = 375,000 requests;
    # cud $500 / (0.5 x $0.004 / 1,250 tokens) = $500 / $0.0000016 = 312,500,000 tokens
    assert uses["ptu"].break_even == 375_000
    assert uses["cud"].break_even == 312_500_000
    # best with each: $3,000; best without ptu (cud alone) or without cud: $3,500
    assert uses["ptu"].with_value == 3_000 * PUSD
    assert uses["ptu"].without_value == 3_500 * PUSD
    # The checker re-prices fees and capacities but does not re-derive the enumeration's
    # bounds: the plan is feasible with the enumeration's bound $3,000, gap 0.
    assert plan.status == "feasible"
    assert plan.bound == 3_000 * PUSD
    assert plan.gap == 0
    assert plan.risk is not None
    assert plan.risk.mean_pusd == 3_000 * PUSD
    doc = plan_to_dict(plan)
    assert doc["totals"]["cost_usd"] == "3000"
    assert check_document(doc, _sources(tmp_path / "w.yaml")) == []


def test_a_commitment_that_does_not_pay_is_left_off(tmp_path: Path) -> None:
    # ptu at $2,500: $2,500 + 500,000 x $0.004 = $4,500 > $4,000 on demand; cud at $1,500:
    # $1,500 + $1,000 + $2,000 = $4,500; both: $4,000 fees + $1,000 = $5,000. Best: none.
    text = TWO.replace("fee_usd: 1500", "fee_usd: 2500").replace(
        "fee_usd: 500\n", "fee_usd: 1500\n"
    )
    plan = optimize(load_inputs(_files(tmp_path, text)))
    assert plan.cost_pusd == 4_000 * PUSD
    assert plan.fees_pusd == 0
    assert [c.taken for c in plan.commitments] == [False, False]
    assert all(a.commitment == "" for a in plan.tasks[0].allocations)
    # ptu's break-even: $2,500 / $0.004 = 625,000 requests (above its 500,000 capacity)
    assert plan.commitments[0].break_even == 625_000
    assert plan.commitments[0].with_value == 4_500 * PUSD
    assert plan.commitments[0].without_value == 4_000 * PUSD


def test_max_quality_fee_comes_out_of_the_budget(tmp_path: Path) -> None:
    # Budget $3,000, no floor. On demand: x on big, the rest on small:
    #   0.004 x + 0.00125 (1M - x) <= 3000  ->  x <= 1750 / 0.00275 = 636,363
    #   quality 800,000 + 0.1 x 636,363 = 863,636.3
    # With ptu ($1,500, 500,000 requests free on big), $1,500 left for the other 500,000:
    #   0.004 y + 0.00125 (500,000 - y) <= 1500  ->  y <= 875 / 0.00275 = 318,181
    #   big 818,181, small 181,819: quality 736,362.9 + 145,455.2 = 881,818.1  <- best
    #   cost 1,500 + 318,181 x 0.004 + 181,819 x 0.00125 = 1,500 + 1,272.724 + 227.27375
    text = TWO.replace("objective: min_cost", "objective: max_quality\nbudget_usd: 3000").replace(
        "    min_quality: 0.9\n", ""
    )
    text = text[: text.index("  - name: cud")]
    plan = optimize(load_inputs(_files(tmp_path, text)))
    counts = {(a.model, a.commitment): a.count for a in plan.tasks[0].allocations}
    assert counts == {("big", "ptu"): 500_000, ("big", ""): 318_181, ("small", ""): 181_819}
    assert plan.quality_micro_total == 881_818_100_000
    assert plan.cost_pusd == 2_999_997_750_000_000
    assert check_document(plan_to_dict(plan), _sources(tmp_path / "w.yaml")) == []


def test_a_commitment_covers_the_variants_of_its_model(tmp_path: Path) -> None:
    # big@high is big's sheet entry: ptu covers it. 500,000 free + 500,000 x $0.004 + $1,500.
    text = TWO.replace("{big: 0.9, small: 0.8}", "{big@high: 0.9, small: 0.8}")
    text = text[: text.index("  - name: cud")]
    plan = optimize(load_inputs(_files(tmp_path, text)))
    rows = {(a.model, a.commitment): a.count for a in plan.tasks[0].allocations}
    assert rows == {("big@high", "ptu"): 500_000, ("big@high", ""): 500_000}
    assert plan.cost_pusd == 3_500 * PUSD


def _tamper(doc: dict[str, Any], path: Path, edit: Any) -> list[str]:
    import copy

    bad = copy.deepcopy(doc)
    edit(bad)
    return [str(v) for v in check_document(bad, _sources(path))]


def test_the_checker_reprices_fees_and_capacity(tmp_path: Path) -> None:
    path = _files(tmp_path, TWO)
    doc = plan_to_dict(optimize(load_inputs(path)))
    ptu = next(i for i, c in enumerate(doc["commitments"]) if c["name"] == "ptu")
    rows = doc["tasks"][0]["allocations"]
    cud_row = next(i for i, a in enumerate(rows) if a.get("commitment") == "cud")

    def untaken(d: dict[str, Any]) -> None:
        d["commitments"][ptu]["taken"] = False

    assert any("not taken" in v for v in _tamper(doc, path, untaken))

    def cheaper_fee(d: dict[str, Any]) -> None:
        d["commitments"][ptu]["fee_usd"] = "1000"

    assert any("fee_usd" in v for v in _tamper(doc, path, cheaper_fee))

    def free_cud(d: dict[str, Any]) -> None:  # committed at 50%, not 0%
        d["tasks"][0]["allocations"][cud_row]["cost_per_query_usd"] = "0"

    assert any("cost_per_query_usd" in v for v in _tamper(doc, path, free_cud))

    def claim_optimal(d: dict[str, Any]) -> None:
        d["status"] = "optimal"

    assert any("not re-derived" in v for v in _tamper(doc, path, claim_optimal))

    def no_fees(d: dict[str, Any]) -> None:
        d["totals"]["cost_usd"] = "1000"

    assert any("totals" in v for v in _tamper(doc, path, no_fees))


def test_the_checker_refuses_rows_beyond_capacity(tmp_path: Path) -> None:
    # 600,000 queries under ptu (capacity 500,000 requests): a violation, whatever else.
    path = _files(tmp_path, TWO)
    doc = plan_to_dict(optimize(load_inputs(path)))

    def overfill(d: dict[str, Any]) -> None:
        for a in d["tasks"][0]["allocations"]:
            a["count"] = 600_000 if a.get("commitment") == "ptu" else 400_000

    assert any("above the capacity" in v for v in _tamper(doc, path, overfill))


def test_more_than_twelve_commitments_is_refused_with_a_location(
    tmp_path: Path, run: Runner
) -> None:
    extra = "".join(
        f"  - {{name: c{i}, model: big, fee_usd: 1, capacity: {{requests: 1}}}}\n"
        for i in range(11)
    )
    path = _files(tmp_path, TWO + extra)  # 2 + 11 = 13
    before = path.read_text()
    r = run("optimize", str(path))
    assert r.code == 2
    assert "13 commitments: at most 12" in r.err
    assert "commitments" in r.err
    assert "Traceback" not in r.err
    assert path.read_text() == before


def test_a_commitment_on_an_unpriced_model_is_a_located_error(tmp_path: Path, run: Runner) -> None:
    path = _files(tmp_path, TWO.replace("    model: big\n    fee_usd: 500", "    model: bgi\n"
                                        "    fee_usd: 500"))  # fmt: skip
    r = run("optimize", str(path))
    assert r.code == 2
    assert "model 'bgi' not in the price sheet" in r.err
    assert "commitments[1].model" in r.err


# ---------------------------------------------------------------- brute-force oracle

ORACLE_PRICES = """\
currency: USD
models:
  a: {provider: openai, input_usd_per_mtok: 3, output_usd_per_mtok: 5}
  b: {provider: anthropic, input_usd_per_mtok: 1, output_usd_per_mtok: 2}
"""


def _brute(vols: list[int], prompts: list[int], outs: list[int], qual: dict[str, list[str]],
           floors: list[str | None], commits: list[dict[str, Any]]) -> int:  # fmt: skip
    """Least total cost in pusd over every integer allocation of every query to
    (model, on demand or one commitment), fees of used commitments added; -1: none."""
    rate = {"a": (3, 5), "b": (1, 2)}  # USD per Mtok = 10**6 pusd per token

    def cost(m: str, t: int) -> int:
        i, o = rate[m]
        return (prompts[t] * i + outs[t] * o) * 10**6

    choices = []  # per task: list of (model, commitment index or -1)
    for _ in vols:
        opts = [(m, -1) for m in ("a", "b")]
        opts += [(c["model"], j) for j, c in enumerate(commits)]
        choices.append(opts)
    best = -1
    per_task = []
    for t, v in enumerate(vols):
        k = len(choices[t])
        splits = [s for s in itertools.product(range(v + 1), repeat=k) if sum(s) == v]
        per_task.append(splits)
    for combo in itertools.product(*per_task):
        total = 0
        used = [0] * len(commits)
        ok = True
        for t, split in enumerate(combo):
            q = Fraction(0)
            for (m, j), n in zip(choices[t], split, strict=True):
                if not n:
                    continue
                q += n * Fraction(qual[m][t])
                if j < 0:
                    total += n * cost(m, t)
                else:
                    f = Fraction(commits[j]["factor"])
                    total += n * -((-cost(m, t) * f.numerator) // f.denominator)
                    per = 1 if commits[j]["unit"] == "requests" else prompts[t] + outs[t]
                    used[j] += n * per
            if floors[t] is not None and q < Fraction(floors[t]) * vols[t]:
                ok = False
        if not ok or any(u > c["capacity"] for u, c in zip(used, commits, strict=True)):
            continue
        total += sum(c["fee"] for u, c in zip(used, commits, strict=True) if u)
        if best < 0 or total < best:
            best = total
    return best


@pytest.mark.parametrize("seed", range(12))
def test_enumeration_matches_a_brute_force_over_every_allocation(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    n_tasks = rng.choice([1, 2])
    vols = [rng.randint(1, 3) for _ in range(n_tasks)]
    prompts = [rng.choice([100, 1000, 2000]) for _ in range(n_tasks)]
    outs = [rng.choice([10, 300]) for _ in range(n_tasks)]
    qual = {m: [rng.choice(["0.6", "0.8", "0.9"]) for _ in range(n_tasks)] for m in "ab"}
    floors = [rng.choice([None, "0.7", "0.85"]) for _ in range(n_tasks)]
    commits = []
    for j in range(rng.choice([1, 2])):
        unit = rng.choice(["requests", "tokens"])
        commits.append({
            "name": f"c{j}", "model": rng.choice("ab"), "unit": unit,
            "capacity": rng.randint(1, 3) * (1 if unit == "requests" else 1100),
            "fee": rng.choice([1, 2, 5]) * 10**8, "factor": rng.choice(["0", "0.3", "0.5"]),
        })  # fmt: skip
    want = _brute(vols, prompts, outs, qual, floors, commits)
    tasks = "".join(
        f"  - name: t{t}\n    volume: {vols[t]}\n    prompt: {{tokens: {prompts[t]}}}\n"
        f"    output_tokens: {outs[t]}\n" + (f"    min_quality: {floors[t]}\n" if floors[t] else "")
        for t in range(n_tasks)
    )
    quality = "".join(f"  t{t}: {{a: {qual['a'][t]}, b: {qual['b'][t]}}}\n"
                      for t in range(n_tasks))  # fmt: skip
    cs = "".join(
        f"  - {{name: {c['name']}, model: {c['model']}, fee_usd: {Decimal(c['fee']).scaleb(-12):f},"
        f" capacity: {{{c['unit']}: {c['capacity']}}}, price_factor: {c['factor']}}}\n"
        for c in commits
    )
    text = (f"name: oracle\nobjective: min_cost\nprices: prices.yaml\ntasks:\n{tasks}"
            f"quality:\n{quality}commitments:\n{cs}")  # fmt: skip
    path = _files(tmp_path, text, ORACLE_PRICES)
    if want < 0:
        from costplan.errors import InfeasibleError

        with pytest.raises(InfeasibleError):
            optimize(load_inputs(path))
        return
    plan = optimize(load_inputs(path))
    assert plan.cost_pusd == want
    assert plan.bound is not None
    assert plan.bound <= want
