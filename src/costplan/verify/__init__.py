"""The independent checker: a plan document against the raw files it came from.

Written from the README's specification and sharing **no code** with
costplan's pricing, options, tokens, solvers, workload or yamlsource modules
(only the standard library, PyYAML, numpy, tiktoken and :mod:`costplan.errors`
may be imported here; ``tests/trust/test_checker_imports.py`` enforces it).
It reads the workload, the price sheets and the query file itself, with every
number taken exactly from its source text, re-prices every row and recomputes
every claim of the document: counts, costs, quality, totals, budget, floors,
``split``, capacities, provider shares (a cap of 0 included), status, gap and
bound. What it checks is the document that is (or was) written, not the objects
that produced it.

* :func:`check_document` returns every violation of a plan document (the dict
  that is about to be written, or a plan file's raw data);
* :func:`require` raises :class:`~costplan.errors.InternalError` when there is
  any (a plan that fails is a bug in costplan and is never written);
* :func:`check_file` reads a plan file raw and checks it (``costplan verify``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from costplan.errors import InputError, InternalError

if TYPE_CHECKING:
    from costplan.verify.findings import Violation
    from costplan.verify.queryfile import QueryRows

_MAX_LISTED = 25


@dataclass(frozen=True)
class Sources:
    """The raw inputs a plan claims to come from.

    ``workload``: the workload file (None for ``assign`` plans); ``prices``: the
    price sheets (empty: the workload's ``prices:``); ``price_changes``: what-if
    changes applied in order; ``queries``: the query file of an ``assign`` plan;
    ``rows``: its per-query rows (read from an assignments file, or handed over
    in memory before they are written); ``settings``: an ``assign`` plan's settings,
    or ``latency_cap_ms`` (a p95 SLO on every task: a ``frontier --latency`` level),
    or ``allow`` (task -> the models it may use: ``optimize --noise``'s tied plan).
    """

    workload: Path | None = None
    prices: tuple[Path, ...] = ()
    price_changes: tuple[str, ...] = ()
    queries: Path | None = None
    rows: QueryRows | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)


def check_document(doc: Mapping[str, Any], sources: Sources) -> list[Violation]:
    """Every way ``doc`` breaks its contract with ``sources`` (empty: it holds).

    Unreadable inputs raise :class:`~costplan.errors.InputError`.
    """
    from costplan.verify.findings import Findings
    from costplan.verify.generic import check_structure

    data = dict(doc)
    found = Findings()
    if not check_structure(data, found):
        return found.items
    if sources.workload is None:
        from costplan.verify.perquery import check_per_query

        check_per_query(data, sources, found)
        return found.items
    from costplan.verify.classplan import ClassChecker
    from costplan.verify.costs import Pricer
    from costplan.verify.prices import in_region, load_sheets
    from costplan.verify.tasks import capped, read_workload, restricted

    key = _inputs_key(sources)
    loaded = None if _REUSE is None else _REUSE.get(key)
    if loaded is None:
        workload = read_workload(sources.workload)
        cap = sources.settings.get("latency_cap_ms")
        if cap is not None:  # a latency level of ``frontier --latency``: an SLO on every task
            workload = capped(workload, int(cap))
        allow = sources.settings.get("allow")
        if allow is not None:  # optimize --noise: the cheapest tied plan's models per task
            workload = restricted(workload, allow)
        paths = sources.prices or workload.price_paths
        if not paths:
            raise InputError("no price sheet given", file=sources.workload, key="prices")
        sheet = in_region(load_sheets(paths, sources.price_changes), workload.region)
        loaded = (workload, sheet, Pricer(workload, sheet))
        if _REUSE is not None:
            _REUSE[key] = loaded
    workload, sheet, pricer = loaded
    ClassChecker(data, workload, sheet, pricer, found).run()
    return found.items


#: Inputs read and priced within a :func:`reuse_inputs` scope, by what names them.
_REUSE: dict[str, tuple[Any, Any, Any]] | None = None


def _inputs_key(sources: Sources) -> str:
    return repr((sources.workload, sources.prices, sources.price_changes,
                 sorted((k, repr(v)) for k, v in sources.settings.items())))  # fmt: skip


@contextmanager
def reuse_inputs() -> Iterator[None]:
    """Within this scope, check plans against inputs read and priced once per set of files.

    For one command that checks many plans of the same files (``frontier``'s points,
    ``optimize --noise``): the files cannot change under it, and the checker's own
    parse and prices (the :class:`~costplan.verify.costs.Pricer` memo) are reused.
    Outside any scope every check reads the files afresh.
    """
    global _REUSE
    outer = _REUSE
    _REUSE = {} if outer is None else outer
    try:
        yield
    finally:
        _REUSE = outer


def check_file(plan: Path, sources: Sources) -> list[Violation]:
    """Read the plan file ``plan`` raw (YAML or JSON) and check it."""
    from costplan.verify.raw import read_file

    raw = read_file(plan, "plan file")
    if not isinstance(raw.data, dict):
        raise InputError("a plan file is a mapping", file=plan)
    return check_document(raw.data, sources)


def require(doc: Mapping[str, Any], sources: Sources) -> None:
    """Raise :class:`InternalError` listing the violations of ``doc``, if any."""
    refuse(doc, check_document(doc, sources))


def refuse(doc: Mapping[str, Any], items: Sequence[Violation]) -> None:
    """Raise :class:`InternalError` listing ``items`` (the violations of ``doc``), if any."""
    if not items:
        return
    shown = [str(v) for v in items[:_MAX_LISTED]]
    more = len(items) - len(shown)
    text = "; ".join(shown) + (f"; and {more} more" if more else "")
    raise InternalError(
        f"plan for {doc.get('workload')!r} failed independent verification "
        f"({len(items)} violation{'s' if len(items) != 1 else ''}): {text}",
        hint="this is a bug in costplan, please report it; no plan file was written",
    )


__all__: Sequence[str] = (
    "Sources", "check_document", "check_file", "refuse", "require", "reuse_inputs",
)  # fmt: skip
