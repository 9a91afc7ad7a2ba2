"""Rows and totals shared by every plan renderer (terminal, markdown, HTML, export).

One computation so that all reports of the same Plan print the same numbers:

* Every allocation row's cost is rounded to cents with
  :func:`costplan.money.cents` over **all rows of the plan at once**, so the
  printed total equals the sum of the printed rows to the cent, and a task's
  subtotal is the sum of its printed rows.
* The same holds for the cost at p95 lengths (``Allocation.cost_p95_pusd``).
* Shares are exact ``count / volume``; where a fixed number of decimals is
  needed (routing weights, CSV) :func:`shares` rounds them by largest remainder
  so that they sum to exactly 1 per task.

Nothing here is tied to a medium: the one-line summaries (:func:`budget_line`,
:func:`status_line`, :func:`period_line`) are printed verbatim by every report, and
the optional sections (explanations, frontier) are turned into neutral blocks
(:class:`Text`, :class:`Items`, :class:`Pairs`, :class:`Grid`) that the markdown
and HTML renderers lay out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from costplan.money import cents, fmt_usd, pusd_to_usd
from costplan.options import QUALITY_SCALE
from costplan.plan import Allocation, Plan, TaskPlan


@dataclass(frozen=True)
class Row:
    """One allocation as printed: exact share, cent-rounded cost and p95 cost."""

    task: TaskPlan
    alloc: Allocation
    first: bool  # first row of its task
    share: Decimal  # exact count / volume
    cost: Decimal  # USD, cents, largest-remainder rounded across the plan
    cost_p95: Decimal  # USD, cents, likewise

    @property
    def per_1k_usd(self) -> Decimal:
        """Exact cost of 1,000 queries in USD."""
        return pusd_to_usd(self.alloc.cost_per_query_pusd * 1000)


@dataclass(frozen=True)
class TaskTotal:
    """A task's subtotals: sums of its printed rows."""

    task: TaskPlan
    cost: Decimal
    cost_p95: Decimal


@dataclass(frozen=True)
class PlanTables:
    rows: tuple[Row, ...]
    tasks: tuple[TaskTotal, ...]
    total: Decimal  # == sum(row.cost)
    total_p95: Decimal  # == sum(row.cost_p95)
    budget: Decimal | None  # exact USD
    has_p95: bool  # the plan records p95 costs (plans written before they existed do not)
    #: (label, cents) of each taken commitment's fixed fee, part of ``total``
    fees: tuple[tuple[str, Decimal], ...] = ()


def plan_tables(plan: Plan) -> PlanTables:
    """Rows and totals of ``plan`` (see the module docstring for the rounding rule)."""
    pairs = [(t, a) for t in plan.tasks for a in t.allocations]
    taken = [c for c in plan.commitments if c.taken]
    fee_usd = [pusd_to_usd(c.fee_pusd) for c in taken]
    both = cents([*(pusd_to_usd(a.cost_pusd) for _, a in pairs), *fee_usd])
    row_cents, fee_cents = both[: len(pairs)], both[len(pairs) :]
    both95 = cents([*(pusd_to_usd(a.cost_p95_pusd) for _, a in pairs), *fee_usd])
    row_p95 = both95[: len(pairs)]
    rows = tuple(
        Row(
            task=t,
            alloc=a,
            first=i == 0 or pairs[i - 1][0] is not t,
            share=Decimal(a.count) / t.volume if t.volume else Decimal(0),
            cost=c,
            cost_p95=p,
        )
        for i, ((t, a), c, p) in enumerate(zip(pairs, row_cents, row_p95, strict=True))
    )
    tasks = tuple(
        TaskTotal(
            task=t,
            cost=sum((r.cost for r in rows if r.task is t), Decimal(0)),
            cost_p95=sum((r.cost_p95 for r in rows if r.task is t), Decimal(0)),
        )
        for t in plan.tasks
    )
    # A plan costing something but with no p95 cost at all predates p95 costs.
    # Per-query plans price each query's own lengths: there is no p95 to speak of.
    per_query = any(a.per_query for t in plan.tasks for a in t.allocations)
    has_p95 = not per_query and (plan.cost_p95_pusd > 0 or plan.cost_pusd == 0)
    return PlanTables(
        rows=rows,
        tasks=tasks,
        total=sum(both, Decimal(0)),
        total_p95=sum(both95, Decimal(0)),
        budget=None if plan.budget_pusd is None else pusd_to_usd(plan.budget_pusd),
        has_p95=has_p95,
        fees=tuple((f"commitment {c.name} (fixed fee)", x) for c, x in zip(taken, fee_cents,
                                                                          strict=True)),
    )


def shares(counts: Sequence[int], volume: int, places: int = 6) -> list[Decimal]:
    """``count / volume`` rounded to ``places`` decimals, summing to exactly 1.

    Largest remainder on integers: each share is floored to ``10**-places`` and the
    units still missing go to the largest remainders (ties to the earlier row). Each
    result is within ``10**-places`` of the exact share. ``counts`` must sum to
    ``volume``; a zero volume gives zeros.
    """
    if volume <= 0:
        return [Decimal(0) for _ in counts]
    unit = 10**places
    scaled = [c * unit for c in counts]
    floors = [s // volume for s in scaled]
    missing = unit - sum(floors)
    order = sorted(range(len(counts)), key=lambda i: (-(scaled[i] % volume), i))
    for i in order[:missing]:
        floors[i] += 1
    return [Decimal(f).scaleb(-places) for f in floors]


def per_period(plan: Plan) -> str:
    return f"per {plan.period}"


def title(plan: Plan) -> str:
    return f"costplan: {plan.workload} ({plan.objective}, {per_period(plan)})"


def _pct(part: Decimal, whole: Decimal) -> str:
    return f"{part / whole * 100:.1f}%" if whole else "n/a"


def budget_line(plan: Plan, tables: PlanTables) -> str:
    """``budget $500.00: plan costs $358.90, $141.10 left (28.2%)`` (as the terminal)."""
    total = tables.total
    if tables.budget is None:
        return f"no budget: plan costs {fmt_usd(total)} {per_period(plan)}"
    left = tables.budget - total
    return (
        f"budget {fmt_usd(tables.budget)}: plan costs {fmt_usd(total)}, "
        f"{fmt_usd(left)} left ({_pct(left, tables.budget)})"
    )


def bound_text(plan: Plan) -> str | None:
    """The solver's bound on the objective, for people; None when unknown."""
    if plan.bound is None or plan.volume == 0:
        return None
    if plan.objective == "max_quality":
        mean = Decimal(plan.bound) / QUALITY_SCALE / plan.volume
        return f"mean quality at most {mean:.4f}"
    return f"cost at least {fmt_usd(pusd_to_usd(plan.bound))}"


def gap_text(gap: Fraction | None) -> str:
    """The exact gap rounded for display only (3 significant digits)."""
    return "unknown" if gap is None else f"{float(gap):.3g}"


def status_line(plan: Plan) -> str:
    """``status: optimal; objective: mean quality; gap: 0 (proven optimal)``."""
    what = "mean quality" if plan.objective == "max_quality" else "cost"
    gap = "0 (proven optimal)" if plan.status == "optimal" else gap_text(plan.gap)
    return f"status: {plan.status}; objective: {what}; gap: {gap}"


def _up_to_cent(pusd: int) -> Decimal:
    return pusd_to_usd(pusd).quantize(Decimal("0.01"), rounding="ROUND_CEILING")


def period_line(plan: Plan) -> str | None:
    """``period cost P50 $X, P95 $Y, P99 $Z; P(cost <= budget) = p% (method)``.

    The plan's :class:`~costplan.risk.period.PeriodRisk` (README "Uncertainty"):
    quantiles rounded up to the cent, the probability down to 0.1 percentage point.
    None for plans without one (per-query plans, plans written before it existed).
    """
    r = plan.risk
    if r is None:
        return None
    how = {
        "normal": "normal approximation",
        "exact": "exact: each query of the file priced from its own tokens",
    }.get(r.method, f"Monte Carlo, {r.draws:,} draws, seed {r.seed}")
    qs = ", ".join(
        f"P{p} {fmt_usd(_up_to_cent(q))}"
        for p, q in zip((50, 95, 99), r.quantiles_pusd, strict=True)
    )
    head = f"period cost {qs}"
    if r.p_within_budget is not None:
        pct = (r.p_within_budget * 100).quantize(Decimal("0.1"), rounding="ROUND_FLOOR")
        head += f"; P(cost <= budget) = {pct}%"
    return f"{head} ({how}; sd {fmt_usd(_up_to_cent(r.sd_pusd))})"


def quality_line(plan: Plan) -> str | None:
    """``mean quality Q (95% interval L-H); P(floor met): task p%, ...`` from the evals'
    sample sizes (:mod:`costplan.risk.quality`); None when no used option states one."""
    q = plan.quality_risk
    if plan.risk is None or not any(
        a.quality_se is not None for t in plan.tasks for a in t.allocations if a.count
    ):
        return None
    lo, hi = q.interval
    head = f"mean quality {q.mean:.4f} (95% interval {lo:.4f}-{hi:.4f})"
    floors = [
        f"{t.name} {t.p_floor_met * 100:.1f}%"
        for t in q.tasks
        if t.p_floor_met is not None and t.known
    ]
    unknown = [t.name for t in q.tasks if not t.known]
    if unknown:
        head += f"; no n for {', '.join(unknown)} (taken as exact)"
    return head + (f"; P(floor met): {', '.join(floors)}" if floors else "")


# --- optional sections (explanations, frontier) ---------------------------------------
#
# ``Plan.explanations`` and frontiers come from modules that may not exist in every
# version; reports read them by duck typing so that they work before and after those
# land, and render any dataclass/mapping/sequence shape generically.


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Pairs:
    title: str | None
    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Grid:
    title: str | None
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Items:
    title: str | None
    items: tuple[str, ...]


Block = Text | Pairs | Grid | Items


def _is_money(name: str) -> bool:
    """Money by the package's naming rule: ``*_pusd`` ints, ``*_usd`` amounts (not rates)."""
    return name.endswith(("_pusd", "_usd")) and not name.endswith(("per_usd", "per_pusd"))


def _label(name: str) -> str:
    if _is_money(name):
        name = name.rsplit("_", 1)[0]
    return name.replace("_", " ")


def format_value(name: str, value: Any) -> str:
    """One scalar for people: money by its unit suffix, numbers compactly."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if _is_money(name) and name.endswith("_pusd") and isinstance(value, int):
        return fmt_usd(pusd_to_usd(value), places=2 if abs(value) >= 10**10 else 6)
    if _is_money(name) and isinstance(value, Decimal | int | float):
        usd = Decimal(str(value))
        return fmt_usd(usd, places=2 if abs(usd) >= Decimal("0.01") else 6)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, str):
        return value
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return ", ".join(format_value(name, v) for v in value)
    return str(value)


def _fields(obj: Any) -> list[tuple[str, Any]] | None:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return [(f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj)]
    if isinstance(obj, Mapping):
        return [(str(k), v) for k, v in obj.items()]
    return None


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | Decimal | bool)


def blocks(obj: Any, title: str | None = None) -> list[Block]:
    """Turn an explanation object of unknown shape into printable blocks.

    Strings become text; a dataclass or mapping becomes key/value pairs for its
    scalar fields, and each non-scalar field becomes its own titled block; a
    sequence of records becomes a grid (columns: the records' scalar fields); a
    sequence of scalars becomes a (titled) list. An object with ``lines()`` is asked
    for its own lines.
    """
    if obj is None:
        return []
    lines = getattr(obj, "lines", None)
    if callable(lines):
        return [Text(str(line)) for line in lines()]
    if isinstance(obj, str):
        return [Text(obj)]
    fields = _fields(obj)
    if fields is not None:
        scalars = tuple((_label(k), format_value(k, v)) for k, v in fields if _is_scalar(v))
        out: list[Block] = [Pairs(title, scalars)] if scalars else []
        for k, v in fields:
            if not _is_scalar(v):
                out.extend(blocks(v, _label(k)))
        return out
    if isinstance(obj, Iterable):
        items = list(obj)
        if not items:
            return []
        records = [_fields(i) for i in items]
        if all(r is not None for r in records):
            keys: list[str] = []
            for r in records:
                assert r is not None
                keys.extend(k for k, v in r if _is_scalar(v) and k not in keys)
            rows = []
            for r in records:
                assert r is not None
                d = dict(r)
                rows.append(tuple(format_value(k, d.get(k)) for k in keys))
            return [Grid(title, tuple(_label(k) for k in keys), tuple(rows))]
        return [Items(title, tuple(format_value(title or "", i) for i in items))]
    return [Text(str(obj))]


@dataclass(frozen=True)
class FrontierPoint:
    cost_usd: Decimal
    mean_quality: Decimal


_COST_NAMES = ("cost_pusd", "cost_usd", "budget_pusd", "budget_usd")
_QUALITY_NAMES = ("mean_quality", "quality")


def _get(item: Any, name: str) -> Any:
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def frontier_points(frontier: Any) -> list[FrontierPoint]:
    """The (cost, mean quality) points of a frontier, sorted by cost.

    Accepts any object with ``points`` (or an iterable of points) whose points
    carry a cost (``cost_pusd`` int, or ``cost_usd``; else the budget
    ``budget_pusd``/``budget_usd``) and ``mean_quality`` (or ``quality``).
    Points without a cost or quality (e.g. infeasible budgets) are left out.
    """
    items = getattr(frontier, "points", frontier)
    out = [p for p in (_point(item) for item in items or ()) if p is not None]
    return sorted(out, key=lambda p: (p.cost_usd, p.mean_quality))


def _point(item: Any) -> FrontierPoint | None:
    names = [n for n in _COST_NAMES if _get(item, n) is not None]
    quality = next((_get(item, n) for n in _QUALITY_NAMES if _get(item, n) is not None), None)
    if not names or quality is None:
        return None
    cost = _get(item, names[0])
    usd = pusd_to_usd(int(cost)) if names[0].endswith("_pusd") else Decimal(str(cost))
    return FrontierPoint(usd, Decimal(str(quality)))


def frontier_knee(frontier: Any) -> FrontierPoint | None:
    """The knee point (``frontier.knee``: an index into ``frontier.points``), if any."""
    knee = getattr(frontier, "knee", None)
    points = getattr(frontier, "points", None)
    if not isinstance(knee, int) or points is None or not 0 <= knee < len(points):
        return None
    return _point(points[knee])


def frontier_aiq(frontier: Any) -> Decimal | None:
    """``frontier.aiq`` (average mean quality over the frontier's cost range), if any."""
    aiq = getattr(frontier, "aiq", None)
    return None if aiq is None else Decimal(str(aiq))


def frontier_lines(frontier: Any) -> list[str]:
    """Sentences on the frontier's knee and AIQ, when it has them."""
    out = []
    knee = frontier_knee(frontier)
    if knee is not None:
        out.append(
            f"knee at {fmt_usd(knee.cost_usd)} (mean quality {knee.mean_quality:.4f}): "
            "beyond it each extra dollar buys much less quality"
        )
    aiq = frontier_aiq(frontier)
    if aiq is not None:
        out.append(f"AIQ (average mean quality over the frontier's cost range): {aiq}")
    return out


def explanations_of(plan: Plan) -> Any:
    """``plan.explanations`` when this version of Plan has it, else None."""
    return getattr(plan, "explanations", None)


RUNNER_UP_HEADER = (
    "task",
    "now",
    "runner-up",
    "$/query",
    "quality",
    "whole task: cost",
    "whole task: mean quality",
    "one query instead",
    "caveats",
)


def _signed_usd(pusd: int) -> str:
    places = 2 if abs(pusd) >= 10**12 else 6  # per-query deltas are fractions of a cent
    return ("+" if pusd >= 0 else "") + fmt_usd(pusd_to_usd(pusd), places=places)


def explanation_blocks(plan: Plan) -> list[Block]:
    """The plan's explanations as blocks: the terminal's sentences, runner-ups as a grid.

    For :class:`costplan.explain.Explanations` the summary uses the terminal
    report's own words (:func:`costplan.report.terminal.explanation_lines`) and
    every task's runner-up becomes a row of :data:`RUNNER_UP_HEADER`; any other
    shape (or a costplan without those modules) is rendered by :func:`blocks`.
    """
    e = explanations_of(plan)
    if e is None:
        return []
    try:
        from costplan.explain import Explanations
        from costplan.report.terminal import explanation_lines
    except ImportError:  # a costplan without explanations: render the object as it is
        return blocks(e)
    if not isinstance(e, Explanations):
        return blocks(e)
    # max_runner_ups=0: the runner-ups go to the grid below, not to sentences.
    lines = [x.strip() for x in explanation_lines(plan, max_runner_ups=0)[1:]]
    out: list[Block] = [Items(None, tuple(x for x in lines if not x.startswith("(")))]
    volume = {t.name: t.volume for t in plan.tasks}
    rows = []
    for r in e.runner_ups:
        v = volume.get(r.task, 0)
        dq = Decimal(r.whole_quality_delta_micro) / QUALITY_SCALE / v if v else Decimal(0)
        one = (
            f"{_signed_usd(r.query_cost_delta_pusd)}, "
            f"{Decimal(r.query_quality_delta_micro) / QUALITY_SCALE:+.3f} quality"
            if r.splittable
            else "whole task only (split: false)"
        )
        caveats = [
            w
            for ok, w in ((r.meets_floor, "misses floor"), (r.within_budget, "over budget"))
            if not ok
        ]
        rows.append(
            (
                r.task,
                r.current,
                r.label,
                fmt_usd(pusd_to_usd(r.cost_per_query_pusd), places=6),
                f"{r.quality:.3f}",
                _signed_usd(r.whole_cost_delta_pusd),
                f"{dq:+.4f}",
                one,
                ", ".join(caveats) or "-",
            )
        )
    if rows:
        out.append(Grid("runner-ups", RUNNER_UP_HEADER, tuple(rows)))
    return out
