"""Object tags the jobs put on what they write, read back by the bucket's lifecycle rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

#: On every object written under a work prefix; the lifecycle rule on ``executions/`` with this
#: tag expires intermediates (lifecycle filters cannot glob ``executions/*/work/``).
WORK_TAGS: Final[Mapping[str, str]] = {"pavi:stage": "work"}
