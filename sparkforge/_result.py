"""The base of every answer sparkforge returns: frozen dataclasses with a JSON-safe form.

It imports nothing else from sparkforge, so every layer (table operations, reporting, the
writer) can build its results on it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from datetime import date, datetime, timedelta
from enum import Enum
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ["Result", "json_safe"]


def json_safe(value: object) -> object:
    """Return ``value`` as data ``json.dumps`` accepts with ``allow_nan=False``.

    Instants become ISO 8601 strings with their offset, durations seconds, enums their
    values, tuples lists, nested results dicts; a NaN or infinite float becomes None.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> json_safe((datetime(2026, 1, 2, tzinfo=timezone.utc), float("nan"), 2.5))
    ['2026-01-02T00:00:00+00:00', None, 2.5]
    """
    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (tuple, list)):
        return [json_safe(item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: json_safe(getattr(value, f.name)) for f in fields(value)}
    return value


class Result:
    """Mixin of the analytics' frozen dataclasses: ``to_dict()`` gives JSON-safe data."""

    __slots__ = ()

    def to_dict(self) -> dict[str, object]:
        """Return the result as JSON-safe data (``json.dumps`` accepts it as is).

        Examples
        --------
        >>> import json
        >>> from datetime import datetime, timezone
        >>> from sparkforge.reporting import RunListing
        >>> run = RunListing(run_id="r1", pipeline_name="orders", run_status="success",
        ...     run_mode="initial", run_started_at=datetime(2026, 1, 2, tzinfo=timezone.utc),
        ...     run_ended_at=None, steps=3, failed_steps=0, rows_written=120, error_message=None)
        >>> json.dumps(run.to_dict())[:64]
        '{"run_id": "r1", "pipeline_name": "orders", "run_status": "succe'
        """
        return {
            f.name: json_safe(getattr(self, f.name))
            for f in fields(cast("DataclassInstance", self))
        }
