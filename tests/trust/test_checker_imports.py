"""The import rule of the independent checker: it shares no code with what it checks.

Every module of ``costplan/verify`` is parsed with :mod:`ast`; every ``import``
and ``from ... import`` (also inside functions and ``TYPE_CHECKING`` blocks) must
name the standard library, PyYAML, numpy, tiktoken, tokenizers (a bundled
tokenizer.json, as tiktoken runs the bundled ranks), DuckDB, ``costplan.errors`` or the
checker's own modules. DuckDB reads query files for the checker because costplan's
own query reader is pyarrow (plus an exact Python fallback), so the two share no
parser; the one exception is ``queryfile.py`` opening an Arrow IPC container with
pyarrow (DuckDB has no IPC reader offline), whose columns DuckDB then converts. The
checker's re-derivation of a search proof (``search.py``, ``searchq.py``) builds its own
integer model from its own rows and hands only that last exact step to OR-Tools CP-SAT, a
third-party solver (no costplan code).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

import costplan.verify

PACKAGE = Path(costplan.verify.__file__).parent
ALLOWED_THIRD_PARTY = {"yaml", "numpy", "tiktoken", "duckdb", "tokenizers"}
#: Per-module exceptions, each argued in the module docstring above.
ALLOWED_IN = {"queryfile.py": {"pyarrow"}, "search.py": {"ortools"}, "searchq.py": {"ortools"}}
ALLOWED_COSTPLAN = {"costplan.errors"}


def imported(tree: ast.AST) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside the checker package only
                out.append((node.lineno, "costplan.verify." + (node.module or "")))
            else:
                assert node.module is not None
                if node.module == "costplan":  # `from costplan import pricing`
                    out += [(node.lineno, f"costplan.{a.name}") for a in node.names]
                else:
                    out.append((node.lineno, node.module))
    return out


def forbidden(name: str, module: str = "") -> bool:
    top = name.split(".")[0]
    if top in ALLOWED_IN.get(module, set()):
        return False
    if top == "costplan":
        return not (name in ALLOWED_COSTPLAN or name == "costplan.verify"
                    or name.startswith("costplan.verify."))  # fmt: skip
    return top not in ALLOWED_THIRD_PARTY and top not in sys.stdlib_module_names


def test_the_rule_itself_refuses_what_it_must() -> None:
    tree = ast.parse(
        "import costplan.pricing.cost\nfrom costplan import options\n"
        "def f():\n    from costplan.tokens.count import count_tokens\n"
        "import pydantic\nfrom costplan.errors import InputError\nimport numpy\n"
    )
    bad = {name for _, name in imported(tree) if forbidden(name)}
    assert bad == {"costplan.pricing.cost", "costplan.options", "costplan.tokens.count", "pydantic"}


MODULES = sorted(PACKAGE.rglob("*.py"))


@pytest.mark.parametrize("module", MODULES, ids=[m.name for m in MODULES])
def test_checker_module_imports_only_what_the_rule_allows(module: Path) -> None:
    tree = ast.parse(module.read_text(), filename=str(module))
    bad = [f"line {line}: {name}" for line, name in imported(tree)
           if forbidden(name, module.name)]  # fmt: skip
    assert bad == [], f"{module.name} imports forbidden modules: {bad}"


def test_the_package_has_modules() -> None:
    assert len(MODULES) >= 8  # the checker is a package, not a stub
