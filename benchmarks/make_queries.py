"""Generate a per-query input for ``costplan assign`` (and a price sheet to go with it).

    python benchmarks/make_queries.py --n 100000 --out /tmp/q   # queries.jsonl, prices.yaml
    costplan assign /tmp/q/queries.jsonl --prices /tmp/q/prices.yaml --budget 150

Queries look like a router's eval output: token counts per query (log-normal prompt
and output lengths), and a predicted quality per model that rises with the model's
price, varies by task difficulty, with noise; a few models are dominated. Seeded:
the same arguments give the same files, byte for byte.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

# (name, provider, input $/Mtok, output $/Mtok, base quality) - list-price-like figures.
MODELS = [
    ("gpt-4o-mini", "openai", "0.15", "0.6", 0.70),
    ("gpt-4.1-nano", "openai", "0.1", "0.4", 0.62),
    ("gpt-4.1-mini", "openai", "0.4", "1.6", 0.78),
    ("gpt-4.1", "openai", "2", "8", 0.86),
    ("gpt-4o", "openai", "2.5", "10", 0.84),
    ("o4-mini", "openai", "1.1", "4.4", 0.85),
    ("claude-haiku-4-5", "anthropic", "1", "5", 0.81),
    ("claude-sonnet-4-5", "anthropic", "3", "15", 0.90),
    ("claude-opus-4-1", "anthropic", "15", "75", 0.92),
    ("gemini-2.5-flash-lite", "google", "0.1", "0.4", 0.66),
    ("gemini-2.5-flash", "google", "0.3", "2.5", 0.79),
    ("gemini-2.5-pro", "google", "1.25", "10", 0.89),
    ("mistral-small", "mistral", "0.1", "0.3", 0.60),
    ("mistral-medium", "mistral", "0.4", "2", 0.74),
    ("mistral-large", "mistral", "2", "6", 0.80),
    ("deepseek-chat", "deepseek", "0.27", "1.1", 0.76),
    ("deepseek-reasoner", "deepseek", "0.55", "2.19", 0.83),
    ("llama-3.3-70b", "meta", "0.6", "0.6", 0.72),
    ("qwen-2.5-72b", "qwen", "0.35", "0.4", 0.71),
    ("command-r-plus", "cohere", "2.5", "10", 0.70),  # dominated: priced like gpt-4o, weaker
]
TASKS = ["triage", "summarise", "code-review", "rag-answer", "extract"]


def prices_yaml() -> str:
    lines = [
        "currency: USD",
        "as_of: 2026-11-01",
        'source: "benchmarks/make_queries.py: list-price-like figures for benchmarking"',
        "models:",
    ]
    for name, provider, inp, out, _ in MODELS:
        lines += [
            f"  {name}:",
            f"    provider: {provider}",
            f"    input_usd_per_mtok: {inp}",
            f"    output_usd_per_mtok: {out}",
            "    context_window: 128000",
        ]
    return "\n".join(lines) + "\n"


def queries_jsonl(n: int, seed: int) -> str:
    rng = np.random.default_rng(seed)
    task = rng.integers(0, len(TASKS), size=n)
    difficulty = rng.normal(0, 0.08, size=n) - 0.04 * task
    prompt = np.minimum(rng.lognormal(6.5, 0.8, size=n).astype(np.int64) + 20, 100_000)
    output = np.minimum(rng.lognormal(4.5, 0.9, size=n).astype(np.int64) + 5, 8_000)
    base = np.array([m[4] for m in MODELS])
    quality = np.clip(
        base[None, :] + difficulty[:, None] + rng.normal(0, 0.05, (n, len(MODELS))), 0, 1
    )
    q_text = np.char.mod("%.4f", quality)
    names = [m[0] for m in MODELS]
    out = []
    for g in range(n):
        record = {
            "id": f"q{g:07d}",
            "task": TASKS[task[g]],
            "prompt_tokens": int(prompt[g]),
            "output_tokens": int(output[g]),
            "quality": {names[k]: float(q_text[g, k]) for k in range(len(names))},
        }
        out.append(json.dumps(record, separators=(",", ":")))
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of queries")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "prices.yaml").write_text(prices_yaml())
    (args.out / "queries.jsonl").write_text(queries_jsonl(args.n, args.seed))
    print(f"wrote {args.n:,} queries x {len(MODELS)} models to {args.out}")


if __name__ == "__main__":
    main()
