"""The checker's own derivation of a plan's period-cost distribution (README "Uncertainty").

From the raw workload (each task's volume and its stated spread, ``volume_correlation``)
and the checker's re-priced rows (count, cost and spread per query, samples per task),
with its own arithmetic:

* relative volume ``R``: fixed; normal with ``sd = cv``, or ``(p95 - p05) / (2 z95 V)`` for
  a range symmetric about ``V``; Poisson ``sd = 1 / sqrt(V)``; otherwise the two-piece
  normal whose mean is ``V`` and 5% / 95% quantiles ``p05`` / ``p95`` (solved here by
  bisection on the scale ratio ``r = s2 / s1`` itself);
* ``C = sum x c``, ``Q = sum x s^2``, ``E = (sum x s)^2 / n``; ``Var S = sum_t [k^2 C^2 +
  (1 + k^2) E + Q] + rho sum_{t != u} k_t k_u C_t C_u``;
* ``normal``: ``q_p = ceil(E S + Phi^-1(p) sd)``, ``P = Phi((B - E S) / sd)``;
  ``monte_carlo``: the documented draw order with ``numpy.random.default_rng(seed)``.

A plan without a ``risk`` section (written before it existed) is not judged here.
Floats are compared to 1e-9 relative (one pico-dollar at least); P(cost <= budget) to
1e-6 (normal) or 3 draws (Monte Carlo).
"""

from __future__ import annotations

import math
from fractions import Fraction
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np

from costplan.verify.findings import Findings, exact, show
from costplan.verify.prices import PUSD

if TYPE_CHECKING:
    from costplan.verify.classplan import Row
    from costplan.verify.tasks import TaskSpec, WorkloadSpec

PHI = NormalDist()


def _tp_quantiles(r: float) -> tuple[float, float, float]:
    """(5% quantile, 95% quantile, mean) of the two-piece normal mode 0, s1 = 1, s2 = r."""
    left = 1 / (1 + r)  # P(X < mode)
    return (PHI.inv_cdf(0.05 / (2 * left)), r * PHI.inv_cdf(1 - 0.05 / (2 * (1 - left))),
            math.sqrt(2 / math.pi) * (r - 1))  # fmt: skip


def relative_volume(t: TaskSpec) -> tuple[str, dict[str, float]] | None:
    """(kind, parameters) of ``R``; None when no two-piece normal fits."""
    v = t.volume
    if v == 0:
        return "fixed", {}
    if t.volume_poisson:
        return "poisson", {"sd": 1 / math.sqrt(v)}
    if t.volume_cv is not None:
        return "normal", {"sd": float(t.volume_cv)}
    lo, hi = t.volume_p05, t.volume_p95
    if lo is None or hi is None or lo == hi:
        return "fixed", {}
    if hi - v == v - lo:
        return "normal", {"sd": (hi - lo) / (2 * PHI.inv_cdf(0.95) * v)}
    want = (v - lo) / (hi - lo)

    def where(r: float) -> float:
        q05, q95, m = _tp_quantiles(r)
        return (m - q05) / (q95 - q05)  # decreasing in r

    a, b = 1 / 18.9, 18.9
    if not where(b) < want < where(a):
        return None
    for _ in range(300):
        mid = (a + b) / 2
        a, b = (mid, b) if where(mid) > want else (a, mid)
    r = (a + b) / 2
    q05, q95, _ = _tp_quantiles(r)
    s1 = (hi - lo) / (q95 - q05) / v
    return "two_piece", {"mode": lo / v - s1 * q05, "s1": s1, "s2": r * s1}


def _var_r(kind: str, p: dict[str, float]) -> float:
    if kind == "two_piece":
        return (1 - 2 / math.pi) * (p["s2"] - p["s1"]) ** 2 + p["s1"] * p["s2"]
    return p.get("sd", 0.0) ** 2


def _close(a: float, b: float, rel: float = 1e-9) -> bool:
    return abs(a - b) <= max(rel * max(abs(a), abs(b)), 1e-300)


def _draws(parts: list[tuple[str, dict[str, float], int, int, float]], rho: float, d: int,
           seed: int) -> np.ndarray:  # fmt: skip
    """Monte Carlo draws of the period total (the README's order)."""
    gen = np.random.default_rng(seed)
    common = gen.standard_normal(d)
    s = np.zeros(d)
    q = np.zeros(d)
    for kind, p, c, noise, err in parts:
        score = math.sqrt(rho) * common + math.sqrt(1 - rho) * gen.standard_normal(d)
        if kind == "two_piece":
            u = np.clip(np.array([PHI.cdf(float(x)) for x in score]), 1e-16, 1 - 1e-16)
            a = p["s1"] / (p["s1"] + p["s2"])
            z = np.array([PHI.inv_cdf(min(max(y, 1e-300), 1 - 1e-16)) for y in
                          np.where(u < a, u / (2 * a), 1 - (1 - u) / (2 * (1 - a)))])  # fmt: skip
            r = p["mode"] + np.where(u < a, p["s1"], p["s2"]) * z
        elif kind == "fixed":
            r = np.ones(d)
        else:
            r = 1 + p["sd"] * score
        r = np.maximum(r, 0.0)
        s = s + r * (c + math.sqrt(err) * gen.standard_normal(d))
        q = q + r * noise
    out: np.ndarray = s + np.sqrt(q) * gen.standard_normal(d)
    return out


def quality_se(score: Fraction, stat: tuple[int | None, Fraction | None] | None) -> float | None:
    """A stated stderr, else ``sqrt(q (1 - q) / n)``, else None (no error stated)."""
    if stat is None:
        return None
    n, stderr = stat
    if stderr is not None:
        return float(stderr)
    return None if n is None else math.sqrt(float(score * (1 - score)) / n)


def check_quality(doc: dict[str, Any], w: WorkloadSpec, rows: list[list[Row]],
                  f: Findings) -> None:  # fmt: skip
    """The ``quality_risk`` section: per task sd and P(floor met), the plan's interval."""
    qr = doc.get("quality_risk")
    if qr is None:
        return
    if not isinstance(qr, dict) or not isinstance(qr.get("tasks"), list):
        f.add(("quality_risk",), "not a mapping with a 'tasks' list")
        return
    total_v = total_q = total_var = 0.0
    for i, spec in enumerate(w.tasks):
        task_rows = rows[i] if i < len(rows) else []
        v = sum(r.count for r in task_rows)
        q = sum(r.count * float(r.quality) for r in task_rows)
        var = sum((r.count * (r.se or 0.0)) ** 2 for r in task_rows)
        total_v, total_q, total_var = total_v + v, total_q + q, total_var + var
        mean, sd = (q / v, math.sqrt(var) / v) if v else (0.0, 0.0)
        p = None
        if spec.min_quality is not None:
            floor = float(spec.min_quality)
            p = (1.0 if mean >= floor else 0.0) if sd == 0 else PHI.cdf((mean - floor) / sd)
        want_f = _level(doc, "floor_confidence")
        if want_f is not None and p is not None and p < want_f:
            f.add(("chance", "floor_confidence"), f"task {spec.name!r}: P(floor met) recomputed "
                  f"{p!r} is below the stated {want_f}")  # fmt: skip
        stated = qr["tasks"][i] if i < len(qr["tasks"]) else {}
        if not isinstance(stated, dict):
            f.add(("quality_risk", "tasks", i), "not a mapping")
            continue
        _near_float(f, ("quality_risk", "tasks", i, "sd"), stated.get("sd"), sd, 1e-9)
        _near_float(f, ("quality_risk", "tasks", i, "p_floor_met"), stated.get("p_floor_met"),
                    p, 1e-9)  # fmt: skip
    mean = total_q / total_v if total_v else 0.0
    sd = math.sqrt(total_var) / total_v if total_v else 0.0
    level = exact(qr.get("level"))
    if level is None or not 0 < level < 1:
        f.add(("quality_risk", "level"), f"{show(qr.get('level'))} is not a level in (0, 1)")
        return
    z = PHI.inv_cdf(0.5 + float(level) / 2)
    lo_hi = qr.get("mean_quality_interval")
    want = (max(0.0, mean - z * sd), min(1.0, mean + z * sd))
    if not isinstance(lo_hi, list) or len(lo_hi) != 2:
        f.add(("quality_risk", "mean_quality_interval"), f"{show(lo_hi)} is not [low, high]")
        return
    for k in (0, 1):
        _near_float(f, ("quality_risk", "mean_quality_interval", k), lo_hi[k], want[k], 1e-9)


def _level(doc: dict[str, Any], key: str) -> float | None:
    """A stated chance level (``chance.confidence`` / ``chance.floor_confidence``)."""
    chance = doc.get("chance")
    value = exact(chance.get(key)) if isinstance(chance, dict) else None
    return None if value is None else float(value)


def _near_float(f: Findings, key: tuple[Any, ...], stated: Any, want: float | None,
                tol: float) -> None:  # fmt: skip
    got = exact(stated)
    if want is None or got is None:
        if (want is None) != (stated is None):
            f.add(key, f"{show(stated)}, recomputed {want!r}")
        return
    if abs(float(got) - want) > tol + 1e-9 * abs(want):
        f.add(key, f"{show(stated)}, recomputed {want!r}")


def check_risk(doc: dict[str, Any], w: WorkloadSpec, rows: list[list[Row]], f: Findings,
               fees: int = 0) -> None:  # fmt: skip
    """The ``risk`` section and each task's ``samples`` / ``volume_spread`` (module docs);
    ``fees``: fixed commitment fees, a constant added to the period total."""
    risk = doc.get("risk")
    if risk is None:
        if isinstance(doc.get("chance"), dict):
            f.add(("risk",), "a chance-constrained plan needs its risk section")
        return
    if not isinstance(risk, dict):
        f.add(("risk",), "not a mapping")
        return
    parts = []
    for i, (t, spec) in enumerate(zip(doc.get("tasks") or [], w.tasks, strict=False)):
        got = relative_volume(spec)
        if got is None:
            f.add(("tasks", i, "volume"), "the range fits no two-piece normal")
            return
        kind, p = got
        _check_task(f, i, t, kind, p, rows[i] if i < len(rows) else [])
        task_rows = rows[i] if i < len(rows) else []
        n = max((r.samples for r in task_rows), default=1)
        c = sum(r.count * r.cost for r in task_rows)
        noise = sum(r.count * r.sd * r.sd for r in task_rows)
        err = Fraction(sum(r.count * r.sd for r in task_rows) ** 2, n)
        parts.append((kind, p, c, noise, float(err)))
    if fees:  # fixed commitment fees: a constant part, last (README "Commitments")
        parts.append(("fixed", {}, fees, 0, 0.0))
    _check_section(f, doc, risk, parts, float(w.volume_correlation))


def _check_task(f: Findings, i: int, t: Any, kind: str, p: dict[str, float],
                rows: list[Row]) -> None:  # fmt: skip
    if not isinstance(t, dict):
        return
    n = max((r.samples for r in rows), default=1)
    if t.get("samples") != n:
        f.add(("tasks", i, "samples"), f"{show(t.get('samples'))}, the prompts give {n}")
    stated = t.get("volume_spread")
    if not isinstance(stated, dict) or stated.get("kind") != kind:
        f.add(("tasks", i, "volume_spread"), f"{show(stated)}, the workload gives {kind}")
        return
    for k, v in p.items():
        x = exact(stated.get(k))
        if x is None or not _close(float(x), v):
            f.add(("tasks", i, "volume_spread", k), f"{show(stated.get(k))}, recomputed {v!r}")


def _check_section(f: Findings, doc: dict[str, Any], risk: dict[str, Any],
                   parts: list[tuple[str, dict[str, float], int, int, float]],
                   rho: float) -> None:  # fmt: skip
    mean = sum(c for _, _, c, _, _ in parts)
    k = [math.sqrt(_var_r(kind, p)) for kind, p, _, _, _ in parts]
    var = sum(kk * kk * c * c + (1 + kk * kk) * e + q
              for kk, (_, _, c, q, e) in zip(k, parts, strict=True))  # fmt: skip
    for a in range(len(parts)):
        for b in range(len(parts)):
            if a != b:
                var += rho * k[a] * k[b] * parts[a][2] * parts[b][2]
    sd = math.sqrt(var)
    skewed = any(kind == "two_piece" for kind, _, _, _, _ in parts)
    method = "monte_carlo" if skewed else "normal"
    if risk.get("method") != method:
        f.add(("risk", "method"), f"{show(risk.get('method'))}, expected {method!r}")
        return
    budget = exact(doc.get("budget_usd"))
    limit = None if budget is None else (budget * PUSD).numerator // (budget * PUSD).denominator
    levels = (0.5, 0.95, 0.99)
    if method == "normal":
        qs = [mean + PHI.inv_cdf(p) * sd for p in levels]
        prob = None
        if limit is not None:
            prob = (1.0 if limit >= mean else 0.0) if sd == 0 else PHI.cdf((limit - mean) / sd)
        p_slack = 1e-6
    else:
        d, seed = risk.get("draws"), risk.get("seed")
        if not isinstance(d, int) or not isinstance(seed, int) or d < 1 or seed < 0:
            f.add(("risk",), f"draws {show(d)} / seed {show(seed)} are not counts")
            return
        s = np.sort(_draws(parts, rho, d, seed))
        qs = [float(s[math.ceil(p * d) - 1]) for p in levels]
        prob = None if limit is None else float(np.count_nonzero(s <= limit)) / d
        p_slack = 3 / d
    _money(f, risk, "mean_usd", float(mean), exact_int=mean)
    _money(f, risk, "sd_usd", sd)
    for name, q in zip(("p50_usd", "p95_usd", "p99_usd"), qs, strict=True):
        _money(f, risk, name, q)
    stated = exact(risk.get("p_within_budget"))
    if (prob is None) != (stated is None) or (
        prob is not None and stated is not None and abs(float(stated) - prob) > p_slack
    ):
        f.add(("risk", "p_within_budget"), f"{show(risk.get('p_within_budget'))}, recomputed "
              f"{prob!r}")  # fmt: skip
    want_c = _level(doc, "confidence")
    if want_c is not None and (prob is None or prob < want_c):
        f.add(("chance", "confidence"), f"P(cost <= budget) recomputed {prob!r} is below the "
              f"stated confidence {want_c}")  # fmt: skip
    corr = exact(risk.get("volume_correlation"))
    if corr is None or not _close(float(corr), rho):
        f.add(("risk", "volume_correlation"), f"{show(risk.get('volume_correlation'))}, the "
              f"workload gives {rho}")  # fmt: skip


def _money(f: Findings, risk: dict[str, Any], name: str, want: float,
           exact_int: int | None = None) -> None:  # fmt: skip
    got = exact(risk.get(name))
    if got is None:
        f.add(("risk", name), f"{show(risk.get(name))} is not an amount")
        return
    pusd = got * PUSD
    if exact_int is not None:
        if pusd != exact_int:
            f.add(("risk", name), f"{show(risk.get(name))} USD, recomputed {exact_int} pusd")
        return
    if abs(float(pusd) - want) > max(1e-9 * abs(want), 2.0):
        f.add(("risk", name), f"{show(risk.get(name))} USD, recomputed {want / 1e12!r} USD")
