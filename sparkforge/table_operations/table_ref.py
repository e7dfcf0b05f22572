"""TableRef: one Delta table, by catalog name (``[catalog.]schema.table``) or by storage path.

Every name a [`TableRef`][sparkforge.table_operations.TableRef] hands to Spark
(``spark.read.table``, ``spark.catalog.tableExists``, ``saveAsTable``, SQL) is its
[`TableRef.quoted`][sparkforge.table_operations.TableRef.quoted] form, so keywords, digits first and
dots cannot be misparsed. A relative path is resolved against Python's current directory when the
reference is made, not against the JVM's start directory.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sparkforge.table_operations.identifiers import identifier_error, validate_identifier

if TYPE_CHECKING:
    from delta.tables import DeltaTable
    from pyspark.sql import DataFrame, SparkSession

__all__ = ["resolve_path", "TableRef"]

_PATH_FORBIDDEN = re.compile(r"[`\x00-\x1f\x7f]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")


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


def resolve_path(path: str) -> str:
    """Return ``path`` with a local relative path made absolute against Python's directory.

    A path without a scheme, or with ``file:``, is local: it becomes absolute (a ``file:``
    URI keeps its scheme, in the one-slash form ``file:/abs`` that Delta's ``CREATE TABLE``
    compares equal to itself). Remote URIs are returned unchanged.

    Examples
    --------
    >>> import os
    >>> resolve_path("logs/run_log") == os.path.join(os.getcwd(), "logs", "run_log")
    True
    >>> resolve_path("file:///data/logs")
    'file:/data/logs'
    >>> resolve_path("s3a://bucket/logs")
    's3a://bucket/logs'
    """
    match = _SCHEME.match(path)
    if match is None:
        return os.path.abspath(path)
    if match.group(1).lower() != "file":
        return path
    rest = path[match.end() :]
    if rest.startswith("//"):
        host, slash, local = rest[2:].partition("/")
        if host not in ("", "localhost"):
            return path
        rest = slash + local
    return "file:" + os.path.abspath(rest)


@dataclass(frozen=True, slots=True)
class TableRef:
    """A Delta table, by catalog name (``[catalog.]schema.table``) or by storage path.

    Build one with [`named`][sparkforge.table_operations.TableRef.named],
    [`parse`][sparkforge.table_operations.TableRef.parse] or
    [`at_path`][sparkforge.table_operations.TableRef.at_path]; they validate.

    Attributes
    ----------
    schema, name : str or None
        The schema (database) and table names of a catalog table.
    path : str or None
        The storage path of a path table (absolute, or a remote URI).
    catalog : str or None
        The catalog of a catalog table; None for the session's current catalog.

    Examples
    --------
    >>> TableRef.named("analytics", "pipeline_logs").quoted
    '`analytics`.`pipeline_logs`'
    >>> str(TableRef.parse("analytics.pipeline_logs"))
    'analytics.pipeline_logs'
    >>> TableRef.parse("spark_catalog.user.run_log").quoted
    '`spark_catalog`.`user`.`run_log`'
    """

    schema: str | None = None
    name: str | None = None
    path: str | None = None
    catalog: str | None = None

    @classmethod
    def named(cls, schema: str, name: str, *, catalog: str | None = None) -> TableRef:
        """Refer to the catalog table ``[catalog.]schema.name``.

        Raises
        ------
        TableOperationError
            ``IDENTIFIER_INVALID`` for a name the catalog cannot hold (see
            [`validate_identifier`][sparkforge.table_operations.validate_identifier]).

        Examples
        --------
        >>> TableRef.named("ops", "run_log", catalog="spark_catalog").fqn
        'spark_catalog.ops.run_log'
        """
        if catalog is not None:
            validate_identifier(catalog, kind="catalog", catalog=catalog)
        return cls(
            schema=validate_identifier(schema, kind="schema", catalog=catalog),
            name=validate_identifier(name, kind="table", catalog=catalog),
            catalog=catalog,
        )

    @classmethod
    def parse(cls, fqn: str) -> TableRef:
        """Refer to the catalog table named ``"schema.table"`` or ``"catalog.schema.table"``.

        Raises
        ------
        TableOperationError
            ``IDENTIFIER_INVALID`` for another number of parts or an unusable name.

        Examples
        --------
        >>> TableRef.parse("ops.run_log").catalog is None
        True
        """
        text: object = fqn
        parts = text.split(".") if isinstance(text, str) else []
        if len(parts) == 2:
            return cls.named(parts[0], parts[1])
        if len(parts) == 3:
            return cls.named(parts[1], parts[2], catalog=parts[0])
        raise identifier_error("table", fqn, "expected schema.table or catalog.schema.table")

    @classmethod
    def at_path(cls, path: str) -> TableRef:
        """Refer to the Delta table stored at ``path`` (a relative path: see `resolve_path`).

        Raises
        ------
        TableOperationError
            ``IDENTIFIER_INVALID`` for an empty path, or one holding backticks or control
            characters.

        Examples
        --------
        >>> TableRef.at_path("/data/run_log").quoted
        'delta.`/data/run_log`'
        """
        return cls(path=resolve_path(_validate_path(path)))

    @property
    def is_path(self) -> bool:
        """Whether the table is addressed by path."""
        return self.path is not None

    @property
    def fqn(self) -> str:
        """``[catalog.]schema.table`` (unquoted, for people), or the path."""
        if self.path is not None:
            return self.path
        prefix = "" if self.catalog is None else f"{self.catalog}."
        return f"{prefix}{self.schema}.{self.name}"

    @property
    def quoted(self) -> str:
        """The table as a quoted Spark SQL identifier: what every Spark API is given."""
        if self.path is not None:
            return f"delta.`{self.path}`"
        prefix = "" if self.catalog is None else f"`{self.catalog}`."
        return f"{prefix}`{self.schema}`.`{self.name}`"

    @property
    def sql_name(self) -> str:
        """The table as it is written in SQL text (``OPTIMIZE``, ``DESCRIBE HISTORY`` ...).

        The quoted catalog name, or ``delta.`<path>``` with any backtick of the path doubled
        (paths holding backticks are refused when the reference is made; doubling keeps the
        text safe even so).

        Examples
        --------
        >>> TableRef.named("ops", "run_log").sql_name
        '`ops`.`run_log`'
        >>> TableRef(path="/data/a`b").sql_name
        'delta.`/data/a``b`'
        """
        if self.path is not None:
            escaped = self.path.replace("`", "``")
            return f"delta.`{escaped}`"
        return self.quoted

    @property
    def quoted_schema(self) -> str:
        """The table's schema as a quoted identifier, with its catalog if it has one."""
        prefix = "" if self.catalog is None else f"`{self.catalog}`."
        return f"{prefix}`{self.schema}`"

    def __str__(self) -> str:
        return self.fqn

    def read(self, spark: SparkSession) -> DataFrame:
        """Return the table's current version as a DataFrame.

        Examples
        --------
        ```python
        from sparkforge.table_operations import TableRef

        TableRef.parse("shop.orders").read(spark).count()
        TableRef.at_path("/data/delta/orders").read(spark).printSchema()
        ```
        """
        if self.path is not None:
            return spark.read.format("delta").load(self.path)
        return spark.read.table(self.quoted)

    def delta_table(self, spark: SparkSession) -> DeltaTable:
        """Return delta-spark's ``DeltaTable`` handle of the table, for the caller's own use.

        sparkforge itself never calls this: its operations use SQL and DataFrames only. On a
        Spark Connect session the handle works only where the server runs Delta's Connect
        plugin (not published for Delta 4.0 to 4.2); on a classic session it always does.
        ``delta.tables`` is imported here, on the call, and nowhere else in sparkforge.

        Examples
        --------
        With a classic session ``spark`` and a ``table`` (the integration tests run this):

        ```python
        table.delta_table(spark).detail().select("format").first()[0]  # 'delta'
        ```
        """
        from delta.tables import DeltaTable

        if self.path is not None:
            return DeltaTable.forPath(spark, self.path)
        return DeltaTable.forName(spark, self.quoted)
