"""The basic fixture's hand-derived figures (tests/basic_figures.py) hold: its sample token
counts, each option's cost per query, and the two plans every CLI test prints."""

from __future__ import annotations

import math
from pathlib import Path

from costplan.api import load_inputs, optimize
from costplan.tokens.encodings import get_encoding
from tests import basic_figures as fig

BASIC = Path(__file__).parent / "data" / "basic"


def test_sample_token_counts_are_the_ones_the_derivation_uses() -> None:
    # get_encoding is tiktoken's own o200k_base (tests/tokens/test_tokens_encodings.py)
    enc = get_encoding("o200k_base")
    texts = [(BASIC / "samples" / "a" / f"{i}.txt").read_text() for i in (1, 2, 3)]
    counts = [len(enc.encode(t)) for t in texts]
    assert counts == [13, 18, 34]
    assert [math.ceil(n * 6 / 5) for n in counts] == [16, 22, 41]  # claude: x 1.20


def test_each_options_cost_per_query_is_the_hand_derived_one() -> None:
    table = load_inputs(BASIC / "workload.yaml")
    got = {(o.task, o.model, o.mode): o.cost_pusd for o in table.options if o.excluded is None}
    assert got == {
        ("a", "small", "standard"): fig.A_SMALL_PUSD,
        ("a", "big", "standard"): fig.A_BIG_PUSD,
        ("b", "small", "standard"): fig.B_SMALL_PUSD,
        ("b", "small", "batch"): fig.B_SMALL_BATCH_PUSD,
        ("b", "big", "standard"): fig.B_BIG_PUSD,
    }


def test_the_two_plans_are_the_hand_derived_ones() -> None:
    table = load_inputs(BASIC / "workload.yaml")
    best = optimize(table, explain=False)
    assert best.status == "optimal"
    assert best.cost_pusd == fig.ALL_BIG_PUSD
    cheapest = optimize(table, objective="min_cost", explain=False)
    assert cheapest.status == "optimal"
    assert cheapest.cost_pusd == fig.MIN_COST_PUSD
