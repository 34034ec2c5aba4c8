"""PAVI merge job: seqinfo files plus alignment columns of embedded variants."""

from importlib.metadata import version

__version__ = version("pavi-seqinfo-align")
