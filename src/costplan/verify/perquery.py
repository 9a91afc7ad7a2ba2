"""Checks of a per-query plan document (``costplan assign``).

Always: counts sum to each task's volume, every task total and the plan totals
are the sums of their rows, the budget holds, status, gap and bound agree with
the objective. With the query file and the per-query rows (``Sources.queries``
and ``Sources.rows``) every query is re-priced from the raw query file and price
sheets, vectorised with numpy per (model, mode):

    cost = uncached x input + cached x (cache_read or input) + output x output + fee

(the tier chosen by uncached + cached input), each row's cost and quality must
equal the recomputed ones, the option must be usable (model priced in that mode,
the mode allowed, a quality given for the query, the request within the context
window and max output), the document's rows must be the sums over their queries,
and the settings the plan records under ``assign`` must hold: capacities,
provider share caps (a cap of 0 forbids the provider), task floors and the
mean-quality floor.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from costplan.verify import tokens
from costplan.verify.classplan import (
    HALF_MICRO,
    MICRO_SLACK,
    check_budget,
    check_claim,
    check_shares,
)
from costplan.verify.findings import Findings, exact, show, usd
from costplan.verify.names import one_id_shares, provider_id
from costplan.verify.prices import PUSD, Model, Schedule, load_sheets
from costplan.verify.queryfile import Queries, QueryRows, first_codes, read_queries

if TYPE_CHECKING:
    from costplan.verify import Sources

_SHOWN = 3


def _pusd(value: Any) -> int | None:
    x = exact(value)
    if x is None or x < 0 or (x * PUSD).denominator != 1:
        return None
    return int(x * PUSD)


def _certificate_rule(doc: dict[str, Any], f: Findings) -> None:
    """Without the query file: ``optimal`` with a certificate cannot be re-derived.

    (With the query file :mod:`costplan.verify.perquerycert` recomputes the bound; a
    ``core`` proof needs an exact re-solve of the core, which this checker does not have.)
    """
    if doc.get("status") != "optimal":
        return
    cert = doc.get("certificate")
    if cert is None:
        f.add(("status",), "'optimal' without a certificate")
        return
    proof = cert.get("proof") if isinstance(cert, dict) else None
    f.add(("status",), f"'optimal' is not proven by a certificate this checker can re-derive "
          f"(per-query plan, proof: {show(proof)})")  # fmt: skip


def check_per_query(doc: dict[str, Any], sources: Sources, f: Findings) -> None:
    total, quality = _document_sums(doc, f)
    if sources.queries is None and sources.rows is None:
        _certificate_rule(doc, f)
        check_budget(f, doc, total, robust=False)
        _check_exact_risk(f, doc, total)
        objective = quality if doc.get("objective") == "max_quality" else Fraction(total, PUSD)
        check_claim(f, doc, objective)
        return
    if sources.queries is None or sources.rows is None or not sources.prices:
        f.add((), "re-pricing a per-query plan needs the query file, its per-query rows "
              "and the price sheets")  # fmt: skip
        return
    _PerQuery(doc, sources, f).run()


def _document_sums(doc: dict[str, Any], f: Findings) -> tuple[int, Fraction]:
    """Rows -> task totals -> plan totals, from the document's own numbers."""
    total, quality, volume = 0, Fraction(0), 0
    for i, t in enumerate(doc["tasks"]):
        key = ("tasks", i)
        task_cost, n = 0, 0
        for j, a in enumerate(t["allocations"]):
            akey = (*key, "allocations", j)
            count = a.get("count")
            if not isinstance(count, int) or isinstance(count, bool) or count < 0:
                f.add((*akey, "count"), f"{count!r} is not an integer >= 0")
                continue
            cost = _pusd(a.get("cost_usd"))
            if cost is None:
                f.add((*akey, "cost_usd"), f"{show(a.get('cost_usd'))} is not an amount")
                continue
            q = exact(a.get("quality_queries"))
            if q is None or q < 0 or q > count:
                f.add((*akey, "quality_queries"), f"{show(a.get('quality_queries'))} is not "
                      f"between 0 and the row's {count} queries")  # fmt: skip
                q = Fraction(0)
            n += count
            task_cost += cost
            quality += q
        if t.get("volume") != n:
            f.add((*key, "volume"), f"{show(t.get('volume'))}, the counts sum to {n:,}")
        if _pusd(t.get("cost_usd")) != task_cost:
            f.add(
                (*key, "cost_usd"), f"{show(t.get('cost_usd'))} USD, rows sum to {usd(task_cost)}"
            )
        volume += n
        total += task_cost
    totals = doc["totals"]
    if totals.get("volume") != volume:
        f.add(("totals", "volume"), f"{show(totals.get('volume'))}, rows sum to {volume:,}")
    if _pusd(totals.get("cost_usd")) != total:
        f.add(
            ("totals", "cost_usd"), f"{show(totals.get('cost_usd'))} USD, rows sum to {usd(total)}"
        )
    got_q = exact(totals.get("quality_queries"))
    if got_q is None or abs(got_q - quality) > HALF_MICRO * (len(doc["tasks"]) + 1):
        f.add(("totals", "quality_queries"), f"{show(totals.get('quality_queries'))}, rows sum to "
              f"{float(quality):.6f}")  # fmt: skip
    return total, quality


def _costs(s: Schedule, u: npt.NDArray[np.int64], c: npt.NDArray[np.int64],
           o: npt.NDArray[np.int64]) -> npt.NDArray[Any]:  # fmt: skip
    """Exact request costs (int64 when it cannot overflow, else Python ints)."""
    total_in = u + c
    rates = [s.base, *(r for _, r in s.tiers)]
    biggest = max(int(u.max(initial=0)), int(c.max(initial=0)), int(o.max(initial=0)))
    per = [(r.per_token("input_usd_per_mtok"), r.per_token("cache_read_usd_per_mtok"),
            r.per_token("output_usd_per_mtok"), r.fee_pusd()) for r in rates]  # fmt: skip
    worst = max((3 * biggest * max(p[:3]) + p[3] for p in per), default=0)
    dtype: Any = np.int64 if worst < 2**62 else object
    u, c, o = (x.astype(dtype) for x in (u, c, o))
    out = np.zeros(len(u), dtype=dtype)
    choice = np.zeros(len(u), dtype=np.int64)
    for k, (above, _) in enumerate(s.tiers, start=1):
        choice[total_in > above] = k
    for k, (inp, cached, outp, fee) in enumerate(per):
        mask = choice == k
        if mask.any():
            out[mask] = u[mask] * inp + c[mask] * cached + o[mask] * outp + fee
    return out


class _PerQuery:
    def __init__(self, doc: dict[str, Any], sources: Sources, f: Findings) -> None:
        self.doc, self.f = doc, f
        assert sources.queries is not None
        assert sources.rows is not None
        self.qs: Queries = read_queries(sources.queries)
        self.rows: QueryRows = sources.rows
        self.sheet = load_sheets(sources.prices, sources.price_changes)
        self.settings: dict[str, Any] = dict(doc.get("assign") or {})
        self._tokens: dict[tokens.Counter, npt.NDArray[np.int64]] = {}

    def prompt(self, model: Model) -> npt.NDArray[np.int64]:
        if self.qs.prompt is not None:
            return self.qs.prompt
        assert self.qs.texts is not None
        counter = tokens.counter_for(model.tokenizer, model.provider)
        if counter not in self._tokens:
            self._tokens[counter] = np.asarray(tokens.count(self.qs.texts, counter),
                                               dtype=np.int64)  # fmt: skip
        return self._tokens[counter]

    def run(self) -> None:
        qs, rows, f = self.qs, self.rows, self.f
        stated = self.doc.get("inputs")
        digests = {v for v in stated.values() if isinstance(v, str)} if isinstance(
            stated, dict) else set()  # fmt: skip
        for name, digest in [("query file", qs.sha256), *((str(s.path), s.sha256)
                                                           for s in self.sheet.files)]:  # fmt: skip
            if digest not in digests:
                f.add(("inputs",), f"no entry has the sha256 of the {name} ({digest})")
        if rows.ids != qs.ids or rows.tasks != qs.tasks:
            f.add(("rows",), "the per-query rows are not the query file's queries, in order")
            return
        output: npt.NDArray[np.int64] = qs.output
        default = self.settings.get("output_tokens")
        if not qs.output_given.all():
            if default is None:
                f.add(("assign", "output_tokens"), "queries give no output_tokens and the plan "
                      "records no default")  # fmt: skip
                return
            output = np.where(qs.output_given, output, int(default))
        labels, code = _pair_codes(rows.models, rows.modes)
        n_rows = len(code)
        cost = np.zeros(n_rows, dtype=object)
        tok = np.zeros(n_rows, dtype=np.int64)
        qmicro = np.zeros(n_rows, dtype=np.int64)
        providers = {}
        for k, (model_name, mode) in enumerate(labels):
            idx = np.flatnonzero(code == k)
            self._option(model_name, mode, idx, output, cost, tok, qmicro)
            model = self.sheet.models.get(model_name)
            providers[k] = model.provider if model else "?"
        self._compare(cost, qmicro)
        self._aggregate(code, labels, cost, qmicro)
        self._constraints(code, labels, providers, cost, tok, qmicro)
        from costplan.verify.certificate import judge, open_certificate
        from costplan.verify.perquerycert import priced

        # unconditional: an optimal plan without a certificate is refused (open_certificate)
        z = int(qmicro.sum()) if self.doc.get("objective") == "max_quality" else int(
            cost.sum())  # fmt: skip
        opened = open_certificate(self.doc, z, f)
        if opened is None:
            return
        cert, sense, u = opened
        pr = priced(self, output, cert, f)

        def search() -> str | None:
            from costplan.verify.searchq import prove

            assert pr is not None
            return prove(self, pr, z)

        judge(self.doc, cert, z, u, None if pr is None else pr.d, sense, f, search)

    def share_cap(self, provider: str) -> Fraction | None:
        """The provider's own cap, else the ``*`` cap, else None (a cap of 0 is a cap)."""
        caps = self.settings.get("max_provider_share") or {}
        own = [exact(v) for p, v in caps.items() if p != "*" and provider_id(str(p)) == provider]
        mine = [x for x in own if x is not None]
        if mine:
            return min(mine)
        value = caps.get("*")
        return None if value is None else exact(value)

    def _option(self, model_name: str, mode: str, idx: npt.NDArray[np.int64],
                output: npt.NDArray[np.int64], cost: npt.NDArray[Any],
                tok: npt.NDArray[np.int64], qmicro: npt.NDArray[np.int64]) -> None:  # fmt: skip
        f, qs = self.f, self.qs
        first = int(idx[0])
        where = ("rows", first)
        model = self.sheet.models.get(model_name)
        allowed = self.settings.get("modes", ["standard", "batch"])
        schedule = model.schedule(mode) if model else None
        if model is None or schedule is None or mode not in allowed:
            why = ("not in the price sheet" if model is None else
                   f"has no {mode!r} price" if schedule is None else
                   f"mode {mode!r} was not allowed")  # fmt: skip
            f.add(where, f"{len(idx):,} queries on {model_name!r} ({mode}): {why}")
            cost[idx] = self.rows.cost_pusd[idx]
            qmicro[idx] = self.rows.quality_micro[idx]
            return
        column = qs.column(model_name)
        given = np.full(len(idx), -1, np.int64) if column is None else column[idx]
        missing = idx[given < 0]
        if len(missing):
            g0 = int(missing[0])
            f.add(("rows", g0), f"query {qs.ids[g0]!r} has no quality for "
                  f"{model_name!r} ({len(missing):,} such queries)")  # fmt: skip
        qmicro[idx] = given
        prompt = self.prompt(model)[idx]
        cached, out = qs.cached[idx], output[idx]
        fits = np.ones(len(idx), dtype=np.bool_)
        if model.context_window is not None:
            fits &= prompt + cached + out <= model.context_window
        if model.max_output_tokens is not None:
            fits &= out <= model.max_output_tokens
        if not fits.all():
            g = int(idx[np.flatnonzero(~fits)[0]])
            f.add(("rows", g), f"query {qs.ids[g]!r} does not fit {model_name!r} "
                  f"({int((~fits).sum()):,} such queries)")  # fmt: skip
        cost[idx] = _costs(schedule, prompt, cached, out).astype(object)
        tok[idx] = prompt + cached + out

    def _compare(self, cost: npt.NDArray[Any], qmicro: npt.NDArray[np.int64]) -> None:
        rows, qs = self.rows, self.qs
        for what, want, got in (("cost_usd", cost, rows.cost_pusd.astype(object)),
                                ("quality", qmicro, rows.quality_micro)):  # fmt: skip
            bad = np.flatnonzero(want != got)
            for g in bad[:_SHOWN].tolist():
                stated = usd(int(got[g])) if what == "cost_usd" else f"{int(got[g]) / 1e6:.6f}"
                again = usd(int(want[g])) if what == "cost_usd" else f"{int(want[g]) / 1e6:.6f}"
                self.f.add(("rows", g, what), f"query {qs.ids[g]!r}: {stated}, recomputed {again}"
                           + (f" ({len(bad):,} rows differ)" if len(bad) > 1 else ""))  # fmt: skip

    def _aggregate(self, code: npt.NDArray[np.int64], labels: list[tuple[str, str]],
                   cost: npt.NDArray[Any], qmicro: npt.NDArray[np.int64]) -> None:  # fmt: skip
        names, tidx = first_codes(self.qs.tasks)
        key = tidx * max(1, len(labels)) + code
        n_keys = len(names) * max(1, len(labels))
        counts = np.bincount(key, minlength=n_keys)
        csum = np.zeros(n_keys, dtype=object)
        np.add.at(csum, key, cost)
        qsum = np.zeros(n_keys, dtype=object)
        np.add.at(qsum, key, qmicro.astype(object))
        # Bernoulli spread of each row's realised quality: sum p (1 - p), in micro^2, exact
        # (a query without a quality, -1, is reported apart and adds no spread: never < 0)
        bern = np.zeros(n_keys, dtype=object)
        known = np.maximum(qmicro, 0)
        np.add.at(bern, key, (known * (10**6 - known)).astype(object))
        tasks = self.doc["tasks"]
        shown = [t.get("name") for t in tasks]
        if shown != [n or "(all)" for n in names]:
            self.f.add(("tasks",), f"{shown} are not the query file's tasks")
            return
        for i, t in enumerate(tasks):
            stated = {(a.get("model"), a.get("mode")): j for j, a in enumerate(t["allocations"])}
            for k, label in enumerate(labels):
                n = int(counts[i * len(labels) + k])
                j = stated.pop(label, None)
                if n == 0:
                    if j is not None:
                        self.f.add(("tasks", i, "allocations", j), "no query of the task uses it")
                    continue
                if j is None:
                    self.f.add(("tasks", i, "allocations"), f"{n:,} queries use {label[0]} "
                               f"({label[1]}) but no row says so")  # fmt: skip
                    continue
                self._row(
                    ("tasks", i, "allocations", j),
                    t["allocations"][j],
                    n,
                    int(csum[i * len(labels) + k]),
                    int(qsum[i * len(labels) + k]),
                )
                _check_stderr(self.f, ("tasks", i, "allocations", j, "quality_stderr"),
                              t["allocations"][j].get("quality_stderr"),
                              int(bern[i * len(labels) + k]), n)  # fmt: skip
            for label, j in stated.items():
                self.f.add(("tasks", i, "allocations", j), f"{label} is not used by any query")

    def _row(self, key: tuple[str | int, ...], a: dict[str, Any], n: int, c: int, q: int) -> None:
        f = self.f
        if a.get("count") != n:
            f.add((*key, "count"), f"{show(a.get('count'))}, {n:,} queries use it")
        if _pusd(a.get("cost_usd")) != c:
            f.add((*key, "cost_usd"), f"{show(a.get('cost_usd'))} USD, its queries cost {usd(c)}")
        if _pusd(a.get("cost_per_query_usd")) != c // n:
            f.add((*key, "cost_per_query_usd"), f"{show(a.get('cost_per_query_usd'))} USD, "
                  f"recomputed {usd(c // n)} (the mean, rounded down)")  # fmt: skip
        if exact(a.get("quality_queries")) != Fraction(q, 10**6):
            f.add((*key, "quality_queries"), f"{show(a.get('quality_queries'))}, its queries sum "
                  f"to {q / 1e6:.6f}")  # fmt: skip
        mean = Fraction(q, 10**6 * n)
        got = exact(a.get("quality"))
        if got is None or abs(got - mean) > MICRO_SLACK:
            f.add(
                (*key, "quality"),
                f"{show(a.get('quality'))}, its queries average {float(mean):.6f}",
            )
        model = self.sheet.models.get(str(a.get("model")))
        if model is not None and a.get("provider") != model.provider:
            f.add(
                (*key, "provider"), f"{show(a.get('provider'))}, the sheet says {model.provider!r}"
            )

    def _constraints(self, code: npt.NDArray[np.int64], labels: list[tuple[str, str]],
                     providers: dict[int, str], cost: npt.NDArray[Any],
                     tok: npt.NDArray[np.int64], qmicro: npt.NDArray[np.int64],
                     ) -> None:  # fmt: skip
        f, s, doc = self.f, self.settings, self.doc
        total = int(cost.sum()) if len(cost) else 0
        qtotal = int(qmicro.sum())
        check_budget(f, doc, total, robust=False)
        _check_exact_risk(f, doc, total)
        floor = exact(s.get("min_quality"))
        if floor is not None and qtotal < floor * 10**6 * len(cost):
            f.add(("assign", "min_quality"), f"mean quality {qtotal / 1e6 / len(cost):.6f} is "
                  f"below the floor {float(floor)}")  # fmt: skip
        tasks = np.asarray(self.qs.tasks)
        for task, value in (s.get("task_min_quality") or {}).items():
            cap = exact(value)
            inside = tasks == task
            got, n = int(qmicro[inside].sum()), max(1, int(inside.sum()))
            if cap is not None and got < cap * 10**6 * int(inside.sum()):
                f.add(("assign", "task_min_quality", task),
                      f"task mean quality {got / 1e6 / n:.6f} is below {float(cap)}")  # fmt: skip
        models = np.asarray([labels[k][0] for k in range(len(labels))] or [""], dtype=object)
        for kind, limits in (("requests", s.get("capacity_requests") or {}),
                             ("tokens", s.get("capacity_tokens") or {})):  # fmt: skip
            for m, limit in limits.items():
                mask = models[code] == m if len(code) else np.zeros(0, dtype=np.bool_)
                used = int(mask.sum()) if kind == "requests" else int(tok[mask].sum())
                if used > int(limit):
                    f.add(("assign", f"capacity_{kind}", m), f"{used:,} {kind} on {m!r}, above "
                          f"its capacity {int(limit):,}")  # fmt: skip
        spend: dict[str, Fraction] = {}
        for k in range(len(labels)):
            prov = providers[k]
            spend[prov] = spend.get(prov, Fraction(0)) + int(cost[code == k].sum())
        shares = one_id_shares({str(p): x for p, v in (s.get("max_provider_share") or {}).items()
                                if (x := exact(v)) is not None})  # fmt: skip
        check_shares(f, spend, total, shares)
        objective = (Fraction(qtotal, 10**6) if doc.get("objective") == "max_quality"
                     else Fraction(total, PUSD))  # fmt: skip
        check_claim(f, doc, objective)


def _pair_codes(models: tuple[str, ...], modes: tuple[str, ...],
                ) -> tuple[list[tuple[str, str]], npt.NDArray[np.int64]]:  # fmt: skip
    """The sorted distinct (model, mode) pairs and each row's index into them."""
    m_names, m_idx = first_codes(models)
    o_names, o_idx = first_codes(modes)
    width = max(1, len(o_names))
    pair = m_idx * width + o_idx
    present = np.unique(pair)
    found = [(m_names[p // width], o_names[p % width])
             for p in present.tolist()]  # one per distinct pair  # fmt: skip
    order = sorted(range(len(found)), key=found.__getitem__)
    rank = np.zeros(len(found), dtype=np.int64)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(len(found), dtype=np.int64)
    code = rank[np.searchsorted(present, pair)] if len(pair) else np.zeros(0, np.int64)
    return [found[i] for i in order], code


def _check_stderr(f: Findings, key: tuple[str | int, ...], stated: Any, bern: int, n: int) -> None:
    """``quality_stderr`` = sqrt(sum p (1 - p)) / n (README "Uncertainty"; None when 0)."""
    want = None if bern == 0 else math.sqrt(bern) / 10**6 / n
    if want is None or stated is None:
        if (want is None) != (stated is None):
            f.add(key, f"{show(stated)}, its queries give {want!r}")
        return
    got = exact(stated)  # the raw reader keeps numbers as written
    if got is None or abs(float(got) - want) > 1e-9 * want:
        f.add(key, f"{show(stated)}, its queries give {want!r}")


def _check_exact_risk(f: Findings, doc: dict[str, Any], total: int) -> None:
    """A per-query plan's ``risk``: the exact total of its queries (``method: exact``)."""
    risk = doc.get("risk")
    if risk is None:
        return  # written before per-query plans carried one
    if not isinstance(risk, dict) or risk.get("method") != "exact":
        f.add(("risk", "method"), f"{show(risk)}: a per-query plan's total is exact")
        return
    for k in ("mean_usd", "p50_usd", "p95_usd", "p99_usd"):
        if _pusd(risk.get(k)) != total:
            f.add(("risk", k), f"{show(risk.get(k))} USD, its queries cost {usd(total)}")
    if _pusd(risk.get("sd_usd")) != 0:
        f.add(("risk", "sd_usd"), f"{show(risk.get('sd_usd'))} USD, an exact total has none")
    budget = exact(doc.get("budget_usd"))
    want = None if budget is None else Fraction(int(total <= budget * PUSD))
    if exact(risk.get("p_within_budget")) != want:
        f.add(("risk", "p_within_budget"), f"{show(risk.get('p_within_budget'))}, the exact "
              f"total gives {want}")  # fmt: skip
