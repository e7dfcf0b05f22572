"""Table maintenance: compaction (``OPTIMIZE``) and removal of unreferenced files (``VACUUM``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sparkforge.table_operations.failures import operation_failed
from sparkforge.table_operations.identifiers import validate_identifier

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.table_operations.table_ref import TableRef

__all__ = ["optimize", "vacuum"]


def optimize(spark: SparkSession, table: TableRef, *, zorder_by: Sequence[str] = ()) -> DataFrame:
    """Compact the table's small files (``OPTIMIZE``), optionally Z-ordering them.

    Returns
    -------
    DataFrame
        Delta's OPTIMIZE metrics.

    Raises
    ------
    TableOperationError
        ``IDENTIFIER_INVALID`` for an unusable column (before any Spark call), or
        ``TABLE_OPERATION_FAILED`` with Delta's reason.

    Examples
    --------
    With a session ``spark`` and a ``table`` (the integration tests run this):

    .. code-block:: python

        optimize(spark, table).collect()[0]["metrics"]["numFilesAdded"]  # 1
    """
    for column in zorder_by:
        validate_identifier(column, kind="column")
    try:
        builder = table.delta_table(spark).optimize()
        return builder.executeZOrderBy(*zorder_by) if zorder_by else builder.executeCompaction()
    except Exception as exc:
        raise operation_failed("optimize", table, exc) from exc


def vacuum(spark: SparkSession, table: TableRef, *, retention_hours: float | None = None) -> None:
    """Delete files no longer referenced by versions within the retention (``VACUUM``).

    Time travel to versions older than the retention stops working after a vacuum.

    Raises
    ------
    TableOperationError
        ``TABLE_OPERATION_FAILED`` with Delta's reason (a retention below Delta's safety
        minimum, no Delta table there ...).

    Examples
    --------
    With a session ``spark`` and a ``table`` (the integration tests run this):

    .. code-block:: python

        vacuum(spark, table, retention_hours=168)
    """
    try:
        table.delta_table(spark).vacuum(retention_hours)
    except Exception as exc:
        raise operation_failed("vacuum", table, exc) from exc
