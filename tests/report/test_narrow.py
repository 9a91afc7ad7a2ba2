"""Terminal output for people: the quickstart at 80 columns, estimate's best options,
money with the places it needs, a line for every file written.

Which models must appear is taken from the commands' JSON documents (``--format json``),
and which options are "best" is re-derived here by brute force over the estimate JSON:
never from the terminal text under test.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tests.cli.conftest import Runner

QUICKSTART = Path(__file__).parent.parent.parent / "examples" / "quickstart"
BASIC_PRICES = Path(__file__).parent.parent / "data" / "basic" / "prices.yaml"


@pytest.fixture
def run80(run: Runner, monkeypatch: pytest.MonkeyPatch) -> Runner:
    monkeypatch.setenv("COLUMNS", "80")
    return run


def whole(name: str, text: str) -> bool:
    """``name`` appears in ``text`` as a whole name, not as part of a longer one."""
    return re.search(rf"(?<![\w.-]){re.escape(name)}(?![\w.-])", text) is not None


def assert_fits(text: str, width: int = 80) -> None:
    for line in text.splitlines():
        assert len(line) <= width, line
    assert "…" not in text  # nothing cut to an ambiguous prefix


def test_quickstart_optimize_fits_80_columns(run80: Runner) -> None:
    r = run80("optimize", QUICKSTART / "workload.yaml")
    assert r.code == 0, r.err
    assert_fits(r.out)
    plan = json.loads(run80("optimize", QUICKSTART / "workload.yaml", "-f", "json").out)
    models = {a["model"] for t in plan["tasks"] for a in t["allocations"]}
    assert len(models) >= 4
    table = r.out.split("budget ", 1)[0]  # the allocation table
    for t in plan["tasks"]:
        assert whole(t["name"], table), t["name"]
        for a in t["allocations"]:
            assert whole(a["model"], table), a["model"]
    # a task's rows come after its heading and before the next task's
    names = [t["name"] for t in plan["tasks"]]
    starts = [table.index(f" {n} ") for n in names]
    assert starts == sorted(starts)
    for i, t in enumerate(plan["tasks"]):
        end = starts[i + 1] if i + 1 < len(starts) else len(table)
        section = table[starts[i]:end]
        for a in t["allocations"]:
            assert whole(a["model"], section)
            assert f"{a['count']:,}" in section


def pareto_best(options: list[dict[str, object]], top: int = 5) -> set[str]:
    """Brute force: usable options no other usable option dominates (cost <=, quality >=,
    one strictly), the ``top`` highest in quality."""
    usable = [o for o in options if o["excluded"] is None]

    def key(o: dict[str, object]) -> tuple[Decimal, Decimal]:
        return Decimal(str(o["cost_per_query_usd"])), Decimal(str(o["quality"]))

    front = []
    for o in usable:
        c, q = key(o)
        if not any(
            (key(p)[0] <= c and key(p)[1] >= q) and (key(p)[0] < c or key(p)[1] > q)
            for p in usable
        ):
            front.append(o)
    front.sort(key=lambda o: -key(o)[1])
    return {str(o["label"]) for o in front[:top]}


def test_quickstart_estimate_fits_and_shows_each_tasks_best(run80: Runner) -> None:
    r = run80("estimate", QUICKSTART / "workload.yaml")
    assert r.code == 0, r.err
    assert_fits(r.out)
    assert not re.search(r"\$0\.00(?![0-9])", r.out)  # no non-zero price shown as $0.00
    doc = json.loads(run80("estimate", QUICKSTART / "workload.yaml", "-f", "json").out)
    lines = r.out.splitlines()
    heads = [i for i, line in enumerate(lines) if line.startswith(" ") and not
             line.startswith("  ") and line.split()[0] in {t["name"] for t in doc["tasks"]}]
    assert [lines[i].split()[0] for i in heads] == [t["name"] for t in doc["tasks"]]
    for k, t in enumerate(doc["tasks"]):
        body = lines[heads[k] + 1 : heads[k + 1] if k + 1 < len(heads) else len(lines)]
        first_cells = [re.split(r"\s{2,}", line.strip())[0] for line in body
                       if line.startswith("   ")]  # fmt: skip
        shown = {re.sub(r" \*$", "", cell) for cell in first_cells}
        best = pareto_best(t["options"])
        assert {s for s in shown if not s.startswith("(")} == best, t["name"]
        hidden = len(t["options"]) - len(best)
        assert any(f"({hidden} more: --all)" in line for line in body) == (hidden > 0)
    r = run80("estimate", QUICKSTART / "workload.yaml", "--all")
    assert_fits(r.out)
    for t in doc["tasks"]:
        for o in t["options"]:
            assert whole(str(o["label"]), r.out), o["label"]


def test_large_sheet_estimate_shows_top_options_only(run: Runner, tmp_path: Path) -> None:
    n = 300
    models = "".join(
        f"  m{i:03d}:\n    provider: openai\n    input_usd_per_mtok: {i + 1}\n"
        f"    output_usd_per_mtok: {i + 1}\n    tokenizer: o200k_base\n"
        for i in range(n)
    )
    (tmp_path / "prices.yaml").write_text(f"currency: USD\nmodels:\n{models}")
    # quality rises with price: every model is on the front; the 5 best are m295..m299
    quality = "".join(f"    m{i:03d}: {Decimal(i) / 1000:f}\n" for i in range(n))
    (tmp_path / "w.yaml").write_text(
        "name: big\nperiod: month\nbudget_usd: 100\nprices: prices.yaml\n"
        "tasks:\n  - name: t\n    volume: 1000\n    prompt: {tokens: 100}\n"
        f"    output_tokens: 10\nquality:\n  t:\n{quality}"
    )
    r = run("estimate", tmp_path / "w.yaml")
    assert r.code == 0, r.err
    rows = [line.split()[0] for line in r.out.splitlines() if line.startswith("   ")]
    assert rows == ["m295", "m296", "m297", "m298", "m299", "(295"]
    assert "(295 more: --all)" in r.out


def test_files_written_are_named(run: Runner, tmp_path: Path) -> None:
    q = tmp_path / "q.jsonl"
    q.write_text('{"id": "q0", "task": "t", "prompt_tokens": 10, "output_tokens": 1,'
                 ' "quality": {"small": 0.5, "big": 0.9}}\n')  # fmt: skip
    rows, plan = tmp_path / "rows.csv", tmp_path / "plan.yaml"
    r = run("assign", q, "-p", BASIC_PRICES, "--budget", "1", "-o", rows, "--plan", plan)
    assert r.code == 0, r.err
    assert f"assignments written to {rows}\n" in r.out
    assert f"plan written to {plan}\n" in r.out
    r = run("assign", q, "-p", BASIC_PRICES, "--budget", "1", "-q", "-f", "json", "-o", rows)
    assert r.code == 0, r.err
    assert json.loads(r.out)["totals"]["volume"] == 1
    assert r.err == ""  # -q: nothing on stderr either


@pytest.mark.parametrize(
    ("usd", "shown"),
    [
        ("0.00003325", "$0.00003325"),  # 4 significant digits below $1
        ("0.4882", "$0.4882"),
        ("0.000000000001", "$0.000000000001"),  # one pico-dollar: 12 places at most
        ("976.333", "$976.33"),  # cents from $1 up
        ("12000", "$12,000.00"),
        ("0", "$0.00"),
        ("-0.0123456", "-$0.01235"),
    ],
)
def test_money_has_the_places_it_needs(usd: str, shown: str) -> None:
    from costplan.money import fmt_usd_sig

    assert fmt_usd_sig(Decimal(usd)) == shown


def test_explanation_numbers_never_read_0e() -> None:
    from costplan.report.terminal import _g

    assert f"{Decimal(0).scaleb(2):.4g}" == "0e+2"  # what Python prints, and the bug
    assert _g(Decimal(0).scaleb(2)) == "0"
    assert _g(Decimal(0).scaleb(2), "+") == "+0"
    assert _g(Decimal("5.68612")) == "5.686"
    assert _g(Decimal("0.0010451"), "+") == "+0.001045"
