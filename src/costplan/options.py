"""The option table: every (task x model x serving mode) with cost and quality.

For each task ``t`` and each model ``m`` scored for ``t`` in the quality table
(and in its ``allow`` list, when given), and each serving mode the task's latency
permits (``realtime``: standard; ``batch``: standard, batch, flex) that the
model's price sheet offers, the table holds

* ``cost_pusd``: exact expected cost of one query in pico-dollars: the mean over
  the task's prompt samples (or the fixed prompt) of the request cost from
  :func:`costplan.pricing.cost.request_cost_pusd`, rounded **up** to a whole
  pico-dollar (conservative), or the measured cost from an eval run;
* ``cost_p95_pusd``: the cost of a query at p95 prompt and output lengths;
* ``cost_sd_pusd``: the spread of one query's cost over the prompt samples,
  ``ceil(sqrt(plug-in variance))`` (:mod:`costplan.risk.moments`); a measured cost scales
  it by the measured/token cost ratio (rounded up); a cascade's is the bound
  ``ceil(sum reach_i x sd_i)`` (Minkowski: exact when its steps' costs move together);
  ``samples``: how many prompt samples the mean is over (1 for a fixed token count);
* ``cache``: for a task with a cache policy, how its shared prefix is billed: ``none``,
  ``5m`` or ``1h`` (each a separate option, so the solver picks the TTL; see
  :mod:`costplan.pricing.caching` for the arithmetic); ``""`` without a policy (the
  prefix is read from the cache on every query);
* ``quality``: the task's expected quality on the model;
* ``latency``: p50/p95 of one request (:mod:`costplan.latency`), or None;
* ``excluded``: why the option cannot be used (context window, max output, a
  p95 latency above the task's SLO...), or None. Excluded options stay in the
  table so that ``estimate`` can say why.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from costplan.errors import InputError
from costplan.latency import LatencyMs, cascade_latency, slo_exclusion
from costplan.money import QUALITY_SCALE, PrecisionError, quality_to_micro, usd_to_pusd
from costplan.pricing.caching import (
    NO_CACHE,
    expected_cost_pusd,
    min_cacheable_tokens,
    sample_costs_pusd,
    ttls_offered,
)
from costplan.pricing.model import ModelPrice, PriceSchedule, PriceSheet
from costplan.pricing.regions import in_region, not_offered
from costplan.risk.moments import ceil_sqrt, plug_in_variance
from costplan.risk.quality import standard_error
from costplan.tokens.tokenizer import TokenizerSpec, parse_tokenizer
from costplan.validation import did_you_mean
from costplan.workload.model import Cascade, Task, Workload

if TYPE_CHECKING:
    from costplan.tokens.count import TokenCounter

__all__ = [
    "QUALITY_SCALE", "Option", "OptionTable", "build_options", "option_label", "tokenizer_for",
]  # fmt: skip

_LATENCY_MODES = {"realtime": ("standard",), "batch": ("standard", "batch", "flex")}

# Default tokenizer family by provider when a price sheet does not say.
_PROVIDER_FAMILY = {
    "openai": "o200k_base",
    "azure": "o200k_base",
    "anthropic": "claude",
    "google": "gemini",
    "meta": "llama",
    "mistral": "mistral",
    "qwen": "qwen",
    "alibaba": "qwen",
    "deepseek": "deepseek",
}


@dataclass(frozen=True)
class Component:
    """One model inside an option: a cascade has several, a plain option one.

    ``reach`` is the fraction of the option's queries this model serves (1 for a
    plain option); ``cost_pusd`` is this model's cost per query *it serves*.
    """

    model: str
    provider: str
    reach: Decimal
    cost_pusd: int
    tokens_per_query: int


@dataclass(frozen=True)
class Option:
    task: str
    model: str
    provider: str
    mode: str
    quality: Decimal
    prompt_tokens_mean: float
    prompt_tokens_p95: int
    cached_tokens: int
    output_tokens: int
    output_tokens_p95: int
    reasoning_tokens: int
    tokens_estimated: bool
    tokenizer: str
    cost_pusd: int
    cost_p95_pusd: int
    cost_source: str = "tokens"
    excluded: str | None = None
    kind: str = "model"  # "model" or "cascade"
    components: tuple[Component, ...] = ()
    detail: str = ""
    cache: str = ""  # "", "none", "5m" or "1h" (see the module docstring)
    cost_sd_pusd: int = 0
    samples: int = 1
    quality_se: float | None = None  # standard error of ``quality`` (costplan.risk.quality)
    latency: LatencyMs | None = None  # p50/p95 ms (costplan.latency), None: unknown
    commitment: str = ""  # served under this commitment (costplan.commitments), "": on demand

    @functools.cached_property
    def quality_micro(self) -> int:
        """``quality`` in micro-units (computed once: solvers and explanations read it often)."""
        return quality_to_micro(self.quality)

    @property
    def label(self) -> str:
        return option_label(self.model, self.kind, self.mode, self.cache, self.commitment)


def option_label(model: str, kind: str, mode: str, cache: str = "", commitment: str = "") -> str:
    """``big``, ``big (batch)``, ``big (batch, 1h cache)``, ``cascade c (no cache)``,
    ``big (committed: ptu-1)``..."""
    name = f"cascade {model}" if kind == "cascade" else model
    parts = [mode] if mode != "standard" else []
    if cache:
        parts.append("no cache" if cache == NO_CACHE else f"{cache} cache")
    if commitment:
        parts.append(f"committed: {commitment}")
    return f"{name} ({', '.join(parts)})" if parts else name


@dataclass(frozen=True)
class OptionTable:
    """All options, grouped by task in workload order."""

    workload: Workload
    sheet: PriceSheet
    options: tuple[Option, ...]
    #: A p95 latency cap on every task beyond its own SLO (``frontier --latency``).
    latency_cap_ms: int | None = None
    #: Per task, the only models it may use beyond its own ``allow`` (``optimize --noise``).
    allow_override: Mapping[str, tuple[str, ...]] | None = None

    def for_task(self, task: str, *, usable_only: bool = True) -> list[Option]:
        """The task's options in table order (usable ones only by default); a new list."""
        every = self._by_task.get(task, ())
        return [o for o in every if o.excluded is None] if usable_only else list(every)

    @functools.cached_property
    def _by_task(self) -> dict[str, tuple[Option, ...]]:
        """Options by task, in table order (one pass: callers ask task by task)."""
        out: dict[str, list[Option]] = {}
        for o in self.options:
            out.setdefault(o.task, []).append(o)
        return {t: tuple(opts) for t, opts in out.items()}

    def usable(self) -> list[Option]:
        return [o for o in self.options if o.excluded is None]


def tokenizer_for(model: ModelPrice) -> TokenizerSpec:
    """The model's tokenizer, or a default by provider (estimated unless OpenAI)."""
    if model.tokenizer is not None:
        return model.tokenizer
    family = _PROVIDER_FAMILY.get(model.provider.lower())
    if family is None:
        # Unknown tokenizer: count with o200k_base, but say it is an estimate.
        return TokenizerSpec.estimate(model.provider.lower() or "unknown", Decimal(1))
    return parse_tokenizer(family, file=None, key=f"models.{model.name}.tokenizer")


class _PromptTokens:
    """Per-task prompt token counts, each sample encoded once per encoding."""

    def __init__(self) -> None:
        self._counters: dict[int, TokenCounter] = {}

    def get(self, task: Task, spec: TokenizerSpec) -> npt.NDArray[np.int64]:
        from costplan.tokens.count import TokenCounter
        from costplan.tokens.samples import subsample

        if task.prompt.tokens is not None:
            return np.array([task.prompt.tokens], dtype=np.int64)
        counter = self._counters.get(task.index)
        if counter is None:
            # A seeded subsample keeps estimates deterministic for large corpora.
            counter = TokenCounter(subsample(task.prompt.texts, task.prompt.max_samples))
            self._counters[task.index] = counter
        return np.asarray(counter.counts(spec), dtype=np.int64)


def _check_references(workload: Workload, sheet: PriceSheet) -> None:
    doc = workload.doc
    known = list(sheet.models)

    def err(message: str, key: tuple[str | int, ...], value: str) -> InputError:
        hint = did_you_mean(value, known)
        where = ", ".join(str(p) for p in sheet.paths) or "the price sheet"
        msg = f"{message} (not in {where})"
        if doc is not None:
            return doc.error(msg, key, value, hint=hint)
        return InputError(msg, key=key, value=value, hint=hint)

    for task_name, per_model in workload.quality.items():
        for model in per_model:
            if model not in sheet.models:
                raise err(
                    "unknown model in the quality table", ("quality", task_name, model), model
                )
    for t in workload.tasks:
        for j, model in enumerate(t.allow or ()):
            if model not in sheet.models:
                raise err("unknown model in 'allow'", ("tasks", t.index, "allow", j), model)


def _exclusion(task: Task, model: ModelPrice, prompt_p95: int) -> str | None:
    output, reasoning = task.output_for(model.name), task.reasoning_for(model.name)
    needed = prompt_p95 + task.shared_prefix_tokens + output.p95_tokens + reasoning
    if model.context_window is not None and needed > model.context_window:
        return (
            f"context window exceeded: p95 request needs {needed:,} tokens, "
            f"{model.name} takes {model.context_window:,}"
        )
    out = output.p95_tokens + reasoning
    if model.max_output_tokens is not None and out > model.max_output_tokens:
        return (
            f"max output exceeded: p95 output needs {out:,} tokens, "
            f"{model.name} allows {model.max_output_tokens:,}"
        )
    return None


def build_options(
    workload: Workload,
    sheet: PriceSheet,
    *,
    quality_override: Mapping[str, Mapping[str, Decimal]] | None = None,
) -> OptionTable:
    """Build the option table; raises InputError for unknown model references."""
    _check_references(workload, sheet)
    sheet = in_region(sheet, workload.region)
    builder = _Builder(workload, sheet)
    quality = quality_override or workload.quality
    options: list[Option] = []
    for task in workload.tasks:
        scores = quality.get(task.name, {})
        stats = {} if quality_override else workload.quality_stats.get(task.name, {})
        for model_name in scores:
            if task.allow is None or model_name in task.allow:
                stat = stats.get(model_name)
                se = None if stat is None else standard_error(
                    scores[model_name], stat.n, stat.stderr
                )  # fmt: skip
                options.extend(builder.model_options(task, model_name, scores[model_name], se))
    for task in workload.tasks:
        for j, cascade in enumerate(task.cascades):
            options.append(_cascade_option(builder, task, j, cascade, options))
    return OptionTable(workload=workload, sheet=sheet, options=tuple(options))


@dataclass(frozen=True)
class _Extra:
    """An option's fields beyond its price (set once, when the option is built)."""

    excluded: str | None = None
    latency: LatencyMs | None = None
    tokens_estimated: bool = False
    tokenizer: str = ""
    detail: str = ""
    quality_se: float | None = None


class _Builder:
    """Prices (task, model, mode) options; prompt tokens are measured once per tokenizer."""

    def __init__(self, workload: Workload, sheet: PriceSheet) -> None:
        self.workload = workload
        self.sheet = sheet
        self.prompts = _PromptTokens()

    def model_options(
        self, task: Task, model_name: str, quality: Decimal, quality_se: float | None = None
    ) -> list[Option]:
        """One option per serving mode the task's latency allows and the model offers."""
        model = self.sheet.models[model_name]
        spec = tokenizer_for(model)
        tokens = self.prompts.get(task, spec)
        # p95 by rank ("higher"); one sample (a fixed token count) is its own p95.
        p95 = int(tokens[0]) if len(tokens) == 1 else int(
            np.percentile(tokens, 95, method="higher")
        )  # fmt: skip
        excluded = _exclusion(task, model, p95) or not_offered(model, self.workload.region)
        standard_cost = None
        out: list[Option] = []
        for mode in model.available_modes():
            if mode not in _LATENCY_MODES[task.latency]:
                continue
            schedule = model.schedule(mode)
            latency = task.latency_for(model.name, mode) or model.latency_ms.get(mode)
            too_slow = slo_exclusion(
                task.max_latency_p95_ms, latency, option_label(model.name, "model", mode)
            )
            for cache, why_not, note in _cache_choices(task, model, schedule):
                extra = _Extra(
                    excluded=excluded or why_not or too_slow,
                    latency=latency,
                    tokens_estimated=spec.estimated and task.prompt.measured,
                    tokenizer=spec.label,
                    detail=note,
                    quality_se=quality_se,
                )
                option = self._option(task, model, mode, cache, tokens, p95, quality, extra)
                if mode == "standard" and cache == "":
                    standard_cost = option.cost_pusd
                out.append(self._measured(task, option, standard_cost))
        return out

    def _option(
        self,
        task: Task,
        model: ModelPrice,
        mode: str,
        cache: str,
        tokens: npt.NDArray[np.int64],
        p95: int,
        quality: Decimal,
        extra: _Extra | None = None,
    ) -> Option:
        """The option priced from tokens (mean over samples, and at p95 lengths)."""
        extra = extra or _Extra()
        schedule = model.schedule(mode)
        hit = task.cache.hit_rates.get(cache) if task.cache is not None else None
        prefix = task.shared_prefix_tokens
        # The model's own measured profile where given (else the task's values).
        output, reasoning = task.output_for(model.name), task.reasoning_for(model.name)
        each, denominator = sample_costs_pusd(
            schedule, tokens, output.mean_tokens, reasoning, prefix, cache, hit
        )
        total = Fraction(sum(each), denominator)
        if len(tokens) == 1 and output.p95_tokens == output.mean_tokens:
            total_p95 = total  # the one sample at its own p95 lengths: the same request
        else:
            total_p95 = expected_cost_pusd(
                schedule, np.array([p95], np.int64), output.p95_tokens, reasoning, prefix,
                cache, hit,
            )  # fmt: skip
        cost = _ceil(total / len(tokens))  # ceil: never under-estimate spend
        sd = 0 if len(tokens) == 1 else ceil_sqrt(plug_in_variance(each, denominator))
        prompt_mean = float(tokens[0]) if len(tokens) == 1 else float(tokens.mean())
        return Option(
            task=task.name,
            model=model.name,
            provider=model.provider,
            mode=mode,
            quality=quality,
            prompt_tokens_mean=prompt_mean,
            prompt_tokens_p95=p95,
            cached_tokens=task.shared_prefix_tokens,
            output_tokens=output.mean_tokens,
            output_tokens_p95=output.p95_tokens,
            reasoning_tokens=reasoning,
            tokens_estimated=extra.tokens_estimated,
            tokenizer=extra.tokenizer,
            cost_pusd=cost,
            cost_p95_pusd=_ceil(total_p95),
            cost_sd_pusd=sd,
            samples=len(tokens),
            components=(
                Component(
                    model=model.name,
                    provider=model.provider,
                    reach=Decimal(1),
                    cost_pusd=cost,
                    tokens_per_query=math.ceil(prompt_mean)
                    + task.shared_prefix_tokens
                    + output.mean_tokens
                    + reasoning,
                ),
            ),
            cache=cache,
            excluded=extra.excluded,
            latency=extra.latency,
            detail=extra.detail,
            quality_se=extra.quality_se,
        )

    def _measured(self, task: Task, o: Option, standard_cost: int | None) -> Option:
        """``o`` with the workload's measured cost, when it has one (else unchanged).

        The standard mode takes the measured cost; other modes scale it by their
        token-price ratio (rounded up); with free tokens there is no ratio and the
        measured cost holds. The p95 cost scales with the same ratio.
        """
        measured = self.workload.measured_cost_usd.get(task.name, {}).get(o.model)
        if measured is None:
            return o
        try:
            measured_pusd = usd_to_pusd(measured)
        except PrecisionError as exc:
            raise InputError(
                str(exc),
                file=self.workload.path,
                key=("measured_cost_usd", task.name, o.model),
                value=measured,
            ) from None
        cost = o.cost_pusd
        if o.mode == "standard" or not standard_cost:
            scaled = measured_pusd
        else:
            scaled = -(-measured_pusd * cost // standard_cost)
        cost_p95 = -(-o.cost_p95_pusd * scaled // cost) if cost else scaled
        sd = -(-o.cost_sd_pusd * scaled // cost) if cost else 0
        component = dataclasses.replace(o.components[0], cost_pusd=scaled)
        return dataclasses.replace(
            o, cost_pusd=scaled, cost_p95_pusd=cost_p95, cost_source="measured",
            components=(component,), cost_sd_pusd=sd,
        )  # fmt: skip


def _cache_choices(
    task: Task, model: ModelPrice, schedule: PriceSchedule
) -> list[tuple[str, str | None, str]]:
    """(cache choice, why it is excluded or None, detail) for one model and mode.

    Without a policy: ``""`` (the prefix read on every query). A prefix below the
    model's minimum cacheable length: ``none`` only. Otherwise the policy's choices;
    a fixed TTL the schedule does not offer is excluded with the reason.
    """
    if task.cache is None:
        return [("", None, "")]
    minimum = min_cacheable_tokens(model)
    if task.shared_prefix_tokens < minimum:
        note = (
            f"prefix of {task.shared_prefix_tokens:,} tokens is below {model.name}'s minimum "
            f"cacheable {minimum:,}: never cached"
        )
        return [(NO_CACHE, None, note)]
    offered = ttls_offered(schedule)
    out: list[tuple[str, str | None, str]] = []
    for choice in task.cache.choices():
        if choice == NO_CACHE or choice in offered:
            out.append((choice, None, ""))
        elif task.cache.ttl == choice:  # a fixed TTL: say why it cannot be used
            out.append((choice, f"{model.name} has no 1-hour cache write price", ""))
    return out


def _ceil(x: Fraction) -> int:
    return -(-x.numerator // x.denominator)


def _cascade_option(
    builder: _Builder,
    task: Task,
    j: int,
    cascade: Cascade,
    singles: Sequence[Option],
) -> Option:
    """A cascade as one option: expected cost = sum over steps of reach x step cost.

    Step costs are the task's plain options for those models in the cascade's mode,
    so a cascade is priced by exactly the same arithmetic as a single model.
    """
    workload, sheet = builder.workload, builder.sheet
    key: tuple[str | int, ...] = ("tasks", task.index, "cascades", j, "steps")
    for k, model in enumerate(cascade.steps):
        if model not in sheet.models:
            where = ", ".join(str(p) for p in sheet.paths) or "the price sheet"
            message = f"unknown model in a cascade (not in {where})"
            hint = did_you_mean(model, sheet.models)
            if workload.doc is not None:
                raise workload.doc.error(message, (*key, k), model, hint=hint)
            raise InputError(message, key=(*key, k), value=model, hint=hint)

    def step_of(candidates: Sequence[Option], model: str) -> Option | None:
        # A step is the model's option in the cascade's mode; with a cache policy, its
        # cheapest usable cache choice (ties in choice order).
        mine = [o for o in candidates if o.model == model and o.mode == cascade.mode]
        return min(mine, key=lambda o: (o.excluded is not None, o.cost_pusd), default=None)

    singles_here = [o for o in singles if o.task == task.name and o.kind == "model"]
    reach = cascade.reach()
    steps: list[Option] = []
    excluded: str | None = None
    for model in cascade.steps:
        step = step_of(singles_here, model) or step_of(
            builder.model_options(task, model, Decimal(0)), model
        )
        if step is None:
            excluded = f"{model} has no {cascade.mode} price or is not allowed for {task.latency}"
            break
        if step.excluded and excluded is None:
            excluded = f"step {model}: {step.excluded}"
        steps.append(step)
    components = tuple(
        Component(o.model, o.provider, r, o.cost_pusd, o.components[0].tokens_per_query)
        for o, r in zip(steps, reach, strict=False)
    )
    cost = _ceil_decimal(sum((c.reach * c.cost_pusd for c in components), Decimal(0)))
    cost_p95 = _ceil_decimal(
        sum((r * o.cost_p95_pusd for o, r in zip(steps, reach, strict=False)), Decimal(0))
    )
    cost_sd = _ceil_decimal(
        sum((r * o.cost_sd_pusd for o, r in zip(steps, reach, strict=False)), Decimal(0))
    )
    first = steps[0] if steps else None
    latency = cascade_latency([o.latency for o in steps]) if excluded is None else None
    if excluded is None:
        excluded = slo_exclusion(task.max_latency_p95_ms, latency, f"cascade {cascade.name}")
    rates = ", ".join(f"{(r * 100).normalize():f}%" for r in cascade.escalate)
    return Option(
        task=task.name,
        model=cascade.name,
        provider="+".join(dict.fromkeys(c.provider for c in components)) or "?",
        mode=cascade.mode,
        quality=cascade.quality,
        prompt_tokens_mean=first.prompt_tokens_mean if first else 0.0,
        prompt_tokens_p95=first.prompt_tokens_p95 if first else 0,
        cached_tokens=task.shared_prefix_tokens,
        output_tokens=task.output.mean_tokens,
        output_tokens_p95=task.output.p95_tokens,
        reasoning_tokens=task.reasoning_tokens,
        tokens_estimated=any(o.tokens_estimated for o in steps),
        tokenizer="; ".join(dict.fromkeys(o.tokenizer for o in steps)),
        cost_pusd=cost,
        cost_p95_pusd=cost_p95,
        cost_sd_pusd=cost_sd,
        samples=first.samples if first else 1,
        cost_source="cascade",
        excluded=excluded,
        kind="cascade",
        latency=latency,
        components=components,
        detail=" -> ".join(cascade.steps) + f" (escalating {rates})",
    )


def _ceil_decimal(value: Decimal) -> int:
    return int(value.to_integral_value(rounding="ROUND_CEILING"))
