"""Exact money: millions of queries at sub-micro-dollar prices total exactly.

Prices of 0.000001 USD per million tokens are one pico-dollar per token; a float
would drift long before 9,999,999 such queries add up. Plan files must carry the
exact decimal totals (checked against hand computation with Decimal) and every
report must print rows that add up to its printed total.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import yaml

from tests.trust.conftest import Runner

PRICES = """\
currency: USD
models:
  nano: {provider: acme, input_usd_per_mtok: 0.000001, output_usd_per_mtok: 0.000003}
  odd:
    provider: acme
    input_usd_per_mtok: 0.123457
    output_usd_per_mtok: 0.987651
    cache_read_usd_per_mtok: 0.000007
  third: {provider: acme, input_usd_per_mtok: 0.333333, output_usd_per_mtok: 0.666667}
  dear: {provider: acme, input_usd_per_mtok: 9999.999999, output_usd_per_mtok: 9999.999997}
"""
WORKLOAD = """\
name: exact-money
objective: min_cost
prices: prices.yaml
tasks:
  - {name: tiny, volume: 9999999, prompt: {tokens: 7}, output_tokens: 3}
  - name: odd
    volume: 1234567
    prompt: {tokens: 123}
    shared_prefix_tokens: 1000
    output_tokens: 45
  - {name: thirds, volume: 3333333, prompt: {tokens: 1}, output_tokens: 1}
  - {name: huge, volume: 99999999999, prompt: {tokens: 99999}, output_tokens: 77777}
quality:
  tiny: {nano: 0.5}
  odd: {odd: 0.9}
  thirds: {third: 0.7}
  huge: {dear: 0.99}
"""
M = Decimal(10**6)
# Hand computation: USD per query = sum(tokens x USD per million tokens) / 1e6.
EXPECTED = {
    "tiny": (7 * Decimal("0.000001") + 3 * Decimal("0.000003")) / M * 9999999,
    "odd": (123 * Decimal("0.123457") + 1000 * Decimal("0.000007") + 45 * Decimal("0.987651"))
    / M
    * 1234567,
    "thirds": (Decimal("0.333333") + Decimal("0.666667")) / M * 3333333,
    "huge": (99999 * Decimal("9999.999999") + 77777 * Decimal("9999.999997")) / M * 99999999999,
}


def _solve(run: Runner, tmp_path: Path, name: str) -> dict[str, object]:
    (tmp_path / "prices.yaml").write_text(PRICES)
    (tmp_path / "workload.yaml").write_text(WORKLOAD)
    out = tmp_path / name
    r = run("optimize", tmp_path / "workload.yaml", "--out", out, "-q")
    assert r.code == 0, r.err
    text = out.read_text()
    return json.loads(text) if name.endswith(".json") else yaml.safe_load(text)


def test_plan_totals_equal_hand_computation(run: Runner, tmp_path: Path) -> None:
    for name in ("plan.yaml", "plan.json"):
        plan = _solve(run, tmp_path, name)
        tasks = {t["name"]: t for t in plan["tasks"]}  # type: ignore[attr-defined]
        for task, expected in EXPECTED.items():
            assert Decimal(tasks[task]["cost_usd"]) == expected, task
            (a,) = tasks[task]["allocations"]
            assert Decimal(a["cost_usd"]) == expected
            assert Decimal(a["cost_per_query_usd"]) * a["count"] == expected
        total = sum(EXPECTED.values(), Decimal(0))
        assert Decimal(plan["totals"]["cost_usd"]) == total  # type: ignore[index]
        assert plan["totals"]["volume"] == 9999999 + 1234567 + 3333333 + 99999999999  # type: ignore[index]
        # The exact figures, spelled out: no float could hold these.
        assert tasks["tiny"]["cost_usd"] == "0.000159999984"
        assert tasks["thirds"]["cost_usd"] == "3.333333"
        assert str(total) == plan["totals"]["cost_usd"]  # type: ignore[index]


def _money_column(markdown: str, header: str) -> tuple[list[Decimal], Decimal]:
    """Rows and total of the last column of the markdown table under ``header``."""
    section = markdown.split(header, 1)[1]
    rows: list[Decimal] = []
    for line in section.splitlines()[1:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cell = line.rstrip(" |").rsplit("|", 1)[1]
        match = re.search(r"\\?\$([\d,]+\.\d\d)", cell)
        if match is None:
            continue
        value = Decimal(match.group(1).replace(",", ""))
        if "**" in line:
            return rows, value
        rows.append(value)
    raise AssertionError(f"no total row under {header!r}")


def test_report_rows_sum_exactly_to_the_total(run: Runner, tmp_path: Path) -> None:
    plan = _solve(run, tmp_path, "plan.yaml")
    r = run("report", tmp_path / "plan.yaml")
    assert r.code == 0, r.err
    rows, total = _money_column(r.out, "## Allocation")
    assert len(rows) == 4
    assert sum(rows, Decimal(0)) == total
    exact = Decimal(plan["totals"]["cost_usd"])  # type: ignore[index]
    assert total == exact.quantize(Decimal("0.01"))
    assert rows[0] == Decimal("0.00")  # $0.00016 of tiny queries
    # The terminal report too: its printed rows add up to its printed total.
    t = run("optimize", tmp_path / "workload.yaml")
    assert t.code == 0, t.err
    printed = [
        Decimal(m.replace(",", ""))
        for m in re.findall(r"\$([\d,]+\.\d\d) [│|]\s*$", t.out.split("against simple")[0], re.M)
    ]
    *row_cents, printed_total = printed
    assert len(row_cents) == 4
    assert sum(row_cents, Decimal(0)) == printed_total == total
