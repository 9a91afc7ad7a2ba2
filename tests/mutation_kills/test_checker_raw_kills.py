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
from typing import Any

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


# --- after the first mutation run: each error names its file; reads bounded ------------------


def test_every_error_names_its_file(tmp_path: Path) -> None:
    p = Path("sheet.yaml")
    for data in (b"a\x00", b"\xff"):
        with pytest.raises(InputError) as info:
            raw.decode(data, p, "sheet")
        assert info.value.file == "sheet.yaml"
    j = Path("plan.json")
    for text in ("1" * 121, "{", "[" * 200_000 + "]" * 200_000):
        with pytest.raises(InputError) as info:
            raw.parse_json(text, j)
        assert info.value.file == "plan.json", text[:5]
    for text in ("a: [1\n", "a: \x01\n", "a: !!set {x}\n", "a: 1:30.5\n"):
        with pytest.raises(InputError) as info:
            raw.parse_yaml(text, p)
        assert info.value.file == "sheet.yaml", text
    for name, body in (("bad.json", b"{"), ("bad.yaml", b"a: [1\n"), ("nul.yaml", b"\x00")):
        f = tmp_path / name
        f.write_bytes(body)
        with pytest.raises(InputError) as info:
            raw.read_file(f, "plan")
        assert info.value.file == str(f), name
        if name == "nul.yaml":
            assert info.value.message == "plan is binary (contains NUL bytes)"
        with pytest.raises(InputError) as info:
            raw.parse_bytes(body, f, "plan")
        assert info.value.file == str(f), name
        if name == "nul.yaml":
            assert info.value.message == "plan is binary (contains NUL bytes)"


def test_yaml_reader_errors_and_unreadable_numbers() -> None:
    err = _refused("a: 1\nb: \x01\n")
    assert err.message == "malformed YAML: ReaderError"
    err = _refused("a: 1\nb: 1:30.5\n")  # a YAML 1.1 sexagesimal float: no exact reading here
    assert err.message == "unreadable number (got '1:30.5')"
    assert err.line == 2
    err = _refused("a: 1\nb: !!omap [{x: 1}]\n")
    assert err.line == 2


def test_signed_and_underscored_numbers_read_like_unsigned_ones() -> None:
    # "0777" is read as decimal digits (int()), and a sign does not change that reading
    assert _yaml("a: -0777\nb: 0777\nc: +010\n") == {"a": -777, "b": 777, "c": 10}
    assert raw.number("1__000") == 1000  # underscores dropped before int()/Fraction()
    assert raw.number("1__000.5") == F(2001, 2)
    assert raw.as_number("2__5") == F(25)


def test_json_suffix_decides_json(tmp_path: Path) -> None:
    # 1e2 is 100 to JSON and the text "1e2" to YAML 1.1 (its floats need a dot)
    for name in ("p.json", "p.JSON"):
        j = tmp_path / name
        j.write_bytes(b'{"a": 1e2}')
        assert raw.read_file(j, "plan").data == {"a": F(100)}
        assert raw.parse_bytes(b'{"a": 1e2}', j, "plan").data == {"a": F(100)}
    y = tmp_path / "p.yaml"
    y.write_bytes(b'{"a": 1e2}')
    assert raw.read_file(y, "plan").data == {"a": "1e2"}
    assert raw.parse_bytes(b'{"a": 1e2}', y, "plan").data == {"a": "1e2"}


class _Os:
    """``os`` as raw.py sees it, with some functions replaced."""

    def __init__(self, **replaced: Any) -> None:
        self.replaced = replaced

    def __getattr__(self, name: str) -> Any:
        return self.replaced.get(name) or getattr(os, name)


def test_opened_non_blocking_and_rechecked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import stat

    p = tmp_path / "a.yaml"
    p.write_text("a: 1\n")
    flags: list[int] = []
    real_open = os.open

    def spy(path: Path, f: int, *args: int) -> int:
        flags.append(f)
        return real_open(path, f, *args)

    monkeypatch.setattr(raw, "os", _Os(open=spy))
    assert raw.read_bytes(p, "sheet") == b"a: 1\n"
    assert flags == [os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC]
    monkeypatch.undo()

    class FifoStat:
        st_mode = stat.S_IFIFO

    # a FIFO swapped in between the stat and the open: refused by the fstat of the open file
    monkeypatch.setattr(raw, "os", _Os(fstat=lambda _fd: FifoStat()))
    with pytest.raises(InputError) as info:
        raw.read_bytes(p, "sheet")
    assert info.value.message == "sheet is a FIFO (named pipe), expected a regular file"
    assert info.value.file == str(p)


def test_reads_never_ask_past_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(raw, "MAX_BYTES", 10)
    asked: list[int] = []
    real_read = os.read

    def spy(fd: int, n: int) -> bytes:
        asked.append(n)
        return real_read(fd, n)

    monkeypatch.setattr(raw, "os", _Os(read=spy))
    p = tmp_path / "five"
    p.write_bytes(b"01234")
    assert raw.read_bytes(p, "sheet") == b"01234"
    assert asked == [11, 6]  # 10 + 1 - 0, then 10 + 1 - 5
    asked.clear()
    p.write_bytes(b"0" * 30)
    with pytest.raises(InputError) as info:
        raw.read_bytes(p, "sheet")
    assert asked == [11]
    assert info.value.file == str(p)


def test_the_limit_counts_every_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(raw, "MAX_BYTES", 2 << 20)  # 2 MiB: read in 1 MiB chunks
    p = tmp_path / "big"
    p.write_bytes(b"0" * ((2 << 20) + 1))
    with pytest.raises(InputError) as info:
        raw.read_bytes(p, "sheet")
    assert info.value.message == "sheet is larger than 2,097,152 bytes"
    p.write_bytes(b"0" * (2 << 20))
    assert len(raw.read_bytes(p, "sheet")) == 2 << 20


def test_unreadable_file_names_it(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError) as info:
        raw.read_bytes(tmp_path / "file" / "x", "plan")
    assert info.value.file == str(tmp_path / "file" / "x")
    with pytest.raises(InputError) as info:
        raw.read_bytes(tmp_path, "plan")
    assert info.value.file == str(tmp_path)
