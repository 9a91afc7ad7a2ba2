"""The figures of ``tests/data/basic``, derived by hand from its raw numbers.

Tests that print or store money for the basic fixture compare against these, never against
what costplan printed once. Units: 1 USD = 10**12 pico-dollars (pusd); a price of $P per
million tokens is P micro-dollars (10**6 pusd) per token.

Raw numbers (prices.yaml, workload.yaml):

* small: input $0.15, output $0.6, cache read $0.075 per Mtok, batch discount 0.5, o200k_base.
* big: input $3, output $15, cache read $0.3 per Mtok, no batch, tokens estimated as
  ceil(o200k_base count x 1.20) per text (the claude family's default factor).
* task a: 100,000 queries, prompt from samples/a/*.txt, 50 output tokens, min_quality 0.8,
  realtime; quality small 0.78, big 0.93.
* task b: 20,000 queries, 3,000 prompt tokens plus a 1,000-token shared prefix (billed at the
  cache-read price), 300 output tokens (p95 900), batch allowed; quality small 0.7, big 0.9.

Sample token counts (o200k_base, checked against tiktoken's own encoder in
tests/test_basic_figures.py): 13, 18 and 34 = 65 tokens, mean 65/3; claude estimates
ceil(13 x 1.2) = 16, ceil(18 x 1.2) = 22, ceil(34 x 1.2) = 41 = 79 tokens, mean 79/3.

Cost per query (README: the mean over the samples, rounded up to a whole pico-dollar):

* a on small: 65/3 x 0.15 + 50 x 0.6 = 3.25 + 30 = 33.25 micro-dollars (exact);
* a on big: 79/3 x 3 + 50 x 15 = 79 + 750 = 829 micro-dollars;
* b on small: 3,000 x 0.15 + 1,000 x 0.075 + 300 x 0.6 = 450 + 75 + 180 = 705 micro-dollars;
* b on small (batch): 705 x 0.5 = 352.5 micro-dollars;
* b on big: 3,000 x 3 + 1,000 x 0.3 + 300 x 15 = 9,000 + 300 + 4,500 = 13,800 micro-dollars.

Per month: a small 100,000 x 33.25 = $3.325; a big 100,000 x 829 = $82.90; b small $14.10;
b small batch 20,000 x 352.5 = $7.05; b big 20,000 x 13,800 = $276.00.

Plans:

* budget $500, max_quality: everything on big fits ($82.90 + $276.00 = $358.90, $141.10 of
  the budget left) and is the best quality: (0.93 x 100,000 + 0.9 x 20,000) / 120,000 = 0.925.
* min_cost: a's floor, 0.13 x_big - 0.02 x_small >= 0 with x_big + x_small = 100,000, needs
  x_big >= 2,000 / 0.15 = 13,333.3, so 13,334 on big and 86,666 on small:
  13,334 x 829 + 86,666 x 33.25 = 11,053,886 + 2,881,644.5 = 13,935,530.5 micro-dollars;
  b all on small (batch), $7.05; total $20.9855305 (printed $20.99).
* the LP vertex / frontier knee: a all on big, b all on small (batch): $82.90 + $7.05 =
  $89.95, mean quality (93,000 + 14,000) / 120,000 = 0.89166.. (printed 0.8917).
"""

from __future__ import annotations

from fractions import Fraction

MICRO = 10**6  # pusd per micro-dollar
USD = 10**12  # pusd per dollar

A_SMALL_PUSD = 33_250_000  # 33.25 micro-dollars
A_BIG_PUSD = 829 * MICRO
B_SMALL_PUSD = 705 * MICRO
B_SMALL_BATCH_PUSD = 352_500_000  # 352.5 micro-dollars
B_BIG_PUSD = 13_800 * MICRO

A_VOLUME, B_VOLUME = 100_000, 20_000

ALL_BIG_PUSD = A_VOLUME * A_BIG_PUSD + B_VOLUME * B_BIG_PUSD
assert ALL_BIG_PUSD == 358_900_000 * MICRO  # $358.90

A_ON_BIG_AT_FLOOR = 13_334  # ceil(2,000 / 0.15)
MIN_COST_PUSD = (
    A_ON_BIG_AT_FLOOR * A_BIG_PUSD
    + (A_VOLUME - A_ON_BIG_AT_FLOOR) * A_SMALL_PUSD
    + B_VOLUME * B_SMALL_BATCH_PUSD
)
assert MIN_COST_PUSD == 20_985_530_500_000  # $20.9855305

KNEE_PUSD = A_VOLUME * A_BIG_PUSD + B_VOLUME * B_SMALL_BATCH_PUSD
assert KNEE_PUSD == 89_950_000 * MICRO  # $89.95
KNEE_MEAN_QUALITY = Fraction(93 * A_VOLUME + 70 * B_VOLUME, 100 * (A_VOLUME + B_VOLUME))
