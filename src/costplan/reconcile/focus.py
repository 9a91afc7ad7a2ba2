"""FOCUS 1.2-shaped cost lines of the plan and the actual usage (``--focus FILE.csv``).

One row per (scenario, task, model) with traffic or cost, ``scenario`` being
``plan`` or ``actual``, so that FinOps tools can load the plan beside the bill.
Columns (FinOps Open Cost and Usage Specification 1.2):

* the 22 mandatory ones: ``BilledCost``, ``BillingAccountId``, ``BillingAccountName``,
  ``BillingCurrency``, ``BillingPeriodEnd``, ``BillingPeriodStart``, ``ChargeCategory``,
  ``ChargeClass``, ``ChargeDescription``, ``ChargePeriodEnd``, ``ChargePeriodStart``,
  ``ContractedCost``, ``EffectiveCost``, ``InvoiceIssuerName``, ``ListCost``,
  ``PricingQuantity``, ``PricingUnit``, ``ProviderName``, ``PublisherName``,
  ``ServiceCategory``, ``ServiceName``, ``ServiceSubcategory``;
* the conditional and recommended ones that apply: ``ChargeFrequency``,
  ``ConsumedQuantity``, ``ConsumedUnit``, ``SkuId`` (= model), ``Tags``;
* custom columns, prefixed ``x_`` as the specification requires: ``x_Scenario``,
  ``x_Task``, ``x_Requests``, ``x_InputTokens`` (cached included),
  ``x_CachedInputTokens``, ``x_OutputTokens``, ``x_ReasoningTokens``, ``x_LoggedCost``.

Rules kept (tests/reconcile/test_focus.py checks each): every cost column is a plain
decimal (no exponent, no separators, ``.`` as the decimal point), exact to the
pico-dollar (the logged spend in ``x_LoggedCost`` likewise), and the four costs are
equal (list prices, no discounts or commitments); ``BillingCurrency`` is ``USD`` (ISO
4217); every date-time is ISO 8601 UTC ``YYYY-MM-DDTHH:MM:SSZ``, starts inclusive and
ends exclusive (the reconciled period, which is also the billing period);
``ChargeCategory`` is ``Usage``, ``ChargeClass`` null (no corrections),
``ChargeFrequency`` ``Usage-Based``, ``ServiceCategory`` ``AI and Machine Learning``
and ``ServiceSubcategory`` ``Generative AI``; ``ConsumedQuantity`` is a positive
decimal in ``ConsumedUnit`` ``Tokens`` (input + output + reasoning; the plan's
expected counts may be fractional), ``PricingQuantity``/``PricingUnit`` the same;
``Tags`` is a JSON object of provider-prefixed keys (``costplan/scenario``,
``costplan/task``, ``costplan/workload``). The plan lines' costs sum exactly to the
plan's cost, the actual lines' to the actual cost.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from fractions import Fraction
from typing import TYPE_CHECKING

from costplan.money import usd_str
from costplan.reconcile.load import iso_utc
from costplan.reconcile.render import frac_str, plain_decimal

if TYPE_CHECKING:
    from costplan.reconcile.decompose import ModelLine
    from costplan.reconcile.run import Reconciled

COLUMNS = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
    "ChargeDescription", "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart",
    "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "EffectiveCost",
    "InvoiceIssuerName", "ListCost", "PricingQuantity", "PricingUnit", "ProviderName",
    "PublisherName", "ServiceCategory", "ServiceName", "ServiceSubcategory", "SkuId", "Tags",
    "x_Scenario", "x_Task", "x_Requests", "x_InputTokens", "x_CachedInputTokens",
    "x_OutputTokens", "x_ReasoningTokens", "x_LoggedCost",
)


def _rows(rec: Reconciled) -> Iterator[dict[str, str]]:
    u = rec.usage
    start, end = iso_utc(u.period.start), iso_utc(u.period.end)
    account = rec.plan.workload
    for t in rec.result.tasks:
        for x in t.lines:
            for scenario in ("plan", "actual"):
                row = _row(x, scenario)
                if row is None:
                    continue
                tags = {"costplan/scenario": scenario, "costplan/task": t.name,
                        "costplan/workload": account}
                yield {
                    **row,
                    "BillingAccountId": account,
                    "BillingAccountName": account,
                    "BillingCurrency": "USD",
                    "BillingPeriodStart": start,
                    "BillingPeriodEnd": end,
                    "ChargePeriodStart": start,
                    "ChargePeriodEnd": end,
                    "ChargeCategory": "Usage",
                    "ChargeClass": "",
                    "ChargeFrequency": "Usage-Based",
                    "ServiceCategory": "AI and Machine Learning",
                    "ServiceSubcategory": "Generative AI",
                    "SkuId": x.model,
                    "Tags": json.dumps(tags, ensure_ascii=False, sort_keys=True),
                    "x_Scenario": scenario,
                    "x_Task": t.name,
                }


def _row(x: ModelLine, scenario: str) -> dict[str, str] | None:
    if scenario == "plan":
        cost, requests = x.plan_cost_pusd, x.plan_requests
        tok = {k: Fraction(v) for k, v in x.plan_tokens.items()}
        logged = ""
    else:
        cost, requests = x.actual_cost_pusd, x.actual_requests
        tok = {k: Fraction(v) for k, v in x.actual_tokens.items()}
        logged = "" if x.spend_usd is None else plain_decimal(x.spend_usd)
    if not requests and not cost:
        return None
    quantity = tok["prompt"] + tok["output"] + tok["reasoning"]
    unit = "Tokens"
    if quantity <= 0:  # a request without tokens (fees only): count requests instead
        quantity, unit = Fraction(max(requests, 1)), "Requests"
    provider = x.provider
    money = usd_str(cost)
    what = "planned" if scenario == "plan" else "actual"
    return {
        "BilledCost": money,
        "EffectiveCost": money,
        "ListCost": money,
        "ContractedCost": money,
        "ChargeDescription": f"{what} {x.model} tokens for task {x.task} ({requests} requests)",
        "ConsumedQuantity": frac_str(quantity),
        "ConsumedUnit": unit,
        "PricingQuantity": frac_str(quantity),
        "PricingUnit": unit,
        "ProviderName": provider,
        "PublisherName": provider,
        "InvoiceIssuerName": provider,
        "ServiceName": f"{provider} API",
        "x_Requests": str(requests),
        "x_InputTokens": frac_str(tok["prompt"]),
        "x_CachedInputTokens": frac_str(tok["cached"]),
        "x_OutputTokens": frac_str(tok["output"]),
        "x_ReasoningTokens": frac_str(tok["reasoning"]),
        "x_LoggedCost": logged,
    }


def focus_csv(rec: Reconciled) -> str:
    """The CSV text (header row, then one row per line; ``\\n`` line ends)."""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    for row in _rows(rec):
        w.writerow(row)
    return buf.getvalue()
