"""Every command, given an output path equal to one of its inputs, exits 2 and changes nothing.

The commands, their input parameters and their output options are read from the
CLI itself (the Typer/click command tree), so a new command or option is covered
without editing this file; a path parameter that is neither an ``InputPath`` nor
an ``OutputPath`` fails :func:`test_every_path_parameter_is_an_input_or_an_output`.

Which files a command reads is not asked of costplan's own guard (that would
test the guard with itself): a Python audit hook records every file the command
opens for reading in a normal run. Each of those files is then given as each
output option, directly, through a symlink and through a hard link (both named
with the option's own suffix, so no suffix check can refuse them first): the
command must exit 2 with one line naming both files, and every file in the
folder must stay byte-identical, with no output written.

The same tree drives the ``-o -`` property: every output option given ``-``
writes to standard output exactly the bytes it writes to a file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import pytest
import typer

from costplan.cli.app import app
from costplan.cli.common import InputPath, OutputPath
from tests.trust.conftest import Runner

DATA = Path(__file__).parent.parent / "data"

#: Values of required parameters that are not paths (or that a run needs), per command. A new
#: command with such a parameter fails the normal run below until it gets an entry here.
EXTRA: dict[str, list[str]] = {
    "assign": ["--budget", "10"],
    "prices import": ["--from", "litellm"],
    "export": ["--to", "csv"],
    "schema": ["workload"],
    # The traffic fixture spans one day per task: no rate can be derived, so volumes are given.
    "workload build": ["--task-key", "task", "--volume", "a=100", "--volume", "b=200"],
}

QUERIES = "id,prompt_tokens,output_tokens,q:small,q:big\nq1,100,10,0.5,0.9\nq2,2000,40,0.8,1\n"
#: Actual usage of the basic workload's tasks and models (a generic traffic CSV).
TRAFFIC = (
    "task,model,timestamp,prompt_tokens,output_tokens\n"
    "a,big,2026-11-01T00:00:00Z,120,50\nb,small,2026-11-02T00:00:00Z,4000,300\n"
)
#: Eval results of the basic workload's tasks and models (a generic eval CSV).
EVALS = "task,model,item,score\na,big,q1,1\na,small,q1,0\nb,small,q2,1\nb,big,q2,1\n"
#: Input kinds read by DuckDB, whose reads Python's audit hook does not see: a command's
#: file of such a kind is one of its inputs because the command line says so.
LIBRARY_READ = {"traffic", "evals"}


def _commands(cmd: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, Any]]:
    subs = getattr(cmd, "commands", None)
    if subs:
        for name in sorted(subs):
            yield from _commands(subs[name], (*prefix, name))
    else:
        yield " ".join(prefix), cmd


COMMANDS = dict(_commands(typer.main.get_command(app)))


def _parser(param: Any) -> Any:
    return param.type_descriptor.parameter_info.parser


def _is_path(param: Any) -> bool:
    annotation = param.type_descriptor.annotation
    return Path in (annotation, *get_args(annotation))


def _outputs(cmd: Any) -> list[tuple[Any, OutputPath]]:
    return [(p, _parser(p)) for p in cmd.params if isinstance(_parser(p), OutputPath)]


def _inputs(cmd: Any) -> list[tuple[Any, InputPath]]:
    return [(p, _parser(p)) for p in cmd.params if isinstance(_parser(p), InputPath)]


def test_the_tree_has_the_known_commands() -> None:
    # A floor, not the list: new commands are welcome and covered automatically.
    expected = {"optimize", "estimate", "assign", "report", "export", "check", "schema",
                "frontier", "prices import", "prices diff", "prices validate"}  # fmt: skip
    assert expected <= set(COMMANDS)
    assert sum(len(_outputs(c)) for c in COMMANDS.values()) >= 10


def test_every_path_parameter_is_an_input_or_an_output() -> None:
    for name, cmd in COMMANDS.items():
        for p in cmd.params:
            if not _is_path(p):
                continue
            parser = _parser(p)
            assert isinstance(parser, InputPath | OutputPath), (
                f"costplan {name}: path parameter {p.name!r} must use parser=InputPath(kind) "
                "or parser=OutputPath(option) from costplan.cli.common"
            )
            if isinstance(parser, OutputPath):
                assert parser.option in p.opts, (name, p.opts, parser.option)


# --- fixtures: one file per input kind -------------------------------------------------


class Folder:
    """A scratch folder with one input of every kind, and the command lines built on it."""

    def __init__(self, root: Path, run: Runner) -> None:
        self.root = root
        shutil.copytree(DATA / "basic", root / "basic")
        (root / "queries.csv").write_text(QUERIES)
        (root / "predictions.csv").write_text(QUERIES)  # assign --predictions: same queries
        (root / "traffic.csv").write_text(TRAFFIC)
        (root / "evals.csv").write_text(EVALS)
        shutil.copy(DATA / "catalogs" / "litellm_small.json", root / "catalog.json")
        self.kinds = {
            "workload": root / "basic" / "workload.yaml",
            "prices": root / "basic" / "prices.yaml",
            "queries": root / "queries.csv",
            "predictions": root / "predictions.csv",
            "catalog": root / "catalog.json",
            "plan": root / "plan.yaml",
            "traffic": root / "traffic.csv",  # DuckDB reads these two (see LIBRARY_READ)
            "evals": root / "evals.csv",
        }
        r = run("optimize", self.kinds["workload"], "-q", "--out", self.kinds["plan"])
        assert r.code == 0, r.err
        self.out = root / "out"
        self.links = root / "links"

    def fresh_dirs(self) -> None:
        for folder in (self.out, self.links):
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()

    def args(self, name: str, cmd: Any, outputs: dict[str, str]) -> list[str]:
        """Every input parameter filled with its kind's file; each output option
        with ``outputs[option]`` or a fresh file in ``out/``."""
        args: list[str] = []
        positional: list[str] = []
        for p, parser in _inputs(cmd):
            assert parser.kind in self.kinds, f"costplan {name}: no fixture for {parser.kind!r}"
            value = str(self.kinds[parser.kind])
            if p.param_type_name == "argument":
                positional.append(value)
            else:
                args += [p.opts[0], value]
        for k, (_, parser) in enumerate(_outputs(cmd)):
            option = parser.option
            suffix = parser.suffixes[0] if parser.suffixes else ".out"
            args += [option, outputs.get(option, str(self.out / f"{k}{suffix}"))]
        return [*args, *EXTRA.get(name, []), *positional]

    def snapshot(self) -> dict[str, str]:
        """Every file under the folder: content hash (symlinks: their target)."""
        state: dict[str, str] = {}
        for folder, _, files in os.walk(self.root):
            for f in files:
                path = Path(folder) / f
                if path.is_symlink():
                    state[str(path)] = "-> " + os.readlink(path)
                else:
                    state[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
        return state


_RECORDING: list[set[str]] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event != "open" or not _RECORDING:
        return
    path, mode, flags = args
    if not isinstance(path, str | bytes | os.PathLike):
        return
    writes = os.O_WRONLY | os.O_RDWR
    if isinstance(flags, int) and flags & writes:
        return
    if isinstance(mode, str) and any(c in mode for c in "wax+"):
        return
    _RECORDING[-1].add(os.path.realpath(os.fsdecode(path)))


sys.addaudithook(_audit)  # cannot be removed; inert unless _RECORDING is non-empty


def _opened_inputs(folder: Folder, run: Runner, name: str, cmd: Any) -> list[Path]:
    """The files under the folder (outside out/) that a normal run opens for reading."""
    folder.fresh_dirs()
    _RECORDING.append(set())
    try:
        r = run(*name.split(), *folder.args(name, cmd, {}))
    finally:
        opened = _RECORDING.pop()
    assert r.code == 0, f"costplan {name} failed in a normal run (add to EXTRA?): {r.err}"
    root, out = str(folder.root.resolve()), str(folder.out.resolve())
    opened |= {
        os.path.realpath(folder.kinds[parser.kind])
        for _, parser in _inputs(cmd)
        if parser.kind in LIBRARY_READ
    }
    return sorted(
        Path(p)
        for p in opened
        if p.startswith(root + os.sep) and not p.startswith(out + os.sep) and Path(p).is_file()
    )


@pytest.fixture
def folder(tmp_path: Path, run: Runner) -> Folder:
    return Folder(tmp_path / "w", run)


#: Commands not yet in the property, and why (each must still exist: see below).
NOT_YET: set[str] = set()


def test_not_yet_lists_only_existing_commands() -> None:
    assert set(COMMANDS) >= NOT_YET


@pytest.mark.parametrize(
    "name", sorted(n for n, c in COMMANDS.items() if _outputs(c) and n not in NOT_YET)
)
def test_an_output_over_an_input_is_refused_and_nothing_changes(
    name: str, folder: Folder, run: Runner
) -> None:
    cmd = COMMANDS[name]
    inputs = _opened_inputs(folder, run, name, cmd)
    if not _inputs(cmd):
        return  # e.g. schema: no inputs, nothing an output could overwrite
    assert inputs, f"costplan {name} has input parameters but opened no input"
    tried = 0
    for _, parser in _outputs(cmd):
        suffix = parser.suffixes[0] if parser.suffixes else ".out"
        for source in inputs:
            for variant in ("direct", "symlink", "hardlink"):
                folder.fresh_dirs()
                if variant == "direct":
                    target = source
                elif variant == "symlink":
                    target = folder.links / f"link{suffix}"
                    target.symlink_to(source)
                else:
                    target = folder.links / f"hard{suffix}"
                    os.link(source, target)
                before = folder.snapshot()
                r = run(*name.split(), *folder.args(name, cmd, {parser.option: str(target)}))
                where = f"costplan {name} {parser.option} {variant} {source.name}"
                assert r.code == 2, (where, r.code, r.err)
                assert r.err.startswith("error: "), (where, r.err)
                assert r.err.count("\n") == 1, (where, r.err)
                assert folder.snapshot() == before, f"{where}: a file changed"
                assert not any(folder.out.iterdir()), f"{where}: an output was written"
                suffix_ok = not parser.suffixes or source.suffix in parser.suffixes
                if variant != "direct" or suffix_ok:  # else a suffix check may come first
                    assert f"{parser.option} is the same file as the " in r.err, (where, r.err)
                    assert str(target) in r.err, (where, r.err)
                    assert str(source.name) in r.err, (where, r.err)
                tried += 1
    assert tried >= 3


@pytest.mark.parametrize(
    ("name", "option"),
    sorted(
        (n, parser.option)
        for n, c in COMMANDS.items()
        if n not in NOT_YET
        for _, parser in _outputs(c)
    ),
)
def test_dash_writes_the_same_bytes_to_stdout(
    name: str, option: str, folder: Folder, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``OPTION -`` prints exactly what ``OPTION FILE`` writes; no file named ``-``
    (or, for the options of :data:`NO_STDOUT`, is refused with exit 2 and nothing written)."""
    cmd = COMMANDS[name]
    (_, parser) = next((p, o) for p, o in _outputs(cmd) if o.option == option)
    suffix = parser.suffixes[0] if parser.suffixes else ".out"
    folder.fresh_dirs()
    monkeypatch.chdir(folder.out)
    as_file = folder.links / f"file{suffix}"
    r = run(*name.split(), *folder.args(name, cmd, {option: str(as_file)}))
    assert r.code == 0, r.err
    for left in folder.out.iterdir():  # the first run's other outputs (e.g. --queries-out)
        left.unlink()
    r = run(*name.split(), *folder.args(name, cmd, {option: "-"}))
    if (name, option) in NO_STDOUT:
        assert (r.code, r.out) == (2, "")
        assert r.err == f"error: {NO_STDOUT[name, option]}\n"
        assert not any(folder.out.iterdir())
        return
    assert r.code == 0, r.err
    assert r.out == as_file.read_text()
    assert not (folder.out / "-").exists()


#: Output options that cannot go to standard output, with their whole error line.
NO_STDOUT = {
    ("workload build", "--out"): "--out - (standard output) cannot be used: workload build "
    "writes a sidecar (NAME.empirical.json) beside the workload, which names it; give a file "
    "name, e.g. -o workload.yaml",
    ("workload build", "--queries-out"): "--queries-out - (standard output) cannot be used: "
    "give a file",
}


def test_two_outputs_on_stdout_are_refused(folder: Folder, run: Runner) -> None:
    r = run("optimize", folder.kinds["workload"], "-q", "--out", "-", "--report", "-")
    assert r.code == 2
    assert r.err == "error: --out and --report both write to standard output (-)\n"


def test_dot_slash_dash_is_a_file_named_dash(
    folder: Folder, run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder.fresh_dirs()
    monkeypatch.chdir(folder.out)
    r = run("schema", "workload", "--out", "./-")
    assert r.code == 0, r.err
    assert r.out == ""
    assert (folder.out / "-").read_text().startswith("{")


# --- standard output redirected onto an input ------------------------------------------


#: Commands whose inputs do not all go together (verify: a workload plan, or an assign
#: plan with its queries and assignments): the inputs of one normal run, by kind.
ONE_RUN: dict[str, list[str]] = {"verify": ["plan"]}


def _stdout_args(folder: Folder, name: str, cmd: Any) -> list[str]:
    if name in ONE_RUN:
        return [str(folder.kinds[kind]) for kind in ONE_RUN[name]]
    return folder.args(name, cmd, {})


def _run_with_stdout(stdout: Any, *args: str | Path) -> tuple[int, str]:
    """Run the CLI in-process with ``sys.stdout`` a real file object (as a shell's
    ``>``/``>>`` gives the process); return the exit code and stderr."""
    import contextlib
    import io

    from costplan.cli.app import main

    err = io.StringIO()
    code = 0
    saved = sys.stdout
    sys.stdout = stdout
    try:
        with contextlib.redirect_stderr(err):
            main([str(a) for a in args])
    except SystemExit as exc:
        code = int(exc.code or 0) if not isinstance(exc.code, str) else 1
    finally:
        sys.stdout = saved
        stdout.close()
    return code, err.getvalue()


@pytest.mark.parametrize("name", sorted(n for n, c in COMMANDS.items() if _inputs(c)
                                        and n not in NOT_YET))  # fmt: skip
def test_stdout_appended_to_an_input_is_refused_and_nothing_changes(
    name: str, folder: Folder, run: Runner
) -> None:
    """``costplan NAME ... >> INPUT``: exit 2, one line, every file unchanged.

    (With ``>`` the shell empties the file before costplan starts; see the next test.)
    """
    cmd = COMMANDS[name]
    folder.fresh_dirs()
    _RECORDING.append(set())
    try:
        r = run(*name.split(), *_stdout_args(folder, name, cmd))
    finally:
        opened = _RECORDING.pop()
    assert r.code == 0, f"costplan {name} failed in a normal run: {r.err}"
    root, out = str(folder.root.resolve()), str(folder.out.resolve())
    inputs = sorted(Path(p) for p in opened if p.startswith(root + os.sep)
                    and not p.startswith(out + os.sep) and Path(p).is_file())  # fmt: skip
    assert inputs, f"costplan {name} has input parameters but opened no input"
    for source in inputs:
        folder.fresh_dirs()
        before = folder.snapshot()
        code, err = _run_with_stdout(open(source, "a"), *name.split(),  # noqa: SIM115
                                     *_stdout_args(folder, name, cmd))  # fmt: skip
        where = f"costplan {name} >> {source.name}"
        assert code == 2, (where, code, err)
        assert err.count("\n") == 1, (where, err)
        assert err.startswith("error: "), (where, err)
        assert "standard output is redirected to this " in err, (where, err)
        assert source.name in err, (where, err)
        assert folder.snapshot() == before, f"{where}: a file changed"
        assert not any(folder.out.iterdir()), f"{where}: an output was written"


def test_stdout_truncating_an_input_is_refused_in_a_real_process(folder: Folder) -> None:
    """A real ``costplan report plan.yaml > plan.yaml`` and ``export -o - > plan.yaml``:
    the shell has emptied the file (that cannot be prevented); costplan refuses with
    exit 2 and says so, rather than reporting on an empty plan."""
    import subprocess

    plan = folder.kinds["plan"]
    kept = plan.read_bytes()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    for args in (["report", str(plan)], ["export", str(plan), "--to", "csv", "-o", "-"]):
        with open(plan, "wb") as out:  # what the shell's '>' does before exec
            r = subprocess.run([sys.executable, "-m", "costplan", *args], stdout=out,
                               stderr=subprocess.PIPE, text=True, env=env, check=False)  # fmt: skip
        assert r.returncode == 2, (args, r.stderr)
        assert r.stderr == (
            f"error: {plan}: standard output is redirected to this plan file (it is empty "
            "now: the shell's '>' emptied it before costplan started); refusing to write "
            "over an input; redirect standard output to another file\n"
        )
        assert plan.read_bytes() == b""
        plan.write_bytes(kept)
    with open(folder.root / "elsewhere.txt", "wb") as out:  # not an input: works
        r = subprocess.run([sys.executable, "-m", "costplan", "report", str(plan)], stdout=out,
                           stderr=subprocess.PIPE, text=True, env=env, check=False)  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert (folder.root / "elsewhere.txt").read_text().startswith("# costplan: basic")


# --- standard error redirected onto an input ---------------------------------------------


def _run_with_stderr(
    stderr: Any, tty: Path, monkeypatch: pytest.MonkeyPatch, *args: str | Path
) -> tuple[int, str]:
    """Run the CLI in-process with ``sys.stderr`` a real file object (as a shell's
    ``2>``/``2>>`` gives the process); the controlling terminal is the file ``tty``.
    Return the exit code and what reached the terminal."""
    from costplan import safeio
    from costplan.cli.app import main

    monkeypatch.setattr(safeio, "TTY", str(tty))
    code = 0
    saved = sys.stderr
    sys.stderr = stderr
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        code = int(exc.code or 0) if not isinstance(exc.code, str) else 1
    finally:
        if sys.stderr is not stderr:
            sys.stderr.close()
        sys.stderr = saved
        stderr.close()
    return code, tty.read_text() if tty.exists() else ""


@pytest.mark.parametrize("name", sorted(n for n, c in COMMANDS.items() if _inputs(c)))
def test_stderr_appended_to_an_input_is_refused_and_nothing_changes(
    name: str, folder: Folder, run: Runner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``costplan NAME ... 2>> INPUT``: exit 2, every file unchanged (not even the
    error line is appended), the one-line refusal on the terminal instead."""
    cmd = COMMANDS[name]
    folder.fresh_dirs()
    _RECORDING.append(set())
    try:
        r = run(*name.split(), *_stdout_args(folder, name, cmd))
    finally:
        opened = _RECORDING.pop()
    assert r.code == 0, f"costplan {name} failed in a normal run: {r.err}"
    root, out = str(folder.root.resolve()), str(folder.out.resolve())
    inputs = sorted(Path(p) for p in opened if p.startswith(root + os.sep)
                    and not p.startswith(out + os.sep) and Path(p).is_file())  # fmt: skip
    assert inputs, f"costplan {name} has input parameters but opened no input"
    for k, source in enumerate(inputs):
        folder.fresh_dirs()
        before = folder.snapshot()
        tty = tmp_path / f"tty{k}"
        code, shown = _run_with_stderr(open(source, "a"), tty, monkeypatch,  # noqa: SIM115
                                       *name.split(), *_stdout_args(folder, name, cmd))  # fmt: skip
        where = f"costplan {name} 2>> {source.name}"
        assert code == 2, (where, code, shown)
        assert shown.startswith("error: "), (where, shown)
        assert shown.count("\n") == 1, (where, shown)
        assert "standard error is redirected to this " in shown, (where, shown)
        assert source.name in shown, (where, shown)
        assert folder.snapshot() == before, f"{where}: a file changed"
        assert not any(folder.out.iterdir()), f"{where}: an output was written"


def _costplan(args: list[str], stderr: Any) -> int:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2] / "src")}
    r = subprocess.run([sys.executable, "-m", "costplan", *args], stdout=subprocess.DEVNULL,
                       stderr=stderr, env=env, check=False, stdin=subprocess.DEVNULL)  # fmt: skip
    return r.returncode


def test_stderr_onto_an_input_in_a_real_process(folder: Folder) -> None:
    """``report plan.yaml 2> plan.yaml``: the shell's '2>' has emptied the plan (that
    cannot be prevented) and costplan refuses, exit 2, writing nothing into it;
    ``2>> plan.yaml`` and ``optimize workload.yaml 2>> prices.yaml`` (an input not on
    the command line) leave the file byte-identical; a file that is not an input
    gets the error as usual."""
    plan, prices = folder.kinds["plan"], folder.kinds["prices"]
    kept, kept_prices = plan.read_bytes(), prices.read_bytes()
    with open(plan, "wb") as err:  # what the shell's '2>' does before exec
        assert _costplan(["report", str(plan)], err) == 2
    assert plan.read_bytes() == b""
    plan.write_bytes(kept)
    with open(plan, "ab") as err:
        assert _costplan(["report", str(plan), "--points", "many"], err) == 2
    assert plan.read_bytes() == kept
    with open(prices, "ab") as err:
        assert _costplan(["optimize", str(folder.kinds["workload"]), "-q"], err) == 2
    assert prices.read_bytes() == kept_prices
    log = folder.root / "log.txt"
    with open(log, "ab") as err:
        assert _costplan(["report", str(plan)], err) == 0
        assert _costplan(["report", str(folder.root / "nope.yaml")], err) == 2
    assert log.read_text() == f"error: {folder.root / 'nope.yaml'}: plan file not found\n"
