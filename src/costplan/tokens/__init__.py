"""Token estimation, fully offline.

* :func:`get_encoding`: exact o200k_base / cl100k_base encodings built from
  files bundled with costplan (sha256-verified, never downloaded).
* :class:`TokenizerSpec` / :func:`parse_tokenizer`: which tokenizer a model
  uses, exact or a family estimate (:data:`FAMILY_FACTORS`).
* :func:`count_tokens`: per-text counts as an int64 numpy array.
* :func:`load_sample_texts`, :func:`measure`, :func:`measure_sample`,
  :class:`TokenStats`: a workload task's prompt samples, summarised.

Importing this package imports neither tiktoken nor numpy (``costplan --help``
stays fast); :mod:`costplan.tokens.count` and :mod:`costplan.tokens.samples`
are loaded on first use of their names.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from costplan.tokens.encodings import KNOWN_ENCODINGS, EncodingName, get_encoding
from costplan.tokens.tokenizer import (
    DEFAULT_SPEC,
    EXACT_FAMILIES,
    FAMILY_FACTORS,
    TokenizerSpec,
    family_spec,
    parse_tokenizer,
)

if TYPE_CHECKING:
    from costplan.tokens.count import count_tokens
    from costplan.tokens.samples import TokenStats, load_sample_texts, measure, measure_sample

__all__ = [
    "DEFAULT_SPEC",
    "EXACT_FAMILIES",
    "FAMILY_FACTORS",
    "KNOWN_ENCODINGS",
    "EncodingName",
    "TokenStats",
    "TokenizerSpec",
    "count_tokens",
    "family_spec",
    "get_encoding",
    "load_sample_texts",
    "measure",
    "measure_sample",
    "parse_tokenizer",
]

_LAZY = {
    "count_tokens": "costplan.tokens.count",
    "TokenStats": "costplan.tokens.samples",
    "load_sample_texts": "costplan.tokens.samples",
    "measure": "costplan.tokens.samples",
    "measure_sample": "costplan.tokens.samples",
}


def __getattr__(name: str) -> object:
    """Load numpy-backed names on first access (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
