"""The use cases as Python functions, for notebooks and scripts (``import costplan``).

``costplan.load``, ``optimize``, ``assign``, ``frontier``, ``check``, ``report``, ``export``
and ``reconcile`` are these functions (``import costplan`` makes them attributes of the
package lazily, see ``costplan/__init__.py``); typed code imports them from here. Each is a
thin wrapper over the library the CLI runs, with the same errors
(:class:`costplan.errors.CostplanError` subclasses, never turned into messages here).

Money is exact **Decimal USD** at this boundary (integer pico-dollars divided by 10**12,
no rounding: ``Decimal('0.000488166667')``); a budget may be given as a Decimal, int or
decimal string (never a float, which is not exact). Results are frozen views over the
library objects (``.plan``, ``.frontier``, ``.result``) with ``to_pandas()`` (pandas is
optional: without it, an :class:`~costplan.errors.InputError` saying how to install it)
and ``_repr_html_`` (a notebook shows the table).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from costplan.errors import InputError
from costplan.money import pusd_to_usd

if TYPE_CHECKING:
    from costplan.check import CheckResult
    from costplan.frontier import Frontier
    from costplan.options import OptionTable
    from costplan.plan import Plan
    from costplan.reconcile.run import Reconciled

__all__ = ["CheckView", "FrontierView", "PlanView", "ReconcileView", "assign", "check",
           "export", "frontier", "load", "optimize", "reconcile", "report"]  # fmt: skip

PathLike = str | Path
Money = Decimal | int | str


def usd(pusd: int) -> Decimal:
    """Exact USD of an amount in pico-dollars."""
    return pusd_to_usd(pusd)


def _money(value: Money | None, what: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise InputError(f"{what} must be a Decimal, int or decimal string (floats are not exact)",
                         value=value)  # fmt: skip
    try:
        return Decimal(value)
    except ArithmeticError:
        raise InputError(f"{what} is not a number", value=value) from None


def _pandas() -> Any:
    import importlib

    try:
        pandas = importlib.import_module("pandas")
    except ImportError:
        raise InputError(
            "to_pandas() needs the optional package pandas", hint="pip install pandas"
        ) from None
    return pandas


def _html_table(rows: Sequence[Mapping[str, object]], caption: str) -> str:
    """A small escaped HTML table of ``rows`` (a notebook's rich display)."""
    head = list(rows[0]) if rows else []
    out = [f"<table><caption>{html.escape(caption)}</caption><thead><tr>"]
    out += [f"<th>{html.escape(str(h))}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(str(r[h]))}</td>" for h in head) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


@dataclass(frozen=True)
class PlanView:
    """A plan (``.plan``, the library's :class:`~costplan.plan.Plan`) with money in USD."""

    plan: Plan

    @property
    def cost_usd(self) -> Decimal:
        return usd(self.plan.cost_pusd)

    @property
    def budget_usd(self) -> Decimal | None:
        return None if self.plan.budget_pusd is None else usd(self.plan.budget_pusd)

    @property
    def mean_quality(self) -> Decimal:
        return self.plan.mean_quality

    @property
    def status(self) -> str:
        return self.plan.status

    def allocations(self) -> list[dict[str, Any]]:
        """One row per (task, model, mode): counts, share of the task, quality, exact USD."""
        return [
            {
                "task": t.name, "model": a.model, "mode": a.mode, "provider": a.provider,
                "count": a.count,
                "share": Decimal(a.count) / t.volume if t.volume else Decimal(0),
                "quality": a.quality,
                "cost_per_query_usd": usd(a.cost_per_query_pusd),
                "cost_usd": usd(a.cost_pusd),
            }
            for t in self.plan.tasks
            for a in t.allocations
        ]  # fmt: skip

    def to_pandas(self) -> Any:
        """:meth:`allocations` as a ``pandas.DataFrame`` (Decimal columns kept exact)."""
        return _pandas().DataFrame(self.allocations())

    def save(self, path: PathLike) -> None:
        """Write the plan file (``.yaml`` or ``.json``), as ``optimize -o`` does."""
        from costplan.planio import write_plan

        write_plan(self.plan, Path(path))

    def _repr_html_(self) -> str:
        p = self.plan
        caption = (f"{p.workload}: {p.objective}, {p.status}, cost ${self.cost_usd} per "
                   f"{p.period}, mean quality {p.mean_quality:.4f}")  # fmt: skip
        return _html_table(self.allocations(), caption)


@dataclass(frozen=True)
class FrontierView:
    """A cost-quality frontier (``.frontier``) with money in USD."""

    frontier: Frontier

    @property
    def knee(self) -> int | None:
        return self.frontier.knee

    def points(self) -> list[dict[str, Any]]:
        return [{"cost_usd": usd(p.cost_pusd), "mean_quality": p.mean_quality,
                 "status": p.status, "knee": i == self.frontier.knee}
                for i, p in enumerate(self.frontier.points)]  # fmt: skip

    def to_pandas(self) -> Any:
        return _pandas().DataFrame(self.points())

    def _repr_html_(self) -> str:
        return _html_table(self.points(), f"{self.frontier.workload}: cost-quality frontier")


@dataclass(frozen=True)
class CheckView:
    """A saved plan re-priced (``.result``, :class:`costplan.check.CheckResult`)."""

    result: CheckResult

    @property
    def passed(self) -> bool:
        return self.result.passed

    @property
    def failures(self) -> tuple[str, ...]:
        return self.result.failures

    @property
    def old_cost_usd(self) -> Decimal:
        return usd(self.result.old_cost_pusd)

    @property
    def new_cost_usd(self) -> Decimal | None:
        new = self.result.new_cost_pusd
        return None if new is None else usd(new)

    def to_pandas(self) -> Any:
        return _pandas().DataFrame([{"passed": self.passed, "old_cost_usd": self.old_cost_usd,
                                     "new_cost_usd": self.new_cost_usd,
                                     "failures": "; ".join(self.failures)}])  # fmt: skip

    def _repr_html_(self) -> str:
        return _html_table(self.to_rows(), "costplan check")

    def to_rows(self) -> list[dict[str, Any]]:
        return [{"passed": self.passed, "old_cost_usd": self.old_cost_usd,
                 "new_cost_usd": self.new_cost_usd, "failures": "; ".join(self.failures)}]


@dataclass(frozen=True)
class ReconcileView:
    """Plan against actual (``.result``, :class:`costplan.reconcile.run.Reconciled`)."""

    result: Reconciled

    @property
    def plan_usd(self) -> Decimal:
        return usd(self.result.result.plan_cost_pusd)

    @property
    def actual_usd(self) -> Decimal:
        return usd(self.result.result.actual_cost_pusd)

    @property
    def effects_usd(self) -> dict[str, Decimal]:
        """The effects that add up exactly to actual - plan, in USD."""
        return {k: usd(v) for k, v in self.result.result.effects.as_dict().items()}

    def tasks(self) -> list[dict[str, Any]]:
        return [{"task": t.name, "plan_usd": usd(t.plan_cost_pusd),
                 "actual_usd": usd(t.actual_cost_pusd),
                 **{f"{k}_usd": usd(v) for k, v in t.effects.as_dict().items()}}
                for t in self.result.result.tasks]  # fmt: skip

    def to_pandas(self) -> Any:
        return _pandas().DataFrame(self.tasks())

    def _repr_html_(self) -> str:
        return _html_table(self.tasks(), f"plan ${self.plan_usd}, actual ${self.actual_usd}")


def load(workload: PathLike, prices: Sequence[PathLike] = ()) -> OptionTable:
    """A workload and its price sheets (``prices`` overrides the workload's) as the option
    table every use case reads."""
    from costplan.api import load_inputs

    return load_inputs(Path(workload), tuple(Path(p) for p in prices))


def _table(workload: PathLike | OptionTable, prices: Sequence[PathLike]) -> OptionTable:
    from costplan.options import OptionTable

    return workload if isinstance(workload, OptionTable) else load(workload, prices)


def optimize(
    workload: PathLike | OptionTable, *, prices: Sequence[PathLike] = (),
    budget_usd: Money | None = None, objective: str | None = None, time_limit_s: float = 60.0,
) -> PlanView:  # fmt: skip
    """``costplan optimize``: the best plan for the workload (a path or :func:`load`'s table)."""
    from costplan.optimize import optimize as run

    if objective not in (None, "max_quality", "min_cost"):
        raise InputError("objective must be max_quality or min_cost", value=objective)
    plan = run(_table(workload, prices), objective=objective,  # type: ignore[arg-type]
               budget_usd=_money(budget_usd, "budget_usd"), time_limit_s=time_limit_s)  # fmt: skip
    return PlanView(plan)


def assign(
    queries: PathLike, *, prices: Sequence[PathLike], budget_usd: Money | None = None,
    objective: str = "max_quality", min_mean_quality: Money | None = None,
    modes: Sequence[str] = ("standard",), time_limit_s: float = 60.0,
) -> PlanView:  # fmt: skip
    """``costplan assign``: one model per query of a query file; the summary plan."""
    from costplan.assign import assign as run
    from costplan.money import budget_to_pusd
    from costplan.pricing.load import load_price_sheets
    from costplan.queries import load_queries

    budget = _money(budget_usd, "budget_usd")
    floor = _money(min_mean_quality, "min_mean_quality")
    result = run(load_queries(Path(queries)), load_price_sheets([Path(p) for p in prices]),
                 objective=objective,  # type: ignore[arg-type]
                 budget_pusd=None if budget is None else budget_to_pusd(budget),
                 min_mean_quality=floor, modes=tuple(modes),
                 time_limit_s=time_limit_s)  # fmt: skip
    return PlanView(result.plan)


def frontier(
    workload: PathLike | OptionTable, *, prices: Sequence[PathLike] = (), points: int = 10,
    time_limit_s: float = 10.0,
) -> FrontierView:  # fmt: skip
    """``costplan frontier``: the exact cost-quality Pareto frontier."""
    from costplan.frontier import compute_frontier

    return FrontierView(compute_frontier(_table(workload, prices), points=points,
                                         time_limit_s=time_limit_s))  # fmt: skip


def _plan(plan: PlanView | Plan | PathLike) -> tuple[Plan, Path | None]:
    from costplan.plan import Plan
    from costplan.planio import read_plan

    if isinstance(plan, PlanView):
        return plan.plan, None
    if isinstance(plan, Plan):
        return plan, None
    return read_plan(Path(plan)), Path(plan)


def check(
    plan: PathLike | PlanView, *, prices: Sequence[PathLike] = (),
    workload: PathLike | None = None, budget_usd: Money | None = None,
    max_increase_pct: Money | None = None,
) -> CheckView:  # fmt: skip
    """``costplan check``: does a saved plan survive new prices? (never raises for a failed
    check: see ``.passed`` and ``.failures``)."""
    from costplan.check import check_plan

    p, path = _plan(plan)
    return CheckView(check_plan(
        p, plan_path=path, workload_path=None if workload is None else Path(workload),
        prices=tuple(Path(x) for x in prices), budget_usd=_money(budget_usd, "budget_usd"),
        max_increase_pct=_money(max_increase_pct, "max_increase_pct"),
    ))  # fmt: skip


def report(plan: PlanView | Plan | PathLike, fmt: str = "html",
           frontier: FrontierView | None = None) -> str:  # fmt: skip
    """``costplan report``: the plan as markdown (``fmt="md"``) or self-contained HTML."""
    if fmt not in ("md", "html"):
        raise InputError("fmt must be md or html", value=fmt)
    p, _ = _plan(plan)
    drawn = None if frontier is None else frontier.frontier
    if fmt == "md":
        from costplan.report.markdown import render_markdown

        return render_markdown(p, drawn)
    from costplan.report.html import render_html

    return render_html(p, drawn)


def export(plan: PlanView | Plan | PathLike, to: str = "litellm", *,
           workload: PathLike | None = None, prices: Sequence[PathLike] = ()) -> str:  # fmt: skip
    """``costplan export``: a LiteLLM proxy config (reads the plan's workload and sheets for
    model strings, cost fields and rpm/tpm) or CSV."""
    from costplan.export import export_plan

    p, path = _plan(plan)
    inputs = None
    if to == "litellm":
        from costplan.export_inputs import load_export_inputs

        inputs = load_export_inputs(p, path, None if workload is None else Path(workload),
                                    tuple(Path(x) for x in prices))  # fmt: skip
    return export_plan(p, to, inputs)


def reconcile(plan: PathLike, usage: Sequence[PathLike], **options: Any) -> ReconcileView:
    """``costplan reconcile``: a saved plan against actual usage (options as
    :func:`costplan.api.reconcile`)."""
    from costplan.api import reconcile as run

    return ReconcileView(run(Path(plan), [Path(u) for u in usage], **options))
