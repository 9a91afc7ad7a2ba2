"""Safe YAML/JSON loading that remembers where every value came from.

Contract:

* Only YAML's safe schema is understood: no tags that construct Python objects.
* Floats are parsed as :class:`decimal.Decimal` from their source text, so that
  ``0.15`` stays exactly 0.15 (money is exact in costplan).
* Duplicate mapping keys are an error (PyYAML silently keeps the last one).
* Alias expansion is bounded ("billion laughs"), and so are nesting depth and
  file size (bytes actually read, through :mod:`costplan.safeio`: regular files
  only), so hostile files fail fast with a clear message. A repeated alias
  is sized before it is expanded, so a bomb fails in milliseconds.
* Numbers are bounded: an integer or decimal whose magnitude is at least
  ``10**MAX_EXPONENT`` (or, non-zero, below ``10**-MAX_EXPONENT``) is an error,
  so ``1.0e+999999999`` cannot stall a later integer conversion; no costplan
  value comes near the bound.
* JSON gets the same guarantees: duplicate keys, bounded numbers and depth.
* Every value's key path maps to the 1-based line where it starts, so that
  validation errors can name the line.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from costplan.errors import InputError
from costplan.numbers import MAX_EXPONENT, RANGE, magnitude_problem
from costplan.safeio import read_input

KeyPath = tuple[str | int, ...]

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_NODES = 2_000_000  # after alias expansion
MAX_ALIAS_VALUES = 100_000  # values produced by expanding aliases (anchors reused)
MAX_DEPTH = 64
_COLLECTION_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_MERGE_TAG = "tag:yaml.org,2002:merge"
# YAML 1.2 reads `1e6` as a number; PyYAML (YAML 1.1) as text. costplan follows 1.2.
# What PyYAML's pure reader refuses ("unacceptable character"); such text takes its path.
_NON_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE
_EXPONENT_FLOAT = re.compile(r"[-+]?(\d[\d_]*)(\.[\d_]*)?[eE][-+]?\d+")


@dataclass(frozen=True)
class SourceDocument:
    """A parsed document: plain data (dict/list/str/int/Decimal/bool/None/date)
    plus the line of every key path, the file's path and its sha256."""

    path: Path
    data: Any
    sha256: str
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, key: Sequence[str | int]) -> int | None:
        """Line of ``key``, or of its nearest ancestor that has one."""
        path = tuple(key)
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]

    def error(
        self, message: str, key: Sequence[str | int], value: Any = None, *, hint: str | None = None
    ) -> InputError:
        """An :class:`InputError` located at ``key`` in this document."""
        kwargs: dict[str, Any] = {}
        if value is not None:
            kwargs["value"] = value
        return InputError(
            message, file=self.path, line=self.line_of(key), key=key or None, hint=hint, **kwargs
        )


def read_bytes(path: Path, *, what: str) -> bytes:
    """Read a whole input file through the guard (:func:`costplan.safeio.read_input`):
    regular files only, at most :data:`MAX_FILE_BYTES` bytes actually read."""
    return read_input(path, what=what, limit=MAX_FILE_BYTES)


def _decode(raw: bytes, path: Path, what: str) -> str:
    if b"\x00" in raw:
        raise InputError(f"{what} is binary (contains NUL bytes), expected text", file=path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"{what} is not valid UTF-8 (byte offset {exc.start})", file=path, line=line
        ) from exc


def number_problem(value: Any) -> str | None:
    """Why ``value`` (a parsed int/Decimal/float) is out of costplan's range, or None."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | float):
        return None
    return magnitude_problem(Decimal(value) if isinstance(value, float) else value)


def _number_error(problem: str, value: Any, path: Path, line: int | None) -> InputError:
    text = str(value)
    shown = text if len(text) <= 40 else text[:20] + "..." + text[-10:]
    return InputError(
        f"{problem} (got {shown}); {RANGE}",
        file=path,
        line=line,
    )


#: An integer in decimal notation (``_`` may group digits); YAML 1.1 also reads
#: ``0x1F`` (hex), ``017`` and ``0o17`` (octal), ``0b101`` and ``20:00`` (base 60).
_DECIMAL_INT = re.compile(r"[-+]?(0|[1-9][0-9_]*)")


def _notation_error(text: str, path: Path, line: int | None) -> InputError:
    """A YAML 1.1 integer not in decimal notation: refused, not silently converted."""
    bare = text.lstrip("+-").replace("_", "").lower()
    base = (
        "base 60"
        if ":" in bare
        else "hexadecimal"
        if bare.startswith("0x")
        else "binary"
        if bare.startswith("0b")
        else "octal"
    )
    return InputError(
        f"number is not in decimal notation: YAML reads {text} as "
        f"{'an' if base == 'octal' else 'a'} {base} number",
        file=path,
        line=line,
        hint="write it in decimal digits, or quote it if it is text",
    )


class _Builder:
    """Turns a composed YAML node graph into data, bounding expansion."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.nodes = 0
        self.lines: dict[KeyPath, int] = {}
        self._constructor = yaml.SafeLoader("")
        # Values each already-built collection node expands to: an alias is the same
        # node seen again, and is sized before it is expanded (bombs fail fast).
        self._sizes: dict[int, int] = {}
        self.alias_values = 0

    def build(self, node: yaml.Node, key: KeyPath, depth: int) -> Any:
        size = self._sizes.get(id(node))
        if size is not None:  # an alias: the node was built before
            self.alias_values += size
            if self.alias_values > MAX_ALIAS_VALUES:
                raise InputError(
                    f"aliases expand to more than {MAX_ALIAS_VALUES} values (alias bomb?)",
                    file=self.path,
                    line=node.start_mark.line + 1,
                )
        start = self.nodes
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise InputError(
                f"document expands to more than {MAX_NODES} values (alias bomb?)",
                file=self.path,
                line=node.start_mark.line + 1,
            )
        data = self._build(node, key, depth)
        if not isinstance(node, yaml.ScalarNode):
            self._sizes[id(node)] = self.nodes - start
        return data

    def _build(self, node: yaml.Node, key: KeyPath, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise InputError(
                f"document is nested deeper than {MAX_DEPTH} levels",
                file=self.path,
                line=node.start_mark.line + 1,
            )
        self.lines.setdefault(key, node.start_mark.line + 1)
        if not isinstance(node, yaml.ScalarNode) and node.tag not in _COLLECTION_TAGS:
            raise InputError(
                f"unsupported YAML tag {node.tag!r}: only plain data is allowed",
                file=self.path,
                line=node.start_mark.line + 1,
            )
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, key, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(v, (*key, i), depth + 1) for i, v in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self._scalar(node)

    def _key(self, k_node: yaml.Node) -> Any:
        if not isinstance(k_node, yaml.ScalarNode):
            raise InputError(
                "mapping keys must be plain scalars",
                file=self.path,
                line=k_node.start_mark.line + 1,
            )
        k = self._scalar(k_node)
        return str(k_node.value) if isinstance(k, Decimal | float) else k

    def _mapping(self, node: yaml.MappingNode, key: KeyPath, depth: int) -> dict[Any, Any]:
        """A mapping; merge keys (``<<: *base``) as YAML defines them.

        Explicit keys win over merged ones, and of several merged mappings
        (``<<: [*a, *b]``) the earlier wins. A key written twice explicitly is
        an error. A merged value keeps the line where the anchor wrote it.
        """
        explicit: dict[Any, Any] = {}
        sources: list[yaml.Node] = []
        for k_node, v_node in node.value:
            if k_node.tag == _MERGE_TAG:
                merged = v_node.value if isinstance(v_node, yaml.SequenceNode) else [v_node]
                if not merged or not all(isinstance(m, yaml.MappingNode) for m in merged):
                    raise InputError(
                        "a merge key '<<' takes a mapping or a list of mappings (e.g. <<: *base)",
                        file=self.path,
                        line=k_node.start_mark.line + 1,
                        key=key or None,
                    )
                sources.extend(merged)
                continue
            k = self._key(k_node)
            if k in explicit:
                raise InputError(
                    f"duplicate key {k!r}",
                    file=self.path,
                    line=k_node.start_mark.line + 1,
                    key=key or None,
                )
            self.lines[(*key, k)] = k_node.start_mark.line + 1
            explicit[k] = self.build(v_node, (*key, k), depth + 1)
        if not sources:
            return explicit
        merged_out: dict[Any, Any] = {}
        for source in sources:
            own, self.lines = self.lines, {}
            try:
                data = self.build(source, key, depth)
            finally:
                source_lines, self.lines = self.lines, own
            taken = {k for k in data if k not in explicit and k not in merged_out}
            for path, line in source_lines.items():
                if len(path) > len(key) and path[len(key)] in taken:
                    self.lines.setdefault(path, line)
            merged_out.update((k, data[k]) for k in data if k in taken)
        return {**merged_out, **explicit}

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        line = node.start_mark.line + 1
        if (
            node.tag == "tag:yaml.org,2002:str"
            and not node.style  # plain: None from PyYAML's parser, '' from libyaml's
            and _EXPONENT_FLOAT.fullmatch(node.value)
        ):
            node = yaml.ScalarNode("tag:yaml.org,2002:float", node.value, node.start_mark)
        if node.tag == "tag:yaml.org,2002:float":
            text = node.value.replace("_", "")
            low = text.lower()
            if low in (".inf", "+.inf", "-.inf", ".nan"):
                return Decimal("NaN") if low == ".nan" else Decimal(low.replace(".inf", "Infinity"))
            try:
                value: Any = Decimal(text)
            except InvalidOperation:
                return text
        elif node.tag == "tag:yaml.org,2002:int" and not _DECIMAL_INT.fullmatch(node.value):
            raise _notation_error(node.value, self.path, line)
        elif node.tag == "tag:yaml.org,2002:int" and len(node.value) > 4 * MAX_EXPONENT:
            # Far beyond the bound: do not even convert (int() is quadratic, and
            # refuses more than 4300 digits with a ValueError).
            raise _number_error("number is too large", node.value, self.path, line)
        else:
            try:
                value = self._constructor.construct_object(node, deep=True)
            except yaml.constructor.ConstructorError as exc:
                raise InputError(
                    f"unsupported YAML value: {exc.problem}", file=self.path, line=line
                ) from exc
            except ValueError as exc:  # e.g. a timestamp like 2026-13-45
                raise InputError(
                    f"invalid {node.tag.rsplit(':', 1)[-1]} value {node.value!r}: {exc}",
                    file=self.path,
                    line=line,
                ) from exc
        problem = number_problem(value)
        if problem is not None:
            raise _number_error(problem, node.value, self.path, line)
        return value


def _compose(text: str) -> yaml.Node | None:
    """The node graph of ``text``: libyaml's C parser when it is there (about 7x faster
    on large sheets), PyYAML's pure one otherwise and for every document the C parser
    refuses or that holds characters the pure reader refuses, so that each error is
    the pure parser's (located, and the one the corpus tests pin). libyaml caps nesting
    at 1,000 levels by itself; the builder's own cap (:data:`MAX_DEPTH`) is far below."""
    # Tabs: libyaml takes a tab as separation where PyYAML refuses it; keep one dialect.
    if (
        getattr(yaml, "__with_libyaml__", False)
        and "\t" not in text
        and not _NON_PRINTABLE.search(text)
    ):
        try:
            return yaml.compose(text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            pass  # re-parsed below for the pure parser's message
    return yaml.compose(text, Loader=yaml.SafeLoader)


def parse_yaml_text(text: str, path: Path, raw: bytes | None = None) -> SourceDocument:
    """Parse YAML text (already read) into a :class:`SourceDocument`."""
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise InputError(
            f"malformed YAML: {exc.problem or exc.context}",
            file=path,
            line=mark.line + 1 if mark else None,
        ) from exc
    except yaml.YAMLError as exc:
        raise InputError(f"malformed YAML: {exc}", file=path) from exc
    except RecursionError as exc:
        raise InputError(f"document is nested deeper than {MAX_DEPTH} levels", file=path) from exc
    builder = _Builder(path)
    data = None if node is None else builder.build(node, (), 0)
    digest = hashlib.sha256(raw if raw is not None else text.encode()).hexdigest()
    return SourceDocument(path=path, data=data, sha256=digest, lines=builder.lines)


def load_yaml(path: Path, *, what: str) -> SourceDocument:
    """Read and parse a YAML file; ``what`` names it in errors ("workload", ...)."""
    raw = read_bytes(path, what=what)
    text = _decode(raw, path, what)
    try:
        return parse_yaml_text(text, path, raw)
    except InputError as exc:
        if not exc.message.startswith("malformed YAML"):
            raise
        from costplan.validation import looks_like_error, query_file_kind

        kind = query_file_kind(text)
        if kind is None:
            raise
        raise looks_like_error(kind, what, path) from None


def _json_object(path: Path) -> Any:
    """``object_pairs_hook`` for :func:`json.loads`: a dict, duplicate keys refused."""

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in pairs:
            if k in out:
                raise InputError(f"duplicate key {k!r}", file=path)
            out[k] = v
        return out

    return hook


def _json_number(path: Path) -> Any:
    """``parse_int``/``parse_float`` for :func:`json.loads`: exact and bounded."""

    def parse(text: str) -> int | Decimal:
        if len(text) > 4 * MAX_EXPONENT and not any(c in text for c in ".eE"):
            raise _number_error("number is too large", text, path, None)
        value: int | Decimal = Decimal(text) if any(c in text for c in ".eE") else int(text)
        problem = number_problem(value)
        if problem is not None:
            raise _number_error(problem, text, path, None)
        return value

    return parse


def load_json(path: Path, *, what: str) -> SourceDocument:
    """Read and parse a JSON file with exact decimals (no line map beyond errors)."""
    raw = read_bytes(path, what=what)
    text = _decode(raw, path, what)
    number = _json_number(path)
    try:
        data = json.loads(
            text,
            parse_float=number,
            parse_int=number,
            object_pairs_hook=_json_object(path),
        )
    except json.JSONDecodeError as exc:
        kind = _yaml_kind(text, path, exc.pos == 0)
        if kind is not None:
            from costplan.validation import looks_like_error

            raise looks_like_error(kind, what, path) from None
        raise InputError(f"malformed JSON: {exc.msg}", file=path, line=exc.lineno) from exc
    except RecursionError as exc:
        raise InputError("document is nested too deeply", file=path) from exc
    return SourceDocument(path=path, data=data, sha256=hashlib.sha256(raw).hexdigest())


def _yaml_kind(text: str, path: Path, at_start: bool) -> str | None:
    """For a JSON reader given something else: a query file, or (when the JSON broke
    at its first character) which costplan YAML file ``text`` is (``"price sheet
    (YAML)"``...); None if it is none of them."""
    from costplan.validation import kind_of, query_file_kind

    if query_file_kind(text):
        return "query file"
    if not at_start:
        return None
    try:
        data = parse_yaml_text(text, path).data
    except InputError:
        return None
    kind = kind_of(data)
    return None if kind is None else f"{kind} (YAML)"


def load_document(path: Path, *, what: str) -> SourceDocument:
    """YAML or JSON by file suffix (``.json`` is JSON, anything else YAML)."""
    if path.suffix.lower() == ".json":
        return load_json(path, what=what)
    return load_yaml(path, what=what)
