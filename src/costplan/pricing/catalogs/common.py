"""What every catalog importer shares: selection, exact prices, findings, tokenizers.

Contract of an importer (``import_*`` functions in the sibling modules):

* it reads a public price catalog **offline** (a file, or the data bundled in
  an installed package) and returns an :class:`ImportResult`: the models it
  could price faithfully, as costplan :class:`~costplan.pricing.model.ModelPrice`
  objects, plus a :class:`Finding` for every model it skipped and every part of a
  price it could not carry over (a "note");
* a model is never priced at zero because a price is missing, and never
  approximated silently: it is either exact (up to rounding to costplan's unit
  of 1e-6 USD per million tokens, reported as a ``rounded`` note) or skipped
  with the reason.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Literal

from costplan.money import price_up
from costplan.pricing.model import ModelPrice, PriceSheet, Rates
from costplan.tokens.tokenizer import TokenizerSpec, parse_tokenizer

#: costplan's price unit: USD per million tokens with at most 6 decimals.
#: Per-request fees are exact to the pico-dollar.
PICO = Decimal("1e-12")
TOKENS_PER_MTOK = 10**6

FindingKind = Literal["skipped", "note", "rounded"]


@dataclass(frozen=True)
class Finding:
    """Something a person should know about one catalog model.

    ``skipped``: the model is not in the sheet, ``reason`` says why.
    ``note``: the model is in the sheet, but part of its catalog price is not
    (a price for audio, a variant costplan has no mode for, ...).
    ``rounded``: a price had more than 6 decimals and was rounded.
    """

    kind: FindingKind
    provider: str
    model: str
    reason: str

    def line(self) -> str:
        """``skipped: MODEL (PROVIDER): REASON``."""
        return f"{self.kind}: {self.model} ({self.provider}): {self.reason}"


@dataclass(frozen=True)
class ImportResult:
    """Models priced from a catalog, and what could not be carried over."""

    models: Mapping[str, ModelPrice]
    as_of: date
    source: str
    findings: tuple[Finding, ...] = ()

    def sheet(self) -> PriceSheet:
        """The models as a price sheet, sorted by name."""
        return PriceSheet(
            models={name: self.models[name] for name in sorted(self.models)},
            currency="USD",
            as_of=self.as_of,
            source=self.source,
        )

    def of_kind(self, kind: FindingKind) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.kind == kind)


@dataclass(frozen=True)
class Selector:
    """Which catalog entries to import: fnmatch globs, case-insensitive.

    An entry is selected when its provider matches any ``providers`` pattern
    (or none is given) and its model id matches any ``models`` pattern (or none
    is given).
    """

    providers: tuple[str, ...] = ()
    models: tuple[str, ...] = ()

    def matches(self, provider: str, model: str) -> bool:
        return _any_match(provider, self.providers) and _any_match(model, self.models)


def _any_match(value: str, patterns: Sequence[str]) -> bool:
    low = value.lower()
    return not patterns or any(fnmatch.fnmatchcase(low, p.lower()) for p in patterns)


@dataclass
class Findings:
    """Collects findings while importing (mutable helper, not part of the result)."""

    items: list[Finding] = field(default_factory=list)

    def skip(self, provider: str, model: str, reason: str) -> None:
        self.items.append(Finding("skipped", provider, model, reason))

    def note(self, provider: str, model: str, reason: str) -> None:
        self.items.append(Finding("note", provider, model, reason))

    def rounded(self, provider: str, model: str, reason: str) -> None:
        self.items.append(Finding("rounded", provider, model, reason))


class Unrepresentable(Exception):
    """Raised inside an importer when a model cannot be priced faithfully."""


def to_decimal(raw: object) -> Decimal | None:
    """A catalog number as an exact Decimal (floats via ``repr``), or None.

    Strings are accepted (OpenRouter writes prices as strings); booleans, NaN
    and infinities are not numbers here.
    """
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        if isinstance(raw, Decimal):
            value = raw
        elif isinstance(raw, int):
            value = Decimal(raw)
        elif isinstance(raw, float):
            value = Decimal(repr(raw))
        elif isinstance(raw, str):
            value = Decimal(raw.strip())
        else:
            return None
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


@dataclass(frozen=True)
class Price:
    """A price in USD per million tokens, and whether rounding changed it."""

    value: Decimal
    original: Decimal

    @property
    def rounded(self) -> bool:
        return self.value != self.original


def per_mtok(usd_per_unit: Decimal, *, per: int = 1) -> Price:
    """USD per ``per`` tokens -> USD per million tokens, rounded **up** to 6 decimals
    only when it has more (a rounded price never understates cost). Raises
    :class:`Unrepresentable` if negative."""
    from costplan.pricing.load import MAX_PRICE_USD_PER_MTOK

    if usd_per_unit < 0:
        raise Unrepresentable(f"negative price {usd_per_unit}")
    exact = usd_per_unit * TOKENS_PER_MTOK / per
    if exact > MAX_PRICE_USD_PER_MTOK:
        # A price sheet would refuse it (see pricing/load.py): skip the model, say why.
        raise Unrepresentable(
            f"price {_plain(exact)} USD per million tokens is above costplan's limit of "
            f"{MAX_PRICE_USD_PER_MTOK} (per-token pricing of a non-token product?)"
        )
    return Price(_plain(price_up(exact)), exact)


def request_fee(usd: Decimal) -> Decimal:
    """A per-request fee in USD, which must be exact to the pico-dollar."""
    if usd < 0:
        raise Unrepresentable(f"negative per-request fee {usd}")
    if usd != usd.quantize(PICO):
        raise Unrepresentable(f"per-request fee {usd} USD is finer than 1e-12 USD")
    return _plain(usd)


def _plain(value: Decimal) -> Decimal:
    """Normalised without exponent surprises (``1E+1`` -> ``10``)."""
    if value == 0:
        return Decimal(0)
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    return normal.quantize(Decimal(1)) if isinstance(exponent, int) and exponent > 0 else normal


class RoundingLog:
    """Records rounded prices of one model, for a single ``rounded`` finding."""

    def __init__(self) -> None:
        self.changes: list[str] = []

    def take(self, price: Price, what: str) -> Decimal:
        if price.rounded:
            self.changes.append(f"{what} {price.original.normalize():f} -> {price.value:f}")
        return price.value

    def report(self, findings: Findings, provider: str, model: str) -> None:
        if self.changes:
            findings.rounded(
                provider,
                model,
                "rounded to 6 decimals (USD per million tokens): " + "; ".join(self.changes),
            )


# --- tokenizers --------------------------------------------------------------

# Model-id prefixes (after an optional "vendor/" or "vendor." part): o200k_base ids are
# checked first so that "gpt-4o" is never taken for the cl100k_base "gpt-4".
_O200K = re.compile(
    r"(?:^|[/.:])(?:chatgpt-4o|gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|gpt-6|gpt-oss|o1|o3|o4)(?:$|[-.:_/])"
)
_CL100K = re.compile(r"(?:^|[/.:])(?:gpt-4|gpt-3\.5|gpt-35)(?:$|[-.:_/])")
_FAMILY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("claude", ("claude",)),
    ("gemini", ("gemini",)),
    ("llama", ("llama",)),
    (
        "mistral",
        ("mistral", "mixtral", "codestral", "ministral", "magistral", "devstral", "pixtral"),
    ),
    ("qwen", ("qwen", "qwq")),
    ("deepseek", ("deepseek",)),
)
# First-party providers whose own catalog entries all use the family's tokenizer.
_PROVIDER_FAMILY = {
    "anthropic": "claude",
    "google": "gemini",
    "meta": "llama",
    "meta-llama": "llama",
    "mistral": "mistral",
    "mistralai": "mistral",
    "qwen": "qwen",
    "deepseek": "deepseek",
}


def tokenizer_for(provider: str, model_id: str) -> TokenizerSpec | None:
    """The tokenizer costplan should assume for a catalog model, or None.

    By the model id first (aggregators such as OpenRouter or Bedrock host many
    families): OpenAI's GPT-4o/4.1/4.5/5 and o-series ids -> ``o200k_base``,
    older GPT-4 / GPT-3.5 -> ``cl100k_base``; ids naming Claude, Gemini, Llama,
    Mistral, Qwen or DeepSeek -> that family's estimate. Otherwise by the
    first-party provider (anthropic -> claude, google -> gemini, meta -> llama,
    mistral -> mistral, qwen -> qwen, deepseek -> deepseek); otherwise None.
    """
    low = model_id.lower()
    if _O200K.search(low):
        return parse_tokenizer("o200k_base", file=None, key=None)
    if _CL100K.search(low):
        return parse_tokenizer("cl100k_base", file=None, key=None)
    for family, words in _FAMILY_WORDS:
        if any(w in low for w in words):
            return parse_tokenizer(family, file=None, key=None)
    family_name = _PROVIDER_FAMILY.get(provider.lower())
    return parse_tokenizer(family_name, file=None, key=None) if family_name else None


# --- building schedules ------------------------------------------------------


def make_rates(values: Mapping[str, Decimal], request_usd: Decimal = Decimal(0)) -> Rates:
    """:class:`Rates` from field -> price (input and output must be present)."""
    return Rates(
        input_usd_per_mtok=values["input_usd_per_mtok"],
        output_usd_per_mtok=values["output_usd_per_mtok"],
        cache_read_usd_per_mtok=values.get("cache_read_usd_per_mtok"),
        cache_write_usd_per_mtok=values.get("cache_write_usd_per_mtok"),
        cache_write_1h_usd_per_mtok=values.get("cache_write_1h_usd_per_mtok"),
        reasoning_usd_per_mtok=values.get("reasoning_usd_per_mtok"),
        request_usd=request_usd,
    )


def fit_context(
    context_window: int | None,
    max_output: int | None,
    findings: Findings,
    provider: str,
    model: str,
) -> tuple[int | None, int | None]:
    """Context window and max output as a price sheet accepts them (positive,
    output not above the window); what does not fit is dropped with a note."""
    ctx = context_window if isinstance(context_window, int) and context_window > 0 else None
    out = max_output if isinstance(max_output, int) and max_output > 0 else None
    if ctx is not None and out is not None and out > ctx:
        findings.note(
            provider,
            model,
            f"max output tokens {out} exceed the context window {ctx}: max_output_tokens left out",
        )
        out = None
    return ctx, out


# --- names -----------------------------------------------------------------------


def tidy_aliases(models: Mapping[str, ModelPrice], findings: Findings) -> dict[str, ModelPrice]:
    """``models`` with every alias a price sheet would refuse dropped, with a note:
    an alias that is (in any case) a model's name, or that an earlier model (in sorted
    order) already has; an alias prefix an earlier model already has."""
    from dataclasses import replace

    names = {n.casefold() for n in models}
    seen: set[str] = set()
    seen_prefixes: set[str] = set()
    out: dict[str, ModelPrice] = {}
    for name in sorted(models):
        m = models[name]
        keep: list[str] = []
        dropped: list[str] = []
        for a in m.aliases:
            folded = a.casefold()
            if folded in names or folded in seen:
                dropped.append(a)
            else:
                seen.add(folded)
                keep.append(a)
        prefixes = [p for p in m.alias_prefixes if p not in seen_prefixes]
        dropped += [p + "*" for p in m.alias_prefixes if p in seen_prefixes]
        seen_prefixes.update(prefixes)
        if dropped:
            findings.note(
                m.provider, name,
                "aliases left out (another model has the name): " + ", ".join(dropped),
            )  # fmt: skip
        out[name] = replace(m, aliases=tuple(keep), alias_prefixes=tuple(prefixes))
    return {n: out[n] for n in models}
