"""Read typed fields out of untrusted dicts, collecting every problem with its field path.

Private helper of the models' ``from_dict`` methods.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timezone
from enum import Enum
from typing import TypeVar, cast

from sparkforge.errors import ProblemCollector, ValidationError

_E = TypeVar("_E", bound=Enum)
_MISSING = object()


class Reader:
    """Read typed fields out of untrusted dicts, collecting every problem with its path.

    The problems go to one [`ProblemCollector`][sparkforge.errors.ProblemCollector], ``problems``; a
    reader compares ``len(reader.problems)`` before and after reading a nested model to tell
    whether that model was read cleanly.
    """

    def __init__(self, model: str) -> None:
        self.model = model
        self.problems = ProblemCollector()

    def fail(self, path: str, reason: str) -> None:
        self.problems.add(path, reason)

    def check(self) -> None:
        if self.problems:
            raise ValidationError(
                "MODEL_INVALID",
                {"model": self.model, "problems": self.problems.render()},
                problems=self.problems.problems,
            )

    def mapping(self, value: object, path: str) -> Mapping[str, object] | None:
        if isinstance(value, Mapping) and all(isinstance(k, str) for k in value):
            return cast("Mapping[str, object]", value)
        self.fail(path, f"expected an object with string keys, got {_describe(value)}")
        return None

    def get(self, data: Mapping[str, object], key: str, path: str, *, optional: bool) -> object:
        value = data.get(key, _MISSING)
        if value is _MISSING:
            if optional:
                return None
            self.fail(join_path(path, key), "is required")
            return _MISSING
        return value

    def string(
        self, data: Mapping[str, object], key: str, path: str, *, optional: bool = False
    ) -> str | None:
        value = self.get(data, key, path, optional=optional)
        if value is _MISSING or (value is None and optional):
            return None
        if not isinstance(value, str):
            self.fail(join_path(path, key), f"expected a string, got {_describe(value)}")
            return None
        return value

    def integer(
        self, data: Mapping[str, object], key: str, path: str, *, optional: bool = False
    ) -> int | None:
        value = self.get(data, key, path, optional=optional)
        if value is _MISSING or (value is None and optional):
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(join_path(path, key), f"expected an integer, got {_describe(value)}")
            return None
        return value

    def boolean(
        self, data: Mapping[str, object], key: str, path: str, *, optional: bool = False
    ) -> bool | None:
        value = self.get(data, key, path, optional=optional)
        if value is _MISSING or (value is None and optional):
            return None
        if not isinstance(value, bool):
            self.fail(join_path(path, key), f"expected a bool, got {_describe(value)}")
            return None
        return value

    def number(
        self, data: Mapping[str, object], key: str, path: str, *, optional: bool = False
    ) -> float | None:
        value = self.get(data, key, path, optional=optional)
        if value is _MISSING or (value is None and optional):
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(join_path(path, key), f"expected a number, got {_describe(value)}")
            return None
        try:
            number = float(value)
        except OverflowError:
            self.fail(join_path(path, key), f"is too large for a float, got {_describe(value)}")
            return None
        if not math.isfinite(number):
            self.fail(join_path(path, key), f"expected a finite number, got {value!r}")
            return None
        return number

    def instant(
        self, data: Mapping[str, object], key: str, path: str, *, optional: bool = False
    ) -> datetime | None:
        value = self.get(data, key, path, optional=optional)
        if value is _MISSING or (value is None and optional):
            return None
        where = join_path(path, key)
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                self.fail(where, f"expected an ISO 8601 timestamp, got {value!r}")
                return None
        else:
            self.fail(where, f"expected an ISO 8601 timestamp string, got {_describe(value)}")
            return None
        if parsed.tzinfo is None or parsed.utcoffset() is None:
            self.fail(where, f"timestamp {value!r} has no UTC offset; instants must be aware")
            return None
        try:
            return parsed.astimezone(timezone.utc)
        except OverflowError:
            # e.g. 0001-01-01T00:00:00+05:00: a valid string whose UTC instant is before year 1.
            self.fail(where, f"timestamp {value!r} is outside the range of a UTC instant")
            return None

    def enum(
        self,
        data: Mapping[str, object],
        key: str,
        path: str,
        enum_type: type[_E],
        *,
        optional: bool = False,
    ) -> _E | None:
        value = self.get(data, key, path, optional=optional)
        if value is _MISSING or (value is None and optional):
            return None
        try:
            return enum_type(value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in enum_type)
            self.fail(join_path(path, key), f"expected one of {allowed}, got {value!r}")
            return None

    def string_map(
        self, data: Mapping[str, object], key: str, path: str
    ) -> Mapping[str, str] | None:
        value = self.get(data, key, path, optional=True)
        if value is None:
            return {}
        where = join_path(path, key)
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            self.fail(where, f"expected an object of strings, got {_describe(value)}")
            return None
        return dict(value)

    def items(self, data: Mapping[str, object], key: str, path: str) -> list[object] | None:
        value = self.get(data, key, path, optional=True)
        if value is None:
            return []
        if not isinstance(value, (list, tuple)):
            self.fail(join_path(path, key), f"expected a list, got {_describe(value)}")
            return None
        return list(value)


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _describe(value: object) -> str:
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(value).__name__} {text}"


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
