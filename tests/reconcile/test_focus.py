"""The FOCUS CSV (``--focus``) validates against the FOCUS 1.2 column rules it claims.

The rules are written out here from the specification (FinOps Open Cost and Usage
Specification 1.2: ``specification/columns/*.md`` and ``specification/attributes/*.md``
of FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec), not from costplan's code:

* Numeric Format: an integer or a decimal; no fractional notation, exponent, sign for a
  positive value, currency symbol, unit, comma or other punctuation than one decimal point.
* Date/Time Format: UTC, ISO 8601 extended ``YYYY-MM-DDTHH:mm:ssZ``; the period starts are
  inclusive, the ends exclusive (so an end is after its start).
* Key-Value Format (``Tags``): a serialized JSON object, unique keys, values number,
  string, boolean or null (never objects or arrays); provider-defined tags carry a
  provider-specified key prefix.
* Unit Format (``ConsumedUnit``, ``PricingUnit``): count-based units by their recommended
  plural names (``Tokens``, ``Requests``).
* Mandatory columns present; ``BilledCost``, ``EffectiveCost``, ``ListCost``,
  ``ContractedCost`` Decimal and never null; ``BillingCurrency`` an ISO 4217 code;
  ``ChargeCategory`` one of Usage, Purchase, Tax, Credit, Adjustment; ``ChargeClass``
  null unless "Correction"; ``ChargeFrequency`` one of One-Time, Recurring, Usage-Based;
  ``ServiceCategory`` / ``ServiceSubcategory`` an allowed (parent, child) pair;
  ``ServiceName``, ``ProviderName``, ``PublisherName``, ``InvoiceIssuerName``,
  ``BillingAccountId`` not null.
* For a Usage row that is not a correction: ``ConsumedQuantity`` a positive decimal and
  ``ConsumedUnit`` not null; ``PricingQuantity`` and ``PricingUnit`` not null;
  ``SkuId`` not null (here: the model).
* Custom columns are prefixed ``x_``.

Expected costs and quantities are derived by hand from the synthetic month
(tests/reconcile/conftest.py; the costs are the ones test_synthetic.py derives).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import Runner
from tests.reconcile.conftest import HEADER, USAGE

MANDATORY = {  # FOCUS 1.2 "Feature level: Mandatory"
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
    "ChargeDescription", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost",
    "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity", "PricingUnit",
    "ProviderName", "PublisherName", "ServiceCategory", "ServiceName", "ServiceSubcategory",
}
CLAIMED = {  # the conditional / recommended ones the issue and the README name
    "ConsumedQuantity", "ConsumedUnit", "SkuId", "Tags", "ChargeFrequency",
}
FOCUS_NAMES = MANDATORY | CLAIMED
DECIMAL = re.compile(r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$")
DATETIME = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")
COSTS = ("BilledCost", "EffectiveCost", "ListCost", "ContractedCost")
NOT_NULL = (
    *COSTS, "BillingAccountId", "BillingCurrency", "BillingPeriodStart", "BillingPeriodEnd",
    "ChargeCategory", "ChargePeriodStart", "ChargePeriodEnd", "InvoiceIssuerName",
    "ProviderName", "PublisherName", "ServiceCategory", "ServiceName", "ServiceSubcategory",
    # Usage rows, not corrections:
    "ConsumedQuantity", "ConsumedUnit", "PricingQuantity", "PricingUnit", "SkuId",
)
CHARGE_CATEGORIES = {"Usage", "Purchase", "Tax", "Credit", "Adjustment"}
CHARGE_FREQUENCIES = {"One-Time", "Recurring", "Usage-Based"}
AI_SUBCATEGORIES = {"Bots", "Generative AI", "Machine Learning", "Natural Language Processing",
                    "Other (AI and Machine Learning)"}
COUNT_UNITS = {"Counts", "Units", "Requests", "Tokens", "Connections"}


def unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), f"duplicate tag keys: {keys}"
    return dict(pairs)


def check_row(row: dict[str, str]) -> None:
    """Every per-row rule of the module docstring."""
    for name in NOT_NULL:
        assert row[name] != "", (name, row)
    for name in (*COSTS, "ConsumedQuantity", "PricingQuantity"):
        assert DECIMAL.match(row[name]), (name, row[name])
    assert Decimal(row["ConsumedQuantity"]) > 0  # Usage, not a correction: positive
    times = {}
    for name in ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart",
                 "ChargePeriodEnd"):
        assert DATETIME.match(row[name]), (name, row[name])
        times[name] = datetime.strptime(row[name], "%Y-%m-%dT%H:%M:%SZ")
    assert times["ChargePeriodEnd"] > times["ChargePeriodStart"]
    assert times["BillingPeriodEnd"] > times["BillingPeriodStart"]
    assert times["BillingPeriodStart"] <= times["ChargePeriodStart"]
    assert times["ChargePeriodEnd"] <= times["BillingPeriodEnd"]
    assert re.fullmatch("[A-Z]{3}", row["BillingCurrency"])
    assert row["ChargeCategory"] in CHARGE_CATEGORIES
    assert row["ChargeClass"] in ("", "Correction")
    assert row["ChargeFrequency"] in CHARGE_FREQUENCIES
    assert row["ServiceCategory"] == "AI and Machine Learning"
    assert row["ServiceSubcategory"] in AI_SUBCATEGORIES
    assert row["ConsumedUnit"] in COUNT_UNITS
    assert row["PricingUnit"] in COUNT_UNITS
    tags = json.loads(row["Tags"], object_pairs_hook=unique_pairs)
    assert isinstance(tags, dict)
    for key, value in tags.items():
        assert value is None or isinstance(value, str | int | float | bool), (key, value)
        assert key.startswith("costplan/"), key  # provider-defined: a provider prefix


def focus_rows(run: Runner, *args: str) -> tuple[list[str], list[dict[str, str]]]:
    assert run("optimize", "workload.yaml", "-o", "plan.yaml", "-q").code == 0
    r = run("reconcile", "plan.yaml", "-u", "usage.csv", "--focus", "lines.csv",
            "--period", "2026-11", *args)
    assert r.code == 0, r.err
    raw = Path("lines.csv").read_bytes()
    text = raw.decode("utf-8")
    assert "\r" not in text
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = list(reader.fieldnames or [])
    return header, list(reader)


@pytest.mark.usefixtures("month")
def test_the_header_has_the_focus_columns_and_only_x_custom_ones(run: Runner) -> None:
    header, _ = focus_rows(run, "-p", "actual.yaml")
    assert len(header) == len(set(header))
    assert set(header) >= FOCUS_NAMES, FOCUS_NAMES - set(header)
    custom = [c for c in header if c not in FOCUS_NAMES]
    assert custom
    assert all(c.startswith("x_") for c in custom), custom


# The month's lines by hand (test_synthetic.py derives the costs):
# plan: alpha/m-a 10,000 x (1000 + 200) tokens = 12,000,000, $18;
#       beta/m-b 10,000 x (2000 + 500) = 25,000,000, $80;
#       gamma/m-c 10,000 x (2500 prompt incl. the 2000 prefix + 100) = 26,000,000, $14.60;
#       delta/m-d 10,000 x (1000 + 100) = 11,000,000, $45.            total $157.60
# actual: alpha/m-a 11,000 x 1200 = 13,200,000, $19.80; beta/m-b 8,000 x 2500 = 20,000,000,
#       $64; beta/m-x 2,000 x 2500 = 5,000,000, $4; gamma/m-c 10,000 x 2600 = 26,000,000,
#       $20; delta/m-d 10,000 x 1100 = 11,000,000, $55 (new price).   total $162.80
EXPECTED = {
    ("plan", "alpha", "m-a"): ("18", "12000000", 10000),
    ("plan", "beta", "m-b"): ("80", "25000000", 10000),
    ("plan", "gamma", "m-c"): ("14.6", "26000000", 10000),
    ("plan", "delta", "m-d"): ("45", "11000000", 10000),
    ("actual", "alpha", "m-a"): ("19.8", "13200000", 11000),
    ("actual", "beta", "m-b"): ("64", "20000000", 8000),
    ("actual", "beta", "m-x"): ("4", "5000000", 2000),
    ("actual", "gamma", "m-c"): ("20", "26000000", 10000),
    ("actual", "delta", "m-d"): ("55", "11000000", 10000),
}


@pytest.mark.usefixtures("month")
def test_every_row_follows_the_rules_with_the_figures_by_hand(run: Runner) -> None:
    _, rows = focus_rows(run, "-p", "actual.yaml")
    got = {}
    for row in rows:
        check_row(row)
        tags = json.loads(row["Tags"])
        assert (tags["costplan/scenario"], tags["costplan/task"]) == (row["x_Scenario"],
                                                                       row["x_Task"])
        assert row["BillingCurrency"] == "USD"
        assert row["ChargeCategory"] == "Usage"
        assert row["ChargeFrequency"] == "Usage-Based"
        assert row["ServiceSubcategory"] == "Generative AI"
        assert row["ConsumedUnit"] == "Tokens"
        assert (row["PricingQuantity"], row["PricingUnit"]) == (row["ConsumedQuantity"],
                                                                row["ConsumedUnit"])
        # list prices, no discounts or commitments: the four costs are one amount
        assert len({row[c] for c in COSTS}) == 1
        assert (row["ProviderName"], row["ServiceName"]) == ("openai", "openai API")
        assert (row["ChargePeriodStart"], row["ChargePeriodEnd"]) == (
            "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")
        got[(row["x_Scenario"], row["x_Task"], row["SkuId"])] = (
            row["BilledCost"], row["ConsumedQuantity"], int(row["x_Requests"]))
    assert got == EXPECTED
    for scenario, total in (("plan", Decimal("157.6")), ("actual", Decimal("162.8"))):
        assert sum(Decimal(r["BilledCost"]) for r in rows if r["x_Scenario"] == scenario) == total
    gamma = next(r for r in rows if (r["x_Scenario"], r["x_Task"]) == ("actual", "gamma"))
    # 10,000 x 2500 prompt tokens (cached included), 10,000 x 1000 cached, 10,000 x 100 out
    assert (gamma["x_InputTokens"], gamma["x_CachedInputTokens"], gamma["x_OutputTokens"]) == (
        "25000000", "10000000", "1000000")
    # the plan's gamma: the 2000-token prefix read at hit rate 0.8: 10,000 x 1600 cached
    plan_gamma = next(r for r in rows if (r["x_Scenario"], r["x_Task"]) == ("plan", "gamma"))
    assert plan_gamma["x_CachedInputTokens"] == "16000000"


def test_unknown_models_unplanned_tasks_and_odd_names_still_conform(
    month: Path, run: Runner
) -> None:
    # a model no sheet knows (priced at its $0.0000005 logged spend: 500,000 pico-dollars),
    # an unplanned task whose name needs CSV quoting and JSON escaping
    extra = (
        "beta,mystery-model,2026-11-03T00:00:00Z,2026-11-04T00:00:00Z,3,30,0,6,0.0000005\n"
        '"om,e""ga ü",m-a,2026-11-05T00:00:00Z,2026-11-06T00:00:00Z,40,40000,0,8000,\n'
    )
    lines = USAGE.splitlines(keepends=True)[1:]
    body = "".join(line.rstrip("\n") + ",\n" for line in lines)
    (month / "usage.csv").write_text(HEADER.rstrip("\n") + ",spend_usd\n" + body + extra)
    _, rows = focus_rows(run)
    for row in rows:
        check_row(row)
    mystery = next(r for r in rows if r["SkuId"] == "mystery-model")
    # 3 requests of 10 prompt + 2 output tokens each: 36 tokens; cost = the logged spend
    assert (mystery["x_Scenario"], mystery["ConsumedQuantity"], mystery["BilledCost"]) == (
        "actual", "36", "0.0000005")
    assert mystery["x_LoggedCost"] == "0.0000005"
    omega = [r for r in rows if r["x_Task"] == 'om,e"ga ü']
    # 40 x (1000 + 200) tokens on m-a: 48,000 tokens, 40 x $0.0018 = $0.072; no plan line
    assert [(r["x_Scenario"], r["ConsumedQuantity"], r["BilledCost"]) for r in omega] == [
        ("actual", "48000", "0.072")]
    assert json.loads(omega[0]["Tags"])["costplan/task"] == 'om,e"ga ü'
