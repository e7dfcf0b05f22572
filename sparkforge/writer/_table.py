"""The writer's log table: make sure it exists, holds the log, and matches the writer's options.

The first write of a writer (or ``create_table()``) checks, before anything is created, that
the session can use Delta; then creates the table if absent (surviving racing creators),
checks its schema, and reports options that no longer apply to an existing table (its
partitioning and properties are the table's own, set when it was created).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sparkforge import table_operations as ops
from sparkforge.errors import Problem, TableOperationError
from sparkforge.validation import not_a_log_reason, schema_problems
from sparkforge.writer.exceptions import WriterTableError
from sparkforge.writer.models import LOG_SCHEMA

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from pyspark.sql import SparkSession
    from pyspark.sql.types import StructType

    from sparkforge.errors import SparkForgeError
    from sparkforge.logging import PipelineLogger
    from sparkforge.writer.config import WriterConfig

# What Spark escapes in a partition directory name (ExternalCatalogUtils.escapePathName), each
# character becoming %XX; a NUL is not escaped, and no file system takes it.
_PATH_ESCAPED = frozenset("\"#%'*/:=?\\\x7f{[]^") | frozenset(chr(c) for c in range(1, 32))
_MAX_DIRECTORY_BYTES = 255  # the usual limit of one file name (ext4, xfs, APFS, HDFS)

TABLE_COMMENT = "sparkforge pipeline run log (schema v1)"


def partition_problems(report: object, partition_columns: Sequence[str]) -> list[Problem]:
    """Say why the report's pipeline name cannot name a partition directory of the log."""
    name = getattr(report, "pipeline_name", None)
    if "pipeline_name" not in partition_columns or not isinstance(name, str):
        return []
    if "\x00" in name:
        return [Problem("pipeline_name", "holds NUL, which no partition directory name can")]
    size = len("pipeline_name=") + sum(
        3 if c in _PATH_ESCAPED else len(c.encode("utf-8", "surrogatepass")) for c in name
    )
    if size > _MAX_DIRECTORY_BYTES:
        return [
            Problem(
                "pipeline_name",
                f"is too long to name a partition directory of the log ({size} bytes once "
                f"escaped, at most {_MAX_DIRECTORY_BYTES}); the log is partitioned by it",
            )
        ]
    return []


def as_writer_error(exc: SparkForgeError) -> WriterTableError:
    """Return ``exc`` as a [`sparkforge.writer.WriterTableError`][], same code and params."""
    if isinstance(exc, WriterTableError):
        return exc
    error = WriterTableError(exc.code, exc.params)
    error.__cause__ = exc.__cause__ or exc
    return error


def log_table_problems(table: str, actual: StructType) -> WriterTableError | None:
    """Return why a table with schema ``actual`` cannot hold the log, or None when it can."""
    reason = not_a_log_reason(actual)
    if reason is not None:
        return WriterTableError("WRITER_NOT_A_LOG", {"table": table, "reason": reason})
    problems = schema_problems(actual)
    if problems:
        return WriterTableError(
            "TABLE_SCHEMA_MISMATCH", {"table": table, "reason": "; ".join(problems)}
        )
    return None


def option_mismatches(
    config: WriterConfig,
    partition_columns: Sequence[str],
    properties: Mapping[str, str],
    clustering_columns: Sequence[str] = (),
) -> list[str]:
    """Say which of the writer's table options an existing table does not have.

    Examples
    --------
    >>> from sparkforge.writer.config import WriterConfig
    >>> config = WriterConfig(table_path="/tmp/log", partition_columns=("pipeline_name",))
    >>> option_mismatches(config, ["run_date"], dict(config.effective_table_properties))
    ["partition_columns: the writer asks for ['pipeline_name'], the table has ['run_date']"]
    """
    found = []
    if list(config.partition_columns) != list(partition_columns):
        found.append(
            f"partition_columns: the writer asks for {list(config.partition_columns)}, "
            f"the table has {list(partition_columns)}"
        )
    if list(config.cluster_by) != list(clustering_columns):
        found.append(
            f"cluster_by: the writer asks for {list(config.cluster_by)}, "
            f"the table has {list(clustering_columns)}"
        )
    for key, wanted in config.effective_table_properties.items():
        have = properties.get(key)
        if have != wanted:
            shown = "does not set it" if have is None else f"has {have!r}"
            found.append(f"table property {key}: the writer asks for {wanted!r}, the table {shown}")
    return found


class LogTable:
    """The writer's view of its table: checked once, then trusted until told otherwise."""

    def __init__(self, spark: SparkSession, config: WriterConfig, log: PipelineLogger) -> None:
        self._spark = spark
        self._config = config
        self._table = config.table
        self._log = log
        self.checked = False

    def ensure(self) -> bool:
        """Create the table if absent and check it; return whether it was absent.

        Raises
        ------
        WriterTableError
            If the session lacks Delta (nothing is created), the table cannot hold the log
            (it is left untouched), or Delta/Spark failed.
        """
        config = self._config
        try:
            if not self.checked:
                ops.check_delta_session(self._spark)
            exists = ops.table_exists(self._spark, self._table)
            if exists and self.checked:
                return False
            created = False
            if not exists:
                created = ops.create_table_if_not_exists(
                    self._spark,
                    self._table,
                    LOG_SCHEMA,
                    partition_by=config.partition_columns,
                    cluster_by=config.cluster_by,
                    properties=config.effective_table_properties,
                    comment=TABLE_COMMENT,
                    max_attempts=config.max_commit_attempts,
                )
            self._check(report_options=not created)
        except TableOperationError as exc:
            raise as_writer_error(exc) from exc
        return created

    def _check(self, *, report_options: bool) -> None:
        actual = ops.read_schema(self._spark, self._table)
        error = log_table_problems(str(self._table), actual)
        if error is not None:
            raise error
        if report_options:
            detail = ops.describe_table(self._spark, self._table)
            for mismatch in option_mismatches(
                self._config, detail.partition_columns, detail.properties, detail.clustering_columns
            ):
                self._log.warning(
                    "the log table %s keeps its own settings, so this option does not apply: %s",
                    self._table,
                    mismatch,
                )
        self.checked = True
