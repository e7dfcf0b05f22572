"""The checks of [`WriterConfig`][sparkforge.writer.WriterConfig]: each problem under its option."""

from __future__ import annotations

from datetime import timedelta
from enum import Enum
from typing import TypeVar

from sparkforge.errors import ProblemCollector, SparkForgeError
from sparkforge.table_operations import validate_identifier

__all__ = ["OptionChecks", "option_reason"]

_E = TypeVar("_E", bound=Enum)


def option_reason(exc: SparkForgeError) -> str:
    """Return the reason of an identifier error, without its code and template."""
    reason = exc.params.get("reason")
    return reason if reason is not None else exc.message


def _dotted_hint(option: str, value: object) -> str:
    """Say how to give a dotted name (``ops.runs``) as separate options."""
    if not isinstance(value, str) or "." not in value:
        return ""
    parts = value.split(".")
    if option == "table_name" and len(parts) == 2:
        return f"; give the schema as table_schema={parts[0]!r} and table_name={parts[1]!r}"
    if option == "table_name" and len(parts) == 3:
        return (
            f"; give table_catalog={parts[0]!r}, table_schema={parts[1]!r} and "
            f"table_name={parts[2]!r}"
        )
    if option == "table_schema" and len(parts) == 2:
        return f"; give the catalog as table_catalog={parts[0]!r} and table_schema={parts[1]!r}"
    return ""


class OptionChecks(ProblemCollector):
    """The problems of one WriterConfig, each under the option it is about."""

    __slots__ = ()

    def boolean(self, option: str, value: object) -> None:
        if not isinstance(value, bool):
            self.add(option, f"expected True or False, got {value!r}")

    def integer(self, option: str, value: object, low: int, high: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.add(option, f"expected an integer in {low}..{high}, got {value!r}")

    def member(self, option: str, value: object, enum_type: type[_E]) -> _E | None:
        if isinstance(value, enum_type):
            return value
        try:
            return enum_type(value)
        except (ValueError, TypeError):
            allowed = ", ".join(repr(m.value) for m in enum_type)
            self.add(option, f"expected one of {allowed}, got {value!r}")
            return None

    def name(self, option: str, value: object, kind: str) -> bool:
        try:
            validate_identifier(value, kind=kind)
        except SparkForgeError as exc:
            reason = f"{value!r} is not a valid {kind} name: {option_reason(exc)}"
            self.add(option, reason + _dotted_hint(option, value))
            return False
        return True

    def columns(
        self, option: str, value: object, allowed: frozenset[str], *, most: int
    ) -> tuple[str, ...]:
        """Check a tuple (or list) of distinct column names from ``allowed``; return it."""
        if isinstance(value, list):
            value = tuple(value)
        if not isinstance(value, tuple):
            self.add(option, f"expected a tuple of column names, got {value!r}")
            return ()
        names = ", ".join(sorted(allowed))
        bad = [c for c in value if not isinstance(c, str) or c not in allowed]
        for column in bad:
            self.add(option, f"{column!r} is not one of {names}")
        if not bad and len(set(value)) != len(value):
            self.add(option, f"a column is listed twice in {value!r}")
        if len(value) > most:
            self.add(option, f"at most {most} columns, got {len(value)}")
        return value

    def positive_duration(self, option: str, value: object) -> None:
        """Check an optional ``timedelta`` of at least one day."""
        if value is None:
            return
        if not isinstance(value, timedelta) or value < timedelta(days=1):
            self.add(option, f"expected a timedelta of at least 1 day, or None; got {value!r}")

    def text(self, option: str, value: object) -> None:
        """Check a non-empty, trimmed string."""
        if not isinstance(value, str) or not value.strip() or value != value.strip():
            self.add(
                option, f"expected a non-empty string without surrounding spaces, got {value!r}"
            )
