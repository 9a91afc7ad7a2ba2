"""Kill tests for costplan/verify/tokens.py: the checker's tokenizer choice and its counts.

Oracles: tiktoken called directly, with tiktoken's own definitions of o200k_base and
cl100k_base (``tiktoken_ext.openai_public``: pattern and special tokens) and the ranks
file costplan bundles (tiktoken checks its pinned sha256 itself); estimates as
``ceil(count x factor)`` in Fractions here; the README's tokenizer table for the choice;
for the bundled Qwen, Tekken and DeepSeek V4 tokenizers the counts that their source
packages give (tests/tokens/test_real_tokenizers.py, CASES).
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import math
import os
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tiktoken

from costplan.errors import InputError, InternalError
from costplan.verify import tokens

F = Fraction
TEXTS = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog 1234567 times.",
    "def add(a, b):\n    return a + b  # sum\n",
    "<|endoftext|> is text here",
    "",
    "  spaces\t\tand\nnewlines\n\n",
]


@functools.cache
def _tiktoken(name: str) -> tiktoken.Encoding:
    """tiktoken's own definition of ``name``, its ranks read from the bundled file."""
    import tiktoken_ext.openai_public as public  # type: ignore[import-untyped]

    data = importlib.resources.files("costplan.tokens") / "data" / f"{name}.tiktoken"
    real = public.load_tiktoken_bpe

    def local(_url: str, expected_hash: str | None = None) -> Any:
        return real(str(data), expected_hash=expected_hash)

    public.load_tiktoken_bpe = local
    try:
        spec: dict[str, Any] = getattr(public, name)()
    finally:
        public.load_tiktoken_bpe = real
    return tiktoken.Encoding(**spec)


def _want(name: str, texts: list[str], factor: Fraction | None = None) -> list[int]:
    n = [len(_tiktoken(name).encode_ordinary(t)) for t in texts]
    return n if factor is None else [math.ceil(c * factor) for c in n]


def test_exact_counts_equal_tiktoken() -> None:
    for name in ("o200k_base", "cl100k_base"):
        assert tokens.count(TEXTS, (name, None)) == _want(name, TEXTS), name
    # special-looking text is ordinary text: more than one token
    assert tokens.count(["<|endoftext|>"], ("o200k_base", None))[0] > 1


def test_estimates_round_each_count_up() -> None:
    for factor in (F(6, 5), F(11, 10), F(21, 20), F(1), F(1, 2)):
        got = tokens.count(TEXTS, ("o200k_base", factor))
        assert got == _want("o200k_base", TEXTS, factor), factor
    # by hand: "Hello, world!" is 4 o200k tokens; x 1.2 = 4.8 -> 5; x 1.05 = 4.2 -> 5
    assert tokens.count(["Hello, world!"], ("o200k_base", F(6, 5))) == [5]
    assert tokens.count(["Hello, world!"], ("o200k_base", F(21, 20))) == [5]
    assert tokens.count(["Hello, world!"], ("o200k_base", F(1, 2))) == [2]


def test_bundled_tokenizers_equal_their_source_packages() -> None:
    # tests/tokens/test_real_tokenizers.py CASES: (text, deepseek_v4, qwen, tekken)
    texts = ["Hello, world!", "The quick brown fox jumps over the lazy dog 1234567 times."]
    assert tokens.count(texts, ("deepseek_v4", None)) == [4, 15]
    assert tokens.count(texts, ("qwen_base", None)) == [4, 19]
    assert tokens.count(texts, ("tekken_240911", None)) == [4, 19]
    eos = "<\uff5cend\u2581of\u2581sentence\uff5c>"  # DeepSeek's special token, as text
    assert tokens.count([eos], ("deepseek_v4", None))[0] > 1
    assert tokens.count(["<|endoftext|>"], ("qwen_base", None))[0] > 1


def test_special_tokens_are_tiktokens() -> None:
    for name in ("o200k_base", "cl100k_base"):
        enc = tokens.encoding(name)
        assert enc._special_tokens == _tiktoken(name)._special_tokens, name
        assert enc.n_vocab == _tiktoken(name).n_vocab


def test_counts_are_cached_per_text_list_and_copied() -> None:
    a = tokens.count(["hello world", "x"], ("o200k_base", None))
    b = tokens.count(["hello", " worldx"], ("o200k_base", None))  # same characters, split apart
    assert a == _want("o200k_base", ["hello world", "x"])
    assert b == _want("o200k_base", ["hello", " worldx"])
    a.append(99)
    assert tokens.count(["hello world", "x"], ("o200k_base", None)) == a[:2]
    # the same texts under another counter are counted again
    assert tokens.count(["Hello, world!"], ("o200k_base", F(2))) == [8]
    assert tokens.count(["Hello, world!"], ("o200k_base", None)) == [4]


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "_COUNTED", {})
    for i in range(70):
        text = [f"text {i}"]
        assert tokens.count(text, ("o200k_base", None)) == _want("o200k_base", text)
    assert len(tokens._COUNTED) <= 65


def test_a_corrupt_bundled_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    build = tokens.encoding.__wrapped__
    monkeypatch.setattr(tokens, "_FILES", {"o200k_base": ("o200k_base.tiktoken", "0" * 64, {})})
    with pytest.raises(InternalError) as info:
        build("o200k_base")
    assert info.value.message == ("bundled encoding o200k_base.tiktoken does not match its "
                                  "pinned sha256")  # fmt: skip
    monkeypatch.setattr(tokens, "_JSON_FILES", {"x": ("deepseek_v4_tokenizer.json", "0" * 64)})
    with pytest.raises(InternalError) as info:
        build("x")
    assert info.value.message == ("bundled tokenizer deepseek_v4_tokenizer.json does not match "
                                  "its pinned sha256")  # fmt: skip


def test_counter_for_a_model_without_a_tokenizer() -> None:
    want = {
        "openai": ("o200k_base", None), "azure": ("o200k_base", None),
        "anthropic": ("o200k_base", F(6, 5)), "google": ("o200k_base", F(11, 10)),
        "meta": ("o200k_base", F(21, 20)), "mistral": ("o200k_base", F(11, 10)),
        "qwen": ("qwen_base", None), "alibaba": ("qwen_base", None),
        "deepseek": ("o200k_base", F(21, 20)), "other": ("o200k_base", F(1)),
        "OpenAI": ("o200k_base", None), "Anthropic": ("o200k_base", F(6, 5)),
    }  # fmt: skip
    for provider, counter in want.items():
        assert tokens.counter_for(None, provider) == counter, provider


def test_counter_for_a_named_tokenizer() -> None:
    want = {
        "o200k_base": ("o200k_base", None), " CL100K_BASE ": ("cl100k_base", None),
        "qwen_base": ("qwen_base", None), "tekken_240911": ("tekken_240911", None),
        "deepseek_v4": ("deepseek_v4", None), "openai": ("o200k_base", None),
        "OpenAI": ("o200k_base", None), "claude": ("o200k_base", F(6, 5)),
        "gemini": ("o200k_base", F(11, 10)), "llama": ("o200k_base", F(21, 20)),
        "mistral": ("o200k_base", F(11, 10)), "deepseek": ("o200k_base", F(21, 20)),
        "qwen": ("qwen_base", None),
    }  # fmt: skip
    for name, counter in want.items():
        assert tokens.counter_for(name, "anthropic") == counter, name
    with pytest.raises(InputError) as info:
        tokens.counter_for("gpt2", "openai")
    assert info.value.message == "unknown tokenizer"
    assert info.value.key == "tokenizer"
    assert info.value.value == "gpt2"


def test_counter_for_a_tokenizer_mapping() -> None:
    assert tokens.counter_for({"encoding": " CL100K_base"}, "x") == ("cl100k_base", None)
    assert tokens.counter_for({"family": "claude", "factor": " 1.3 "}, "x") == (
        "o200k_base", F(13, 10))  # fmt: skip
    assert tokens.counter_for({"factor": 2}, "x") == ("o200k_base", F(2))
    assert tokens.counter_for({"factor": F(5, 4)}, "x") == ("o200k_base", F(5, 4))
    assert tokens.counter_for({"family": " Llama "}, "openai") == ("o200k_base", F(21, 20))
    assert tokens.counter_for({"family": "openai"}, "anthropic") == ("o200k_base", None)
    for bad in ({"family": "zz"}, {}, 5, ["openai"]):
        with pytest.raises(InputError) as info:
            tokens.counter_for(bad, "openai")
        assert info.value.message == "unreadable tokenizer"
        assert info.value.key == "tokenizer"
        assert info.value.value == bad


def test_sample_texts_in_path_order_with_a_bom_dropped(tmp_path: Path) -> None:
    (tmp_path / "s" / "b").mkdir(parents=True)
    (tmp_path / "s" / "a.txt").write_bytes(b"\xef\xbb\xbfone")
    (tmp_path / "s" / "b" / "c.txt").write_text("three")
    (tmp_path / "s" / "a-b.txt").write_text("two")
    # by path components: ("s", "a-b.txt") < ("s", "a.txt") < ("s", "b", "c.txt")
    assert tokens.sample_texts("s/**/*.txt", tmp_path, None) == ["two", "one", "three"]
    assert tokens.sample_texts("s/*.txt", tmp_path, None) == ["two", "one"]
    with pytest.raises(InputError) as info:
        tokens.sample_texts("s/*.md", tmp_path, None)
    assert info.value.message == "sample pattern matches no file"
    assert info.value.key == "samples"
    assert info.value.value == "s/*.md"


def test_sample_fields_of_json_lines(tmp_path: Path) -> None:
    lines = [json.dumps({"text": "a b", "n": 1}), "", "   ", json.dumps({"text": 5})]
    (tmp_path / "x.jsonl").write_bytes(("\r\n".join(lines) + "\r\n").encode())
    assert tokens.sample_texts("x.jsonl", tmp_path, "text") == ["a b", "5"]
    with pytest.raises(KeyError):
        tokens.sample_texts("x.jsonl", tmp_path, "n")


def test_subsample_is_the_seeded_choice() -> None:
    texts = [f"t{i}" for i in range(10)]
    assert tokens.subsample(texts, None) is texts
    assert tokens.subsample(texts, 10) is texts
    assert tokens.subsample(texts, 11) is texts
    idx = np.sort(np.random.default_rng(0).choice(10, 4, replace=False))
    assert tokens.subsample(texts, 4) == [texts[int(i)] for i in idx]
    assert len(tokens.subsample(texts, 9)) == 9


def test_loops_and_folder_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "s" / "a" / "b").mkdir(parents=True)
    (tmp_path / "s" / ".hidden").mkdir()
    (tmp_path / "s" / "a" / "b" / "1.txt").write_text("one")
    # folders walked under s: s, a, b = 3 (hidden skipped)
    monkeypatch.setattr(tokens, "MAX_FOLDERS", 3)
    assert tokens.sample_texts("s/**/*.txt", tmp_path, None) == ["one"]
    monkeypatch.setattr(tokens, "MAX_FOLDERS", 2)
    with pytest.raises(InputError) as info:
        tokens.sample_texts("s/**/*.txt", tmp_path, None)
    assert info.value.message == "sample pattern walks more than 2 folders"
    assert info.value.value == "s/**/*.txt"
    # the fixed prefix "s/a" is where the walk starts: a and b only
    assert tokens.sample_texts("s/a/**/*.txt", tmp_path, None) == ["one"]
    monkeypatch.setattr(tokens, "MAX_FOLDERS", 100)
    os.symlink(tmp_path / "s", tmp_path / "s" / "a" / "up")
    with pytest.raises(InputError) as info:
        tokens.sample_texts("s/**/*.txt", tmp_path, None)
    assert info.value.message == "sample pattern runs into a symlink loop at 's/a/up'"
    assert info.value.key == "samples"
    # hidden folders are not walked: a loop behind one is not seen
    os.remove(tmp_path / "s" / "a" / "up")
    os.symlink(tmp_path / "s", tmp_path / "s" / ".hidden" / "up")
    assert tokens.sample_texts("s/**/*.txt", tmp_path, None) == ["one"]
    # without **: a match reached through the loop is refused when read
    with pytest.raises(InputError) as info:
        tokens.sample_texts("s/.hidden/up/a/b/*.txt", tmp_path, None)
    assert info.value.message == (
        "sample 's/.hidden/up/a/b/1.txt' is reached through a symlink loop"
    )
    # a pattern under a missing folder: nothing to walk, no match
    with pytest.raises(InputError) as info:
        tokens.sample_texts("none/**/*.txt", tmp_path, None)
    assert info.value.message == "sample pattern matches no file"
