"""The LiteLLM export deploys: the real proxy starts with it, the Router accepts it, its
cost fields are the sheet's prices, rpm/tpm the capacity, batch never synchronous."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch the cost map

from costplan.api import load_inputs, optimize
from costplan.export import ExportInputs, to_litellm
from costplan.planio import write_plan
from tests.cli.conftest import Runner, run  # noqa: F401
from tests.report.plans import TASK_1, TASK_2, TASK_3, hostile_plan

ROOT = Path(__file__).parents[2]
QUICKSTART = ROOT / "examples" / "quickstart"
MASTER_KEY = "sk-costplan-test"


@pytest.fixture(scope="module")
def quickstart_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quickstart planned and exported with ``costplan export --to litellm``."""
    from costplan.cli.app import main

    tmp = tmp_path_factory.mktemp("litellm")
    plan = tmp / "plan.yaml"
    write_plan(optimize(load_inputs(QUICKSTART / "workload.yaml")), plan)
    out = tmp / "litellm.yaml"
    code: object = 0
    try:
        main(["export", str(plan), "--to", "litellm", "-o", str(out)])
    except SystemExit as exc:
        code = exc.code
    assert code in (0, None)
    return out


def _groups(config: dict) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    groups: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for d in config["model_list"]:
        groups.setdefault(d["model_name"], []).append(d)
    return groups


def test_quickstart_cost_fields_are_the_sheet_prices(quickstart_config: Path) -> None:
    text = quickstart_config.read_text()
    config = yaml.safe_load(text)
    groups = _groups(config)
    # summarise-thread is latency: batch; its queries are the batch group only.
    assert "summarise-thread" not in groups
    [job] = groups["batch:summarise-thread"]
    assert job["model_info"]["costplan_serving_mode"] == "batch"
    assert all(d["model_info"]["costplan_serving_mode"] != "batch"
               for g, ds in groups.items() if not g.startswith("batch:") for d in ds)  # fmt: skip
    # examples/quickstart/prices.yaml, claude-haiku-4-5: input 1, output 5, cache read 0.1,
    # cache write 1.25 USD per Mtok -> per token / 10**6, written as exact decimals.
    [triage] = groups["ticket-triage"]
    assert triage["litellm_params"]["model"] == "anthropic/claude-haiku-4-5"
    assert triage["litellm_params"]["api_key"] == "os.environ/ANTHROPIC_API_KEY"
    assert "    input_cost_per_token: 0.000001\n" in text
    assert "    output_cost_per_token: 0.000005\n" in text
    assert triage["model_info"]["cache_read_input_token_cost"] == 1e-7
    assert triage["model_info"]["cache_creation_input_token_cost"] == 1.25e-6
    # claude-sonnet-4-5 batch (discount 0.5 of input 3, output 15): 1.5 and 7.5 per Mtok.
    assert job["litellm_params"]["model"] == "anthropic/claude-sonnet-4-5"
    assert "    input_cost_per_token: 0.0000015\n" in text
    assert "    output_cost_per_token: 0.0000075\n" in text
    assert not re.search(r"_cost\w*: [0-9.]+e", text)  # no float exponents in costs
    assert "export LITELLM_MASTER_KEY" in text


def test_router_accepts_the_export(quickstart_config: Path) -> None:
    import litellm

    config = yaml.safe_load(quickstart_config.read_text())
    router = litellm.Router(model_list=config["model_list"], routing_strategy="simple-shuffle")
    assert set(router.get_model_names()) == set(_groups(config))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> dict:  # type: ignore[type-arg]
    req = urllib.request.Request(url, headers={"Authorization": f"Bearer {MASTER_KEY}"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


def test_real_proxy_serves_the_export(quickstart_config: Path, tmp_path: Path) -> None:
    """``litellm --config`` on 127.0.0.1: /v1/models lists every group (no network)."""
    exe = shutil.which("litellm", path=str(Path(sys.executable).parent))
    assert exe is not None, "the litellm proxy (pip install 'litellm[proxy]') is not installed"
    port = _free_port()
    env = {**os.environ, "LITELLM_MASTER_KEY": MASTER_KEY, "LITELLM_LOCAL_MODEL_COST_MAP": "True",
           "NO_PROXY": "127.0.0.1", "no_proxy": "127.0.0.1"}  # fmt: skip
    log = (tmp_path / "proxy.log").open("w")
    proc = subprocess.Popen(
        [exe, "--config", str(quickstart_config), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env=env, cwd=tmp_path,
    )  # fmt: skip
    try:
        models = None
        deadline = time.monotonic() + 180  # start-up time is not asserted, only waited for
        while models is None and time.monotonic() < deadline and proc.poll() is None:
            try:
                models = _get(f"http://127.0.0.1:{port}/v1/models")
            except OSError:
                time.sleep(1)
        assert models is not None, (tmp_path / "proxy.log").read_text()[-3000:]
        config = yaml.safe_load(quickstart_config.read_text())
        assert {m["id"] for m in models["data"]} == set(_groups(config))
        info = _get(f"http://127.0.0.1:{port}/model/info")["data"]
        batch = [m for m in info if m["model_name"] == "batch:summarise-thread"]
        assert [m["litellm_params"]["input_cost_per_token"] for m in batch] == [1.5e-6]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def test_rpm_tpm_split_over_a_models_deployments() -> None:
    plan = hostile_plan()
    # m|1: 10 requests and 25 tokens per minute over a 43,200-minute month. Its planned
    # counts: TASK_1 1, TASK_2 5 (batch), TASK_3 3 (the cascade is another option) = 9.
    # rpm = floor(10 * count / 9): 1, 5, 3 (sum 9 <= 10); tpm = floor(25 * count / 9): 2,
    # 13, 8 (sum 23 <= 25). big*: 4,000 requests a month is 0.09 a minute: no rpm, a note.
    minutes = 43_200
    inputs = ExportInputs(
        models={}, capacity={"m|1": (10 * minutes, 25 * minutes), "big*": (4_000, None)},
        minutes=minutes,
    )  # fmt: skip
    config = yaml.safe_load(to_litellm(plan, inputs))
    limits = [
        (d["model_name"], d["litellm_params"]["model"], d["litellm_params"].get("rpm"),
         d["litellm_params"].get("tpm"))
        for d in config["model_list"]
    ]  # fmt: skip
    assert limits == [
        (TASK_1, "openai/m|1", 1, 2),
        (TASK_1, "vertex_ai/big*", None, None),
        (TASK_2, "vertex_ai/big*", None, None),
        (TASK_2, "anthropic/<b>c</b>", None, None),
        (TASK_3, "openai/m|1", 3, 8),
        (TASK_3, "openai/m|1", None, None),  # the cascade: its own usage, no split
        ("batch:" + TASK_2, "openai/m|1", 5, 13),
    ]
    assert "under 1 per minute: no rpm" in config["model_list"][1]["model_info"]["costplan_note"]


OPENROUTER = {
    "data": [
        {"id": "x-ai/grok-4", "context_length": 256000,
         "pricing": {"prompt": "0.000003", "completion": "0.000015"}},
        {"id": "openai/gpt-4o-mini", "context_length": 128000,
         "pricing": {"prompt": "0.00000015", "completion": "0.0000006"}},
    ]
}  # fmt: skip
WORKLOAD = """\
name: via-openrouter
period: month
prices: sheet.yaml
tasks:
  - name: chat
    volume: 1000
    prompt: {tokens: 1000}
    output_tokens: 100
    min_quality: 0.95
quality:
  chat: {x-ai/grok-4: 0.95, openai/gpt-4o-mini: 0.8}
"""


def test_openrouter_sheet_exports_openrouter_routes(
    run: Runner,  # noqa: F811
    tmp_path: Path,
) -> None:
    catalog = tmp_path / "models.json"
    catalog.write_text(json.dumps(OPENROUTER))
    sheet = tmp_path / "sheet.yaml"
    r = run("prices", "import", "--from", "openrouter", catalog, "-o", sheet, "--as-of",
            "2026-11-04")  # fmt: skip
    assert r.code == 0, r.err
    (tmp_path / "workload.yaml").write_text(WORKLOAD)
    plan = tmp_path / "plan.yaml"
    r = run("optimize", tmp_path / "workload.yaml", "--objective", "min_cost", "-q", "-o", plan)
    assert r.code == 0, r.err
    r = run("export", plan, "--to", "litellm")
    assert r.code == 0, r.err
    [d] = yaml.safe_load(r.out)["model_list"]
    # Only grok-4 (0.95) meets the 0.95 floor. Its sheet provider is xai (canonical), its seller
    # OpenRouter: 3 and 15 USD per Mtok are OpenRouter's prices.
    assert d["litellm_params"]["model"] == "openrouter/x-ai/grok-4"
    assert d["litellm_params"]["api_key"] == "os.environ/OPENROUTER_API_KEY"
    assert Decimal(str(d["litellm_params"]["input_cost_per_token"])) == Decimal("0.000003")
    # The sheet changed since the plan: the export refuses (its prices would not be the plan's).
    new = sheet.read_text().replace("output_usd_per_mtok: 15", "output_usd_per_mtok: 16")
    sheet.write_text(new)
    r = run("export", plan, "--to", "litellm")
    assert r.code == 2
    assert "changed since the plan was made" in r.err
