"""Which tokenizer a model uses: an exact OpenAI encoding, or a family estimate.

Contract:

* A :class:`TokenizerSpec` is either **exact** (``encoding`` is ``"o200k_base"``
  or ``"cl100k_base"``, ``factor`` is None) or **estimated** (``family`` names a
  model family and ``factor`` is a positive Decimal): an estimated count is
  ``ceil(o200k_base count x factor)`` per text.
* :data:`FAMILY_FACTORS` holds the default factors. They are **approximations**
  of how many tokens a family's own tokenizer produces relative to o200k_base
  on English prose; real ratios vary with language and content (code, CJK,
  numbers). Override them per model with ``{family: claude, factor: 1.16}``,
  ideally after calibrating on your own prompts against the provider's
  token-counting endpoint.
* :func:`parse_tokenizer` turns a price-sheet/workload value into a spec, or
  raises a located :class:`~costplan.errors.InputError`.

This module is import-light (no tiktoken, no numpy): price models import it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from types import MappingProxyType
from typing import Final, get_args

from costplan.errors import InputError
from costplan.tokens.encodings import KNOWN_ENCODINGS, EncodingName

#: Default tokens-per-o200k_base-token factor by model family (see module docs).
#: ``openai`` is counted exactly with o200k_base: its factor 1 is not an estimate.
FAMILY_FACTORS: Final[Mapping[str, Decimal]] = MappingProxyType(
    {
        # Exact: GPT-4o, GPT-4.1, GPT-5 and the o-series use o200k_base (tiktoken's
        # model table). Older GPT-4 / GPT-3.5 models: write "cl100k_base" instead.
        "openai": Decimal("1"),
        # Approximation. Anthropic does not publish Claude's tokenizer. Published
        # side-by-side measurements (Claude 3.5 Sonnet vs GPT-4o, 2024) found about
        # +16% tokens on English prose, +21% on math and +30% on Python code; 1.20
        # sits between prose and code. Claude 4.x models may differ.
        "claude": Decimal("1.20"),
        # Approximation. Gemini uses a 256k-vocabulary SentencePiece tokenizer;
        # Google documents ~4 characters per token for English (o200k_base measures
        # ~4.1 on English Markdown), and third-party comparisons report Gemini
        # counts within ~5-15% of GPT-4o's. 1.10 is the middle of that range.
        "gemini": Decimal("1.10"),
        # Approximation. Llama 3.x uses a 128k BPE vocabulary built from
        # cl100k_base's tokens plus 28k non-English ones; on English prose and code
        # cl100k_base counts 0.995x o200k_base (benchmarks/tokenizer_factors.py; a
        # proxy: Llama's own files are not bundled). +5% margin. Llama 2 (32k
        # SentencePiece) needs ~1.25-1.3.
        "llama": Decimal("1.05"),
        # Approximation. Mistral's Tekken tokenizer (NeMo, Large 2, Small 3+; 131k
        # tiktoken-style BPE) measures 1.0278x o200k_base on prose, 1.0517x on code
        # (benchmarks/tokenizer_factors.py, tekken_240911 from mistral-common); older
        # 32k SentencePiece models (Mistral 7B, Mixtral) need ~1.2-1.3. 1.10 blends.
        "mistral": Decimal("1.10"),
        # Counted exactly by default (EXACT_FAMILIES: Qwen's bundled BPE). The factor is
        # the measured ratio, kept for reference: benchmarks/tokenizer_factors.py, qwen_base
        # vs o200k_base on Python's docs (prose) 1.0011 and stdlib sources (code) 1.0097.
        "qwen": Decimal("1.01"),
        # Measured (benchmarks/tokenizer_factors.py): the bundled DeepSeek V4 tokenizer.json
        # counts 1.0299x o200k_base on prose and 1.0454x on code; rounded up to 1.05. V3/R1
        # use another 128k vocabulary not bundled (not measured). `tokenizer: deepseek_v4`
        # counts V4 exactly.
        "deepseek": Decimal("1.05"),
    }
)

#: Families counted exactly, and with which encoding.
#: ``qwen``: Qwen 1 to 3 share one 151,643-token BPE vocabulary, bundled (``qwen_base``).
EXACT_FAMILIES: Final[Mapping[str, EncodingName]] = MappingProxyType(
    {"openai": "o200k_base", "qwen": "qwen_base"}
)

#: The encoding every estimate is based on.
ESTIMATE_BASE: Final[EncodingName] = "o200k_base"

#: Bounds of an acceptable factor: (MIN_FACTOR, MAX_FACTOR].
MIN_FACTOR: Final = Decimal(0)
MAX_FACTOR: Final = Decimal(10)

_MAPPING_KEYS: Final = ("encoding", "family", "factor")


@dataclass(frozen=True)
class TokenizerSpec:
    """How to count a model's tokens.

    Exact: ``TokenizerSpec(encoding="cl100k_base")`` (``family`` optional, as a
    label, e.g. ``"openai"``). Estimated: ``TokenizerSpec.estimate("claude",
    Decimal("1.2"))``, i.e. ``encoding="o200k_base"``, ``family`` set, ``factor``
    set; each text counts ``ceil(o200k_base tokens x factor)``.

    Invariants (checked, ``ValueError`` otherwise): ``encoding`` is a known
    encoding; an estimate has a family, is based on o200k_base and has a finite
    factor in ``(0, 10]``.
    """

    encoding: EncodingName = ESTIMATE_BASE
    family: str | None = None
    factor: Decimal | None = None

    def __post_init__(self) -> None:
        if self.encoding not in get_args(EncodingName):
            raise ValueError(f"unknown encoding {self.encoding!r}")
        if self.factor is None:
            return
        if not self.family:
            raise ValueError("an estimated tokenizer needs a family")
        if self.encoding != ESTIMATE_BASE:
            raise ValueError(f"estimates are based on {ESTIMATE_BASE}, not {self.encoding}")
        if not isinstance(self.factor, Decimal) or not _factor_ok(self.factor):
            raise ValueError(f"factor must be a Decimal in (0, 10], got {self.factor!r}")

    @classmethod
    def exact(cls, encoding: EncodingName, family: str | None = None) -> TokenizerSpec:
        """Exact counting with ``encoding``."""
        return cls(encoding=encoding, family=family)

    @classmethod
    def estimate(cls, family: str, factor: Decimal) -> TokenizerSpec:
        """Estimated counting: ``ceil(o200k_base count x factor)``."""
        return cls(encoding=ESTIMATE_BASE, family=family, factor=factor)

    @property
    def estimated(self) -> bool:
        """True when counts are estimates (a factor applies), False when exact."""
        return self.factor is not None

    @property
    def label(self) -> str:
        """Human-readable, e.g. ``o200k_base`` or ``claude ~ o200k_base x 1.20 (estimate)``."""
        if self.factor is None:
            return self.encoding if self.family is None else f"{self.family} ({self.encoding})"
        return f"{self.family} ~ {self.encoding} x {self.factor} (estimate)"


DEFAULT_SPEC: Final = TokenizerSpec.exact("o200k_base")


def family_spec(family: str) -> TokenizerSpec:
    """The default spec of a known family (``KeyError`` if unknown)."""
    name = family.strip().lower()
    if name in EXACT_FAMILIES:
        return TokenizerSpec.exact(EXACT_FAMILIES[name], family=name)
    return TokenizerSpec.estimate(name, FAMILY_FACTORS[name])


def _factor_ok(factor: Decimal) -> bool:
    return factor.is_finite() and MIN_FACTOR < factor <= MAX_FACTOR


def _suggest(word: str, choices: Sequence[str]) -> str | None:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {match[0]!r}?" if match else None


def _names_hint(word: str) -> str:
    names = [*KNOWN_ENCODINGS, *FAMILY_FACTORS]
    known = "known: " + ", ".join(names) + ", or {family: NAME, factor: NUMBER}"
    suggestion = _suggest(word, names)
    return f"{suggestion} ({known})" if suggestion else known


def parse_tokenizer(
    value: object,
    *,
    file: str | Path | None,
    key: str | Sequence[str | int] | None,
    line: int | None = None,
) -> TokenizerSpec:
    """Parse a ``tokenizer:`` value from a price sheet or workload.

    Accepted (names are case-insensitive):

    * ``"o200k_base"`` or ``"cl100k_base"``: exact;
    * a family name from :data:`FAMILY_FACTORS`, e.g. ``"claude"``: its default
      (``"openai"`` is exact o200k_base, the others are estimates);
    * a mapping ``{family: claude}`` or ``{family: claude, factor: 1.16}``: an
      estimate with that factor (a Decimal, int or numeric string in (0, 10]).
      With an explicit factor any family name is accepted as a label (e.g.
      ``cohere``); without one it must be a known family. ``openai`` takes no
      factor. ``{encoding: cl100k_base}`` is the same as ``"cl100k_base"``.

    Anything else raises :class:`InputError` located by ``file``/``line``/``key``
    with the offending value and, for misspelt names, a did-you-mean hint.
    """

    def error(message: str, bad: object, hint: str | None = None) -> InputError:
        return InputError(message, file=file, line=line, key=key, value=bad, hint=hint)

    if isinstance(value, str):
        name = value.strip().lower()
        if name in KNOWN_ENCODINGS:
            return TokenizerSpec.exact(_encoding_name(name))
        if name in FAMILY_FACTORS:
            return family_spec(name)
        raise error("unknown tokenizer", value, _names_hint(name))

    if not isinstance(value, Mapping):
        raise error(
            "tokenizer must be an encoding or family name, or a mapping {family, factor}",
            value,
            hint='e.g. "o200k_base", "claude" or {family: claude, factor: 1.16}',
        )

    for k in value:
        if k not in _MAPPING_KEYS:
            suggestion = _suggest(str(k), _MAPPING_KEYS)
            allowed = "allowed keys: " + ", ".join(_MAPPING_KEYS)
            raise error(
                f"unknown tokenizer key {k!r}",
                value,
                f"{suggestion} ({allowed})" if suggestion else allowed,
            )

    if "encoding" in value:
        if "family" in value or "factor" in value:
            raise error(
                "give either an encoding (exact) or a family with an optional factor, not both",
                value,
            )
        encoding = value["encoding"]
        enc_name = encoding.strip().lower() if isinstance(encoding, str) else None
        if enc_name is None or enc_name not in KNOWN_ENCODINGS:
            suggestion = _suggest(str(enc_name or encoding), KNOWN_ENCODINGS)
            known = "known encodings: " + ", ".join(KNOWN_ENCODINGS)
            raise error(
                "unknown encoding", encoding, f"{suggestion} ({known})" if suggestion else known
            )
        return TokenizerSpec.exact(_encoding_name(enc_name))

    if "family" not in value:
        raise error("tokenizer mapping needs a 'family' (or an 'encoding')", value)
    family = value["family"]
    if not isinstance(family, str) or not family.strip():
        raise error("tokenizer family must be a non-empty string", family)
    family = family.strip().lower()

    if "factor" not in value:
        if family in FAMILY_FACTORS:
            return family_spec(family)
        raise error(
            "unknown tokenizer family (give a factor to use a family costplan does not know)",
            family,
            _names_hint(family),
        )

    if family in EXACT_FAMILIES:
        raise error(
            f"the {family} family is counted exactly with {EXACT_FAMILIES[family]}; "
            "a factor does not apply",
            value,
            hint=f'write tokenizer: "{EXACT_FAMILIES[family]}" (or "cl100k_base" for older models)',
        )
    factor = _parse_factor(value["factor"])
    if factor is None:
        raise error(
            "tokenizer factor must be a number greater than 0 and at most 10",
            value["factor"],
            hint="it multiplies o200k_base counts, e.g. 1.2 for 20% more tokens",
        )
    return TokenizerSpec.estimate(family, factor)


def _encoding_name(name: str) -> EncodingName:
    if name == "o200k_base":
        return "o200k_base"
    if name == "cl100k_base":
        return "cl100k_base"
    if name == "qwen_base":
        return "qwen_base"
    if name == "deepseek_v4":
        return "deepseek_v4"
    if name == "tekken_240911":
        return "tekken_240911"
    raise AssertionError(name)  # pragma: no cover - callers check KNOWN_ENCODINGS


def _parse_factor(raw: object) -> Decimal | None:
    """``raw`` as a Decimal in (0, 10], or None. Floats go through ``repr``."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, Decimal):
        factor = raw
    elif isinstance(raw, int | float | str):
        try:
            factor = Decimal(repr(raw) if isinstance(raw, float) else str(raw).strip())
        except InvalidOperation:
            return None
    else:
        return None
    return factor if _factor_ok(factor) else None
