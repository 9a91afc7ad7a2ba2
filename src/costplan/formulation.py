"""The one formulation of a workload's class-level problem: options -> labelled exact rows.

:func:`index_table` lays the option table over a :class:`ClassProblem` (counts per option,
volume and floor per task, the budget, ``split``, and the side rows of :func:`side_rows`:
capacities ``capacity:<model>:requests|tokens`` and provider shares ``share:<provider>``, each
an all-integer row with a stable label). ``optimize``, ``frontier`` and ``explain`` read it;
nobody builds the solver's rows by hand elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from costplan.errors import InfeasibleError, InputError
from costplan.money import floor_to_micro
from costplan.options import Option, OptionTable
from costplan.solvers.classlevel import ClassProblem, ClassSolution, LinearRow
from costplan.validation import did_you_mean
from costplan.workload.model import (
    MINUTES_PER_PERIOD,
    Capacity,
    Objective,
    Workload,
    share_cap,
)


@dataclass(frozen=True)
class Indexed:
    options: list[Option]
    problem: ClassProblem


def _floor_micro(q: Decimal | None) -> int:
    return -1 if q is None else floor_to_micro(q)


def index_table(
    table: OptionTable, objective: Objective, budget_pusd: int | None, robust: bool = False
) -> Indexed:
    w = table.workload
    options: list[Option] = []
    task_idx: list[int] = []
    for t in w.tasks:
        usable = table.for_task(t.name)
        if not usable:
            every = table.for_task(t.name, usable_only=False)
            reasons = "; ".join(f"{o.label}: {o.excluded}" for o in every) or (
                f"no model in its quality table is allowed and priced for {t.latency} serving"
            )
            raise InfeasibleError(
                f"task {t.name!r} has no usable model: {reasons}",
                file=w.path,
                key=("tasks", t.index),
            )
        # A floor is volume-weighted: with no queries it is vacuous (README, "zero volume").
        if t.min_quality is not None and t.volume > 0:
            best = max(usable, key=lambda o: o.quality)
            if best.quality < t.min_quality:
                raise InfeasibleError(
                    f"task {t.name!r} needs min_quality {t.min_quality} but its best usable "
                    f"model {best.model} reaches {best.quality}",
                    file=w.path,
                    key=("tasks", t.index, "min_quality"),
                    hint="lower min_quality or allow a stronger model",
                )
        options.extend(usable)
        task_idx.extend([t.index] * len(usable))
    extra = side_rows(table, options)
    problem = ClassProblem(
        task=np.asarray(task_idx, dtype=np.int64),
        cost=np.asarray([o.cost_pusd for o in options], dtype=np.int64),
        quality=np.asarray([o.quality_micro for o in options], dtype=np.int64),
        volume=np.asarray([t.volume for t in w.tasks], dtype=np.int64),
        floor=np.asarray(
            [_floor_micro(t.min_quality if t.volume else None) for t in w.tasks], dtype=np.int64
        ),
        split=np.asarray([t.split for t in w.tasks], dtype=np.bool_),
        objective=objective,
        budget=budget_pusd,
        extra=extra,
        budget_cost=(
            np.asarray([o.cost_p95_pusd for o in options], dtype=np.int64) if robust else None
        ),
        names=tuple(t.name for t in w.tasks),
    )
    return Indexed(options, problem)


def integer_row(coefs: Sequence[Fraction], rhs: Fraction, label: str, name: str) -> LinearRow:
    """``sum coef x <= rhs`` with rational data, as an equivalent all-integer row (times the
    common denominator; exact). Integers beyond int64 stay Python ints (``dtype=object``): a
    back end that needs int64 scales them itself and records it (``Solution.scaling``)."""
    den = math.lcm(*(c.denominator for c in (*coefs, rhs)))
    ints = [int(c * den) for c in coefs]
    bound = int(rhs * den)
    fits = max((abs(v) for v in (*ints, bound)), default=0) < 2**62
    coef = np.asarray(ints, dtype=np.int64 if fits else object)
    return LinearRow(coef, bound, label, name, den)


def certificate_of(
    sol: ClassSolution, objective: Objective, rows: Sequence[LinearRow] = ()
) -> dict[str, Any] | None:
    """The plan file's certificate for a class-level solution (docs/certificate.md).

    ``rows``: the side rows solved, whose prices and slack are converted from the solver's
    all-integer row (the documented row times its ``unit``) to the documented row."""
    from costplan.solvers.protocol import certificate_to_dict

    units = {r.key: r.unit for r in rows if r.unit != 1}
    unit = "quality_micro" if objective == "max_quality" else "pusd"
    return certificate_to_dict(sol, unit, units=units)


def _usage(
    options: list[Option], model: str, what: str, canon: dict[str, str] | None = None
) -> list[Fraction]:
    """Per query of each option: requests ("requests") or tokens sent to ``model``
    (``canon``: name -> sheet model, so variants and aliases count as their model)."""
    canon = canon or {}
    out = []
    for o in options:
        total = Fraction(0)
        for c in o.components:
            if canon.get(c.model, c.model) == model:
                total += Fraction(c.reach) * (1 if what == "requests" else c.tokens_per_query)
        out.append(total)
    return out


def _spend(o: Option, provider: str) -> Fraction:
    """Expected spend per query of option ``o`` at ``provider``."""
    if o.kind != "cascade":
        return Fraction(o.cost_pusd if o.provider == provider else 0)
    return sum(
        (Fraction(c.reach) * c.cost_pusd for c in o.components if c.provider == provider),
        Fraction(0),
    )


def _constraint_error(
    w: Workload, section: str, name: str, message: str, known: Iterable[str]
) -> InputError:
    """An unknown name under ``constraints.<section>``, located, with a did-you-mean."""
    key = ("constraints", section, name)
    return InputError(
        message,
        file=w.path,
        line=w.doc.line_of(key) if w.doc else None,
        key=key,
        value=name,
        hint=did_you_mean(name, known),
    )


def _least(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def side_rows(
    table: OptionTable, options: list[Option], fixed: dict[str, int] | None = None
) -> tuple[LinearRow, ...]:
    """Capacity rows per model and spend-share rows per provider (see README).

    Cascades count towards every model and provider they use, weighted by the
    fraction of queries that reach each step. ``fixed``: fixed charges per provider
    (commitment fees): in its share row ``spend(p) + F_p <= s (spend + F)``.
    """
    fixed = fixed or {}
    w = table.workload
    c = w.constraints
    rows: list[LinearRow] = []
    minutes = MINUTES_PER_PERIOD[w.period]
    for name in c.capacity:
        if name not in table.sheet.models:
            raise _constraint_error(
                w, "capacity", name, "capacity for a model that is not in the price sheet",
                table.sheet.models,
            )  # fmt: skip
    # Capacity is the sheet model's: its variants and aliases share it (README "Names").
    from costplan.commitments import sheet_model

    names = {comp.model for o in options for comp in o.components} | set(c.capacity)
    canon = {n: sheet_model(table, n) for n in names}
    caps: dict[str, Capacity] = {}
    for name, given in c.capacity.items():  # two keys for one model: the smaller holds
        had = caps.get(canon[name], Capacity())
        caps[canon[name]] = Capacity(_least(had.requests, given.requests),
                                     _least(had.tokens, given.tokens))  # fmt: skip
    used_models = sorted({canon[comp.model] for o in options for comp in o.components})
    for m in used_models:
        limits = table.sheet.models[m].limits
        cap = caps.get(m)
        requests = cap.requests if cap and cap.requests is not None else None
        tokens = cap.tokens if cap and cap.tokens is not None else None
        if c.use_rate_limits:
            if requests is None and limits.requests_per_minute is not None:
                requests = limits.requests_per_minute * minutes
            if tokens is None and limits.tokens_per_minute is not None:
                tokens = limits.tokens_per_minute * minutes
        if requests is not None:
            rows.append(
                integer_row(
                    _usage(options, m, "requests", canon),
                    Fraction(requests),
                    f"capacity of {m}: {requests:,} requests",
                    f"capacity:{m}:requests",
                )
            )
        if tokens is not None:
            rows.append(
                integer_row(
                    _usage(options, m, "tokens", canon),
                    Fraction(tokens),
                    f"capacity of {m}: {tokens:,} tokens",
                    f"capacity:{m}:tokens",
                )
            )
    from costplan.pricing.names import canonical_provider

    providers = sorted({comp.provider for o in options for comp in o.components})
    for key in c.max_provider_share:
        if key != "*" and canonical_provider(key) not in providers:
            raise _constraint_error(
                w, "max_provider_share", key,
                "share cap for a provider none of the usable models has", providers,
            )  # fmt: skip
    for prov in providers:
        share = share_cap(c.max_provider_share, prov)
        if share is None or share >= 1:
            continue
        # spend(prov) <= s * spend(all)  <=>  spend(prov) - s * spend(all) <= 0
        s = Fraction(share)
        coefs = [_spend(o, prov) - s * o.cost_pusd for o in options]
        rhs = s * sum(fixed.values()) - fixed.get(prov, 0)
        rows.append(
            integer_row(coefs, rhs, f"{prov} at most {share * 100:g}% of spend", f"share:{prov}")
        )
    return tuple(rows)
