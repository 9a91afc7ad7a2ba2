"""``costplan assign --engine dask``: Parquet shards read and priced on a ``dask.distributed``
cluster, solved exactly as the single-process path does.

Scope: the budget row only (``max_quality`` within a budget, ``min_cost`` above a mean
quality floor); no side constraints (the CLI refuses ``--capacity``, ``--max-provider-share``
and ``--task-min-quality`` with this engine). The cluster is ``--scheduler ADDRESS`` (an
existing one, whose workers must have costplan installed) or a ``LocalCluster`` of 2 worker
processes, 1 thread each, no dashboard, closed when the run ends.

Design:

1. *Read and priced on the workers*: each worker reads its shards with the same reader as the
   single-process path (:func:`costplan.queries.load_queries` on one shard), reports its
   models, and, once the driver has merged the models in order of first appearance (shard
   order: what the single-process reader of the whole set does), builds the shard's
   cost/value/feasible/token arrays with :func:`costplan.assign.build_arrays` on the shard
   re-aligned to those models. Only ids, digests and the option list come back.
2. *Solved distributed* (:mod:`costplan.dask_solve`, worker side :mod:`costplan.dask_shard`):
   every phase of :func:`costplan.solvers.mckp.solve_mckp` (hull, LP greedy and the budget's
   dual price, the incumbent's fill, reduced-profit fixing) runs shard by shard on the
   workers; the driver searches the critical step over the shards' sorted hull steps, runs
   the fill over the few groups it may move and the exact core
   (:func:`costplan.solvers.mckp.exact_core`) over the core groups' rows. Same plan, bound,
   status, certificate and statistics as the single-process solver, by construction and by
   test (``tests/assign/test_dask_solve.py``).
3. *On the driver*: each query's chosen option, cost and quality (O(queries), not
   O(queries x options)), the summary plan, the independent checker
   (:func:`costplan.preflight.verify_assignment`, which reads the raw shards itself) and the
   writers, all the single-process path's own functions: the assignments and plan files are
   byte-identical to the single-process run on the same shards. The checker and the
   per-query rows are what the driver's memory grows with.

Errors: a shard's input error is raised on its worker and re-raised here with its message
(file, row, column); ids repeated across shards are refused here with both shards named.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from costplan.errors import InputError

if TYPE_CHECKING:
    from costplan.assign import Arrays, Assignment, AssignOption, Objective
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
    quality = np.full((qs.size, len(models)), -1, dtype=np.int32)
    quality[:, [col[m] for m in qs.models]] = qs.quality_micro
    return dataclasses.replace(qs, models=models, quality_micro=quality)


def _arrays(qs: QuerySet, models: tuple[str, ...], sheet: PriceSheet,
            modes: tuple[str, ...]) -> tuple[QuerySet, Arrays]:  # fmt: skip
    from costplan.assign import build_arrays

    aligned = _aligned(qs, models)
    return aligned, build_arrays(aligned, sheet, modes=modes)


def _check_unique(shards: Sequence[Path], ids: Sequence[tuple[str, ...]]) -> None:
    """Refuse an id repeated across shards (each shard's own repeats its reader refused)."""
    seen: dict[str, int] = {}
    for i, part in enumerate(ids):
        for qid in part:
            j = seen.setdefault(qid, i)
            if j != i:
                raise InputError(f"duplicate id (also in shard {shards[j].name})",
                                 file=shards[i], key="id", value=qid)  # fmt: skip


@dataclass(frozen=True)
class Loaded:
    """The shard set read and priced on the workers: the futures of each shard's ``(query
    set, arrays)`` (held by the workers), their sizes, the merged models, the options and the
    set's digest (:func:`costplan.querydata.shards.manifest_digest`)."""

    built: list[Any]
    sizes: list[int]
    models: tuple[str, ...]
    options: tuple[AssignOption, ...]
    sha256: str


def _meta(built: tuple[QuerySet, Arrays]) -> tuple[tuple[str, ...], str, tuple[Any, ...]]:
    qs, arrays = built
    return qs.ids, qs.sha256, arrays[0]


def load_distributed(client: Any, path: Path, sheet: PriceSheet, modes: tuple[str, ...],
                     default_output: int | None) -> Loaded:  # fmt: skip
    """Read, check, tokenise and price every shard on the workers (module docstring, 1)."""
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
    built = [client.submit(_arrays, f, tuple(merged), sheet_f, modes, pure=False)
             for f in loaded]  # fmt: skip
    del loaded
    meta = client.gather([client.submit(_meta, f, pure=False) for f in built])
    _check_unique(shards, [m[0] for m in meta])
    if any(m[2] != meta[0][2] for m in meta):
        raise AssertionError("shards priced with different options")  # pragma: no cover
    digest = manifest_digest(shards, [m[1] for m in meta])
    return Loaded(built, [len(m[0]) for m in meta], tuple(merged), meta[0][2], digest)


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
    from fractions import Fraction

    from costplan.assign import finish_assignment
    from costplan.dask_solve import Infeasible, solve_distributed
    from costplan.errors import InfeasibleError
    from costplan.hindsight import correctness_notes
    from costplan.money import fmt_over_budget
    from costplan.queries import QUALITY_SCALE, QuerySet
    from costplan.querydata.shards import is_shard_set

    if not is_shard_set(path):
        raise InputError("--engine dask reads a directory or glob of Parquet shards",
                         file=path)  # fmt: skip
    if objective == "max_quality" and budget_pusd is None:
        raise InputError("a budget is required for objective max_quality", hint="pass --budget")
    with client_for(scheduler) as client:
        data = load_distributed(client, path, sheet, modes, default_output)
        g = sum(data.sizes)
        min_value = None
        if min_mean_quality is not None:  # as assign(): the whole floor rounded up once
            min_value = -(-Fraction(min_mean_quality) * QUALITY_SCALE * g // 1)
        built, data = data.built, dataclasses.replace(data, built=[])
        try:
            got = solve_distributed(client, built, data.sizes,
                                    maximize=objective == "max_quality", budget=budget_pusd,
                                    min_value=min_value, time_limit_s=time_limit_s)  # fmt: skip
        except Infeasible as exc:
            over = budget_pusd is not None and exc.cheapest > budget_pusd
            if objective == "max_quality" and budget_pusd is not None and over:
                cost_text, budget_text, shortfall = fmt_over_budget(exc.cheapest, budget_pusd)
                raise InfeasibleError(
                    f"no assignment fits the budget: the cheapest model for every query costs "
                    f"{cost_text}; budget is {budget_text}",
                    hint=f"raise the budget by {shortfall}",
                ) from None
            raise InfeasibleError("no assignment meets the constraints (the quality floor)"
                                  ) from None  # fmt: skip
    none = np.zeros(0, np.int64)
    qs = QuerySet(path=path, ids=got.ids, tasks=got.tasks, models=data.models,
                  quality_micro=np.zeros((g, 0), np.int32), texts=None, prompt_tokens=None,
                  cached_tokens=none, output_tokens=none, sha256=data.sha256,
                  default_output_tokens=default_output)  # fmt: skip
    return finish_assignment(qs, sheet, data.options, got.solution, got.cost, got.quality,
                             objective=objective, budget_pusd=budget_pusd,
                             min_mean_quality=min_mean_quality, modes=modes, side=None,
                             notes=correctness_notes(got.correctness))  # fmt: skip
