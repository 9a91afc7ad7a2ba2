"""Checks of a class-level plan document (``optimize``) against its raw inputs.

Every allocation row is re-priced (:mod:`costplan.verify.costs`) and every
claim of the document is recomputed; see the README's "The independent
checker" for the list. Money is compared exactly in pico-dollars, quality
exactly as fractions of the workload's own numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from costplan.verify.claims import check_budget, check_claim, check_shares
from costplan.verify.costs import OptionCost, Pricer, cache_choices, ceil
from costplan.verify.findings import Findings, Key, exact, show, usd
from costplan.verify.prices import PUSD, Model, Sheet
from costplan.verify.tasks import LATENCY_MODES, MINUTES, TaskSpec, WorkloadSpec

if TYPE_CHECKING:
    from costplan.verify.certificate import Opt

__all__ = ["ClassChecker", "Row", "Step", "check_budget", "check_claim", "check_shares"]

HALF_MICRO = Fraction(1, 2 * 10**6)
#: Rounding slack per query of a stated quality sum: each query's quality may be rounded
#: to a micro-unit (down, or to nearest) before it is summed, and the sum to 6 decimals.
MICRO_SLACK = Fraction(3, 2 * 10**6)


@dataclass(frozen=True)
class Step:
    """One model inside a row: ``reach`` of the row's queries, at ``cost`` each."""

    model: str
    provider: str
    reach: Fraction
    cost: int
    tokens: int


@dataclass
class Row:
    """What the checker knows of one allocation after re-pricing it."""

    count: int
    cost: int  # recomputed per query (or the stated one when it could not be)
    cost_p95: int
    quality: Fraction
    steps: list[Step]
    sd: int = 0  # spread of one query's cost (README "Uncertainty")
    samples: int = 1
    se: float | None = None  # standard error of the quality (README "Uncertainty")
    commitment: str = ""  # served under this commitment (costplan.verify.commitments)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _pusd(value: Any) -> int | None:
    x = exact(value)
    if x is None or x < 0 or (x * PUSD).denominator != 1:
        return None
    return int(x * PUSD)


def _same_float(stated: Any, want: float | None) -> bool:
    if stated is None or want is None:
        return stated is None and want is None
    got = exact(stated)
    return got is not None and abs(float(got) - want) <= 1e-12 + 1e-9 * abs(want)


class ClassChecker:
    def __init__(
        self, doc: dict[str, Any], w: WorkloadSpec, sheet: Sheet, pricer: Pricer, f: Findings
    ) -> None:
        self.doc, self.w, self.sheet, self.f = doc, w, sheet, f
        self.pricer = pricer
        self.fees = 0  # fixed commitment fees of the plan (set by the side-constraint checks)

    # ------------------------------------------------------------ entry point
    def run(self) -> list[list[Row]]:
        doc, w, f = self.doc, self.w, self.f
        if doc.get("period") != w.period:
            f.add(("period",), f"{show(doc.get('period'))} is not the workload's {w.period!r}")
        if doc.get("workload") != w.name:
            f.add(("workload",), f"{show(doc.get('workload'))} is not the workload's {w.name!r}")
        self._inputs()
        tasks = doc.get("tasks")
        if not isinstance(tasks, list):
            f.add(("tasks",), "missing or not a list")
            return []
        names = [t.get("name") if isinstance(t, dict) else None for t in tasks]
        if names != [t.name for t in w.tasks]:
            f.add(("tasks",), f"tasks {names} are not the workload's {[t.name for t in w.tasks]}")
        rows: list[list[Row]] = []
        for i, (t, spec) in enumerate(zip(tasks, w.tasks, strict=False)):
            rows.append(self._task(i, t, spec) if isinstance(t, dict) else [])
        self._side_constraints(rows)
        from costplan.verify.risk import check_quality, check_risk

        try:
            check_risk(doc, w, rows, f, self.fees)
            check_quality(doc, w, rows, f)
        except (OverflowError, ValueError, ZeroDivisionError, TypeError) as exc:
            f.add(("risk",), f"figures out of any float's range or malformed ({exc})")
        return rows

    def _inputs(self) -> None:
        stated = self.doc.get("inputs")
        digests = {v for v in stated.values() if isinstance(v, str)} if isinstance(
            stated, dict) else set()  # fmt: skip
        for raw in (self.w.file, *self.sheet.files):
            if raw.sha256 not in digests:
                self.f.add(("inputs",), f"no entry has the sha256 of {raw.path} ({raw.sha256})")

    # ------------------------------------------------------------ one task
    def _task(self, i: int, t: dict[str, Any], spec: TaskSpec) -> list[Row]:
        f, key = self.f, ("tasks", i)
        if t.get("volume") != spec.volume:
            f.add((*key, "volume"), f"{show(t.get('volume'))} is not the workload's {spec.volume}")
        floor = exact(t.get("min_quality"))
        if floor != spec.min_quality:
            f.add((*key, "min_quality"), f"{show(t.get('min_quality'))} is not the workload's "
                  f"{None if spec.min_quality is None else float(spec.min_quality)}")  # fmt: skip
        allocs = t.get("allocations")
        if not isinstance(allocs, list):
            f.add((*key, "allocations"), "missing or not a list")
            return []
        rows: list[Row] = []
        seen: set[tuple[Any, ...]] = set()
        for j, a in enumerate(allocs):
            akey = (*key, "allocations", j)
            if not isinstance(a, dict):
                f.add(akey, "not a mapping")
                continue
            ident = tuple(
                repr(a.get(k)) for k in ("kind", "model", "mode", "cache", "commitment")
            )
            if ident in seen:
                f.add(akey, f"{a.get('model')} ({a.get('mode')}) is allocated twice")
            seen.add(ident)
            row = self._allocation(akey, a, spec)
            if row is not None:
                rows.append(row)
        total = sum(r.count for r in rows)
        if total != spec.volume:
            f.add((*key, "allocations"), f"counts sum to {total:,}, volume is {spec.volume:,}")
        used = [r for r in rows if r.count > 0]
        if not spec.split and len(used) > 1:
            f.add((*key, "allocations"), f"split: false but {len(used)} options are used")
        cost = sum(r.count * r.cost for r in rows)
        self._money((*key, "cost_usd"), t.get("cost_usd"), cost)
        quality = sum((r.count * r.quality for r in rows), Fraction(0))
        self._near((*key, "mean_quality"), t.get("mean_quality"),
                   quality / spec.volume if spec.volume else Fraction(0), MICRO_SLACK)  # fmt: skip
        if spec.min_quality is not None and spec.volume and quality < spec.min_quality * total:
            f.add((*key, "min_quality"), f"mean quality {float(quality / total):.7f} is below "
                  f"the floor {float(spec.min_quality)}")  # fmt: skip
        return rows

    def _money(self, key: Key, stated: Any, expected: int) -> None:
        got = _pusd(stated)
        if got != expected:
            self.f.add(key, f"{show(stated)} USD, recomputed {usd(expected)} USD")

    def _near(
        self, key: Key, stated: Any, expected: Fraction, slack: Fraction = HALF_MICRO
    ) -> None:
        """``stated`` is ``expected`` rounded to 6 decimals (within ``slack``)."""
        got = exact(stated)
        if got is None or abs(got - expected) > slack:
            self.f.add(key, f"{show(stated)}, recomputed {float(expected):.7f}")

    # ------------------------------------------------------------ one allocation
    def _usable(self, spec: TaskSpec, name: str, mode: str) -> tuple[Model | None, str | None]:
        model = self.sheet.models.get(name)
        if model is None:
            return None, f"model {name!r} is not in the price sheet"
        if model.schedule(mode) is None:
            return None, f"model {name!r} has no {mode!r} price"
        if mode not in LATENCY_MODES.get(spec.latency, ()):
            return None, f"mode {mode!r} is not allowed for a {spec.latency} task"
        return model, None

    def _allocation(self, key: Key, a: dict[str, Any], spec: TaskSpec) -> Row | None:
        f = self.f
        count = _count(a.get("count"))
        if count is None:
            f.add((*key, "count"), f"{show(a.get('count'))} is not an integer >= 0")
            return None
        if a.get("per_query") not in (False, None):
            f.add((*key, "per_query"), "a workload plan has no per-query rows")
        kind, name, mode = a.get("kind", "model"), str(a.get("model")), str(a.get("mode"))
        if kind == "cascade":
            priced = self._cascade(key, spec, name, mode)
        elif kind == "model":
            priced = self._model(key, a, spec, name, mode)
        else:
            f.add((*key, "kind"), f"unknown allocation kind {kind!r}")
            priced = None
        commit = str(a.get("commitment") or "")
        if priced is not None and commit:
            from costplan.verify.commitments import committed_row

            cspec = self.w.commitments.get(commit)
            priced = committed_row(f, key, self.sheet, cspec, kind, name, mode, priced)
        if priced is None:
            stated = _pusd(a.get("cost_per_query_usd")) or 0
            stated95 = _pusd(a.get("cost_p95_per_query_usd")) or 0
            q = exact(a.get("quality")) or Fraction(0)
            return Row(count, stated, stated95, q, [])
        cost, quality, steps, source = priced
        self._money((*key, "cost_per_query_usd"), a.get("cost_per_query_usd"), cost.cost)
        self._money((*key, "cost_p95_per_query_usd"), a.get("cost_p95_per_query_usd"),
                    cost.cost_p95)  # fmt: skip
        self._money((*key, "cost_usd"), a.get("cost_usd"), count * cost.cost)
        if "cost_sd_per_query_usd" in a:
            self._money((*key, "cost_sd_per_query_usd"), a.get("cost_sd_per_query_usd"), cost.sd)
        if exact(a.get("quality")) != quality:
            f.add(
                (*key, "quality"), f"{show(a.get('quality'))}, the workload says {float(quality)}"
            )
        self._near((*key, "quality_queries"), a.get("quality_queries"), count * quality,
                   MICRO_SLACK * (count + 1))  # fmt: skip
        if a.get("cost_source", "tokens") != source:
            f.add((*key, "cost_source"), f"{show(a.get('cost_source'))}, expected {source!r}")
        if spec.volume:
            self._near((*key, "share"), a.get("share"), Fraction(count, spec.volume))
        # A model's allocation carries its own profile's tokens; a cascade the task's.
        seen_as = spec.for_model(name) if kind == "model" else spec
        self._usage((*key, "usage_per_query"), a.get("usage_per_query"), seen_as, cost)
        se = None
        if kind == "model":
            from costplan.verify.risk import quality_se

            se = quality_se(quality, self.w.quality_stats.get(spec.name, {}).get(name))
        if "quality_stderr" in a and not _same_float(a.get("quality_stderr"), se):
            f.add((*key, "quality_stderr"), f"{show(a.get('quality_stderr'))}, the workload's "
                  f"n / stderr give {se!r}")  # fmt: skip
        return Row(count, cost.cost, cost.cost_p95, quality, steps, cost.sd, cost.samples, se,
                   commit)  # fmt: skip

    def _usage(self, key: Key, u: Any, spec: TaskSpec, cost: OptionCost) -> None:
        if u is None:
            return
        if not isinstance(u, dict):
            self.f.add(key, "not a mapping")
            return
        for name, want in (("cached_tokens", spec.shared), ("output_tokens", spec.output_mean),
                           ("reasoning_tokens", spec.reasoning)):  # fmt: skip
            if u.get(name) != want:
                self.f.add((*key, name), f"{show(u.get(name))}, the workload gives {want}")
        self._near((*key, "prompt_tokens_mean"), u.get("prompt_tokens_mean"), cost.prompt_mean,
                   Fraction(1, 1000))  # fmt: skip

    def _model(self, key: Key, a: dict[str, Any], spec: TaskSpec, name: str, mode: str
               ) -> tuple[OptionCost, Fraction, list[Step], str] | None:  # fmt: skip
        model, problem = self._usable(spec, name, mode)
        if model is not None and spec.allow is not None and name not in spec.allow:
            problem = "not in the task's 'allow' list"
        score = self.w.quality.get(spec.name, {}).get(name)
        if problem is None and score is None:
            problem = "no quality score for the task"
        if model is None or problem is not None or score is None:
            self.f.add((*key, "model"), f"{name!r} ({mode}) is not usable: {problem}")
            return None
        cache = a.get("cache") or ""
        choices = dict(cache_choices(spec, model, mode))
        if cache not in choices:
            self.f.add((*key, "cache"), f"{show(a.get('cache'))} is not a cache choice of the "
                       f"task on {name!r} ({mode}): {sorted(choices)}")  # fmt: skip
            return None
        cost = self.pricer.option(spec, model, mode, str(cache))
        if cost.excluded or choices[cache]:
            self.f.add((*key, "model"), f"{name!r} is not usable: "
                       f"{cost.excluded or choices[cache]}")  # fmt: skip
        if a.get("provider") != model.provider:
            self.f.add((*key, "provider"), f"{show(a.get('provider'))}, the sheet says "
                       f"{model.provider!r}")  # fmt: skip
        step = Step(self.canon(name), model.provider, Fraction(1), cost.cost,
                    cost.tokens_per_query)  # fmt: skip
        return cost, score, [step], cost.source

    def _cascade(self, key: Key, spec: TaskSpec, name: str, mode: str
                 ) -> tuple[OptionCost, Fraction, list[Step], str] | None:  # fmt: skip
        cascade = next((c for c in spec.cascades if c.name == name), None)
        if cascade is None:
            self.f.add((*key, "model"), f"the task has no cascade named {name!r}")
            return None
        if mode != cascade.mode:
            self.f.add((*key, "mode"), f"{mode!r}, the cascade runs in {cascade.mode!r}")
            return None
        steps: list[Step] = []
        total = total95 = spread = Fraction(0)
        first: OptionCost | None = None
        for model_name, reach in zip(cascade.steps, cascade.reach(), strict=False):
            model, problem = self._usable(spec, model_name, mode)
            if model is None:
                self.f.add((*key, "model"), f"step {model_name!r} is not usable: {problem}")
                return None
            c = self.pricer.cheapest(spec, model, mode)
            if c.excluded:
                self.f.add((*key, "model"), f"step {model_name!r} is not usable: {c.excluded}")
            first = first or c
            steps.append(Step(self.canon(model_name), model.provider, reach, c.cost,
                              c.tokens_per_query))  # fmt: skip
            total += reach * c.cost
            total95 += reach * c.cost_p95
            spread += reach * c.sd
        assert first is not None
        slow = self.cascade_too_slow(spec, cascade)
        if slow:
            self.f.add((*key, "model"), f"cascade {name!r} is not usable: {slow}")
        cost = OptionCost(ceil(total), ceil(total95), first.prompt_mean, 0, None, "cascade",
                          ceil(spread), first.samples)  # fmt: skip
        return cost, cascade.quality, steps, "cascade"

    # ------------------------------------------------------------ side constraints
    def _side_constraints(self, rows: list[list[Row]]) -> None:
        requests: dict[str, Fraction] = {}
        tokens: dict[str, Fraction] = {}
        spend: dict[str, Fraction] = {}
        total = 0
        for task_rows in rows:
            for r in task_rows:
                total += r.count * r.cost
                for s in r.steps:
                    n = r.count * s.reach
                    requests[s.model] = requests.get(s.model, Fraction(0)) + n
                    tokens[s.model] = tokens.get(s.model, Fraction(0)) + n * s.tokens
                    spend[s.provider] = spend.get(s.provider, Fraction(0)) + n * s.cost
        minutes = MINUTES.get(self.w.period, 0)
        caps = self.capacities()
        for m in sorted(requests):
            req_cap, tok_cap = caps.get(m, (None, None))
            model = self.sheet.models.get(m)
            if self.w.use_rate_limits and model is not None:
                if req_cap is None and model.requests_per_minute is not None:
                    req_cap = model.requests_per_minute * minutes
                if tok_cap is None and model.tokens_per_minute is not None:
                    tok_cap = model.tokens_per_minute * minutes
            if req_cap is not None and requests[m] > req_cap:
                self.f.add(("tasks",), f"model {m!r} serves {float(requests[m]):,.0f} requests, "
                           f"above its capacity {req_cap:,}")  # fmt: skip
            if tok_cap is not None and tokens[m] > tok_cap:
                self.f.add(("tasks",), f"model {m!r} uses {float(tokens[m]):,.0f} tokens, "
                           f"above its capacity {tok_cap:,}")  # fmt: skip
        from costplan.verify.commitments import check_commitments

        self.fees = check_commitments(self.f, self.doc, self.w.commitments, self.sheet, rows,
                                      spend)  # fmt: skip
        total += self.fees
        check_shares(self.f, spend, total, self.w.shares)
        self._totals(rows, total)

    def _totals(self, rows: list[list[Row]], total: int) -> None:
        doc, f = self.doc, self.f
        totals: dict[str, Any] = doc["totals"]  # a mapping: checked by check_structure
        volume = sum(r.count for task_rows in rows for r in task_rows)
        if totals.get("volume") != volume:
            f.add(("totals", "volume"), f"{show(totals.get('volume'))}, rows sum to {volume:,}")
        self._money(("totals", "cost_usd"), totals.get("cost_usd"), total)
        total95 = sum(r.count * r.cost_p95 for task_rows in rows for r in task_rows) + self.fees
        self._money(("totals", "cost_p95_usd"), totals.get("cost_p95_usd"), total95)
        quality = sum((r.count * r.quality for t in rows for r in t), Fraction(0))
        self._near(("totals", "quality_queries"), totals.get("quality_queries"), quality,
                   MICRO_SLACK * (volume + 1))  # fmt: skip
        robust = bool(doc.get("robust"))
        check_budget(f, doc, total95 if robust else total, robust=robust)
        from costplan.verify.certificate import check_certificate, micro

        # The objective in the solvers' unit: quality in micro-units (rounded down), or pusd.
        if doc.get("objective") == "max_quality":
            z = sum(r.count * micro(r.quality) for t in rows for r in t)
            check_claim(f, doc, Fraction(z, 10**6))
        else:
            z = total
            check_claim(f, doc, Fraction(total, PUSD))
        # unconditional (docs/certificate.md): an optimal plan without a certificate the
        # checker accepts is refused; a feasible plan without one claims only its bound
        check_certificate(self, z, f)

    def canon(self, name: str) -> str:
        """The sheet model ``name`` means (steps, capacities: per sheet model)."""
        from costplan.verify.names import canonical_model

        return canonical_model(self.sheet.models, name)

    def capacities(self) -> dict[str, tuple[int | None, ...]]:
        """The workload's capacities by sheet model (two keys for one: the smaller)."""
        out: dict[str, tuple[int | None, ...]] = {}
        for name, cap in self.w.capacity.items():
            had = out.get(self.canon(name), (None, None))
            out[self.canon(name)] = tuple(b if a is None else a if b is None else min(a, b)
                                          for a, b in zip(had, cap, strict=True))  # fmt: skip
        return out

    def usable_options(self, spec: TaskSpec, robust: bool) -> list[Opt]:
        """Every option the task may use (certificate bounds range over all of them).

        Kept on the :class:`Pricer` (one per workload and sheet): they depend on nothing
        else, and a command checking many plans of the same files reuses them.
        """
        memo = self.pricer.usable
        key = (spec.name, robust)
        if key not in memo:
            memo[key] = self._usable_options(spec, robust)
        return list(memo[key])

    def _usable_options(self, spec: TaskSpec, robust: bool) -> list[Opt]:
        from costplan.verify.certificate import Opt, micro

        out = []
        scores = self.w.quality.get(spec.name, {})
        for name, q in scores.items():
            model = self.sheet.models.get(name)
            if model is None or (spec.allow is not None and name not in spec.allow):
                continue
            for mode, _ in model.modes:
                if mode not in LATENCY_MODES.get(spec.latency, ()):
                    continue
                for cache, why in cache_choices(spec, model, mode):
                    c = self.pricer.option(spec, model, mode, cache)
                    if c.excluded or why:
                        continue
                    step = Step(self.canon(name), model.provider, Fraction(1), c.cost,
                                c.tokens_per_query)  # fmt: skip
                    b = c.cost_p95 if robust else c.cost
                    out.append(Opt(micro(q), c.cost, b, (step,)))
        for cascade in spec.cascades:
            steps = []
            total = total95 = Fraction(0)
            for model_name, reach in zip(cascade.steps, cascade.reach(), strict=False):
                model, problem = self._usable(spec, model_name, cascade.mode)
                if model is None or problem is not None:
                    break
                c = self.pricer.cheapest(spec, model, cascade.mode)
                if c.excluded:
                    break
                steps.append(Step(self.canon(model_name), model.provider, reach, c.cost,
                                  c.tokens_per_query))  # fmt: skip
                total += reach * c.cost
                total95 += reach * c.cost_p95
            else:
                if self.cascade_too_slow(spec, cascade):
                    continue
                b = ceil(total95) if robust else ceil(total)
                out.append(Opt(micro(cascade.quality), ceil(total), b, tuple(steps)))
        return out

    def cascade_too_slow(self, spec: TaskSpec, cascade: Any) -> str | None:
        """A cascade's p95 is the sum of its steps' (unknown if any is): over the SLO?"""
        if spec.slo_ms is None:
            return None
        total = 0
        for model_name in cascade.steps:
            model = self.sheet.models.get(model_name)
            p95 = None if model is None else spec.p95_ms(model, cascade.mode)
            if p95 is None:
                return spec.too_slow(None)
            total += p95
        return spec.too_slow(total)
