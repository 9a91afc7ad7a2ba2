"""Models within noise, the cheapest tied plan, stability over redraws (hand-derived)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from statistics import NormalDist

import pytest

from costplan.api import load_inputs, optimize
from costplan.planio import read_plan, write_plan
from costplan.report.markdown import render_markdown
from costplan.risk.noise import noise_section, stability, within_noise, z_of
from tests.cli.conftest import Runner as Run
from tests.risk.conftest import Make

# m $1, m2 $2, m3 $3 per million input tokens; 10-token prompts: 10, 20, 30 micro-dollars.
PRICES3 = """currency: USD
as_of: 2026-01-01
models:
  m: {provider: openai, input_usd_per_mtok: 1, output_usd_per_mtok: 0, tokenizer: o200k_base}
  m2: {provider: openai, input_usd_per_mtok: 2, output_usd_per_mtok: 0, tokenizer: o200k_base}
  m3: {provider: openai, input_usd_per_mtok: 3, output_usd_per_mtok: 0, tokenizer: o200k_base}
"""
MICRO = 10**6  # pico-dollars per micro-dollar


def _three(tmp_path: Path, extra: str = "", quality_m: str = "{score: 0.90, n: 100}") -> Path:
    (tmp_path / "prices.yaml").write_text(PRICES3)
    path = tmp_path / "workload.yaml"
    path.write_text(
        "name: w\nperiod: month\nobjective: max_quality\nprices: prices.yaml\nbudget_usd: 1\n"
        f"{extra}tasks:\n  - {{name: t, volume: 1000, prompt: {{tokens: 10}}, output_tokens: 0}}\n"
        f"quality:\n  t:\n    m: {quality_m}\n    m2: {{score: 0.95, stderr: 0.01}}\n"
        "    m3: {score: 0.94, stderr: 0.01}\n"
    )
    return path


def test_z_is_the_two_sided_normal_quantile() -> None:
    # Phi^-1(0.975) = 1.959964; Phi^-1(0.90) = 1.281552 (tables).
    assert z_of(Decimal("0.95")) == pytest.approx(1.959964, abs=1e-6)
    assert z_of(Decimal("0.80")) == pytest.approx(1.281552, abs=1e-6)


def test_within_noise_and_cheapest_tied(make: Make) -> None:
    # m (10 micro-dollars) 0.90 n 100: se = sqrt(.9 x .1 / 100) = 0.03; m2 (20) 0.95
    # stderr 0.01. Difference 0.05 <= 1.96 sqrt(0.03^2 + 0.01^2) = 0.0620: m is within
    # noise, and the cheapest tied option is m: 1000 x 10 micro-dollars, against 1000 x 20
    # for the task on its best. With n = 400 (se 0.015) the bound is
    # 1.96 x sqrt(0.015^2 + 0.01^2) = 0.0353 < 0.05: not within noise.
    path = make(
        "  - {name: t, volume: 1000, prompt: {tokens: 10}, output_tokens: 0}\n",
        "  t:\n    m: {score: 0.90, n: 100}\n    m2: {score: 0.95, stderr: 0.01}\n",
        extra="budget_usd: 1\n",
    )
    (row,) = within_noise(load_inputs(path))
    assert (row.best, row.tied, row.cheapest_tied) == ("m2", ("m", "m2"), "m")
    assert row.cheapest_tied_cost_pusd == 1000 * 10 * MICRO
    assert row.best_cost_pusd == 1000 * 20 * MICRO
    tight = make(
        "  - {name: t, volume: 1000, prompt: {tokens: 10}, output_tokens: 0}\n",
        "  t:\n    m: {score: 0.90, n: 400}\n    m2: {score: 0.95, stderr: 0.01}\n",
        extra="budget_usd: 1\n",
    )
    (row,) = within_noise(load_inputs(tight))
    assert row.tied == ("m2",)


def test_a_lower_confidence_ties_fewer_models(tmp_path: Path) -> None:
    # At c = 0.80, z = 1.2816: m's bound is 1.2816 x 0.031623 = 0.0405 < 0.05 (not tied);
    # m3's is 1.2816 x sqrt(0.01^2 + 0.01^2) = 0.0181 >= 0.01 (tied).
    table = load_inputs(_three(tmp_path))
    section = noise_section(table, Decimal("0.80"))
    (row,) = section.rows
    assert row.tied == ("m2", "m3")
    assert row.cheapest_tied == "m2"


def test_the_tied_plan_is_solved_exactly_with_the_side_constraints(tmp_path: Path) -> None:
    # All three models are tied at 95% (m: 0.05 <= 0.0620; m3: 0.01 <= 0.0277). m may serve
    # only 600 requests, so the cheapest tied plan is 600 on m (10 micro-dollars each) and
    # the other 400 on the next cheapest tied model, m2 (20): 6,000 + 8,000 = 14,000
    # micro-dollars, proven optimal. The workload's $1 budget plays no part in it.
    path = _three(tmp_path, extra="constraints:\n  capacity:\n    m: {requests: 600}\n")
    table = load_inputs(path)
    section = noise_section(table)
    (row,) = section.rows
    assert row.tied == ("m", "m2", "m3")
    assert section.tied_plan.status == "optimal"
    assert section.tied_plan.cost_pusd == 14_000 * MICRO
    assert section.tied_plan.main_choices == {"t": "m"}
    assert section.best_cost_pusd == 1000 * 20 * MICRO


def test_an_unreachable_floor_leaves_no_tied_plan(tmp_path: Path) -> None:
    # Floor 0.945: of the tied models only m2 (0.95) meets it; m2 may serve 10 requests of
    # 1000, and no mix of m (0.90) and m3 (0.94) lifts the task's mean to 0.945.
    path = _three(tmp_path, extra="constraints:\n  capacity:\n    m2: {requests: 10}\n")
    text = path.read_text().replace("output_tokens: 0}", "output_tokens: 0, min_quality: 0.945}")
    path.write_text(text)
    section = noise_section(load_inputs(path))
    assert section.rows[0].cheapest_tied == "m2"  # the per-task view ignores capacity
    assert section.tied_plan.status == "infeasible"
    assert section.tied_plan.cost_pusd is None


def test_sections_survive_the_plan_file_and_reach_every_report(tmp_path: Path) -> None:
    table = load_inputs(_three(tmp_path))
    plan = optimize(table)
    import dataclasses

    plan = dataclasses.replace(
        plan, noise=noise_section(table), stability=stability(table, plan, k=3)
    )
    for name in ("plan.yaml", "plan.json"):
        write_plan(plan, tmp_path / name)
        again = read_plan(tmp_path / name)
        assert again.noise == plan.noise
        assert again.stability == plan.stability
    md = render_markdown(plan)
    assert "## Within noise" in md
    # the tied plan at 95%: every model tied, all 1000 on m at 10 micro-dollars = $0.01
    assert "cheapest tied plan: \\$0.01000 (optimal)" in md  # markdown escapes $
    assert "## Stability" in md


def test_stability_is_certain_without_errors_and_seeded_with_them(make: Make) -> None:
    # No stated errors: every redraw is the workload itself, so each task keeps its
    # choice in all k redraws.
    exact = make(
        "  - {name: t, volume: 100, prompt: {tokens: 10}, output_tokens: 0}\n",
        "  t: {m: 0.90, m2: 0.95}\n",
        extra="budget_usd: 1\n",
    )
    table = load_inputs(exact)
    kept = stability(table, optimize(table, objective="max_quality"), k=4)
    assert (kept.redraws, dict(kept.kept), dict(kept.main_choices)) == (4, {"t": 4}, {"t": "m2"})


def test_stability_share_matches_the_normal_probability(make: Make) -> None:
    # m2 (0.51) vs m (0.50), each stderr 0.01, budget for either: a redraw keeps m2 when
    # 0.51 + 0.01 Z2 > 0.50 + 0.01 Z1, i.e. with probability Phi(0.01 / (0.01 sqrt 2)) =
    # Phi(0.7071) = 0.7602. Over 100 redraws the kept count is binomial (sd 4.27):
    # it lies within 4 sd of 76.0, [59, 93], unless the redraws are not what they claim.
    noisy = make(
        "  - {name: t, volume: 100, prompt: {tokens: 10}, output_tokens: 0}\n",
        "  t:\n    m: {score: 0.50, stderr: 0.01}\n    m2: {score: 0.51, stderr: 0.01}\n",
        extra="budget_usd: 1\n",
    )
    table = load_inputs(noisy)
    plan = optimize(table, objective="max_quality")
    p = NormalDist().cdf(0.01 / (0.01 * 2**0.5))
    assert p == pytest.approx(0.7602, abs=1e-4)
    first = stability(table, plan, k=100, seed=3)
    assert 59 <= first.kept["t"] <= 93
    assert first == stability(table, plan, k=100, seed=3)  # seeded: the same redraws


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--noise", "--noise-confidence", "1"], "--noise-confidence must be between 0 and 1"),
        (["--stability", "-1"], "--stability must be between 0 and 10,000"),
        (["--stability", "2", "--seed", "-5"], "--seed must be >= 0"),
    ],
)
def test_bad_evidence_options_are_one_line_errors(
    tmp_path: Path, run: Run, args: list[str], message: str
) -> None:
    path = _three(tmp_path)
    r = run("optimize", str(path), *args)
    assert r.code == 2
    assert message in r.err
    assert "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1


def test_cli_writes_both_sections_and_prints_them(tmp_path: Path, run: Run) -> None:
    path = _three(tmp_path)
    out = tmp_path / "plan.yaml"
    r = run("optimize", str(path), "--noise", "--stability", "3", "-o", str(out))
    assert r.code == 0, r.err
    assert "within noise" in r.out.lower()
    assert "stability" in r.out.lower()
    plan = read_plan(out)
    assert plan.noise is not None
    assert plan.noise.tied_plan.cost_pusd == 1000 * 10 * MICRO
    assert plan.stability is not None
    assert plan.stability.redraws == 3



def test_json_output_carries_both_sections_and_matches_its_schema(
    tmp_path: Path, run: Run
) -> None:
    import json

    import jsonschema

    path = _three(tmp_path, extra="constraints:\n  capacity:\n    m: {requests: 600}\n")
    r = run("optimize", str(path), "--noise", "--stability", "2", "--format", "json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    schema = json.loads(run("schema", "output-optimize").out)
    jsonschema.Draft202012Validator(schema).validate(doc)
    # the capacity case above: 600 x 10 + 400 x 20 micro-dollars = $0.014
    assert doc["noise"]["tied_plan"] == {
        "status": "optimal", "cost_usd": "0.014", "gap": "0", "main_choices": {"t": "m"},
    }  # fmt: skip
    assert doc["noise"]["tasks"][0]["within_noise"] == ["m", "m2", "m3"]
    assert doc["stability"]["redraws"] == 2
    tampered = dict(doc, noise=dict(doc["noise"], z="1.96"))  # z must be a number
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(schema).validate(tampered)


def test_cascades_are_options_of_the_tied_plan_too() -> None:
    # examples/cascade: the cascade mini-then-4.1 states quality 0.92, gpt-4.1's score
    # (tests/test_cascade.py: 500,000 x $0.002604 = $1,302 against 500,000 x $0.0062 =
    # $3,100 all on gpt-4.1). Both are within noise of the best (equal scores), so the
    # cheapest tied plan is the cascade's $1,302, and the checker, told the restriction,
    # re-derives it (optimize() verifies every plan before returning it).
    example = Path(__file__).parents[2] / "examples" / "cascade" / "workload.yaml"
    section = noise_section(load_inputs(example))
    (row,) = section.rows
    assert "mini-then-4.1" in row.tied
    assert "gpt-4.1" in row.tied
    assert section.tied_plan.cost_pusd == 1_302 * 10**12
    assert section.best_cost_pusd == 1_302 * 10**12  # the best option is the cascade
