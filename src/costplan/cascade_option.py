"""A cascade priced as one option of its task.

Contract: :func:`_cascade_option` prices a task's cascade (a model that escalates a
fraction of its queries to the next) from the same per-model options a plain model gets:
expected cost ``ceil(sum reach_i x cost_i)``, p95 and spread bounds the same way; a
cascade is excluded (with the reason) if a step cannot be used, and its latency is checked
against the task's SLO. Unknown cascade models raise :class:`InputError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from costplan.errors import InputError
from costplan.latency import cascade_latency, slo_exclusion
from costplan.option_pricing import _Builder
from costplan.option_table import Component, Option
from costplan.validation import did_you_mean
from costplan.workload.model import Cascade, Task


def _cascade_option(
    builder: _Builder,
    task: Task,
    j: int,
    cascade: Cascade,
    singles: Sequence[Option],
) -> Option:
    """A cascade as one option: expected cost = sum over steps of reach x step cost.

    Step costs are the task's plain options for those models in the cascade's mode,
    so a cascade is priced by exactly the same arithmetic as a single model.
    """
    workload, sheet = builder.workload, builder.sheet
    key: tuple[str | int, ...] = ("tasks", task.index, "cascades", j, "steps")
    for k, model in enumerate(cascade.steps):
        if model not in sheet.models:
            where = ", ".join(str(p) for p in sheet.paths) or "the price sheet"
            message = f"unknown model in a cascade (not in {where})"
            hint = did_you_mean(model, sheet.models)
            if workload.doc is not None:
                raise workload.doc.error(message, (*key, k), model, hint=hint)
            raise InputError(message, key=(*key, k), value=model, hint=hint)

    def step_of(candidates: Sequence[Option], model: str) -> Option | None:
        # A step is the model's option in the cascade's mode; with a cache policy, its
        # cheapest usable cache choice (ties in choice order).
        mine = [o for o in candidates if o.model == model and o.mode == cascade.mode]
        return min(mine, key=lambda o: (o.excluded is not None, o.cost_pusd), default=None)

    singles_here = [o for o in singles if o.task == task.name and o.kind == "model"]
    reach = cascade.reach()
    steps: list[Option] = []
    excluded: str | None = None
    for model in cascade.steps:
        step = step_of(singles_here, model) or step_of(
            builder.model_options(task, model, Decimal(0)), model
        )
        if step is None:
            excluded = f"{model} has no {cascade.mode} price or is not allowed for {task.latency}"
            break
        if step.excluded and excluded is None:
            excluded = f"step {model}: {step.excluded}"
        steps.append(step)
    components = tuple(
        Component(o.model, o.provider, r, o.cost_pusd, o.components[0].tokens_per_query)
        for o, r in zip(steps, reach, strict=False)
    )
    cost = _ceil_decimal(sum((c.reach * c.cost_pusd for c in components), Decimal(0)))
    cost_p95 = _ceil_decimal(
        sum((r * o.cost_p95_pusd for o, r in zip(steps, reach, strict=False)), Decimal(0))
    )
    cost_sd = _ceil_decimal(
        sum((r * o.cost_sd_pusd for o, r in zip(steps, reach, strict=False)), Decimal(0))
    )
    first = steps[0] if steps else None
    latency = cascade_latency([o.latency for o in steps]) if excluded is None else None
    if excluded is None:
        excluded = slo_exclusion(task.max_latency_p95_ms, latency, f"cascade {cascade.name}")
    rates = ", ".join(f"{(r * 100).normalize():f}%" for r in cascade.escalate)
    return Option(
        task=task.name,
        model=cascade.name,
        provider="+".join(dict.fromkeys(c.provider for c in components)) or "?",
        mode=cascade.mode,
        quality=cascade.quality,
        prompt_tokens_mean=first.prompt_tokens_mean if first else 0.0,
        prompt_tokens_p95=first.prompt_tokens_p95 if first else 0,
        cached_tokens=task.shared_prefix_tokens,
        output_tokens=task.output.mean_tokens,
        output_tokens_p95=task.output.p95_tokens,
        reasoning_tokens=task.reasoning_tokens,
        tokens_estimated=any(o.tokens_estimated for o in steps),
        tokenizer="; ".join(dict.fromkeys(o.tokenizer for o in steps)),
        cost_pusd=cost,
        cost_p95_pusd=cost_p95,
        cost_sd_pusd=cost_sd,
        samples=first.samples if first else 1,
        cost_source="cascade",
        excluded=excluded,
        kind="cascade",
        latency=latency,
        components=components,
        detail=" -> ".join(cascade.steps) + f" (escalating {rates})",
    )


def _ceil_decimal(value: Decimal) -> int:
    return int(value.to_integral_value(rounding="ROUND_CEILING"))
