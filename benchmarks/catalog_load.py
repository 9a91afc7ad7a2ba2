"""Loading a 5,000-model price sheet: costplan vs libyaml alone, in the same run.

    PYTHONPATH=src python benchmarks/catalog_load.py [--models 5000] [--repeat 3]

The sheet is generated deterministically (8 keys a model, a batch discount). Figures,
best of ``repeat``: ``yaml.load(text, Loader=yaml.CSafeLoader)`` (the reference: a
compiled reader producing plain data, no line numbers, no exact decimals, no checks);
``costplan.yamlsource.parse_yaml_text`` (exact decimals, line of every key path, duplicate
keys, number bounds) on its libyaml path and forced onto PyYAML's pure parser (the path
before this change); and ``costplan.pricing.load.load_price_sheets`` (parse + validation +
the price model). Ratios are to the reference.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml


def make_sheet(n: int, seed: int = 1) -> str:
    rng = random.Random(seed)
    lines = ["currency: USD", "as_of: 2026-11-04", f"source: synthetic {n}", "models:"]
    for i in range(n):
        inp = round(rng.uniform(0.05, 15), 3)
        lines += [
            f"  m{i:05d}:",
            f"    provider: {rng.choice(['openai', 'anthropic', 'google', 'mistral'])}",
            f"    input_usd_per_mtok: {inp}",
            f"    output_usd_per_mtok: {round(inp * 4, 3)}",
            f"    cache_read_usd_per_mtok: {round(inp / 10, 4)}",
            "    batch: {discount: 0.5}",
            "    context_window: 128000",
            "    max_output_tokens: 16384",
        ]
    return "\n".join(lines) + "\n"


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", type=int, default=5000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    from costplan.pricing.load import load_price_sheets
    from costplan.yamlsource import parse_yaml_text

    text = make_sheet(args.models)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sheet.yaml"
        path.write_text(text)
        ref = best(lambda: yaml.load(text, Loader=yaml.CSafeLoader), args.repeat)
        fast = best(lambda: parse_yaml_text(text, path), args.repeat)
        with_libyaml = yaml.__with_libyaml__
        yaml.__with_libyaml__ = False
        try:
            pure = best(lambda: parse_yaml_text(text, path), args.repeat)
        finally:
            yaml.__with_libyaml__ = with_libyaml
        sheet = best(lambda: load_price_sheets([path]), args.repeat)
    print(f"models={args.models} bytes={len(text)} load_avg={os.getloadavg()[0]:.1f}")
    for name, t in (
        ("yaml.load CSafeLoader (reference)", ref),
        ("parse_yaml_text, libyaml path", fast),
        ("parse_yaml_text, pure PyYAML (before)", pure),
        ("load_price_sheets (parse + validate + model)", sheet),
    ):
        print(f"{name}: {t:.2f} s = {t / ref:.1f}x reference")


if __name__ == "__main__":
    main()
