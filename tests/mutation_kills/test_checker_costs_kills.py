"""The checker's option costs (costplan.verify.costs): latency SLOs, per-model profiles, two
samples, and measured costs with a spread, value by value.

Written to kill mutants the suite let survive. Figures by hand from the module docstring:
per request ``u x input + P x read + (output + reasoning) x output + fee``; over the samples
the mean rounded up, ``sd = ceil(sqrt(mean(c^2) - mean(c)^2))``, the p95 prompt at rank
``ceil(0.95 (n - 1))``; a measured cost ``M`` scales a mode's cost, p95 and sd by
``M / cost_standard`` and ``new / cost_mode`` (rounded up).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from costplan.verify.costs import Pricer, min_cacheable
from costplan.verify.prices import Model, load_sheets
from costplan.verify.tasks import read_workload

M6 = 10**6  # pico-dollars per token for 1 USD per million tokens

SHEET = """\
models:
  fast:
    provider: openai
    input_usd_per_mtok: 1
    output_usd_per_mtok: 2
    latency_ms: {p50: 100, p95: 900}
    batch: {discount: 0.5, latency_ms: {p50: 1000, p95: 5000}}
  short:
    provider: openai
    input_usd_per_mtok: 1
    output_usd_per_mtok: 2
    max_output_tokens: 5
"""
WORKLOAD = """\
name: w
tasks:
  - name: slo
    volume: 1
    latency: batch
    prompt: {tokens: 1000}
    output_tokens: 100
    max_latency_p95_ms: 2000
    profiles:
      fast: {latency_ms: {batch: {p50: 10, p95: 1500}}}
  - name: tight
    volume: 1
    latency: batch
    prompt: {tokens: 1000}
    output_tokens: 100
    max_latency_p95_ms: 899
  - name: prof
    volume: 1
    prompt: {tokens: 1000}
    output_tokens: 100
    profiles:
      fast: {output_tokens: 10, reasoning_tokens: 5}
  - {name: two, volume: 1, prompt: {tokens: 1}, output_tokens: 10}
  - {name: meas, volume: 1, latency: batch, prompt: {tokens: 1}, output_tokens: 10}
measured_cost_usd:
  meas: {fast: 0.00044, short: 0.001}
"""
#: prompt samples of the tasks measured from texts (the others: their fixed count)
COUNTS = {"two": [300, 100], "meas": [100, 300]}


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    (tmp_path / "prices.yaml").write_text(SHEET)
    (tmp_path / "workload.yaml").write_text(WORKLOAD)
    sheet = load_sheets([tmp_path / "prices.yaml"])
    w = read_workload(tmp_path / "workload.yaml")
    p = Pricer(w, sheet)
    monkeypatch.setattr(
        p, "prompt_counts", lambda task, _model: list(COUNTS.get(task.name, [task.prompt_tokens]))
    )
    return p, {t.name: t for t in w.tasks}, sheet.models


def test_an_anthropic_model_named_like_gemini_pro_keeps_anthropic_s_minimum() -> None:
    # README defaults, first match wins: provider anthropic -> 1,024 before gemini-*pro* 4,096
    m = Model("gemini-2.5-pro", "anthropic", (), None, None, None, None, None, None)
    assert min_cacheable(m) == 1024
    m = Model("gemini-2.5-pro", "Anthropic", (), None, None, None, None, None, None)
    assert min_cacheable(m) == 1024


def test_the_latency_slo_by_mode_and_profile(setup) -> None:  # type: ignore[no-untyped-def]
    p, t, m = setup
    fast = m["fast"]
    # SLO 2,000 ms: standard p95 900 fits; batch's sheet p95 5,000 does not, but the task's
    # profile gives batch 1,500, which fits
    assert p.token_cost(t["slo"], fast, "standard").excluded is None
    assert p.token_cost(t["slo"], fast, "batch").excluded is None
    # SLO 899 ms: 900 is above it; batch has no profile here: 5,000
    assert p.token_cost(t["tight"], fast, "standard").excluded == (
        "p95 latency 900 ms is above the SLO"
    )
    assert p.token_cost(t["tight"], fast, "batch").excluded == (
        "p95 latency 5,000 ms is above the SLO"
    )
    # no SLO: no latency needed
    assert p.token_cost(t["two"], fast, "batch").excluded is None


def test_a_model_profile_changes_output_and_reasoning(setup) -> None:  # type: ignore[no-untyped-def]
    p, t, m = setup
    c = p.token_cost(t["prof"], m["fast"], "standard")
    # profile: output 10, reasoning 5 -> 1,000 x 1e6 + 15 x 2e6 = 1,030e6 (the task's own
    # 100 output tokens would give 1,200e6); tokens per query 1,000 + 10 + 5 = 1,015
    assert (c.cost, c.cost_p95, c.tokens_per_query) == (1030 * M6, 1030 * M6, 1015)
    c = p.token_cost(t["prof"], m["short"], "standard")  # no profile: the task's tokens
    assert (c.cost, c.excluded) == (1200 * M6, "p95 output of 100 tokens exceeds max output")


def test_two_samples(setup) -> None:  # type: ignore[no-untyped-def]
    p, t, m = setup
    c = p.token_cost(t["two"], m["fast"], "standard")
    # 300 + 10 x 2 = 320e6 and 100 + 20 = 120e6: mean 220e6, sd 100e6; the p95 prompt is at
    # rank ceil(0.95 x 1) = 1 of [100, 300]: 300 -> 320e6 (output p95 = mean: 10)
    assert (c.cost, c.sd, c.cost_p95, c.samples) == (220 * M6, 100 * M6, 320 * M6, 2)
    assert c.prompt_mean == 200
    assert c.tokens_per_query == 210


def test_a_measured_cost_scales_p95_and_spread(setup) -> None:  # type: ignore[no-untyped-def]
    p, t, m = setup
    fast = m["fast"]
    # tokens, standard: 120e6 and 320e6 (prompts 100, 300): mean 220e6, sd 100e6, p95 320e6;
    # measured $0.00044 = 440e6: x 2. p95 ceil(320e6 x 440e6 / 220e6) = 640e6, sd 200e6.
    c = p.option(t["meas"], fast, "standard")
    assert (c.cost, c.cost_p95, c.sd, c.samples, c.source) == (
        440 * M6, 640 * M6, 200 * M6, 2, "measured"
    )  # fmt: skip
    assert c.excluded is None
    assert c.prompt_mean == 200
    # batch (rates halved): 60e6 and 160e6, mean 110e6, sd 50e6, p95 160e6;
    # new = ceil(440e6 x 110e6 / 220e6) = 220e6; p95 ceil(160e6 x 220e6 / 110e6) = 320e6;
    # sd ceil(50e6 x 220e6 / 110e6) = 100e6
    c = p.option(t["meas"], fast, "batch")
    assert (c.cost, c.cost_p95, c.sd, c.samples) == (220 * M6, 320 * M6, 100 * M6, 2)


def test_a_measured_cost_keeps_the_exclusion(setup) -> None:  # type: ignore[no-untyped-def]
    p, t, m = setup
    # short allows 5 output tokens, the task needs 10: excluded with or without a measured cost
    c = p.option(t["meas"], m["short"], "standard")
    assert c.source == "measured"
    assert c.cost == 1000 * M6
    assert c.excluded == "p95 output of 10 tokens exceeds max output"
