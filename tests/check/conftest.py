from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import Runner, basic, run  # noqa: F401  (CLI fixtures, shared)


@pytest.fixture
def planned(basic: Path, run: Runner, monkeypatch: pytest.MonkeyPatch) -> Path:  # noqa: F811
    """A copy of tests/data/basic with ``plan.yaml`` (budget $500: all on 'big', $358.90).

    The current directory is the copy, as in CI: the plan names its workload
    relative to the directory optimize ran in.
    """
    monkeypatch.chdir(basic)
    r = run("optimize", "workload.yaml", "-o", "plan.yaml", "-q")
    assert r.code == 0, r.err
    return basic


def scaled_big(
    folder: Path, factor: str, name: str = "new-prices.yaml", source: str = "prices.yaml"
) -> Path:
    """A copy of the basic price sheet ``folder/source`` with every price of 'big'
    multiplied by ``factor``, written to ``folder/name``."""
    from decimal import Decimal

    text = (folder / source).read_text()
    f = Decimal(factor)
    for key, old in (
        ("input_usd_per_mtok", "3"),
        ("output_usd_per_mtok", "15"),
        ("cache_read_usd_per_mtok", "0.3"),
    ):
        line = f"    {key}: {old}\n"
        assert line in text, line
        text = text.replace(line, f"    {key}: {Decimal(old) * f}\n")
    out = folder / name
    out.write_text(text)
    return out
