"""``workload build --queries-out FILE``: per-item eval scores as an ``assign`` query file.

One JSONL line per (task, item) of the built workload's tasks (README "Query
files")::

    {"id": "<task>/<item>", "task": "<task>", "prompt_tokens": P, "cached_tokens": C,
     "output_tokens": O, "quality": {"<model>": score, ...}}

* ``quality``: each model's score on the item (the mean over its epochs or
  repeats), under the price-sheet name (``--model`` aliases applied); a model
  without a score for the item is not an option for it;
* tokens: the item's largest measured input (``prompt_tokens``, cached 0) and
  largest measured output including reasoning, over the models that ran it
  (the query format has one count per query, so the largest is the conservative
  side); an item without measurements takes the built task's ``prompt.tokens``,
  ``shared_prefix_tokens`` (as ``cached_tokens``) and output mean.

Such a file is a **hindsight oracle** for ``assign`` (:mod:`costplan.hindsight`):
the build says so on standard error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from costplan.errors import InputError
from costplan.ingest.evals import EvalItem
from costplan.ingest.names import Resolver


def _task_tokens(task: Mapping[str, Any]) -> tuple[int, int, int]:
    out = task["output_tokens"]
    mean = out["mean"] if isinstance(out, dict) else out
    return int(task["prompt"]["tokens"]), int(task.get("shared_prefix_tokens", 0)), int(mean)


def query_lines(
    items: Sequence[tuple[str, EvalItem]],
    resolve: Resolver,
    task_map: Mapping[str, str],
    tasks: Sequence[Mapping[str, Any]],
) -> tuple[list[str], list[str]]:
    """The query file's lines and notes, from ``(source, item)`` pairs and the built tasks."""
    by_name = {t["name"]: t for t in tasks}
    grouped: dict[tuple[str, str], dict[str, EvalItem]] = {}
    left_out: set[str] = set()
    for source, it in items:
        task = task_map.get(it.task, it.task)
        if task not in by_name:
            left_out.add(task)
            continue
        if it.item is None:
            raise InputError(
                f"task {it.task!r}: the eval file names no items, so per-item queries cannot "
                "be written",
                file=source,
                hint="generic files need an 'item' column (--map COLUMN=item)",
            )
        model = resolve(it.model)
        assert model is not None  # check_known ran first
        grouped.setdefault((task, it.item), {})[model] = it
    if not grouped:
        raise InputError(
            "--queries-out: no per-item scores for the workload's tasks",
            hint="inspect-ai, promptfoo, lm-eval samples or generic per-item files have them",
        )
    lines = []
    for (task, item), models in sorted(grouped.items()):
        inputs = [i.input_tokens for i in models.values() if i.input_tokens is not None]
        outputs = [i.output_tokens for i in models.values() if i.output_tokens is not None]
        prompt, cached, output = _task_tokens(by_name[task])
        row: dict[str, Any] = {"id": f"{task}/{item}", "task": task}
        row["prompt_tokens"] = max(inputs) if inputs else prompt
        row["cached_tokens"] = 0 if inputs else cached
        row["output_tokens"] = max(outputs) if outputs else output
        row["quality"] = {m: _number(i.score) for m, i in sorted(models.items())}
        lines.append(json.dumps(row, separators=(", ", ": ")))
    notes = [f"--queries-out: eval task {t!r} is not a workload task: left out"
             for t in sorted(left_out)]  # fmt: skip
    return lines, notes


def _number(score: Decimal) -> int | float:
    """A JSON number that reads back as exactly ``score`` (at most 6 decimals)."""
    if score == score.to_integral_value():
        return int(score)
    return float(score)
