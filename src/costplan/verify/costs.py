"""The checker's own cost of one query of an option, in integer pico-dollars.

Per request (the README's "File formats", "Money is exact" and "Prompt caching")::

    rates = the schedule's highest tier whose above_input_tokens the request's
            input (uncached + cached + 5m writes + 1h writes) exceeds, else the base
    cost  = uncached x input + cached x (cache_read or input)
          + w5 x (cache_write or input) + w1h x (cache_write_1h or cache_write or input)
          + output x output + reasoning x (reasoning or output) + request fee

Per option of task ``t`` on model ``m`` in mode ``s`` with cache choice ``k``, over
the ``n`` prompt samples ``u`` (the task's shared prefix ``P``):

* ``k = ""`` (no policy): ``ceil(sum cost(u, cached=P) / n)``;
* ``k = none``: ``ceil(sum cost(u + P uncached) / n)``;
* ``k = 5m | 1h`` with hit rate ``h``:
  ``ceil(sum (h cost(u, cached=P) + (1 - h) cost(u, write_k=P)) / n)``;
* ``cost_p95``: the same at the p95 prompt (the sample at rank ``ceil(0.95 (n - 1))``
  of the sorted counts, n = 1) and the p95 output, rounded up once;
* a measured cost ``M`` (``measured_cost_usd``) replaces the standard mode's cost
  and scales mode ``s`` to ``ceil(M x cost_s / cost_standard)`` (``M`` when the
  standard tokens cost nothing); the p95 cost scales by the same ratio:
  ``ceil(cost_p95 x new / cost_s)`` (``new`` when ``cost_s`` is 0);
* a cascade costs ``ceil(sum_i reach_i x cost_i)`` (p95 likewise) over its steps in
  its mode, each step at its cheapest usable cache choice, ``reach_0 = 1``,
  ``reach_{i+1} = reach_i x escalate_i``;
* ``sd`` (README "Uncertainty"): over the samples' exact costs ``c_u`` (each as above,
  before the mean), ``ceil(sqrt(mean(c_u^2) - mean(c_u)^2))``; a measured cost scales it
  to ``ceil(sd x new / cost_s)`` (0 when ``cost_s`` is 0); a cascade's is
  ``ceil(sum_i reach_i x sd_i)`` over the same steps;
* usable only if ``p95 prompt + P + p95 output + reasoning`` fits the context window
  and ``p95 output + reasoning`` the max output.

Cache choices of (task, model, mode): ``""`` without a policy; ``none`` only when
``P`` is below the model's minimum cacheable prefix; else the policy's choices,
``5m`` always offered, ``1h`` only with a ``cache_write_1h`` price in the schedule
(a fixed ``1h`` without one is excluded).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from fractions import Fraction
from typing import Any

from costplan.verify import tokens
from costplan.verify.prices import PUSD, Model, Rates, Schedule, Sheet
from costplan.verify.tasks import TaskSpec, WorkloadSpec


def ceil(x: Fraction | int) -> int:
    return -((-x.numerator) // x.denominator)


_PER_TOKEN = (
    "input_usd_per_mtok",
    "cache_read_usd_per_mtok",
    "cache_write_usd_per_mtok",
    "cache_write_1h_usd_per_mtok",
    "output_usd_per_mtok",
    "reasoning_usd_per_mtok",
)


_RATES: dict[int, tuple[Rates, tuple[int, ...]]] = {}


def _integer_rates(r: Rates) -> tuple[int, ...]:
    """``r``'s six per-token rates (``_PER_TOKEN`` order) and fee, in pico-dollars.

    Memoised by object (every task prices the same schedules; ``Rates`` are frozen, and the
    entry keeps ``r`` alive so its id is not reused; hashing its Fractions would cost more
    than the conversion)."""
    hit = _RATES.get(id(r))
    if hit is not None and hit[0] is r:
        return hit[1]
    ints = (*(r.per_token(k) for k in _PER_TOKEN), r.fee_pusd())
    if len(_RATES) >= 65536:
        _RATES.clear()
    _RATES[id(r)] = (r, ints)
    return ints


def request_cost(
    s: Schedule, uncached: int, cached: int, output: int, reasoning: int, w5: int = 0, w1h: int = 0
) -> int:
    """Exact cost of one request in pico-dollars (Python ints)."""
    inp, read, write, write_1h, out, think, fee = _integer_rates(
        s.rates_for(uncached + cached + w5 + w1h)
    )
    return (
        uncached * inp + cached * read + w5 * write + w1h * write_1h
        + output * out + reasoning * think + fee
    )  # fmt: skip


def min_cacheable(model: Model) -> int:
    """The model's minimum cacheable prefix: its sheet's value, else the README's defaults."""
    if model.min_cacheable_tokens is not None:
        return model.min_cacheable_tokens
    provider, name = model.provider.lower(), model.name.lower()
    # Claude models by name, whoever serves them (Anthropic, Bedrock, Vertex).
    if any(k in name for k in ("opus-4-5", "opus-4-6", "haiku-4-5")):
        return 4096
    if any(k in name for k in ("sonnet-4-6", "3-haiku", "3-5-haiku")):
        return 2048
    if provider == "anthropic":
        return 1024
    if provider != "openai" and fnmatchcase(name, "gemini-*pro*"):
        return 4096
    return 1024


def cache_choices(task: TaskSpec, model: Model, mode: str) -> list[tuple[str, str | None]]:
    """(choice, why it is excluded or None) for one model and mode (see the module docs)."""
    if task.cache_rates is None:
        return [("", None)]
    if task.shared < min_cacheable(model):
        return [("none", None)]
    schedule = model.schedule(mode)
    has_1h = schedule is not None and schedule.base.get("cache_write_1h_usd_per_mtok") is not None
    out: list[tuple[str, str | None]] = []
    for choice in task.cache_choices():
        if choice in ("none", "5m") or (choice == "1h" and has_1h):
            out.append((choice, None))
        elif task.cache_ttl == choice:
            out.append((choice, f"{model.name} has no 1-hour cache write price"))
    return out


@dataclass(frozen=True)
class OptionCost:
    cost: int
    cost_p95: int
    prompt_mean: Fraction
    tokens_per_query: int  # ceil(mean prompt) + shared + output + reasoning
    excluded: str | None
    source: str  # tokens | measured | cascade
    sd: int = 0  # spread of one query's cost over the samples (module docstring)
    samples: int = 1


def ceil_root(x: Fraction) -> int:
    """The least integer ``s >= 0`` with ``s * s >= x``."""
    if x <= 0:
        return 0
    s = 0
    hi = 1
    while hi * hi < x:
        hi *= 2
    lo = hi // 2
    while lo < hi:  # least s in [lo, hi] with s^2 >= x
        s = (lo + hi) // 2
        if s * s >= x:
            hi = s
        else:
            lo = s + 1
    return lo


class Pricer:
    """Option costs from the raw workload and sheet, memoised."""

    def __init__(self, workload: WorkloadSpec, sheet: Sheet) -> None:
        self.w = workload
        self.sheet = sheet
        self._counts: dict[tuple[str, tokens.Counter], list[int]] = {}
        self._costs: dict[tuple[str, str, str, str], OptionCost] = {}
        #: (task, robust) -> the task's usable options (costplan.verify.classplan)
        self.usable: dict[tuple[str, bool], list[Any]] = {}

    def prompt_counts(self, task: TaskSpec, model: Model) -> list[int]:
        if task.prompt_tokens is not None:
            return [task.prompt_tokens]
        counter = tokens.counter_for(model.tokenizer, model.provider)
        key = (task.name, counter)
        if key not in self._counts:
            assert task.samples is not None
            base = self.w.file.path.parent
            texts = tokens.sample_texts(task.samples, base, task.field)
            self._counts[key] = tokens.count(tokens.subsample(texts, task.max_samples), counter)
        return self._counts[key]

    @staticmethod
    def _expected(s: Schedule, task: TaskSpec, u: int, out: int, cache: str) -> Fraction | int:
        """Exact expected cost of one query (a whole number of pico-dollars unless a TTL
        mixes hits and misses)."""
        p, r = task.shared, task.reasoning
        if cache == "":
            return request_cost(s, u, p, out, r)
        if cache == "none":
            return request_cost(s, u + p, 0, out, r)
        assert task.cache_rates is not None
        h = task.cache_rates[cache]
        miss = (
            request_cost(s, u, 0, out, r, w5=p)
            if cache == "5m"
            else request_cost(s, u, 0, out, r, w1h=p)
        )
        return h * request_cost(s, u, p, out, r) + (1 - h) * miss

    def token_cost(self, task: TaskSpec, model: Model, mode: str, cache: str = "") -> OptionCost:
        task = task.for_model(model.name)  # the model's own output/reasoning where profiled
        schedule = model.schedule(mode)
        assert schedule is not None
        counts = self.prompt_counts(task, model)
        n = len(counts)
        each = [self._expected(schedule, task, u, task.output_mean, cache) for u in counts]
        total: Fraction | int  # of the n queries (a mean times n)
        if n == 1:  # one sample (a fixed count): its own mean and p95 prompt, no spread
            total = each[0]
            sd, p95, mean, cost = 0, counts[0], Fraction(counts[0]), ceil(total)
        else:
            total = whole = Fraction(sum(each, Fraction(0)))
            second = Fraction(sum((c * c for c in each), Fraction(0))) / n
            sd = ceil_root(second - (whole / n) ** 2)
            p95 = sorted(counts)[ceil(Fraction(95, 100) * (n - 1))]
            mean, cost = Fraction(sum(counts), n), ceil(whole / n)
        same = n == 1 and task.output_p95 == task.output_mean  # the very request priced above
        cost_p95 = ceil(total if same else self._expected(schedule, task, p95, task.output_p95,
                                                            cache))  # fmt: skip
        needed = p95 + task.shared + task.output_p95 + task.reasoning
        out = task.output_p95 + task.reasoning
        excluded = None
        if model.context_window is not None and needed > model.context_window:
            excluded = f"p95 request of {needed:,} tokens exceeds the context window"
        elif model.max_output_tokens is not None and out > model.max_output_tokens:
            excluded = f"p95 output of {out:,} tokens exceeds max output"
        else:
            excluded = task.too_slow(task.p95_ms(model, mode))
        per_query = ceil(mean) + task.shared + task.output_mean + task.reasoning
        return OptionCost(cost, cost_p95, mean, per_query, excluded, "tokens", sd, n)

    def option(self, task: TaskSpec, model: Model, mode: str, cache: str = "") -> OptionCost:
        """Token cost, or the measured cost scaled to ``mode`` (see the module docs)."""
        key = (task.name, model.name, mode, cache)
        if key in self._costs:
            return self._costs[key]
        tok = self.token_cost(task, model, mode, cache)
        measured = self.w.measured_usd.get(task.name, {}).get(model.name)
        result = tok
        if measured is not None:
            m_pusd = measured * PUSD
            standard = self.token_cost(task, model, "standard").cost
            new = ceil(m_pusd * tok.cost / standard) if standard and mode != "standard" else m_pusd
            new = ceil(Fraction(new))
            p95 = ceil(Fraction(tok.cost_p95 * new, tok.cost)) if tok.cost else new
            sd = ceil(Fraction(tok.sd * new, tok.cost)) if tok.cost else 0
            result = OptionCost(new, p95, tok.prompt_mean, tok.tokens_per_query, tok.excluded,
                                "measured", sd, tok.samples)  # fmt: skip
        self._costs[key] = result
        return result

    def cheapest(self, task: TaskSpec, model: Model, mode: str) -> OptionCost:
        """The model's cheapest usable cache choice in ``mode`` (a cascade step's cost)."""
        priced = []
        for choice, why in cache_choices(task, model, mode):
            c = self.option(task, model, mode, choice)
            if why is not None and c.excluded is None:
                c = OptionCost(c.cost, c.cost_p95, c.prompt_mean, c.tokens_per_query, why,
                               c.source, c.sd, c.samples)  # fmt: skip
            priced.append(c)
        return min(priced, key=lambda c: (c.excluded is not None, c.cost))
