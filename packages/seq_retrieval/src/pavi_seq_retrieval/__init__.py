"""PAVI per-entry job: genomic regions to (variant) protein sequences.

Importing the package is cheap: ``__version__`` reads the installed metadata on first use.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """``__version__`` from the installed metadata (importlib.metadata is slow to import)."""
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415

        return version("pavi-seq-retrieval")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
