"""``costplan prices``: validate, import and diff price sheets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from costplan.cli.common import (
    InputPath,
    OutputPath,
    choice_option,
    claim_stdout,
    echo,
    format_option,
    print_error,
    write_json,
)

app = typer.Typer(
    name="prices",
    help="Price sheets: validate and lint them, import them from public catalogs, diff them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

CATALOGS = ("genai-prices", "litellm", "openrouter")
FORMATS = ("table", "markdown", "json")


@app.command("validate")
def validate(
    files: list[Path] = typer.Argument(
        ..., help="Price sheet files (YAML, or JSON by suffix).", parser=InputPath("prices")
    ),
    strict: bool = typer.Option(False, "--strict", help="Warnings fail too (exit 2)."),
    fmt: str = format_option("table", "json"),
) -> None:
    """Check price sheets: schema errors (exit 2) and suspicious prices (warnings).

    Each finding is one line on stderr, 'error: FILE:LINE: KEY: MESSAGE (got VALUE)'
    or 'warning: ...'; one summary line per file goes to stdout. Exit 0 when every
    file is valid (warnings allowed), 2 when one is not, or when --strict and any
    warning was found. With --format json the findings are in one JSON document on
    stdout instead (same exit codes).
    """
    from costplan.errors import InputError
    from costplan.pricing.lint import lint_price_sheet
    from costplan.pricing.load import sheet_from_document
    from costplan.safeio import OutputOverInputError
    from costplan.yamlsource import load_document

    as_json = fmt == "json"
    if as_json:
        claim_stdout("--format json")
    failed = False
    warned = 0
    results: list[dict[str, Any]] = []
    for path in files:
        try:
            doc = load_document(path, what="price sheet")
            sheet = sheet_from_document(doc)
        except OutputOverInputError:
            raise  # not a finding about this sheet: nothing may be written
        except InputError as exc:
            failed = True
            results.append(_file_json(path, None, [exc.render()], []))
            if not as_json:
                print_error(exc)
                echo(f"{path}: invalid")
            continue
        warnings = [w.render() for w in lint_price_sheet(doc, sheet)]
        warned += len(warnings)
        results.append(_file_json(path, len(sheet.models), [], warnings))
        if not as_json:
            for w in warnings:
                echo(f"warning: {w}", err=True)
            noun = "warning" if len(warnings) == 1 else "warnings"
            echo(f"{path}: ok ({len(sheet.models)} models, {len(warnings)} {noun})")
    ok = not (failed or (strict and warned))
    if as_json:
        write_json({"format": 1, "valid": ok, "strict": strict, "files": results})
    elif strict and warned and not failed:
        echo(f"error: {warned} warning(s) with --strict", err=True)
    if not ok:
        raise typer.Exit(2)


def _file_json(
    path: Path, models: int | None, errors: list[str], warnings: list[str]
) -> dict[str, Any]:
    """One file's entry of ``prices validate --format json``."""
    return {
        "file": str(path),
        "valid": not errors,
        "models": models,
        "errors": errors,
        "warnings": warnings,
    }


@app.command("import")
def import_(
    catalog: str = choice_option(
        ...,
        "--from",
        choices=CATALOGS,
        help="The catalog: genai-prices (installed package), litellm, openrouter.",
    ),
    file: Path | None = typer.Argument(
        None,
        help="Catalog file: LiteLLM's model_prices_and_context_window.json or a saved "
        "OpenRouter /api/v1/models response. Not used with genai-prices.",
        parser=InputPath("catalog"),
    ),
    out: Path = typer.Option(
        ...,
        "--out",
        "-o",
        help="Price sheet to write (atomically; replaced if it exists); - for stdout.",
        parser=OutputPath("--out", (".yaml", ".yml")),
    ),
    provider: list[str] | None = typer.Option(
        None, "--provider", help="Only providers matching this glob (case-insensitive; repeatable)."
    ),
    model: list[str] | None = typer.Option(
        None, "--model", help="Only model ids matching this glob (case-insensitive; repeatable)."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Prices in force on this date, YYYY-MM-DD (default: today, UTC)."
    ),
    report_skipped: Path | None = typer.Option(
        None,
        "--report-skipped",
        help="Also write every skipped model, note and rounding as TSV to this file.",
        parser=OutputPath("--report-skipped", (".tsv",)),
    ),
    fmt: str = format_option("table", "json"),
) -> None:
    """Write a price sheet from a public price catalog, offline.

    Models that cannot be priced faithfully are skipped and listed on stderr with
    the reason; prices rounded to 6 decimals are listed too. Nothing is written
    when there is an error. With --format json a summary of what was imported
    (every model's prices, every skipped model's reason) goes to stdout as one
    JSON document; the messages stay on stderr.
    """
    from costplan.pricing.catalogs.common import Selector
    from costplan.pricing.catalogs.run import import_catalog, import_json, parse_as_of, report_tsv
    from costplan.safeio import is_stdout, write_output

    if fmt == "json":
        claim_stdout("--format json")
    selector = Selector(tuple(provider or ()), tuple(model or ()))
    imported = import_catalog(catalog, file, selector, parse_as_of(as_of), out)
    result = imported.result
    for f in result.findings:
        if f.kind != "note":
            echo(f.line(), err=True)
    notes = result.of_kind("note")
    if notes:
        where = (
            f"listed in {report_skipped}" if report_skipped else "list them with --report-skipped"
        )
        k = len({(n.provider, n.model) for n in notes})
        echo(
            f"note: {k} imported {'model has' if k == 1 else 'models have'} caveats "
            f"(catalog prices, modes or fields not represented, later price changes); {where}",
            err=True,
        )
    if report_skipped is not None:
        write_output(report_skipped, report_tsv(result.findings))
    write_output(out, imported.text)
    if fmt == "json":
        write_json(import_json(result, catalog, out))
    providers = {m.provider for m in result.models.values()}
    echo(
        f"wrote {out}: {len(result.models)} models from {len(providers)} providers, "
        f"as of {result.as_of.isoformat()} ({len(result.of_kind('skipped'))} skipped, "
        f"{len(result.of_kind('rounded'))} rounded)",
        # stdout carries only the output
        err=is_stdout(out) or is_stdout(report_skipped) or fmt == "json",
    )


@app.command("diff")
def diff(
    old: Path = typer.Argument(..., help="The old price sheet.", parser=InputPath("prices")),
    new: Path = typer.Argument(..., help="The new price sheet.", parser=InputPath("prices")),
    fmt: str = format_option("table", "markdown", "json"),
) -> None:
    """Models added, removed and re-priced between two sheets.

    Exit 0 whatever changed; 2 when a sheet is invalid.
    """
    from costplan.pricing.diff import diff_price_sheets, diff_to_json, render_markdown, render_table
    from costplan.pricing.load import load_price_sheet

    if fmt == "json":
        claim_stdout("--format json")
    d = diff_price_sheets(load_price_sheet(old), load_price_sheet(new))
    render = {"table": render_table, "markdown": render_markdown, "json": diff_to_json}[fmt]
    echo(render(d, str(old), str(new)), nl=False)
