"""PAVI per-entry job: genomic regions to (variant) protein sequences."""

from importlib.metadata import version

__version__ = version("pavi-seq-retrieval")
