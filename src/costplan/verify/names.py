"""The checker's own name rules (restated from the README, not imported).

* A provider id is compared through :data:`PROVIDERS` (case-insensitive; any
  ``vertex_ai-*`` id is ``google``); an id not in it stays as written.
* A model name resolves to the model of that name, else to the model listing it
  under ``aliases``, else (a variant ``BASE@LEVEL``, split at the last ``@``) to
  the model BASE resolves to, else to the model with the longest
  ``alias_prefixes`` entry the name starts with; the model is then known under the
  name asked for (a variant is priced as its base).
"""

from __future__ import annotations

from typing import Any, TypeVar

V = TypeVar("V")

PROVIDERS = {
    "google": ("gemini", "google-ai", "google_ai_studio", "google-vertex", "vertex", "vertex_ai"),
    "anthropic": (),
    "openai": ("text-completion-openai",),
    "azure": ("azure_ai",),
    "aws": ("bedrock", "bedrock_converse"),
    "xai": ("x-ai",),
    "mistral": ("mistralai", "codestral"),
    "meta": ("meta-llama", "meta_llama"),
    "together": ("together_ai", "togetherai"),
    "fireworks": ("fireworks_ai",),
    "cohere": ("cohere_chat",),
    "deepseek": (),
    "moonshotai": ("moonshot",),
    "groq": (),
    "perplexity": (),
    "alibaba": ("dashscope", "qwen"),
}
_SPELLING = {s: one for one, spellings in PROVIDERS.items() for s in (one, *spellings)}


def provider_id(raw: str) -> str:
    """The one id a provider is compared by."""
    low = raw.lower()
    if low in _SPELLING:
        return _SPELLING[low]
    return "google" if low.startswith("vertex_ai-") else raw


def one_id_shares(shares: dict[str, Any]) -> dict[str, Any]:
    """Share caps keyed by provider id (``*`` kept); two keys of one id: the smaller."""
    out: dict[str, Any] = {}
    for key, cap in shares.items():
        pid = key if key == "*" else provider_id(key)
        out[pid] = cap if pid not in out else min(out[pid], cap)
    return out


class Named(dict[str, V]):
    """Models by name whose lookups also resolve aliases (see the module docs).

    ``renamed(value, name)`` gives the value under another name."""

    def __init__(self, items: dict[str, V], aliases: dict[str, str],
                 prefixes: dict[str, str], renamed: Any) -> None:  # fmt: skip
        super().__init__(items)
        self.aliases = aliases
        self.prefixes = prefixes
        self.renamed = renamed

    def target(self, name: object) -> str | None:
        if not isinstance(name, str):
            return None
        if dict.__contains__(self, name):
            return name
        if name in self.aliases:
            return self.aliases[name]
        base, at, level = name.rpartition("@")
        if at and base and level and (found := self.target(base)) is not None:
            return found
        best = [p for p in self.prefixes if name.startswith(p)]
        return self.prefixes[max(best, key=len)] if best else None

    def __missing__(self, name: str) -> V:
        t = self.target(name)
        if t is None:
            raise KeyError(name)
        value: V = self.renamed(dict.__getitem__(self, t), name)
        return value

    def __contains__(self, name: object) -> bool:
        return self.target(name) is not None

    def get(self, name: str, default: Any = None) -> Any:
        if self.target(name) is None:
            return default
        return self[name]


def canonical_model(models: Any, name: str) -> str:
    """The sheet model ``name`` means in ``models`` (a :class:`Named`: aliases and variants
    resolved), else ``name``: capacity and commitments are per sheet model."""
    target = getattr(models, "target", None)
    found = target(name) if target is not None else None
    return found if isinstance(found, str) else name
