"""Stand-ins for Spark objects in tests that must not start a JVM."""

from __future__ import annotations

from typing import TYPE_CHECKING, NoReturn

from pyspark.sql.classic.column import Column as ClassicColumn

if TYPE_CHECKING:
    from pyspark.sql import Column


class _FakeJavaColumn:
    """The one JVM call a Column's repr makes, answered in Python."""

    def __init__(self, text: str) -> None:
        self.text = text

    def toString(self) -> str:
        return self.text


def fake_column(text: str) -> Column:
    """Return a real (classic) Column object that prints as ``Column<'text'>``, with no JVM."""
    return ClassicColumn(_FakeJavaColumn(text))


class NoSpark:
    """A SparkSession stand-in that fails the test on any use: proves no Spark call happens."""

    def __getattr__(self, name: str) -> NoReturn:
        raise AssertionError(f"Spark was used at build time: spark.{name}")
