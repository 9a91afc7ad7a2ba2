"""The option table's types: one priced option, its models, and the table of them.

Contract: plain frozen data. :class:`Option` is one (task x model x serving mode x
cache choice) with its exact cost in pico-dollars and its quality (each field as
described in :mod:`costplan.options`); :class:`Component` is one model inside an
option; :class:`OptionTable` holds every option in workload order and answers
"the options of this task". :func:`option_label` names an option for people. Nothing
here prices anything: :mod:`costplan.option_pricing` and :mod:`costplan.cascade_option`
build the options, :func:`costplan.options.build_options` the table.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from costplan.latency import LatencyMs
from costplan.money import quality_to_micro
from costplan.pricing.caching import NO_CACHE
from costplan.pricing.model import PriceSheet
from costplan.workload.model import Workload

__all__ = ["Component", "Option", "OptionTable", "option_label"]


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
