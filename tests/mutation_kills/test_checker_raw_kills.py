"""Kill tests for costplan/verify/raw.py: the checker's own reading of raw bytes, YAML and JSON.

Oracles: every number is a Fraction written in the test from the decimal text (``0.15`` is
3/20 by hand), YAML 1.1's own readings (``0x1F`` = 31, ``1:30`` = 90 sexagesimal, ``yes`` =
true), sha256 by hashlib on the bytes written, and the documented limits (moved down with
monkeypatch so that the exact boundary is cheap to reach).
"""

from __future__ import annotations

import hashlib
import os
import socket
from fractions import Fraction
from pathlib import Path

import pytest

from costplan.errors import InputError
from costplan.verify import raw

F = Fraction


def _yaml(text: str) -> object:
    return raw.parse_yaml(text, Path("x.yaml"))


def _refused(text: str) -> InputError:
    with pytest.raises(InputError) as info:
        _yaml(text)
    return info.value


# --- number / as_number -------------------------------------------------------------------


def test_number_reads_ints_and_exact_decimals() -> None:
    got = raw.number(" 42 ")
    assert got == 42
    assert type(got) is int
    assert raw.number("1_000") == 1000
    assert type(raw.number("1_000")) is int
    assert raw.number("0.15") == F(3, 20)  # 15/100
    assert raw.number("1_000.5") == F(2001, 2)
    assert raw.number("1e-3") == F(1, 1000)
    assert type(raw.number("2.0")) is Fraction


def test_as_number_accepts_numbers_and_numeric_text_only() -> None:
    assert raw.as_number(True) is None
    assert raw.as_number(False) is None
    assert raw.as_number(3) == F(3)
    assert type(raw.as_number(3)) is Fraction
    assert raw.as_number(F(1, 3)) == F(1, 3)
    assert raw.as_number("0.15") == F(3, 20)
    assert raw.as_number("7") == F(7)
    assert type(raw.as_number("7")) is Fraction
    assert raw.as_number("abc") is None
    assert raw.as_number("1/0") is None  # ZeroDivisionError
    assert raw.as_number(1.5) is None  # binary floats are never numbers here
    assert raw.as_number(None) is None
    assert raw.as_number([1]) is None


# --- YAML scalars ---------------------------------------------------------------------------


def test_yaml_scalars_by_their_tags() -> None:
    doc = _yaml(
        "f: 0.15\ni: 12\nneg: -3\nhex: 0x1F\nund: 1_000\nsex: '1:30'\nsexi: 1:30\n"
        "t: yes\nT: True\no: on\ny: y\nn: no\nof: off\nnul: ~\nnul2: null\n"
        "d: 2024-01-02\ns: hello\nexp: 1.5e+3\nplus: +7\n"
    )
    assert doc == {
        "f": F(3, 20),
        "i": 12,
        "neg": -3,
        "hex": 31,  # 1 x 16 + 15
        "und": 1000,
        "sex": "1:30",  # quoted: a string
        "sexi": 90,  # YAML 1.1 base 60: 1 x 60 + 30
        "t": True,
        "T": True,
        "o": True,
        "y": "y",  # PyYAML resolves only yes/true/on as true (y stays a string)
        "n": False,
        "of": False,
        "nul": None,
        "nul2": None,
        "d": "2024-01-02",  # a timestamp kept as its text
        "s": "hello",
        "exp": F(1500),
        "plus": 7,
    }
    assert type(doc["i"]) is int
    assert type(doc["f"]) is Fraction
    assert doc["t"] is True
    assert doc["n"] is False


def test_yaml_bool_words_each_way() -> None:
    doc = _yaml("a: YES\nb: On\nc: TRUE\nd: No\ne: OFF\nf: false\n")
    assert doc == {"a": True, "b": True, "c": True, "d": False, "e": False, "f": False}


def test_float_keys_keep_their_text_and_int_keys_stay_ints() -> None:
    doc = _yaml("1.50: a\n2: b\n")
    assert doc == {"1.50": "a", 2: "b"}


def test_numbers_out_of_range_or_infinite_are_refused_with_their_line() -> None:
    long_ok = "1" * 120
    assert _yaml(f"a: {long_ok}\n") == {"a": int(long_ok)}
    err = _refused("a: 1\nb: " + "1" * 121 + "\n")
    assert err.message.startswith("number out of range (got '111")
    assert err.line == 2
    assert err.file == "x.yaml"
    for text in (".inf", "-.inf", "+.INF", ".nan", ".NaN"):
        err = _refused(f"x: {text}\n")
        assert err.message == f"number out of range (got {text!r})", text
        assert err.line == 1


def test_merge_keys_are_flattened() -> None:
    doc = _yaml("base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  z: 3\n")
    assert doc == {"base": {"x": 1, "y": 2}, "c": {"x": 1, "y": 2, "z": 3}}
    # a key given again beside the merge is a duplicate after flattening: refused
    assert _refused("b: &b {x: 1}\nc:\n  <<: *b\n  x: 3\n").message == "duplicate key 'x'"


def test_duplicate_keys_refused_with_the_keys_line() -> None:
    err = _refused("a: 1\nb: 2\na: 3\n")
    assert err.message == "duplicate key 'a'"
    assert err.line == 3


def test_duplicate_float_key_texts_refused() -> None:
    err = _refused("1.5: a\n1.5: b\n")
    assert err.message == "duplicate key '1.5'"
    assert err.line == 2


def test_non_scalar_keys_and_tags_refused() -> None:
    err = _refused("? [1, 2]\n: x\n")
    assert err.message == "mapping keys must be plain scalars"
    assert err.line == 1
    err = _refused("a: 1\nb: !!set {x, y}\n")
    assert err.message == "unsupported YAML tag 'tag:yaml.org,2002:set'"
    assert err.line == 2
    err = _refused("a: !!omap [{x: 1}]\n")
    assert err.message == "unsupported YAML tag 'tag:yaml.org,2002:omap'"
    err = _refused("a: !!binary aGk=\n")
    assert err.message == "unsupported YAML tag 'tag:yaml.org,2002:binary'"
    assert err.line == 1
    err = _refused("a: !custom 3\n")
    assert err.message == "unsupported YAML tag '!custom'"


def test_sequences_and_empty_documents() -> None:
    assert _yaml("- 1\n- [0.5, x]\n- {a: ~}\n") == [1, [F(1, 2), "x"], {"a": None}]
    assert _yaml("") is None
    assert _yaml("# only a comment\n") is None


def test_depth_limit_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(raw, "MAX_DEPTH", 3)
    # depth of the innermost scalar: the top map 0, a 1, b 2, c 3
    assert _yaml("a: {b: {c: 1}}\n") == {"a": {"b": {"c": 1}}}
    err = _refused("a: {b: {c: {d: 1}}}\n")
    assert err.message == "document is nested deeper than 3 levels"
    assert err.line == 1


def test_default_depth_limit_is_64() -> None:
    ok = "[" * 64 + "]" * 64  # the innermost list sits at depth 63
    assert _yaml(ok) is not None
    deep = "[" * 65 + "1" + "]" * 65  # the scalar at depth 65
    err = _refused(deep)
    assert err.message == "document is nested deeper than 64 levels"


def test_value_limit_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(raw, "MAX_VALUES", 4)
    # values counted: the list, then 1, 2, 3 = 4
    assert _yaml("[1, 2, 3]\n") == [1, 2, 3]
    err = _refused("[1, 2, 3, 4]\n")
    assert err.message == "document expands to more than 4 values"


def test_aliases_count_every_expanded_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(raw, "MAX_VALUES", 10)
    # a: the map 1 + list 1 + 3 = 5, then b: list 1 + the alias expanded 4 = 10 -> fits
    assert _yaml("a: &x [1, 2, 3]\nb: [*x]\n") == {"a": [1, 2, 3], "b": [[1, 2, 3]]}
    err = _refused("a: &x [1, 2, 3]\nb: [*x, 4]\n")  # 11
    assert err.message == "document expands to more than 10 values"
    assert err.line == 2


def test_malformed_yaml_names_its_line() -> None:
    err = _refused("a: 1\nb: [1, 2\nc: 3\n")
    assert err.message.startswith("malformed YAML: ")
    assert err.line is not None
    assert err.line >= 2
    err = _refused("a: 1\n  b: 2\n")
    assert err.message == "malformed YAML: mapping values are not allowed in this context"
    assert err.line == 2


# --- JSON -------------------------------------------------------------------------------------


def test_json_numbers_exact_and_keys_unique() -> None:
    p = Path("x.json")
    doc = raw.parse_json('{"a": 0.15, "b": 3, "c": [1e2, -0.5], "d": true, "e": null}', p)
    assert doc == {"a": F(3, 20), "b": 3, "c": [F(100), F(-1, 2)], "d": True, "e": None}
    assert type(doc["b"]) is int
    with pytest.raises(InputError) as info:
        raw.parse_json('{"a": 1,\n "a": 2}', p)
    assert info.value.message == "duplicate key 'a'"
    assert info.value.file == "x.json"
    assert raw.parse_json("1" * 120, p) == int("1" * 120)
    with pytest.raises(InputError) as info:
        raw.parse_json("1" * 121, p)
    assert info.value.message == "number out of range (got '11111111111111111111'...)"
    with pytest.raises(InputError) as info:
        raw.parse_json('{"a": 1,\n\n "b": }', p)
    assert info.value.message == "malformed JSON: Expecting value"
    assert info.value.line == 3


def test_json_nesting_too_deep() -> None:
    with pytest.raises(InputError) as info:
        raw.parse_json("[" * 200_000 + "]" * 200_000, Path("x.json"))
    assert info.value.message == "document is nested too deeply"


# --- bytes, decoding, files ---------------------------------------------------------------------


def test_decode_strips_a_bom_and_refuses_nul_and_bad_utf8() -> None:
    p = Path("f")
    assert raw.decode("\ufeffa: 1".encode(), p, "sheet") == "a: 1"
    assert raw.decode("é".encode(), p, "sheet") == "é"
    with pytest.raises(InputError) as info:
        raw.decode(b"a\x00b", p, "sheet")
    assert info.value.message == "sheet is binary (contains NUL bytes)"
    with pytest.raises(InputError) as info:
        raw.decode(b"ab\xff", p, "sheet")
    assert info.value.message == "sheet is not UTF-8 (byte offset 2)"


def test_read_file_json_by_suffix_else_yaml(tmp_path: Path) -> None:
    body = b'{"a": 0.25}'
    j = tmp_path / "p.JSON"
    j.write_bytes(body)
    got = raw.read_file(j, "plan")
    assert got.data == {"a": F(1, 4)}
    assert got.raw == body
    assert got.path == j
    assert got.sha256 == hashlib.sha256(body).hexdigest()
    y = tmp_path / "p.yaml"
    y.write_bytes(b"a: 0.25  # comment\n")
    assert raw.read_file(y, "plan").data == {"a": F(1, 4)}
    # a .yml file holding JSON-only syntax that YAML reads differently: YAML reads 1e2 as text
    t = tmp_path / "p.txt"
    t.write_bytes(b'{"a": 1e2}')
    assert raw.read_file(t, "plan").data == {"a": "1e2"}
    assert raw.parse_bytes(b'{"a": 1e2}', Path("q.json"), "plan").data == {"a": F(100)}
    pb = raw.parse_bytes(b"a: 0.5\n", Path("q.yaml"), "plan")
    assert pb.data == {"a": F(1, 2)}
    assert pb.sha256 == hashlib.sha256(b"a: 0.5\n").hexdigest()
    assert pb.raw == b"a: 0.5\n"
    assert pb.path == Path("q.yaml")


def test_read_bytes_limit_exactly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(raw, "MAX_BYTES", 10)
    ok = tmp_path / "ok"
    ok.write_bytes(b"0123456789")
    assert raw.read_bytes(ok, "sheet") == b"0123456789"
    big = tmp_path / "big"
    big.write_bytes(b"0123456789A")
    with pytest.raises(InputError) as info:
        raw.read_bytes(big, "sheet")
    assert info.value.message == "sheet is larger than 10 bytes"


def test_read_bytes_reads_past_one_chunk(tmp_path: Path) -> None:
    body = bytes(range(256)) * 9000  # 2,304,000 bytes: three 1 MiB reads
    p = tmp_path / "big.bin"
    p.write_bytes(body)
    assert raw.read_bytes(p, "file") == body


def test_read_bytes_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        raw.read_bytes(tmp_path, "price sheet")
    assert info.value.message == "price sheet is a directory, expected a regular file"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputError) as info:
        raw.read_bytes(fifo, "price sheet")
    assert info.value.message == "price sheet is a FIFO (named pipe), expected a regular file"
    with pytest.raises(InputError) as info:
        raw.read_bytes(Path("/dev/null"), "plan")
    assert info.value.message == "plan is a character device, expected a regular file"
    sock_path = tmp_path / "s"
    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(str(sock_path))
        with pytest.raises(InputError) as info:
            raw.read_bytes(sock_path, "plan")
        assert info.value.message == "plan is a socket, expected a regular file"
    finally:
        s.close()
    with pytest.raises(InputError) as info:
        raw.read_bytes(tmp_path / "missing", "plan")
    assert info.value.message == "plan not found"
    assert info.value.file == str(tmp_path / "missing")
    with pytest.raises(InputError) as info:
        raw.read_bytes(tmp_path / "missing" / "x", "plan")
    assert info.value.message == "plan not found"
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError) as info:
        raw.read_bytes(tmp_path / "file" / "x", "plan")
    assert info.value.message == "cannot read plan: Not a directory"


def test_not_regular_names_each_kind() -> None:
    import stat

    p = Path("z")
    for mode, kind in ((stat.S_IFBLK, "a block device"), (stat.S_IFCHR, "a character device"),
                       (stat.S_IFDIR, "a directory"), (stat.S_IFIFO, "a FIFO (named pipe)"),
                       (stat.S_IFSOCK, "a socket"), (0, "not a regular file")):  # fmt: skip
        err = raw._not_regular("sheet", mode, p)
        assert err.message == f"sheet is {kind}, expected a regular file"
        assert err.file == "z"


def test_on_read_hooks_run_before_the_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[Path, str]] = []
    monkeypatch.setattr(raw, "ON_READ", [lambda p, w: seen.append((p, w))])
    p = tmp_path / "a.yaml"
    p.write_text("a: 1\n")
    assert raw.read_file(p, "sheet").data == {"a": 1}
    assert seen == [(p, "sheet")]

    def refuse(path: Path, what: str) -> None:
        raise InputError(f"{what} refused", file=path)

    monkeypatch.setattr(raw, "ON_READ", [refuse])
    with pytest.raises(InputError) as info:
        raw.read_bytes(p, "sheet")
    assert info.value.message == "sheet refused"
    # not run for what is not a regular file
    seen.clear()
    monkeypatch.setattr(raw, "ON_READ", [lambda p, w: seen.append((p, w))])
    with pytest.raises(InputError):
        raw.read_bytes(tmp_path, "sheet")
    assert seen == []
