"""Hypothesis strategies for fuzzing costplan's inputs (used by test_fuzz.py).

:func:`inputs` draws a workload and a price sheet as plain data, valid, or
*feasible by construction* (every floor at most the best quality among the task's
usable models, context windows that fit every request, a budget above any plan's
cost, capacities above every volume, no share caps: such a case must reach a
plan), or mutated: a key dropped, renamed or added, a value swapped for another
type, an extreme number (NaN, infinity, negative, 1e29, more than 6 decimals),
random unicode names, names with newlines and terminal escapes.
:func:`yaml_text` renders data as YAML with exact decimals; :func:`mutate_text`
applies YAML-level damage (characters deleted or inserted, lines duplicated or
swapped, the file truncated).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml
from hypothesis import strategies as st

MODES = ("standard", "batch", "flex")


class _Dumper(yaml.SafeDumper):
    """Decimals as plain YAML numbers (exact), not as quoted strings."""


def _decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
    if value.is_nan():
        text = ".nan"
    elif value.is_infinite():
        text = "-.inf" if value < 0 else ".inf"
    else:
        text = format(value, "f")
        if "." not in text:
            text += ".0"
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


_Dumper.add_representer(Decimal, _decimal)


class _NaN(Decimal):
    """Decimal('NaN') with a fixed hash. A NaN's hash is its object's id (Python >= 3.10),
    and hypothesis hashes the values it samples: with plain NaNs, what a seed draws would
    depend on memory layout (on what else the process imported)."""

    def __new__(cls) -> _NaN:
        return super().__new__(cls, "NaN")

    def __hash__(self) -> int:
        return 0x7FF8

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _NaN)


NAN = _NaN()
_Dumper.add_representer(_NaN, _decimal)


def yaml_text(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=200)


# Names: mostly plain identifiers (so references resolve), sometimes any unicode.
_plain = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True)
_unicode = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=12,
)
# Newlines, line separators and terminal escapes: they must never split an error
# message or reach the terminal raw.
_hostile = st.sampled_from(["a\nb", "t\r", "\x1b]0;pwned\x07x", "p\u2028q", "x\x85", "\tz"])
names = st.one_of(_plain, _plain, _plain, _unicode, _hostile)
# Names every valid case may use: no leading blank, no control character, no two
# differing only in case (so a valid case stays valid whatever the name rules).
valid_names = st.one_of(_plain, _plain, _plain, st.sampled_from(["ü-1", "名前", "a b", "x.y"]))


def _price(extreme: bool) -> st.SearchStrategy[Decimal]:
    normal = st.decimals(min_value=0, max_value=100, places=3, allow_nan=False)
    if not extreme:
        return normal
    return st.one_of(
        normal,
        st.decimals(min_value=0, max_value=20_000, places=6, allow_nan=False),
        st.sampled_from(
            [
                Decimal("0.000001"),
                Decimal("0.0000001"),  # too precise
                Decimal("9999.999999"),
                Decimal("10000.000001"),  # above the cap
                Decimal("1e29"),
                Decimal(-1),
                NAN,
                Decimal("Infinity"),
            ]
        ),
    )


_counts = st.one_of(
    st.integers(0, 5_000),
    st.integers(0, 10**9),
    st.sampled_from([0, 1, 9_999_999, 10**11, 10**11 + 1, -1, 2**63]),
)
_tokens = st.one_of(st.integers(0, 5_000), st.sampled_from([0, 1, 10**8, 10**8 + 1, -3]))
_quality_ok = st.one_of(
    st.decimals(min_value=0, max_value=1, places=3, allow_nan=False),
    st.sampled_from([Decimal(0), Decimal(1), Decimal("0.9999995"), Decimal("0.3333333333")]),
)
_quality_any = st.one_of(_quality_ok, st.sampled_from([Decimal("1.5"), NAN]))


@st.composite
def price_sheet(draw: st.DrawFn, extreme: bool, feasible: bool = False) -> dict[str, Any]:
    models: dict[str, Any] = {}
    named = names if extreme else valid_names
    for name in draw(st.lists(named, min_size=1, max_size=4, unique=True)):
        m: dict[str, Any] = {
            "provider": draw(st.sampled_from(["openai", "anthropic", "google", "acme"])),
            "input_usd_per_mtok": draw(_price(extreme)),
            "output_usd_per_mtok": draw(_price(extreme)),
        }
        if draw(st.booleans()):
            m["cache_read_usd_per_mtok"] = draw(_price(extreme))
        if draw(st.booleans()):
            m["batch"] = {"discount": draw(st.sampled_from([Decimal("0.5"), Decimal("0.25")]))}
        if draw(st.integers(0, 3)) == 0:
            m["flex"] = {
                "input_usd_per_mtok": draw(_price(extreme)),
                "output_usd_per_mtok": draw(_price(extreme)),
            }
        if draw(st.integers(0, 3)) == 0:
            m["tiers"] = [
                {
                    "above_input_tokens": draw(st.integers(1, 6_000)),
                    "input_usd_per_mtok": draw(_price(extreme)),
                    "output_usd_per_mtok": draw(_price(extreme)),
                }
            ]
        if draw(st.integers(0, 4)) == 0:
            m["request_usd"] = draw(st.sampled_from([Decimal("0.000001"), Decimal("0.01")]))
        if draw(st.booleans()):
            windows = [128_000, 1_000_000] if feasible else [4_000, 128_000, 1_000_000]
            m["context_window"] = draw(st.sampled_from(windows))
        if draw(st.integers(0, 3)) == 0:
            m["tokenizer"] = draw(st.sampled_from(["o200k_base", "cl100k_base", "claude", "llama"]))
        models[name] = m
    return {"currency": "USD", "as_of": "2026-11-01", "source": "fuzz", "models": models}


@st.composite
def workload(
    draw: st.DrawFn, models: list[str], extreme: bool, samples: bool, feasible: bool = False
) -> dict[str, Any]:
    """A workload over ``models``; with ``feasible``, one that has a plan (see module doc)."""
    _quality = _quality_any if extreme else _quality_ok
    named = names if extreme else valid_names
    tasks: list[dict[str, Any]] = []
    quality: dict[str, Any] = {}
    for name in draw(st.lists(named, min_size=1, max_size=4, unique=True)):
        t: dict[str, Any] = {
            "name": name,
            "volume": draw(_counts) if extreme else draw(st.integers(0, 10**7)),
        }
        if samples and draw(st.booleans()):
            t["prompt"] = {"samples": "samples/*.txt"}
        else:
            t["prompt"] = {"tokens": draw(_tokens) if extreme else draw(st.integers(0, 5_000))}
        if draw(st.booleans()):
            t["output_tokens"] = draw(st.integers(0, 2_000))
        else:
            mean = draw(st.integers(0, 2_000))
            t["output_tokens"] = {"mean": mean, "p95": mean + draw(st.integers(0, 2_000))}
        if draw(st.booleans()):
            t["shared_prefix_tokens"] = draw(st.integers(0, 3_000))
        t["latency"] = draw(st.sampled_from(["realtime", "batch"]))
        t["split"] = draw(st.booleans())
        scored = draw(st.lists(st.sampled_from(models), min_size=1, unique=True))
        scores = {m: draw(_quality) for m in scored}
        usable = scored
        if draw(st.integers(0, 3)) == 0:
            # feasible: at least one allowed model is scored (else the task has no option)
            pool = scored if feasible else models
            t["allow"] = usable = draw(st.lists(st.sampled_from(pool), min_size=1, unique=True))
        if draw(st.booleans()):
            if feasible:  # at most what the best usable model reaches, on the 2-place grid
                best = max((scores[m] for m in usable if m in scores), default=Decimal(0))
                top = min(Decimal("0.8"), best).quantize(Decimal("0.01"), rounding="ROUND_FLOOR")
            else:
                top = Decimal("0.8")
            floor = st.decimals(min_value=0, max_value=top, places=2, allow_nan=False)
            t["min_quality"] = draw(_quality if extreme else floor)
        if len(models) >= 2 and draw(st.integers(0, 3)) == 0:
            steps = draw(st.lists(st.sampled_from(models), min_size=2, max_size=3, unique=True))
            t["cascades"] = [
                {
                    "name": "c-" + draw(_plain),
                    "steps": steps,
                    "escalate": [draw(_quality) for _ in steps[1:]],
                    "quality": draw(_quality),
                    "mode": draw(st.sampled_from(MODES)),
                }
            ]
        tasks.append(t)
        quality[name] = scores
    w: dict[str, Any] = {
        "name": draw(named),
        "period": draw(st.sampled_from(["day", "month", "year"])),
        "objective": draw(st.sampled_from(["max_quality", "min_cost"])),
        "prices": "prices.yaml",
        "tasks": tasks,
        "quality": quality,
    }
    if feasible:
        # above any plan: at most 4 tasks x 1e7 queries x (~12k tokens at <= $100/Mtok
        # + $0.01 per request), i.e. below $5e7
        w["budget_usd"] = Decimal(10**9)
    elif w["objective"] == "max_quality" or draw(st.booleans()):
        w["budget_usd"] = draw(
            st.one_of(
                st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False),
                st.sampled_from([Decimal(0), Decimal("1e12"), Decimal(-5) if extreme else 1]),
            )
        )
    if draw(st.integers(0, 4)) == 0:
        w["measured_cost_usd"] = {
            tasks[0]["name"]: {
                m: draw(st.sampled_from([Decimal("0.0001"), Decimal("0.25"), Decimal(0)]))
                for m in quality[tasks[0]["name"]]
            }
        }
    if draw(st.integers(0, 4)) == 0:
        m = draw(st.sampled_from(models))
        if feasible:  # a capacity above every volume, no share cap (one provider may be all)
            w["constraints"] = {"capacity": {m: {"requests": 4 * 10**7}}}
        else:
            w["constraints"] = {
                "capacity": {m: {"requests": draw(st.integers(0, 10**7))}},
                "max_provider_share": {
                    "*": draw(st.sampled_from([Decimal("0.5"), Decimal("0.9")]))
                },
            }
    return w


# ---------------------------------------------------------------- data-level mutations


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


_odd_values = st.one_of(
    st.sampled_from(
        [
            None,
            True,
            "",
            "lots",
            [],
            {},
            [1, 2],
            {"a": 1},
            NAN,
            Decimal("-Infinity"),
            Decimal("1e29"),
            -1,
            10**40,
        ]
    ),
    _unicode,
)


@st.composite
def mutated(draw: st.DrawFn, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` (copied) with 1-3 mutations: drop, rename (typo), add or swap a key."""
    import copy

    data = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = _parent(data, path)
        key = path[-1]
        action = draw(st.sampled_from(["drop", "typo", "add", "swap", "swap"]))
        if action == "drop":
            del parent[key]
        elif action == "typo" and isinstance(key, str) and key:
            i = draw(st.integers(0, len(key) - 1))
            parent[key[:i] + key[i + 1 :] or "x"] = parent.pop(key)
        elif action == "add" and isinstance(parent, dict):
            parent[draw(names)] = draw(_odd_values)
        else:
            parent[key] = draw(_odd_values)
    return data


@st.composite
def mutate_text(draw: st.DrawFn, text: str) -> str:
    """YAML-level damage: delete/insert characters, duplicate/swap lines, truncate."""
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["delete", "insert", "duplicate", "swap", "truncate"]))
        lines = text.split("\n")
        if action == "delete" and text:
            i = draw(st.integers(0, len(text) - 1))
            text = text[:i] + text[i + 1 :]
        elif action == "insert":
            i = draw(st.integers(0, len(text)))
            ch = draw(st.sampled_from([":", "-", "[", "{", "&a", "*a", "\t", "'", '"', "#", "!!"]))
            text = text[:i] + ch + text[i:]
        elif action == "duplicate" and lines:
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        elif action == "swap" and len(lines) > 1:
            i = draw(st.integers(0, len(lines) - 2))
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
            text = "\n".join(lines)
        elif text:
            text = text[: draw(st.integers(0, len(text) - 1))]
    return text


@dataclass
class Inputs:
    """One fuzz case: file contents to write into a fresh folder."""

    workload: str
    prices: str
    samples: list[str] = field(default_factory=list)
    note: str = ""


_sample_text = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=0,
    max_size=300,
)


@st.composite
def inputs(draw: st.DrawFn, *, mutate: bool, feasible: bool = False) -> Inputs:
    """A workload and price sheet; with ``mutate``, damaged at the data or text level;
    with ``feasible``, one that has a plan (``mutate`` draws that itself)."""
    extreme = draw(st.booleans()) if mutate else False
    if mutate:  # damage feasible cases too, so that harmless damage still reaches the solver
        feasible = not extreme and draw(st.booleans())
    sheet = draw(price_sheet(extreme, feasible))
    texts = _sample_text if mutate else _sample_text.filter(str.strip)
    samples = draw(st.lists(texts, min_size=0, max_size=3))
    w = draw(workload(list(sheet["models"]), extreme, bool(samples), feasible))
    note = "feasible" if feasible else "valid"
    if mutate:
        level = draw(st.sampled_from(["none", "data-w", "data-p", "text-w", "text-p"]))
        note = level
        if level == "data-w":
            w = draw(mutated(w))
        elif level == "data-p":
            sheet = draw(mutated(sheet))
        w_text, p_text = yaml_text(w), yaml_text(sheet)
        if level == "text-w":
            w_text = draw(mutate_text(w_text))
        elif level == "text-p":
            p_text = draw(mutate_text(p_text))
        return Inputs(w_text, p_text, samples, note)
    return Inputs(yaml_text(w), yaml_text(sheet), samples, note)
