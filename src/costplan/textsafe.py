"""Text from input files made safe to print: the one place control characters are escaped.

Task, model and file names come from files a user (or an attacker) wrote. Printed
raw, an escape sequence in a name can retitle the terminal, move the cursor or
hide text, and a newline can split one error over several lines. Every terminal
line costplan prints goes through :func:`printable` (the CLI's error printer and
its rich console, ``costplan.cli.common``); the markdown and HTML reports apply
it before their own escaping.

Escaped: C0 controls (U+0000-U+001F), DEL and the C1 controls (U+007F-U+009F),
the line and paragraph separators (U+2028, U+2029) and the bidirectional
controls (U+200E, U+200F, U+061C, U+202A-U+202E, U+2066-U+2069; "Trojan
source"). Each becomes its Python escape (``\\x1b``, ``\\n``, ``\\u202e``), so
the text stays readable and the original can be recovered by eye. Everything
else, including non-ASCII letters and emoji, is kept.
"""

from __future__ import annotations

_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
_CODES = [
    *range(0x00, 0x20),
    *range(0x7F, 0xA0),
    0x061C,
    0x200E,
    0x200F,
    0x2028,
    0x2029,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
]


def _escape(code: int) -> str:
    ch = chr(code)
    if ch in _NAMED:
        return _NAMED[ch]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_LINE = str.maketrans({code: _escape(code) for code in _CODES})
_LINES = str.maketrans({code: _escape(code) for code in _CODES if code != 0x0A})


def printable(text: str) -> str:
    """``text`` as one printable line: every control character escaped, newlines too."""
    return text.translate(_LINE)


def printable_lines(text: str) -> str:
    """Like :func:`printable`, but newlines are kept (multi-line output of costplan's own)."""
    return text.translate(_LINES)
