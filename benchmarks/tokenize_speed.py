"""Tokenising query texts: costplan vs one raw tiktoken pass, in the same run.

    PYTHONPATH=src python benchmarks/tokenize_speed.py [--texts 200000] [--repeat 3]

Texts are generated deterministically (seeded word salad with code and
non-ASCII, 20-400 words each). The reference is one raw
``encoding.encode_ordinary_batch`` pass of o200k_base over all texts (the floor:
costplan cannot count without encoding). costplan's figure is
``costplan.assign._token_matrix`` for a sheet whose models use seven tokenizer
settings over two encodings (o200k exact, cl100k exact, five o200k-based family
estimates), i.e. the per-model prompt-token arrays ``costplan assign`` builds.
Printed: best-of-``repeat`` seconds of each, and throughput relative to raw
(target >= 0.8x: each encoding runs once whatever the number of settings).
"""

from __future__ import annotations

import argparse
import os
import time
from types import SimpleNamespace

import numpy as np

_SALAD = (
    "the model answers tickets quickly while cost matters and quality floors hold "
    "def return import numpy café naïve 東京 データ 🚀 {json: [1, 2, 3]} SELECT * FROM t;"
)
WORDS = _SALAD.split(" ")


def make_texts(n: int, seed: int = 7) -> list[str]:
    rng = np.random.default_rng(seed)
    lengths = rng.integers(20, 400, size=n)
    picks = rng.integers(0, len(WORDS), size=int(lengths.sum()))
    out, at = [], 0
    for length in lengths.tolist():
        out.append(" ".join(WORDS[i] for i in picks[at : at + length].tolist()))
        at += length
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from costplan.assign import _token_matrix
    from costplan.tokens import get_encoding
    from costplan.tokens.tokenizer import parse_tokenizer

    texts = make_texts(args.texts)
    tokenizers = ["o200k_base", "cl100k_base", "claude", "gemini", "llama", "mistral", "qwen"]
    models = {
        f"m{i}": SimpleNamespace(tokenizer=parse_tokenizer(t, file=None, key="tokenizer"))
        for i, t in enumerate(tokenizers)
    }
    qs = SimpleNamespace(models=tuple(models), prompt_tokens=None, texts=tuple(texts))
    sheet = SimpleNamespace(models=models)
    encodings = [get_encoding("o200k_base"), get_encoding("cl100k_base")]
    for enc in encodings:
        enc.encode_ordinary_batch(texts[:1000])  # warm both encodings

    raw, ours = [], []
    for _ in range(args.repeat):
        t = time.perf_counter()
        for enc in encodings:
            enc.encode_ordinary_batch(texts, num_threads=8)
        raw.append(time.perf_counter() - t)
        t = time.perf_counter()
        _token_matrix(qs, sheet, None)  # type: ignore[arg-type]
        ours.append(time.perf_counter() - t)
    r, o = min(raw), min(ours)
    print(f"texts={len(texts)} load_avg={os.getloadavg()[0]:.1f}")
    print(f"raw encode_ordinary_batch, o200k_base + cl100k_base: {r:.2f} s")
    print(f"costplan, 7 tokenizer settings over the same 2 encodings: {o:.2f} s")
    print(f"costplan throughput / raw throughput: {r / o:.2f}x (target >= 0.8x)")


if __name__ == "__main__":
    main()
