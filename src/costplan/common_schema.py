"""Schema pieces that the workload and the price-sheet formats share.

Both formats may state a latency; one definition keeps their JSON Schemas and their
error messages the same.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from costplan.validation import WholeNumber


class LatencyIn(BaseModel):
    """Median and p95 latency of one request, in whole milliseconds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    p50: Annotated[int, Field(ge=0, le=10**9), WholeNumber]
    p95: Annotated[int, Field(ge=0, le=10**9), WholeNumber]

    @model_validator(mode="after")
    def _ordered(self) -> LatencyIn:
        if self.p95 < self.p50:
            raise ValueError("latency p95 must be >= its p50")
        return self
