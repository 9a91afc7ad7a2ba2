"""Recompute a class-level plan's bound from its certificate (docs/certificate.md).

The checker builds the labelled rows itself (``budget``, ``floor:<task>``,
``capacity:<model>:requests|tokens``, ``share:<provider>``) over **every usable
option** of every task, prices them with the certificate's multipliers and
recomputes the Lagrangian bound ``D`` exactly (Fractions):

    (q_o: quality in micro-units rounded down, f_t: the floor in micro-units rounded up)

    max:  a_o = q_o - lam b_o + mu_t (q_o - f_t) - sum_r nu_r a_ro
          D   = lam B + sum_r nu_r rhs_r + sum_t V_t max_o a_o
    min:  a_o = c_o + lam b_o - mu_t (q_o - f_t) + sum_r nu_r a_ro
          D   = -lam B - sum_r nu_r rhs_r + sum_t V_t min_o a_o

and then the one status rule: ``max``: ``z <= U <= floor(D)``, ``min``:
``ceil(D) <= U <= z``; the gap is ``|U - z| / max(1, |z|)`` exactly; ``optimal``
needs ``U == z`` proven by the certificate itself (``proof: lagrangian`` with
``floor(D) == z`` / ``ceil(D) == z``). A ``proof: search`` rests on the
solver's integer search, which this checker does not re-derive: such an
``optimal`` is refused as not independently proven.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from costplan.verify.costs import ceil
from costplan.verify.findings import Findings, exact, show
from costplan.verify.prices import PUSD

if TYPE_CHECKING:
    from costplan.verify.classplan import ClassChecker, Step


def micro(q: Fraction) -> int:
    """Quality in micro-units, rounded down (the solvers' unit: in the user's disfavour)."""
    x = q * 10**6
    return x.numerator // x.denominator


def floor_(x: Fraction) -> int:
    return x.numerator // x.denominator


@dataclass(frozen=True)
class Opt:
    q: int  # micro
    c: int  # pusd per query
    b: int  # budget cost per query (p95 when robust)
    steps: tuple[Step, ...]


def _rows(ch: ClassChecker, used: dict[str, list[Opt]]) -> dict[str, Fraction]:
    """Right-hand sides of the side rows (capacity, share) the workload defines."""
    from costplan.verify.tasks import MINUTES

    w = ch.w
    rhs: dict[str, Fraction] = {}
    models = {s.model for opts in used.values() for o in opts for s in o.steps}
    caps = ch.capacities()  # by sheet model, as the steps are
    for m in sorted(models):
        req, tok = caps.get(m, (None, None))
        model = ch.sheet.models.get(m)
        if w.use_rate_limits and model is not None:
            minutes = MINUTES.get(w.period, 0)
            if req is None and model.requests_per_minute is not None:
                req = model.requests_per_minute * minutes
            if tok is None and model.tokens_per_minute is not None:
                tok = model.tokens_per_minute * minutes
        if req is not None:
            rhs[f"capacity:{m}:requests"] = Fraction(req)
        if tok is not None:
            rhs[f"capacity:{m}:tokens"] = Fraction(tok)
    providers = {s.provider for opts in used.values() for o in opts for s in o.steps}
    for p in sorted(providers):
        cap = w.shares.get(p, w.shares.get("*"))
        if cap is not None and cap < 1:
            rhs[f"share:{p}"] = Fraction(0)
    return rhs


def _coef(label: str, o: Opt, shares: dict[str, Fraction]) -> Fraction:
    kind, _, rest = label.partition(":")
    if kind == "capacity":
        model, _, what = rest.rpartition(":")
        steps = [s for s in o.steps if s.model == model]
        if what == "requests":
            return sum((s.reach for s in steps), Fraction(0))
        return sum((s.reach * s.tokens for s in steps), Fraction(0))
    spent = sum((s.reach * s.cost for s in o.steps if s.provider == rest), Fraction(0))
    cap = shares.get(rest, shares.get("*", Fraction(1)))
    return spent - cap * o.c


def check_certificate(ch: ClassChecker, z: int, f: Findings) -> None:
    """Check ``certificate`` of ``ch.doc`` (present) against the rows ``ch`` builds."""
    opened = open_certificate(ch.doc, z, f)
    if opened is not None:
        cert, sense, u = opened
        if ch.w.commitments:  # proof: enumeration (costplan.verify.commitments)
            from costplan.verify.commitments import check_enumeration

            check_enumeration(f, ch.doc, cert, z, u, sense)
            return
        pr = priced(ch, cert, sense, f)
        if pr is None:
            judge(ch.doc, cert, z, u, None, sense, f)
            return

        def search() -> str | None:
            from costplan.verify.search import prove

            assert pr is not None
            return prove(pr, ch.w.tasks, ch.w.shares, z, _coef)

        judge(ch.doc, cert, z, u, pr.d, sense, f, search)


def open_certificate(
    doc: dict[str, Any], z: int, f: Findings
) -> tuple[dict[str, Any], str, Fraction | None] | None:
    """(certificate, sense, bound U in base units) after the checks every certificate
    needs (it exists for ``optimal``, its sense, objective and bound agree with the
    plan); None when there is nothing more to check."""
    cert = doc.get("certificate")
    if cert is None:
        if doc.get("status") == "optimal":
            f.add(("status",), "'optimal' without a certificate")
        return None
    sense = "max" if doc.get("objective") == "max_quality" else "min"
    if not isinstance(cert, dict) or cert.get("sense") != sense:
        if not isinstance(cert, dict):
            f.add(("certificate",), "not a mapping")
        else:
            f.add(("certificate", "sense"), f"{show(cert.get('sense'))}, the objective is "
                  f"{sense!r}")  # fmt: skip
        if doc.get("status") == "optimal":
            f.add(("status",), "'optimal' without a valid certificate")
        return None
    if exact(cert.get("objective")) != z:
        f.add(("certificate", "objective"), f"{show(cert.get('objective'))}, the rows give {z}")
    scale = 10**6 if sense == "max" else PUSD
    top = exact(doc.get("bound"))
    u = None if top is None else top * scale
    if exact(cert.get("bound")) != u:
        f.add(("certificate", "bound"), f"{show(cert.get('bound'))}, the plan's bound is {u}")
    return cert, sense, u


def check_bound(f: Findings, doc: dict[str, Any], z: int, u: Fraction, lo: Fraction | int,
                hi: Fraction | int, whose: str) -> None:  # fmt: skip
    """The plan's bound ``u`` lies in ``[lo, hi]`` (between its objective ``z`` and ``whose``
    bound, by sense) and its gap is exactly ``|u - z| / max(1, |z|)``."""
    if not lo <= u <= hi:
        f.add(("bound",), f"{show(doc.get('bound'))} is not between the plan's objective and "
              f"{whose}")  # fmt: skip
    gap = exact(doc.get("gap"))
    want = abs(u - z) / max(1, abs(z))
    if gap != want:
        f.add(("gap",), f"{show(doc.get('gap'))}, recomputed {want}")


def judge(doc: dict[str, Any], cert: dict[str, Any], z: int, u: Fraction | None,
          d: Fraction | None, sense: str, f: Findings,
          search: Callable[[], str | None] | None = None) -> None:  # fmt: skip
    """The status rule once ``D`` is recomputed (None: the prices were invalid).

    ``search``: the checker's own re-derivation of a ``proof: search`` (None when it proves
    that no plan beats ``z``, else why not); without one such a proof is refused."""
    status = doc.get("status")
    if d is None:
        if status == "optimal":
            f.add(("status",), "'optimal' without a valid certificate")
        return
    stated_d = cert.get("lagrangian_bound")
    if stated_d is not None and exact(stated_d) != d:
        f.add(("certificate", "lagrangian_bound"), f"{show(cert.get('lagrangian_bound'))}, "
              f"recomputed {d}")  # fmt: skip
    if u is None:
        return
    lo, hi = (z, floor_(d)) if sense == "max" else (ceil(d), z)
    check_bound(f, doc, z, u, lo, hi, "the certificate's bound")
    if status != "optimal":
        return
    proof = cert.get("proof")
    tight = floor_(d) == z if sense == "max" else ceil(d) == z
    if proof == "lagrangian" and not tight:
        f.add(("status",), f"'optimal' but the certificate proves only {d} against {z}")
    elif proof in ("search", "core") and search is not None:
        if not tight and (why := search()) is not None:
            f.add(("status",), f"'optimal' is not re-derived from the certificate: {why} "
                  f"(its bound is {d}, the objective {z})")  # fmt: skip
    elif proof != "lagrangian":
        f.add(("status",), f"'optimal' is not proven by the certificate (proof: {show(proof)}; "
              f"its bound is {d}, the objective {z})")  # fmt: skip


@dataclass(frozen=True)
class Priced:
    """The rows the checker built and the certificate's prices on them (all exact).

    ``values[t][k]``: the priced value ``a_o`` of option ``options[t][k]``; ``d``: the
    Lagrangian bound ``D``; ``rhs``: side rows; ``budget``: ``B`` in pusd (None: no budget);
    ``floors``: ``f_t`` in micro-units by task name."""

    sense: str
    options: dict[str, list[Opt]]
    values: Mapping[str, Sequence[Fraction]]
    prices: dict[str, Fraction]
    rhs: dict[str, Fraction]
    budget: int | None
    floors: dict[str, int]
    d: Fraction


def priced(ch: ClassChecker, cert: dict[str, Any], sense: str, f: Findings) -> Priced | None:
    """The rows, the prices and ``D`` (module docstring), or None if the prices are invalid."""
    w, doc = ch.w, ch.doc
    robust = bool(doc.get("robust"))
    options = {t.name: ch.usable_options(t, robust) for t in w.tasks}
    rhs = _rows(ch, options)
    labels = set(rhs)
    budget = exact(doc.get("budget_usd"))
    big_b = None if budget is None else floor_(budget * PUSD)
    if big_b is not None:
        labels.add("budget")
    floors = {t.name: ceil(t.min_quality * 10**6) for t in w.tasks if t.min_quality is not None}
    labels |= {f"floor:{name}" for name in floors}
    prices = read_prices(cert, labels, f)
    if prices is None:
        return None
    lam = prices.get("budget", Fraction(0))
    side = {label: prices.get(label, Fraction(0)) for label in rhs}
    sgn = 1 if sense == "max" else -1
    total = lam * (big_b or 0) + sum((side[r] * rhs[r] for r in rhs), Fraction(0))
    total *= sgn
    values = _Values()
    for t in w.tasks:
        opts = options[t.name]
        mu = prices.get(f"floor:{t.name}", Fraction(0))
        ft = floors.get(t.name, 0)
        if any(side.values()):
            vals = []
            for o in opts:
                rows = sum((side[r] * _coef(r, o, w.shares) for r in rhs if side[r]),
                           Fraction(0))  # fmt: skip
                if sense == "max":
                    vals.append(o.q - lam * o.b + mu * (o.q - ft) - rows)
                else:
                    vals.append(o.c + lam * o.b - mu * (o.q - ft) + rows)
            values.exact[t.name] = vals
            if vals:
                total += t.volume * (max(vals) if sense == "max" else min(vals))
        else:
            nums, den = _scaled(opts, lam, mu, ft, sense)
            values.scaled[t.name] = (nums, den)
            if nums:
                total += t.volume * Fraction(max(nums) if sense == "max" else min(nums), den)
    return Priced(sense, options, values, prices, rhs, big_b, floors, total)


def _scaled(opts: Sequence[Opt], lam: Fraction, mu: Fraction, ft: int,
            sense: str) -> tuple[list[int], int]:  # fmt: skip
    """``a_o`` of every option without side rows (module docstring) as integer numerators
    over one denominator ``den = den(lam) x den(mu)`` (exact; the same order as the
    Fractions, ``den > 0``): ``max``: ``a_o den = q_o (1 + mu) den - mu f_t den - lam b_o den``,
    ``min``: ``a_o den = c_o den + lam b_o den - mu (q_o - f_t) den``."""
    den = lam.denominator * mu.denominator
    lam_n = lam.numerator * mu.denominator  # lam x den
    mu_n = mu.numerator * lam.denominator  # mu x den
    if sense == "max":
        k_q, k_0 = den + mu_n, mu_n * ft
        return [o.q * k_q - lam_n * o.b - k_0 for o in opts], den
    k_0 = mu_n * ft
    return [o.c * den + lam_n * o.b - mu_n * o.q + k_0 for o in opts], den


class _Values(Mapping[str, Sequence[Fraction]]):
    """``Priced.values``: per task, exact Fractions (with side rows) or integer numerators
    over one denominator (:func:`_scaled`), turned into Fractions only when read."""

    def __init__(self) -> None:
        self.exact: dict[str, list[Fraction]] = {}
        self.scaled: dict[str, tuple[list[int], int]] = {}

    def __getitem__(self, task: str) -> list[Fraction]:
        if task not in self.exact:
            nums, den = self.scaled[task]
            self.exact[task] = [Fraction(n, den) for n in nums]
        return self.exact[task]

    def __iter__(self) -> Iterator[str]:
        return iter({**self.scaled, **self.exact})

    def __len__(self) -> int:
        return len({**self.scaled, **self.exact})


def read_prices(
    cert: dict[str, Any], labels: Container[str], f: Findings
) -> dict[str, Fraction] | None:
    """The certificate's prices by row label, exact; None (named in ``f``) when one
    names a row the plan does not have or is not a number >= 0."""
    raw = cert.get("prices") or {}
    prices: dict[str, Fraction] = {}
    for label, value in raw.items() if isinstance(raw, dict) else ():
        x = exact(value)
        if label not in labels:
            f.add(("certificate", "prices", label), "a row this plan does not have")
            return None
        if x is None or x < 0:
            f.add(("certificate", "prices", label), f"{show(value)} is not a price >= 0")
            return None
        prices[label] = x
    return prices
