"""Fixtures for the trust tests: the CLI runner, and a count of fuzz cases.

The fuzz tests add the cases they ran to :data:`FUZZ_CASES`; the total is
printed in pytest's terminal summary (and recorded as a junit property by each
fuzz test), so every run shows how much fuzzing it did.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.cli.conftest import Result, Runner, basic, run

__all__ = ["FUZZ_CASES", "FUZZ_OUTCOMES", "Result", "Runner", "basic", "run"]

#: Fuzz cases run in this session, by test name.
FUZZ_CASES: Counter[str] = Counter()
#: What the fuzz cases ended in: "plan optimal", "error exit 2", "cli exit 0"...
FUZZ_OUTCOMES: Counter[str] = Counter()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FUZZ_CASES:
        return
    total = sum(FUZZ_CASES.values())
    parts = ", ".join(f"{name} {n}" for name, n in sorted(FUZZ_CASES.items()))
    from tests.trust.test_fuzz import fuzz_seed  # imported: fuzz cases ran

    terminalreporter.write_line(
        f"trust: {total} fuzz cases run ({parts}); fuzz seed {fuzz_seed()} "
        "(COSTPLAN_FUZZ_SEED replays or changes it)"
    )
    outcomes = ", ".join(f"{name}: {n}" for name, n in sorted(FUZZ_OUTCOMES.items()))
    terminalreporter.write_line(f"trust: fuzz outcomes: {outcomes}")
