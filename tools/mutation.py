"""Mutation testing of costplan's exact core, one module at a time, with mutmut.

One command (from the repository root; any Python 3.11+ with the project's dependencies)::

    python tools/mutation.py                  # every module below, in order
    python tools/mutation.py money cost       # only these
    python tools/mutation.py --list           # the modules, their functions and test files
    python tools/mutation.py money --diffs    # also print each surviving mutant's diff

For each module it builds a scratch copy of the checkout (``--workdir``, default
``$TMPDIR/costplan-mutation/<module>``; the checkout itself is never touched), writes a
``[tool.mutmut]`` section that mutates only that module (optionally only some of its
functions) and runs only the focused test files that cover it, runs ``mutmut run
--max-children 1`` (one worker: the machine is shared), and prints one row per module:

    module  mutants  killed  timeout  survived  no-tests  other  kill-rate

``kill-rate`` is (killed + timeout) / mutants: a mutant no selected test reaches counts as
surviving. ``--min-rate 85`` makes the exit status 1 when any module is below 85%.
Survivors that are equivalent mutants are explained in the README ("Mutation testing").

If mutmut is missing it is installed with pip at the version pinned in pyproject.toml's
``mutation`` extra. This is not part of the test suite or of ``.ci/run``.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Copied into the scratch checkout (tests read fixtures from all of them).
COPIED = ("src", "tests", "benchmarks", "examples", "schemas", "README.md", "pyproject.toml")
#: Loaded into every mutant's pytest run: hypothesis without deadlines (the mutated code
#: runs through mutmut's trampolines, slower than usual, and a deadline miss would count
#: as a kill) and derandomised (the same examples every run, so counts are reproducible).
PLUGIN = """\
from hypothesis import settings

settings.register_profile("mutation", deadline=None, derandomize=True, print_blob=False)
settings.load_profile("mutation")
"""


@dataclass(frozen=True)
class Module:
    """One unit of mutation testing: a source file, optional functions, its tests."""

    name: str
    source: str  # path from the repository root
    tests: tuple[str, ...]  # pytest arguments: files or node ids
    #: fnmatch patterns on mutmut's function names (``x_func``, ``xǁClassǁmethod``); () = all
    functions: tuple[str, ...] = ()

    def exists(self) -> bool:
        return (ROOT / self.source).exists()

    def patterns(self) -> list[str]:
        """mutmut mutant-name patterns for the selected functions ([] = every mutant)."""
        dotted = self.source.removeprefix("src/").removesuffix(".py").replace("/", ".")
        return [f"{dotted}.{p}__mutmut_*" for p in self.functions]


def _checker() -> list[Module]:
    """The independent checker: the arithmetic of the package ``verify/`` (prices and tiers,
    option costs, the certificate's bound) and its proofs (the class-level and per-query
    searches, the per-query certificate), each file on its own, else ``verify.py``."""
    if (ROOT / "src/costplan/verify").is_dir():
        tests = (
            "tests/trust/test_verify.py",
            "tests/trust/test_verify_certificate.py",
            "tests/trust/test_verify_assign.py",
            "tests/mutation_kills/test_checker_kills.py",
            "tests/mutation_kills/test_checker_names_kills.py",
            "tests/mutation_kills/test_checker_cache_kills.py",
            "tests/mutation_kills/test_checker_certificate_kills.py",
        )
        # verify/costs.py also runs its own kill tests (latency, profiles, measured costs)
        own = {"costs": ("tests/mutation_kills/test_checker_costs_kills.py",)}
        arithmetic = [
            Module(
                f"checker-{name}", f"src/costplan/verify/{name}.py", (*tests, *own.get(name, ()))
            )
            for name in ("prices", "costs", "certificate")
        ]
        proof_tests = (
            "tests/trust/test_verify_search.py",
            "tests/trust/test_verify_assign.py",
            "tests/trust/test_verify_certificate.py",
            "tests/trust/test_tamper_assign.py",
            "tests/mutation_kills/test_checker_proof_kills.py",
        )
        # the per-query bound and search also run their brute-force kill tests
        per_query = (*proof_tests, "tests/mutation_kills/test_checker_searchq_kills.py")
        proofs = [
            Module("checker-search", "src/costplan/verify/search.py", proof_tests),
            *(
                Module(f"checker-{name}", f"src/costplan/verify/{name}.py", per_query)
                for name in ("searchq", "perquerycert")
            ),
        ]
        return arithmetic + proofs
    tests = ("tests/trust/test_verify.py", "tests/test_cascade.py", "tests/test_planio.py")
    return [Module("checker", "src/costplan/verify.py", tests)]


def _solvers() -> list[Module]:
    """The solvers' exact cores: the status rule, the class-level bound and core (its five
    files), the per-query core beyond its relaxation (``mckp-relax`` below), the constrained
    path, its Lagrangian search and the CP-SAT class-level back end."""
    kills = "tests/mutation_kills/test_{}_kills.py"
    sv = "tests/solvers/test_{}.py"
    return [
        Module(
            "solvers-protocol",
            "src/costplan/solvers/protocol.py",
            (kills.format("protocol"), sv.format("scaled_claims")),
        ),
        Module(
            "solvers-classbound",
            "src/costplan/solvers/classbound.py",
            (kills.format("classbound"),),
        ),
        # the class-level MCKP core, one module per file (classmckp.py was split in five);
        # each runs the core's kill tests and, when it has one, its own file's
        *(
            Module(
                name,
                f"src/costplan/solvers/{file}.py",
                (
                    kills.format("classmckp"),
                    *(
                        own
                        for own in (kills.format(file),)
                        if file != "classmckp" and (ROOT / own).exists()
                    ),
                ),
            )
            for name, file in (
                ("solvers-classmckp", "classmckp"),  # entry: dominance, money unit, status
                ("classmckp-prices", "classprices"),  # LP prices, exact D, penalties
                ("classmckp-configs", "classconfigs"),  # the configurations within a margin
                ("classmckp-search", "classsearch"),  # margin rounds, core, tie-break, branch
                ("classmckp-mincost", "classmincost"),  # min_cost task by task
            )
        ),
        # the per-query MCKP beyond its relaxation, one module per file (mckp.py was split in
        # six; the relaxation, mckp_relax.py, is module "mckp-relax"). Each runs only the kill
        # tests (brute force over every plan, ~13 s clean): test_mckp.py and test_mckp_medium.py
        # took ~40 s clean together, re-run for every surviving mutant
        Module(
            "mckp-core",
            "src/costplan/solvers/mckp_core.py",
            (kills.format("mckp_core"),),
            # fill, fixing, the DP and the bound-driven deepening (its dataclasses excluded)
            functions=(
                "x__floor",
                "x__to_float_up",
                "x__fill",
                "x__fix",
                "x__dp",
                "x_exact_core",
            ),
        ),
        *(
            Module(
                name,
                f"src/costplan/solvers/{file}.py",
                (kills.format("mckp_core"),),
            )
            for name, file in (
                ("solvers-mckp", "mckp"),  # entry: solve_mckp
                ("mckp-problem", "mckp_problem"),  # validation, canonical form
                ("mckp-cpsat", "mckp_cpsat"),  # the CP-SAT fallback on a restricted question
                ("mckp-cert", "mckp_cert"),  # certificate and slacks
            )
        ),
        Module(
            "solvers-constrained",
            "src/costplan/solvers/constrained.py",
            # the kill file's enumeration stands in for test_constrained.py's 1,000 brute-force
            # instances (7 s) and its stopped CP-SAT for test_constrained_timeout.py's (20 s)
            (
                kills.format("constrained"),
                *(
                    f"{sv.format('constrained')}::test_{name}"
                    for name in (
                        "reduction_keeps_options_a_binding_capacity_needs",
                        "a_non_binding_constraint_costs_nothing_at_2000_queries",
                    )
                ),
            ),
        ),
        Module(
            "solvers-sidelag",
            "src/costplan/solvers/sidelag.py",
            # behaviour by enumeration, and test_sidelag's two differential searches (the
            # restricted LP and the warm start against the plain search); the constrained suites
            # (30 s) reach sidelag through solve_constrained only
            (
                kills.format("sidelag"),
                *(
                    f"{sv.format('sidelag')}::test_{name}"
                    for name in (
                        "restricted_search_matches_the_full_search_and_brute_force",
                        "warm_start_at_the_unconstrained_price_changes_nothing",
                    )
                ),
            ),
        ),
        # its kill tests hold a shorter copy of test_classlevel.py's brute force (9 s a run)
        # and of test_scaled_claims.py's 2,000-instance fuzz (20 s); the reproducer stays
        Module(
            "solvers-classlevel",
            "src/costplan/solvers/classlevel.py",
            (
                kills.format("classlevel"),
                sv.format("scaled_claims")
                + "::test_reproducer_10e8_queries_exact_status_and_bound",
            ),
        ),
    ]


_TAMPER_ASSIGN = "tests/trust/test_tamper_assign.py"
_KILLS = "tests/mutation_kills/test_checker_kills.py"


def _more() -> list[Module]:
    """The modules measured from 2026-12-04 on, one block per group of files: each block's
    test lists name the suites that exercise those files and their kill-test files
    (``tests/mutation_kills/test_<name>_kills.py``; a missing file is skipped)."""
    k = "tests/mutation_kills/test_{}_kills.py"
    v = "src/costplan/verify/{}.py"
    return [
        # the checker's readers and per-query re-pricing (each with the suites that reach it)
        *(
            Module(f"checker-{n}", v.format(n), (k.format(f"checker_{n}"), *suites))
            for n, suites in (
                ("perquery", (_TAMPER_ASSIGN,)),
                ("queryfile", (_TAMPER_ASSIGN,)),
                ("tasks", (_KILLS, "tests/mutation_kills/test_checker_cache_kills.py")),
                ("raw", ("tests/trust/test_safeio.py",)),
                ("tokens", ("tests/trust/test_checker_samples.py",)),
            )
        ),
        # the checker's plan structure, risk, commitments and claims: each runs its kill tests,
        # test_verify.py and the suites that reach the file (every plan a test writes is
        # checked by tests/conftest.py, so these suites exercise the checker end to end)
        *(
            Module(
                f"checker-{n}",
                v.format(n),
                (k.format(f"checker_{n}"), "tests/trust/test_verify.py", *more),
            )
            for n, more in (
                # the commitment rows and fees reach classplan.py through check_commitments
                ("classplan", (k.format("checker_commitments"),)),
                (
                    "risk",
                    (
                        k.format("checker_commitments"),  # fixed fees in the period total
                        "tests/risk/test_period_closed_forms.py",
                        "tests/risk/test_risk_files.py",
                        "tests/risk/test_quality_error.py",
                    ),
                ),
                ("commitments", ("tests/billing/test_commitments.py",)),
                ("claims", ()),
                (
                    "names",
                    ("tests/billing/test_capacity_names.py", "tests/billing/test_variants.py"),
                ),
                ("findings", ()),
                ("generic", ("tests/trust/test_verify_damaged.py",)),
            )
        ),
        Module(
            "checker-init",
            "src/costplan/verify/__init__.py",
            (k.format("checker_init"), "tests/trust/test_verify.py"),
        ),
        # cost arithmetic outside pricing/cost.py
        Module(
            "option-pricing",
            "src/costplan/option_pricing.py",
            (k.format("option_pricing"), "tests/pricing/test_caching.py"),
        ),
        Module(
            "pricing-caching",
            "src/costplan/pricing/caching.py",
            (k.format("caching"), "tests/pricing/test_caching.py"),
        ),
        Module(
            "pricing-whatif",
            "src/costplan/pricing/whatif.py",
            (k.format("whatif"), "tests/test_whatif.py"),
        ),
        Module(
            "numbers",
            "src/costplan/numbers.py",
            (k.format("numbers"), "tests/trust/test_values.py"),
        ),
        # the side rows' exact LP near the budget price
        Module(
            "solvers-sidenear",
            "src/costplan/solvers/sidenear.py",
            (k.format("sidenear"), "tests/solvers/test_sidelag.py"),
        ),
        Module("solvers-cpsat", "src/costplan/solvers/cpsat.py", (k.format("cpsat"),)),
    ]


def modules() -> list[Module]:
    return [
        Module(
            "money",
            "src/costplan/money.py",
            (
                "tests/test_money.py",
                "tests/trust/test_values.py",
                "tests/mutation_kills/test_money_kills.py",
                "tests/mutation_kills/test_money_rounding_kills.py",
            ),
        ),
        Module(
            "cost",
            "src/costplan/pricing/cost.py",
            ("tests/mutation_kills/test_cost_kills.py",),
        ),
        *_checker(),
        *_solvers(),
        *_more(),
        Module(
            "mckp-relax",
            "src/costplan/solvers/mckp_relax.py",
            ("tests/mutation_kills/test_mckp_relax_kills.py",),
            # the LP relaxation behind every MCKP bound: hull, greedy, exact critical price
            functions=(
                "x_relax",
                "x__relax",
                "x__select",
                "x__hull_chunk",
                "x__build_hull",
                "x__prod_sign",
                "x__mul128",
                "x_hull_steps",
                "x_more_efficient",
            ),
        ),
    ]


def ensure_mutmut() -> Path:
    """The mutmut executable beside this interpreter, installed from PyPI if missing."""
    exe = Path(sys.executable).parent / "mutmut"
    if not exe.exists():
        extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
            "optional-dependencies"
        ]["mutation"]
        subprocess.run([sys.executable, "-m", "pip", "install", *extra], check=True)
    if not exe.exists():
        sys.exit(f"mutation: mutmut is not at {exe} after installing it")
    return exe


def toml_list(items: list[str]) -> str:
    return (
        "["
        + ", ".join('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items)
        + "]"
    )


def prepare(mod: Module, work: Path) -> None:
    """A fresh scratch checkout in ``work`` configured to mutate ``mod`` only."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif src.exists():
            shutil.copy2(src, work / name)
    (work / "mutation_plugin.py").write_text(PLUGIN)
    only = f"{mod.source}/*" if (ROOT / mod.source).is_dir() else mod.source
    tests = [t for t in mod.tests if (ROOT / t.split("::")[0]).exists()]
    section = f"""
[tool.mutmut]
source_paths = ["src"]
only_mutate = {toml_list([only])}
also_copy = {toml_list([*COPIED[2:5], "README.md", "mutation_plugin.py"])}
pytest_add_cli_args = ["-p", "mutation_plugin", "-p", "no:cacheprovider", "-q"]
pytest_add_cli_args_test_selection = {toml_list(tests)}
"""
    with (work / "pyproject.toml").open("a") as f:
        f.write(section)


def run_mutmut(exe: Path, mod: Module, work: Path, verbose: bool) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONHASHSEED"] = "0"
    cmd = [str(exe), "run", "--max-children", "1"]
    cmd += mod.patterns()
    out = None if verbose else subprocess.DEVNULL
    proc = subprocess.run(cmd, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        # mutmut exits 1 when the clean run of the selected tests fails: show why.
        subprocess.run(cmd, cwd=work, env=env, check=False)
        sys.exit(f"mutation: mutmut failed on {mod.name} (exit {proc.returncode}), see above")


RESULT = re.compile(r"^\s*(\S+): (.+?)\s*$")


def results(exe: Path, mod: Module, work: Path) -> dict[str, str]:
    """Mutant name -> status for the mutants of ``mod`` (and its selected functions)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [str(exe), "results", "--all", "true"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    patterns = mod.patterns()
    found = {}
    for line in out.splitlines():
        m = RESULT.match(line)
        if m and (not patterns or any(fnmatch.fnmatch(m[1], p) for p in patterns)):
            found[m[1]] = m[2]
    return found


def row(name: str, statuses: dict[str, str]) -> tuple[str, float]:
    n = len(statuses)
    count = {
        s: sum(1 for v in statuses.values() if v == s)
        for s in ("killed", "timeout", "survived", "no tests")
    }
    other = n - sum(count.values())
    rate = 100.0 * (count["killed"] + count["timeout"]) / n if n else 0.0
    text = (
        f"{name:<19} {n:>7} {count['killed']:>7} {count['timeout']:>8} {count['survived']:>9}"
        f" {count['no tests']:>9} {other:>6} {rate:>9.1f}%"
    )
    return text, rate


def main(argv: list[str] | None = None) -> int:
    all_mods = modules()
    names = [m.name for m in all_mods]
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("modules", nargs="*", help=f"modules to test (default: all of {names})")
    ap.add_argument("--list", action="store_true", help="print the modules and exit")
    ap.add_argument("--diffs", action="store_true", help="print every surviving mutant's diff")
    ap.add_argument("--verbose", action="store_true", help="show mutmut's own progress output")
    ap.add_argument("--min-rate", type=float, default=0.0, help="exit 1 below this kill rate (%%)")
    ap.add_argument(
        "--workdir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "costplan-mutation",
        help="scratch directory (one subdirectory per module)",
    )
    args = ap.parse_args(argv)
    unknown = sorted(set(args.modules) - set(names))
    if unknown:
        ap.error(f"unknown module(s) {', '.join(unknown)}; known: {', '.join(names)}")
    chosen = [m for m in all_mods if not args.modules or m.name in args.modules]
    if args.list:
        for m in chosen:
            funcs = f" functions {', '.join(m.functions)}" if m.functions else ""
            print(f"{m.name}: {m.source}{funcs}\n    tests: {' '.join(m.tests)}")
        return 0
    exe = ensure_mutmut()
    header = (
        f"{'module':<19} {'mutants':>7} {'killed':>7} {'timeout':>8} {'survived':>9}"
        f" {'no-tests':>9} {'other':>6} {'kill-rate':>10}"
    )
    rows, worst = [], 100.0
    for m in chosen:
        if not m.exists():
            print(f"mutation: {m.name}: {m.source} does not exist, skipped", file=sys.stderr)
            continue
        work = args.workdir / m.name
        print(f"mutation: {m.name} ({m.source}) in {work} ...", flush=True)
        prepare(m, work)
        run_mutmut(exe, m, work, args.verbose)
        statuses = results(exe, m, work)
        text, rate = row(m.name, statuses)
        worst = min(worst, rate)
        rows.append(text)
        print(header + "\n" + text, flush=True)
        for name, status in sorted(statuses.items()):
            if status not in ("killed", "timeout"):
                print(f"    {status}: {name}")
                if args.diffs:
                    diff = subprocess.run(
                        [str(exe), "show", name],
                        cwd=work,
                        capture_output=True,
                        text=True,
                        check=False,
                    ).stdout
                    print("\n".join("      " + line for line in diff.splitlines()))
    print("\n" + header)
    print("\n".join(rows))
    return 1 if worst < args.min_rate else 0


if __name__ == "__main__":
    sys.exit(main())
