"""costplan: plan LLM spending.

Choose which model serves which queries so that quality is as high as possible
within a budget, or cost as low as possible above quality floors.

The use cases are functions of the package, for notebooks and scripts::

    import costplan
    plan = costplan.optimize("workload.yaml", budget_usd="8000")
    plan.cost_usd, plan.to_pandas()

``load``, ``optimize``, ``assign``, ``frontier``, ``check``, ``report``, ``export`` and
``reconcile`` are :mod:`costplan.notebook`'s functions (money as Decimal USD, ``to_pandas()``,
``_repr_html_``). Nothing heavy is imported by ``import costplan`` (the CLI's ``--help``
stays fast): a use case loads its modules when first called. Seven of the names are also
submodules (``costplan.optimize`` is the optimiser's module); the package keeps each of
those modules callable as its use case, so ``costplan.optimize(...)`` and ``import
costplan.optimize as m`` both work whichever comes first.
"""

from __future__ import annotations

import sys
import types
from typing import Any

__version__ = "0.1.0"

USE_CASES = ("load", "optimize", "assign", "frontier", "check", "report", "export", "reconcile")
__all__ = ["__version__", *USE_CASES]


class _UseCaseModule(types.ModuleType):
    """A submodule that is also its use case: calling it calls costplan.notebook's function."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from costplan import notebook

        return getattr(notebook, self.__name__.rpartition(".")[2])(*args, **kwargs)


class _Package(types.ModuleType):
    """The package: a submodule named like a use case becomes callable when it is set on it
    (the import system sets ``costplan.<name>`` after importing ``costplan.<name>``)."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in USE_CASES and type(value) is types.ModuleType:
            value.__class__ = _UseCaseModule
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __getattr__(name: str) -> Any:
    """The use cases, imported on first use (see the module docs)."""
    if name not in USE_CASES:
        raise AttributeError(f"module 'costplan' has no attribute {name!r}")
    if name == "load":
        from costplan.notebook import load

        return load
    import importlib

    return importlib.import_module(f"costplan.{name}")
