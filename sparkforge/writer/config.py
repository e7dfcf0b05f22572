"""How a :class:`~sparkforge.writer.LogWriter` writes: :class:`WriterConfig` and its enums.

A config is frozen and validated when built: an invalid value raises
:class:`~sparkforge.writer.exceptions.WriterConfigurationError` naming the option.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Literal, NoReturn

from sparkforge.errors import SparkForgeError, TableOperationError
from sparkforge.table_operations import TableRef, validate_identifier, validate_properties
from sparkforge.writer.exceptions import WriterConfigurationError

__all__ = [
    "Compression",
    "Deduplication",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MAX_COMMIT_ATTEMPTS",
    "DEFAULT_PARTITION_COLUMNS",
    "DEFAULT_TABLE_NAME_PATTERN",
    "DEFAULT_TABLE_PROPERTIES",
    "FailurePolicy",
    "PARTITIONABLE_COLUMNS",
    "SCHEMA_VERSION_PROPERTY",
    "WriteMode",
    "WriterConfig",
]

#: Parquet codecs the log's data files may use (``lz4_raw``, not Hadoop's ``lz4`` framing, which
#: other Parquet readers cannot decode).
Compression = Literal["snappy", "zstd", "gzip", "lz4_raw", "uncompressed"]
_COMPRESSIONS: tuple[str, ...] = ("snappy", "zstd", "gzip", "lz4_raw", "uncompressed")

#: How a write recognises runs already in the log.
#:
#: - ``"transaction"``: each commit carries a Delta transaction identifier derived from its
#:   runs; Delta skips a commit whose identifier it already holds, atomically, even across
#:   processes. A retry of the same call is caught; a run resent in a different grouping
#:   (first in a ``write_reports`` batch, then alone) is not.
#: - ``"scan"``: ``"transaction"`` plus a look-up of the run ids in the table before writing
#:   (one read): catches every resent run, whatever call first wrote it.
#: - ``"none"``: plain appends; a retried run is logged twice. The cheapest write.
Deduplication = Literal["transaction", "scan", "none"]
_DEDUPLICATIONS: tuple[str, ...] = ("transaction", "scan", "none")

#: Partition the log by the UTC date of the run's start: reads by time range prune files.
DEFAULT_PARTITION_COLUMNS: tuple[str, ...] = ("run_date",)

#: Log rows per Delta commit, at most (a run is never split, so one big run may exceed it).
DEFAULT_BATCH_SIZE = 100_000

#: Attempts per commit when concurrent writers conflict.
DEFAULT_MAX_COMMIT_ATTEMPTS = 5

#: The table name is the configured ``table_name`` unless a pattern says otherwise.
DEFAULT_TABLE_NAME_PATTERN = "{table_name}"

#: The table property that marks a log table of schema v1 (set by the writer, never by users).
SCHEMA_VERSION_PROPERTY = "sparkforge.log.schemaVersion"

#: Properties every log table is created with (``table_properties`` may override them).
#: Delta keeps one transaction identifier per logged run for idempotent retries; expiring them
#: after 30 days keeps the table's state small (a retry is recognised within that window).
DEFAULT_TABLE_PROPERTIES: Mapping[str, str] = MappingProxyType(
    {
        "delta.setTransactionRetentionDuration": "interval 30 days",
        SCHEMA_VERSION_PROPERTY: "1",
    }
)

#: Columns the log may be partitioned by: low-cardinality ones only.
PARTITIONABLE_COLUMNS: frozenset[str] = frozenset(
    {"run_date", "pipeline_name", "run_mode", "run_status", "phase", "row_kind", "step_status"}
)

_PATTERN_FIELDS = frozenset({"table_name", "environment"})
_MAX_BATCH_SIZE = 10_000_000
_MAX_COMMIT_ATTEMPTS = 50


class WriteMode(str, Enum):
    """What a write does to the rows already in the log."""

    APPEND = "append"
    """Add the new rows (the log grows run after run)."""
    OVERWRITE = "overwrite"
    """Replace the table's rows with those of this call (a Delta overwrite: history is kept)."""

    def __str__(self) -> str:
        return str(self.value)


class FailurePolicy(str, Enum):
    """What a failed write does."""

    RAISE = "raise"
    """Raise the :class:`~sparkforge.writer.exceptions.WriterError`."""
    WARN = "warn"
    """Log a warning and return a result whose ``error`` says what failed."""

    def __str__(self) -> str:
        return str(self.value)


def _invalid(option: str, reason: str) -> NoReturn:
    raise WriterConfigurationError("WRITER_CONFIG_INVALID", {"option": option, "reason": reason})


def _check_bool(option: str, value: object) -> None:
    if not isinstance(value, bool):
        _invalid(option, f"expected True or False, got {value!r}")


def _check_int(option: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _invalid(option, f"expected an integer in {low}..{high}, got {value!r}")


def _check_name(option: str, value: object, kind: str) -> None:
    try:
        validate_identifier(value, kind=kind)
    except SparkForgeError as exc:
        _invalid(option, exc.message)


@dataclass(frozen=True, slots=True, kw_only=True)
class WriterConfig:
    """Where and how the run log is written.

    Give either ``table_schema`` and ``table_name`` (a catalog table) or ``table_path`` (a
    path-based Delta table).

    Parameters
    ----------
    table_schema
        The catalog schema (database) of the log table; created if absent.
    table_name
        The log table's name (see ``table_name_pattern``).
    table_path
        Instead of a catalog table: the storage path of a path-based Delta table.
    table_name_pattern
        How the table name is formed from ``{table_name}`` and ``{environment}``, e.g.
        ``"{table_name}_{environment}"`` to keep one log per environment.
    environment
        The environment the writer runs in (``dev``, ``prod`` ...): used by the naming pattern
        and stored in each row's ``tags`` as ``environment`` (unless the run's own tags set it).
    write_mode
        Append to the log (default), or replace its rows with each call's.
    partition_columns
        Partition columns of a new log table (see :data:`PARTITIONABLE_COLUMNS`); ``()`` for
        none.
    table_properties
        Delta table properties of a new log table, over :data:`DEFAULT_TABLE_PROPERTIES`.
    batch_size
        Most log rows per Delta commit in :meth:`~sparkforge.writer.LogWriter.write_reports`;
        a run's rows always land in one commit.
    compression
        Parquet codec of the data files written.
    enable_performance_monitoring
        Measure each write's duration and the driver's peak memory growth (sampled by a
        background thread) into :meth:`~sparkforge.writer.LogWriter.get_performance_metrics`.
    enable_data_quality_checks
        Check reports for consistency before writing (valid + invalid = validated rows, the
        rate matches the counts, no end before start, failures say why). Type and range checks
        run always.
    on_failure
        Raise on a failed write, or log a warning and return a failed result.
    deduplication
        How already-logged runs are recognised (see :data:`Deduplication`).
    max_commit_attempts
        Attempts per commit while concurrent writers conflict.

    Raises
    ------
    WriterConfigurationError
        ``WRITER_CONFIG_INVALID``, naming the option, for any invalid value.

    Examples
    --------
    >>> config = WriterConfig(table_schema="analytics", table_name="pipeline_logs")
    >>> config.table.fqn
    'analytics.pipeline_logs'
    >>> WriterConfig(table_schema="ops", table_name="run_log", environment="dev",
    ...     table_name_pattern="{table_name}_{environment}").table.fqn
    'ops.run_log_dev'
    """

    table_schema: str | None = None
    table_name: str | None = None
    table_path: str | None = None
    table_name_pattern: str = DEFAULT_TABLE_NAME_PATTERN
    environment: str | None = None
    write_mode: WriteMode = WriteMode.APPEND
    partition_columns: tuple[str, ...] = DEFAULT_PARTITION_COLUMNS
    table_properties: Mapping[str, str] = field(default_factory=dict, hash=False)
    batch_size: int = DEFAULT_BATCH_SIZE
    compression: Compression = "snappy"
    enable_performance_monitoring: bool = True
    enable_data_quality_checks: bool = True
    on_failure: FailurePolicy = FailurePolicy.RAISE
    deduplication: Deduplication = "transaction"
    max_commit_attempts: int = DEFAULT_MAX_COMMIT_ATTEMPTS

    def __post_init__(self) -> None:
        environment: object = self.environment
        if environment is not None:
            if not isinstance(environment, str) or not environment.strip():
                _invalid("environment", f"expected a non-empty string, got {environment!r}")
            try:
                environment.encode("utf-8")
            except UnicodeEncodeError:
                _invalid("environment", "is not valid Unicode (it holds a lone surrogate)")
        self._check_target()
        self._coerce_enum("write_mode", WriteMode)
        self._coerce_enum("on_failure", FailurePolicy)
        self._check_partitions()
        self._check_properties()
        _check_int("batch_size", self.batch_size, 1, _MAX_BATCH_SIZE)
        _check_int("max_commit_attempts", self.max_commit_attempts, 1, _MAX_COMMIT_ATTEMPTS)
        if self.compression not in _COMPRESSIONS:
            _invalid("compression", f"expected one of {', '.join(_COMPRESSIONS)}")
        if self.deduplication not in _DEDUPLICATIONS:
            _invalid("deduplication", f"expected one of {', '.join(_DEDUPLICATIONS)}")
        _check_bool("enable_performance_monitoring", self.enable_performance_monitoring)
        _check_bool("enable_data_quality_checks", self.enable_data_quality_checks)

    def _coerce_enum(self, option: str, enum_type: type[Enum]) -> None:
        value = getattr(self, option)
        try:
            object.__setattr__(self, option, enum_type(value))
        except ValueError:
            allowed = ", ".join(str(m.value) for m in enum_type)
            _invalid(option, f"expected one of {allowed}, got {value!r}")

    def _check_target(self) -> None:
        by_name = self.table_name is not None or self.table_schema is not None
        if by_name and self.table_path is not None:
            _invalid("table_path", "give either table_path or table_schema + table_name, not both")
        if self.table_path is not None:
            try:
                TableRef.at_path(self.table_path)
            except SparkForgeError as exc:
                _invalid("table_path", exc.message)
            if self.table_name_pattern != DEFAULT_TABLE_NAME_PATTERN:
                _invalid("table_name_pattern", "applies to catalog tables, not to table_path")
            return
        if self.table_name is None or self.table_schema is None:
            missing = "table_name" if self.table_name is None else "table_schema"
            _invalid(missing, "give table_schema and table_name, or table_path")
        _check_name("table_schema", self.table_schema, "schema")
        _check_name("table_name", self.table_name, "table")
        self._check_pattern()

    def _check_pattern(self) -> None:
        pattern = self.table_name_pattern
        if not isinstance(pattern, str):
            _invalid("table_name_pattern", f"expected a string, got {pattern!r}")
        try:
            parsed = list(string.Formatter().parse(pattern))
        except ValueError as exc:
            _invalid("table_name_pattern", f"not a valid pattern: {exc}")
        # "{}" has the name "" (format() would raise IndexError); a spec or conversion such as
        # "{table_name:x}" makes format() raise ValueError: bare placeholders only.
        fields = {name for _, name, _, _ in parsed if name is not None}
        if any(name is not None and (spec or conv) for _, name, spec, conv in parsed):
            _invalid("table_name_pattern", "placeholders take no format spec or conversion")
        if "table_name" not in fields:
            _invalid("table_name_pattern", "must contain {table_name}")
        unknown = fields - _PATTERN_FIELDS
        if unknown:
            _invalid("table_name_pattern", f"unknown placeholders {sorted(unknown)}")
        if "environment" in fields and self.environment is None:
            _invalid("environment", "table_name_pattern uses {environment}, so set environment")
        _check_name("table_name_pattern", self.resolved_table_name, "table")

    def _check_partitions(self) -> None:
        columns: object = self.partition_columns
        if not isinstance(columns, tuple):
            if isinstance(columns, list):
                columns = tuple(columns)
                object.__setattr__(self, "partition_columns", columns)
            else:
                _invalid("partition_columns", f"expected a tuple of column names, got {columns!r}")
        for column in columns:
            if not isinstance(column, str) or column not in PARTITIONABLE_COLUMNS:
                allowed = ", ".join(sorted(PARTITIONABLE_COLUMNS))
                _invalid("partition_columns", f"{column!r} is not one of {allowed}")
        if len(set(columns)) != len(columns):
            _invalid("partition_columns", "a column is listed twice")

    def _check_properties(self) -> None:
        properties: object = self.table_properties
        if not isinstance(properties, Mapping):
            _invalid("table_properties", f"expected a mapping, got {properties!r}")
        for key, value in properties.items():
            if not isinstance(key, str) or not key.strip() or not isinstance(value, str):
                _invalid("table_properties", f"expected string keys and values, got {key!r}")
            if key == SCHEMA_VERSION_PROPERTY:
                _invalid("table_properties", f"{key} is set by the writer, not by users")
        try:
            # What a migration can set as well as what a new table can be created with.
            validate_properties(properties)
        except TableOperationError as exc:
            _invalid("table_properties", f"property {exc.params['name']!r}: {exc.params['reason']}")
        object.__setattr__(self, "table_properties", MappingProxyType(dict(properties)))

    @property
    def resolved_table_name(self) -> str | None:
        """The table name after applying ``table_name_pattern`` (None for a path table)."""
        if self.table_name is None:
            return None
        return self.table_name_pattern.format(
            table_name=self.table_name, environment=self.environment or ""
        )

    @property
    def table(self) -> TableRef:
        """The log table this config points at."""
        if self.table_path is not None:
            return TableRef.at_path(self.table_path)
        return TableRef.named(str(self.table_schema), str(self.resolved_table_name))

    @property
    def effective_table_properties(self) -> dict[str, str]:
        """The properties a new log table gets: the defaults, then ``table_properties``."""
        return {**DEFAULT_TABLE_PROPERTIES, **self.table_properties}
