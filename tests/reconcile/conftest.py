"""A synthetic month with known effects, written as files the CLI reads.

Plan prices (USD per million tokens; x 1e6 = pico-dollars per token):

=======  =====  ======  ==========  ===========================================
model    input  output  cache read  used by
=======  =====  ======  ==========  ===========================================
m-a      1      4       -           task alpha
m-b      2      8       -           task beta
m-x      0.5    2       -           nobody (the unplanned model beta drifts to)
m-c      1      4       0.1         task gamma (5-minute cache, hit rate 0.8)
m-d      3      15      -           task delta
=======  =====  ======  ==========  ===========================================

The actual sheet is the same except m-d's input: 4 (was 3). Every task plans 10,000
queries per month on its one allowed model. The usage (a generic CSV of daily
buckets: two per (task, model), 1-16 and 16-30 November) has:

* alpha: 11,000 requests (+10% volume), same lengths;
* beta: 8,000 requests on m-b and 2,000 on m-x (20% on an unplanned model);
* gamma: 10,000 requests whose prefix is read from the cache half the time (hit
  rate 0.5 instead of 0.8);
* delta: 10,000 requests as planned, at the new price.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.conftest import run  # noqa: F401  (the in-process CLI runner fixture)

PRICES = """currency: USD
as_of: 2026-11-01
source: synthetic
models:
  m-a: {provider: openai, input_usd_per_mtok: 1, output_usd_per_mtok: 4}
  m-b: {provider: openai, input_usd_per_mtok: 2, output_usd_per_mtok: 8}
  m-x: {provider: openai, input_usd_per_mtok: 0.5, output_usd_per_mtok: 2}
  m-c: {provider: openai, input_usd_per_mtok: 1, output_usd_per_mtok: 4,
        cache_read_usd_per_mtok: 0.1}
  m-d: {provider: openai, input_usd_per_mtok: DELTA_INPUT, output_usd_per_mtok: 15}
"""

WORKLOAD = """name: synthetic
period: month
objective: min_cost
prices: prices.yaml
tasks:
  - {name: alpha, volume: 10000, prompt: {tokens: 1000}, output_tokens: 200, allow: [m-a]}
  - {name: beta, volume: 10000, prompt: {tokens: 2000}, output_tokens: 500, allow: [m-b]}
  - name: gamma
    volume: 10000
    prompt: {tokens: 500}
    shared_prefix_tokens: 2000
    cache: {hit_rate: 0.8, ttl: 5m}
    output_tokens: 100
    allow: [m-c]
  - {name: delta, volume: 10000, prompt: {tokens: 1000}, output_tokens: 100, allow: [m-d]}
quality:
  alpha: {m-a: 0.9}
  beta: {m-b: 0.9, m-x: 0.8}
  gamma: {m-c: 0.9}
  delta: {m-d: 0.9}
"""

#: One task split by a quality floor: 0.8 over m-a (0.7) and m-b (0.9) needs at least half
#: on m-b, so the cheapest plan is 5,000 / 5,000 (test_synthetic.py derives its costs).
MIX_WORKLOAD = """name: mix
period: month
objective: min_cost
prices: prices.yaml
tasks:
  - {name: split, volume: 10000, prompt: {tokens: 2000}, output_tokens: 500,
     allow: [m-a, m-b], min_quality: 0.8}
quality:
  split: {m-a: 0.7, m-b: 0.9}
"""


HEADER = "task,model,timestamp,end_time,requests,prompt_tokens,cached_tokens,output_tokens\n"


def usage_rows(task: str, model: str, n: int, prompt: int, cached: int, output: int) -> str:
    """Two half-month buckets of ``n`` requests in all, each of the given lengths."""
    first, second = n // 2, n - n // 2
    out = ""
    for count, t0, t1 in ((first, "2026-11-01T00:00:00Z", "2026-11-16T00:00:00Z"),
                          (second, "2026-11-16T00:00:00Z", "2026-11-30T23:59:59Z")):
        out += (
            f"{task},{model},{t0},{t1},{count},{count * prompt},{count * cached},"
            f"{count * output}\n"
        )
    return out


USAGE = HEADER + "".join(
    [
        usage_rows("alpha", "m-a", 11000, 1000, 0, 200),
        usage_rows("beta", "m-b", 8000, 2000, 0, 500),
        usage_rows("beta", "m-x", 2000, 2000, 0, 500),
        usage_rows("gamma", "m-c", 10000, 2500, 1000, 100),
        usage_rows("delta", "m-d", 10000, 1000, 0, 100),
    ]
)


@pytest.fixture
def month(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with workload.yaml, prices.yaml (plan), actual.yaml, usage.csv; cwd."""
    (tmp_path / "prices.yaml").write_text(PRICES.replace("DELTA_INPUT", "3"))
    (tmp_path / "actual.yaml").write_text(PRICES.replace("DELTA_INPUT", "4"))
    (tmp_path / "workload.yaml").write_text(WORKLOAD)
    (tmp_path / "usage.csv").write_text(USAGE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def copy_month(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    return dest
