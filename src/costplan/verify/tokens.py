"""The checker's own token counts: its tokenizer choice, tiktoken called directly.

Contract (the README's "Tokens" section, restated):

* A model's ``tokenizer:`` is ``o200k_base`` or ``cl100k_base`` (exact), a family
  name (``openai`` is exact o200k_base; ``claude`` 1.20, ``gemini`` 1.10,
  ``llama`` 1.05, ``mistral`` 1.10, ``qwen`` 1.05, ``deepseek`` 1.10 are
  estimates), ``{encoding: NAME}``, or ``{family: NAME, factor: F}``. Absent: the
  provider's family (``openai``/``azure`` exact o200k_base, ``anthropic`` claude,
  ``google`` gemini, ``meta`` llama, ``mistral``, ``qwen``/``alibaba`` qwen,
  ``deepseek``), any other provider o200k_base with factor 1.
* An estimate counts ``ceil(o200k_base count x factor)`` per text, exactly.
* Texts are encoded as ordinary text (no special tokens) with a
  :class:`tiktoken.Encoding` built here from the ranks files bundled in
  ``costplan/tokens/data``, read as package data; their sha256 is checked
  against the digests tiktoken itself pins for them before use.
* Samples: the glob relative to the workload's folder, matches sorted by path
  components, each file one prompt (a UTF-8 BOM dropped), or with ``field`` each
  non-blank JSON line's ``field``; with ``max_samples`` the seeded subsample
  ``sort(numpy.random.default_rng(0).choice(n, max_samples, replace=False))``.
"""

from __future__ import annotations

import base64
import functools
import glob
import hashlib
import json
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from costplan.errors import InputError, InternalError

if TYPE_CHECKING:
    import tiktoken

#: (ranks file, sha256 pinned by tiktoken_ext/openai_public.py, special tokens).
_FILES = {
    "o200k_base": (
        "o200k_base.tiktoken",
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        {"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    ),
    "cl100k_base": (
        "cl100k_base.tiktoken",
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        {
            "<|endoftext|>": 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            "<|endofprompt|>": 100276,
        },
    ),
}
# tiktoken_ext/openai_public.py (tiktoken 0.14), cl100k_base() and o200k_base().
_PATTERNS = {
    "cl100k_base": r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s""",  # noqa: E501
    "o200k_base": "|".join(
        [
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
            r"""\p{N}{1,3}""",
            r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
            r"""\s*[\r\n]+""",
            r"""\s+(?!\S)""",
            r"""\s+""",
        ]
    ),
}
_FACTORS = {
    "claude": Fraction("1.20"),
    "gemini": Fraction("1.10"),
    "llama": Fraction("1.05"),
    "mistral": Fraction("1.10"),
    "qwen": Fraction("1.05"),
    "deepseek": Fraction("1.10"),
}
_BY_PROVIDER = {
    "openai": "openai",
    "azure": "openai",
    "anthropic": "claude",
    "google": "gemini",
    "meta": "llama",
    "mistral": "mistral",
    "qwen": "qwen",
    "alibaba": "qwen",
    "deepseek": "deepseek",
}

#: (encoding, factor or None for exact)
Counter = tuple[str, Fraction | None]


def _family(name: str) -> Counter:
    if name == "openai":
        return ("o200k_base", None)
    return ("o200k_base", _FACTORS[name])


def counter_for(tokenizer: Any, provider: str) -> Counter:
    """How the model's prompts are counted (see the module docstring)."""
    if tokenizer is None:
        family = _BY_PROVIDER.get(provider.lower())
        return _family(family) if family else ("o200k_base", Fraction(1))
    if isinstance(tokenizer, str):
        name = tokenizer.strip().lower()
        if name in _FILES:
            return (name, None)
        if name == "openai" or name in _FACTORS:
            return _family(name)
        raise InputError("unknown tokenizer", key="tokenizer", value=tokenizer)
    if isinstance(tokenizer, dict):
        if "encoding" in tokenizer:
            return (str(tokenizer["encoding"]).strip().lower(), None)
        family = str(tokenizer.get("family", "")).strip().lower()
        if "factor" in tokenizer:
            factor = tokenizer["factor"]
            if isinstance(factor, str):
                factor = Fraction(factor.strip())
            return ("o200k_base", Fraction(factor))
        if family == "openai" or family in _FACTORS:
            return _family(family)
    raise InputError("unreadable tokenizer", key="tokenizer", value=tokenizer)


@functools.cache
def encoding(name: str) -> tiktoken.Encoding:
    """The encoding ``name`` built from the bundled ranks, sha256 checked first."""
    import importlib.resources

    import tiktoken

    filename, sha256, special = _FILES[name]
    data = (importlib.resources.files("costplan.tokens") / "data" / filename).read_bytes()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise InternalError(f"bundled encoding {filename} does not match its pinned sha256")
    ranks = {}
    for line in data.splitlines():
        if line:
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return tiktoken.Encoding(
        name=f"checker-{name}", pat_str=_PATTERNS[name], mergeable_ranks=ranks,
        special_tokens=dict(special),
    )  # fmt: skip


#: Counts already computed, by (sha256 of the texts, counter): checking many plans of one
#: workload (frontier points) tokenises its samples once per process.
_COUNTED: dict[tuple[str, Counter], list[int]] = {}


def count(texts: Sequence[str], counter: Counter) -> list[int]:
    """Token count of each text (exact, or ``ceil(count x factor)``)."""
    digest = hashlib.sha256()
    for t in texts:
        digest.update(hashlib.sha256(t.encode("utf-8", "surrogatepass")).digest())
    key = (digest.hexdigest(), counter)
    if key not in _COUNTED:
        if len(_COUNTED) > 64:
            _COUNTED.clear()
        _COUNTED[key] = _count(texts, counter)
    return list(_COUNTED[key])


def _count(texts: Sequence[str], counter: Counter) -> list[int]:
    enc = encoding(counter[0])
    counts = [len(t) for t in enc.encode_ordinary_batch(list(texts), num_threads=2)]
    factor = counter[1]
    if factor is None:
        return counts
    return [-(-c * factor.numerator // factor.denominator) for c in counts]


def sample_texts(pattern: str, base: Path, field: str | None) -> list[str]:
    """The prompts a ``samples:`` pattern names (see the module docstring)."""
    found = sorted(set(glob.glob(pattern, root_dir=base, recursive=True)),
                   key=lambda m: Path(m).parts)  # fmt: skip
    if not found:
        raise InputError("sample pattern matches no file", key="samples", value=pattern)
    texts: list[str] = []
    for shown in found:
        raw = (base / shown).read_bytes()
        text = raw.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
        if field is None:
            texts.append(text)
            continue
        for line in text.split("\n"):
            line = line.removesuffix("\r")
            if line.strip():
                texts.append(str(json.loads(line)[field]))
    return texts


def subsample(texts: list[str], max_samples: int | None) -> list[str]:
    if max_samples is None or len(texts) <= max_samples:
        return texts
    import numpy as np

    picked = np.sort(np.random.default_rng(0).choice(len(texts), max_samples, replace=False))
    return [texts[int(i)] for i in picked]
