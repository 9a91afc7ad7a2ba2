"""``costplan assign --engine dask``: Parquet shards read and priced on a ``dask.distributed``
cluster, solved exactly as the single-process path does.

Scope: the budget row only (``max_quality`` within a budget, ``min_cost`` above a mean
quality floor); no side constraints (the CLI refuses ``--capacity``, ``--max-provider-share``
and ``--task-min-quality`` with this engine). The cluster is ``--scheduler ADDRESS`` (an
existing one, whose workers must have costplan installed) or a ``LocalCluster`` of 2 worker
processes, 1 thread each, no dashboard, closed when the run ends.

Design, and what is distributed today:

1. *Distributed*: each worker reads its shards with the same reader as the single-process
   path (:func:`costplan.queries.load_queries` on one shard), reports its models, and, once
   the driver has merged the models in order of first appearance (shard order: what the
   single-process reader of the whole set does), builds the shard's cost/value/feasible/token
   arrays with :func:`costplan.assign.build_arrays` on the shard re-aligned to those models.
   Reading, checking, tokenising and pricing (most of an end-to-end run) happen on the workers.
2. *Gathered to the driver*: the shards' arrays and queries are gathered, concatenated in
   shard order then row order, and solved by :func:`costplan.assign.assign` with the arrays
   handed over: the same solver (:mod:`costplan.solvers.mckp`: hull, LP greedy, fixing, the
   exact core), the same tie-breaking, the same plan, the same independent check
   (:func:`costplan.preflight.verify_assignment`) and the same writers. This is what makes the
   assignments and plan files byte-identical to the single-process run on the same shards;
   it also means the driver must hold the whole problem (``queries x options`` x 17 bytes).
   NOT done yet: the budget dual searched over shard-level hull increments on the workers
   (exact rational bisection of lambda, each worker answering its shards' aggregate (cost,
   value) of the LP-greedy choice) with only the near-critical queries gathered for the exact
   core; that is what data larger than the driver's memory needs (issue 15, item 5). Its
   first piece, the exact distributed search of the budget's dual price, is
   :mod:`costplan.dask_dual` (tested to find the price the driver's solver certifies; not
   yet used by this engine's run).

Errors: a shard's input error is raised on its worker and re-raised here with its message
(file, row, column); ids repeated across shards are refused here with both shards named.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from costplan.errors import InputError

if TYPE_CHECKING:
    from costplan.assign import Arrays, Assignment, Objective
    from costplan.pricing.model import PriceSheet
    from costplan.queries import QuerySet

INSTALL = "pip install 'dask[distributed]'"
#: The ``assign`` options this engine supports (the one-line refusal lists them).
SUPPORTED = ("--objective max_quality --budget", "--objective min_cost --min-quality",
             "--batch", "--output-tokens", "--time-limit", "--scheduler")  # fmt: skip


def _import_distributed() -> Any:
    try:
        import dask.distributed as dd
    except ImportError:
        raise InputError("--engine dask needs the optional package dask[distributed]",
                         hint=f"install it with: {INSTALL}") from None  # fmt: skip
    return dd


@contextlib.contextmanager
def client_for(scheduler: str | None) -> Iterator[Any]:
    """A client of ``scheduler``, or of a light ``LocalCluster`` closed on exit."""
    dd = _import_distributed()
    if scheduler is not None:
        try:
            client = dd.Client(scheduler, timeout="30s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"cannot reach the Dask scheduler ({exc})", key="--scheduler",
                             value=scheduler) from None  # fmt: skip
        with client:
            yield client
        return
    cluster = dd.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                              dashboard_address=None)  # fmt: skip
    with cluster, dd.Client(cluster) as client:
        yield client


def _load(shard: Path, default_output: int | None) -> QuerySet:
    from costplan.queries import load_queries

    return load_queries(shard, default_output_tokens=default_output)


def _models(qs: QuerySet) -> tuple[tuple[str, ...], bool, int]:
    return qs.models, qs.texts is not None, qs.size


def _aligned(qs: QuerySet, models: tuple[str, ...]) -> QuerySet:
    """``qs`` with its quality columns in the order ``models`` (-1 where a model is absent)."""
    import dataclasses

    col = {m: k for k, m in enumerate(models)}
    quality = np.full((qs.size, len(models)), -1, dtype=np.int64)
    quality[:, [col[m] for m in qs.models]] = qs.quality_micro
    return dataclasses.replace(qs, models=models, quality_micro=quality)


def _arrays(qs: QuerySet, models: tuple[str, ...], sheet: PriceSheet,
            modes: tuple[str, ...]) -> tuple[QuerySet, Arrays]:  # fmt: skip
    from costplan.assign import build_arrays

    aligned = _aligned(qs, models)
    return aligned, build_arrays(aligned, sheet, modes=modes)


def _check_unique(shards: Sequence[Path], parts: Sequence[QuerySet]) -> None:
    """Refuse an id repeated across shards (each shard's own repeats its reader refused)."""
    seen: dict[str, int] = {}
    for i, qs in enumerate(parts):
        for qid in qs.ids:
            j = seen.setdefault(qid, i)
            if j != i:
                raise InputError(f"duplicate id (also in shard {shards[j].name})",
                                 file=shards[i], key="id", value=qid)  # fmt: skip


def _concat(path: Path, sha256: str, parts: Sequence[QuerySet], default_output: int | None,
            ) -> QuerySet:  # fmt: skip
    from costplan.queries import QuerySet

    texts = parts[0].texts is not None
    return QuerySet(
        path=path,
        ids=tuple(i for p in parts for i in p.ids),
        tasks=tuple(t for p in parts for t in p.tasks),
        models=parts[0].models,
        quality_micro=np.concatenate([p.quality_micro for p in parts]),
        texts=tuple(t for p in parts for t in (p.texts or ())) if texts else None,
        prompt_tokens=None if texts else np.concatenate(
            [p.prompt_tokens for p in parts if p.prompt_tokens is not None]),
        cached_tokens=np.concatenate([p.cached_tokens for p in parts]),
        output_tokens=np.concatenate([p.output_tokens for p in parts]),
        sha256=sha256,
        default_output_tokens=default_output,
    )  # fmt: skip


def load_distributed(
    client: Any, path: Path, sheet: PriceSheet, modes: tuple[str, ...],
    default_output: int | None,
) -> tuple[QuerySet, Arrays, list[Any]]:  # fmt: skip
    """The whole shard set as one query set and its arrays, read and priced on the workers;
    also the futures of each shard's ``(query set, arrays)``, still held by the workers."""
    from costplan.querydata.shards import manifest_digest, shard_paths

    shards = shard_paths(path)
    loaded = [client.submit(_load, s, default_output, pure=False) for s in shards]
    infos = client.gather([client.submit(_models, f, pure=False) for f in loaded])
    merged: dict[str, None] = {}
    for (models, texts, _), shard in zip(infos, shards, strict=True):
        if texts != infos[0][1]:
            raise InputError("every shard needs 'text', or every shard 'prompt_tokens' "
                             "(not a mix)", file=shard)  # fmt: skip
        for m in models:
            merged.setdefault(m, None)
    sheet_f = client.scatter(sheet, broadcast=True)
    built_f = [client.submit(_arrays, f, tuple(merged), sheet_f, modes, pure=False)
               for f in loaded]  # fmt: skip
    built = client.gather(built_f)
    parts = [qs for qs, _ in built]
    _check_unique(shards, parts)
    qs = _concat(path, manifest_digest(shards, [p.sha256 for p in parts]), parts, default_output)
    arrs = [a for _, a in built]
    if any(a[0] != arrs[0][0] for a in arrs):
        raise AssertionError("shards priced with different options")  # pragma: no cover
    arrays: Arrays = (arrs[0][0], *(np.concatenate([a[i] for a in arrs]) for i in range(1, 5)))
    return qs, arrays, built_f


def assign_dask(
    path: Path,
    sheet: PriceSheet,
    *,
    scheduler: str | None,
    objective: Objective,
    budget_pusd: int | None,
    min_mean_quality: Decimal | None,
    modes: tuple[str, ...],
    default_output: int | None,
    time_limit_s: float | None,
) -> Assignment:
    """Assign every query of the shard set ``path`` (see the module docstring)."""
    from costplan.assign import assign
    from costplan.querydata.shards import is_shard_set

    if not is_shard_set(path):
        raise InputError("--engine dask reads a directory or glob of Parquet shards",
                         file=path)  # fmt: skip
    if objective == "max_quality" and budget_pusd is None:
        raise InputError("a budget is required for objective max_quality", hint="pass --budget")
    with client_for(scheduler) as client:
        qs, arrays, _ = load_distributed(client, path, sheet, modes, default_output)
    return assign(qs, sheet, objective=objective, budget_pusd=budget_pusd,
                  min_mean_quality=min_mean_quality, modes=modes, time_limit_s=time_limit_s,
                  arrays=arrays)  # fmt: skip
