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
(cached / prompt tokens; and, for per-request sources, the requests that read
cached input and their cached tokens), per model: requests, logged spend, token means,
output p95, reasoning mean where measured, latency p50/p95; and a bounded
seeded sample of (prompt, cached, output, reasoning) per request, chosen by the
smallest ``hash(file, line, seed)`` (deterministic whatever the thread count).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from costplan.errors import InputError
from costplan.ingest.sql import MAX_TOKENS, lit, run

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
    #: Requests that read cached input (cached > 0), when every row of the task is one
    #: request (None for bucketed sources: a bucket cannot say how many requests hit).
    cache_hits: int | None = None
    cached_in_hits: int = 0  # cached tokens of those requests

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
    ignored: tuple[tuple[str, int, Decimal | None], ...] = ()  # (model, requests, spend)


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


def _named(*cols: str) -> str:
    """SQL text ``prompt -4, cached 0, output 5`` of the given columns (NULLs left out)."""
    return "concat_ws(', ', " + ", ".join(f"'{c} ' || {c}" for c in cols) + ")"


_CHECKS = (
    (
        "negative token count",
        "least(prompt, cached, output, coalesce(reasoning, 0)) < 0",
        _named("prompt", "cached", "output", "reasoning"),
    ),
    (
        f"absurd token count (over {MAX_TOKENS:,} per request)",
        f"greatest(prompt, output, coalesce(reasoning, 0)) > {MAX_TOKENS} * greatest(n, 1)",
        _named("n", "prompt", "output", "reasoning"),
    ),
    ("cached tokens exceed prompt tokens", "cached > prompt", _named("prompt", "cached")),
    ("negative spend", "spend < 0", "rtrim(rtrim(spend::VARCHAR, '0'), '.')"),
    ("negative request count", "n < 0", "n"),
    (
        "clock skew: ends before it starts",
        "t1 < t0",
        "'start ' || t0::VARCHAR || ', end ' || t1::VARCHAR",
    ),
)


def _flags(ok: str) -> str:
    """Aggregates (over ``rows``) flagging each check and the two kinds of timestamp."""
    items = [f"bool_or({cond}) FILTER ({ok})" for _, cond, _ in _CHECKS]
    items += [f"bool_or(aware) FILTER ({ok})", f"bool_or(NOT aware) FILTER ({ok})"]
    return ", ".join(items)


def _check(con: duckdb.DuckDBPyConnection, where: _Where, row: Sequence[Any]) -> None:
    """Refuse negative or absurd counts, clock skew and mixed zones: ``row`` holds the
    :func:`_flags` of one cheap pass; a located second pass runs only for a failing check."""
    checks = _CHECKS
    for (message, cond, shown), hit in zip(checks, row, strict=False):
        if hit:
            first = con.execute(
                f"SELECT src, line, ({shown})::VARCHAR FROM ok WHERE {cond} "
                "ORDER BY src, line LIMIT 1"
            ).fetchone()
            assert first is not None
            raise where.error(first[0], first[1], message, first[2])
    if row[len(checks)] and row[len(checks) + 1]:
        zones = con.execute(
            "SELECT min_by([src, line], [src, line]) FILTER (aware), "
            "min_by([src, line], [src, line]) FILTER (NOT aware) FROM ok"
        ).fetchone()
        assert zones is not None
        (a_src, a_line), (n_src, n_line) = zones[0], zones[1]
        file_a, line_a = where(a_src, a_line)
        raise where.error(
            n_src,
            n_line,
            "mixed time zones: this timestamp has no zone, "
            f"{file_a}{':' + str(line_a) if line_a else ''} has one",
            "naive",
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
    ignore_models: Sequence[str] = (),
) -> TrafficSummary:
    """Aggregate every source's rows into a :class:`TrafficSummary` (see module docstring)."""
    where = _Where(sources)
    file = sources[0].path if len(sources) == 1 else None
    # Text and JSON sources are parsed once into a table; typed columnar ones (Parquet)
    # are re-read per pass instead, which is cheaper than holding every row in memory.
    kind = "VIEW" if any(s.unit == "row" for s in sources) else "TABLE"
    run(con, f"CREATE OR REPLACE TEMP {kind} rows AS {_union(sources)}", file=file)
    dropped = "[" + ", ".join(lit(m) for m in ignore_models) + "]::VARCHAR[]"
    ok = f"bad IS NULL AND NOT list_contains({dropped}, model)"
    con.execute(f"CREATE OR REPLACE TEMP VIEW ok AS SELECT * FROM rows WHERE {ok}")
    # One pass: malformed rows, usable rows, and the flags of every check.
    row = run(
        con,
        "SELECT count(*) FILTER (bad IS NOT NULL), min_by([src::VARCHAR, line::VARCHAR, bad], "
        f"[src, line], {MAX_LISTED}) FILTER (bad IS NOT NULL), count(*) FILTER ({ok}), "
        f"{_flags(ok)} FROM rows",
        file=file,
    ).fetchone()
    assert row is not None
    n_bad = int(row[0])
    first = tuple(
        Malformed(str(sources[int(s)].path), sources[int(s)].unit, int(line), reason)
        for s, line, reason in (row[1] or [])
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
    ignored: tuple[tuple[str, int, Decimal | None], ...] = ()
    if ignore_models:
        ignored = tuple(
            (m, int(n), None if c == 0 else Decimal(s))
            for m, n, s, c in con.execute(
                f"SELECT model, sum(n)::BIGINT, sum(spend), count(spend) FROM rows WHERE bad IS "
                f"NULL AND list_contains({dropped}, model) GROUP BY model ORDER BY model"
            ).fetchall()
        )
    if not row[2]:
        raise InputError(
            "no usable traffic records"
            + (f" ({n_bad:,} malformed rows, first: {first[0].render()})" if first else ""),
            file=file,
        )
    _check(con, where, row[3:])
    tasks, no_counts = _tasks(con, where, sample_size, seed)
    return TrafficSummary(tasks, n_bad, first, no_counts, ignored)


def _tasks(
    con: duckdb.DuckDBPyConnection, where: _Where, sample_size: int, seed: int
) -> tuple[tuple[TaskTraffic, ...], tuple[str, ...]]:
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
          count(*) FILTER (per_request), count(reasoning) FILTER (per_request),
          NULL, NULL, bool_or(n_missing AND NOT per_request),
          count(*) FILTER (per_request AND cached > 0),
          sum(cached) FILTER (per_request AND cached > 0)::HUGEINT, bool_and(per_request)
        FROM ok GROUP BY task ORDER BY task
        """
    ).fetchall()
    for r in totals:
        if r[1] == 0:  # located by a second query (rare): no per-row list in the main pass
            first = con.execute(
                "SELECT src, line FROM ok WHERE task = ? ORDER BY src, line LIMIT 1", [r[0]]
            ).fetchone()
            assert first is not None
            message = f"empty group: task {r[0]!r} has 0 requests"
            raise where.error(first[0], first[1], message, r[0])
    days: dict[str, list[tuple[str, int]]] = {}
    # UTC days as integers since the epoch (time-zone aware date_trunc is far slower).
    for task, day, n in con.execute(
        "SELECT task, epoch_us(t0) // 86400000000 AS d, sum(n)::BIGINT FROM ok "
        "GROUP BY task, d ORDER BY task, d"
    ).fetchall():
        iso = (date(1970, 1, 1) + timedelta(days=int(day))).isoformat()
        days.setdefault(task, []).append((iso, int(n)))
    models = _models(con)
    samples = _samples(con, {r[0]: int(r[18]) for r in totals}, sample_size, seed)
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
                cache_hits=int(r[23]) if r[25] else None,
                cached_in_hits=int(r[24] or 0),
            )
        )
    return tuple(out), tuple(r[0] for r in totals if r[22])


Sample = tuple[tuple[int, int, int, int | None], ...]


def _samples(
    con: duckdb.DuckDBPyConnection, per_request: dict[str, int], size: int, seed: int
) -> dict[str, Sample]:
    """Per task, the ``size`` requests with the smallest ``hash(src, line, seed)``.

    A cheap filter first keeps hashes below a per-task threshold expected to pass
    4 x ``size`` rows; when fewer than ``min(size, requests)`` pass (rare), the task is
    sampled again without the filter. Either way the result is the same set: the
    smallest hashes, whatever the thread count.
    """
    if size == 0:
        return {}
    limits = {
        t: (1 << 64) - 1 if n <= 4 * size else ((1 << 64) * 4 * size) // n
        for t, n in per_request.items()
        if n
    }
    if not limits:
        return {}

    def query(tasks: dict[str, int]) -> dict[str, Sample]:
        values = ", ".join(f"({lit(t)}, {h}::UBIGINT)" for t, h in tasks.items())
        rows = con.execute(
            f"SELECT task, min_by([prompt, cached, output, reasoning], h, {size}) FROM "
            f"(SELECT task, prompt, cached, output, reasoning, hash(src, line, {seed}) AS h "
            f"FROM ok WHERE per_request) JOIN (VALUES {values}) lim(task, top) USING (task) "
            "WHERE h <= top GROUP BY task"
        ).fetchall()
        return {
            t: tuple((int(p), int(c), int(o), None if x is None else int(x)) for p, c, o, x in xs)
            for t, xs in rows
        }

    out = query(limits)
    short = {t: (1 << 64) - 1 for t in limits if len(out.get(t, ())) < min(size, per_request[t])}
    if short:
        out.update(query(short))
    return out


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
