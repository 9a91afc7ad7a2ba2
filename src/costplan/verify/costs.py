"""The checker's own cost of one query of an option, in integer pico-dollars.

Per request (the README's "File formats" and "Money is exact")::

    rates = the schedule's highest tier whose above_input_tokens the request's
            input (uncached + cached) exceeds, else the base rates
    cost  = uncached x input + cached x (cache_read or input)
          + output x output + reasoning x (reasoning or output) + request fee

Per option of task ``t`` on model ``m`` in mode ``s``:

* ``cost``: ``ceil(sum over the prompt samples of cost(sample) / n)`` with the
  task's shared prefix as cached tokens, its mean output and its reasoning;
* ``cost_p95``: ``cost(p95 prompt, shared, p95 output, reasoning)``, the p95 prompt
  being the sample at rank ``ceil(0.95 x (n - 1))`` of the sorted counts;
* a measured cost ``M`` (``measured_cost_usd``) replaces the standard mode's cost
  and scales mode ``s`` to ``ceil(M x cost_s / cost_standard)`` (``M`` when the
  standard tokens cost nothing); the p95 cost scales by the same ratio:
  ``ceil(cost_p95 x new / cost_s)`` (``new`` when ``cost_s`` is 0);
* a cascade costs ``ceil(sum_i reach_i x cost_i)`` (p95 likewise) over its steps
  in its mode, ``reach_0 = 1``, ``reach_{i+1} = reach_i x escalate_i``;
* usable only if ``p95 prompt + shared + p95 output + reasoning`` fits the
  context window and ``p95 output + reasoning`` the max output.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from costplan.verify import tokens
from costplan.verify.prices import PUSD, Model, Schedule, Sheet
from costplan.verify.tasks import TaskSpec, WorkloadSpec


def ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def request_cost(s: Schedule, uncached: int, cached: int, output: int, reasoning: int) -> int:
    """Exact cost of one request in pico-dollars (Python ints)."""
    r = s.rates_for(uncached + cached)
    return (
        uncached * r.per_token("input_usd_per_mtok")
        + cached * r.per_token("cache_read_usd_per_mtok")
        + output * r.per_token("output_usd_per_mtok")
        + reasoning * r.per_token("reasoning_usd_per_mtok")
        + r.fee_pusd()
    )


@dataclass(frozen=True)
class OptionCost:
    cost: int
    cost_p95: int
    prompt_mean: Fraction
    tokens_per_query: int  # ceil(mean prompt) + shared + output + reasoning
    excluded: str | None
    source: str  # tokens | measured | cascade


class Pricer:
    """Option costs from the raw workload and sheet, memoised."""

    def __init__(self, workload: WorkloadSpec, sheet: Sheet) -> None:
        self.w = workload
        self.sheet = sheet
        self._counts: dict[tuple[str, tokens.Counter], list[int]] = {}
        self._costs: dict[tuple[str, str, str], OptionCost] = {}

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

    def token_cost(self, task: TaskSpec, model: Model, mode: str) -> OptionCost:
        schedule = model.schedule(mode)
        assert schedule is not None
        counts = self.prompt_counts(task, model)
        n = len(counts)
        total = sum(
            request_cost(schedule, u, task.shared, task.output_mean, task.reasoning) for u in counts
        )
        p95 = sorted(counts)[ceil(Fraction(95, 100) * (n - 1))]
        cost_p95 = request_cost(schedule, p95, task.shared, task.output_p95, task.reasoning)
        needed = p95 + task.shared + task.output_p95 + task.reasoning
        out = task.output_p95 + task.reasoning
        excluded = None
        if model.context_window is not None and needed > model.context_window:
            excluded = f"p95 request of {needed:,} tokens exceeds the context window"
        elif model.max_output_tokens is not None and out > model.max_output_tokens:
            excluded = f"p95 output of {out:,} tokens exceeds max output"
        mean = Fraction(sum(counts), n)
        per_query = ceil(mean) + task.shared + task.output_mean + task.reasoning
        return OptionCost(ceil(Fraction(total, n)), cost_p95, mean, per_query, excluded, "tokens")

    def option(self, task: TaskSpec, model: Model, mode: str) -> OptionCost:
        """Token cost, or the measured cost scaled to ``mode`` (see the module docs)."""
        key = (task.name, model.name, mode)
        if key in self._costs:
            return self._costs[key]
        tok = self.token_cost(task, model, mode)
        measured = self.w.measured_usd.get(task.name, {}).get(model.name)
        result = tok
        if measured is not None:
            m_pusd = measured * PUSD
            standard = self.token_cost(task, model, "standard").cost
            new = ceil(m_pusd * tok.cost / standard) if standard and mode != "standard" else m_pusd
            new = ceil(Fraction(new))
            p95 = ceil(Fraction(tok.cost_p95 * new, tok.cost)) if tok.cost else new
            result = OptionCost(new, p95, tok.prompt_mean, tok.tokens_per_query, tok.excluded,
                                "measured")  # fmt: skip
        self._costs[key] = result
        return result
