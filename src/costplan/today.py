"""Today versus the plan: the workload's ``current`` allocation priced with the same sheets.

For each task with a ``current`` entry, today's queries per model are
:func:`costplan.workload.current.today_counts` (volume x share, largest remainder);
each model's per-query cost is the plan's own option for it (standard mode; a
model run today but not scored for the task is priced by the same option
builder, its quality unknown). Today's cost = sum count x cost per query; today's
quality = sum count x quality (micro-units), unknown when a model run today has
no score. Saving = today's cost - the plan's cost, per task and in total.

Logged against recomputed spend, per model over the traffic's covered span (from
the workload's sidecar): recomputed = requests x the cost of one request at that
model's logged mean lengths (uncached and output rounded up, cached rounded
down), in standard mode. A large difference means a wrong price sheet, an
unlisted discount, or tokens the log does not show (cache writes, tools).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from costplan.errors import InputError
from costplan.money import pusd_to_usd, usd_str, usd_to_pusd
from costplan.workload.current import today_counts

if TYPE_CHECKING:
    from costplan.options import Option, OptionTable
    from costplan.plan import Plan

_MICRO = 10**6


@dataclass(frozen=True)
class TodayTask:
    name: str
    volume: int
    counts: tuple[tuple[str, int], ...]
    cost_pusd: int
    quality_micro_total: int | None  # None: a model run today has no quality score
    plan_cost_pusd: int
    plan_quality_micro_total: int

    @property
    def saving_pusd(self) -> int:
        return self.cost_pusd - self.plan_cost_pusd


@dataclass(frozen=True)
class LoggedSpend:
    model: str
    requests: int
    logged_usd: Decimal | None
    recomputed_pusd: int


@dataclass(frozen=True)
class TodayVsPlan:
    tasks: tuple[TodayTask, ...]
    spend: tuple[LoggedSpend, ...] = ()

    @property
    def cost_pusd(self) -> int:
        return sum(t.cost_pusd for t in self.tasks)

    @property
    def plan_cost_pusd(self) -> int:
        return sum(t.plan_cost_pusd for t in self.tasks)

    @property
    def volume(self) -> int:
        return sum(t.volume for t in self.tasks)

    @property
    def quality_micro_total(self) -> int | None:
        qs = [t.quality_micro_total for t in self.tasks]
        return None if any(q is None for q in qs) else sum(q for q in qs if q is not None)

    @property
    def plan_quality_micro_total(self) -> int:
        return sum(t.plan_quality_micro_total for t in self.tasks)


def _option(table: OptionTable, task_name: str, model: str) -> tuple[Option, bool]:
    """The plan's standard-mode option for ``model`` on the task, and whether it is scored.

    A task with a cache policy has one such option per cache choice (none, 5m, 1h):
    today is priced with the cheapest, so that today's cost, and the saving claimed
    against it, is never overstated by a cache choice today did not make.
    """
    from costplan.options import _Builder

    mine = [o for o in table.options
            if o.task == task_name and o.model == model and o.kind == "model"
            and o.mode == "standard"]  # fmt: skip
    if mine:
        return min(mine, key=lambda o: (o.cost_pusd, o.cache)), True
    task = table.workload.task(task_name)
    if model not in table.sheet.models:
        where = ", ".join(str(p) for p in table.sheet.paths) or "the price sheet"
        raise InputError(
            f"a model run today is not in {where}",
            file=table.workload.path,
            key=("current", task_name, model),
            value=model,
        )
    options = _Builder(table.workload, table.sheet).model_options(task, model, Decimal(0))
    standard = min((o for o in options if o.mode == "standard"),
                   key=lambda o: (o.cost_pusd, o.cache))  # fmt: skip
    return standard, False


def compare(table: OptionTable, plan: Plan) -> TodayVsPlan | None:
    """Today against ``plan`` (None when the workload has no ``current`` allocation)."""
    w = table.workload
    if not w.current:
        return None
    tasks = []
    for tp in plan.tasks:
        shares = w.current.get(tp.name)
        if not shares:
            continue
        counts = today_counts(tp.volume, shares)
        cost, quality = 0, 0
        known = True
        for model, n in counts.items():
            option, scored = _option(table, tp.name, model)
            cost += n * option.cost_pusd
            known = known and scored
            quality += n * option.quality_micro
        tasks.append(
            TodayTask(
                tp.name,
                tp.volume,
                tuple(sorted(counts.items())),
                cost,
                quality if known else None,
                tp.cost_pusd,
                tp.quality_micro_total,
            )
        )
    return TodayVsPlan(tuple(tasks), _logged(table))


def _logged(table: OptionTable) -> tuple[LoggedSpend, ...]:
    """Logged against recomputed spend per model, from the sidecar (see the module docs)."""
    from costplan.pricing.cost import request_cost_pusd

    w = table.workload
    if w.empirical is None:
        return ()
    side = json.loads(w.empirical[0].read_text(encoding="utf-8"))
    per: dict[str, list[Any]] = {}
    for task in side.get("tasks", {}).values():
        for model, m in task.get("models", {}).items():
            if model not in table.sheet.models:
                continue
            n = int(m["requests"])
            prompt, cached = Fraction(m["prompt_mean"]), Fraction(m["cached_mean"])
            output = Fraction(m["output_mean"])
            reasoning = Fraction(m["reasoning_mean"] or 0)
            cached_i = cached.numerator // cached.denominator
            one = request_cost_pusd(
                table.sheet.models[model].schedule("standard"),
                uncached=_ceil(prompt) - cached_i,
                cached=cached_i,
                output=_ceil(output),
                reasoning=_ceil(reasoning),
            )
            entry = per.setdefault(model, [0, None, 0])
            entry[0] += n
            entry[2] += n * int(one)
            if m["spend_usd"] is not None:
                entry[1] = (entry[1] or Decimal(0)) + Decimal(m["spend_usd"])
    return tuple(LoggedSpend(m, e[0], e[1], e[2]) for m, e in sorted(per.items()))


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def _q(micro: int | None, volume: int) -> str | None:
    if micro is None or not volume:
        return None
    return f"{Decimal(micro) / _MICRO / volume:.6f}"


def to_dict(t: TodayVsPlan) -> dict[str, Any]:
    """Exact plan-file form (money as decimal strings, quality totals in micro-units)."""
    return {
        "tasks": [
            {
                "name": x.name,
                "volume": x.volume,
                "counts": dict(x.counts),
                "cost_usd": usd_str(x.cost_pusd),
                "quality_micro_total": x.quality_micro_total,
                "mean_quality": _q(x.quality_micro_total, x.volume),
                "plan_cost_usd": usd_str(x.plan_cost_pusd),
                "plan_quality_micro_total": x.plan_quality_micro_total,
                "saving_usd": usd_str(x.saving_pusd),
            }
            for x in t.tasks
        ],
        "spend": [
            {
                "model": s.model,
                "requests": s.requests,
                "logged_usd": None if s.logged_usd is None else str(s.logged_usd.normalize()),
                "recomputed_usd": usd_str(s.recomputed_pusd),
            }
            for s in t.spend
        ],
    }


def from_dict(data: Mapping[str, Any]) -> TodayVsPlan:
    """Inverse of :func:`to_dict` (the plan reader validates the surrounding file)."""
    tasks = tuple(
        TodayTask(
            str(x["name"]),
            int(x["volume"]),
            tuple((str(m), int(n)) for m, n in dict(x["counts"]).items()),
            usd_to_pusd(Decimal(str(x["cost_usd"]))),
            None if x["quality_micro_total"] is None else int(x["quality_micro_total"]),
            usd_to_pusd(Decimal(str(x["plan_cost_usd"]))),
            int(x["plan_quality_micro_total"]),
        )
        for x in data.get("tasks", [])
    )
    spend = tuple(
        LoggedSpend(
            str(s["model"]),
            int(s["requests"]),
            None if s["logged_usd"] is None else Decimal(str(s["logged_usd"])),
            usd_to_pusd(Decimal(str(s["recomputed_usd"]))),
        )
        for s in data.get("spend", [])
    )
    return TodayVsPlan(tasks, spend)


def table_rows(t: TodayVsPlan) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the "today vs plan" table (shared by every renderer)."""
    header = ["task", "today cost", "today quality", "plan cost", "plan quality", "saving"]
    rows = []

    def money(p: int) -> str:
        return _usd(pusd_to_usd(p), 2)

    def saving(today: int, plan: int) -> str:
        s = today - plan
        pct = f" ({Decimal(s) / today * 100:.1f}%)" if today else ""
        return money(s) + pct

    for x in t.tasks:
        rows.append(
            [
                x.name,
                money(x.cost_pusd),
                _q(x.quality_micro_total, x.volume) or "unknown",
                money(x.plan_cost_pusd),
                _q(x.plan_quality_micro_total, x.volume) or "",
                saving(x.cost_pusd, x.plan_cost_pusd),
            ]
        )
    rows.append(
        [
            "total",
            money(t.cost_pusd),
            _q(t.quality_micro_total, t.volume) or "unknown",
            money(t.plan_cost_pusd),
            _q(t.plan_quality_micro_total, t.volume) or "",
            saving(t.cost_pusd, t.plan_cost_pusd),
        ]
    )
    return header, rows


def spend_rows(t: TodayVsPlan) -> tuple[list[str], list[list[str]]]:
    """Header and rows of "logged vs recomputed spend" (over the log's span)."""
    header = ["model", "requests", "logged", "recomputed", "logged - recomputed"]
    rows = []
    for s in t.spend:
        recomputed = pusd_to_usd(s.recomputed_pusd)
        logged = "not logged" if s.logged_usd is None else _usd(s.logged_usd, 6)
        diff = "" if s.logged_usd is None else _usd(s.logged_usd - recomputed, 6)
        rows.append([s.model, f"{s.requests:,}", logged, _usd(recomputed, 6), diff])
    return header, rows


def _usd(value: Decimal, places: int) -> str:
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.{places}f}"
