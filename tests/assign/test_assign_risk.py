"""Per-query plans carry a risk section: an exact total, and the Bernoulli spread of quality.

Oracle, by hand from tests/data/basic/prices.yaml (small: $0.15 / $0.6 per million input /
output tokens = 150,000 / 600,000 pico-dollars per token; big: $3 / $15). Three queries,
1,000 prompt and 100 output tokens each, min_cost with no floor: every query goes to small,
1,000 x 150,000 + 100 x 600,000 = 210,000,000 pusd each, 630,000,000 pusd = $0.00063 in all.
Predicted qualities on small 0.5, 0.8 and 1: sum p (1 - p) = 0.25 + 0.16 + 0 = 0.41, so the
row's quality_stderr is sqrt(0.41) / 3 = 0.213437...
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from costplan.planio import read_plan
from tests.assign.test_assign import PRICES
from tests.cli.conftest import Runner

TOTAL_PUSD = 3 * (1_000 * 150_000 + 100 * 600_000)  # 630,000,000


def _queries(tmp_path: Path, small: tuple[float, ...] = (0.5, 0.8, 1)) -> Path:
    lines = [
        json.dumps({"id": f"q{g}", "task": "t", "prompt_tokens": 1000, "output_tokens": 100,
                    "quality": {"small": p, "big": 1}})
        for g, p in enumerate(small)
    ]  # fmt: skip
    path = tmp_path / "queries.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def _assign(run: Runner, tmp_path: Path, *extra: str) -> tuple[Path, Path]:
    q, plan = _queries(tmp_path), tmp_path / "plan.yaml"
    r = run("assign", q, "--prices", PRICES, "--objective", "min_cost", "--plan", plan,
            "-o", tmp_path / "rows.csv", *extra)  # fmt: skip
    assert r.code == 0, r.err
    return q, plan


def test_the_total_is_exact_and_quality_has_its_bernoulli_spread(
    run: Runner, tmp_path: Path
) -> None:
    assert TOTAL_PUSD == 630_000_000
    _, path = _assign(run, tmp_path, "--budget", "0.001")
    plan = read_plan(path)
    r = plan.risk
    assert r is not None
    assert (r.method, r.mean_pusd, r.sd_pusd) == ("exact", TOTAL_PUSD, 0)
    assert r.quantiles_pusd == (TOTAL_PUSD,) * 3
    assert r.p_within_budget == 1  # $0.00063 <= $0.001
    (a,) = plan.tasks[0].allocations
    assert a.model == "small"
    assert a.quality_se == pytest.approx(math.sqrt(0.41) / 3, rel=1e-12)
    doc = yaml.safe_load(path.read_text())
    assert doc["risk"]["p50_usd"] == doc["risk"]["p99_usd"] == "0.00063"


def test_zero_one_outcomes_claim_no_interval(run: Runner, tmp_path: Path) -> None:
    q, plan = tmp_path / "q.jsonl", tmp_path / "plan.yaml"
    q.write_text(_queries(tmp_path, (0, 1, 1)).read_text())
    r = run("assign", q, "--prices", PRICES, "--objective", "min_cost", "--plan", plan,
            "-o", tmp_path / "rows.csv")  # fmt: skip
    assert r.code == 0, r.err
    (a,) = read_plan(plan).tasks[0].allocations
    assert a.quality_se is None  # 0/1 from an eval: no spread to state
    assert "95% interval" not in r.out


def test_reports_print_the_exact_total(run: Runner, tmp_path: Path) -> None:
    _, plan = _assign(run, tmp_path, "--budget", "0.001")
    r = run("report", plan)  # markdown
    assert r.code == 0, r.err
    line = next(x for x in r.out.splitlines() if x.startswith("- period cost"))
    # quantiles rounded up to the cent: $0.00063 -> $0.01 (markdown escapes $ and <)
    assert line.startswith("- period cost P50 \\$0.01, P95 \\$0.01, P99 \\$0.01")
    assert "P(cost \\<= budget) = 100.0%" in line
    assert "exact: each query of the file priced from its own tokens" in line


@pytest.mark.parametrize(
    ("key", "value", "expect"),
    [
        ("method", "normal", "risk.method: "),
        ("p95_usd", "0.0005", "risk.p95_usd: '0.0005' USD, its queries cost 0.00063"),
        ("sd_usd", "0.0001", "risk.sd_usd: '0.0001' USD, an exact total has none"),
        ("p_within_budget", "0.5", "risk.p_within_budget: '0.5', the exact total gives 1"),
    ],
)
def test_the_checker_refuses_a_tampered_risk_section(
    run: Runner, tmp_path: Path, key: str, value: str, expect: str
) -> None:
    q, path = _assign(run, tmp_path, "--budget", "0.001")
    doc = yaml.safe_load(path.read_text())
    doc["risk"][key] = value
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    r = run("verify", path, "--queries", q, "--assignments", tmp_path / "rows.csv",
            "--prices", PRICES)
    assert r.code == 1, r.out
    assert any(line.startswith(expect) for line in r.out.splitlines()), r.out


def test_the_checker_refuses_a_tampered_quality_stderr(run: Runner, tmp_path: Path) -> None:
    q, path = _assign(run, tmp_path)
    doc = yaml.safe_load(path.read_text())
    doc["tasks"][0]["allocations"][0]["quality_stderr"] = 0.01
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    r = run("verify", path, "--queries", q, "--assignments", tmp_path / "rows.csv",
            "--prices", PRICES)
    assert r.code == 1, r.out
    assert any(
        line.startswith("tasks[0].allocations[0].quality_stderr: 0.01, its queries give 0.2134")
        for line in r.out.splitlines()
    ), r.out
