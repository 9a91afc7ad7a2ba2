"""Tiny random per-query (``assign``) instances with their oracles, for the checker's per-query
bound (costplan.verify.perquerycert) and its exact search (costplan.verify.searchq).

Every instance has 2-4 queries over three priced models (``a`` openai with a ``batch`` mode
at half price, ``b`` anthropic with a 40-token context window, ``c`` openai with at most 8
output tokens) and one model the sheet does not price (``bz``, sorted between ``b`` and
``c``). Oracles, written from the README's definitions and sharing no code with the checker:

* costs by hand from the sheet below (1e-6 USD per Mtok = 1 pico-dollar per token; cached
  tokens have no ``cache_read`` price and are billed as input): ``a`` 2 per input token and
  6 per output token (batch 1 and 3), ``b`` 1 and 3, ``c`` 3 and 1;
* the optimum ``z*`` by enumerating every choice of one usable option per query (usable: a
  quality given, priced in an allowed mode, the request within the context window and max
  output) that meets every row: budget (pico-dollars, rounded down), mean-quality floor
  (``sum v >= ceil(floor x 1e6 x queries)``), task floors (``sum v >= n_t x ceil(f x 1e6)``),
  capacities (requests and prompt + cached + output tokens on a model), provider shares
  (spend on the provider <= cap x total spend; a provider's own cap, else ``*``);
* the Lagrangian bound ``D`` of docs/certificate.md, "Per query", summed option by option.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from costplan.verify.findings import Findings
from costplan.verify.perquery import _PerQuery
from costplan.verify.prices import load_sheets
from costplan.verify.queryfile import Queries

F = Fraction
SHEET = """\
currency: USD
models:
  a:
    provider: openai
    input_usd_per_mtok: 0.000002
    output_usd_per_mtok: 0.000006
    batch: {discount: 0.5}
  b:
    provider: anthropic
    input_usd_per_mtok: 0.000001
    output_usd_per_mtok: 0.000003
    context_window: 40
  c:
    provider: openai
    input_usd_per_mtok: 0.000003
    output_usd_per_mtok: 0.000001
    max_output_tokens: 8
"""
#: (model, mode) -> (pusd per input token, per output token), from SHEET by hand
RATES = {("a", "standard"): (2, 6), ("a", "batch"): (1, 3), ("b", "standard"): (1, 3),
         ("c", "standard"): (3, 1)}  # fmt: skip
PROVIDER = {"a": "openai", "b": "anthropic", "c": "openai"}
CONTEXT = {"b": 40}
MAX_OUTPUT = {"c": 8}
MODELS = ("a", "b", "c", "bz")  # bz: scored by the queries, absent from the sheet


def write_sheet(tmp: Path) -> Path:
    path = tmp / "prices.yaml"
    path.write_text(SHEET)
    return path


@dataclass
class Case:
    """One instance: queries (columns of MODELS; quality -1 = none) and the plan's settings."""

    tasks: list[str]
    prompt: list[int]
    cached: list[int]
    output: list[int]
    quality: list[list[int]]  # [query][model], micro-units
    objective: str  # max_quality | min_cost
    budget: str | None = None  # USD text
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def maximise(self) -> bool:
        return self.objective == "max_quality"

    def doc(self) -> dict[str, Any]:
        return {"objective": self.objective, "budget_usd": self.budget, "assign": self.settings}


def per_query(c: Case, sheet_path: Path) -> _PerQuery:
    """The checker's per-query state for ``c`` (built as ``_PerQuery.__init__`` does, but from
    an in-memory query table instead of a file)."""
    n = len(c.tasks)
    qs = Queries(
        ids=tuple(f"q{g}" for g in range(n)),
        tasks=tuple(c.tasks),
        texts=None,
        prompt=np.asarray(c.prompt, dtype=np.int64),
        cached=np.asarray(c.cached, dtype=np.int64),
        output=np.asarray(c.output, dtype=np.int64),
        output_given=np.ones(n, dtype=np.bool_),
        models=MODELS,
        quality=np.asarray(c.quality, dtype=np.int64).reshape(n, len(MODELS)),
        sha256="0" * 64,
    )
    pq = object.__new__(_PerQuery)
    pq.doc, pq.f = c.doc(), Findings()
    pq.qs, pq.rows = qs, None  # type: ignore[assignment]
    pq.sheet = load_sheets([sheet_path])
    pq.settings = dict(c.settings)
    pq._tokens = {}
    return pq


def options(c: Case, g: int) -> list[tuple[str, str, int, int, int]]:
    """Query ``g``'s usable options: (model, mode, quality, cost, tokens sent)."""
    allowed = c.settings.get("modes", ["standard", "batch"])
    sent = c.prompt[g] + c.cached[g] + c.output[g]
    out = []
    for (m, mode), (inp, outp) in RATES.items():
        v = c.quality[g][MODELS.index(m)]
        if v < 0 or mode not in allowed:
            continue
        if sent > CONTEXT.get(m, sent) or c.output[g] > MAX_OUTPUT.get(m, c.output[g]):
            continue
        cost = (c.prompt[g] + c.cached[g]) * inp + c.output[g] * outp
        out.append((m, mode, v, cost, sent))
    return out


def _ceil(x: Fraction) -> int:
    return math.ceil(x)


def cap_of(c: Case, p: str) -> Fraction | None:
    caps = c.settings.get("max_provider_share") or {}
    return F(caps[p]) if p in caps else (F(caps["*"]) if "*" in caps else None)


def labels(c: Case) -> dict[str, Fraction]:
    """The plan's rows (docs/certificate.md) -> right-hand side (budget and quality: 0,
    priced apart)."""
    s = c.settings
    out: dict[str, Fraction] = {}
    if c.maximise and c.budget is not None:
        out["budget"] = F(0)
    if not c.maximise and s.get("min_quality") is not None:
        out["quality"] = F(0)
    for m, limit in (s.get("capacity_requests") or {}).items():
        out[f"capacity:{m}:requests"] = F(limit)
    for m, limit in (s.get("capacity_tokens") or {}).items():
        out[f"capacity:{m}:tokens"] = F(limit)
    for p in ("anthropic", "openai"):
        cap = cap_of(c, p)
        if cap is not None and cap < 1:
            out[f"share:{p}"] = F(0)
    for t in s.get("task_min_quality") or {}:
        out[f"floor:{t}"] = F(0)
    return out


def coef(c: Case, label: str, g: int, opt: tuple[str, str, int, int, int]) -> Fraction:
    """Row ``label``'s coefficient of query ``g`` on option ``opt`` (lhs <= rhs)."""
    m, _, v, cost, sent = opt
    kind, _, rest = label.partition(":")
    if kind == "capacity":
        model, _, what = rest.rpartition(":")
        return F(0) if m != model else F(1 if what == "requests" else sent)
    if kind == "share":
        cap = cap_of(c, rest)
        assert cap is not None
        return cost * (int(PROVIDER[m] == rest) - cap)
    if kind == "floor":
        fl = _ceil(F(c.settings["task_min_quality"][rest]) * 10**6)
        return F(fl - v) if c.tasks[g] == rest else F(0)
    raise AssertionError(label)


def budget_pusd(c: Case) -> int | None:
    return None if c.budget is None else math.floor(F(c.budget) * 10**12)


def quality_floor(c: Case) -> int | None:
    q = c.settings.get("min_quality")
    return None if q is None else _ceil(F(q) * 10**6 * len(c.tasks))


def brute(c: Case) -> int | None:
    """The exact optimum over every plan meeting every row (None: no plan)."""
    n = len(c.tasks)
    per = [options(c, g) for g in range(n)]
    s = c.settings
    best = None
    for combo in itertools.product(*per):
        cost = sum(o[3] for o in combo)
        quality = sum(o[2] for o in combo)
        b = budget_pusd(c)
        if b is not None and cost > b:
            continue
        q = quality_floor(c)
        if q is not None and quality < q:
            continue
        if any(
            sum(o[2] for g, o in enumerate(combo) if c.tasks[g] == t)
            < c.tasks.count(t) * _ceil(F(f) * 10**6)
            for t, f in (s.get("task_min_quality") or {}).items()
        ):
            continue
        if any(sum(1 for o in combo if o[0] == m) > int(k)
               for m, k in (s.get("capacity_requests") or {}).items()):  # fmt: skip
            continue
        if any(sum(o[4] for o in combo if o[0] == m) > int(k)
               for m, k in (s.get("capacity_tokens") or {}).items()):  # fmt: skip
            continue
        if any(sum(o[3] for o in combo if PROVIDER[o[0]] == p) > cap * cost
               for p in ("anthropic", "openai")
               if (cap := cap_of(c, p)) is not None):  # fmt: skip
            continue
        z = quality if c.maximise else cost
        if best is None or (z > best if c.maximise else z < best):
            best = z
    return best


def lagrangian(c: Case, prices: dict[str, Fraction]) -> Fraction | None:
    """``D`` of docs/certificate.md, "Per query" (None when a query has no usable option):

    max: lam B + sum_r nu_r rhs_r + sum_g max_k (v - lam c - sum_r nu_r a_r)
    min: lam Vmin - sum_r nu_r rhs_r + sum_g min_k (c - lam v + sum_r nu_r a_r)"""
    rows = labels(c)
    side = [r for r in rows if r not in ("budget", "quality")]
    lam = prices.get("budget" if c.maximise else "quality", F(0))
    total = F(0)
    for g in range(len(c.tasks)):
        vals = []
        for o in options(c, g):
            pen = sum((prices.get(r, F(0)) * coef(c, r, g, o) for r in side), F(0))
            vals.append(o[2] - lam * o[3] - pen if c.maximise else o[3] - lam * o[2] + pen)
        if not vals:
            return None
        total += max(vals) if c.maximise else min(vals)
    rhs = sum((prices.get(r, F(0)) * rows[r] for r in side), F(0))
    if c.maximise:
        return lam * (budget_pusd(c) or 0) + rhs + total
    return lam * (quality_floor(c) or 0) - rhs + total


def random_case(rng: random.Random) -> Case:
    n = rng.randint(2, 4)
    tasks = [rng.choice(["t0", "t1"]) for _ in range(n)]
    quality = [[rng.randint(0, 30) if rng.random() < 0.8 else -1 for _ in MODELS]
               for _ in range(n)]  # fmt: skip
    c = Case(tasks, [rng.randint(1, 28) for _ in range(n)], [rng.randint(0, 3) for _ in range(n)],
             [rng.randint(1, 12) for _ in range(n)], quality,
             rng.choice(["max_quality", "min_cost"]))  # fmt: skip
    s = c.settings
    if rng.random() < 0.3:
        s["modes"] = [rng.choice(["standard", "batch"])]
    if (c.maximise or rng.random() < 0.3) and rng.random() < 0.8:
        c.budget = f"{rng.randint(25 * n, 110 * n)}.{rng.choice([0, 5])}e-12"  # pusd, halves
    if not c.maximise and rng.random() < 0.6:
        s["min_quality"] = f"{rng.randint(5, 20)}.{rng.choice([0, 5])}e-6"
    if rng.random() < 0.4:
        s["task_min_quality"] = {t: f"{rng.randint(3, 20)}.{rng.choice([0, 4])}e-6"
                                 for t in sorted(set(tasks)) if rng.random() < 0.7}  # fmt: skip
    if rng.random() < 0.4:
        s["capacity_requests"] = {m: rng.randint(0, n) for m in ("a", "b", "c")
                                  if rng.random() < 0.5}  # fmt: skip
    if rng.random() < 0.3:
        s["capacity_tokens"] = {m: rng.randint(10, 30 * n) for m in ("a", "b")
                                if rng.random() < 0.6}  # fmt: skip
    if rng.random() < 0.4:
        s["max_provider_share"] = {rng.choice(["openai", "anthropic", "*"]):
                                   rng.choice(["0", "0.25", "0.5", "0.75", "1"])}  # fmt: skip
    return c


def random_prices(rng: random.Random, c: Case) -> dict[str, Fraction]:
    """Random non-negative prices, scaled so that the rows weigh about as much as quality
    (a cost or a token is worth ~1/10 of a micro-unit of quality)."""
    out: dict[str, Fraction] = {}
    if rng.random() < 0.2:
        return out
    for r in labels(c):
        if rng.random() < 0.6:
            scale = 10 if r.startswith(("budget", "share", "capacity:a:t", "capacity:b:t")) else 1
            if r == "quality":
                scale = 1
            out[r] = F(rng.randint(0, 6), rng.randint(1, 4) * scale)
    return out
