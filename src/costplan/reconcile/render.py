"""Reports of a reconciliation: the JSON document, the shared tables, terminal and markdown.

The JSON document (``--format json``, schema: :data:`costplan.reconcile.schema.SCHEMA`,
``costplan schema reconcile``) carries every amount as an exact decimal string in USD
(``plan_cost_usd``, ``actual_cost_usd``, ``effects``: one per effect, whose sum is
exactly ``actual_cost_usd - plan_cost_usd``, per task and in total). Printed tables
round money to cents by largest remainder (:func:`costplan.money.cents`) so that each
row's effects add up to its printed difference.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from costplan.money import cents, pusd_to_usd, usd_str
from costplan.reconcile.decompose import EFFECTS, Effects, ModelLine, TaskResult
from costplan.reconcile.gate import off_plan_share
from costplan.reconcile.load import iso_utc

if TYPE_CHECKING:
    from rich.console import Console

    from costplan.reconcile.run import Reconciled

JSON_FORMAT_VERSION = 1
TOKEN_KINDS = ("prompt", "cached", "output", "reasoning")


@dataclass(frozen=True)
class Sums:
    """Plan and actual requests, tokens by kind (prompt includes cached) and costs,
    summed over some (task, model) lines: a task, a model across tasks, or everything."""

    plan_requests: int
    actual_requests: int
    plan_tokens: dict[str, Fraction]
    actual_tokens: dict[str, int]
    plan_cost_pusd: int
    actual_cost_pusd: int


def sums(lines: Iterable[ModelLine]) -> Sums:
    items = list(lines)
    return Sums(
        sum(x.plan_requests for x in items), sum(x.actual_requests for x in items),
        {k: sum((Fraction(x.plan_tokens[k]) for x in items), Fraction(0)) for k in TOKEN_KINDS},
        {k: sum(x.actual_tokens[k] for x in items) for k in TOKEN_KINDS},
        sum(x.plan_cost_pusd for x in items), sum(x.actual_cost_pusd for x in items),
    )


def by_model(rec: Reconciled) -> list[tuple[str, str, Sums]]:
    """(model, provider, sums over every task's line of it), in model order."""
    lines: dict[str, list[ModelLine]] = {}
    for t in rec.result.tasks:
        for x in t.lines:
            lines.setdefault(x.model, []).append(x)
    return [(m, xs[0].provider, sums(xs)) for m, xs in sorted(lines.items())]


def _tokens_json(s: Sums) -> dict[str, Any]:
    return {
        "plan_requests": s.plan_requests,
        "actual_requests": s.actual_requests,
        "plan_tokens": {k: frac_str(v) for k, v in s.plan_tokens.items()},
        "actual_tokens": dict(s.actual_tokens),
    }


def frac_str(x: Fraction, places: int = 6) -> str:
    """Exact decimal text when the fraction has one (denominator 2^a 5^b), else rounded."""
    d = x.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    value = Decimal(x.numerator) / Decimal(x.denominator)
    if d != 1:
        value = value.quantize(Decimal(1).scaleb(-places))
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def plain_decimal(d: Decimal) -> str:
    """An exact decimal without exponent or trailing zeros (``1.25``, not ``1.250000``)."""
    text = f"{d:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _effects(e: Effects) -> dict[str, str]:
    return {k: usd_str(v) for k, v in e.as_dict().items()}


def _task_json(t: TaskResult) -> dict[str, Any]:
    off = off_plan_share(t)
    qoff = off_plan_share(t, quality_weighted=True)
    return {
        "name": t.name,
        "planned": t.planned,
        "plan_volume": t.plan_volume,
        "actual_requests": t.actual_requests,
        "plan_cost_usd": usd_str(t.plan_cost_pusd),
        "actual_cost_usd": usd_str(t.actual_cost_pusd),
        "difference_usd": usd_str(t.actual_cost_pusd - t.plan_cost_pusd),
        "effects": _effects(t.effects),
        "on_plan_share": None if t.on_plan_share is None else frac_str(t.on_plan_share),
        "off_plan_share": None if off is None else frac_str(off),
        "quality_weighted_off_plan_share": None if qoff is None else frac_str(qoff),
        "basis_usd": frac_str(t.basis_pusd / 10**12, 12),
        "plan_tokens": {k: frac_str(v) for k, v in sums(t.lines).plan_tokens.items()},
        "actual_tokens": dict(sums(t.lines).actual_tokens),
        "models": [
            {
                "model": x.model,
                "provider": x.provider,
                "planned": x.planned,
                "priced": x.priced,
                "plan_requests": x.plan_requests,
                "actual_requests": x.actual_requests,
                "plan_cost_usd": usd_str(x.plan_cost_pusd),
                "actual_cost_usd": usd_str(x.actual_cost_pusd),
                "plan_tokens": {k: frac_str(v) for k, v in x.plan_tokens.items()},
                "actual_tokens": dict(x.actual_tokens),
                "logged_spend_usd": None if x.spend_usd is None else plain_decimal(x.spend_usd),
            }
            for x in t.lines
        ],
    }


def to_json(rec: Reconciled, gate: Sequence[str] | None) -> dict[str, Any]:
    """The ``--format json`` document (see the module docstring)."""
    r, u = rec.result, rec.usage
    return {
        "format": JSON_FORMAT_VERSION,
        "plan": str(rec.plan_path),
        "workload": rec.plan.workload,
        "plan_period": rec.plan.period,
        "period": {"start": iso_utc(u.period.start), "end": iso_utc(u.period.end),
                   "given": u.period.given},
        "covered": {"start": iso_utc(u.covered[0]), "end": iso_utc(u.covered[1])},
        "usage": [{"file": str(f), "format": fmt} for f, fmt in zip(u.files, u.formats,
                                                                    strict=True)],
        "plan_prices": [str(p) for p in rec.plan_price_paths],
        "prices": [str(p) for p in rec.price_paths],
        "plan_cost_usd": usd_str(r.plan_cost_pusd),
        "actual_cost_usd": usd_str(r.actual_cost_pusd),
        "difference_usd": usd_str(r.actual_cost_pusd - r.plan_cost_pusd),
        "effects": _effects(r.effects),
        "effect_order": ["volume", "unplanned", "mix", "length", "cache", "price"],
        "tasks": [_task_json(t) for t in r.tasks],
        "models": [
            {"model": m, "provider": p, **_tokens_json(s),
             "plan_cost_usd": usd_str(s.plan_cost_pusd),
             "actual_cost_usd": usd_str(s.actual_cost_pusd)}
            for m, p, s in by_model(rec)
        ],
        "totals": _tokens_json(sums(x for t in r.tasks for x in t.lines)),
        "gate": None if gate is None else {"passed": not gate, "reasons": list(gate)},
        "warnings": list(rec.warnings),
        "notes": list(r.notes),
    }


# --- tables shared by terminal, markdown and HTML ------------------------------------------


def _money(d: Decimal) -> str:
    sign = "-" if d < 0 else ""
    return f"{sign}${abs(d):,.2f}"


def _signed(d: Decimal) -> str:
    return ("+" if d > 0 else "") + _money(d)


def _share(x: Fraction | None) -> str:
    return "" if x is None else f"{float(x) * 100:.1f}%"


def task_rows(rec: Reconciled) -> tuple[list[str], list[list[str]]]:
    """Per task and total: requests, share on plan (by requests and quality-weighted,
    :func:`costplan.reconcile.decompose.on_plan_shares`), cost, difference."""
    header = ["task", "plan requests", "actual requests", "on plan", "on plan (quality)",
              "plan cost", "actual cost", "difference"]
    rows = []
    tasks = list(rec.result.tasks)
    for t in tasks:
        rows.append([
            t.name + ("" if t.planned else " (unplanned)"), f"{t.plan_volume:,}",
            f"{t.actual_requests:,}", _share(t.on_plan_share), _share(t.quality_on_plan_share),
            _money(pusd_to_usd(t.plan_cost_pusd)), _money(pusd_to_usd(t.actual_cost_pusd)),
            _signed(pusd_to_usd(t.actual_cost_pusd - t.plan_cost_pusd)),
        ])
    r = rec.result
    rows.append([
        "total", f"{sum(t.plan_volume for t in tasks):,}",
        f"{sum(t.actual_requests for t in tasks):,}", "", "",
        _money(pusd_to_usd(r.plan_cost_pusd)),
        _money(pusd_to_usd(r.actual_cost_pusd)),
        _signed(pusd_to_usd(r.actual_cost_pusd - r.plan_cost_pusd)),
    ])
    return header, rows


def effect_rows(rec: Reconciled) -> tuple[list[str], list[list[str]]]:
    """Per task and total: each effect in cents, the cents of a row add up to its total."""
    header = ["task", *EFFECTS, "actual - plan"]
    rows = []
    items = [(t.name, t.effects) for t in rec.result.tasks] + [("total", rec.result.effects)]
    for name, e in items:
        values = [pusd_to_usd(v) for v in e.as_dict().values()]
        rounded = cents(values)
        rows.append([name, *(_signed(v) for v in rounded), _signed(sum(rounded, Decimal(0)))])
    return header, rows


def model_rows(rec: Reconciled) -> tuple[list[str], list[list[str]]]:
    """Per (task, model): planned and actual requests, actual tokens by kind, costs."""
    header = ["task", "model", "plan requests", "actual requests", "prompt", "cached", "output",
              "reasoning", "plan cost", "actual cost"]
    rows = []
    for t in rec.result.tasks:
        for x in t.lines:
            flag = "" if x.planned else (" (unplanned)" if x.priced else " (unknown model)")
            tok = x.actual_tokens
            rows.append([
                t.name, x.model + flag, f"{x.plan_requests:,}", f"{x.actual_requests:,}",
                f"{tok['prompt']:,}", f"{tok['cached']:,}", f"{tok['output']:,}",
                f"{tok['reasoning']:,}", _money(pusd_to_usd(x.plan_cost_pusd)),
                _money(pusd_to_usd(x.actual_cost_pusd)),
            ])
    return header, rows


def _tok(x: Fraction | int) -> str:
    return f"{round(x):,}"


def total_rows(rec: Reconciled) -> tuple[list[str], list[list[str]]]:
    """Per model (across tasks) and in total, a plan row and an actual row: requests,
    tokens by kind and cost (planned tokens are expected counts, shown rounded)."""
    header = ["model", "", "requests", *TOKEN_KINDS, "cost"]
    everything = sums(x for t in rec.result.tasks for x in t.lines)
    rows = []
    for name, s in [*((m, s) for m, _p, s in by_model(rec)), ("total", everything)]:
        rows.append([name, "plan", f"{s.plan_requests:,}",
                     *(_tok(s.plan_tokens[k]) for k in TOKEN_KINDS),
                     _money(pusd_to_usd(s.plan_cost_pusd))])
        rows.append(["", "actual", f"{s.actual_requests:,}",
                     *(_tok(s.actual_tokens[k]) for k in TOKEN_KINDS),
                     _money(pusd_to_usd(s.actual_cost_pusd))])
    return header, rows


def headline(rec: Reconciled) -> str:
    r, u = rec.result, rec.usage
    diff = pusd_to_usd(r.actual_cost_pusd - r.plan_cost_pusd)
    pct = (f" ({Decimal(r.actual_cost_pusd - r.plan_cost_pusd) / r.plan_cost_pusd * 100:+.2f}%)"
           if r.plan_cost_pusd else "")
    return (
        f"plan {_money(pusd_to_usd(r.plan_cost_pusd))}, actual "
        f"{_money(pusd_to_usd(r.actual_cost_pusd))}: {_signed(diff)}{pct} "
        f"({iso_utc(u.period.start)} to {iso_utc(u.period.end)})"
    )


METHOD = (
    "Effects in order volume, unplanned, mix, length, cache, price: each stage changes one "
    "factor, quantities valued at the plan's prices and the price effect at actual "
    "quantities; they add up exactly to actual - plan (see `costplan.reconcile.decompose`)."
)


# --- terminal and markdown -----------------------------------------------------------------


def render_terminal(rec: Reconciled, console: Console, gate: Sequence[str] | None) -> None:
    from rich.table import Table

    console.print(f"reconcile {rec.plan_path}: {headline(rec)}")
    for title, (header, rows) in (
        ("Plan against actual, per task", task_rows(rec)),
        ("Where the difference came from (USD)", effect_rows(rec)),
        ("Per task and model (actual tokens)", model_rows(rec)),
        ("Per model and in total (tokens by kind, plan and actual)", total_rows(rec)),
    ):
        table = Table(title=title, title_justify="left")
        left = 2 if header[1] in ("model", "") else 1
        for i, h in enumerate(header):
            table.add_column(h, justify="left" if i < left else "right")
        for row in rows:
            table.add_row(*row)
        console.print(table)
    for line in (*rec.warnings, *(f"note: {n}" for n in rec.result.notes)):
        console.print(line)
    if gate is not None and not gate:
        console.print("gate passed")


def _md_escape(text: str) -> str:
    from costplan.report.markdown import md_escape

    return md_escape(text)


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    out = ["| " + " | ".join(_md_escape(h) for h in header) + " |",
           "| " + " | ".join(":--" if i == 0 else "--:" for i in range(len(header))) + " |"]
    out += ["| " + " | ".join(_md_escape(c) for c in r) + " |" for r in rows]
    return [*out, ""]


def render_markdown(rec: Reconciled, gate: Sequence[str] | None) -> str:
    out = [f"# Plan against actual: {_md_escape(rec.plan.workload)}", "",
           _md_escape(headline(rec)), ""]
    if gate is not None:
        out += ["**gate passed**" if not gate else "**gate failed**:", ""]
        out += [f"- {_md_escape(g)}" for g in gate] + ([""] if gate else [])
    out += ["## Per task", "", *md_table(*task_rows(rec))]
    out += ["## Where the difference came from", "", *md_table(*effect_rows(rec)),
            _md_escape(METHOD), ""]
    out += ["## Per task and model", "", *md_table(*model_rows(rec))]
    out += ["## Per model and in total", "", *md_table(*total_rows(rec))]
    lines = [*rec.warnings, *rec.result.notes]
    if lines:
        out += ["## Notes", "", *(f"- {_md_escape(n)}" for n in lines), ""]
    return "\n".join(out)
