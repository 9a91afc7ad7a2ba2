"""Write a :class:`PriceSheet` as stable, reviewable YAML.

Contract:

* the output loads back with :func:`costplan.pricing.load.sheet_from_document`
  to an equal sheet (:func:`dump_price_sheet` does not check this itself; the
  import command does, before writing);
* it is deterministic: models sorted by name, keys in a fixed order, one value
  per line (tiers one per line), so that two dumps diff line by line;
* prices are exact plain decimals (``0.15``, ``10``), never floats or exponents;
* modes are written with their full rates (never as a discount) and tiers are
  written in full (a tier does not inherit base rates).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import cast

import yaml

from costplan.pricing.model import MODES, RATE_FIELDS, ModelPrice, PriceSchedule, PriceSheet, Rates
from costplan.tokens.tokenizer import EXACT_FAMILIES, FAMILY_FACTORS, TokenizerSpec

_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+/@-]*")
# PyYAML's resolver decides what a plain scalar means (str, bool, number, date, null).
_resolve = cast(Callable[..., str], yaml.resolver.Resolver().resolve)


def number(value: Decimal | int) -> str:
    """An exact plain decimal: no exponent, no trailing zeros (``1E+1`` -> ``10``)."""
    if isinstance(value, int):
        return str(value)
    if value == 0:
        return "0"
    text = f"{value.normalize():f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def scalar(text: str) -> str:
    """``text`` as a YAML string scalar: plain when that reads back as the same
    string, double-quoted otherwise."""
    if _PLAIN.fullmatch(text) and (
        _resolve(yaml.ScalarNode, text, (True, False)) == "tag:yaml.org,2002:str"
    ):
        return text
    return quoted(text)


def quoted(text: str) -> str:
    """A YAML double-quoted scalar; non-printable characters as YAML escapes
    (``\\xXX``, ``\\uXXXX``, ``\\UXXXXXXXX``: JSON's surrogate pairs would not
    read back as one character)."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            if code <= 0xFF:
                out.append(f"\\x{code:02x}")
            elif code <= 0xFFFF:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _rate_items(rates: Rates) -> list[tuple[str, str]]:
    items = [(k, number(v)) for k in RATE_FIELDS if (v := getattr(rates, k)) is not None]
    if rates.request_usd:
        items.append(("request_usd", number(rates.request_usd)))
    return items


def _flow(items: list[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in items) + "}"


def _schedule_lines(schedule: PriceSchedule, indent: str) -> list[str]:
    lines = [f"{indent}{k}: {v}" for k, v in _rate_items(schedule.base)]
    if schedule.tiers:
        lines.append(f"{indent}tiers:")
        for tier in schedule.tiers:
            items = [("above_input_tokens", str(tier.above_input_tokens)), *_rate_items(tier.rates)]
            lines.append(f"{indent}  - {_flow(items)}")
    return lines


def tokenizer_value(spec: TokenizerSpec) -> str:
    """The shortest ``tokenizer:`` value that parses back to ``spec``."""
    if spec.factor is None:
        if spec.family is not None and EXACT_FAMILIES.get(spec.family) == spec.encoding:
            return spec.family
        return spec.encoding
    family = spec.family or ""
    if FAMILY_FACTORS.get(family) == spec.factor:
        return scalar(family)
    return _flow([("family", scalar(family)), ("factor", number(spec.factor))])


def _model_lines(model: ModelPrice) -> list[str]:
    lines = [f"  {scalar(model.name)}:", f"    provider: {scalar(model.provider)}"]
    lines += _schedule_lines(model.standard, "    ")
    if "standard" in model.latency_ms:
        lines.append(f"    latency_ms: {_latency(model, 'standard')}")
    for mode in MODES[1:]:
        if mode in model.modes:
            lines.append(f"    {mode}:")
            lines += _schedule_lines(model.modes[mode], "      ")
            if mode in model.latency_ms:
                lines.append(f"      latency_ms: {_latency(model, mode)}")
    if model.context_window is not None:
        lines.append(f"    context_window: {model.context_window}")
    if model.max_output_tokens is not None:
        lines.append(f"    max_output_tokens: {model.max_output_tokens}")
    if model.min_cacheable_tokens is not None:
        lines.append(f"    min_cacheable_tokens: {model.min_cacheable_tokens}")
    if model.tokenizer is not None:
        lines.append(f"    tokenizer: {tokenizer_value(model.tokenizer)}")
    if model.regions:
        lines.append("    regions:")
        for region, uplift in sorted(model.regions.items()):
            lines.append(f"      {scalar(region)}: {{uplift_pct: {number(uplift)}}}")
    for key, names in (("aliases", model.aliases), ("alias_prefixes", model.alias_prefixes)):
        if names:
            lines.append(f"    {key}:")
            lines += [f"      - {scalar(n)}" for n in names]
    limits = model.limits
    if limits.tokens_per_minute is not None or limits.requests_per_minute is not None:
        items = [
            (k, str(v))
            for k, v in (
                ("tokens_per_minute", limits.tokens_per_minute),
                ("requests_per_minute", limits.requests_per_minute),
            )
            if v is not None
        ]
        lines.append(f"    limits: {_flow(items)}")
    return lines


def _latency(model: ModelPrice, mode: str) -> str:
    lat = model.latency_ms[mode]
    return _flow([("p50", str(lat.p50)), ("p95", str(lat.p95))])


def dump_price_sheet(sheet: PriceSheet, *, header: str | None = None) -> str:
    """The sheet as YAML text (see module docs); ``header`` becomes ``#`` comments."""
    lines: list[str] = []
    if header:
        lines += [f"# {line}".rstrip() for line in header.splitlines()]
    lines.append("currency: USD")
    if sheet.as_of is not None:
        lines.append(f"as_of: {_date(sheet.as_of)}")
    if sheet.source is not None:
        lines.append(f"source: {quoted(sheet.source)}")
    lines.append("models:")
    for name in sorted(sheet.models):
        lines += _model_lines(sheet.models[name])
    return "\n".join(lines) + "\n"


def _date(value: date) -> str:
    return value.isoformat()
