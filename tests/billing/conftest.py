from __future__ import annotations

from tests.cli.conftest import run

__all__ = ["run"]  # the CLI runner fixture, shared with tests/cli
