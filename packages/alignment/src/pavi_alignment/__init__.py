"""PAVI alignment job: Clustal Omega on the retrieved sequences."""

from importlib.metadata import version

__version__ = version("pavi-alignment")
