"""Small workloads whose period-cost distribution has a closed form.

Prices: model ``m`` costs $1 per million input tokens and nothing else, so a query
of ``u`` prompt tokens costs ``u`` micro-dollars = ``u * 10**6`` pico-dollars.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cli.conftest import run  # noqa: F401  (the CLI runner the CLI tests use)

PRICES = """currency: USD
as_of: 2026-01-01
models:
  m: {provider: openai, input_usd_per_mtok: 1, output_usd_per_mtok: 0, tokenizer: o200k_base}
  m2: {provider: openai, input_usd_per_mtok: 2, output_usd_per_mtok: 0, tokenizer: o200k_base}
"""

Make = Callable[..., Path]


@pytest.fixture
def make(tmp_path: Path) -> Make:
    """``make(tasks_yaml, quality_yaml, extra="")`` -> the workload's path."""

    def _make(tasks: str, quality: str, extra: str = "") -> Path:
        (tmp_path / "prices.yaml").write_text(PRICES)
        path = tmp_path / "workload.yaml"
        path.write_text(
            "name: w\nperiod: month\nobjective: min_cost\nprices: prices.yaml\n"
            f"{extra}tasks:\n{tasks}quality:\n{quality}"
        )
        return path

    return _make
