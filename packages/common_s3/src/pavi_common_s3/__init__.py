"""The one S3 / file / HTTP I/O library the PAVI pipeline jobs share."""

from importlib.metadata import version

__version__ = version("pavi-common-s3")
