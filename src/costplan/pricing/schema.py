"""Pydantic schema of a price sheet file (validation at the boundary only).

See ``costplan schema prices`` for the JSON Schema. All money fields end in
their unit: ``*_usd_per_mtok`` (USD per million tokens) or ``*_usd``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from costplan.common_schema import LatencyIn
from costplan.validation import DecimalNumber, WholeNumber

Price = Annotated[Decimal, Field(ge=0, allow_inf_nan=False, max_digits=None), DecimalNumber]
PositiveInt = Annotated[int, Field(gt=0, le=10**12), WholeNumber]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RatesIn(_Strict):
    input_usd_per_mtok: Price
    output_usd_per_mtok: Price
    cache_read_usd_per_mtok: Price | None = None
    cache_write_usd_per_mtok: Price | None = None
    cache_write_1h_usd_per_mtok: Price | None = None
    reasoning_usd_per_mtok: Price | None = None
    request_usd: Price | None = None


class TierIn(RatesIn):
    above_input_tokens: PositiveInt


Discount = Annotated[Decimal, Field(gt=0, lt=1, allow_inf_nan=False), DecimalNumber]
Rate = Annotated[Decimal, Field(gt=0, allow_inf_nan=False), DecimalNumber]


class ModeIn(_Strict):
    """A serving mode (batch, flex, priority): full rates, or a discount off standard."""

    discount: Discount | None = None
    input_usd_per_mtok: Price | None = None
    output_usd_per_mtok: Price | None = None
    cache_read_usd_per_mtok: Price | None = None
    cache_write_usd_per_mtok: Price | None = None
    cache_write_1h_usd_per_mtok: Price | None = None
    reasoning_usd_per_mtok: Price | None = None
    request_usd: Price | None = None
    tiers: list[TierIn] = []
    latency_ms: LatencyIn | None = Field(
        default=None, description="typical latency in this mode: {p50, p95} milliseconds"
    )

    @model_validator(mode="after")
    def _discount_or_rates(self) -> ModeIn:
        has_rates = self.input_usd_per_mtok is not None or self.output_usd_per_mtok is not None
        if self.discount is not None and has_rates:
            raise ValueError("give either 'discount' or prices, not both")
        if self.discount is None and (
            self.input_usd_per_mtok is None or self.output_usd_per_mtok is None
        ):
            raise ValueError(
                "a mode needs 'discount' or both input_usd_per_mtok and output_usd_per_mtok"
            )
        return self


class LimitsIn(_Strict):
    tokens_per_minute: PositiveInt | None = None
    requests_per_minute: PositiveInt | None = None


Uplift = Annotated[Decimal, Field(ge=0, le=1000, allow_inf_nan=False), DecimalNumber]


class RegionIn(_Strict):
    """Serving in a region (data residency): every price raised by ``uplift_pct`` percent."""

    uplift_pct: Uplift = Decimal(0)


class ModelIn(RatesIn):
    provider: Annotated[str, Field(min_length=1)]
    tiers: list[TierIn] = []
    batch: ModeIn | None = None
    flex: ModeIn | None = None
    priority: ModeIn | None = None
    context_window: PositiveInt | None = None
    max_output_tokens: PositiveInt | None = None
    tokenizer: str | dict[str, Any] | None = None
    limits: LimitsIn | None = None
    min_cacheable_tokens: Annotated[int, Field(ge=0, le=10**8), WholeNumber] | None = Field(
        default=None,
        description="shortest prefix the provider caches, in tokens (default by provider)",
    )
    latency_ms: LatencyIn | None = Field(
        default=None, description="typical standard-mode latency: {p50, p95} milliseconds"
    )
    regions: dict[Annotated[str, Field(min_length=1)], RegionIn] = Field(
        default={},
        description="regions the model is served in, each with its uplift: {eu: {uplift_pct: 10}}",
    )
    aliases: list[Annotated[str, Field(min_length=1)]] = Field(
        default=[], description="other exact names of this model (dated ids, alias_of entries)"
    )
    alias_prefixes: list[Annotated[str, Field(min_length=1)]] = Field(
        default=[], description="names starting with one of these mean this model"
    )


class PriceSheetIn(_Strict):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_: str | None = Field(default=None, alias="$schema")
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    usd_per_unit: Rate | None = Field(
        default=None, description="exchange rate: USD per one unit of `currency`"
    )
    as_of: date | None = None
    source: str | None = None
    models: dict[str, ModelIn]

    @field_validator("currency", mode="before")
    @classmethod
    def _iso_code(cls, v: Any) -> Any:
        """Plain messages before the pattern's regex one."""
        if not isinstance(v, str):
            return v
        if not (len(v) == 3 and v.isascii() and v.isalpha()):
            raise ValueError("currency must be a three-letter ISO 4217 code, e.g. USD or EUR")
        if not v.isupper():
            raise ValueError(f"currency codes are written in capitals: {v.upper()!r}")
        return v

    @field_validator("models")
    @classmethod
    def _nonempty(cls, v: dict[str, ModelIn]) -> dict[str, ModelIn]:
        if not v:
            raise ValueError("a price sheet needs at least one model")
        return v
