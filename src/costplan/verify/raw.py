"""Raw input files, read by the checker itself: exact numbers, plain data, bounded.

Contract:

* YAML is composed with PyYAML's safe loader into nodes (nothing is constructed
  from tags); a float scalar becomes a :class:`~fractions.Fraction` parsed from
  its **original text** (``0.15`` is exactly 3/20), an int scalar an ``int``;
  booleans, nulls and strings as YAML 1.1 resolves them; other scalars (dates)
  are kept as their text.
* JSON numbers become ``int`` or ``Fraction`` from their text, likewise.
* Duplicate keys, tags other than plain maps/sequences, aliases expanding to more
  than :data:`MAX_VALUES` values, nesting deeper than :data:`MAX_DEPTH` and files
  above :data:`MAX_BYTES` are refused with :class:`~costplan.errors.InputError`.
* :func:`read_file` returns the bytes' sha256 too, so plans can be matched to the
  exact files they were computed from.

Nothing here is shared with :mod:`costplan.yamlsource`: the checker must not
trust the code whose output it checks. It reads bytes as costplan's I/O guard
does, by its own code: regular files only (a FIFO or device is refused, never
read), opened non-blocking, bytes counted against :data:`MAX_BYTES` as they are
read (``st_size`` is 0 for ``/proc`` files and ``/dev/zero``).

:data:`ON_READ`: callables run with ``(path, what)`` after the regular-file check
and before each file is read. ``costplan verify`` puts the CLI's input
registration there (so that standard output redirected onto a file the checker
reads is refused); the checker itself registers nothing and imports no guard.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import yaml

from costplan.errors import InputError

MAX_BYTES = 512 * 1024 * 1024
MAX_VALUES = 5_000_000
MAX_DEPTH = 64
#: Run before each file is read (see the module docs); empty unless a caller adds one.
ON_READ: list[Callable[[Path, str], None]] = []
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


@dataclass(frozen=True)
class RawFile:
    """A parsed file: plain data (dict/list/str/int/Fraction/bool/None) and its sha256."""

    path: Path
    data: Any
    sha256: str
    raw: bytes


def _not_regular(what: str, mode: int, path: Path) -> InputError:
    kind = next(
        (
            name
            for test, name in (
                (stat.S_ISDIR, "a directory"),
                (stat.S_ISFIFO, "a FIFO (named pipe)"),
                (stat.S_ISCHR, "a character device"),
                (stat.S_ISBLK, "a block device"),
                (stat.S_ISSOCK, "a socket"),
            )
            if test(mode)
        ),
        "not a regular file",
    )
    return InputError(f"{what} is {kind}, expected a regular file", file=path)


def read_bytes(path: Path, what: str) -> bytes:
    try:
        mode = os.stat(path).st_mode
        if not stat.S_ISREG(mode):
            raise _not_regular(what, mode, path)
        for observe in ON_READ:
            observe(path, what)
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        try:
            mode = os.fstat(fd).st_mode
            if not stat.S_ISREG(mode):
                raise _not_regular(what, mode, path)
            chunks, total = [], 0
            while chunk := os.read(fd, min(1 << 20, MAX_BYTES + 1 - total)):
                chunks.append(chunk)
                total += len(chunk)
                if total > MAX_BYTES:
                    raise InputError(f"{what} is larger than {MAX_BYTES:,} bytes", file=path)
            return b"".join(chunks)
        finally:
            os.close(fd)
    except FileNotFoundError:
        raise InputError(f"{what} not found", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror or exc}", file=path) from None


def decode(data: bytes, path: Path, what: str) -> str:
    if b"\x00" in data:
        raise InputError(f"{what} is binary (contains NUL bytes)", file=path)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} is not UTF-8 (byte offset {exc.start})", file=path) from None


def number(text: str) -> int | Fraction:
    """An int, or the exact Fraction of a decimal text (``1e-3``, ``0.15``, ``1_000.5``)."""
    cleaned = text.replace("_", "").strip()
    try:
        return int(cleaned)
    except ValueError:
        return Fraction(cleaned)


def as_number(value: Any) -> Fraction | None:
    """A number field's exact value: an int, a Fraction, or a numeric string; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Fraction):
        return Fraction(value)
    if isinstance(value, str):
        try:
            return Fraction(number(value))
        except (ValueError, ZeroDivisionError):
            return None
    return None


class _Composer:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.values = 0
        self.resolver = yaml.SafeLoader("")

    def fail(self, message: str, node: yaml.Node | None = None) -> InputError:
        line = node.start_mark.line + 1 if node is not None else None
        return InputError(message, file=self.path, line=line)

    def build(self, node: yaml.Node, depth: int) -> Any:
        self.values += 1
        if self.values > MAX_VALUES:
            raise self.fail(f"document expands to more than {MAX_VALUES:,} values", node)
        if depth > MAX_DEPTH:
            raise self.fail(f"document is nested deeper than {MAX_DEPTH} levels", node)
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP:
                raise self.fail(f"unsupported YAML tag {node.tag!r}", node)
            self.resolver.flatten_mapping(node)
            out: dict[Any, Any] = {}
            for k_node, v_node in node.value:
                if not isinstance(k_node, yaml.ScalarNode):
                    raise self.fail("mapping keys must be plain scalars", k_node)
                k = self.scalar(k_node)
                k = k_node.value if isinstance(k, Fraction) else k
                if k in out:
                    raise self.fail(f"duplicate key {k!r}", k_node)
                out[k] = self.build(v_node, depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise self.fail(f"unsupported YAML tag {node.tag!r}", node)
            return [self.build(v, depth + 1) for v in node.value]
        assert isinstance(node, yaml.ScalarNode)
        return self.scalar(node)

    def scalar(self, node: yaml.ScalarNode) -> Any:
        tag, text = node.tag, node.value
        if tag == "tag:yaml.org,2002:str":
            return text
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return text.lower() in ("yes", "true", "on", "y")
        if tag in ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float"):
            if len(text) > 120 or text.lower().lstrip("+-") in (".inf", ".nan"):
                raise self.fail(f"number out of range (got {text!r})", node)
            try:
                if tag == "tag:yaml.org,2002:int" and not text.lstrip("+-").isdigit():
                    # 0x.., 0o.., 1_000 and sexagesimal forms: as YAML 1.1 reads them
                    return self.resolver.construct_yaml_int(node)
                return number(text)
            except (ValueError, ZeroDivisionError):
                raise self.fail(f"unreadable number (got {text!r})", node) from None
        if tag == "tag:yaml.org,2002:timestamp":
            return text
        raise self.fail(f"unsupported YAML tag {tag!r}", node)


def parse_yaml(text: str, path: Path) -> Any:
    try:
        # libyaml's parser where built (the same nodes and marks, several times faster)
        node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputError(
            f"malformed YAML: {exc.problem or exc.context}",
            file=path,
            line=mark.line + 1 if mark else None,
        ) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise InputError(f"malformed YAML: {type(exc).__name__}", file=path) from None
    return None if node is None else _Composer(path).build(node, 0)


def parse_json(text: str, path: Path) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                raise InputError(f"duplicate key {k!r}", file=path)
            out[k] = v
        return out

    def num(text: str) -> int | Fraction:
        if len(text) > 120:
            raise InputError(f"number out of range (got {text[:20]!r}...)", file=path)
        return number(text)

    try:
        return json.loads(text, parse_float=num, parse_int=num, object_pairs_hook=pairs)
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON: {exc.msg}", file=path, line=exc.lineno) from None
    except RecursionError:
        raise InputError("document is nested too deeply", file=path) from None


def read_file(path: Path, what: str) -> RawFile:
    """Read ``path`` (JSON by a ``.json`` suffix, else YAML) exactly (see the module docs)."""
    raw = read_bytes(path, what)
    text = decode(raw, path, what)
    data = parse_json(text, path) if path.suffix.lower() == ".json" else parse_yaml(text, path)
    return RawFile(path, data, hashlib.sha256(raw).hexdigest(), raw)


def parse_bytes(raw: bytes, path: Path, what: str) -> RawFile:
    """Like :func:`read_file` for bytes already in memory (a plan about to be written)."""
    text = decode(raw, path, what)
    data = parse_json(text, path) if path.suffix.lower() == ".json" else parse_yaml(text, path)
    return RawFile(path, data, hashlib.sha256(raw).hexdigest(), raw)
