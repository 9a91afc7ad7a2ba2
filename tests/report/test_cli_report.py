"""`optimize --report`, `costplan report`, `costplan export`: files, exit codes, messages."""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import yaml

from tests.cli.conftest import Runner, edit
from tests.report import extract


def test_optimize_writes_markdown_and_html_reports(
    run: Runner, basic: Path, tmp_path: Path
) -> None:
    md, page, plan_file = tmp_path / "r.md", tmp_path / "r.html", tmp_path / "plan.yaml"
    r = run(
        "optimize", basic / "workload.yaml", "--budget", "300",
        "--report", md, "--report", page, "-o", plan_file,
    )  # fmt: skip
    assert r.code == 0, r.err
    assert r.err == ""
    text = md.read_text()
    assert text.startswith("# costplan: basic (max_quality, per month)\n")
    assert page.read_text().startswith("<!DOCTYPE html>")
    # The three reports agree with each other and with the plan file to the cent.
    plan_total = Decimal(yaml.safe_load(plan_file.read_text())["totals"]["cost_usd"])
    md_total = extract.markdown(text).total
    assert md_total == extract.html(page.read_text()).total == round(plan_total, 2)
    from costplan.report.markdown import md_escape

    period = next(x for x in r.out.splitlines() if x.startswith("period cost P50 "))
    assert f"- {md_escape(period)}\n" in text
    assert "budget at risk" not in r.out + text + page.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["basic", "plan.yaml", "r.html", "r.md"]


def test_bad_report_suffix_exits_2_before_solving(run: Runner, basic: Path, tmp_path: Path) -> None:
    bad = tmp_path / "r.txt"
    r = run("optimize", basic / "workload.yaml", "--report", tmp_path / "ok.md", "--report", bad)
    assert r.code == 2
    assert r.err == f"error: {bad}: --report file must end in .md or .html (got '.txt')\n"
    assert r.out == ""
    assert not bad.exists()
    assert not (tmp_path / "ok.md").exists()


def test_failed_optimize_writes_no_report(run: Runner, basic: Path, tmp_path: Path) -> None:
    old = tmp_path / "r.md"
    old.write_text("previous report\n")
    r = run("optimize", basic / "workload.yaml", "--budget", "1", "--report", old)
    assert r.code == 1
    assert old.read_text() == "previous report\n"


def test_report_command_rerenders_a_saved_plan(run: Runner, basic: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    assert run("optimize", basic / "workload.yaml", "-q", "-o", plan_file).code == 0
    r = run("report", plan_file)
    assert r.code == 0, r.err
    assert r.out.startswith("# costplan: basic (max_quality, per month)\n")
    out = tmp_path / "again.html"
    r = run("report", plan_file, "-o", out)
    assert (r.code, r.out, r.err) == (0, "", f"report written to {out}\n")
    assert out.read_text().startswith("<!DOCTYPE html>")
    r = run("report", plan_file, "--format", "html")
    assert r.code == 0
    assert r.out == out.read_text()


def test_report_command_usage_errors(run: Runner, basic: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.yaml"
    assert run("optimize", basic / "workload.yaml", "-q", "-o", plan_file).code == 0
    r = run("report", plan_file, "--format", "pdf")
    assert r.code == 2
    assert r.err == "error: --format must be md or html (got 'pdf')\n"
    r = run("report", plan_file, "-o", tmp_path / "r.pdf")
    assert r.code == 2
    assert (
        r.err == f"error: {tmp_path / 'r.pdf'}: --out file must end in .md or .html (got '.pdf')\n"
    )
    r = run("report", tmp_path / "missing.yaml")
    assert r.code == 2
    assert r.err.startswith(f"error: {tmp_path / 'missing.yaml'}: plan file not found")


def test_export_litellm_and_csv(run: Runner, basic: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.yaml"
    assert (
        run("optimize", basic / "workload.yaml", "--budget", "300", "-q", "-o", plan_file).code == 0
    )
    r = run("export", plan_file, "--to", "litellm")
    assert r.code == 0, r.err
    config = yaml.safe_load(r.out)
    assert config["router_settings"] == {"routing_strategy": "simple-shuffle"}
    # task b (latency: batch) is split: its batch-mode queries are the group batch:b
    assert {d["model_name"] for d in config["model_list"]} == {"a", "b", "batch:b"}
    out = tmp_path / "plan.csv"
    r = run("export", plan_file, "--to", "csv", "-o", out)
    assert (r.code, r.out, r.err) == (0, "", f"csv export written to {out}\n")
    assert out.read_text().startswith("task,model,provider,mode,count,")


def test_export_unknown_target_exits_2(run: Runner, basic: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.yaml"
    assert run("optimize", basic / "workload.yaml", "-q", "-o", plan_file).code == 0
    r = run("export", plan_file, "--to", "xml", "-o", tmp_path / "x.xml")
    assert r.code == 2
    assert r.err == "error: --to must be one of litellm, csv (got 'xml')\n"
    assert not (tmp_path / "x.xml").exists()
    r = run("export", plan_file)
    assert r.code == 2
    assert "Missing option '--to'" in r.err


def test_help_lists_commands_without_importing_matplotlib() -> None:
    code = (
        "import sys\n"
        "from costplan.cli.app import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit as e:\n    assert e.code == 0\n"
        "print('HEAVY=' + ','.join(m for m in ('matplotlib', 'yaml') if m in sys.modules))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert " report " in r.stdout
    assert " export " in r.stdout
    assert r.stdout.strip().splitlines()[-1] == "HEAVY="


def test_report_with_frontier_draws_it_and_marks_the_plan(
    run: Runner, basic: Path, tmp_path: Path
) -> None:
    import xml.etree.ElementTree as ET

    plan_file, page = tmp_path / "plan.yaml", tmp_path / "r.html"
    assert run("optimize", basic / "workload.yaml", "-q", "-o", plan_file).code == 0
    r = run("report", plan_file, "--frontier", "-n", "4", "-o", page)
    assert (r.code, r.err) == (0, f"report written to {page}\n")
    text = page.read_text()
    svgs = [ET.fromstring(s) for s in re.findall(r"<svg\b.*?</svg>", text, flags=re.S)]
    assert len(svgs) == 2
    ids = {el.get("id") for el in svgs[1].iter()}
    assert {"costplan-frontier", "costplan-plan-point", "costplan-budget"} <= ids
    # The plan (all on the best model: 100,000 x $0.000829 + 20,000 x $0.0138 = $358.90,
    # tests/basic_figures.py) is the frontier's dearest point.
    assert '<td class="num" data-usd="358.90">$358.90</td>' in text
    assert "AIQ (average mean quality over the frontier&#x27;s cost range): 0." in text


def test_report_frontier_refuses_changed_inputs(run: Runner, basic: Path, tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.yaml"
    assert run("optimize", basic / "workload.yaml", "-q", "-o", plan_file).code == 0
    edit(basic / "prices.yaml", "output_usd_per_mtok: 15", "output_usd_per_mtok: 16")
    r = run("report", plan_file, "--frontier")
    assert r.code == 2
    assert r.err == (
        f"error: {basic / 'prices.yaml'}: input changed since the plan was made "
        "(sha256 differs); re-run costplan optimize, then report\n"
    )
