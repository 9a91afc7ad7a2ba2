"""Prompt samples: loading (every error case), JSONL fields, stats and sampling."""

from __future__ import annotations

import math
import os
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from costplan.errors import InputError
from costplan.tokens import (
    TokenizerSpec,
    TokenStats,
    count_tokens,
    load_sample_texts,
    measure,
    measure_sample,
    parse_tokenizer,
)
from costplan.tokens import samples as samples_module

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "tokens" / "support"
KEY = ("tasks", 0, "samples")
KEY_TEXT = "tasks[0].samples"
O200K = TokenizerSpec()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A workload folder with a workload file and a prompts/ folder."""
    folder = tmp_path / "work"
    (folder / "prompts").mkdir(parents=True)
    (folder / "workload.yaml").write_text("tasks: []\n", encoding="utf-8")
    return folder


def load(
    folder: Path, pattern: str, *, field: str | None = None, allow_outside: bool = False
) -> list[str]:
    return load_sample_texts(
        pattern,
        base_dir=folder,
        file=folder / "workload.yaml",
        key=KEY,
        line=3,
        field=field,
        allow_outside=allow_outside,
    )


def load_error(folder: Path, pattern: str, *fragments: str, field: str | None = None) -> InputError:
    """Assert loading fails, located at the workload key, naming every fragment."""
    with pytest.raises(InputError) as info:
        load(folder, pattern, field=field)
    err = info.value
    assert err.file == str(folder / "workload.yaml")
    assert err.line == 3
    assert err.key == KEY_TEXT
    assert err.value == pattern
    text = str(err)
    assert text.startswith(f"{folder / 'workload.yaml'}:3: {KEY_TEXT}: ")
    assert f"(got {pattern!r})" in text
    for fragment in fragments:
        assert fragment in err.message, (fragment, err.message)
    return err


# --- loading: happy paths ---------------------------------------------------------


def test_text_files_one_prompt_each_in_sorted_order(workdir: Path) -> None:
    for name in ("c.txt", "a.txt", "b.txt"):  # created out of order
        (workdir / "prompts" / name).write_text(f"prompt {name}\n", encoding="utf-8")
    (workdir / "prompts" / "skip.md").write_text("not matched", encoding="utf-8")
    assert load(workdir, "prompts/*.txt") == ["prompt a.txt\n", "prompt b.txt\n", "prompt c.txt\n"]


def test_recursive_glob_and_utf8_bom_is_dropped(workdir: Path) -> None:
    (workdir / "prompts" / "x" / "y").mkdir(parents=True)
    (workdir / "prompts" / "x" / "y" / "deep.txt").write_bytes(b"\xef\xbb\xbfdeep")
    (workdir / "prompts" / "top.txt").write_text("top", encoding="utf-8")
    assert load(workdir, "prompts/**/*.txt") == ["top", "deep"]


def test_order_is_by_path_components(workdir: Path) -> None:
    for folder in ("a-b", "a"):
        (workdir / folder).mkdir()
        (workdir / folder / "x.txt").write_text(folder, encoding="utf-8")
    # A plain string sort would put 'a-b/x.txt' first ('-' sorts before '/').
    assert load(workdir, "*/x.txt") == ["a", "a-b"]


def test_jsonl_field_extraction(workdir: Path) -> None:
    (workdir / "b.jsonl").write_text('{"prompt": "third", "n": 1}\n', encoding="utf-8")
    (workdir / "a.jsonl").write_text(
        '{"prompt": "first"}\r\n\n   \n{"prompt": "sec\\u2028ond\\nline", "x": [1]}\n',
        encoding="utf-8",
    )
    assert load(workdir, "*.jsonl", field="prompt") == ["first", "sec\u2028ond\nline", "third"]


def test_jsonl_with_raw_line_separator_inside_a_string(workdir: Path) -> None:
    # U+2028 may appear unescaped in JSON; it must not split the record.
    (workdir / "s.jsonl").write_text('{"p": "a\u2028b"}\n', encoding="utf-8")
    assert load(workdir, "s.jsonl", field="p") == ["a\u2028b"]


def test_absolute_pattern_inside_the_folder_is_allowed(workdir: Path) -> None:
    (workdir / "prompts" / "a.txt").write_text("inside", encoding="utf-8")
    assert load(workdir, str(workdir / "prompts" / "*.txt")) == ["inside"]


def test_allow_outside(workdir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "shared"
    outside.mkdir()
    (outside / "o.txt").write_text("outside", encoding="utf-8")
    (workdir / "prompts" / "link.txt").symlink_to(outside / "o.txt")
    assert load(workdir, "../shared/*.txt", allow_outside=True) == ["outside"]
    assert load(workdir, str(outside / "*.txt"), allow_outside=True) == ["outside"]
    assert load(workdir, "prompts/link.txt", allow_outside=True) == ["outside"]


def test_symlink_inside_the_folder_is_allowed(workdir: Path) -> None:
    (workdir / "real.txt").write_text("real", encoding="utf-8")
    (workdir / "prompts" / "link.txt").symlink_to(workdir / "real.txt")
    assert load(workdir, "prompts/*.txt") == ["real"]


# --- loading: every error case ------------------------------------------------------


def test_empty_pattern(workdir: Path) -> None:
    load_error(workdir, "  ", "sample pattern is empty")


def test_pattern_matches_nothing(workdir: Path) -> None:
    load_error(workdir, "prompts/*.txt", "matches no file", "'prompts/*.txt'", str(workdir))


def test_hidden_files_are_not_matched(workdir: Path) -> None:
    (workdir / "prompts" / ".hidden.txt").write_text("x", encoding="utf-8")
    load_error(workdir, "prompts/*.txt", "matches no file")


def test_match_is_a_directory(workdir: Path) -> None:
    (workdir / "prompts" / "sub").mkdir()
    err = load_error(workdir, "prompts/*", "'prompts/sub'", "is a directory")
    assert err.hint == "match files, e.g. 'prompts/*.txt' or 'prompts/**/*.txt'"


def test_unreadable_file(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (workdir / "prompts" / "a.txt").write_text("fine", encoding="utf-8")
    (workdir / "prompts" / "b.txt").write_text("locked", encoding="utf-8")

    def read_bytes(path: Path) -> bytes:
        if path.name == "b.txt":
            raise PermissionError(13, "Permission denied", str(path))
        return path.read_bytes()

    monkeypatch.setattr(samples_module, "_read_bytes", read_bytes)
    load_error(workdir, "prompts/*.txt", "cannot read sample 'prompts/b.txt'", "Permission denied")


def test_dangling_symlink_is_unreadable(workdir: Path) -> None:
    (workdir / "prompts" / "gone.txt").symlink_to(workdir / "missing.txt")
    load_error(workdir, "prompts/*.txt", "cannot read sample 'prompts/gone.txt'", "No such file")


def test_invalid_utf8_names_the_byte_offset(workdir: Path) -> None:
    (workdir / "prompts" / "latin1.txt").write_bytes(b"ok line\ncaf\xe9\n")
    load_error(
        workdir,
        "prompts/*.txt",
        "'prompts/latin1.txt'",
        "not valid UTF-8 at byte offset 11 (line 2)",
    )


def test_invalid_utf8_offset_counts_the_bom(workdir: Path) -> None:
    (workdir / "prompts" / "bom.txt").write_bytes(b"\xef\xbb\xbfab\xff")
    load_error(workdir, "prompts/*.txt", "at byte offset 5 (line 1)")


def test_binary_file(workdir: Path) -> None:
    (workdir / "prompts" / "utf16.txt").write_bytes("hi".encode("utf-16-le"))
    err = load_error(
        workdir, "prompts/*.txt", "'prompts/utf16.txt'", "binary file", "byte offset 1"
    )
    assert err.hint is not None
    assert "UTF-16" in err.hint


def test_empty_file(workdir: Path) -> None:
    (workdir / "prompts" / "a.txt").write_text("fine", encoding="utf-8")
    (workdir / "prompts" / "empty.txt").write_bytes(b"")
    load_error(workdir, "prompts/*.txt", "'prompts/empty.txt'", "is empty")


def test_whitespace_only_text(workdir: Path) -> None:
    (workdir / "prompts" / "blank.txt").write_text(" \n\t\n", encoding="utf-8")
    load_error(workdir, "prompts/*.txt", "'prompts/blank.txt'", "empty text")


def test_jsonl_without_field(workdir: Path) -> None:
    (workdir / "r.jsonl").write_text('{"prompt": "x"}\n', encoding="utf-8")
    err = load_error(workdir, "*.jsonl", "'r.jsonl'", "JSON Lines", "no field")
    assert err.hint is not None
    assert "field" in err.hint


def test_jsonl_invalid_json_names_the_line(workdir: Path) -> None:
    (workdir / "r.jsonl").write_text('{"prompt": "x"}\n\n{"prompt": "y",}\n', encoding="utf-8")
    load_error(workdir, "r.jsonl", "'r.jsonl' line 3", "not valid JSON", field="prompt")


def test_jsonl_missing_field_suggests_a_key(workdir: Path) -> None:
    (workdir / "r.jsonl").write_text('{"prompt": "x"}\n{"promt": "y"}\n', encoding="utf-8")
    err = load_error(
        workdir, "r.jsonl", "'r.jsonl' line 2", "no key 'prompt'", "'promt'", field="prompt"
    )
    assert err.hint == "did you mean 'promt'?"


def test_jsonl_field_not_a_string(workdir: Path) -> None:
    (workdir / "r.jsonl").write_text('{"prompt": ["x"]}\n', encoding="utf-8")
    load_error(
        workdir,
        "r.jsonl",
        "'r.jsonl' line 1",
        "'prompt' is an array, expected a string",
        field="prompt",
    )


def test_jsonl_field_empty(workdir: Path) -> None:
    (workdir / "r.jsonl").write_text('{"prompt": "x"}\n{"prompt": "  "}\n', encoding="utf-8")
    load_error(workdir, "r.jsonl", "'r.jsonl' line 2", "empty text", field="prompt")


def test_jsonl_line_not_an_object(workdir: Path) -> None:
    (workdir / "r.jsonl").write_text('"just a string"\n', encoding="utf-8")
    load_error(workdir, "r.jsonl", "'r.jsonl' line 1", "expected a JSON object", field="prompt")


def test_jsonl_without_records(workdir: Path) -> None:
    (workdir / "r.jsonl").write_text("\n  \n", encoding="utf-8")
    load_error(workdir, "r.jsonl", "'r.jsonl'", "no JSON lines", field="prompt")


def test_dotdot_pattern_escaping_the_folder(workdir: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    load_error(workdir, "../*.txt", "points outside the workload folder", str(workdir))


def test_dotdot_escape_is_reported_even_when_nothing_matches(workdir: Path) -> None:
    load_error(workdir, "prompts/../../nothing/*.txt", "points outside the workload folder")


def test_absolute_pattern_outside_the_folder(workdir: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    load_error(workdir, str(tmp_path / "*.txt"), "points outside the workload folder")


def test_symlink_resolving_outside_the_folder(workdir: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("secret", encoding="utf-8")
    (workdir / "prompts" / "a.txt").write_text("fine", encoding="utf-8")
    (workdir / "prompts" / "b.txt").symlink_to(tmp_path / "secret.txt")
    load_error(
        workdir,
        "prompts/*.txt",
        "'prompts/b.txt'",
        f"resolves to {str(tmp_path / 'secret.txt')!r}",
        "outside the workload folder",
    )


def test_symlinked_directory_resolving_outside(workdir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.txt").write_text("x", encoding="utf-8")
    os.symlink(outside, workdir / "prompts" / "linked", target_is_directory=True)
    load_error(workdir, "prompts/linked/*.txt", "'prompts/linked/x.txt'", "resolves to")


# --- stats ----------------------------------------------------------------------------


def _fixture_stats(pattern: str, spec: TokenizerSpec, field: str | None = None) -> TokenStats:
    return measure_sample(
        pattern,
        spec,
        base_dir=FIXTURES,
        file=FIXTURES / "workload.yaml",  # only named in messages; need not exist
        key=KEY,
        field=field,
    )


def test_fixture_corpus_pinned_stats() -> None:
    stats = _fixture_stats("prompts/*.txt", O200K)
    # o200k_base counts of the five prompts (sorted by name): 25, 13, 21, 21, 22.
    assert stats == TokenStats(n=5, mean=20.4, p50=21, p95=25, max=25, estimated=False)
    assert stats.mean_ceil == 21
    assert stats.ci95_mean is None
    assert stats.sampled_from is None

    jsonl = _fixture_stats("*.jsonl", O200K, field="prompt")
    assert jsonl == TokenStats(n=3, mean=14.0, p50=14, p95=17, max=17, estimated=False)
    assert jsonl.mean_ceil == 14

    cl100k = parse_tokenizer("cl100k_base", file=None, key="tokenizer")
    exact = _fixture_stats("prompts/*.txt", cl100k)
    assert exact == TokenStats(n=5, mean=22.6, p50=25, p95=27, max=27, estimated=False)

    claude = parse_tokenizer("claude", file=None, key="tokenizer")
    est = _fixture_stats("prompts/*.txt", claude)
    # ceil(1.2 x [25, 13, 21, 21, 22]) = [30, 16, 26, 26, 27]
    assert est == TokenStats(n=5, mean=25.0, p50=26, p95=30, max=30, estimated=True)


def test_percentiles_are_observed_counts() -> None:
    texts = ["a" + " a" * (k - 1) for k in (1, 2, 3, 10)]  # 1, 2, 3 and 10 tokens
    assert count_tokens(texts, O200K).tolist() == [1, 2, 3, 10]
    stats = measure(texts, O200K)
    # Linear interpolation would give p50 = 2.5 and p95 = 8.95.
    assert (stats.p50, stats.p95, stats.max) == (3, 10, 10)
    assert stats.mean == 4.0


@pytest.mark.parametrize(("mean", "ceil"), [(20.0, 20), (20.0001, 21), (0.5, 1)])
def test_mean_ceil(mean: float, ceil: int) -> None:
    stats = TokenStats(n=1, mean=mean, p50=1, p95=1, max=1, estimated=False)
    assert stats.mean_ceil == ceil


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=30))
def test_stats_are_consistent(texts: list[str]) -> None:
    counts = count_tokens(texts, O200K).tolist()
    stats = measure(texts, O200K)
    assert stats.n == len(texts)
    assert stats.p50 in counts
    assert stats.p95 in counts
    assert stats.max == max(counts)
    assert stats.p50 <= stats.p95 <= stats.max
    assert stats.mean_ceil == math.ceil(Decimal(sum(counts)) / len(counts))


def _corpus(size: int = 400) -> list[str]:
    rng = np.random.default_rng(1234)
    return [" ".join(["word"] * int(k)) for k in rng.integers(1, 200, size=size)]


def test_sampling_is_deterministic_with_a_confidence_interval() -> None:
    texts = _corpus()
    done: list[int] = []
    first = measure(texts, O200K, max_samples=60, seed=7, progress=done.append)
    assert done[-1] == 60  # only the sample was counted
    assert first == measure(texts, O200K, max_samples=60, seed=7)
    assert first != measure(texts, O200K, max_samples=60, seed=8)
    assert first.n == 60
    assert first.sampled_from == 400
    assert first.ci95_mean is not None
    low, high = first.ci95_mean
    assert low < first.mean < high
    true_mean = float(count_tokens(texts, O200K).mean())
    assert low <= true_mean <= high


def test_confidence_interval_formula() -> None:
    texts = _corpus()
    stats = measure(texts, O200K, max_samples=50, seed=3)
    # Recompute independently: the same seeded draw, z = 1.96, finite-population correction.
    picked = np.sort(np.random.default_rng(3).choice(len(texts), size=50, replace=False))
    counts = count_tokens([texts[i] for i in picked], O200K).astype(float)
    half = 1.959964 * counts.std(ddof=1) / math.sqrt(50) * math.sqrt((400 - 50) / (400 - 1))
    assert stats.mean == pytest.approx(counts.mean())
    assert stats.ci95_mean == pytest.approx((counts.mean() - half, counts.mean() + half))


def test_no_sampling_when_everything_fits() -> None:
    texts = _corpus(30)
    full = measure(texts, O200K)
    assert measure(texts, O200K, max_samples=30) == full
    assert measure(texts, O200K, max_samples=1000, seed=5) == full
    assert full.ci95_mean is None
    assert full.sampled_from is None


def test_invalid_measure_arguments() -> None:
    with pytest.raises(InputError, match="at least 2"):
        measure(["a", "b", "c"], O200K, max_samples=1)
    with pytest.raises(ValueError, match="at least one text"):
        measure([], O200K)


def test_measure_sample_propagates_located_errors(workdir: Path) -> None:
    with pytest.raises(InputError) as info:
        measure_sample(
            "prompts/*.txt", O200K, base_dir=workdir, file=workdir / "workload.yaml", key=KEY
        )
    assert info.value.key == KEY_TEXT
    assert "matches no file" in info.value.message
