"""Actual usage: traffic files -> exact token sums per (task, model) over one period.

The files are read by the traffic readers of ``costplan workload build``
(:func:`costplan.ingest.traffic.read_traffic`, format detected from content, or
``--format``) and checked by :func:`costplan.ingest.summarize.summarize` (malformed
rows counted and listed, negative or absurd counts, clock skew, mixed time zones
refused), then aggregated **in DuckDB**: per (task, model) the request count and
the exact integer sums of prompt (including cached), cached, output and reasoning
tokens and the logged spend.

Nothing is dropped silently. A request belongs to the period it *starts* in;
requests outside ``--period`` are left out and counted in a warning (requests and
logged spend). Model names resolve to price-sheet names by the workload builder's
rules (:class:`costplan.ingest.names.Resolver`: ``--model LOG=SHEET``, then the
name, without a ``provider/`` prefix, without a snapshot date); a name that does
not resolve stays as logged with ``priced = False`` (the decomposition counts it as
unplanned at its logged spend and says so). Warnings name: a period that the usage
covers only in part (it starts or ends more than a day inside the period), a period
whose length differs from the plan's, buckets that straddle a period bound, and two
files whose time spans overlap while carrying traffic of the same (task, model)
(the same requests may be counted twice, e.g. a gateway log beside a provider's
usage report).

Request counts. Usage reports that count tokens but not requests (Anthropic's
messages usage report) take them from ``--requests TASK=N`` or ``TASK/MODEL=N``
(the task and model as reconciled: after ``--task-map`` and name resolution), as
``workload build`` takes ``--volume``: a (task, model) whose rows have no request
count gets ``N`` (plus the counted rows' requests, if others have counts); ``TASK=N``
serves when the task's uncounted usage is on one model. Without a count the run
stops (exit 2) naming the task and model; a ``--requests`` key that matches no
uncounted usage is refused too (a typo would otherwise be silently ignored).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from costplan.errors import InputError

if TYPE_CHECKING:
    import duckdb

    from costplan.ingest.traffic import Source

DAY = timedelta(days=1)
#: A usage row (a report's bucket) without a request count; a per-request row without
#: one is one request.
_UNCOUNTED = "(n_missing AND NOT per_request)"


@dataclass(frozen=True)
class Group:
    """Actual usage of one (task, model) in the period: exact sums."""

    task: str
    model: str  # price-sheet name; the logged name when it resolves to none
    requests: int
    prompt: int  # input tokens, cached ones included
    cached: int
    output: int  # reasoning excluded
    reasoning: int
    spend_usd: Decimal | None  # logged; None when no row logged spend
    priced: bool  # the model resolved to a price-sheet name
    logged_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive, UTC
    end: datetime  # exclusive, UTC
    given: bool  # from --period (else the usage's own span)

    @property
    def days(self) -> Decimal:
        return Decimal(int((self.end - self.start).total_seconds())) / 86400


@dataclass(frozen=True)
class Usage:
    groups: tuple[Group, ...]
    period: Period
    covered: tuple[datetime, datetime]
    files: tuple[Path, ...]
    formats: tuple[str, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class UsageRequest:
    files: tuple[Path, ...]
    fmt: str | None = None
    task_key: str | None = None
    mapping: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)
    task_map: Mapping[str, str] = field(default_factory=dict)
    period: str | None = None
    strict: bool = False
    requests: Mapping[str, int] = field(default_factory=dict)  # TASK or TASK/MODEL -> N


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _instant(text: str, what: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise InputError(f"--period: bad {what}", value=text, hint=_PERIOD_HINT) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_PERIOD_HINT = "give YYYY-MM (a calendar month, UTC) or START/END (ISO 8601, END exclusive)"


def parse_period(text: str) -> Period:
    """``2026-11`` (that calendar month, UTC) or ``START/END`` (ISO 8601; dates or
    times, a time without a zone is UTC; END exclusive)."""
    m = _MONTH.match(text.strip())
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        if not 1 <= month <= 12 or year < 1970:
            raise InputError("--period: no such month", value=text, hint=_PERIOD_HINT)
        start = datetime(year, month, 1, tzinfo=UTC)
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        return Period(start, end, True)
    first, sep, last = text.partition("/")
    if not sep:
        raise InputError("--period: not a month or an interval", value=text, hint=_PERIOD_HINT)
    start, end = _instant(first, "start"), _instant(last, "end")
    if end <= start:
        raise InputError("--period: the end is not after the start", value=text)
    return Period(start, end, True)


def _utc(us: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(us))


def iso_utc(t: datetime) -> str:
    """``t`` as ISO 8601 UTC to the second: ``YYYY-MM-DDTHH:MM:SSZ``."""
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _span_warnings(
    con: duckdb.DuckDBPyConnection, sources: Sequence[Source], inside: str
) -> list[str]:
    """Files whose spans overlap while sharing a (task, model): possible double counts."""
    rows = con.execute(
        f"SELECT src, epoch_us(min(t0)), epoch_us(max(coalesce(t1, t0))), "
        f"list(DISTINCT [task, model]) FROM ok WHERE {inside} GROUP BY src ORDER BY src"
    ).fetchall()
    out = []
    for i, (a, a0, a1, a_keys) in enumerate(rows):
        for b, b0, b1, b_keys in rows[i + 1 :]:
            lo, hi = max(a0, b0), min(a1, b1)
            common = sorted({tuple(k) for k in a_keys} & {tuple(k) for k in b_keys})
            if lo < hi and common:
                pairs = ", ".join(f"{t}/{m}" for t, m in common[:3])
                more = f" and {len(common) - 3} more" if len(common) > 3 else ""
                out.append(
                    f"warning: overlapping usage: {sources[a].path} and {sources[b].path} both "
                    f"cover {iso_utc(_utc(lo))} to {iso_utc(_utc(hi))} with traffic of "
                    f"{pairs}{more}: "
                    "the same requests may be counted twice"
                )
    return out


def _period_warnings(
    period: Period, covered: tuple[datetime, datetime], plan_minutes: int
) -> list[str]:
    out = []
    c0, c1 = covered
    span = f"usage covers {iso_utc(c0)} to {iso_utc(c1)}"
    if period.given:
        if c0 - period.start > DAY or period.end - c1 > DAY:
            covered_days = Decimal(int((c1 - c0).total_seconds())) / 86400
            out.append(
                f"warning: partial period: {span}, {covered_days:.1f} of the period's "
                f"{period.days:.1f} days ({iso_utc(period.start)} to {iso_utc(period.end)}); "
                "actual figures are not extrapolated"
            )
        length = period.end - period.start
    else:
        length = c1 - c0
    plan_len = timedelta(minutes=plan_minutes)
    if abs(length - plan_len) > DAY:
        days = Decimal(int(length.total_seconds())) / 86400
        word = "shorter" if length < plan_len else "longer"
        where = "the period" if period.given else span + ":"
        out.append(
            f"warning: {where} {days:.1f} days, {word} than the plan's period "
            f"({Decimal(plan_minutes) / 1440:.1f} days); plan figures are per plan period"
        )
    return out


def _bounds(con: duckdb.DuckDBPyConnection, req: UsageRequest) -> tuple[Period, str]:
    if req.period is not None:
        p = parse_period(req.period)
    else:
        row = con.execute("SELECT epoch_us(min(t0)), epoch_us(max(coalesce(t1, t0))) FROM ok")
        lo, hi = row.fetchone() or (None, None)
        assert lo is not None  # summarize refused an empty usage
        assert hi is not None
        # exclusive end: the next whole second after the last request ends
        p = Period(_utc(lo), _utc(hi - hi % 1_000_000 + 1_000_000), False)
    us0 = int((p.start - _utc(0)) / timedelta(microseconds=1))
    us1 = int((p.end - _utc(0)) / timedelta(microseconds=1))
    return p, f"(epoch_us(t0) >= {us0} AND epoch_us(t0) < {us1})"


def _outside(con: duckdb.DuckDBPyConnection, inside: str, period: Period) -> list[str]:
    out = []
    row = con.execute(
        f"SELECT count(*), coalesce(sum(n) FILTER (NOT {_UNCOUNTED}), 0)::BIGINT, sum(spend), "
        f"count(spend), count(*) FILTER ({_UNCOUNTED}) FROM ok WHERE NOT {inside}"
    ).fetchone()
    if row and row[0]:
        spend = f", ${Decimal(row[2]):.4f} logged" if row[3] else ""
        rows = f" and {int(row[4]):,} usage rows without request counts" if row[4] else ""
        out.append(
            f"warning: {int(row[1]):,} requests{rows}{spend} start outside the period "
            f"{iso_utc(period.start)} to {iso_utc(period.end)}: left out of actual"
        )
    end_us = int((period.end - _utc(0)) / timedelta(microseconds=1))
    row = con.execute(
        f"SELECT count(*), sum(n)::BIGINT FROM ok WHERE {inside} AND NOT per_request "
        f"AND epoch_us(t1) > {end_us}"
    ).fetchone()
    if row and row[0]:
        out.append(
            f"warning: {int(row[0]):,} usage buckets ({int(row[1]):,} requests) start in the "
            "period and end after it: counted whole in the period"
        )
    return out


def _groups(
    con: duckdb.DuckDBPyConnection, inside: str, req: UsageRequest, known: set[str]
) -> tuple[Group, ...]:
    from costplan.ingest.names import Resolver

    resolve = Resolver(known, req.aliases, ())
    merged: dict[tuple[str, str], list[Any]] = {}
    uncounted: set[tuple[str, str]] = set()
    for r in con.execute(
        f"""SELECT task, model, coalesce(sum(n) FILTER (NOT {_UNCOUNTED}), 0)::BIGINT,
              sum(prompt)::HUGEINT, sum(cached)::HUGEINT,
              sum(output)::HUGEINT, sum(coalesce(reasoning, 0))::HUGEINT, sum(spend),
              count(spend), bool_or({_UNCOUNTED})
            FROM ok WHERE {inside} GROUP BY task, model ORDER BY task, model"""
    ).fetchall():
        task = req.task_map.get(r[0], r[0])
        name = resolve(r[1])
        key = (task, name if name is not None else r[1])
        e = merged.setdefault(key, [0, 0, 0, 0, 0, None, name is not None, []])
        for i in range(5):
            e[i] += int(r[2 + i])
        if r[8]:
            e[5] = (e[5] or Decimal(0)) + Decimal(r[7])
        e[7].append(r[1])
        if r[9]:
            uncounted.add(key)
    for key, n in _given_requests(uncounted, req.requests).items():
        merged[key][0] += n
    return tuple(
        Group(t, m, e[0], e[1], e[2], e[3], e[4], e[5], e[6], tuple(sorted(e[7])))
        for (t, m), e in sorted(merged.items())
    )


def _given_requests(
    uncounted: set[tuple[str, str]], given: Mapping[str, int]
) -> dict[tuple[str, str], int]:
    """``--requests`` for each uncounted (task, model) (see the module docstring)."""
    out: dict[tuple[str, str], int] = {}
    used: set[str] = set()
    for task, model in sorted(uncounted):
        pair = f"{task}/{model}"
        key = pair if pair in given else task
        if key in given and (key == pair or sum(1 for t, _m in uncounted if t == task) == 1):
            out[(task, model)] = given[key]
            used.add(key)
        else:
            several = task in given
            raise InputError(
                f"task {task!r}, model {model!r}: the usage has no request counts "
                "(Anthropic's usage report has none); reconcile needs requests"
                + (" (the task's uncounted usage is on several models)" if several else ""),
                hint=f"give --requests {pair}=N" + ("" if several else f" or {task}=N")
                + ", or use logs with request counts (LiteLLM, OTel, a generic file)",
            )
    unused = sorted(set(given) - used)
    if unused:
        raise InputError(
            "--requests names no usage without request counts", value=unused[0],
            hint="keys are TASK or TASK/MODEL as reconciled"
            + (": " + ", ".join(f"{t}/{m}" for t, m in sorted(uncounted)) if uncounted else ""),
        )
    return out


def load_usage(req: UsageRequest, known: set[str], plan_minutes: int) -> Usage:
    """Read, check and aggregate the usage files (see the module docstring)."""
    from costplan.ingest.sql import connect
    from costplan.ingest.summarize import summarize
    from costplan.ingest.traffic import read_traffic
    from costplan.safeio import claim_input

    if not req.files:
        raise InputError("give at least one --usage file")
    for p in req.files:
        claim_input(p, what="usage file")
    con = connect()
    sources = [
        read_traffic(con, p, fmt=req.fmt, task_key=req.task_key, mapping=req.mapping)
        for p in req.files
    ]
    summary = summarize(con, sources, strict=req.strict, sample_size=0)
    warnings = []
    if summary.malformed:
        first = summary.malformed_first[0].render()
        warnings.append(
            f"warning: {summary.malformed:,} malformed rows skipped (first: {first}); "
            "--strict makes this an error"
        )
    period, inside = _bounds(con, req)
    row = con.execute(
        f"SELECT epoch_us(min(t0)), epoch_us(max(coalesce(t1, t0))), count(*) FROM ok "
        f"WHERE {inside}"
    ).fetchone()
    if row is None or not row[2]:
        raise InputError(
            f"no usage in the period {iso_utc(period.start)} to {iso_utc(period.end)}",
            hint="check --period",
        )
    covered = (_utc(row[0]), _utc(row[1]))
    warnings += _outside(con, inside, period)
    warnings += _span_warnings(con, sources, inside)
    warnings += _period_warnings(period, covered, plan_minutes)
    groups = _groups(con, inside, req, known)
    con.close()
    return Usage(
        groups,
        period,
        covered,
        tuple(req.files),
        tuple(s.format for s in sources),
        tuple(warnings),
    )
