"""PAVI merge job: seqinfo files plus alignment columns of embedded variants."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """``__version__``, read from the installed metadata on first use (keeps start-up fast)."""
    if name == "__version__":
        from importlib.metadata import version  # noqa: PLC0415

        return version("pavi-seqinfo-align")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
