"""Hand-built plans for report and export tests.

``hostile_plan`` has names that break naive markdown/HTML/matplotlib/CSV output
(pipes, tags, quotes, dollar signs, formula starts) and costs whose rounding to
cents only adds up with largest-remainder rounding: three rows of exactly
$0.005 each print as $0.01 + $0.01 + $0.00 = $0.02 (the rounded total), where
rounding each row alone would print $0.00 or $0.03.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from costplan.money import PUSD_PER_USD
from costplan.options import QUALITY_SCALE
from costplan.plan import Allocation, Baseline, Plan, TaskPlan

USD = PUSD_PER_USD
TASK_1 = 'tri|age <script>alert("x")</script>'
TASK_2 = "$x$ & _y_ *z*"
TASK_3 = "=SUM(A1:A9)"


def alloc(
    model: str,
    count: int,
    cost_pusd: int,
    *,
    provider: str = "openai",
    mode: str = "standard",
    quality: str = "0.9",
    p95_pusd: int | None = None,
    kind: str = "model",
    detail: str = "",
) -> Allocation:
    return Allocation(
        model=model,
        provider=provider,
        mode=mode,
        count=count,
        cost_per_query_pusd=cost_pusd,
        quality=Decimal(quality),
        cost_p95_per_query_pusd=cost_pusd * 2 if p95_pusd is None else p95_pusd,
        kind=kind,
        detail=detail,
    )


def hostile_plan(**changes: Any) -> Plan:
    """Three tasks, seven rows; budget $1.50, p95 cost over it."""
    tasks = (
        TaskPlan(
            TASK_1,
            3,
            Decimal("0.8"),
            (
                alloc("m|1", 1, USD // 3, quality="0.78", p95_pusd=USD * 6 // 10),
                alloc("big*", 2, USD // 3, provider="google", p95_pusd=USD * 6 // 10),
            ),
        ),
        TaskPlan(
            TASK_2,
            15,
            None,
            (
                alloc("m|1", 5, USD // 1000, mode="batch", quality="0.7"),
                alloc("big*", 5, USD // 1000, provider="google"),
                alloc("<b>c</b>", 5, USD // 1000, provider="anthropic", quality="0.85"),
            ),
        ),
        TaskPlan(
            TASK_3,
            7,
            None,
            (
                alloc("m|1", 3, 7 * USD // 100_000, quality="0.6"),
                alloc(
                    "mini-then-big",
                    4,
                    9 * USD // 100_000,
                    provider="openai+google",
                    kind="cascade",
                    detail="m|1 -> big* (escalating 20%)",
                    quality="0.88",
                ),
            ),
        ),
    )
    volume = sum(t.volume for t in tasks)
    fields: dict[str, Any] = {
        "workload": "demo <&> | team",
        "period": "month",
        "objective": "max_quality",
        "budget_pusd": 3 * USD // 2,
        "status": "optimal",
        "bound": float(sum(a.quality_micro_total for t in tasks for a in t.allocations)),
        "gap": 0.0,
        "tasks": tasks,
        "inputs": {"work|load <1>.yaml": "ab" * 32, "prices.yaml": "cd" * 32},
        "prices_as_of": "2026-11-01",
        "prices_source": "list <prices> & co",
        "baselines": (
            Baseline(
                "all on m|1",
                "every task on <m|1>",
                2 * USD,
                int(Decimal("0.7") * QUALITY_SCALE) * volume,
                volume,
                False,
                False,
            ),
        ),
        "solver": {"name": "cp-sat"},
        "notes": ("note with <tag> & | pipe",),
    }
    fields.update(changes)
    return Plan(**fields)


@dataclass(frozen=True)
class RunnerUp:
    task: str
    model: str
    quality_loss: Decimal
    saving_pusd: int


@dataclass(frozen=True)
class Explanations:
    """Stand-in for the shape ``costplan.explain`` produces (any dataclass renders)."""

    marginal_quality_per_usd: Decimal
    binding: tuple[str, ...]
    runners_up: tuple[RunnerUp, ...]


@dataclass(frozen=True)
class ExplainedPlan(Plan):
    """A Plan that carries ``explanations`` (before or after Plan itself has them)."""

    explanations: Any = None


def explained_plan() -> ExplainedPlan:
    base = hostile_plan()
    fields = {f: getattr(base, f) for f in base.__dataclass_fields__}
    fields["explanations"] = Explanations(
        marginal_quality_per_usd=Decimal("0.0125"),
        binding=("budget", "floor of <tri|age>"),
        runners_up=(RunnerUp(TASK_1, "<b>c</b>", Decimal("0.02"), 12 * USD // 100),),
    )
    return ExplainedPlan(**fields)


@dataclass(frozen=True)
class Point:
    cost_pusd: int
    mean_quality: Decimal


@dataclass(frozen=True)
class Frontier:
    """Stand-in for ``costplan.frontier.Frontier``: points, knee index, AIQ."""

    points: tuple[Point, ...]
    knee: int | None = None
    aiq: Decimal | None = None


def frontier() -> Frontier:
    return Frontier(
        (
            Point(USD // 2, Decimal("0.70")),
            Point(USD, Decimal("0.80")),
            Point(3 * USD // 2, Decimal("0.86")),
            Point(2 * USD, Decimal("0.88")),
        ),
        knee=1,
        aiq=Decimal("0.812345"),
    )
