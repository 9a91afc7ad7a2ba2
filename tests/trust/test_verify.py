"""The independent plan verifier: real plans pass, every kind of tampering is named."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

import costplan.optimize as optimize_mod
from costplan.api import load_inputs
from costplan.errors import InternalError
from costplan.optimize import optimize
from costplan.options import OptionTable
from costplan.plan import Plan, TaskPlan
from costplan.verify import p95_higher, verify_plan
from costplan.workload.model import Capacity, Constraints
from tests.cli.conftest import edit
from tests.trust.conftest import Runner

# ------------------------------------------------------------------ helpers


def solved(folder: Path, **kwargs: object) -> tuple[Plan, OptionTable]:
    table = load_inputs(folder / "workload.yaml")
    return optimize(table, explain=False, **kwargs), table  # type: ignore[arg-type]


def with_alloc(plan: Plan, task: int, j: int, **changes: object) -> Plan:
    """``plan`` with allocation ``j`` of task ``task`` changed."""
    tp = plan.tasks[task]
    allocs = list(tp.allocations)
    allocs[j] = dataclasses.replace(allocs[j], **changes)  # type: ignore[arg-type]
    tasks = list(plan.tasks)
    tasks[task] = dataclasses.replace(tp, allocations=tuple(allocs))
    return dataclasses.replace(plan, tasks=tuple(tasks))


def with_workload(table: OptionTable, **changes: object) -> OptionTable:
    return dataclasses.replace(table, workload=dataclasses.replace(table.workload, **changes))  # type: ignore[arg-type]


def violations(plan: Plan, table: OptionTable | None, **kwargs: bool) -> str:
    with pytest.raises(InternalError) as info:
        verify_plan(plan, table, **kwargs)
    message = str(info.value)
    assert "failed independent verification" in message
    assert info.value.exit_code == 4
    return message


# ------------------------------------------------------------------ real plans pass


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"objective": "min_cost"},
        {"budget_usd": Decimal(300)},
        {"robust": True, "budget_usd": Decimal(900)},
    ],
)
def test_solver_plans_pass(basic: Path, kwargs: dict[str, object]) -> None:
    plan, table = solved(basic, **kwargs)
    verify_plan(plan, table, robust=bool(kwargs.get("robust")))
    verify_plan(plan)  # the table-free checks too


def test_measured_costs_cascades_tiers_and_side_constraints_pass(basic: Path) -> None:
    """Every cost path of the option table agrees with the verifier's recomputation."""
    edit(
        basic / "prices.yaml",
        "    context_window: 128000\n",
        "    context_window: 128000\n    tiers:\n"
        "      - {above_input_tokens: 3500, input_usd_per_mtok: 0.3, output_usd_per_mtok: 1.2}\n"
        "    request_usd: 0.000001\n",
    )
    edit(
        basic / "workload.yaml",
        "    latency: batch\n",
        "    latency: batch\n    cascades:\n"
        "      - {name: cheap-first, steps: [small, big], escalate: 0.37, quality: 0.88,"
        " mode: batch}\n",
    )
    text = (basic / "workload.yaml").read_text()
    text += (
        "measured_cost_usd:\n  b: {big: 0.0123}\n"
        "constraints:\n  capacity: {big: {requests: 90000}}\n"
        "  max_provider_share: {anthropic: 0.9}\n"
    )
    (basic / "workload.yaml").write_text(text)
    for objective in ("max_quality", "min_cost"):
        plan, table = solved(basic, objective=objective, budget_usd=Decimal(2000))
        verify_plan(plan, table)
        assert any(o.kind == "cascade" for o in table.options)
        assert any(o.cost_source == "measured" for o in table.options)


def test_p95_matches_numpy_higher() -> None:
    rng = np.random.default_rng(7)
    for n in (1, 2, 3, 19, 20, 21, 100, 101):
        counts = [int(c) for c in rng.integers(0, 10_000, size=n)]
        assert p95_higher(counts) == int(np.percentile(counts, 95, method="higher"))


# ------------------------------------------------------------------ tampering is caught

Tamper = Callable[[Plan, OptionTable], tuple[Plan, OptionTable]]


def _count_plus_one(p: Plan, t: OptionTable) -> tuple[Plan, OptionTable]:
    a = p.tasks[0].allocations[0]
    return with_alloc(p, 0, 0, count=a.count + 1), t


def _negative_count(p: Plan, t: OptionTable) -> tuple[Plan, OptionTable]:
    a = p.tasks[0].allocations[0]
    return with_alloc(p, 0, 0, count=-a.count), t


def _cheaper_price(p: Plan, t: OptionTable) -> tuple[Plan, OptionTable]:
    a = p.tasks[0].allocations[0]
    return with_alloc(p, 0, 0, cost_per_query_pusd=a.cost_per_query_pusd - 1), t


def _p95_price(p: Plan, t: OptionTable) -> tuple[Plan, OptionTable]:
    a = p.tasks[0].allocations[0]
    return with_alloc(p, 0, 0, cost_p95_per_query_pusd=a.cost_p95_per_query_pusd + 7), t


def _better_quality(p: Plan, t: OptionTable) -> tuple[Plan, OptionTable]:
    return with_alloc(p, 0, 0, quality=Decimal("0.99")), t


def _batch_for_realtime(p: Plan, t: OptionTable) -> tuple[Plan, OptionTable]:
    return with_alloc(p, 0, 0, model="small", mode="batch", provider="openai"), t


def _unknown_model(p: Plan, t: OptionTable) -> tuple[Plan, OptionTable]:
    return with_alloc(p, 0, 0, model="ghost"), t


def _not_allowed(p: Plan, t: OptionTable) -> tuple[Plan, OptionTable]:
    w = t.workload
    task = dataclasses.replace(w.tasks[0], allow=("nobody",))
    return p, with_workload(t, tasks=(task, *w.tasks[1:]))


def _over_budget(p: Plan, t: OptionTable) -> tuple[Plan, OptionTable]:
    return dataclasses.replace(p, budget_pusd=p.cost_pusd - 1), t


def _floor_missed(p: Plan, t: OptionTable) -> tuple[Plan, OptionTable]:
    w = t.workload
    task = dataclasses.replace(w.tasks[0], min_quality=Decimal("0.99"))
    tasks = list(p.tasks)
    tasks[0] = dataclasses.replace(tasks[0], min_quality=Decimal("0.99"))
    return dataclasses.replace(p, tasks=tuple(tasks)), with_workload(t, tasks=(task, *w.tasks[1:]))


def _bound_below(p: Plan, t: OptionTable) -> tuple[Plan, OptionTable]:
    return dataclasses.replace(p, bound=p.bound - 10_000), t


def _context_window(p: Plan, t: OptionTable) -> tuple[Plan, OptionTable]:
    m = p.tasks[0].allocations[0].model
    models = dict(t.sheet.models)
    models[m] = dataclasses.replace(models[m], context_window=10, max_output_tokens=None)
    return p, dataclasses.replace(t, sheet=dataclasses.replace(t.sheet, models=models))


def _capacity(p: Plan, t: OptionTable) -> tuple[Plan, OptionTable]:
    m = p.tasks[0].allocations[0].model
    return p, with_workload(t, constraints=Constraints(capacity={m: Capacity(requests=1)}))


def _share(p: Plan, t: OptionTable) -> tuple[Plan, OptionTable]:
    prov = p.tasks[0].allocations[0].provider
    return p, with_workload(t, constraints=Constraints(max_provider_share={prov: Decimal("0.01")}))


def _volume(p: Plan, t: OptionTable) -> tuple[Plan, OptionTable]:
    w = t.workload
    task = dataclasses.replace(w.tasks[1], volume=w.tasks[1].volume + 5)
    return p, with_workload(t, tasks=(w.tasks[0], task))


def _period(p: Plan, t: OptionTable) -> tuple[Plan, OptionTable]:
    return dataclasses.replace(p, period="day"), t


def _gap(p: Plan, t: OptionTable) -> tuple[Plan, OptionTable]:
    return dataclasses.replace(p, gap=float("nan")), t


TAMPERS: dict[str, tuple[Tamper, str]] = {
    "count": (_count_plus_one, "counts sum to"),
    "negative-count": (_negative_count, "is not an integer >= 0"),
    "price": (_cheaper_price, "recomputed from the price sheet"),
    "p95-price": (_p95_price, "p95 cost per query"),
    "quality": (_better_quality, "the workload scores it"),
    "latency-mode": (_batch_for_realtime, "'batch' is not allowed for a realtime task"),
    "unknown-model": (_unknown_model, "model 'ghost' is not in the price sheet"),
    "allow": (_not_allowed, "not in the task's 'allow' list"),
    "budget": (_over_budget, "exceeds the budget"),
    "floor": (_floor_missed, "is below its floor 0.99"),
    "bound": (_bound_below, "is below the plan's quality"),
    "context-window": (_context_window, "exceeds the context window"),
    "capacity": (_capacity, "requests exceed its capacity 1"),
    "share": (_share, "more than 1% of the plan's"),
    "volume": (_volume, "is not the workload's"),
    "period": (_period, "period 'day' is not the workload's 'month'"),
    "gap": (_gap, "is not a non-negative number"),
}


@pytest.mark.parametrize("name", list(TAMPERS))
def test_tampered_plan_is_refused(basic: Path, name: str) -> None:
    tamper, expected = TAMPERS[name]
    plan, table = tamper(*solved(basic))
    assert expected in violations(plan, table)


def test_split_false_with_two_options_is_refused(basic: Path) -> None:
    plan, table = solved(basic, objective="min_cost")
    assert len(plan.tasks[0].allocations) == 2  # the floor forces a mix on task a
    w = table.workload
    no_split = with_workload(
        table, tasks=(dataclasses.replace(w.tasks[0], split=False), w.tasks[1])
    )
    assert "task 'a' has split: false but uses 2 options" in violations(plan, no_split)


def test_every_violation_is_listed(basic: Path) -> None:
    plan, table = solved(basic)
    a = plan.tasks[0].allocations[0]
    bad = with_alloc(plan, 0, 0, count=a.count + 1, quality=Decimal("0.5"))
    bad = dataclasses.replace(bad, budget_pusd=0)
    message = violations(bad, table)
    for part in ("counts sum to", "the workload scores it", "exceeds the budget"):
        assert part in message
    assert "violations)" in message


def test_table_free_checks(basic: Path) -> None:
    """Without inputs: counts, money sums, budget, floors and bound still hold."""
    plan, _ = solved(basic)
    a = plan.tasks[0].allocations[0]
    assert "counts sum to" in violations(with_alloc(plan, 0, 0, count=a.count - 3), None)
    assert "exceeds the budget" in violations(dataclasses.replace(plan, budget_pusd=1), None)
    robust = violations(dataclasses.replace(plan, budget_pusd=plan.cost_pusd), None, robust=True)
    assert "p95 cost" in robust


def test_per_query_allocation_totals_are_used(basic: Path) -> None:
    """Per-query plans (costplan assign) carry exact totals; the budget binds those."""
    plan, _ = solved(basic)
    tp = plan.tasks[1]
    a = tp.allocations[0]
    per_query = dataclasses.replace(a, cost_total_pusd=plan.budget_pusd or 0, quality_total_micro=0)
    tasks = (
        plan.tasks[0],
        TaskPlan(tp.name, tp.volume, tp.min_quality, (per_query, *tp.allocations[1:])),
    )
    message = violations(dataclasses.replace(plan, tasks=tasks), None)
    assert "exceeds the budget" in message


# ------------------------------------------------------------------ optimize() runs it


def _tampered_solve(real: Callable[..., tuple[list[object], object]]) -> Callable[..., object]:
    def solve(*args: object, **kwargs: object) -> object:
        options, sol = real(*args, **kwargs)
        counts = np.array(sol.counts, copy=True)  # type: ignore[attr-defined]
        counts[int(np.argmax(counts))] += 1  # one query too many: a solver bug
        return options, dataclasses.replace(sol, x=counts)  # type: ignore[call-overload]

    return solve


def test_optimize_refuses_a_plan_that_fails_verification(
    basic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(optimize_mod, "solve_table", _tampered_solve(optimize_mod.solve_table))
    table = load_inputs(basic / "workload.yaml")
    with pytest.raises(InternalError, match=r"task 'a': counts sum to 100,001, volume is 100,000"):
        optimize(table)


def test_cli_writes_no_plan_that_fails_verification(
    run: Runner, basic: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(optimize_mod, "solve_table", _tampered_solve(optimize_mod.solve_table))
    out = tmp_path / "plan.yaml"
    out.write_text("old plan\n")
    r = run("optimize", basic / "workload.yaml", "--out", out)
    assert r.code == 4
    assert r.err.startswith("error: plan for 'basic' failed independent verification (")
    assert "task 'a': counts sum to 100,001, volume is 100,000" in r.err
    assert "no plan file was written" in r.err
    assert "Traceback" not in r.err
    assert out.read_text() == "old plan\n"
    assert r.out == ""


def test_measured_cost_of_a_model_whose_tokens_cost_nothing(basic: Path) -> None:
    """A measured cost overrides tokens (README), also when the tokens are free.

    (The verifier once caught options.py pricing such an option at 0.)
    """
    edit(basic / "prices.yaml", "input_usd_per_mtok: 3\n", "input_usd_per_mtok: 0\n")
    edit(basic / "prices.yaml", "output_usd_per_mtok: 15\n", "output_usd_per_mtok: 0\n")
    edit(basic / "prices.yaml", "    cache_read_usd_per_mtok: 0.3\n", "")
    text = (basic / "workload.yaml").read_text() + "measured_cost_usd:\n  b: {big: 0.002}\n"
    (basic / "workload.yaml").write_text(text)
    table = load_inputs(basic / "workload.yaml")
    big = [o for o in table.for_task("b") if o.model == "big"]
    assert [o.cost_pusd for o in big] == [2_000_000_000]  # $0.002, as measured
    plan = optimize(table, explain=False)  # verified: the verifier recomputes $0.002 too
    b = next(a for a in plan.tasks[1].allocations if a.model == "big")
    assert b.cost_per_query_pusd == 2_000_000_000
