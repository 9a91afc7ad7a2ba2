"""genai-prices import: coverage, known prices, cost equality with genai_prices, offline."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import genai_prices
import pytest
from genai_prices import Usage
from genai_prices.data import providers as catalog_providers

from costplan.pricing.catalogs.common import ImportResult, Selector
from costplan.pricing.catalogs.genai_prices import (
    MODE_CONTEXTS,
    CatalogEntry,
    import_genai_prices,
    import_genai_prices_with_entries,
    moment,
)
from costplan.pricing.cost import request_cost_int
from costplan.pricing.model import ModelPrice
from tests.cli.conftest import Runner

AS_OF = date(2026, 11, 28)
REPO = Path(__file__).resolve().parents[2]
Imported = tuple[ImportResult, tuple[CatalogEntry, ...]]


@pytest.fixture(scope="module")
def imported() -> Imported:
    return import_genai_prices_with_entries(Selector(), AS_OF)


def _model(imported: Imported, name: str) -> ModelPrice:
    return imported[0].models[name]


def _skip_reason(result: ImportResult, provider: str, model: str) -> str:
    [reason] = [
        f.reason for f in result.of_kind("skipped") if (f.provider, f.model) == (provider, model)
    ]
    return reason


def test_imports_hundreds_of_models_from_many_providers(imported: Imported) -> None:
    result, entries = imported
    providers = Counter(m.provider for m in result.models.values())
    assert len(result.models) >= 500
    assert len(providers) >= 10
    assert result.source == f"genai-prices {genai_prices.__version__} bundled data"
    assert result.as_of == AS_OF
    assert len(entries) == len(result.models)
    # Every model the catalog lists is either imported or skipped with a reason.
    listed = sum(len(p.models) for p in catalog_providers)
    assert len(result.models) + len(result.of_kind("skipped")) == listed


def test_batch_flex_priority_modes_and_cache_prices(imported: Imported) -> None:
    haiku = _model(imported, "claude-haiku-4-5")
    assert haiku.provider == "anthropic"
    base = haiku.standard.base
    assert (base.input_usd_per_mtok, base.output_usd_per_mtok) == (1, 5)
    assert (base.cache_read_usd_per_mtok, base.cache_write_usd_per_mtok) == (
        Decimal("0.1"),
        Decimal("1.25"),
    )
    assert base.cache_write_1h_usd_per_mtok == 2
    batch = haiku.modes["batch"].base
    assert (batch.input_usd_per_mtok, batch.output_usd_per_mtok) == (Decimal("0.5"), Decimal("2.5"))
    assert batch.cache_read_usd_per_mtok == Decimal("0.05")
    assert haiku.context_window == 200000
    assert haiku.tokenizer is not None
    assert haiku.tokenizer.family == "claude"

    gpt5 = _model(imported, "gpt-5")
    assert gpt5.available_modes() == ("standard", "batch", "flex", "priority")
    assert gpt5.modes["flex"].base.input_usd_per_mtok == Decimal("0.625")
    assert gpt5.modes["priority"].base.output_usd_per_mtok == 20
    assert gpt5.tokenizer is not None
    assert gpt5.tokenizer.encoding == "o200k_base"
    assert gpt5.tokenizer.factor is None


def test_tiers_in_standard_and_batch(imported: Imported) -> None:
    pro = _model(imported, "gemini-2.5-pro")
    [tier] = pro.standard.tiers
    assert tier.above_input_tokens == 200000
    assert (tier.rates.input_usd_per_mtok, tier.rates.output_usd_per_mtok) == (Decimal("2.5"), 15)
    assert tier.rates.cache_read_usd_per_mtok == Decimal("0.25")
    [batch_tier] = pro.modes["batch"].tiers
    assert batch_tier.above_input_tokens == 200000
    assert batch_tier.rates.input_usd_per_mtok == Decimal("1.25")
    result = imported[0]
    with_tiers = [m for m in result.models.values() if m.standard.tiers]
    with_batch = [m for m in result.models.values() if "batch" in m.modes]
    assert len(with_tiers) >= 20
    assert len(with_batch) >= 50


def test_request_fee_and_shared_ids(imported: Imported) -> None:
    assert _model(imported, "sonar").standard.base.request_usd == Decimal("0.012")
    # claude-haiku-4-5 is listed by several providers: genai-prices resolves the bare
    # id to anthropic, which keeps it; the others are qualified.
    other = _model(imported, "claude-haiku-4-5@google")
    assert other.provider == "google"
    assert other.standard == _model(imported, "claude-haiku-4-5").standard


def test_unrepresentable_models_are_skipped_with_reasons(imported: Imported) -> None:
    result = imported[0]
    assert "time of day" in _skip_reason(result, "deepseek", "deepseek-chat")
    assert "per character" in _skip_reason(result, "openai", "tts-1")
    assert "no output token price" in _skip_reason(result, "aws", "amazon.titan-embed-text-v1")
    assert "deepseek-chat" not in result.models
    reasons = Counter(f.reason.split(" (")[0] for f in result.of_kind("skipped"))
    assert reasons["the catalog has no price for this model"] > 0
    # Nothing is priced at zero for lack of a price.
    zero = [n for n, m in result.models.items() if m.standard.base.input_usd_per_mtok == 0]
    assert zero == []


def test_rounded_prices_are_reported(imported: Imported) -> None:
    result = imported[0]
    flash = _model(imported, "google/gemini-2.5-flash")
    # 0.0833333333333333 rounded up to 6 decimals (a rounded price never understates cost).
    assert flash.standard.base.cache_write_usd_per_mtok == Decimal("0.083334")
    [finding] = [f for f in result.of_kind("rounded") if f.model == "google/gemini-2.5-flash"]
    assert "cache_write_mtok 0.0833333333333333 -> 0.083334" in finding.reason


def test_selection_by_provider_and_model_globs() -> None:
    result = import_genai_prices(
        Selector(providers=("ANTHROPIC",), models=("claude-*-4-5",)), AS_OF
    )
    assert set(result.models) >= {"claude-haiku-4-5", "claude-sonnet-4-5", "claude-opus-4-5"}
    assert {m.provider for m in result.models.values()} == {"anthropic"}
    assert all(name.startswith("claude-") and name.endswith("-4-5") for name in result.models)


def test_costs_equal_genai_prices_calc_price(imported: Imported) -> None:
    """For >= 1,000 seeded random usages costplan's cost equals genai-prices' to 1e-9 USD.

    Usages cover every mode a model has (batch/flex/priority via genai-prices'
    price_context) and, for tiered schedules, inputs just above and just below a
    threshold. Models whose prices were rounded (up) to 6 decimals are held to the rounding
    bound instead: never below genai-prices, at most one pico-dollar per token above.
    """
    result, entries = imported
    rounded = {(f.provider, f.model) for f in result.of_kind("rounded")}
    rng = random.Random(20261128)
    ts = moment(AS_OF)
    stats: Counter[str] = Counter()
    for entry in entries:
        model = result.models[entry.name]
        via_public = (
            entry.provider.find_model(entry.model.id, all_providers=catalog_providers)
            is entry.model
        )
        for mode in model.available_modes():
            schedule = model.schedule(mode)
            context = None if mode == "standard" else dict(MODE_CONTEXTS[mode])
            thresholds = [t.above_input_tokens for t in schedule.tiers]
            for k in range(2):
                if thresholds:
                    t = rng.choice(thresholds)
                    total = t + rng.randint(1, 20000) if k == 0 else t - rng.randint(0, 20000)
                    stats["above tier" if k == 0 else "at or below tier"] += 1
                else:
                    total = rng.randint(0, 150000)
                total = max(total, 0)
                cached = rng.randint(0, total)
                write = rng.randint(0, total - cached)
                uncached = total - cached - write
                output, reasoning = rng.randint(0, 30000), rng.randint(0, 8000)
                ours = request_cost_int(
                    schedule,
                    uncached=uncached,
                    cached=cached,
                    cache_write=write,
                    output=output,
                    reasoning=reasoning,
                )
                usage = Usage(
                    input_tokens=total,
                    cache_read_tokens=cached,
                    cache_write_tokens=write,
                    output_tokens=output + reasoning,
                    output_reasoning_tokens=reasoning,
                )
                if via_public:
                    theirs = genai_prices.calc_price(
                        usage,
                        entry.model.id,
                        provider_id=entry.provider.id,
                        genai_request_timestamp=ts,
                        price_context=context,
                    ).total_price
                else:
                    theirs = entry.model.calc_price(
                        usage, entry.provider, genai_request_timestamp=ts, price_context=context
                    ).total_price
                diff = abs(Decimal(ours) / 10**12 - theirs)
                if (entry.provider.id, entry.model.id) in rounded:
                    tokens = total + output + reasoning
                    over = Decimal(ours) / 10**12 - theirs
                    assert Decimal("-1e-9") <= over <= Decimal("1e-12") * tokens, (
                        entry.name, mode, usage,
                    )  # fmt: skip
                    stats["rounded"] += 1
                else:
                    assert diff <= Decimal("1e-9"), (entry.name, mode, usage, ours, theirs)
                    stats["exact" if diff == 0 else "within 1e-9"] += 1
                stats["compared"] += 1
                stats[mode] += 1
                stats["public calc_price" if via_public else "ModelInfo.calc_price"] += 1
    print(f"compared {stats['compared']} usages with genai-prices: {dict(stats)}")  # pytest -s
    assert stats["compared"] >= 1000
    assert stats["above tier"] >= 100
    assert stats["at or below tier"] >= 100
    assert stats["batch"] >= 100
    assert stats["flex"] >= 20
    assert stats["priority"] >= 20
    assert stats["public calc_price"] >= 1000
    assert stats["exact"] >= 1000


def test_cli_import_writes_a_sheet_that_validates(run: Runner, tmp_path: Path) -> None:
    out = tmp_path / "all.yaml"
    report = tmp_path / "skipped.tsv"
    r = run(
        "prices", "import", "--from", "genai-prices", "-o", out, "--as-of", AS_OF.isoformat(),
        "--report-skipped", report,
    )  # fmt: skip
    assert r.code == 0, r.err
    assert r.out.startswith(f"wrote {out}: ")
    assert f"as of {AS_OF.isoformat()}" in r.out
    assert "skipped: deepseek-chat (deepseek): the price depends on the time of day" in r.err
    assert "rounded: google/gemini-2.5-flash (openrouter): rounded to 6 decimals" in r.err
    assert f"listed in {report}" in r.err
    rows = report.read_text().splitlines()
    assert rows[0] == "kind\tprovider\tmodel\treason"
    assert "skipped\tdeepseek\tdeepseek-chat\tthe price depends on the time of day" in "\n".join(
        rows
    )
    assert {row.split("\t")[0] for row in rows[1:]} == {"skipped", "note", "rounded"}
    text = out.read_text()
    assert text.startswith(
        "# Imported by `costplan prices import --from genai-prices` from genai-prices "
    )
    assert f'\nas_of: {AS_OF.isoformat()}\nsource: "genai-prices ' in text

    # The loader accepts it (validate loads it with the ordinary loader, then lints).
    v = run("prices", "validate", out)
    assert v.code == 0, v.err
    n_models = int(r.out.split(": ")[1].split(" models")[0])
    assert n_models >= 500
    warned = v.err.count("warning: ")
    assert v.out == f"{out}: ok ({n_models} models, {warned} warning{'s' * (warned != 1)})\n"
    assert "error" not in v.err


def test_cli_import_errors_write_nothing(run: Runner, tmp_path: Path) -> None:
    out = tmp_path / "out.yaml"
    cases = [
        (("--from", "genai-prices", "--model", "no-such-*"), "no model matches --provider/--model"),
        (("--from", "genai-prices", "--as-of", "2026-13-01"), "--as-of must be a date YYYY-MM-DD"),
        (("--from", "genai-price"), "--from must be one of genai-prices, litellm, openrouter"),
        (("--from", "genai-prices", "catalog.json"), "give no FILE"),
        (("--from", "genai-prices", "--model", "deepseek-chat", "--provider", "deepseek"),
         "all 1 selected models were skipped"),
    ]  # fmt: skip
    for args, message in cases:
        r = run("prices", "import", *args, "-o", out)
        assert r.code == 2, (args, r.err)
        assert message in r.err, (args, r.err)
        assert r.err.count("error: ") == 1
        assert not out.exists()


NETWORK_GUARD = textwrap.dedent(
    """
    import socket

    def _no_network(*args, **kwargs):
        raise OSError("network access attempted in an offline test")

    socket.socket.connect = _no_network
    socket.socket.connect_ex = _no_network
    socket.create_connection = _no_network
    socket.getaddrinfo = _no_network
    """
)


def test_import_runs_fully_offline(tmp_path: Path) -> None:
    guard = tmp_path / "guard"
    guard.mkdir()
    (guard / "sitecustomize.py").write_text(NETWORK_GUARD, encoding="utf-8")
    env = dict(os.environ)
    proxy = "http://127.0.0.1:9"
    env.update(HTTP_PROXY=proxy, HTTPS_PROXY=proxy, http_proxy=proxy, https_proxy=proxy)
    env["PYTHONPATH"] = os.pathsep.join([str(guard), str(REPO / "src")])
    out = tmp_path / "offline.yaml"
    code = f"""
        import socket
        try:
            socket.create_connection(("example.com", 80))
        except OSError:
            print("guard active", flush=True)
        from costplan.cli.app import main
        main(["prices", "import", "--from", "genai-prices", "-o", {str(out)!r},
              "--as-of", "2026-11-28"])
    """
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("guard active\nwrote ")
    assert "network" not in proc.stderr
    assert out.read_text().count("\n    provider: ") >= 500
