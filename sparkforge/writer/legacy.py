"""The deprecated legacy log writer API, kept so that code written against it keeps running.

`flatten_report_min`, `MinimalLogRow`, `MIN_LOG_SCHEMA` and the legacy
``LogWriter(spark, write_schema, logs_table_name)`` (served by `LegacyLogWriter`)
produce the rows they always did, and each use emits a ``DeprecationWarning`` naming its
replacement. Where the legacy code crashed on a malformed report dict, they raise
[`WriterValidationError`][sparkforge.writer.WriterValidationError] listing every problem with its
path (``silver.orders_clean.write.rows_written``), and nothing is written. docs/legacy.md
describes this API; `sparkforge.writer.migration` upgrades its table to schema v1.

Nothing in sparkforge imports this module but ``sparkforge.writer`` (lazily, for the
deprecated names) and ``LogWriter.__new__`` (for the legacy form).
"""

from __future__ import annotations

import uuid
import warnings
from dataclasses import fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from typing_extensions import override

from sparkforge import table_operations as ops
from sparkforge.errors import SparkForgeError
from sparkforge.table_operations import TableRef, failure_reason
from sparkforge.writer._legacy_append_check import refuse_if_migrated_meanwhile
from sparkforge.writer._legacy_flatten import flatten_legacy_report
from sparkforge.writer._legacy_refusals import V1Refusals
from sparkforge.writer._legacy_schema import _LEGACY_LOG_SCHEMA, _has_v1_columns
from sparkforge.writer.core import LogWriter
from sparkforge.writer.exceptions import (
    WriterConfigurationError,
    WriterTableError,
)
from sparkforge.writer.results import WriterMetrics

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql import types as T

__all__ = ["flatten_report_min", "LegacyLogWriter", "MIN_LOG_SCHEMA", "MinimalLogRow"]


class MinimalLogRow(TypedDict):
    """One row of the legacy log table; keys and order are those of `MIN_LOG_SCHEMA`.

    *Deprecated since 0.1.0:* Use [`sparkforge.writer.LogRow`][].
    """

    run_mode: str
    run_started_at: datetime | None
    run_ended_at: datetime | None
    phase: str
    step: str
    start_time: datetime | None
    end_time: datetime | None
    table_fqn: str | None
    write_mode: str | None
    input_rows: int | None
    output_rows: int | None
    rows_written: int | None
    valid_rows: int
    invalid_rows: int
    validation_rate: float
    previous_watermark: datetime | None
    filtered_rows: int | None


#: The legacy log table's schema (deprecated: use :data:`sparkforge.writer.LOG_SCHEMA`).
MIN_LOG_SCHEMA: T.StructType = _LEGACY_LOG_SCHEMA

_MIN_COLUMNS: tuple[str, ...] = tuple(MIN_LOG_SCHEMA.fieldNames())
#: flatten_report_min without its warning (the legacy writer's own use, and the tests').
_flatten_report_min = flatten_legacy_report
_REPLACEMENT = (
    "LogWriter(spark, WriterConfig(table_schema=..., table_name=...)).write_report(report)"
)


def flatten_report_min(report: Mapping[str, object]) -> list[MinimalLogRow]:
    """Flatten a legacy report dict into legacy log rows, one per step.

    *Deprecated since 0.1.0:* Build a [`PipelineReport`][sparkforge.PipelineReport] and use
    [`sparkforge.writer.rows_from_report`][] (or ``LogWriter.write_report``).

    Parameters
    ----------
    report
        ``{"run": ..., "bronze": ..., "silver": ..., "gold": ...}``, any block or key missing.

    Returns
    -------
    list[MinimalLogRow]
        Every bronze step (in the dict's order), then every silver step, then every gold step.
        Numbers are converted as ``int()`` and ``float()`` convert them, so ``True`` gives 1,
        ``"12"`` gives 12 and ``3.9`` gives 3; a NaN or infinite ``validation_rate`` is kept.

    Raises
    ------
    WriterValidationError
        ``WRITER_INPUT_INVALID`` where the legacy code crashed, with every problem and its
        path (``silver.orders.write.rows_written``): a present key holding None where a number
        or a run mode is needed; a value ``int()``/``float()`` cannot convert (a NaN or
        infinite count among them); an int outside 32 bits; a block or report that is not a
        dict; a string column holding a non-``str``; a timestamp that is not a ``datetime``.

    Examples
    --------
    >>> import warnings
    >>> report = {"run": {"mode": "incremental"},
    ...           "bronze": {"events": {"validation": {"valid_rows": "98", "invalid_rows": 2}}}}
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     rows = flatten_report_min(report)
    >>> [w.category.__name__ for w in caught]
    ['DeprecationWarning']
    >>> [(r["run_mode"], r["phase"], r["step"], r["valid_rows"], r["validation_rate"])
    ...  for r in rows]
    [('incremental', 'bronze', 'events', 98, 100.0)]
    """
    warnings.warn(
        "flatten_report_min is deprecated; build a sparkforge.models.PipelineReport and use "
        "sparkforge.writer.rows_from_report(report) instead",
        DeprecationWarning,
        stacklevel=2,
    )
    return _flatten_report_min(report)


# --------------------------------------------------------------------------- legacy writer


class LegacyLogWriter(V1Refusals, LogWriter):
    """The legacy ``LogWriter(spark, write_schema, logs_table_name)``.

    ``LogWriter(spark, "schema", "table")`` returns one: it is a
    [`LogWriter`][sparkforge.writer.LogWriter] whose table has the legacy schema `MIN_LOG_SCHEMA`,
    with the legacy methods `create_table`, `append` and `show`. The v1 methods (``write_report``,
    ``write_reports``, ``read_logs``, ``validate_data_quality``, ``migrate_legacy_table``
    and ``create_table()`` without a report) raise ``WRITER_MODE_MISMATCH``.

    *Deprecated since 0.1.0:* Use ``LogWriter(spark, WriterConfig(table_schema=...,
    table_name=...))``. Building one, and each legacy method call, emits a ``DeprecationWarning``.

    Parameters
    ----------
    spark
        The session.
    write_schema, logs_table_name
        The table ``write_schema.logs_table_name``; both are validated as identifiers.

    Raises
    ------
    TableOperationError
        ``IDENTIFIER_INVALID`` for an unsafe schema or table name (before any Spark call).
    WriterConfigurationError
        ``WRITER_CONFIG_INVALID`` for other arguments than these three.

    Examples
    --------
    >>> import warnings
    >>> from sparkforge.writer import LogWriter
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     writer = LogWriter(None, "analytics", "pipeline_logs")
    >>> type(writer).__name__, isinstance(writer, LogWriter), str(writer.table)
    ('LegacyLogWriter', True, 'analytics.pipeline_logs')
    >>> str(caught[0].message).split(";")[0]
    'LogWriter(spark, write_schema, logs_table_name) is deprecated'
    """

    def __init__(
        self,
        spark: SparkSession,
        write_schema: str,
        logs_table_name: str | None = None,
        *extra: object,
        **options: object,
    ) -> None:
        # LogWriter.__init__ is not called: it builds the v1 writer this class is not.
        warnings.warn(
            "LogWriter(spark, write_schema, logs_table_name) is deprecated; use "
            "LogWriter(spark, WriterConfig(table_schema=..., table_name=...))",
            DeprecationWarning,
            stacklevel=2,
        )
        if logs_table_name is None or extra or options:
            given = 2 + (logs_table_name is not None) + len(extra) + len(options)
            raise WriterConfigurationError(
                "WRITER_CONFIG_INVALID",
                {
                    "option": "logs_table_name",
                    "reason": "the legacy form takes exactly LogWriter(spark, write_schema, "
                    f"logs_table_name); got {given} argument(s)",
                },
            )
        self.table = TableRef.named(write_schema, logs_table_name)
        self.spark = spark
        self.write_schema = write_schema
        self.logs_table_name = logs_table_name
        self.schema = MIN_LOG_SCHEMA

    # ------------------------------------------------------------------ legacy methods

    @override
    def create_table(  # type: ignore[override]  # the legacy signature, kept as it was
        self, initial_report: Mapping[str, object] | None = None
    ) -> DataFrame:
        """Replace the table's rows (and schema) with the report's rows: a Delta overwrite.

        Earlier versions stay readable by time travel.

        *Deprecated since 0.1.0:* Use ``LogWriter(spark, WriterConfig(...)).create_table()`` and
        ``write_report``.

        Returns
        -------
        DataFrame
            The rows written, with `MIN_LOG_SCHEMA`.

        Raises
        ------
        WriterConfigurationError
            ``WRITER_MODE_MISMATCH`` without a report (that is the v1 ``create_table()``).
        WriterValidationError
            For a malformed report, before any Spark call; nothing is written.
        WriterTableError
            ``WRITER_LEGACY_TABLE`` if the table has the v1 schema (nothing is written);
            ``WRITER_WRITE_FAILED`` if Delta/Spark failed.
        """
        if initial_report is None:
            raise WriterConfigurationError(
                "WRITER_MODE_MISMATCH",
                {
                    "method": "create_table()",
                    "reason": "the legacy writer's create_table takes the initial report",
                },
            )
        warnings.warn(
            "LogWriter.create_table(report) is deprecated; use "
            "LogWriter(spark, WriterConfig(...)).create_table() and write_report(report)",
            DeprecationWarning,
            stacklevel=2,
        )
        return self._write_rows(initial_report, overwrite=True)

    def append(self, report: Mapping[str, object]) -> DataFrame:
        """Append the report's rows to the table (creating it if absent).

        *Deprecated since 0.1.0:* Use
        [`LogWriter.write_report`][sparkforge.writer.LogWriter.write_report] with a
        [`PipelineReport`][sparkforge.PipelineReport].

        Returns
        -------
        DataFrame
            The rows written, with `MIN_LOG_SCHEMA`.

        Raises
        ------
        WriterValidationError
            For a malformed report, before any Spark call; nothing is written.
        WriterTableError
            As for `create_table`; also ``WRITER_LEGACY_TABLE`` when a migration committed
            between the schema check and the append, so the append's commit read the v1 table:
            its rows are taken out again before the error is raised.
        """
        warnings.warn(
            "LogWriter.append(report) is deprecated; use write_report(report) on a "
            "LogWriter(spark, WriterConfig(...))",
            DeprecationWarning,
            stacklevel=2,
        )
        return self._write_rows(report, overwrite=False)

    def show(self, n: int | None = None) -> None:
        """Print the table's first ``n`` rows (``DataFrame.show``; 20 when ``n`` is None).

        *Deprecated since 0.1.0:* Use ``read_logs().show(n)``.

        Raises
        ------
        WriterConfigurationError
            ``WRITER_CONFIG_INVALID`` if ``n`` is not an int.
        WriterTableError
            ``TABLE_NOT_FOUND`` if the table does not exist; ``TABLE_OPERATION_FAILED`` if
            Spark failed.
        """
        warnings.warn(
            "LogWriter.show(n) is deprecated; use read_logs().show(n) on a "
            "LogWriter(spark, WriterConfig(...))",
            DeprecationWarning,
            stacklevel=2,
        )
        if n is not None and (type(n) is not int):
            raise WriterConfigurationError(
                "WRITER_CONFIG_INVALID", {"option": "n", "reason": f"expected an int, got {n!r}"}
            )
        try:
            if not ops.table_exists(self.spark, self.table):
                raise WriterTableError("TABLE_NOT_FOUND", {"table": str(self.table)})
            # PySpark's show() needs an int; the legacy show(None) raised a TypeError there.
            self.table.read(self.spark).show(20 if n is None else n)
        except SparkForgeError as exc:
            if isinstance(exc, WriterTableError):
                raise
            raise WriterTableError(exc.code, exc.params) from exc
        except Exception as exc:
            raise WriterTableError(
                "TABLE_OPERATION_FAILED",
                {"operation": "show", "table": str(self.table), "reason": failure_reason(exc)},
            ) from exc

    def _write_rows(self, report: Mapping[str, object], *, overwrite: bool) -> DataFrame:
        rows = _flatten_report_min(report)
        data = [tuple(row[name] for name in _MIN_COLUMNS) for row in rows]  # type: ignore[literal-required]
        try:
            if ops.table_exists(self.spark, self.table) and _has_v1_columns(
                ops.read_schema(self.spark, self.table)
            ):
                raise WriterTableError(
                    "WRITER_LEGACY_TABLE",
                    {
                        "table": str(self.table),
                        "reason": "has the v1 log schema (it was migrated, or created by the new "
                        "writer), so the deprecated legacy writer will not touch it; write to it "
                        f"with {_REPLACEMENT}",
                    },
                )
            df = self.spark.createDataFrame(data, MIN_LOG_SCHEMA)
            if overwrite:
                ops.overwrite(df, self.table, overwrite_schema=True)
            else:
                marker = f"sparkforge.legacy_append:{uuid.uuid4().hex}"
                ops.append(df, self.table, marker=marker)
                if data:  # an append of no rows commits nothing (Delta): nothing to check
                    refuse_if_migrated_meanwhile(self.spark, self.table, marker, _REPLACEMENT)
        except WriterTableError:
            raise
        except SparkForgeError as exc:
            reason = exc.message
        except Exception as exc:
            reason = failure_reason(exc)
        else:
            return df
        raise WriterTableError(
            "WRITER_WRITE_FAILED", {"runs": "1", "table": str(self.table), "reason": reason}
        )

    @override
    def get_performance_metrics(self) -> WriterMetrics:
        """Return metrics with monitoring off and every count 0: the legacy writer keeps none.

        Examples
        --------
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", DeprecationWarning)
        ...     writer = LegacyLogWriter(None, "analytics", "pipeline_logs")
        >>> metrics = writer.get_performance_metrics()
        >>> metrics.monitoring_enabled, metrics.writes, metrics.rows_per_sec
        (False, 0, None)
        """
        # Counts are 0 and measurements None (not measured), whichever the metrics hold.
        values: dict[str, Any] = {
            f.name: 0 if f.type == "int" else None for f in fields(WriterMetrics)
        }
        values["monitoring_enabled"] = False
        return WriterMetrics(**values)
