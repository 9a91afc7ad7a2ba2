"""Family factors against real token counts on a public corpus available offline.

    python benchmarks/tokenizer_factors.py

Corpus (shipped with every CPython, so the run is reproducible offline):

* **prose**: the Python documentation's topic texts (``pydoc_data.topics``: English
  reference prose with some inline code), one text per topic;
* **code**: the sources of a fixed list of pure-Python stdlib modules.

For each real tokenizer the ratio ``sum(real count) / sum(o200k_base count)`` is printed per
part, with the family factor costplan uses (an estimate counts ``ceil(o200k x factor)``). Real
tokenizers: the bundled ``qwen_base``, ``tekken_240911`` and ``deepseek_v4`` (costplan.tokens),
and ``cl100k_base`` (the base of Llama 3's vocabulary: a proxy, Llama's own files are not
bundled).
"""

from __future__ import annotations

import sys
from pathlib import Path

# benchmarks/tokenize.py would shadow the standard library's tokenize (imported by inspect)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import argparse  # noqa: E402
import importlib  # noqa: E402
import inspect  # noqa: E402

CODE_MODULES = (
    "textwrap", "json.decoder", "json.encoder", "argparse", "difflib", "fractions",
    "decimal", "_pydecimal", "email.message", "email.utils", "http.client", "inspect",
    "pathlib", "dataclasses", "tarfile", "zipfile", "csv", "calendar", "heapq", "statistics",
)  # fmt: skip


def corpus() -> dict[str, list[str]]:
    from pydoc_data import topics

    code = []
    for name in CODE_MODULES:
        try:
            code.append(inspect.getsource(importlib.import_module(name)))
        except (ImportError, OSError, TypeError):
            continue
    return {"prose": [topics.topics[k] for k in sorted(topics.topics)], "code": code}


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    from costplan.tokens import FAMILY_FACTORS, get_encoding

    texts = corpus()
    base = get_encoding("o200k_base")
    real: dict[str, tuple[object, str]] = {
        "qwen_base": (get_encoding("qwen_base"), "qwen"),
        "deepseek_v4": (get_encoding("deepseek_v4"), "deepseek"),
        "tekken_240911": (get_encoding("tekken_240911"), "mistral"),
        "cl100k_base (Llama 3 proxy)": (get_encoding("cl100k_base"), "llama"),
    }
    sizes = {part: (len(ts), sum(len(t) for t in ts)) for part, ts in texts.items()}
    print("corpus: " + "; ".join(f"{p}: {n} texts, {c:,} chars" for p, (n, c) in sizes.items()))
    o200 = {p: sum(len(base.encode_ordinary(t)) for t in ts) for p, ts in texts.items()}
    print(f"o200k_base tokens: {o200}")
    print("| tokenizer | family factor | prose ratio | code ratio |")
    print("| --- | ---: | ---: | ---: |")
    for name, (enc, family) in real.items():
        ratios = []
        for part, ts in texts.items():
            n = sum(len(enc.encode_ordinary(t)) for t in ts)  # type: ignore[attr-defined]
            ratios.append(n / o200[part])
        print(f"| {name} | {FAMILY_FACTORS[family]} | {ratios[0]:.4f} | {ratios[1]:.4f} |")


if __name__ == "__main__":
    main()
