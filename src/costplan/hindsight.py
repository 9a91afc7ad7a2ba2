"""Per-item eval scores used as ``assign`` quality: the hindsight warning and the gap.

An eval's per-item score says which model *was* right on each item. Fed to
``assign`` as quality, it yields a **hindsight oracle**: the assignment picks, per
item, a model known to have answered correctly, which no router can do before it
sees the answer. Its quality is an upper bound, not a plan. :data:`WARNING` is said
wherever that happens: by ``workload build --queries-out`` (a line on standard
error) and by ``assign`` on a query file whose every quality is 0 or 1 (a note on
the plan, shown in the terminal and in every report).

``assign --predictions FILE`` takes predicted per-item quality (a query file with
the same ids and token columns) and solves again on it; :func:`compare` prices
the gap between the two assignments, the prediction-based one scored with the
query file's (measured) quality.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from costplan.errors import InputError
from costplan.money import QUALITY_SCALE, fmt_usd, pusd_to_usd
from costplan.queries import QuerySet

WARNING = (
    "per-item eval scores used as assign quality make a hindsight oracle (it knows which "
    "model was right on each item), not a deployable router: its quality is an upper "
    "bound; compare with predicted quality (assign --predictions FILE)"
)


def looks_like_correctness(qs: QuerySet) -> bool:
    """Every given quality is exactly 0 or 1 (micro-units 0 or 10**6): eval correctness."""
    given = qs.quality_micro[qs.quality_micro >= 0]
    return bool(given.size) and bool(np.isin(given, (0, QUALITY_SCALE)).all())


def notes_for(qs: QuerySet) -> tuple[str, ...]:
    """The plan notes of an assignment on ``qs``: the warning when it looks like correctness."""
    return correctness_notes(looks_like_correctness(qs))


def correctness_notes(correctness: bool) -> tuple[str, ...]:
    """The plan notes when every given quality is 0 or 1 (``correctness``), else none."""
    return (f"quality is 0/1 per query (eval correctness?): {WARNING}",) if correctness else ()


@dataclass(frozen=True)
class Gap:
    """Hindsight against prediction-based assignment, both scored with measured quality.

    ``*_quality_micro``: total measured quality (micro-units) of each assignment over
    every query; ``predicted_quality_micro``: what the predictions promised for theirs.
    """

    queries: int
    hindsight_quality_micro: int
    realized_quality_micro: int
    predicted_quality_micro: int
    hindsight_cost_pusd: int
    predicted_cost_pusd: int

    def _mean(self, micro: int) -> Decimal:
        return (Decimal(micro) / QUALITY_SCALE / self.queries).quantize(Decimal("0.000001"))

    def lines(self, source: str) -> tuple[str, ...]:
        """Human-readable lines (the plan note and the terminal say the same)."""
        hq, rq = self._mean(self.hindsight_quality_micro), self._mean(self.realized_quality_micro)
        pq = self._mean(self.predicted_quality_micro)
        gap = self._mean(self.hindsight_quality_micro - self.realized_quality_micro)
        hc = fmt_usd(pusd_to_usd(self.hindsight_cost_pusd), places=6)
        pc = fmt_usd(pusd_to_usd(self.predicted_cost_pusd), places=6)
        return (
            f"hindsight (query file quality): mean quality {hq}, cost {hc}",
            f"prediction-based ({source}): mean quality {rq} measured ({pq} predicted), cost {pc}",
            f"hindsight gap: {gap} mean quality that no router deploying these predictions gets",
        )


def _aligned(truth: QuerySet, pred: QuerySet) -> npt.NDArray[np.int64]:
    """For each prediction row, the query file's row with the same id (same tokens)."""
    where = {q: g for g, q in enumerate(truth.ids)}
    missing = [q for q in pred.ids if q not in where]
    if missing or len(pred.ids) != len(truth.ids):
        extra = missing[0] if missing else next(q for q in truth.ids if q not in set(pred.ids))
        raise InputError(
            "the predictions file must list the query file's ids, each once",
            file=pred.path,
            value=extra,
        )
    idx = np.asarray([where[q] for q in pred.ids], dtype=np.int64)
    same = np.array_equal(truth.cached_tokens[idx], pred.cached_tokens) and np.array_equal(
        truth.output_tokens[idx], pred.output_tokens
    )
    if truth.prompt_tokens is not None and pred.prompt_tokens is not None:
        same = same and np.array_equal(truth.prompt_tokens[idx], pred.prompt_tokens)
    elif truth.texts is not None and pred.texts is not None:
        pairs = zip(idx.tolist(), pred.texts, strict=True)
        same = same and all(truth.texts[i] == t for i, t in pairs)
    else:
        same = False
    if not same:
        raise InputError(
            "the predictions file's queries differ from the query file's (tokens or text): "
            "give the same queries with predicted quality",
            file=pred.path,
        )
    return idx


def compare(
    truth: QuerySet,
    pred: QuerySet,
    hindsight_quality_micro: int,
    hindsight_cost_pusd: int,
    pred_models: list[str],
    pred_choice: npt.NDArray[np.int64],
    pred_quality_micro: npt.NDArray[np.int64],
    pred_cost_pusd: int,
) -> Gap:
    """Score the prediction-based assignment (``pred_models[k]`` chosen per prediction row)
    with the query file's quality; a chosen model the query file has no quality for, for
    that query, is refused (its measured quality is unknown)."""
    idx = _aligned(truth, pred)
    col = {m: k for k, m in enumerate(truth.models)}
    chosen = [pred_models[k] for k in pred_choice.tolist()]
    unknown = [m for m in set(chosen) if m not in col]
    if unknown:
        raise InputError(
            "the predictions choose a model the query file has no quality for",
            file=pred.path,
            value=sorted(unknown)[0],
        )
    cols = np.asarray([col[m] for m in chosen], dtype=np.int64)
    measured = truth.quality_micro[idx, cols]
    if (measured < 0).any():
        g = int(np.flatnonzero(measured < 0)[0])
        raise InputError(
            f"query {pred.ids[g]!r}: the predictions choose {chosen[g]}, which the query file "
            "has no quality for",
            file=pred.path,
        )
    return Gap(
        queries=truth.size,
        hindsight_quality_micro=hindsight_quality_micro,
        realized_quality_micro=int(measured.sum()),
        predicted_quality_micro=int(pred_quality_micro.sum()),
        hindsight_cost_pusd=hindsight_cost_pusd,
        predicted_cost_pusd=pred_cost_pusd,
    )
