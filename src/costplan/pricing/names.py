"""Names that carry between catalogs: canonical provider ids and model aliases.

**Providers.** Catalogs spell one provider several ways (genai-prices ``google``,
LiteLLM ``gemini`` and ``vertex_ai-language-models``; ``x-ai`` and ``xai``;
``bedrock`` and ``aws``). :func:`canonical_provider` maps every spelling in
:data:`PROVIDER_IDS` (compared case-insensitively, ``vertex_ai`` and every
``vertex_ai-*`` id included) to one id, and leaves any other id as written. Price
sheets apply it when they load and importers when they write, so a workload's
``max_provider_share`` means the same whatever catalog its sheet came from; the
workload's own share keys go through the same function.

**Model aliases.** A sheet model may list ``aliases`` (exact other names, e.g.
dated ids or LiteLLM ``alias_of`` entries) and ``alias_prefixes`` (genai-prices
``starts_with`` matchers). A name resolves (:func:`resolve_name`) to

1. the model of that exact name, else
2. the model listing it among its ``aliases``, else
3. for a **variant** ``BASE@LEVEL`` (the text after the last ``@``; e.g.
   ``gpt-5@high``, ``claude-sonnet-4-5@thinking-8k``): the model ``BASE`` resolves
   to by these same rules, else
4. the model with the **longest** alias prefix the name starts with.

A variant is the same sheet entry under its own name: the workload gives it its
own quality, token profile (``profiles``) and latency, and it is priced from the
base model's rates, so a model at several reasoning efforts or thinking budgets
is several options the solver chooses among. (genai-prices' qualified names
``id@provider`` are sheet models of their own, found by rule 1 first.)

The independent checker (``costplan.verify.prices``) restates these rules and
this table in its own code; ``tests/pricing/test_names.py`` holds both equal.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping

#: Canonical provider id by catalog spelling (lower case).
PROVIDER_IDS: Mapping[str, str] = {
    "google": "google",
    "gemini": "google",
    "google-ai": "google",
    "google_ai_studio": "google",
    "google-vertex": "google",
    "vertex": "google",
    "vertex_ai": "google",
    "anthropic": "anthropic",
    "openai": "openai",
    "text-completion-openai": "openai",
    "azure": "azure",
    "azure_ai": "azure",
    "aws": "aws",
    "bedrock": "aws",
    "bedrock_converse": "aws",
    "x-ai": "xai",
    "xai": "xai",
    "mistral": "mistral",
    "mistralai": "mistral",
    "codestral": "mistral",
    "meta": "meta",
    "meta-llama": "meta",
    "meta_llama": "meta",
    "together": "together",
    "together_ai": "together",
    "togetherai": "together",
    "fireworks": "fireworks",
    "fireworks_ai": "fireworks",
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "deepseek": "deepseek",
    "moonshot": "moonshotai",
    "moonshotai": "moonshotai",
    "groq": "groq",
    "perplexity": "perplexity",
    "dashscope": "alibaba",
    "alibaba": "alibaba",
    "qwen": "alibaba",
}


def canonical_provider(provider: str) -> str:
    """The one id of ``provider`` (see the module docs); unknown ids unchanged."""
    low = provider.lower()
    if low in PROVIDER_IDS:
        return PROVIDER_IDS[low]
    if low.startswith("vertex_ai-"):
        return "google"
    return provider


class AliasIndex:
    """Alias -> canonical model name, built from each model's aliases and prefixes.

    ``entries`` are ``(model name, aliases, alias prefixes)``. An alias that is
    itself a model name, or is listed by two models, is kept for the first model
    only (the sheet loader refuses such sheets with a located error first).
    """

    def __init__(self, entries: Iterable[tuple[str, Iterable[str], Iterable[str]]]) -> None:
        items = list(entries)
        names = {name for name, _, _ in items}
        self.exact: dict[str, str] = {}
        self.prefixes: dict[str, str] = {}
        for name, aliases, prefixes in items:
            for a in aliases:
                if a not in names:
                    self.exact.setdefault(a, name)
            for p in prefixes:
                self.prefixes.setdefault(p, name)
        self._by_length = sorted(self.prefixes, key=lambda p: (-len(p), p))

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefixes)

    def canonical(self, name: str, models: Container[str] = ()) -> str | None:
        """The canonical model ``name`` resolves to by rules 2-4 (rule 1: ``models``
        holds the canonical names), or None."""
        if name in self.exact:
            return self.exact[name]
        base, at, level = name.rpartition("@")
        if at and base and level:
            found = base if base in models else self.canonical(base, models)
            if found is not None:
                return found
        for p in self._by_length:
            if name.startswith(p):
                return self.prefixes[p]
        return None


def resolve_name(name: str, models: Mapping[str, object], index: AliasIndex) -> str | None:
    """The canonical name of ``name`` in ``models`` (rules 1-3 above), or None."""
    if name in models:
        return name
    return index.canonical(name, models)
