"""PAVI workflow: request model, Step Functions definition, local runner and client."""

from importlib.metadata import version

__version__ = version("pavi-workflow")
