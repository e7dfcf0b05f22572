"""TableRef: one Delta table, by catalog name or by storage path."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from delta.tables import DeltaTable

from sparkforge.table_operations.identifiers import identifier_error, validate_identifier

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["TableRef"]

_PATH_FORBIDDEN = re.compile(r"[`\x00-\x1f\x7f]")


def _validate_path(path: object) -> str:
    if not isinstance(path, str):
        raise identifier_error("path", path, f"expected a string, got {type(path).__name__}")
    if not path.strip():
        raise identifier_error("path", path, "it is empty")
    if _PATH_FORBIDDEN.search(path):
        raise identifier_error("path", path, "backticks and control characters are not allowed")
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        raise identifier_error("path", path, "it is not valid Unicode") from None
    return path


@dataclass(frozen=True, slots=True)
class TableRef:
    """A Delta table, by catalog name (``schema.table``) or by storage path.

    Build one with :meth:`named`, :meth:`parse` or :meth:`at_path`; they validate.

    Examples
    --------
    >>> TableRef.named("analytics", "pipeline_logs").quoted
    '`analytics`.`pipeline_logs`'
    >>> str(TableRef.parse("analytics.pipeline_logs"))
    'analytics.pipeline_logs'
    """

    schema: str | None = None
    name: str | None = None
    path: str | None = None

    @classmethod
    def named(cls, schema: str, name: str) -> TableRef:
        """Refer to the catalog table ``schema.name``."""
        return cls(
            schema=validate_identifier(schema, kind="schema"),
            name=validate_identifier(name, kind="table"),
        )

    @classmethod
    def parse(cls, fqn: str) -> TableRef:
        """Refer to the catalog table named ``"schema.table"``."""
        text: object = fqn
        parts = text.split(".") if isinstance(text, str) else []
        if len(parts) != 2:
            raise identifier_error("table", fqn, "expected schema.table")
        return cls.named(parts[0], parts[1])

    @classmethod
    def at_path(cls, path: str) -> TableRef:
        """Refer to the Delta table stored at ``path``."""
        return cls(path=_validate_path(path))

    @property
    def is_path(self) -> bool:
        """Whether the table is addressed by path."""
        return self.path is not None

    @property
    def fqn(self) -> str:
        """``schema.table`` (unquoted), or the path."""
        if self.path is not None:
            return self.path
        return f"{self.schema}.{self.name}"

    @property
    def quoted(self) -> str:
        """The table as a quoted Spark SQL identifier."""
        if self.path is not None:
            return f"delta.`{self.path}`"
        return f"`{self.schema}`.`{self.name}`"

    def __str__(self) -> str:
        return self.fqn

    def read(self, spark: SparkSession) -> DataFrame:
        """Return the table's current version as a DataFrame."""
        if self.path is not None:
            return spark.read.format("delta").load(self.path)
        return spark.read.table(self.fqn)

    def delta_table(self, spark: SparkSession) -> DeltaTable:
        """Return the ``DeltaTable`` handle of the table."""
        if self.path is not None:
            return DeltaTable.forPath(spark, self.path)
        return DeltaTable.forName(spark, self.fqn)
