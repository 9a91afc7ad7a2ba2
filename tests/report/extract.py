"""Read the allocation table back out of each renderer's output (for cross-checks)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from html.parser import HTMLParser

from rich.console import Console

from costplan.plan import Plan
from costplan.report.terminal import render_plan


def usd(text: str) -> Decimal:
    """``$1,234.56`` / ``\\$1,234.56`` / ``**\\$1.02**`` -> Decimal('1234.56')."""
    cleaned = text.replace("\\", "").replace("*", "").strip()
    match = re.fullmatch(r"(-?)\$([\d,]+\.\d+)", cleaned)
    assert match, f"not a money cell: {text!r}"
    return Decimal(match.group(1) + match.group(2).replace(",", ""))


@dataclass
class Extracted:
    rows: list[Decimal] = field(default_factory=list)  # allocation row costs, in order
    total: Decimal | None = None


def terminal(plan: Plan) -> tuple[Extracted, str]:
    buf = io.StringIO()
    render_plan(plan, Console(file=buf, width=240, color_system=None, highlight=False))
    text = buf.getvalue()
    out = Extracted()
    for line in text.splitlines():
        if line.startswith("└"):
            break  # end of the allocation table
        if not line.startswith("│"):
            continue
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[0] == "total":
            out.total = usd(cells[-1])
        else:
            out.rows.append(usd(cells[-1]))
    return out, text


def markdown(text: str) -> Extracted:
    lines = text.splitlines()
    start = lines.index("## Allocation") + 2
    out = Extracted()
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        if cells[0] == "**total**":
            out.total = usd(cells[-1])
        else:
            out.rows.append(usd(cells[-1]))
    return out


class _Tables(HTMLParser):
    """data-usd of the last cell of each row of <table class="allocation">."""

    def __init__(self) -> None:
        super().__init__()
        self.in_table = False
        self.section = ""
        self.row: list[str] = []
        self.out = Extracted()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "table":
            self.in_table = a.get("class") == "allocation"
        elif self.in_table and tag in ("tbody", "tfoot"):
            self.section = tag
        elif self.in_table and tag == "tr":
            self.row = []
        elif self.in_table and tag in ("td", "th") and a.get("data-usd") is not None:
            self.row.append(a["data-usd"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.in_table = False
        elif self.in_table and tag == "tr" and self.section and self.row:
            value = Decimal(self.row[-1])
            if self.section == "tfoot":
                self.out.total = value
            else:
                self.out.rows.append(value)


def html(text: str) -> Extracted:
    parser = _Tables()
    parser.feed(text)
    return parser.out
