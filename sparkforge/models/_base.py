"""The base of the models: JSON-safe ``to_dict`` / path-checked ``from_dict``, and the clock."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from datetime import datetime, timezone
from enum import Enum
from typing import TYPE_CHECKING, cast

from sparkforge._parsing import Reader

if TYPE_CHECKING:
    from _typeshed import DataclassInstance
    from typing_extensions import Self

__all__ = ["JsonDict", "Model", "utc_now"]

#: A JSON-safe dictionary, as produced by ``to_dict``.
JsonDict = dict[str, object]


def utc_now() -> datetime:
    """Return the current instant as a UTC-aware datetime.

    The one "now" of sparkforge: every instant the library stamps (run and step starts, the
    log's ``logged_at``) comes from here, unless a caller passes its own clock.

    Examples
    --------
    >>> utc_now().tzinfo
    datetime.timezone.utc
    """
    return datetime.now(timezone.utc)


def _to_json(value: object) -> object:
    if isinstance(value, Model):
        return value.to_dict()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_to_json(item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): _to_json(v) for k, v in value.items()}
    return value


class Model:
    """Base of the models: ``from_dict`` on top of each model's path-aware ``_read``."""

    __slots__ = ()

    def to_dict(self) -> JsonDict:
        """Return the model as JSON-safe data (``json.dumps`` accepts it as is).

        Instants become ISO 8601 strings with their UTC offset, enums their values, tuples
        lists and nested models dicts.

        Examples
        --------
        >>> from datetime import datetime, timezone
        >>> from sparkforge.models import Phase, StepResult, StepStatus
        >>> t = datetime(2026, 1, 2, tzinfo=timezone.utc)
        >>> data = StepResult(step_name="orders", phase=Phase.BRONZE, status=StepStatus.SUCCESS,
        ...     started_at=t, ended_at=t, duration_secs=0.0).to_dict()
        >>> data["phase"], data["started_at"]
        ('bronze', '2026-01-02T00:00:00+00:00')
        """
        return {
            f.name: _to_json(getattr(self, f.name)) for f in fields(cast("DataclassInstance", self))
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        """Build the model from ``to_dict`` output, rejecting malformed input.

        Parameters
        ----------
        data
            A mapping shaped like the model's ``to_dict`` output.

        Returns
        -------
        Self
            The model.

        Raises
        ------
        ValidationError
            ``MODEL_INVALID``, listing the path of every bad field (``steps[2].phase`` ...).

        Examples
        --------
        >>> from sparkforge.models import ErrorInfo
        >>> info = ErrorInfo(type="ValueError", message="amount is negative")
        >>> ErrorInfo.from_dict(info.to_dict()) == info
        True
        >>> ErrorInfo.from_dict({"type": "ValueError"})
        Traceback (most recent call last):
        ...
        sparkforge.errors.ValidationError: [MODEL_INVALID] Invalid ErrorInfo: 1 problem(s): \
message: is required
        """
        reader = Reader(cls.__name__)
        result = cls._read(reader, data, "")
        reader.check()
        return cast("Self", result)

    @classmethod
    def _read(cls, reader: Reader, data: object, path: str) -> Self | None:
        raise NotImplementedError
