"""The checker's own reading and checks of commitments (README "Commitments").

A commitment in the workload: ``name``, ``model``, ``mode`` (default ``standard``),
``fee_usd`` per period (charged in pico-dollars rounded up), ``capacity`` (exactly one of
``requests`` or ``tokens``) and ``price_factor`` (default 0). A plan row served under it
(``commitment: <name>``) is the model's on-demand row with every per-query cost times the
factor, each rounded up to a pico-dollar; its model must mean the commitment's sheet model
(aliases and variants resolved) and run in its mode. The committed rows of one commitment
use at most its capacity (requests: queries; tokens: queries x (ceil(mean prompt) + shared
+ output + reasoning)). The plan's ``commitments`` section lists every commitment of the
workload once with ``taken``; the fees of the taken ones are part of the total (and of the
p95 total, the budget, the provider's spend for share caps, and the risk mean), and a
commitment whose rows are used must be taken. The bound of a commitment plan comes from
enumerating every on/off subset (``proof: enumeration``); the checker does not re-derive
those subsets' bounds, so it refuses ``optimal`` for such a plan (it is written
``feasible`` with that bound).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from costplan.verify.costs import OptionCost, ceil
from costplan.verify.findings import Findings, Key, exact, show, usd
from costplan.verify.prices import PUSD
from costplan.verify.raw import as_number

if TYPE_CHECKING:
    from costplan.verify.classplan import Row, Step
    from costplan.verify.prices import Sheet


@dataclass(frozen=True)
class CommitSpec:
    name: str
    model: str
    mode: str
    fee: int  # pusd, rounded up
    unit: str  # requests | tokens
    capacity: int
    factor: Fraction


def read_commitments(raw: Any) -> dict[str, CommitSpec]:
    """The workload's ``commitments`` list, exact (ValueError/KeyError/TypeError if bad)."""
    out: dict[str, CommitSpec] = {}
    for c in raw or []:
        cap = c["capacity"]
        ((unit, amount),) = ((k, v) for k, v in cap.items() if v is not None)
        fee = as_number(c["fee_usd"])
        factor = as_number(c.get("price_factor", 0))
        if fee is None or factor is None or unit not in ("requests", "tokens"):
            raise ValueError(f"commitment {c.get('name')!r}")
        out[str(c["name"])] = CommitSpec(
            str(c["name"]), str(c["model"]), str(c.get("mode", "standard")), ceil(fee * PUSD),
            unit, int(amount), factor,
        )  # fmt: skip
    return out


def canonical(sheet: Sheet, name: str) -> str:
    from costplan.verify.names import canonical_model

    return canonical_model(sheet.models, name)


def committed_row(
    f: Findings, key: Key, sheet: Sheet, spec: CommitSpec | None, kind: str, name: str,
    mode: str, priced: tuple[OptionCost, Fraction, list[Step], str],
) -> tuple[OptionCost, Fraction, list[Step], str] | None:  # fmt: skip
    """The on-demand row ``priced`` re-priced under ``spec``; None (a finding) if it may not be."""
    if spec is None:
        f.add((*key, "commitment"), "the workload has no such commitment")
        return None
    if kind != "model" or mode != spec.mode or canonical(sheet, name) != canonical(
        sheet, spec.model
    ):
        f.add((*key, "commitment"), f"{spec.name!r} covers {spec.model!r} ({spec.mode}), "
              f"not {name!r} ({mode})")  # fmt: skip
        return None
    cost, quality, steps, _ = priced
    k = spec.factor
    new = dataclasses.replace(cost, cost=ceil(cost.cost * k), cost_p95=ceil(cost.cost_p95 * k),
                              sd=ceil(cost.sd * k))  # fmt: skip
    new_steps = [dataclasses.replace(s, cost=ceil(s.cost * k)) for s in steps]
    return new, quality, new_steps, "commitment"


def check_commitments(
    f: Findings, doc: dict[str, Any], specs: dict[str, CommitSpec], sheet: Sheet,
    rows: list[list[Row]], spend: dict[str, Fraction],
) -> int:  # fmt: skip
    """The ``commitments`` section against the workload and the rows; returns the fees of the
    taken commitments (and adds each to its provider's ``spend``)."""
    stated = doc.get("commitments")
    if not specs:
        if stated:
            f.add(("commitments",), "the workload offers no commitments")
        return 0
    if not isinstance(stated, list):
        f.add(("commitments",), "missing or not a list (the workload offers commitments)")
        return 0
    names = [c.get("name") if isinstance(c, dict) else None for c in stated]
    if sorted(map(str, names)) != sorted(specs) or len(names) != len(specs):
        f.add(("commitments",), f"{names} are not the workload's {sorted(specs)}")
    used: dict[str, int] = {}
    for task_rows in rows:
        for r in task_rows:
            if r.commitment:
                spec = specs.get(r.commitment)
                per = 1 if spec is None or spec.unit == "requests" else r.steps[0].tokens
                used[r.commitment] = used.get(r.commitment, 0) + r.count * per
    fees = 0
    for i, c in enumerate(stated):
        spec = specs.get(str(c.get("name"))) if isinstance(c, dict) else None
        if spec is None or not isinstance(c, dict):
            continue
        key: Key = ("commitments", i)
        got = exact(c.get("fee_usd"))
        if got is None or got * PUSD != spec.fee:
            f.add((*key, "fee_usd"), f"{show(c.get('fee_usd'))}, the workload gives "
                  f"{usd(spec.fee)} USD")  # fmt: skip
        if c.get("capacity") != {spec.unit: spec.capacity}:
            f.add((*key, "capacity"), f"{show(c.get('capacity'))}, the workload gives "
                  f"{spec.capacity} {spec.unit}")  # fmt: skip
        n = used.get(spec.name, 0)
        if c.get("used") != n:
            f.add((*key, "used"), f"{show(c.get('used'))}, the rows use {n:,} {spec.unit}")
        if n > spec.capacity:
            f.add((*key, "used"), f"{n:,} {spec.unit} above the capacity {spec.capacity:,}")
        taken = c.get("taken")
        if taken is not True and taken is not False:
            f.add((*key, "taken"), f"{show(taken)} is not true or false")
        if taken is not True and n:
            f.add((*key, "taken"), "rows are served under it but it is not taken (its fee unpaid)")
        if taken is True:
            fees += spec.fee
            model = sheet.models.get(spec.model)
            if model is not None:
                spend[model.provider] = spend.get(model.provider, Fraction(0)) + spec.fee
    return fees


def check_enumeration(f: Findings, doc: dict[str, Any], cert: dict[str, Any], z: int,
                      u: Fraction | None, sense: str) -> None:  # fmt: skip
    """A ``proof: enumeration`` certificate: its bound on the right side of ``z``, the gap
    exact; ``optimal`` is refused (the subsets' bounds are not re-derived here)."""
    from costplan.verify.certificate import check_bound

    d = exact(cert.get("lagrangian_bound"))
    if u is not None and d is not None:
        lo, hi = (z, d) if sense == "max" else (d, z)
        check_bound(f, doc, z, u, lo, hi, "the enumeration's bound")
    if doc.get("status") == "optimal":
        f.add(("status",), "'optimal' is not re-derived from the certificate: the checker does "
              "not re-derive the subset bounds of a commitment enumeration")  # fmt: skip
