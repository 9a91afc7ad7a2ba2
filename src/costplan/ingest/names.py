"""Model names as logged or evaluated -> price sheet names; unknown ones listed, never dropped."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from costplan.errors import InputError

_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8})$")


@dataclass(frozen=True)
class Seen:
    """A model name as found in the inputs, with how much traffic it carries."""

    name: str
    requests: int
    spend_usd: Decimal | None
    where: str  # "traffic" or an eval file


class Resolver:
    """Map a logged name to a sheet name: ``--model LOG=SHEET`` first; then the name
    itself, without a ``provider/`` prefix (inspect-ai's ``openai/gpt-4o``), or
    without a snapshot date suffix (``gpt-4o-2024-08-06``), whichever the sheet has.
    Without a sheet only the alias and the prefix rule apply."""

    def __init__(
        self,
        known: Collection[str] | None,
        aliases: Mapping[str, str],
        ignored: Collection[str],
    ) -> None:
        self.known = known
        self.aliases = dict(aliases)
        self.ignored = set(ignored)

    def __call__(self, name: str) -> str | None:
        """The sheet name, or None when unknown (ignored names return themselves)."""
        if name in self.aliases:
            return self.aliases[name]
        if name in self.ignored:
            return name
        bare = name.rsplit("/", 1)[-1]
        if self.known is None:
            return bare
        for candidate in (name, bare, _SNAPSHOT.sub("", bare)):
            if candidate in self.known:
                return candidate
        return None


def check_known(resolver: Resolver, seen: Sequence[Seen], sheet_label: str) -> None:
    """Every seen name resolves, or one error listing all unknown ones with their traffic."""
    unknown: dict[str, list[Seen]] = {}
    for s in seen:
        if resolver(s.name) is None:
            unknown.setdefault(s.name, []).append(s)
    if not unknown:
        return
    parts = []
    for name, items in sorted(unknown.items(), key=lambda kv: -sum(s.requests for s in kv[1])):
        requests = sum(s.requests for s in items)
        spends = [s.spend_usd for s in items if s.spend_usd is not None]
        spend = f", ${sum(spends, start=Decimal(0)):.4f} logged" if spends else ""
        where = ", ".join(sorted({s.where for s in items}))
        parts.append(f"{name} ({requests:,} requests{spend}; {where})")
    raise InputError(
        f"unknown models (not in {sheet_label}): " + "; ".join(parts),
        hint="add them to the sheet, map with --model LOG=SHEET, or drop with --ignore-model NAME",
    )
