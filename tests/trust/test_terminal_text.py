"""Text the CLI prints goes through the escaping printers (costplan.textsafe).

``typer.echo`` (click's echo) is not safe for data: on a terminal it passes an
escape sequence in a model name through raw, and on a pipe it *silently strips*
it, so ``sm<ESC>[31mall`` printed as ``small``: a diff showed the same name added
and removed. The CLI prints data only through ``costplan.cli.common.echo``,
``print_error`` and ``console`` (each escapes); a scan of the CLI's source keeps it so.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.trust.conftest import Runner

CLI = Path(__file__).parents[2] / "src" / "costplan" / "cli"
DATA = Path(__file__).parent.parent / "data"

#: Where typer.echo may appear: the printers themselves, and app.py's fixed texts
#: (version, help, the interrupted/internal-error lines, whose data is escaped there).
ALLOWED = {"common.py", "app.py"}


def test_no_command_prints_through_typer_echo() -> None:
    offenders = [
        f"{path.name}:{n}"
        for path in sorted(CLI.glob("*.py"))
        if path.name not in ALLOWED
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"\b(typer|click)\.echo\(", line)
    ]
    assert offenders == [], "print data with costplan.cli.common.echo: " + ", ".join(offenders)


def test_an_escape_in_a_model_name_is_shown_escaped_in_every_diff_format(
    run: Runner, tmp_path: Path
) -> None:
    old = tmp_path / "old.yaml"
    shutil.copy(DATA / "basic" / "prices.yaml", old)
    new = tmp_path / "new.yaml"
    new.write_text(old.read_text().replace("\n  small:", '\n  "sm\\e[31mall":'))
    for fmt in ("table", "markdown", "json"):
        r = run("prices", "diff", old, new, "--format", fmt)
        assert r.code == 0, r.err
        assert "\x1b" not in r.out, fmt
        shown = "sm\\u001b[31mall" if fmt == "json" else "sm\\x1b[31mall"
        assert shown in r.out, (fmt, r.out)
