"""Price model: frozen dataclasses, all prices exact Decimal USD per million tokens.

A model has a *standard* price schedule and optional named *modes* (``batch``,
``flex``, ``priority``). A schedule is base rates plus long-context tiers: when a
request's input tokens (uncached + cached) exceed a tier's ``above_input_tokens``
threshold the **whole request** is billed at that tier's rates (the rule LiteLLM
and genai-prices use); the highest threshold exceeded wins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from costplan.latency import LatencyMs
from costplan.pricing.names import AliasIndex
from costplan.tokens.tokenizer import TokenizerSpec

MODES = ("standard", "batch", "flex", "priority")


@dataclass(frozen=True)
class Rates:
    """Per-token rates in USD per million tokens, plus a per-request fee in USD.

    ``cache_read`` absent: cached input is billed at the input rate.
    ``reasoning`` absent: reasoning tokens are billed at the output rate.
    """

    input_usd_per_mtok: Decimal
    output_usd_per_mtok: Decimal
    cache_read_usd_per_mtok: Decimal | None = None
    cache_write_usd_per_mtok: Decimal | None = None
    cache_write_1h_usd_per_mtok: Decimal | None = None
    reasoning_usd_per_mtok: Decimal | None = None
    request_usd: Decimal = Decimal(0)

    def effective_cache_read(self) -> Decimal:
        return (
            self.cache_read_usd_per_mtok
            if self.cache_read_usd_per_mtok is not None
            else self.input_usd_per_mtok
        )

    def effective_reasoning(self) -> Decimal:
        return (
            self.reasoning_usd_per_mtok
            if self.reasoning_usd_per_mtok is not None
            else self.output_usd_per_mtok
        )


#: The per-token rate fields of :class:`Rates` (USD per million tokens), in file order.
RATE_FIELDS = (
    "input_usd_per_mtok",
    "output_usd_per_mtok",
    "cache_read_usd_per_mtok",
    "cache_write_usd_per_mtok",
    "cache_write_1h_usd_per_mtok",
    "reasoning_usd_per_mtok",
)


@dataclass(frozen=True)
class Tier:
    """Rates for requests whose input exceeds ``above_input_tokens``."""

    above_input_tokens: int
    rates: Rates


@dataclass(frozen=True)
class PriceSchedule:
    """Base rates and long-context tiers (sorted by ascending threshold)."""

    base: Rates
    tiers: tuple[Tier, ...] = ()

    def map_rates(self, f: Callable[[Rates], Rates]) -> PriceSchedule:
        """This schedule with ``f`` applied to the base rates and every tier's."""
        return PriceSchedule(
            base=f(self.base),
            tiers=tuple(Tier(t.above_input_tokens, f(t.rates)) for t in self.tiers),
        )


@dataclass(frozen=True)
class Limits:
    """Provider limits for a model (per minute), when known."""

    tokens_per_minute: int | None = None
    requests_per_minute: int | None = None


@dataclass(frozen=True)
class ModelPrice:
    """One model of a price sheet."""

    name: str
    provider: str
    standard: PriceSchedule
    modes: Mapping[str, PriceSchedule] = field(default_factory=dict)
    context_window: int | None = None
    max_output_tokens: int | None = None
    tokenizer: TokenizerSpec | None = None
    limits: Limits = Limits()
    #: Shortest prefix the provider caches (tokens); None: the documented default
    #: (:func:`costplan.pricing.caching.min_cacheable_tokens`).
    min_cacheable_tokens: int | None = None
    #: Other exact names of this model (dated ids, LiteLLM ``alias_of`` entries).
    aliases: tuple[str, ...] = ()
    #: Name prefixes that mean this model (genai-prices ``starts_with`` matchers).
    alias_prefixes: tuple[str, ...] = ()
    #: Typical latency by mode (``latency_ms`` keys); a task profile's own wins.
    latency_ms: Mapping[str, LatencyMs] = field(default_factory=dict)
    #: Regions it is served in -> uplift in percent (``costplan.pricing.regions``).
    regions: Mapping[str, Decimal] = field(default_factory=dict)

    def schedule(self, mode: str) -> PriceSchedule:
        return self.standard if mode == "standard" else self.modes[mode]

    def available_modes(self) -> tuple[str, ...]:
        return ("standard", *(m for m in MODES[1:] if m in self.modes))


class ModelTable(Mapping[str, ModelPrice]):
    """A sheet's models by canonical name; a lookup also resolves aliases.

    Iteration and ``len`` see canonical names only. ``table[name]`` for a name
    that is not a model's but resolves by alias or as a variant ``BASE@LEVEL``
    (:func:`costplan.pricing.names.resolve_name`) returns that model under the
    name asked for (so a workload's name stays its name in plans and reports).
    """

    def __init__(self, models: Mapping[str, ModelPrice]) -> None:
        self._models = dict(models)
        self._index = AliasIndex(
            (n, m.aliases, m.alias_prefixes) for n, m in self._models.items()
        )

    def canonical(self, name: str) -> str | None:
        """The canonical model name ``name`` means, or None."""
        return name if name in self._models else self._index.canonical(name, self._models)

    def __getitem__(self, name: str) -> ModelPrice:
        if name in self._models:
            return self._models[name]
        target = self._index.canonical(name, self._models) if isinstance(name, str) else None
        if target is None:
            raise KeyError(name)
        return replace(self._models[target], name=name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._models)

    def __len__(self) -> int:
        return len(self._models)

    def __repr__(self) -> str:
        return f"ModelTable({self._models!r})"


@dataclass(frozen=True)
class PriceSheet:
    """Models by name, with provenance. Prices are already converted to USD."""

    models: Mapping[str, ModelPrice]
    currency: str = "USD"
    as_of: date | None = None
    source: str | None = None
    paths: tuple[Path, ...] = ()
    sha256: Mapping[str, str] = field(default_factory=dict)
    #: What-if changes applied to the files' prices, in order (``--price-change`` texts).
    changes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.models, ModelTable):
            object.__setattr__(self, "models", ModelTable(self.models))

    def canonical(self, name: str) -> str | None:
        """The canonical model name ``name`` means here (itself, or by alias), or None."""
        models = self.models
        assert isinstance(models, ModelTable)
        return models.canonical(name)

    def merged_with(self, other: PriceSheet) -> PriceSheet:
        """Both sheets' models; a model in both is taken from ``other``."""
        as_of = max((d for d in (self.as_of, other.as_of) if d is not None), default=None)
        sources = [s for s in (self.source, other.source) if s]
        return PriceSheet(
            models={**self.models, **other.models},
            currency="USD",
            as_of=as_of,
            source="; ".join(dict.fromkeys(sources)) or None,
            paths=(*self.paths, *other.paths),
            sha256={**self.sha256, **other.sha256},
        )
