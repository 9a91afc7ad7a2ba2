"""HTML report: one self-contained, well-formed page with inline SVG charts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

from costplan.plan import Plan
from costplan.report.html import render_html
from tests.report.plans import TASK_1, explained_plan, frontier, hostile_plan

SVG_NS = "http://www.w3.org/2000/svg"
VOID = {"meta", "link", "br", "hr", "img", "input", "col", "area", "base", "wbr", "source"}


class _Strict(HTMLParser):
    """Fails on mis-nested or unclosed elements; collects ids and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.ids: list[str] = []
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.ids += [v for k, v in attrs if k == "id" and v]
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.ids += [v for k, v in attrs if k == "id" and v]

    def handle_endtag(self, tag: str) -> None:
        assert self.stack, f"</{tag}> closes nothing"
        assert self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1]}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Strict:
    parser = _Strict()
    parser.feed(page)
    parser.close()
    assert parser.stack == []
    return parser


def _svgs(page: str) -> list[ET.Element]:
    fragments = re.findall(r"<svg\b.*?</svg>", page, flags=re.S)
    return [ET.fromstring(f) for f in fragments]


def _ids(svg: ET.Element) -> list[str]:
    return [el.get("id", "") for el in svg.iter() if el.get("id")]


def test_page_is_well_formed_and_self_contained() -> None:
    page = render_html(explained_plan(), frontier())
    assert page.startswith('<!DOCTYPE html>\n<html lang="en">')
    parser = _parse(page)
    # Nothing is loaded from anywhere: the SVG namespace is the only URL.
    assert set(re.findall(r"https?://[^\s\"'<>)]*", page)) == {SVG_NS}
    for tag in ("script", "link", "img", "iframe", "object", "embed"):
        assert tag not in parser.tags
    assert not re.search(r"\bsrc=|@import|url\((?!#)", page)
    # Every id is unique, even across the two charts.
    assert len(parser.ids) == len(set(parser.ids))


def test_user_strings_are_escaped() -> None:
    page = render_html(explained_plan(), frontier())
    assert "<script" not in page
    assert "<b>c</b>" not in page
    assert "tri|age &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    text = "".join(_parse(page).text)
    assert TASK_1 in text  # decoded back, the page shows the name as written
    assert "note with <tag> & | pipe" in text


def test_allocation_chart_has_one_bar_per_row() -> None:
    plan = hostile_plan()
    (svg,) = _svgs(render_html(plan))
    assert svg.tag == f"{{{SVG_NS}}}svg"
    assert svg.get("role") == "img"
    bars = [el for el in svg.iter() if el.get("id", "").startswith("costplan-bar-")]
    assert [b.get("id") for b in bars] == [f"costplan-bar-{k}" for k in range(7)]
    for bar in bars:
        assert bar.find(f"{{{SVG_NS}}}path") is not None
    labels = {"".join(t.itertext()) for t in svg.iter(f"{{{SVG_NS}}}text")}
    # Task names are drawn as text (dollar signs literal, not mathtext) ...
    assert {TASK_1, "$x$ & _y_ *z*", "=SUM(A1:A9)"} <= labels
    # ... and so are the legend's model labels.
    assert {"m|1", "big*", "m|1 (batch)", "<b>c</b>", "cascade mini-then-big"} <= labels


def test_frontier_chart_marks_the_plan() -> None:
    assert len(_svgs(render_html(hostile_plan()))) == 1
    page = render_html(hostile_plan(), frontier())
    allocation, chart = _svgs(page)
    ids = _ids(chart)
    for gid in ("costplan-frontier", "costplan-plan-point", "costplan-budget", "costplan-knee"):
        assert gid in ids
    assert not set(_ids(allocation)) & set(ids)
    assert '<section id="frontier">' in page
    assert 'data-usd="1.50"' in page


def test_explanations_section_only_when_present() -> None:
    assert '<section id="explanations">' not in render_html(hostile_plan())
    page = render_html(explained_plan())
    section = page[page.index('<section id="explanations">') :]
    section = section[: section.index("</section>")]
    assert "<li>marginal quality per usd: 0.0125</li>" in section
    assert "<li>floor of &lt;tri|age&gt;</li>" in section
    assert "<td>&lt;b&gt;c&lt;/b&gt;</td><td>0.02</td><td>$0.12</td>" in section


def test_output_is_identical_across_processes(tmp_path: Path, solved_plan: Plan) -> None:
    """No dates, no random ids: the same plan renders byte for byte the same."""
    from costplan.planio import read_plan, write_plan

    plan_file = tmp_path / "plan.yaml"
    write_plan(solved_plan, plan_file)
    here = render_html(read_plan(plan_file))
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from costplan.planio import read_plan\n"
        "from costplan.report.html import render_html\n"
        "sys.stdout.write(render_html(read_plan(Path(sys.argv[1]))))\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345", "SOURCE_DATE_EPOCH": "0"}
    there = subprocess.run(
        [sys.executable, "-c", code, str(plan_file)],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    assert there == here
    assert "Matplotlib v" not in here
    assert "<metadata" not in here
