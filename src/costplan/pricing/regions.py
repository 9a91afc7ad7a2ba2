"""Regional and data-residency uplifts: a price-sheet modifier chosen by the workload.

A sheet model may list the regions it is served in, each with an uplift::

    regions: {eu: {uplift_pct: 10}, us: {uplift_pct: 0}}

A workload with ``region: eu`` is priced, for every model listing ``eu``, at every
per-token rate of every mode and tier times ``(100 + uplift_pct) / 100``,
rounded **up** to 1e-6 USD per million tokens, and every per-request fee times the
same factor rounded up to a pico-dollar (the user's disfavour, as every derived
price). A model that lists regions but not ``eu`` is excluded ("not offered in
region eu"); a model that lists none is taken as served everywhere at its list
price. genai-prices' regional routes (``route: mistral/eu`` price variants) are
imported as such uplifts where every rate is the same multiple of the standard.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from costplan.money import amount_up, price_up
from costplan.pricing.model import RATE_FIELDS, ModelPrice, PriceSheet, Rates

_HUNDRED = Decimal(100)


def not_offered(model: ModelPrice, region: str | None) -> str | None:
    """Why ``model`` cannot serve ``region``, or None."""
    if region is None or not model.regions or region in model.regions:
        return None
    offered = ", ".join(sorted(model.regions))
    return f"{model.name} is not offered in region {region} (only {offered})"


def uplifted(model: ModelPrice, pct: Decimal) -> ModelPrice:
    """``model`` with every rate and fee raised by ``pct`` percent, rounded up."""
    if pct == 0:
        return model
    factor = (_HUNDRED + pct) / _HUNDRED

    def up(r: Rates) -> Rates:
        rates = {f: price_up(v * factor) for f in RATE_FIELDS if (v := getattr(r, f)) is not None}
        return dataclasses.replace(r, **rates, request_usd=amount_up(r.request_usd * factor))

    return dataclasses.replace(
        model,
        standard=model.standard.map_rates(up),
        modes={mode: s.map_rates(up) for mode, s in model.modes.items()},
    )


def in_region(sheet: PriceSheet, region: str | None) -> PriceSheet:
    """``sheet`` as billed in ``region`` (unchanged for None)."""
    if region is None:
        return sheet
    models = {
        name: uplifted(m, m.regions[region]) if region in m.regions else m
        for name, m in sheet.models.items()
    }
    return dataclasses.replace(sheet, models=models)
