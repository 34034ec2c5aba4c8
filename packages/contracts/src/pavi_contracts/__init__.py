"""The contracts between the PAVI packages: models, the job table, file names, exit codes.

Importing the package is cheap: submodules load only when used (``pavi_contracts.entry`` and
``pavi_contracts.request`` bring pydantic; the others only the standard library).
"""

from __future__ import annotations
