"""What ``DESCRIBE DETAIL`` says about a table, as one typed value.

The detail is read with SQL (``DESCRIBE DETAIL``), not through ``DeltaTable``, so it works on
Spark Connect sessions without Delta's Connect plugin too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sparkforge.table_operations.failures import operation_failed

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sparkforge.table_operations.table_ref import TableRef

__all__ = ["describe_table", "TableDetail"]


@dataclass(frozen=True, slots=True)
class TableDetail:
    """A Delta table's layout and properties, from one ``DESCRIBE DETAIL``.

    Attributes
    ----------
    location : str
        Where its files are.
    partition_columns : tuple of str
        Its partition columns, in order.
    clustering_columns : tuple of str
        Its liquid-clustering columns (empty when it has none).
    properties : dict of str to str
        Its table properties.
    num_files : int
        Data files in the current version.
    size_in_bytes : int
        Their total size.

    Examples
    --------
    >>> TableDetail(location="file:/w/t", partition_columns=("day",)).clustering_columns
    ()
    """

    location: str
    partition_columns: tuple[str, ...] = ()
    clustering_columns: tuple[str, ...] = ()
    properties: dict[str, str] = field(default_factory=dict)
    num_files: int = 0
    size_in_bytes: int = 0


def describe_table(spark: SparkSession, table: TableRef) -> TableDetail:
    """Return what ``DESCRIBE DETAIL`` reports about ``table``, read once.

    Raises
    ------
    TableOperationError
        ``TABLE_OPERATION_FAILED`` with Delta's reason (no Delta table there ...).

    Examples
    --------
    With a session ``spark`` and a ``table`` (the integration tests run this):

    .. code-block:: python

        describe_table(spark, table).partition_columns  # ('day',)
    """
    try:
        (row,) = spark.sql(f"DESCRIBE DETAIL {table.sql_name}").collect()
    except Exception as exc:
        raise operation_failed("describe detail", table, exc) from exc
    values = row.asDict()
    return TableDetail(
        location=str(values.get("location") or ""),
        partition_columns=tuple(str(c) for c in values.get("partitionColumns") or ()),
        clustering_columns=tuple(str(c) for c in values.get("clusteringColumns") or ()),
        properties={str(k): str(v) for k, v in (values.get("properties") or {}).items()},
        num_files=int(values.get("numFiles") or 0),
        size_in_bytes=int(values.get("sizeInBytes") or 0),
    )
