"""Run an importer end to end: select, import, dump, verify (no file is written here).

:func:`import_catalog` returns the sheet's YAML text only after it has loaded
back through the ordinary price-sheet loader to the very same models, so a
written sheet is always one ``costplan prices validate`` accepts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from costplan.errors import InputError, InternalError
from costplan.pricing.catalogs.common import Finding, FindingKind, ImportResult, Selector
from costplan.pricing.dump import dump_price_sheet
from costplan.pricing.model import ModelPrice


@dataclass(frozen=True)
class ImportedSheet:
    result: ImportResult
    text: str


def parse_as_of(text: str | None) -> date:
    """``--as-of``: an ISO date; today (UTC) when not given."""
    if text is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError("--as-of must be a date YYYY-MM-DD", value=text) from None


def run_importer(catalog: str, file: Path | None, selector: Selector, as_of: date) -> ImportResult:
    """Dispatch to the importer of ``catalog`` (checks the FILE argument)."""
    if catalog == "genai-prices":
        if file is not None:
            raise InputError(
                "--from genai-prices reads the installed package's data: give no FILE",
                value=str(file),
            )
        from costplan.pricing.catalogs.genai_prices import import_genai_prices

        return import_genai_prices(selector, as_of)
    if file is None:
        raise InputError(f"--from {catalog} needs the catalog FILE", hint=_FILE_HINTS.get(catalog))
    if catalog == "litellm":
        from costplan.pricing.catalogs.litellm import import_litellm

        return import_litellm(file, selector, as_of)
    if catalog == "openrouter":
        from costplan.pricing.catalogs.openrouter import import_openrouter

        return import_openrouter(file, selector, as_of)
    raise InputError("unknown catalog", value=catalog)


_FILE_HINTS = {
    "litellm": "LiteLLM's model_prices_and_context_window.json",
    "openrouter": "a saved response of https://openrouter.ai/api/v1/models",
}


def import_catalog(
    catalog: str, file: Path | None, selector: Selector, as_of: date, out: Path
) -> ImportedSheet:
    """Import and dump; raise unless the dump loads back to the same models."""
    from costplan.pricing.load import sheet_from_document
    from costplan.yamlsource import parse_yaml_text

    result = without_case_clashes(run_importer(catalog, file, selector, as_of))
    if not result.models:
        skipped = len(result.of_kind("skipped"))
        why = (
            f"all {skipped} selected models were skipped (see above)"
            if skipped
            else "no model matches --provider/--model"
        )
        raise InputError(f"nothing to import: {why}")
    sheet = result.sheet()
    header = (
        f"Imported by `costplan prices import --from {catalog}` from {result.source}.\n"
        f"{len(sheet.models)} models; {len(result.of_kind('skipped'))} skipped "
        "(see --report-skipped). Re-import rather than edit by hand."
    )
    text = dump_price_sheet(sheet, header=header)
    back = sheet_from_document(parse_yaml_text(text, out))
    if dict(back.models) != dict(sheet.models):
        bad = next(n for n in sheet.models if back.models.get(n) != sheet.models[n])
        raise InternalError(f"the imported sheet does not load back identically (model {bad!r})")
    return ImportedSheet(result, text)


def without_case_clashes(result: ImportResult) -> ImportResult:
    """Skip models whose names differ from another's only in case (a sheet refuses
    them: which one a workload means would be a guess); the first in sorted order stays."""
    kept: dict[str, ModelPrice] = {}
    first: dict[str, str] = {}
    findings = list(result.findings)
    for name in sorted(result.models):
        other = first.setdefault(name.casefold(), name)
        if other != name:
            m = result.models[name]
            findings.append(
                Finding("skipped", m.provider, name, f"name differs from {other!r} only in case")
            )
            continue
        kept[name] = result.models[name]
    if len(kept) == len(result.models):
        return result
    return replace(result, models=kept, findings=tuple(findings))


def report_tsv(findings: Iterable[Finding]) -> str:
    """Findings as TSV: ``kind, provider, model, reason`` with a header row."""
    rows = ["kind\tprovider\tmodel\treason"]
    rows += [
        "\t".join(
            x.replace("\t", " ").replace("\n", " ") for x in (f.kind, f.provider, f.model, f.reason)
        )
        for f in findings
    ]
    return "\n".join(rows) + "\n"


def import_json(result: ImportResult, catalog: str, out: Path) -> dict[str, object]:
    """``prices import --format json``: what was imported (schema ``output-prices-import``).

    Each model: canonical name, provider, aliases and its prices as exact decimal
    strings under the field names ``prices diff`` uses (``input_usd_per_mtok``,
    ``batch.output_usd_per_mtok``, ``tiers[>200000].input_usd_per_mtok``, ...).
    Findings are listed by kind (skipped, rounded, note), each with its reason.
    """
    from costplan.pricing.diff import model_fields
    from costplan.pricing.dump import number

    sheet = result.sheet()
    models = []
    for name, m in sheet.models.items():
        fields = model_fields(m)
        models.append(
            {
                "name": name,
                "provider": m.provider,
                "aliases": list(m.aliases),
                "prices": {
                    k: number(v)
                    for k, v in fields.items()
                    if k.endswith(("_usd_per_mtok", "request_usd")) and isinstance(v, Decimal)
                },
                "context_window": m.context_window,
                "max_output_tokens": m.max_output_tokens,
            }
        )

    def findings(kind: FindingKind) -> list[dict[str, str]]:
        return [
            {"provider": f.provider, "model": f.model, "reason": f.reason}
            for f in result.of_kind(kind)
        ]

    return {
        "format": 1,
        "catalog": catalog,
        "source": result.source,
        "as_of": result.as_of.isoformat(),
        "out": str(out),
        "models_count": len(models),
        "providers_count": len({m.provider for m in sheet.models.values()}),
        "models": models,
        "skipped": findings("skipped"),
        "rounded": findings("rounded"),
        "notes": findings("note"),
    }
