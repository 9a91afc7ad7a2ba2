"""examples/quickstart/billing.yaml: caching, variants and a latency SLO, figures by hand.

Prices from examples/quickstart/prices.yaml (USD per million tokens):
claude-haiku-4-5 input 1, output 5, cache read 0.1, 5m write 1.25, 1h write 2;
gpt-5-mini input 0.25, output 2 (reasoning billed as output); claude-sonnet-4-5 input 3,
output 15; gpt-4.1-mini input 0.4, output 1.6; gemini-2.5-flash input 0.3, output 2.5.
"""

from __future__ import annotations

from pathlib import Path

from costplan.api import load_inputs, optimize
from tests.cli.conftest import Runner

BILLING = Path(__file__).parents[2] / "examples" / "quickstart" / "billing.yaml"
MICRO = 10**6  # pico-dollars per micro-dollar


def test_every_option_is_priced_as_derived_by_hand() -> None:
    table = load_inputs(BILLING)
    cost = {(o.task, o.label): o.cost_pusd for o in table.options}
    # support-chat, 300 prompt + 5,000 prefix + 120 output tokens on claude-haiku-4-5:
    #   no cache: 5,300 x 1 + 120 x 5 = 5,900 micro-USD
    #   hit: 300 x 1 + 5,000 x 0.1 + 600 = 1,400; 5m miss: 300 + 5,000 x 1.25 + 600 = 7,150;
    #   1h miss: 300 + 5,000 x 2 + 600 = 10,900
    #   5m at 70%: 0.7 x 1,400 + 0.3 x 7,150 = 980 + 2,145 = 3,125
    #   1h at 90%: 0.9 x 1,400 + 0.1 x 10,900 = 1,260 + 1,090 = 2,350
    assert cost[("support-chat", "claude-haiku-4-5 (no cache)")] == 5_900 * MICRO
    assert cost[("support-chat", "claude-haiku-4-5 (5m cache)")] == 3_125 * MICRO
    assert cost[("support-chat", "claude-haiku-4-5 (1h cache)")] == 2_350 * MICRO
    # code-review-effort, 4,000 prompt, 700 output, reasoning per effort:
    #   low 4,000 x 0.25 + (700 + 500) x 2 = 1,000 + 2,400 = 3,400
    #   medium 1,000 + (700 + 2,500) x 2 = 7,400; high 1,000 + (700 + 8,000) x 2 = 18,400
    #   claude-sonnet-4-5: 4,000 x 3 + 700 x 15 = 12,000 + 10,500 = 22,500
    assert cost[("code-review-effort", "gpt-5-mini@low")] == 3_400 * MICRO
    assert cost[("code-review-effort", "gpt-5-mini@medium")] == 7_400 * MICRO
    assert cost[("code-review-effort", "gpt-5-mini@high")] == 18_400 * MICRO
    assert cost[("code-review-effort", "claude-sonnet-4-5")] == 22_500 * MICRO
    # live-answer, 2,000 prompt + 200 output: gemini-2.5-flash 600 + 500 = 1,100 (but its
    # p95 2,100 ms breaks the 1,500 ms SLO), gpt-4.1-mini 800 + 320 = 1,120,
    # claude-haiku-4-5 2,000 + 1,000 = 3,000
    assert cost[("live-answer", "gpt-4.1-mini")] == 1_120 * MICRO
    assert cost[("live-answer", "claude-haiku-4-5")] == 3_000 * MICRO
    gemini = next(o for o in table.options if o.model == "gemini-2.5-flash")
    assert gemini.cost_pusd == 1_100 * MICRO
    assert gemini.excluded == "p95 latency 2,100 ms is above the task's SLO of 1,500 ms"


def test_the_plan_is_the_cheapest_option_meeting_each_floor_within_the_slo() -> None:
    plan = optimize(load_inputs(BILLING), explain=False)
    picked = {t.name: [(a.model, a.cache, a.count) for a in t.allocations] for t in plan.tasks}
    assert picked == {
        "support-chat": [("claude-haiku-4-5", "1h", 1_000_000)],  # 2,350 < 3,125 < 5,900
        "code-review-effort": [("gpt-5-mini@medium", "", 100_000)],  # cheapest with >= 0.87
        "live-answer": [("gpt-4.1-mini", "", 500_000)],  # cheapest within the SLO
    }
    # 1,000,000 x $0.00235 + 100,000 x $0.0074 + 500,000 x $0.00112
    # = $2,350 + $740 + $560 = $3,650
    assert plan.cost_pusd == 3_650 * 10**12


def test_the_billing_example_verifies(tmp_path: Path, run: Runner) -> None:
    out = tmp_path / "plan.yaml"
    assert run("optimize", BILLING, "-o", out, "-q").code == 0
    r = run("verify", out)
    assert r.code == 0, r.out + r.err
