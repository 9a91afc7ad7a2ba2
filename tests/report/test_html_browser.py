"""The HTML report in a real headless Chromium, at a phone's 400 px and a desktop's 1280 px.

Debian's ``chromium`` (``tools/test-deps.sh`` installs it; the test fails, never skips,
without it) loads the report in an ``<iframe srcdoc>`` exactly ``width`` px wide (headless
Chromium's window is at least 500 px wide, an iframe sets the report's viewport to any
width). One measuring script appended to the report's body runs after it is laid out
(reading layout forces it) and writes its measurements as JSON into the outer page, which
``--dump-dom`` prints:

* the report's ``scrollWidth`` against its ``innerWidth``: no horizontal overflow;
* each table's parent: it must scroll (``overflow-x: auto``) and fit the viewport, so
  that a wide table scrolls inside it instead of widening the page;
* each chart text's rendered font size: its computed font size in SVG user units times
  the length of one user unit on screen (``getScreenCTM``): at least 10 px.

Screenshots at both widths (``report-400.png``, ``report-1280.png``): the outer page is
captured and cut to the iframe's width with Pillow (matplotlib's dependency).
"""

from __future__ import annotations

import html
import json
import shutil
import struct
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from costplan.api import load_inputs, optimize
from costplan.frontier import compute_frontier
from costplan.report.html import render_html

ROOT = Path(__file__).parents[2]
MEASURE = """<script>
(() => {
  const m = {inner: window.innerWidth, page: document.documentElement.scrollWidth,
             tables: [], texts: []};
  for (const t of document.querySelectorAll("table")) {
    const box = t.parentElement;
    const r = box.getBoundingClientRect();
    m.tables.push({overflow: getComputedStyle(box).overflowX, left: r.left, right: r.right,
                   table: t.getBoundingClientRect().width});
  }
  for (const el of document.querySelectorAll("svg text")) {
    const ctm = el.getScreenCTM();
    const px = parseFloat(getComputedStyle(el).fontSize) * Math.hypot(ctm.a, ctm.b);
    m.texts.push({px: px, text: el.textContent.slice(0, 40)});
  }
  const out = parent.document.createElement("pre");
  out.id = "costplan-measure";
  out.textContent = JSON.stringify(m);
  parent.document.body.appendChild(out);
})();
</script>
"""


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path is not None, (
        "headless Chromium is required for the HTML layout test: run sh tools/test-deps.sh "
        "(Debian: apt-get install -y chromium)"
    )
    return path


def _browser(page: Path, width: int, *args: str) -> subprocess.CompletedProcess[str]:
    profile = page.parent / f"profile-{width}"
    cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-extensions", "--disable-dev-shm-usage", "--hide-scrollbars",
           f"--user-data-dir={profile}", f"--window-size={max(width, 500)},{HEIGHT}", *args,
           page.as_uri()]  # fmt: skip
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    return r


HEIGHT = 2400


def framed(report: str, tmp: Path, width: int, name: str) -> Path:
    """An outer page showing ``report`` in an iframe ``width`` px wide."""
    page = tmp / name
    page.write_text(
        "<!DOCTYPE html><html><head><style>html, body { margin: 0 } iframe { border: 0; "
        f'display: block }}</style></head><body><iframe width="{width}" height="{HEIGHT}" '
        f'srcdoc="{html.escape(report, quote=True)}"></iframe></body></html>'
    )
    return page


def measure(report: str, tmp: Path, width: int) -> dict[str, Any]:
    assert report.count("</body>") == 1
    page = framed(report.replace("</body>", MEASURE + "</body>"), tmp, width, f"m-{width}.html")
    dom = _browser(page, width, "--dump-dom").stdout
    start = dom.index('<pre id="costplan-measure">') + len('<pre id="costplan-measure">')
    text = dom[start : dom.index("</pre>", start)]
    return json.loads(html.unescape(text))  # type: ignore[no-any-return]


def png_width(path: Path) -> int:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int(struct.unpack(">I", data[16:20])[0])


@pytest.fixture(scope="module")
def report() -> str:
    """The quickstart plan (10 models, long names, six tables) with the basic frontier drawn
    as well, so both chart kinds are measured."""
    plan = optimize(load_inputs(ROOT / "examples" / "quickstart" / "workload.yaml"))
    basic = load_inputs(ROOT / "tests" / "data" / "basic" / "workload.yaml")
    frontier = compute_frontier(basic, points=5)
    text = render_html(plan, frontier)
    assert optimize(basic, budget_usd=Decimal(300)).tasks  # the frontier's inputs solve
    return text


@pytest.mark.parametrize("width", [400, 1280])
def test_layout_fits_and_chart_text_is_readable(report: str, tmp_path: Path, width: int) -> None:
    m = measure(report, tmp_path, width)
    assert m["inner"] == width
    assert m["page"] <= m["inner"], f"the page overflows: {m['page']} px wide at {width} px"
    assert len(m["tables"]) >= 5
    for t in m["tables"]:
        assert t["overflow"] in ("auto", "scroll"), t  # every table in a scrolling container
        assert t["left"] >= 0, t
        assert t["right"] <= width, t
    if width == 400:  # the phone: at least one table is wider than its box and scrolls in it
        assert any(t["table"] > t["right"] - t["left"] for t in m["tables"])
    assert len(m["texts"]) >= 20  # both charts' labels, ticks and legends
    small = [x for x in m["texts"] if x["px"] < 10]
    assert not small, small[:5]


def test_screenshots_at_phone_and_desktop_width(report: str, tmp_path: Path) -> None:
    from PIL import Image

    for width in (400, 1280):
        page = framed(report, tmp_path, width, f"report-{width}.html")
        shot = tmp_path / f"window-{width}.png"
        _browser(page, width, f"--screenshot={shot}")
        assert png_width(shot) == max(width, 500)
        out = tmp_path / f"report-{width}.png"
        with Image.open(shot) as im:
            im.crop((0, 0, width, im.height)).save(out)
        assert png_width(out) == width
        with Image.open(out) as im:  # a rendered page: dark text pixels in the top strip
            dark = sum(im.convert("L").crop((0, 0, width, 200)).histogram()[:100])
        assert dark > 500


def test_ci_runs_the_readme_test_command_which_installs_chromium() -> None:
    """README's test command (line 2 of its first code block) is .ci/run's last command, and
    it starts with tools/test-deps.sh, which succeeds here (chromium is present)."""
    readme = (ROOT / "README.md").read_text()
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert block[1] == "sh tools/test-deps.sh && pip install '.[test]' && pytest"
    ci = [ln for ln in (ROOT / ".ci" / "run").read_text().splitlines()
          if ln.strip() and not ln.startswith("#")]  # fmt: skip
    assert ci[-1] == block[1]
    r = subprocess.run(["sh", str(ROOT / "tools" / "test-deps.sh")], capture_output=True,
                       text=True, timeout=60, check=False)  # fmt: skip
    assert (r.returncode, r.stderr) == (0, "")  # chromium found: nothing installed
    chromium()
