"""Re-derive a class-level ``proof: search`` by the checker's own exact search.

A ``search`` certificate says: the Lagrangian bound ``D`` of the certificate's prices does not
by itself close the gap to the objective ``z``; the solver's integer search did. The checker
does not trust that search. From the prices it derives, by itself, what any better plan would
have to satisfy, and asks an integer solver to find such a plan on the **unscaled** integers:

For prices ``lam, mu_t, nu_r >= 0`` and any plan ``x`` meeting every row (``sense: max``)::

    D - Q(x) = lam (B - b.x) + sum_t mu_t s_t(x) + sum_r nu_r (rhs_r - a_r.x) + sum_o d_o x_o

with ``d_o = A_t - a_o >= 0`` (``A_t = max_{o in t} a_o``) and the floor slack ``s_t >= 0``
(docs/certificate.md): every term is ``>= 0``. A plan with ``Q(x) >= z + 1`` therefore has
each term at most ``S = D - z - 1`` (``sense: min``: ``Q(x) <= z - 1``, ``S = z - 1 - D``),
which caps ``x_o <= S / d_o`` and every priced row's slack by ``S / price``. These caps are
valid cuts, not assumptions, and they make the remaining problem small: the checker builds
it from its own rows (every usable option, budget, floors, ``split: false``, capacities,
shares) in exact integers (rational rows times their common denominator) and hands it to
OR-Tools CP-SAT (one worker, fixed seed). ``INFEASIBLE`` proves that no plan beats ``z``:
``optimal`` is re-derived. A plan found refutes the claim; no answer within the limit, or
numbers past int64, leave the claim unproven (and the checker refuses ``optimal``).

OR-Tools is a third-party solver that costplan's solvers also use; the checker shares no
costplan code with them: the model here is built from the checker's own re-priced options
and rows, and only the last, exact integer step is delegated to CP-SAT.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from costplan.verify.certificate import Priced
    from costplan.verify.tasks import TaskSpec

#: CP-SAT's deterministic work limit for one re-derivation (about seconds of work).
SEARCH_WORK = 60.0
_INT64 = 2**62  # every linear expression's extreme value must stay below this


def _floor(x: Fraction) -> int:
    return x.numerator // x.denominator


def cut(s: Fraction, price: Fraction, full: int) -> int:
    """The most a term ``price * amount`` can take of ``s`` (``full`` when unpriced)."""
    return full if price == 0 else min(full, _floor(s / price))


def margin(sense: str, d: Fraction, z: int) -> Fraction:
    """``S``: how much the non-negative terms may sum to in a plan better than ``z``."""
    return d - z - 1 if sense == "max" else z - 1 - d


def prove(pr: Priced, tasks: tuple[TaskSpec, ...], shares: dict[str, Fraction], z: int,
          coef: Any) -> str | None:  # fmt: skip
    """None when no plan beats ``z`` (proven); otherwise why ``optimal`` is not re-derived.

    ``coef(label, option, shares)``: the checker's side-row coefficient of an option."""
    s = margin(pr.sense, pr.d, z)
    if s < 0:
        return None  # D alone proves it
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    terms: list[tuple[int, Any, int]] = []  # (option's global index, variable, upper bound)
    flat: list[Any] = []
    for t in tasks:
        opts, vals = pr.options[t.name], pr.values[t.name]
        if t.volume == 0:
            continue
        if not opts:
            return f"task {t.name!r} has no usable option"
        top = max(vals) if pr.sense == "max" else min(vals)
        xs, kept = [], []
        for o, v in zip(opts, vals, strict=True):
            ub = cut(s, abs(top - v), t.volume)
            if ub == 0 or (not t.split and ub < t.volume):
                continue  # the cut fixes x_o = 0: no variable (a best option has ub = V)
            if t.split:
                x = model.new_int_var(0, ub, "")
            else:
                x = model.new_int_var_from_domain(cp_model.Domain.from_values([0, t.volume]), "")
            xs.append(x)
            kept.append(o)
            terms.append((len(flat), x, ub))
            flat.append(o)
        model.add(sum(xs) == t.volume)  # split: false: each domain is {0, V}, so one option
        f_t = pr.floors.get(t.name)
        if f_t is not None:
            row = [(o.q - f_t, x) for o, x in zip(kept, xs, strict=True)]
            mu = pr.prices.get(f"floor:{t.name}", Fraction(0))
            if not _fits(row, [t.volume] * len(row), 0):
                return "the floor rows pass int64"
            expr = sum(c * x for c, x in row)
            model.add(expr >= 0)
            if mu > 0 and _floor(s / mu) < _INT64:
                model.add(expr <= _floor(s / mu))
    ubs = [ub for _, _, ub in terms]
    xs_all = [x for _, x, _ in terms]
    rows: list[tuple[list[int], int, Fraction]] = []  # (coefficients, rhs, price): lhs <= rhs
    labels: list[str] = []
    if pr.budget is not None:
        rows.append(([o.b for o in flat], pr.budget, pr.prices.get("budget", Fraction(0))))
        labels.append("budget")
    for label, rhs in pr.rhs.items():
        labels.append(label)
        raw = [Fraction(coef(label, o, shares)) for o in flat]
        den = math.lcm(rhs.denominator, *(c.denominator for c in raw))
        price = pr.prices.get(label, Fraction(0)) / den  # per unit of the scaled row
        rows.append(([int(c * den) for c in raw], int(rhs * den), price))
    big: list[Big] = []
    for (coefs, limit, price), label in zip(rows, labels, strict=True):
        terms_r = [(c, x) for c, x in zip(coefs, xs_all, strict=True) if c]
        bounds = [ub for c, (_, _, ub) in zip(coefs, terms, strict=True) if c]
        expr = add_row(model, label, terms_r, bounds, limit, big)
        if expr is not None and price > 0 and abs(limit - _floor(s / price)) < _INT64:
            model.add(expr >= limit - _floor(s / price))
    objective = [o.q if pr.sense == "max" else o.c for o in flat]
    if not _fits(list(zip(objective, xs_all, strict=True)), ubs, z):
        return "the objective passes int64: beyond the checker's exact search"
    total = sum(c * x for c, x in zip(objective, xs_all, strict=True) if c)
    model.add(total >= z + 1) if pr.sense == "max" else model.add(total <= z - 1)
    return run(model, xs_all, big)


#: A row past int64, kept exactly for checking: (label, terms (coefficient, variable), rhs).
Big = tuple[str, list[tuple[int, Any]], int]


def add_row(model: Any, label: str, terms: list[tuple[int, Any]], ubs: list[int], rhs: int,
            big: list[Big]) -> Any:  # fmt: skip
    """Add ``sum c x <= rhs`` (every ``x >= 0``, at most ``ubs``) and return its expression.

    Past int64 the row is added relaxed instead: ``sum floor(c / u) x <= floor(rhs / u)``
    for a power of ten ``u`` (valid: ``floor(c / u) x <= c x / u``, and the left side is an
    integer), kept in ``big`` so that :func:`run` checks any plan found against it exactly;
    returns None then."""
    if _fits(terms, ubs, rhs):
        expr = sum(c * x for c, x in terms)
        model.add(expr <= rhs)
        return expr
    u = 10
    while not _fits([(c // u, x) for c, x in terms], ubs, rhs // u):
        u *= 10
    model.add(sum((c // u) * x for c, x in terms) <= rhs // u)
    big.append((label, terms, rhs))
    return None


def _fits(row: list[tuple[int, Any]], ubs: list[int], rhs: int) -> bool:
    reach = sum(abs(c) * ub for (c, _), ub in zip(row, ubs, strict=True))
    return reach < _INT64 and abs(rhs) < _INT64


def run(model: Any, variables: list[Any], big: list[Big], rounds: int = 20) -> str | None:
    """Solve; None when INFEASIBLE (no plan beats the objective: proven), else why not.

    A plan found is checked exactly against the relaxed rows ``big``; one that breaks them is
    forbidden and the model solved again (at most ``rounds`` times)."""
    from ortools.sat.python import cp_model

    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = SEARCH_WORK
    for _ in range(rounds):
        status = solver.solve(model)
        if status == cp_model.INFEASIBLE:
            return None
        if status not in (cp_model.FEASIBLE, cp_model.OPTIMAL):
            return "the checker's exact search did not finish within its limit"
        broken = [label for label, terms, rhs in big
                  if sum(c * solver.value(x) for c, x in terms) > rhs]  # fmt: skip
        if not broken:
            return "the checker's search found a better plan"
        model.add_forbidden_assignments(variables, [[solver.value(x) for x in variables]])
    return (f"the checker's exact search did not finish within its limit (rows past int64: "
            f"{', '.join(label for label, _, _ in big)})")  # fmt: skip
