"""Exact money: one unit convention for the whole package.

* At the boundary prices are :class:`~decimal.Decimal` in USD per million tokens
  (``*_usd_per_mtok``) and amounts are Decimal USD (``*_usd``).
* Inside, money is an integer number of **pico-dollars** (1e-12 USD, names end
  in ``_pusd``). A price of ``p`` USD per million tokens is exactly
  ``p * 1e6`` pico-dollars per token, so prices with at most 6 decimals (every
  public price list) are integers per token, and any token count times a price
  is an exact integer: costs never drift, whatever the volume.
* Decimal USD is recovered exactly as ``pusd / 1e12``.
* Quality is an integer number of **micro-units** (``QUALITY_SCALE`` per 1.0).

Rounding is always in the user's disfavour (README, "Money is exact"): derived
prices and costs round **up**, budgets **down**, qualities **down** and quality
floors **up**, so that a plan never looks cheaper or better than it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

PUSD_PER_USD = 10**12
PUSD_PER_TOKEN_PER_USD_PER_MTOK = 10**6
CENT = Decimal("0.01")
QUALITY_SCALE = 10**6  # quality in the solvers: integer micro-units
#: Exact unit of a price in USD per million tokens (one pico-dollar per token).
PRICE_QUANTUM = Decimal("0.000001")
#: Exact unit of an amount in USD (one pico-dollar).
PUSD_QUANTUM = Decimal("1e-12")


class PrecisionError(ValueError):
    """A price or amount finer than the package's exact unit."""


def price_to_pusd_per_token(usd_per_mtok: Decimal) -> int:
    """Exact pico-dollars per token for a USD-per-million-tokens price.

    Raises :class:`PrecisionError` when the price has more than 6 decimals.
    """
    scaled = usd_per_mtok * PUSD_PER_TOKEN_PER_USD_PER_MTOK
    if scaled != scaled.to_integral_value():
        raise PrecisionError(
            f"price {usd_per_mtok} USD per million tokens has more than 6 decimals"
        )
    return int(scaled)


def usd_to_pusd(usd: Decimal) -> int:
    """Exact pico-dollars for a USD amount with at most 12 decimals."""
    scaled = usd * PUSD_PER_USD
    if scaled != scaled.to_integral_value():
        raise PrecisionError(f"amount {usd} USD is finer than 1e-12 USD")
    return int(scaled)


def price_up(usd_per_mtok: Decimal) -> Decimal:
    """A derived price (discount, exchange rate, what-if) rounded **up** to 1e-6 USD/Mtok."""
    return usd_per_mtok.quantize(PRICE_QUANTUM, rounding=ROUND_CEILING)


def amount_up(usd: Decimal) -> Decimal:
    """A derived amount in USD (a converted or changed request fee) rounded **up** to 1e-12."""
    return usd.quantize(PUSD_QUANTUM, rounding=ROUND_CEILING)


def quality_to_micro(q: Decimal) -> int:
    """A quality in micro-units, rounded **down**: 0.7999995 counts as 0.799999."""
    return int((q * QUALITY_SCALE).to_integral_value(rounding=ROUND_FLOOR))


def floor_to_micro(q: Decimal) -> int:
    """A quality floor in micro-units, rounded **up**: a floor of 0.8000005 needs 0.800001."""
    return int((q * QUALITY_SCALE).to_integral_value(rounding=ROUND_CEILING))


def budget_to_pusd(usd: Decimal) -> int:
    """A budget in pico-dollars, rounded down (a budget is a ceiling)."""
    return int((usd * PUSD_PER_USD).to_integral_value(rounding=ROUND_FLOOR))


def pusd_to_usd(pusd: int) -> Decimal:
    """Exact USD for an integer pico-dollar amount."""
    return (Decimal(pusd) / PUSD_PER_USD).normalize() if pusd else Decimal(0)


def usd_str(pusd: int) -> str:
    """Exact USD amount as a plain decimal string (for plan files), e.g. ``'0.000829'``."""
    sign = "-" if pusd < 0 else ""
    whole, frac = divmod(abs(pusd), PUSD_PER_USD)
    return sign + f"{whole}.{frac:012d}".rstrip("0").rstrip(".")


def cents(values: Sequence[Decimal]) -> list[Decimal]:
    """Round amounts to cents so that the rounded rows sum to the rounded total.

    Largest-remainder rounding: each value is floored to a cent, and the cents
    still missing to reach ``round(sum(values), 2)`` go to the rows with the
    largest remainders (ties to the earlier row). Reports use this so that a
    total always equals the sum of its printed rows.
    """
    if not values:
        return []
    total = sum(values, Decimal(0)).quantize(CENT, rounding=ROUND_HALF_EVEN)
    floors = [v.quantize(CENT, rounding=ROUND_FLOOR) for v in values]
    missing = int((total - sum(floors, Decimal(0))) / CENT)
    order = sorted(range(len(values)), key=lambda i: (-(values[i] - floors[i]), i))
    out = list(floors)
    if missing >= 0:
        for i in order[:missing]:
            out[i] += CENT
    else:  # only possible with negative values; take cents back from the smallest remainders
        for i in order[::-1][:-missing]:
            out[i] -= CENT
    return out


def fmt_usd(value: Decimal, *, places: int = 2) -> str:
    """``$12,345.68`` style, for people (never for plan files)."""
    q = Decimal(1).scaleb(-places)
    v = value.quantize(q, rounding=ROUND_HALF_EVEN)
    sign = "-" if v < 0 else ""
    return f"{sign}${abs(v):,.{places}f}"


def fmt_usd_sig(value: Decimal, *, digits: int = 4) -> str:
    """``fmt_usd`` with the places the amount needs: cents from $1 up (``$976.33``),
    else ``digits`` significant digits (``$0.00003325``, ``$0.4882``), at most 12
    places (a pico-dollar); zero is ``$0.00``. For people: never ``$0.00`` for a
    non-zero amount, and never a cell cut to ``$0.0…``."""
    if value == 0 or abs(value) >= 1:
        return fmt_usd(value)
    exponent = value.copy_abs().adjusted()  # floor(log10(|value|)), exactly
    return fmt_usd(value, places=min(12, max(2, digits - 1 - exponent)))


def _fmt_rounded(pusd: int, places: int, rounding: str) -> str:
    value = (Decimal(pusd) / PUSD_PER_USD).quantize(Decimal(1).scaleb(-places), rounding=rounding)
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.{places}f}"


def fmt_over_budget(cost_pusd: int, budget_pusd: int) -> tuple[str, str, str]:
    """``(cost, budget, shortfall)`` for a message that a cost exceeds a budget.

    Shown with enough decimals that the shortfall is not zero and the budget
    is exact (cents at least, pico-dollars at most), each rounded in the user's
    disfavour: the cost and the shortfall up, the budget down. So the message
    never reads "costs $0.52; budget is $0.52; raise the budget by $0.00", and
    raising the budget by the shortfall shown is always enough.
    """
    short = max(cost_pusd - budget_pusd, 0)
    places = 2
    while places < 12 and (short < 10 ** (12 - places) or budget_pusd % 10 ** (12 - places)):
        places += 1
    return (
        _fmt_rounded(cost_pusd, places, ROUND_CEILING),
        _fmt_rounded(budget_pusd, places, ROUND_FLOOR),
        _fmt_rounded(short, places, ROUND_CEILING),
    )
