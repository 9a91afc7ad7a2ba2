"""Model names as logged -> price sheet names."""

from __future__ import annotations

from decimal import Decimal

import pytest

from costplan.errors import InputError
from costplan.ingest.names import Resolver, Seen, check_known

SHEET = {"gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5"}


@pytest.mark.parametrize(
    ("logged", "sheet"),
    [
        ("gpt-4o", "gpt-4o"),
        ("openai/gpt-4o-mini", "gpt-4o-mini"),  # inspect-ai's provider/model
        ("gpt-4o-2024-08-06", "gpt-4o"),  # OpenAI snapshot date
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),  # Anthropic snapshot date
        ("anthropic/claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("gpt-5", None),
    ],
)
def test_resolve(logged: str, sheet: str | None) -> None:
    assert Resolver(SHEET, {}, ())(logged) == sheet


def test_alias_wins() -> None:
    assert Resolver(SHEET, {"my-router": "gpt-4o"}, ())("my-router") == "gpt-4o"


def test_unknown_listed_by_traffic() -> None:
    seen = [
        Seen("gpt-5", 10, Decimal("1.5"), "traffic"),
        Seen("gpt-5", 5, None, "traffic"),
        Seen("mystery", 100, None, "traffic"),
        Seen("gpt-4o", 3, None, "traffic"),
    ]
    with pytest.raises(InputError) as exc:
        check_known(Resolver(SHEET, {}, ()), seen, "p.yaml")
    # most requests first; spend summed where logged
    assert (
        "unknown models (not in p.yaml): mystery (100 requests; traffic); "
        "gpt-5 (15 requests, $1.5000 logged; traffic)"
    ) in str(exc.value)
