"""A query file streamed in newline-aligned pieces, through the input guard.

Memory is one piece at a time (:data:`PIECE_BYTES`, more only for a longer
line), never the whole file: query files have no size cap. Every piece is
checked before it is parsed: no NUL byte (a binary file), valid UTF-8 (a
leading BOM is dropped), no line over :data:`MAX_LINE_BYTES`. The sha256 of
the file's bytes is computed on the way (:attr:`Stream.sha256`).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from costplan.errors import InputError
from costplan.safeio import open_input

PIECE_BYTES = 8 << 20
#: Longest line (JSONL record or CSV line) accepted.
MAX_LINE_BYTES = 64 << 20
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class Piece:
    """``data`` holds whole lines; its first is line ``line`` (1-based), at byte ``offset``."""

    data: bytes
    line: int
    offset: int


class Stream:
    """Iterate the pieces of ``path``; ``sha256`` is final once iteration ends."""

    def __init__(self, path: Path, what: str = "query file") -> None:
        self.path = path
        self.what = what
        self._hash = hashlib.sha256()

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()

    def __iter__(self) -> Iterator[Piece]:
        fd = open_input(self.path, what=self.what)
        try:
            yield from self._pieces(fd)
        finally:
            os.close(fd)

    def _pieces(self, fd: int) -> Iterator[Piece]:
        carry = b""
        line, offset, first = 1, 0, True
        while True:
            block = os.read(fd, PIECE_BYTES)
            self._hash.update(block)
            if first and block.startswith(_BOM):
                block, offset = block[3:], 3
            first = False
            data = carry + block if carry else block
            if not block:
                if data:
                    yield self._checked(data, line, offset)
                return
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                if len(data) > MAX_LINE_BYTES:
                    raise InputError(
                        f"line is longer than {MAX_LINE_BYTES:,} bytes", file=self.path, line=line
                    )
                carry = data
                continue
            piece, carry = data[:cut], data[cut:]
            yield self._checked(piece, line, offset)
            line += piece.count(b"\n")
            offset += len(piece)

    def _checked(self, data: bytes, line: int, offset: int) -> Piece:
        nul = data.find(b"\x00")
        if nul >= 0:
            raise InputError(
                f"{self.what} is binary (contains NUL bytes)",
                file=self.path,
                line=line + data.count(b"\n", 0, nul),
            )
        if not data.isascii():
            try:
                data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{self.what} is not valid UTF-8 (byte offset {offset + exc.start})",
                    file=self.path,
                    line=line + data.count(b"\n", 0, exc.start),
                ) from None
        return Piece(data, line, offset)
