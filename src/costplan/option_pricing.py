"""Pricing one model for one task: its options per serving mode and cache choice.

Contract: :class:`_Builder` turns (task, model, quality) into one :class:`Option` per
serving mode the task's latency allows and the model's price sheet offers, and per cache
choice of the task's cache policy. Costs are exact pico-dollar ints: the mean over the
prompt samples rounded **up**, the p95-length cost, the spread ``ceil(sqrt(variance))``,
or the workload's measured cost (scaled to other modes by the token-price ratio, rounded
up). Options that cannot be used carry the reason in ``excluded`` (context window, max
output, region, cache TTL, latency SLO) rather than being dropped. Prompt tokens are
counted once per task and tokenizer. :func:`tokenizer_for` picks a model's tokenizer.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from costplan.errors import InputError
from costplan.latency import LatencyMs, slo_exclusion
from costplan.money import PrecisionError, usd_to_pusd
from costplan.option_table import Component, Option, option_label
from costplan.pricing.caching import (
    NO_CACHE,
    expected_cost_pusd,
    min_cacheable_tokens,
    sample_costs_pusd,
    ttls_offered,
)
from costplan.pricing.model import ModelPrice, PriceSchedule, PriceSheet
from costplan.pricing.regions import not_offered
from costplan.risk.moments import ceil_sqrt, plug_in_variance
from costplan.tokens.tokenizer import TokenizerSpec, parse_tokenizer
from costplan.workload.model import Task, Workload

if TYPE_CHECKING:
    from costplan.tokens.count import TokenCounter

__all__ = ["tokenizer_for"]

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
