"""The I/O guard (costplan.safeio): what it reads, what it writes, what it refuses.

Oracles are the file system itself (os.stat kinds, st_ino of links, the
kernel's ENAMETOOLONG) and byte counts written by the tests; the CLI-wide
properties are in test_outputs_over_inputs.py and tests/data/bad/.
"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path

import pytest

from costplan import safeio
from costplan.errors import InputError
from costplan.safeio import (
    STDOUT,
    OutputOverInputError,
    UnreadableInput,
    declare_output,
    read_input,
    session,
    write_output,
)
from costplan.tokens.samples import load_sample_texts


def _kernel_rejects(path: Path) -> bool:
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ENAMETOOLONG
    return False


# --- reading -------------------------------------------------------------------------


def test_reads_a_regular_file_and_registers_it(tmp_path: Path) -> None:
    f = tmp_path / "w.yaml"
    f.write_bytes(b"abc")
    with session() as s:
        assert read_input(f, what="workload") == b"abc"
    ((inp),) = s.inputs
    assert (inp.dev, inp.ino) == (f.stat().st_dev, f.stat().st_ino)
    assert read_input(f, what="workload") == b"abc"  # outside a session: nothing registered
    assert safeio.current() is None


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (lambda p: os.mkfifo(p), "a FIFO (named pipe)"),
        (lambda p: socket.socket(socket.AF_UNIX).bind(str(p)), "a socket"),
    ],
    ids=["fifo", "socket"],
)
def test_refuses_special_files_without_blocking(tmp_path: Path, make: object, kind: str) -> None:
    p = tmp_path / "x.yaml"
    make(p)  # type: ignore[operator]
    with pytest.raises(UnreadableInput) as info:
        read_input(p, what="price sheet")
    assert str(info.value) == f"{p}: price sheet is {kind}, expected a regular file"
    assert info.value.oserror is None


def test_refuses_devices_and_directories(tmp_path: Path) -> None:
    with pytest.raises(UnreadableInput, match=r"^/dev/zero: workload is a character device"):
        read_input(Path("/dev/zero"), what="workload")
    with pytest.raises(UnreadableInput, match="workload is a directory, expected a file"):
        read_input(tmp_path, what="workload")


def test_limit_counts_bytes_read_not_st_size(tmp_path: Path) -> None:
    f = tmp_path / "big.txt"
    f.write_bytes(b"x" * 1001)
    assert read_input(f, what="sample", limit=1001) == b"x" * 1001
    with pytest.raises(UnreadableInput, match=r"sample is too large \(more than 1,000 bytes\)"):
        read_input(f, what="sample", limit=1000)
    # procfs reports st_size 0 but has content: it is read (and counted) all the same.
    status = Path("/proc/self/status")
    assert status.stat().st_size == 0
    assert read_input(status, what="workload").startswith(b"Name:")
    with pytest.raises(UnreadableInput, match="too large"):
        read_input(status, what="workload", limit=10)


def test_os_errors_are_one_line(tmp_path: Path) -> None:
    loop = tmp_path / "loop.yaml"
    loop.symlink_to(loop)
    cases = {
        tmp_path / "missing.yaml": "workload not found",
        tmp_path / "missing.yaml" / "x": "workload not found",
        loop: "workload is a symlink loop (too many levels of symbolic links)",
        tmp_path / ("n" * 300): "workload has a file name too long (300 bytes; the file system",
    }
    for path, message in cases.items():
        with pytest.raises(UnreadableInput) as info:
            read_input(path, what="workload")
        assert message in str(info.value)
        assert "\n" not in str(info.value)


def test_long_names_are_shortened_in_messages(tmp_path: Path) -> None:
    name = "n" * 300 + ".yaml"
    assert _kernel_rejects(tmp_path / name)
    with pytest.raises(UnreadableInput) as info:
        read_input(tmp_path / name, what="workload")
    shown = str(info.value).split(": ", 1)[0]
    assert shown == f"{tmp_path}/{'n' * 40}...{'n' * 15}.yaml"


# --- outputs -------------------------------------------------------------------------


def test_output_over_an_input_refused_at_write_time(tmp_path: Path) -> None:
    f = tmp_path / "w.yaml"
    f.write_bytes(b"input")
    hard = tmp_path / "hard.yaml"
    os.link(f, hard)
    link = tmp_path / "link.yaml"
    link.symlink_to(f)
    with session():
        read_input(f, what="workload")
        for out in (f, hard, link, tmp_path / "." / "w.yaml"):
            with pytest.raises(OutputOverInputError, match="is the same file as the workload"):
                write_output(out, "overwritten")
        write_output(tmp_path / "other.yaml", "fine")
    assert f.read_bytes() == b"input"
    assert (tmp_path / "other.yaml").read_text() == "fine"


def test_declared_output_refuses_the_input_when_it_is_opened(tmp_path: Path) -> None:
    f = tmp_path / "w.yaml"
    f.write_bytes(b"input")
    with session():
        declare_output(f, "--out")
        with pytest.raises(OutputOverInputError) as info:
            read_input(f, what="workload")
    assert str(info.value) == (
        f"{f}: --out is the same file as the workload {f}; refusing to overwrite an input"
    )


def test_two_declared_outputs_on_one_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    with session():
        declare_output(tmp_path / "a.yaml", "--out")  # not there yet: compared by resolved name
        with pytest.raises(InputError, match="--out and --plan name the same file"):
            declare_output(tmp_path / "sub" / ".." / "a.yaml", "--plan")
        declare_output(STDOUT, "--report")
        with pytest.raises(InputError, match="--report and --x both write to standard output"):
            declare_output(STDOUT, "--x")


def test_the_longest_legal_output_name_works(tmp_path: Path) -> None:
    """A 255-byte name is legal; its temporary file (16 bytes) must not make it fail."""
    name = "p" * 250 + ".yaml"
    assert len(name) == 255
    write_output(tmp_path / name, "ok\n")
    assert (tmp_path / name).read_text() == "ok\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
    too_long = tmp_path / ("p" * 251 + ".yaml")
    assert _kernel_rejects(too_long)
    with pytest.raises(InputError, match=r"output file name too long \(256 bytes"):
        write_output(too_long, "x")


def test_path_too_long_is_one_line(tmp_path: Path) -> None:
    deep = tmp_path.joinpath(*["d" * 99] * 42, "plan.yaml")
    assert _kernel_rejects(deep)
    with pytest.raises(InputError) as info:
        write_output(deep, "x")
    message = str(info.value)
    assert "output path too long (" in message
    assert "the file system allows 4095)" in message
    assert len(message) < 500


def test_special_outputs_are_never_replaced(tmp_path: Path) -> None:
    fifo = tmp_path / "out.yaml"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="is a FIFO"):
        write_output(fifo, "x")
    with pytest.raises(InputError, match="is a character device"):
        write_output(Path("/dev/null"), "x")
    assert Path("/dev/null").is_char_device()
    with pytest.raises(InputError, match="output path is a directory"):
        write_output(tmp_path, "x")
    with pytest.raises(InputError, match="output directory does not exist"):
        write_output(tmp_path / "nope" / "x.yaml", "x")


def test_symlinked_output_is_written_through(tmp_path: Path) -> None:
    target = tmp_path / "real.yaml"
    target.write_text("old")
    link = tmp_path / "link.yaml"
    link.symlink_to(target.name)
    write_output(link, "new")
    assert link.is_symlink()
    assert target.read_text() == "new"


def test_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    write_output(STDOUT, "text\n")
    assert capsys.readouterr().out == "text\n"
    assert safeio.is_stdout(STDOUT)
    assert not safeio.is_stdout(Path("-"))
    assert not safeio.is_stdout(STDOUT.parent)


# --- sample globs ----------------------------------------------------------------------


def _samples(root: Path, pattern: str) -> list[str]:
    return load_sample_texts(pattern, base_dir=root, file="w.yaml", key=("p",))


def test_sample_loops_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "s" / "sub").mkdir(parents=True)
    (tmp_path / "s" / "sub" / "1.txt").write_text("one")
    assert _samples(tmp_path, "s/**/*.txt") == ["one"]
    (tmp_path / "s" / "sub" / "back").symlink_to("..")
    with pytest.raises(InputError, match="runs into a symlink loop at 's/sub/back'"):
        _samples(tmp_path, "s/**/*.txt")
    with pytest.raises(InputError, match="reached through a symlink loop at 's/sub/back'"):
        _samples(tmp_path, "s/*/*/*/*.txt")
    (tmp_path / "s" / "sub" / "back").unlink()
    (tmp_path / "s" / "a.txt").symlink_to("b.txt")
    (tmp_path / "s" / "b.txt").symlink_to("a.txt")
    with pytest.raises(InputError, match=r"cannot read sample 's/a\.txt': Too many levels"):
        _samples(tmp_path, "s/*.txt")


def test_branching_symlink_trees_are_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two links per level to the next level: 2**depth paths without any loop."""
    import costplan.tokens.samples as samples

    depth = 12
    for i in range(depth):
        level = tmp_path / f"l{i}"
        level.mkdir()
        (level / "x.txt").write_text(f"level {i}")
        if i:
            for name in ("a", "b"):
                (tmp_path / f"l{i - 1}" / name).symlink_to(level)
    monkeypatch.setattr(samples, "MAX_FOLDERS", 1000)
    with pytest.raises(InputError, match="walks more than 1,000 folders"):
        _samples(tmp_path, "l0/**/*.txt")


def test_sample_fifo_is_refused(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "1.txt").write_text("one")
    os.mkfifo(tmp_path / "s" / "2.txt")
    with pytest.raises(InputError, match=r"sample 's/2.txt' is a FIFO \(named pipe\)"):
        _samples(tmp_path, "s/*.txt")


def test_claim_input_checks_and_registers(tmp_path: Path) -> None:
    f = tmp_path / "traffic.csv"
    f.write_text("a\n")
    with session():
        assert safeio.claim_input(f, what="traffic file") == f
        with pytest.raises(OutputOverInputError, match="the traffic file"):
            write_output(f, "x")
        with pytest.raises(UnreadableInput, match="traffic file is a character device"):
            safeio.claim_input(Path("/dev/zero"), what="traffic file")
    assert f.read_text() == "a\n"


# --- one guard: no other module opens files --------------------------------------------

SRC = Path(__file__).parent.parent.parent / "src" / "costplan"
_FILE_CALLS = ("open(", ".read_text(", ".read_bytes(", ".write_text(", ".write_bytes(",
               "mkstemp(", "write_atomic(", "os.replace(", "shutil.copy")  # fmt: skip
#: Modules allowed to touch files themselves, and why.
_ALLOWED = {
    "safeio.py": "the guard",
    "atomic.py": "the guard's atomic-rename primitive",
    "verify/raw.py": "the independent checker reads its bytes with its own code (same rules)",
    "verify/queryfile.py": "the checker hashes the query file with its own code",
    "querydata/columnar.py": "wraps the descriptor safeio.open_input opened (for pyarrow)",
    # Not yet through the guard (hands paths to DuckDB / zipfile): to be routed
    # through safeio.claim_input by its owner.
    "ingest/records.py": "pending",
    "ingest/evals.py": "pending",
    "ingest/eval_formats.py": "pending (moved out of ingest/evals.py: .eval zip entries, the "
    "rebuilt JSON log in a temporary folder, lm-eval files)",
    "ingest/run.py": "pending (reads traffic files itself)",
    "today.py": "pending (reads a workload's empirical sidecar)",
    "workload/load.py": "pending (hashes a workload's empirical sidecar)",
}


def test_only_the_guard_opens_files() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel in _ALLOWED:
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#", 1)[0]
            if "resources.files(" in code:  # costplan's own package data, not user input
                continue
            if any(call in code for call in _FILE_CALLS) and "io.StringIO" not in code:
                offenders.append(f"{rel}:{number}: {line.strip()}")
    assert not offenders, "read and write files through costplan.safeio:\n" + "\n".join(offenders)


def test_an_output_written_whole_may_be_read_back(tmp_path: Path) -> None:
    """Checking what was written reads it back; then it is an input like any other."""
    out = tmp_path / "plan.yaml"
    with session():
        declare_output(out, "--out")
        write_output(out, "plan\n")
        assert read_input(out, what="plan file") == b"plan\n"
        with pytest.raises(OutputOverInputError):
            write_output(out, "again\n")
