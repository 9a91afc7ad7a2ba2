"""The option table: every (task x model x serving mode) with cost and quality.

For each task ``t`` and each model ``m`` scored for ``t`` in the quality table
(and in its ``allow`` list, when given), and each serving mode the task's latency
permits (``realtime``: standard; ``batch``: standard, batch, flex) that the
model's price sheet offers, the table holds

* ``cost_pusd``: exact expected cost of one query in pico-dollars: the mean over
  the task's prompt samples (or the fixed prompt) of the request cost from
  :func:`costplan.pricing.cost.request_cost_pusd`, rounded **up** to a whole
  pico-dollar (conservative), or the measured cost from an eval run;
* ``cost_p95_pusd``: the cost of a query at p95 prompt and output lengths;
* ``cost_sd_pusd``: the spread of one query's cost over the prompt samples,
  ``ceil(sqrt(plug-in variance))`` (:mod:`costplan.risk.moments`); a measured cost scales
  it by the measured/token cost ratio (rounded up); a cascade's is the bound
  ``ceil(sum reach_i x sd_i)`` (Minkowski: exact when its steps' costs move together);
  ``samples``: how many prompt samples the mean is over (1 for a fixed token count);
* ``cache``: for a task with a cache policy, how its shared prefix is billed: ``none``,
  ``5m`` or ``1h`` (each a separate option, so the solver picks the TTL; see
  :mod:`costplan.pricing.caching` for the arithmetic); ``""`` without a policy (the
  prefix is read from the cache on every query);
* ``quality``: the task's expected quality on the model;
* ``latency``: p50/p95 of one request (:mod:`costplan.latency`), or None;
* ``excluded``: why the option cannot be used (context window, max output, a
  p95 latency above the task's SLO...), or None. Excluded options stay in the
  table so that ``estimate`` can say why.

The parts live in their own modules: the types in :mod:`costplan.option_table`, the
per-model pricing in :mod:`costplan.option_pricing`, cascades in
:mod:`costplan.cascade_option`; this module checks references, builds the table and
re-exports the public names.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from costplan.cascade_option import _cascade_option
from costplan.errors import InputError
from costplan.money import QUALITY_SCALE
from costplan.option_pricing import _Builder as _Builder
from costplan.option_pricing import tokenizer_for
from costplan.option_table import Component, Option, OptionTable, option_label
from costplan.pricing.model import PriceSheet
from costplan.pricing.regions import in_region
from costplan.risk.quality import standard_error
from costplan.validation import did_you_mean
from costplan.workload.model import Workload

__all__ = [
    "QUALITY_SCALE", "Component", "Option", "OptionTable", "build_options", "option_label",
    "tokenizer_for",
]  # fmt: skip


def _check_references(workload: Workload, sheet: PriceSheet) -> None:
    doc = workload.doc
    known = list(sheet.models)

    def err(message: str, key: tuple[str | int, ...], value: str) -> InputError:
        hint = did_you_mean(value, known)
        where = ", ".join(str(p) for p in sheet.paths) or "the price sheet"
        msg = f"{message} (not in {where})"
        if doc is not None:
            return doc.error(msg, key, value, hint=hint)
        return InputError(msg, key=key, value=value, hint=hint)

    for task_name, per_model in workload.quality.items():
        for model in per_model:
            if model not in sheet.models:
                raise err(
                    "unknown model in the quality table", ("quality", task_name, model), model
                )
    for t in workload.tasks:
        for j, model in enumerate(t.allow or ()):
            if model not in sheet.models:
                raise err("unknown model in 'allow'", ("tasks", t.index, "allow", j), model)


def build_options(
    workload: Workload,
    sheet: PriceSheet,
    *,
    quality_override: Mapping[str, Mapping[str, Decimal]] | None = None,
) -> OptionTable:
    """Build the option table; raises InputError for unknown model references."""
    _check_references(workload, sheet)
    sheet = in_region(sheet, workload.region)
    builder = _Builder(workload, sheet)
    quality = quality_override or workload.quality
    options: list[Option] = []
    for task in workload.tasks:
        scores = quality.get(task.name, {})
        stats = {} if quality_override else workload.quality_stats.get(task.name, {})
        for model_name in scores:
            if task.allow is None or model_name in task.allow:
                stat = stats.get(model_name)
                se = None if stat is None else standard_error(
                    scores[model_name], stat.n, stat.stderr
                )  # fmt: skip
                options.extend(builder.model_options(task, model_name, scores[model_name], se))
    for task in workload.tasks:
        for j, cascade in enumerate(task.cascades):
            options.append(_cascade_option(builder, task, j, cascade, options))
    return OptionTable(workload=workload, sheet=sheet, options=tuple(options))
