"""Aggregate traffic rows in DuckDB into per-task summaries (never row by row in Python).

Checks, in order, each a one-line :class:`InputError` naming file, line and value:
malformed rows (counted; the first five listed; an error only with ``strict``),
no usable rows, negative or absurd token counts (> 1e8 per request, cached >
prompt), negative spend, clock skew (a request or bucket that ends before it
starts), mixed time zones (timestamps with and without a zone), empty groups (a
task whose rows stand for zero requests).

Per task: requests, covered span (first start to last end), the day-by-day
request series (UTC days), token quantiles (``quantile_disc``, per-request
sources only), exact integer token sums, the observed cache-hit rate
(cached / prompt tokens), per model: requests, logged spend, token means,
output p95, reasoning mean where measured, latency p50/p95; and a bounded
seeded sample of (prompt, cached, output, reasoning) per request, chosen by the
smallest ``hash(file, line, seed)`` (deterministic whatever the thread count).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from costplan.errors import InputError
from costplan.ingest.sql import MAX_TOKENS, run

if TYPE_CHECKING:
    import duckdb

    from costplan.ingest.traffic import Source

QUANTILES = (0.05, 0.5, 0.95, 0.99)
MAX_LISTED = 5


@dataclass(frozen=True)
class Distribution:
    """Per-request token counts: exact mean, ``quantile_disc`` p05/p50/p95/p99, max."""

    mean: Fraction
    p05: int
    p50: int
    p95: int
    p99: int
    max: int


@dataclass(frozen=True)
class ModelTraffic:
    model: str
    requests: int
    spend_usd: Decimal | None  # logged; None when no row of this model logged spend
    prompt_mean: Fraction
    cached_mean: Fraction
    output_mean: Fraction
    output_p95: int | None
    reasoning_mean: Fraction | None  # None: not measured
    latency_p50_ms: float | None
    latency_p95_ms: float | None


@dataclass(frozen=True)
class TaskTraffic:
    name: str
    requests: int
    start: datetime
    end: datetime
    days: tuple[tuple[str, int], ...]
    prompt_tokens: int
    cached_tokens: int
    output_tokens: int
    reasoning_tokens: int | None
    distributions: dict[str, Distribution]  # prompt, cached, output[, reasoning]
    models: tuple[ModelTraffic, ...]
    sample: tuple[tuple[int, int, int, int | None], ...]
    unkeyed: int  # requests whose --task-key was missing (a fallback named the task)

    @property
    def span_seconds(self) -> Fraction:
        return Fraction(int((self.end - self.start).total_seconds() * 1_000_000), 1_000_000)

    @property
    def cache_hit_rate(self) -> Fraction:
        return (
            Fraction(self.cached_tokens, self.prompt_tokens) if self.prompt_tokens else Fraction(0)
        )


@dataclass(frozen=True)
class Malformed:
    file: str
    unit: str
    line: int
    reason: str

    def render(self) -> str:
        where = (
            f"{self.file}:{self.line}"
            if self.unit in ("line", "row")
            else f"{self.file} {self.unit} {self.line}"
        )
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class TrafficSummary:
    tasks: tuple[TaskTraffic, ...]
    malformed: int
    malformed_first: tuple[Malformed, ...]
    without_counts: tuple[str, ...]  # tasks from buckets without request counts


def _union(sources: Sequence[Source]) -> str:
    parts = [
        f"SELECT {i} AS src, {str(s.per_request).lower()} AS per_request, * FROM ({s.sql})"
        for i, s in enumerate(sources)
    ]
    return " UNION ALL BY NAME ".join(parts)


class _Where:
    def __init__(self, sources: Sequence[Source]) -> None:
        self.sources = sources

    def __call__(self, src: int, line: int) -> tuple[str, int | None]:
        s = self.sources[src]
        return (str(s.path), line if s.unit in ("line", "row") else None)

    def error(self, src: int, line: int, message: str, value: Any) -> InputError:
        s = self.sources[src]
        if s.unit in ("line", "row"):
            return InputError(message, file=s.path, line=line, value=value)
        return InputError(f"{s.unit} {line}: {message}", file=s.path, value=value)


def _check(con: duckdb.DuckDBPyConnection, where: _Where) -> None:
    """Refuse negative or absurd counts, clock skew, mixed zones and empty groups."""
    checks = [
        (
            "negative token count",
            "least(prompt, cached, output, coalesce(reasoning, 0)) < 0",
            "[prompt, cached, output, reasoning]",
        ),
        (
            f"absurd token count (over {MAX_TOKENS:,} per request)",
            f"greatest(prompt, output, coalesce(reasoning, 0)) > {MAX_TOKENS} * greatest(n, 1)",
            "[prompt, output, reasoning]",
        ),
        ("cached tokens exceed prompt tokens", "cached > prompt", "[prompt, cached]"),
        ("negative spend", "spend < 0", "spend"),
        ("negative request count", "n < 0", "n"),
        ("clock skew: ends before it starts", "t1 < t0", "[t0::VARCHAR, t1::VARCHAR]"),
    ]
    for message, cond, shown in checks:
        row = con.execute(
            f"SELECT src, line, {shown} FROM ok WHERE {cond} ORDER BY src, line LIMIT 1"
        ).fetchone()
        if row:
            raise where.error(row[0], row[1], message, row[2])
    zones = con.execute(
        "SELECT (SELECT [src, line] FROM ok WHERE aware ORDER BY src, line LIMIT 1), "
        "(SELECT [src, line] FROM ok WHERE NOT aware ORDER BY src, line LIMIT 1)"
    ).fetchone()
    if zones and zones[0] is not None and zones[1] is not None:
        (a_src, a_line), (n_src, n_line) = zones[0], zones[1]
        file_a, line_a = where(a_src, a_line)
        raise where.error(
            n_src,
            n_line,
            "mixed time zones: this timestamp has no zone, "
            f"{file_a}{':' + str(line_a) if line_a else ''} has one",
            "naive",
        )
    empty = con.execute(
        "SELECT task, min(src), min(line) FROM ok GROUP BY task HAVING sum(n) = 0 "
        "ORDER BY task LIMIT 1"
    ).fetchone()
    if empty:
        raise where.error(
            empty[1], empty[2], f"empty group: task {empty[0]!r} has 0 requests", empty[0]
        )


def _dist(values: list[Any] | None, total: int, count: int) -> Distribution | None:
    if not values or count == 0:
        return None
    p05, p50, p95, p99, mx = (int(v) for v in values)
    return Distribution(Fraction(total, count), p05, p50, p95, p99, mx)


def summarize(
    con: duckdb.DuckDBPyConnection,
    sources: Sequence[Source],
    *,
    strict: bool = False,
    sample_size: int = 1000,
    seed: int = 0,
) -> TrafficSummary:
    """Aggregate every source's rows into a :class:`TrafficSummary` (see module docstring)."""
    where = _Where(sources)
    file = sources[0].path if len(sources) == 1 else None
    run(con, f"CREATE OR REPLACE TEMP TABLE rows AS {_union(sources)}", file=file)
    bad = con.execute("SELECT count(*) FROM rows WHERE bad IS NOT NULL").fetchone()
    n_bad = int(bad[0]) if bad else 0
    first = tuple(
        Malformed(str(sources[s].path), sources[s].unit, int(line), reason)
        for s, line, reason in con.execute(
            f"SELECT src, line, bad FROM rows WHERE bad IS NOT NULL ORDER BY src, line "
            f"LIMIT {MAX_LISTED}"
        ).fetchall()
    )
    if n_bad and strict:
        m = first[0]
        more = f" ({n_bad:,} malformed rows in all)" if n_bad > 1 else ""
        raise InputError(
            f"malformed row: {m.reason}{more}",
            file=m.file,
            line=m.line if m.unit in ("line", "row") else None,
            hint="fix the rows, or drop --strict to skip them",
        )
    con.execute("CREATE OR REPLACE TEMP VIEW ok AS SELECT * FROM rows WHERE bad IS NULL")
    total = con.execute("SELECT count(*) FROM ok").fetchone()
    if not total or not total[0]:
        raise InputError(
            "no usable traffic records"
            + (f" ({n_bad:,} malformed rows, first: {first[0].render()})" if first else ""),
            file=file,
        )
    _check(con, where)
    tasks = _tasks(con, sample_size, seed)
    no_counts = tuple(
        r[0]
        for r in con.execute(
            "SELECT DISTINCT task FROM ok WHERE n_missing AND NOT per_request ORDER BY task"
        ).fetchall()
    )
    return TrafficSummary(tasks, n_bad, first, no_counts)


def _tasks(con: duckdb.DuckDBPyConnection, sample_size: int, seed: int) -> tuple[TaskTraffic, ...]:
    q = "[" + ", ".join(str(x) for x in QUANTILES) + "]"

    def quant(col: str) -> str:
        return (
            f"CASE WHEN count(*) FILTER (per_request AND {col} IS NOT NULL) > 0 THEN "
            f"list_append(quantile_disc({col}, {q}) FILTER (per_request), "
            f"max({col}) FILTER (per_request)) END"
        )

    totals = con.execute(
        f"""
        SELECT task, sum(n)::BIGINT, min(t0), max(coalesce(t1, t0)),
          sum(prompt)::HUGEINT, sum(cached)::HUGEINT, sum(output)::HUGEINT,
          sum(reasoning)::HUGEINT, count(reasoning),
          sum(n) FILTER (NOT keyed)::BIGINT,
          {quant("prompt")}, {quant("cached")}, {quant("output")}, {quant("reasoning")},
          sum(prompt) FILTER (per_request)::HUGEINT, sum(cached) FILTER (per_request)::HUGEINT,
          sum(output) FILTER (per_request)::HUGEINT, sum(reasoning) FILTER (per_request)::HUGEINT,
          count(*) FILTER (per_request), count(reasoning) FILTER (per_request)
        FROM ok GROUP BY task ORDER BY task
        """
    ).fetchall()
    days: dict[str, list[tuple[str, int]]] = {}
    for task, day, n in con.execute(
        "SELECT task, strftime(date_trunc('day', t0), '%Y-%m-%d') AS d, sum(n)::BIGINT FROM ok "
        "GROUP BY task, d ORDER BY task, d"
    ).fetchall():
        days.setdefault(task, []).append((day, int(n)))
    models = _models(con)
    samples: dict[str, tuple[tuple[int, int, int, int | None], ...]] = {}
    for task, items in con.execute(
        f"SELECT task, min_by([prompt, cached, output, reasoning], hash(src, line, {seed}), "
        f"{sample_size}) FROM ok WHERE per_request GROUP BY task"
    ).fetchall():
        samples[task] = tuple(
            (int(p), int(c), int(o), None if r is None else int(r)) for p, c, o, r in items
        )
    out = []
    for r in totals:
        name, n, t0, t1 = r[0], int(r[1]), r[2], r[3]
        reasoning = int(r[7]) if r[8] else None
        pr_n, pr_r = int(r[18]), int(r[19])
        dists = {
            k: d
            for k, d in (
                ("prompt", _dist(r[10], int(r[14] or 0), pr_n)),
                ("cached", _dist(r[11], int(r[15] or 0), pr_n)),
                ("output", _dist(r[12], int(r[16] or 0), pr_n)),
                ("reasoning", _dist(r[13], int(r[17] or 0), pr_r)),
            )
            if d is not None
        }
        out.append(
            TaskTraffic(
                name=name,
                requests=n,
                start=t0,
                end=t1,
                days=tuple(days.get(name, ())),
                prompt_tokens=int(r[4]),
                cached_tokens=int(r[5]),
                output_tokens=int(r[6]),
                reasoning_tokens=reasoning,
                distributions=dists,
                models=models.get(name, ()),
                sample=samples.get(name, ()),
                unkeyed=int(r[9] or 0),
            )
        )
    return tuple(out)


def _frac(total: Any, count: int) -> Fraction:
    return Fraction(int(total or 0), count) if count else Fraction(0)


def _models(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[ModelTraffic, ...]]:
    out: dict[str, list[ModelTraffic]] = {}
    for r in con.execute(
        """
        SELECT task, model, sum(n)::BIGINT, sum(spend), count(spend),
          sum(prompt)::HUGEINT, sum(cached)::HUGEINT, sum(output)::HUGEINT,
          quantile_disc(output, 0.95) FILTER (per_request),
          sum(reasoning)::HUGEINT, sum(n) FILTER (reasoning IS NOT NULL)::BIGINT,
          quantile_cont(latency, 0.5) FILTER (per_request),
          quantile_cont(latency, 0.95) FILTER (per_request)
        FROM ok GROUP BY task, model ORDER BY task, sum(n) DESC, model
        """
    ).fetchall():
        n = int(r[2])
        out.setdefault(r[0], []).append(
            ModelTraffic(
                model=r[1],
                requests=n,
                spend_usd=Decimal(r[3]) if r[4] else None,
                prompt_mean=_frac(r[5], n),
                cached_mean=_frac(r[6], n),
                output_mean=_frac(r[7], n),
                output_p95=None if r[8] is None else int(r[8]),
                reasoning_mean=_frac(r[9], int(r[10])) if r[10] else None,
                latency_p50_ms=None if r[11] is None else float(r[11]),
                latency_p95_ms=None if r[12] is None else float(r[12]),
            )
        )
    return {k: tuple(v) for k, v in out.items()}
