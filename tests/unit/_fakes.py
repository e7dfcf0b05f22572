"""Stand-ins for Spark objects in tests that must not start a JVM."""

from __future__ import annotations

from typing import NoReturn

from pyspark.sql import Column


class _FakeJavaColumn:
    """The one JVM call a Column's repr makes, answered in Python."""

    def __init__(self, text: str) -> None:
        self.text = text

    def toString(self) -> str:
        return self.text


def fake_column(text: str) -> Column:
    """Return a real (classic) Column object that prints as ``Column<'text'>``, with no JVM.

    ``Column(jc)`` builds the classic Column on PySpark 4 (``pyspark.sql.classic``) and 3.5 alike.
    """
    return Column(_FakeJavaColumn(text))


class NoSpark:
    """A SparkSession stand-in that fails the test on any use: proves no Spark call happens."""

    def __getattr__(self, name: str) -> NoReturn:
        raise AssertionError(f"Spark was used at build time: spark.{name}")
