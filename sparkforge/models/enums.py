"""The closed sets of values in sparkforge's data: phases, run modes, statuses, write modes.

Each is a ``str`` enum, so a member compares equal to (and hashes like) its value and prints as
it. Where users pass one as an option, the option is typed ``TheEnum | Literal[...values...]``
(the ``...Name`` aliases here): a plain string is accepted, type-checked, and stored as the
member.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal, TypeVar

__all__ = [
    "as_member",
    "Phase",
    "PhaseName",
    "RunMode",
    "RunModeName",
    "RunStatus",
    "StepStatus",
    "TableWriteMode",
    "WriteMode",
    "WriteModeName",
]

_E = TypeVar("_E", bound=Enum)


class _ValueEnum(str, Enum):
    """A ``str`` enum that prints as its value on every Python version."""

    def __str__(self) -> str:
        return str(self.value)


class Phase(_ValueEnum):
    """The Medallion layer a step belongs to.

    Examples
    --------
    >>> Phase("silver") is Phase.SILVER, Phase.GOLD == "gold", str(Phase.BRONZE)
    (True, True, 'bronze')
    """

    BRONZE = "bronze"
    SILVER = "silver"
    GOLD = "gold"


#: The values of :class:`Phase`, for options that accept a plain string.
PhaseName = Literal["bronze", "silver", "gold"]


class RunMode(_ValueEnum):
    """How a pipeline run treats its tables.

    Examples
    --------
    >>> [mode.value for mode in RunMode]
    ['initial', 'incremental', 'full_refresh', 'validation_only']
    """

    INITIAL = "initial"
    INCREMENTAL = "incremental"
    FULL_REFRESH = "full_refresh"
    VALIDATION_ONLY = "validation_only"


#: The values of :class:`RunMode`, for options that accept a plain string.
RunModeName = Literal["initial", "incremental", "full_refresh", "validation_only"]


class StepStatus(_ValueEnum):
    """The outcome of one step.

    Examples
    --------
    >>> StepStatus("skipped") is StepStatus.SKIPPED, f"{StepStatus.FAILED}"
    (True, 'failed')
    """

    SUCCESS = "success"
    FAILED = "failed"
    SKIPPED = "skipped"


class RunStatus(_ValueEnum):
    """The outcome of a whole run.

    Examples
    --------
    >>> RunStatus.FAILED == "failed", as_member(RunStatus, "skipped") is None
    (True, True)
    """

    SUCCESS = "success"
    FAILED = "failed"


class WriteMode(_ValueEnum):
    """What a write does to the rows already in its table.

    The one write-mode type of sparkforge: a step's table write
    (`write_mode`) and the log writer's
    (`sparkforge.writer.WriterConfig.write_mode`) both use it.

    Examples
    --------
    >>> WriteMode("overwrite") is WriteMode.OVERWRITE, WriteMode.APPEND == "append"
    (True, True)
    """

    APPEND = "append"
    """Add the new rows (the table grows write after write)."""
    OVERWRITE = "overwrite"
    """Replace the table's rows with those written (a Delta overwrite: history is kept)."""


#: The values of :class:`WriteMode`, for options that accept a plain string.
WriteModeName = Literal["append", "overwrite"]

#: Deprecated alias: a write mode given as the enum or its value. Use
#: ``WriteMode | WriteModeName``.
TableWriteMode = WriteMode | WriteModeName


def as_member(enum_type: type[_E], value: object) -> _E | None:
    """Return the member of ``enum_type`` that ``value`` is or names, or None if none.

    Parameters
    ----------
    enum_type
        The enum.
    value
        A member, a member's value, or anything else.

    Returns
    -------
    member or None
        The member; None when ``value`` names none (the caller reports it).

    Examples
    --------
    >>> as_member(WriteMode, "overwrite")
    <WriteMode.OVERWRITE: 'overwrite'>
    >>> as_member(WriteMode, "upsert") is None
    True
    """
    if isinstance(value, enum_type):
        return value
    try:
        return enum_type(value)
    except (ValueError, TypeError):
        return None
