"""Sub-commands of ``clusterix`` beyond the core ones, one module each.

Every module in this package defines ``register(subparsers)``, which adds its sub-command(s)
with ``set_defaults(func=...)``; :func:`clusterix_lib.cli.build_parser` calls them all, in
module-name order. A command's ``func(args) -> int`` raises
:class:`~clusterix_lib.errors.ClusterixError` for expected errors (printed as one line, exit 2).
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def command_modules() -> list[ModuleType]:
    """The command modules of this package, sorted by name."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
    return [importlib.import_module(f"{__name__}.{n}") for n in names]
