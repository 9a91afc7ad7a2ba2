"""Write the inspect-ai fixtures by running real evals with inspect-ai's mock model.

Run (needs ``pip install inspect-ai``; not a costplan dependency, no network):

    python tests/data/ingest/make_inspect.py

It runs two evals with ``mockllm/model`` and writes their logs here, in both of
inspect-ai's formats (``.eval``, a zip with Zstandard-compressed entries in current
versions, and ``.json``):

* ``inspect_real_summarize.{eval,json}``: task ``summarize``, 4 samples, scorer
  ``match()`` (values ``C``/``I``); the mock model answers samples 1, 2 and 4
  correctly. Each answer carries hand-chosen usage, which inspect-ai records in the
  sample's ``model_usage["mockllm/model"]``:

  ======  =====  ======  ==========  ===========  =========
  sample  input  output  reasoning   cache read   correct
  ======  =====  ======  ==========  ===========  =========
  1       900    180     none        100          yes
  2       1000   220     none        0            yes
  3       1100   200     none        0            no
  4       1000   200     none        0            yes
  ======  =====  ======  ==========  ===========  =========

* ``inspect_real_summarize_nosamples.{eval,json}``: the same eval run with
  ``log_samples=False`` (``--no-log-samples``): the log keeps only the results
  (``accuracy`` 0.75, ``stderr`` 0.25 over 4 samples).

* ``inspect_real_classify_epochs.{eval,json}``: task ``classify``, 2 samples x 2
  epochs, a scorer returning numbers (0, 0.25, 0.5, 1) and a second scorer
  ``match()``; output tokens include reasoning (the OpenAI convention inspect-ai
  keeps): sample a: output 300 with reasoning 200; sample b: output 500 with
  reasoning 400 (both epochs).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from inspect_ai import Task, eval
from inspect_ai.dataset import Sample
from inspect_ai.model import ModelOutput, ModelUsage, get_model
from inspect_ai.scorer import Score, Target, accuracy, match, mean, scorer
from inspect_ai.solver import TaskState, generate

HERE = Path(__file__).resolve().parent

SUMMARIZE = {
    # prompt: (answer, input, output, reasoning, cache read)
    "Summarize: one": ("one", 900, 180, None, 100),
    "Summarize: two": ("two", 1000, 220, None, 0),
    "Summarize: three": ("wrong", 1100, 200, None, 0),
    "Summarize: four": ("four", 1000, 200, None, 0),
}
CLASSIFY = {
    "Classify: a": ("pos", 400, 300, 200, None),
    "Classify: b": ("neg", 600, 500, 400, None),
}


def _outputs(table: dict[str, tuple[str, int, int, int | None, int | None]]):  # type: ignore[no-untyped-def]
    """A mock model answering each prompt with its row of ``table`` (order-independent)."""

    def answer(messages, *_):  # type: ignore[no-untyped-def]  # (input, tools, choice, config)
        prompt = messages[-1].text
        text, inp, out, reasoning, cached = table[prompt]
        o = ModelOutput.from_content(model="mockllm/model", content=text)
        o.usage = ModelUsage(
            input_tokens=inp,
            output_tokens=out,
            total_tokens=inp + out + (cached or 0),
            reasoning_tokens=reasoning,
            input_tokens_cache_read=cached,
        )
        return o

    return answer


@scorer(metrics=[mean()])
def graded():  # type: ignore[no-untyped-def]
    """A numeric score per sample and epoch: a -> 1 then 0.5; b -> 0.25 then 0."""
    values = {"Classify: a": [1.0, 0.5], "Classify: b": [0.25, 0.0]}

    async def score(state: TaskState, _target: Target) -> Score:
        return Score(value=values[state.input_text][state.epoch - 1])

    return score


def _run(task: Task, table, stem: str, **options) -> None:  # type: ignore[no-untyped-def]
    for fmt in ("eval", "json"):
        with tempfile.TemporaryDirectory() as tmp:
            model = get_model("mockllm/model", custom_outputs=_outputs(table))
            (log,) = eval(
                task, model=model, log_dir=tmp, log_format=fmt, display="none", max_samples=1,
                **options,
            )
            assert log.status == "success", log.error
            src = next(Path(tmp).glob(f"*.{fmt}"))
            shutil.copy(src, HERE / f"{stem}.{fmt}")


def main() -> None:
    targets = [a if a != "wrong" else "three" for a, *_ in SUMMARIZE.values()]
    summarize = Task(
        name="summarize",
        dataset=[
            Sample(id=i + 1, input=p, target=t)
            for i, (p, t) in enumerate(zip(SUMMARIZE, targets, strict=True))
        ],
        solver=generate(),
        scorer=match(),
    )
    _run(summarize, SUMMARIZE, "inspect_real_summarize")
    _run(summarize, SUMMARIZE, "inspect_real_summarize_nosamples", log_samples=False)
    classify = Task(
        name="classify",
        dataset=[Sample(id=k[-1], input=k, target=v[0]) for k, v in CLASSIFY.items()],
        solver=generate(),
        scorer=[graded(), match()],
        epochs=2,
    )
    _run(classify, CLASSIFY, "inspect_real_classify_epochs")


if __name__ == "__main__":
    _ = accuracy  # the match() scorer's metric
    main()
