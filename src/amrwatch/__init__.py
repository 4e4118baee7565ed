"""amrwatch: antimicrobial resistance surveillance for Latin America and the Caribbean.

The package is organised as a one-way pipeline, one sub-package per stage:

    refdata → codes → ingest → store → interpret → analyse → detect → alert
                                             └──► export, api, web

Importing ``amrwatch`` is cheap: reference tables load lazily on first use.
The public Python surface is listed in ``__all__``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["__version__", "interpret", "resolve_antimicrobials", "resolve_organisms"]

if TYPE_CHECKING:  # pragma: no cover
    from amrwatch.codes import resolve_antimicrobials, resolve_organisms
    from amrwatch.interpret import interpret

_LAZY = {
    "interpret": "amrwatch.interpret",
    "resolve_organisms": "amrwatch.codes",
    "resolve_antimicrobials": "amrwatch.codes",
}


def __getattr__(name: str) -> Any:
    # Lazy so that `import amrwatch` never loads reference tables or heavy libraries.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'amrwatch' has no attribute {name!r}")
