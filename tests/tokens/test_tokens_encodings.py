"""Bundled encodings: exact counts, equality with tiktoken, offline, integrity."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from costplan.errors import InputError, InternalError
from costplan.tokens import encodings
from costplan.tokens.encodings import ENCODINGS, build_encoding, get_encoding

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "src" / "costplan" / "tokens" / "data"

# English, code, emoji (incl. a ZWJ sequence), accents and Chinese.
MULTILINGUAL = (
    "The quick brown fox jumps over the lazy dog. Tokenization isn't free!\n"
    "def add(a: int, b: int) -> int:\n    return a + b  # 42\n"
    "Emoji: 🦊🚀👩‍💻 and accents: café, naïve.\n"
    "中文：今天天气很好，我们去公园散步吧。\n"  # noqa: RUF001 (full-width punctuation on purpose)
)

# Computed once with tiktoken 0.14's own tiktoken.get_encoding(...) (offline, via a
# pre-seeded cache; see test_identical_to_tiktoken_get_encoding) and pinned here.
PINNED_COUNTS = {"o200k_base": 72, "cl100k_base": 85}
PINNED_FIRST_IDS = {
    "o200k_base": [976, 4853, 19705, 68347, 65613, 1072, 290, 29082, 6446, 13, 17951, 2860],
    "cl100k_base": [791, 4062, 14198, 39935, 35308, 927, 279, 16053, 5679, 13, 9857, 2065],
}
# "<|endoftext|>" is counted as the ordinary text it is, never as 1 special token.
PINNED_SPECIAL_AS_TEXT = {"o200k_base": 7, "cl100k_base": 7}

TIKTOKEN_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"

# Makes every socket connection and DNS lookup fail in a child interpreter.
NETWORK_GUARD = textwrap.dedent(
    """
    import socket

    def _no_network(*args, **kwargs):
        raise OSError("network access attempted in an offline test")

    socket.socket.connect = _no_network
    socket.socket.connect_ex = _no_network
    socket.create_connection = _no_network
    socket.getaddrinfo = _no_network
    """
)


def _offline_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a child with an unreachable proxy and a socket guard."""
    guard_dir = tmp_path / "guard"
    guard_dir.mkdir()
    (guard_dir / "sitecustomize.py").write_text(NETWORK_GUARD, encoding="utf-8")
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    env = dict(os.environ)
    env.update(
        HTTP_PROXY="http://127.0.0.1:9",
        HTTPS_PROXY="http://127.0.0.1:9",
        http_proxy="http://127.0.0.1:9",
        https_proxy="http://127.0.0.1:9",
        TIKTOKEN_CACHE_DIR=str(cache),
        PYTHONPATH=os.pathsep.join([str(guard_dir), str(REPO / "src")]),
    )
    env.pop("DATA_GYM_CACHE_DIR", None)
    return env


def _run(code: str, env: dict[str, str]) -> dict[str, object]:
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_pinned_token_counts(name: str) -> None:
    enc = get_encoding(name)
    ids = enc.encode_ordinary(MULTILINGUAL)
    assert len(ids) == PINNED_COUNTS[name]
    assert ids[:12] == PINNED_FIRST_IDS[name]
    assert enc.decode(ids) == MULTILINGUAL
    assert len(enc.encode_ordinary("<|endoftext|>")) == PINNED_SPECIAL_AS_TEXT[name]


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_bundled_file_matches_pinned_hash_and_tiktoken_expected_hash(name: str) -> None:
    digest = hashlib.sha256((DATA / f"{name}.tiktoken").read_bytes()).hexdigest()
    assert digest == ENCODINGS[name].sha256
    # tiktoken_ext.openai_public's expected_hash (read as source: calling it downloads).
    spec = importlib.util.find_spec("tiktoken_ext.openai_public")
    assert spec is not None
    assert spec.origin is not None
    source = Path(spec.origin).read_text(encoding="utf-8")
    assert f'expected_hash="{digest}"' in source


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_ranks_equal_an_independent_reparse_of_the_file(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tiktoken.load import load_tiktoken_bpe

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")  # "" = read the local path, cache nothing
    reference = load_tiktoken_bpe(str(DATA / f"{name}.tiktoken"), ENCODINGS[name].sha256)
    definition = ENCODINGS[name]
    assert encodings.load_mergeable_ranks(definition) == reference
    enc = get_encoding(name)
    specials = set(definition.special_tokens.values())
    assert not specials & set(reference.values())
    assert enc.n_vocab == max(specials) + 1
    for token in ("hello", " world", "中文", "🦊"):
        ids = enc.encode_ordinary(token)
        assert b"".join(enc.decode_single_token_bytes(i) for i in ids) == token.encode("utf-8")


def test_identical_to_tiktoken_get_encoding(tmp_path: Path) -> None:
    """tiktoken's own get_encoding, fed from a pre-seeded cache, equals ours.

    tiktoken caches downloads under sha1(url) and re-checks the pinned hash, so
    seeding its cache with the bundled files lets it run with the network off.
    """
    env = _offline_env(tmp_path)
    cache = Path(env["TIKTOKEN_CACHE_DIR"])
    for name in ENCODINGS:
        url = TIKTOKEN_URL.format(name=name)
        key = hashlib.sha1(url.encode()).hexdigest()
        (cache / key).write_bytes((DATA / f"{name}.tiktoken").read_bytes())
    samples = [MULTILINGUAL, "<|endoftext|> x <|endofprompt|>", "  \n\n\t  spaces ", "ÿ" * 50]
    code = f"""
        import json, tiktoken
        from costplan.tokens.encodings import get_encoding
        samples = {samples!r}
        out = {{}}
        for name in ("o200k_base", "cl100k_base"):
            ref, ours = tiktoken.get_encoding(name), get_encoding(name)
            out[name] = {{
                "same_ids": [ref.encode_ordinary(s) == ours.encode_ordinary(s) for s in samples],
                "same_pattern": ref._pat_str == ours._pat_str,
                "same_specials": ref._special_tokens == ours._special_tokens,
                "count": len(ref.encode_ordinary(samples[0])),
            }}
        print(json.dumps(out))
    """
    result = _run(code, env)
    for name, expected in PINNED_COUNTS.items():
        assert result[name] == {
            "same_ids": [True] * len(samples),
            "same_pattern": True,
            "same_specials": True,
            "count": expected,
        }


def test_builds_and_counts_fully_offline(tmp_path: Path) -> None:
    env = _offline_env(tmp_path)
    code = """
        import json, socket
        try:
            socket.create_connection(("example.com", 80))
            guard = False
        except OSError:
            guard = True
        from costplan.tokens import TokenizerSpec, count_tokens, get_encoding
        counts = {
            name: int(count_tokens([TEXT], TokenizerSpec.exact(name))[0])
            for name in ("o200k_base", "cl100k_base")
        }
        print(json.dumps({"guard": guard, "counts": counts}))
    """.replace("TEXT", repr(MULTILINGUAL))
    result = _run(code, env)
    assert result == {"guard": True, "counts": PINNED_COUNTS}
    assert list(Path(env["TIKTOKEN_CACHE_DIR"]).iterdir()) == []  # nothing fetched or cached


def test_import_does_not_import_tiktoken() -> None:
    code = """
        import json, sys
        import costplan.tokens
        from costplan.tokens import FAMILY_FACTORS, TokenizerSpec, parse_tokenizer
        import costplan.tokens.tokenizer, costplan.tokens.encodings
        print(json.dumps({"tiktoken": "tiktoken" in sys.modules, "numpy": "numpy" in sys.modules}))
    """
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    assert _run(code, env) == {"tiktoken": False, "numpy": False}


def test_get_encoding_is_cached() -> None:
    assert get_encoding("o200k_base") is get_encoding("o200k_base")
    assert get_encoding("o200k_base") is not get_encoding("cl100k_base")


def test_unknown_encoding_lists_known_ones() -> None:
    with pytest.raises(InputError) as info:
        get_encoding("p50k_base")
    message = str(info.value)
    assert "unknown encoding" in message
    assert "'p50k_base'" in message
    assert "o200k_base" in message
    assert "cl100k_base" in message


def _corrupt(filename: str) -> bytes:
    data = bytearray((DATA / filename).read_bytes())
    data[100] ^= 0x01  # one flipped bit
    return bytes(data)


def test_corrupt_bundled_data_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encodings, "_read_data", _corrupt)
    with pytest.raises(InternalError) as info:
        build_encoding(ENCODINGS["cl100k_base"])
    message = str(info.value)
    assert "corrupt" in message
    assert ENCODINGS["cl100k_base"].sha256 in message
    assert "cl100k_base.tiktoken" in message
    assert info.value.exit_code == 4


def test_get_encoding_verifies_before_use(monkeypatch: pytest.MonkeyPatch) -> None:
    # A fresh cache, so get_encoding really loads (the module's cache is restored after).
    fresh = functools.cache(lambda name: build_encoding(ENCODINGS[name]))
    monkeypatch.setattr(encodings, "_cached_encoding", fresh)
    monkeypatch.setattr(encodings, "_read_data", _corrupt)
    with pytest.raises(InternalError, match="sha256"):
        get_encoding("o200k_base")


def test_missing_bundled_data_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing(filename: str) -> bytes:
        raise FileNotFoundError(2, "No such file or directory", filename)

    monkeypatch.setattr(encodings, "_read_data", missing)
    with pytest.raises(InternalError, match="missing or unreadable"):
        encodings.load_mergeable_ranks(ENCODINGS["o200k_base"])
