"""Measure the prompt samples of a workload task.

Contract:

* :func:`load_sample_texts` expands a glob (relative to the workload's folder)
  into prompts: each matched file is one prompt, or, when ``field`` is given,
  each non-blank line of each matched file is a JSON object whose ``field`` is
  one prompt (JSON Lines). Order is deterministic: files sorted by matched path
  (component by component), lines in file order. Hidden files (``.name``) are not matched by ``*``.
* Every problem is an :class:`~costplan.errors.InputError` with ``file``/``line``
  = the workload file, ``key`` = the key path of the pattern, ``value`` = the
  pattern, and the offending sample path (and line/byte offset) in the message.
* Samples stay inside the workload folder: a pattern or a matched path (after
  resolving symlinks) outside ``base_dir`` is an error unless ``allow_outside``.
* Sample files are read through :func:`costplan.safeio.read_input`: regular files
  only (a FIFO or device is refused, never read), at most ``MAX_SAMPLE_BYTES``
  bytes actually read each, registered as inputs (no output may overwrite one).
* Symlink loops are errors, never walked: a ``**`` pattern whose folders (walked
  as :func:`glob.glob` does, symlinks followed) contain a symlink back to a folder
  containing it, or a match reached through such a symlink; a ``**`` pattern may
  walk at most ``MAX_FOLDERS`` folders. A sample that is itself a symlink loop
  cannot be read (ELOOP, one line).
* :func:`measure` summarises token counts as :class:`TokenStats`; with
  ``max_samples`` it counts a seeded (deterministic) random sample of the texts
  and reports a 95% confidence interval of the mean.
"""

from __future__ import annotations

import difflib
import glob
import json
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist
from typing import Final, NoReturn

from costplan.errors import InputError
from costplan.safeio import MAX_INPUT_BYTES, UnreadableInput, read_input
from costplan.tokens.tokenizer import TokenizerSpec

#: Suffixes treated as JSON Lines (which then need ``field``).
JSONL_SUFFIXES: Final = (".jsonl", ".ndjson")
#: Bytes actually read from one sample file, at most.
MAX_SAMPLE_BYTES: Final = MAX_INPUT_BYTES
#: Folders a ``**`` pattern may walk through, at most (symlinked trees can branch).
MAX_FOLDERS: Final = 100_000

_UTF8_BOM: Final = b"\xef\xbb\xbf"
# The workload key that turns allow_outside on (see costplan.workload.schema).
_OUTSIDE_HINT: Final = "keep samples inside the workload folder, or set allow_outside_samples: true"
_Z95: Final = NormalDist().inv_cdf(0.975)  # 1.959963984540054

KeyArg = str | Sequence[str | int] | None


@dataclass(frozen=True)
class TokenStats:
    """Token counts of a task's prompt samples.

    ``n`` texts were counted; ``mean`` is their mean count; ``p50``, ``p95`` and
    ``max`` are observed counts (percentiles use numpy ``method="higher"``, so
    they are counts of real samples, never interpolations). ``estimated`` is
    True when the tokenizer is a family estimate.

    When only a random sample was counted, ``sampled_from`` is the number of
    texts it was drawn from and ``ci95_mean`` a 95% confidence interval of the
    population mean (normal approximation with finite-population correction,
    lower bound clipped at 0); both are None when every text was counted.
    """

    n: int
    mean: float
    p50: int
    p95: int
    max: int
    estimated: bool
    ci95_mean: tuple[float, float] | None = None
    sampled_from: int | None = None

    @property
    def mean_ceil(self) -> int:
        """The mean rounded up to whole tokens (costplan bills conservatively)."""
        return math.ceil(self.mean)


class _Locator:
    """Builds InputErrors located at the workload key that named the samples."""

    def __init__(self, *, pattern: str, file: str | Path | None, line: int | None, key: KeyArg):
        self.pattern = pattern
        self.file = file
        self.line = line
        self.key = key

    def fail(self, message: str, hint: str | None = None) -> NoReturn:
        raise InputError(
            message, file=self.file, line=self.line, key=self.key, value=self.pattern, hint=hint
        )


def _read_bytes(path: Path) -> bytes:
    """Read one sample file through the guard (the only place that does; tests replace it)."""
    return read_input(path, what="sample", limit=MAX_SAMPLE_BYTES)


def _is_inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def _match(pattern: str, base_dir: Path, allow_outside: bool, loc: _Locator) -> list[str]:
    """Matched paths (as globbed: relative to ``base_dir`` unless absolute), sorted
    by path components."""
    if not pattern.strip():
        loc.fail("sample pattern is empty")
    base_abs = Path(os.path.abspath(base_dir))
    if not allow_outside:
        lexical = Path(os.path.normpath(base_abs / pattern))
        if not _is_inside(lexical, base_abs):
            loc.fail(
                f"sample pattern {pattern!r} points outside the workload folder {str(base_abs)!r}",
                hint=_OUTSIDE_HINT,
            )
    if "**" in pattern:
        _refuse_loops(pattern, base_abs, loc)  # before glob, which would follow them
    found = set(glob.glob(pattern, root_dir=base_abs, recursive=True))
    matches = sorted(found, key=lambda m: Path(m).parts)  # tree order: 'a/x' before 'a-b/x'
    if not matches:
        loc.fail(
            f"sample pattern {pattern!r} matches no file in {str(base_abs)!r}",
            hint="the pattern is a glob relative to the workload file's folder",
        )
    for shown in matches:
        loop = _loop_on_the_way(base_abs, shown)
        if loop is not None:
            loc.fail(f"sample {shown!r} is reached through a symlink loop at {loop!r}")
    if not allow_outside:
        # os.path.realpath, not Path.resolve: that raises RuntimeError on a symlink loop.
        base_real = Path(os.path.realpath(base_abs))
        for shown in matches:
            target = Path(os.path.realpath(base_abs / shown))
            if not _is_inside(target, base_real):
                loc.fail(
                    f"sample {shown!r} resolves to {str(target)!r}, "
                    f"outside the workload folder {str(base_real)!r}",
                    hint=_OUTSIDE_HINT,
                )
    return matches


def _folder_id(path: Path | str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return (st.st_dev, st.st_ino)


def _loop_on_the_way(base_abs: Path, shown: str) -> str | None:
    """The first symlinked folder of the match ``shown`` that leads back to a folder
    the path already passed through (a symlink loop), or None."""
    parts = Path(shown).parts[:-1]
    current = base_abs
    start = _folder_id(current)
    seen = {start} if start is not None else set()
    for i, part in enumerate(parts):
        current = current / part
        key = _folder_id(current)
        if key is None:
            return None
        if key in seen and os.path.islink(current):
            return str(Path(*parts[: i + 1]))
        seen.add(key)
    return None


def _refuse_loops(pattern: str, base_abs: Path, loc: _Locator) -> None:
    """Fail when the folders a ``**`` pattern walks (symlinks followed, hidden names
    skipped, as :func:`glob.glob` does) contain a symlink loop, or are too many."""
    fixed: list[str] = []
    for part in Path(pattern).parts[:-1]:
        if glob.has_magic(part):
            break
        fixed.append(part)
    root = base_abs.joinpath(*fixed)
    start = _folder_id(root)
    if start is None:
        return
    stack: list[tuple[Path, frozenset[tuple[int, int]], str]] = [
        (root, frozenset({start}), str(Path(*fixed)) if fixed else "")
    ]
    visited = 0
    while stack:
        folder, ancestors, shown = stack.pop()
        visited += 1
        if visited > MAX_FOLDERS:
            loc.fail(f"sample pattern {pattern!r} walks more than {MAX_FOLDERS:,} folders")
        try:
            entries = [e for e in os.scandir(folder) if not e.name.startswith(".")]
        except OSError:
            continue
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            key = _folder_id(entry.path) if is_dir else None
            if key is None:
                continue
            rel = f"{shown}/{entry.name}" if shown else entry.name
            if key in ancestors:
                loc.fail(
                    f"sample pattern {pattern!r} runs into a symlink loop at {rel!r} "
                    "(a folder that leads back to one containing it)",
                    hint="remove the symlink or narrow the pattern",
                )
            stack.append((Path(entry.path), ancestors | {key}, rel))


def _decode(data: bytes, shown: str, loc: _Locator) -> str:
    """Strict UTF-8 text of a sample file (a leading BOM is dropped)."""
    if not data:
        loc.fail(f"sample {shown!r} is empty")
    nul = data.find(b"\x00")
    if nul >= 0:
        loc.fail(
            f"sample {shown!r} is a binary file (NUL byte at byte offset {nul})",
            hint="samples must be UTF-8 text (UTF-16 files contain NUL bytes: save as UTF-8)",
        )
    skip = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = skip + exc.start
        line = data[:offset].count(b"\n") + 1
        loc.fail(
            f"sample {shown!r} is not valid UTF-8 at byte offset {offset} (line {line})",
            hint="save the file as UTF-8",
        )


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _jsonl_texts(text: str, field: str, shown: str, loc: _Locator) -> list[str]:
    """The ``field`` of every non-blank JSON Lines record, in order."""
    texts: list[str] = []
    # Split on "\n" only: str.splitlines() would also split on U+2028 etc., which
    # JSON allows unescaped inside strings.
    for number, raw in enumerate(text.split("\n"), start=1):
        record_text = raw.removesuffix("\r")
        if not record_text.strip():
            continue
        where = f"sample {shown!r} line {number}"
        try:
            record = json.loads(record_text)
        except json.JSONDecodeError as exc:
            loc.fail(f"{where} is not valid JSON: {exc.msg} at column {exc.colno}")
        if not isinstance(record, dict):
            loc.fail(f"{where} is {_json_type(record)}, expected a JSON object with key {field!r}")
        if field not in record:
            close = difflib.get_close_matches(field, [str(k) for k in record], n=1, cutoff=0.6)
            keys = ", ".join(repr(k) for k in list(record)[:10]) or "none"
            loc.fail(
                f"{where} has no key {field!r} (keys: {keys})",
                hint=f"did you mean {close[0]!r}?" if close else "set field to the prompt's key",
            )
        value = record[field]
        if not isinstance(value, str):
            loc.fail(f"{where}: {field!r} is {_json_type(value)}, expected a string")
        if not value.strip():
            loc.fail(f"{where}: {field!r} is an empty text")
        texts.append(value)
    if not texts:
        loc.fail(f"sample {shown!r} has no JSON lines")
    return texts


def load_sample_texts(
    pattern: str,
    *,
    base_dir: Path,
    file: str | Path | None,
    key: KeyArg,
    field: str | None = None,
    allow_outside: bool = False,
    line: int | None = None,
) -> list[str]:
    """The prompts named by ``pattern`` (see the module docs for the contract).

    ``pattern`` is a glob relative to ``base_dir`` (``**`` recurses). Without
    ``field`` each matched file is one prompt; with ``field`` each matched file
    is JSON Lines and each record's ``field`` is one prompt. ``file``, ``line``
    and ``key`` locate the pattern in the workload for error messages.

    Raises :class:`InputError` when: the pattern is empty or matches nothing; a
    match is a directory, unreadable, empty, whitespace-only, binary (NUL byte)
    or not UTF-8 (byte offset given); a ``.jsonl``/``.ndjson`` file is matched
    without ``field``; a JSON line is invalid, not an object, lacks ``field`` or
    its ``field`` is not a non-empty string (line number given); the pattern or
    a matched path (symlinks resolved) lies outside ``base_dir`` and
    ``allow_outside`` is False.
    """
    loc = _Locator(pattern=pattern, file=file, line=line, key=key)
    base = Path(base_dir)
    texts: list[str] = []
    for shown in _match(pattern, base, allow_outside, loc):
        path = base / shown
        if path.is_dir():
            loc.fail(
                f"sample {shown!r} is a directory, not a file",
                hint="match files, e.g. 'prompts/*.txt' or 'prompts/**/*.txt'",
            )
        if field is None and path.suffix.lower() in JSONL_SUFFIXES:
            loc.fail(
                f"sample {shown!r} is a JSON Lines file but no field is given",
                hint="name the JSON key that holds the prompt text with `field`",
            )
        try:
            data = _read_bytes(path)
        except UnreadableInput as exc:
            if exc.oserror is not None:
                loc.fail(f"cannot read sample {shown!r}: {exc.oserror.strerror or exc.reason}")
            loc.fail(f"sample {shown!r} {exc.reason}")
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            loc.fail(f"cannot read sample {shown!r}: {reason}")
        text = _decode(data, shown, loc)
        if field is None:
            if not text.strip():
                loc.fail(f"sample {shown!r} contains only whitespace (an empty text)")
            texts.append(text)
        else:
            texts.extend(_jsonl_texts(text, field, shown, loc))
    return texts


def subsample(texts: Sequence[str], max_samples: int | None, seed: int = 0) -> list[str]:
    """At most ``max_samples`` texts, drawn without replacement by
    ``numpy.random.default_rng(seed)`` and kept in their original order (all of
    them when there are no more than ``max_samples``): same inputs, same sample."""
    import numpy as np

    if max_samples is None or len(texts) <= max_samples:
        return list(texts)
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(len(texts), size=max_samples, replace=False))
    return [texts[int(i)] for i in picked]


def measure(
    texts: Sequence[str],
    spec: TokenizerSpec,
    max_samples: int | None = None,
    seed: int = 0,
    *,
    progress: Callable[[int], None] | None = None,
) -> TokenStats:
    """Token statistics of ``texts`` under ``spec``.

    With ``max_samples`` and more texts than that, only ``max_samples`` texts,
    drawn without replacement by ``numpy.random.default_rng(seed)``, are counted
    (same inputs and seed, same result) and ``ci95_mean`` is set. ``progress``
    is passed to :func:`~costplan.tokens.count.count_tokens`, so it counts the
    texts actually counted: at most ``min(len(texts), max_samples)``.

    ``texts`` must not be empty (``ValueError``); ``max_samples`` below 2 is an
    :class:`InputError` (a confidence interval needs two counts).
    """
    import numpy as np

    from costplan.tokens.count import count_tokens

    if not texts:
        raise ValueError("measure() needs at least one text")
    if max_samples is not None and (isinstance(max_samples, bool) or max_samples < 2):
        raise InputError("must be at least 2", key="max_samples", value=max_samples)
    population = len(texts)
    sampled = max_samples is not None and population > max_samples
    texts = subsample(texts, max_samples, seed)
    counts = count_tokens(texts, spec, progress=progress)
    n = len(counts)
    mean = int(counts.sum()) / n
    p50, p95 = (int(v) for v in np.percentile(counts, [50, 95], method="higher"))
    ci: tuple[float, float] | None = None
    if sampled:
        fpc = math.sqrt((population - n) / (population - 1))
        half = _Z95 * float(counts.std(ddof=1)) / math.sqrt(n) * fpc
        ci = (max(0.0, mean - half), mean + half)
    return TokenStats(
        n=n,
        mean=mean,
        p50=p50,
        p95=p95,
        max=int(counts.max()),
        estimated=spec.estimated,
        ci95_mean=ci,
        sampled_from=population if sampled else None,
    )


def measure_sample(
    pattern: str,
    spec: TokenizerSpec,
    *,
    base_dir: Path,
    file: str | Path | None,
    key: KeyArg,
    field: str | None = None,
    allow_outside: bool = False,
    line: int | None = None,
    max_samples: int | None = None,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> TokenStats:
    """:func:`load_sample_texts` then :func:`measure` (same arguments, same errors)."""
    texts = load_sample_texts(
        pattern,
        base_dir=base_dir,
        file=file,
        key=key,
        field=field,
        allow_outside=allow_outside,
        line=line,
    )
    return measure(texts, spec, max_samples, seed, progress=progress)
