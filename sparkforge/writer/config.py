"""How a [`sparkforge.writer.LogWriter`][] writes: [`sparkforge.writer.WriterConfig`][].

A config is frozen and validated when built: every invalid value is collected, then one
[`WriterConfigurationError`][sparkforge.writer.WriterConfigurationError] names each option at fault
and echoes its value. Enumerated options take the enum or its value as a plain string
(``write_mode="overwrite"``) and store the enum member. [`WriteMode`][sparkforge.WriteMode] is
[`sparkforge.models.WriteMode`][], the one write-mode type of sparkforge; the other enums are in
`sparkforge.writer.options` (and importable from here and from `sparkforge.writer`).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeVar

from sparkforge.errors import SparkForgeError, TableOperationError
from sparkforge.models import WriteMode, WriteModeName
from sparkforge.table_operations import TableRef, validate_properties
from sparkforge.writer._config_checks import OptionChecks, option_reason
from sparkforge.writer.exceptions import WriterConfigurationError
from sparkforge.writer.options import (
    Compression,
    CompressionName,
    Deduplication,
    DeduplicationName,
    FailurePolicy,
    FailurePolicyName,
)

if TYPE_CHECKING:
    from datetime import timedelta

__all__ = [
    "CLUSTERABLE_COLUMNS",
    "Compression",
    "CompressionName",
    "Deduplication",
    "DeduplicationName",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_COMPACT_EVERY",
    "DEFAULT_MAX_COMMIT_ATTEMPTS",
    "DEFAULT_OPENLINEAGE_NAMESPACE",
    "DEFAULT_PARTITION_COLUMNS",
    "DEFAULT_TABLE_NAME_PATTERN",
    "DEFAULT_TABLE_PROPERTIES",
    "FailurePolicy",
    "FailurePolicyName",
    "PARTITIONABLE_COLUMNS",
    "SCHEMA_VERSION_PROPERTY",
    "WriteMode",
    "WriteModeName",
    "WriterConfig",
]

_E = TypeVar("_E", bound=Enum)

#: New logs are not partitioned: rows arrive in time order, so a pipeline's last weeks or one
#: run are found by the files' statistics, a full scan reads few files once compacted
#: (``compact_every``), and partitions by day would leave one small file per day for good.
#: The measured layouts are in docs/maintenance.md; ``("run_date",)`` suits very large logs.
DEFAULT_PARTITION_COLUMNS: tuple[str, ...] = ()

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

#: Columns the log may be clustered by (Delta liquid clustering: scalar columns with statistics).
CLUSTERABLE_COLUMNS: frozenset[str] = frozenset(
    {
        "pipeline_name",
        "run_started_at",
        "run_date",
        "run_id",
        "run_status",
        "step",
        "phase",
        "row_kind",
        "table_fqn",
    }
)

#: Commits between two compactions of the log by its writer (see ``compact_every``).
DEFAULT_COMPACT_EVERY = 100
_MAX_COMPACT_EVERY = 1_000_000

#: The OpenLineage namespace of the jobs the log's runs are exported as.
DEFAULT_OPENLINEAGE_NAMESPACE = "sparkforge"

_MAX_CLUSTER_COLUMNS = 4

#: Columns the log may be partitioned by: low-cardinality ones only.
PARTITIONABLE_COLUMNS: frozenset[str] = frozenset(
    {"run_date", "pipeline_name", "run_mode", "run_status", "phase", "row_kind", "step_status"}
)

_PATTERN_FIELDS = frozenset({"table_name", "environment"})
_MAX_BATCH_SIZE = 10_000_000
_MAX_COMMIT_ATTEMPTS = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class WriterConfig:
    """Where and how the run log is written.

    Give either ``table_schema`` and ``table_name`` (a catalog table, optionally in
    ``table_catalog``) or ``table_path`` (a path-based Delta table).

    Parameters
    ----------
    table_catalog
        The catalog of the log table (Unity Catalog, ``spark_catalog`` ...); None for the
        session's current catalog.
    table_schema
        The catalog schema (database) of the log table; created if absent.
    table_name
        The log table's name (see ``table_name_pattern``), without its schema: a dotted
        ``"ops.runs"`` is refused with a hint to give ``table_schema="ops"``.
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
        Partition columns of a new log table (see `PARTITIONABLE_COLUMNS`); ``()`` for
        none.
    table_properties
        Delta table properties of a new log table, over `DEFAULT_TABLE_PROPERTIES`.
    batch_size
        Most log rows per Delta commit in
        [`write_reports`][sparkforge.writer.LogWriter.write_reports]; a run's rows always land in
        one commit.
    compression
        Parquet codec of the data files written (see
        [`Compression`][sparkforge.writer.Compression]).
    enable_performance_monitoring
        Measure each write's duration and the driver's peak memory growth (sampled by a
        background thread) into
        [`get_performance_metrics`][sparkforge.writer.LogWriter.get_performance_metrics].
    enable_data_quality_checks
        Check reports for consistency before writing (valid + invalid = validated rows, the
        rate matches the counts, no end before start, failures say why). Type and range checks
        run always.
    on_failure
        Raise on a failed write, or log a warning and return a failed result.
    deduplication
        How already-logged runs are recognised (see
        [`Deduplication`][sparkforge.writer.Deduplication]). ``deduplication="scan"`` cannot go with
        ``write_mode="overwrite"``.
    max_commit_attempts
        Attempts per commit while concurrent writers conflict.
    cluster_by
        Liquid-clustering columns of a new log table (see `CLUSTERABLE_COLUMNS`, at
        most 4), instead of partitioning: give ``partition_columns=()`` with it. Clustering
        happens at [`optimize`][sparkforge.writer.LogWriter.optimize]; it upgrades the table's
        protocol for good, and some other Delta engines (delta-rs 1.6) can read such a table
        but not append to it. See docs/maintenance.md for the measured layouts.
    compact_every
        Compact the log's small files every this many commits: after a call whose commit
        brings the table to a version that is a multiple of it, the writer runs ``OPTIMIZE``
        (a commit of its own, after the call's commits, never inside them). On a log
        partitioned by ``run_date`` only the days of that call's runs and later are
        rewritten; a clustered log is clustered incrementally; an unpartitioned one is
        compacted whole. None never compacts (see
        [`optimize`][sparkforge.writer.LogWriter.optimize]). A failed compaction never fails the
        write: it is logged and said in ``WriteResult.maintenance_error``.
    retention
        Keep runs for this long: after each call that committed, the writer deletes the runs
        that started before the UTC day ``now - retention`` falls in (whole days, whole runs,
        one Delta DELETE; see [`prune`][sparkforge.writer.LogWriter.prune]). None keeps every
        run. At least one day.
    openlineage_namespace
        The OpenLineage namespace of the jobs (one per pipeline) in exported events.

    Raises
    ------
    WriterConfigurationError
        ``WRITER_CONFIG_INVALID``, naming every option at fault and echoing its value.

    Examples
    --------
    >>> config = WriterConfig(table_schema="analytics", table_name="pipeline_logs")
    >>> config.table.fqn
    'analytics.pipeline_logs'
    >>> WriterConfig(table_schema="ops", table_name="run_log", environment="dev",
    ...     table_name_pattern="{table_name}_{environment}").table.fqn
    'ops.run_log_dev'
    >>> WriterConfig(table_schema="ops", table_name="run_log", write_mode="overwrite").write_mode
    <WriteMode.OVERWRITE: 'overwrite'>
    """

    table_catalog: str | None = None
    table_schema: str | None = None
    table_name: str | None = None
    table_path: str | None = None
    table_name_pattern: str = DEFAULT_TABLE_NAME_PATTERN
    environment: str | None = None
    write_mode: WriteMode | WriteModeName = WriteMode.APPEND
    partition_columns: tuple[str, ...] = DEFAULT_PARTITION_COLUMNS
    table_properties: Mapping[str, str] = field(default_factory=dict, hash=False)
    batch_size: int = DEFAULT_BATCH_SIZE
    compression: Compression | CompressionName = Compression.SNAPPY
    enable_performance_monitoring: bool = True
    enable_data_quality_checks: bool = True
    on_failure: FailurePolicy | FailurePolicyName = FailurePolicy.RAISE
    deduplication: Deduplication | DeduplicationName = Deduplication.TRANSACTION
    max_commit_attempts: int = DEFAULT_MAX_COMMIT_ATTEMPTS
    cluster_by: tuple[str, ...] = ()
    compact_every: int | None = DEFAULT_COMPACT_EVERY
    retention: timedelta | None = None
    openlineage_namespace: str = DEFAULT_OPENLINEAGE_NAMESPACE

    def __post_init__(self) -> None:
        checks = OptionChecks()
        environment_ok = self._check_environment(checks)
        self._check_target(checks, environment_ok=environment_ok)
        write_mode = self._coerce(checks, "write_mode", WriteMode)
        self._coerce(checks, "compression", Compression)
        self._coerce(checks, "on_failure", FailurePolicy)
        deduplication = self._coerce(checks, "deduplication", Deduplication)
        if write_mode is WriteMode.OVERWRITE and deduplication is Deduplication.SCAN:
            checks.add(
                "write_mode, deduplication",
                "write_mode='overwrite' cannot go with deduplication='scan': the scan drops "
                "runs already in the log from the batch while an overwrite replaces the log, "
                "so together they would delete those runs; use deduplication='transaction' "
                "or 'none' with an overwrite",
            )
        self._check_partitions(checks)
        self._check_properties(checks)
        checks.integer("batch_size", self.batch_size, 1, _MAX_BATCH_SIZE)
        checks.integer("max_commit_attempts", self.max_commit_attempts, 1, _MAX_COMMIT_ATTEMPTS)
        checks.boolean("enable_performance_monitoring", self.enable_performance_monitoring)
        checks.boolean("enable_data_quality_checks", self.enable_data_quality_checks)
        self._check_layout(checks)
        checks.positive_duration("retention", self.retention)
        checks.text("openlineage_namespace", self.openlineage_namespace)
        checks.raise_config_error(WriterConfigurationError, code="WRITER_CONFIG_INVALID")

    def _coerce(self, checks: OptionChecks, option: str, enum_type: type[_E]) -> _E | None:
        member = checks.member(option, getattr(self, option), enum_type)
        if member is not None:
            object.__setattr__(self, option, member)
        return member

    def _check_environment(self, checks: OptionChecks) -> bool:
        environment: object = self.environment
        if environment is None:
            return True
        if not isinstance(environment, str) or not environment.strip():
            checks.add("environment", f"expected a non-empty string, got {environment!r}")
            return False
        try:
            environment.encode("utf-8")
        except UnicodeEncodeError:
            checks.add(
                "environment",
                f"{environment!r} is not valid Unicode (it holds a lone surrogate)",
            )
            return False
        return True

    def _check_target(self, checks: OptionChecks, *, environment_ok: bool) -> None:
        by_name = any(
            value is not None for value in (self.table_catalog, self.table_schema, self.table_name)
        )
        if by_name and self.table_path is not None:
            checks.add(
                "table_path",
                f"give either table_path or table_schema + table_name, not both (got "
                f"table_path={self.table_path!r}, table_schema={self.table_schema!r}, "
                f"table_name={self.table_name!r})",
            )
            return
        if self.table_path is not None:
            try:
                TableRef.at_path(self.table_path)
            except SparkForgeError as exc:
                checks.add("table_path", f"{self.table_path!r} is not usable: {option_reason(exc)}")
            if self.table_name_pattern != DEFAULT_TABLE_NAME_PATTERN:
                checks.add(
                    "table_name_pattern",
                    f"applies to catalog tables, not to table_path (got "
                    f"{self.table_name_pattern!r})",
                )
            return
        if self.table_name is None or self.table_schema is None:
            missing = "table_name" if self.table_name is None else "table_schema"
            checks.add(missing, "give table_schema and table_name, or table_path (got None)")
            return
        checks.name("table_schema", self.table_schema, "schema")
        if self.table_catalog is not None:
            checks.name("table_catalog", self.table_catalog, "catalog")
        # The pattern is checked on a valid name only: a bad name must not read as a bad pattern.
        if checks.name("table_name", self.table_name, "table") and environment_ok:
            self._check_pattern(checks)

    def _check_pattern(self, checks: OptionChecks) -> None:
        pattern: object = self.table_name_pattern
        option = "table_name_pattern"
        if not isinstance(pattern, str):
            checks.add(option, f"expected a string, got {pattern!r}")
            return
        try:
            parsed = list(string.Formatter().parse(pattern))
        except ValueError as exc:
            checks.add(option, f"{pattern!r} is not a valid pattern: {exc}")
            return
        # "{}" has the name "" (format() would raise IndexError); a spec or conversion such as
        # "{table_name:x}" makes format() raise ValueError: bare placeholders only.
        fields = {name for _, name, _, _ in parsed if name is not None}
        if any(name is not None and (spec or conv) for _, name, spec, conv in parsed):
            checks.add(option, f"placeholders take no format spec or conversion (got {pattern!r})")
        elif "table_name" not in fields:
            checks.add(option, f"must contain {{table_name}} (got {pattern!r})")
        elif fields - _PATTERN_FIELDS:
            unknown = sorted(fields - _PATTERN_FIELDS)
            checks.add(option, f"unknown placeholders {unknown} in {pattern!r}")
        elif "environment" in fields and self.environment is None:
            checks.add(
                "environment",
                f"table_name_pattern {pattern!r} uses {{environment}}, so set environment "
                "(got None)",
            )
        else:
            checks.name(option, self.resolved_table_name, "table")

    def _check_partitions(self, checks: OptionChecks) -> None:
        columns: object = self.partition_columns
        if isinstance(columns, list):
            columns = tuple(columns)
            object.__setattr__(self, "partition_columns", columns)
        if not isinstance(columns, tuple):
            checks.add("partition_columns", f"expected a tuple of column names, got {columns!r}")
            return
        allowed = ", ".join(sorted(PARTITIONABLE_COLUMNS))
        bad = [c for c in columns if not isinstance(c, str) or c not in PARTITIONABLE_COLUMNS]
        for column in bad:
            checks.add("partition_columns", f"{column!r} is not one of {allowed}")
        if not bad and len(set(columns)) != len(columns):
            checks.add("partition_columns", f"a column is listed twice in {columns!r}")

    def _check_layout(self, checks: OptionChecks) -> None:
        cluster_by = checks.columns(
            "cluster_by", self.cluster_by, CLUSTERABLE_COLUMNS, most=_MAX_CLUSTER_COLUMNS
        )
        object.__setattr__(self, "cluster_by", cluster_by)
        if cluster_by and self.partition_columns:
            checks.add(
                "cluster_by, partition_columns",
                f"a Delta table is clustered or partitioned, not both: give "
                f"partition_columns=() with cluster_by={cluster_by!r} (got partition_columns="
                f"{self.partition_columns!r})",
            )
        if self.compact_every is not None:
            checks.integer("compact_every", self.compact_every, 2, _MAX_COMPACT_EVERY)

    def _check_properties(self, checks: OptionChecks) -> None:
        properties: object = self.table_properties
        option = "table_properties"
        if not isinstance(properties, Mapping):
            checks.add(option, f"expected a mapping, got {properties!r}")
            return
        before = len(checks)
        for key, value in properties.items():
            if not isinstance(key, str) or not key.strip() or not isinstance(value, str):
                checks.add(option, f"expected string keys and values, got {key!r}: {value!r}")
            elif key == SCHEMA_VERSION_PROPERTY:
                checks.add(option, f"{key} is set by the writer, not by users (got {value!r})")
        if len(checks) > before:
            return
        try:
            # What a migration can set as well as what a new table can be created with.
            validate_properties(properties)
        except TableOperationError as exc:
            name = exc.params.get("name", "")
            checks.add(
                option,
                f"property {name!r} = {properties.get(name)!r}: {exc.params.get('reason', '')}",
            )
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
        return TableRef.named(
            str(self.table_schema), str(self.resolved_table_name), catalog=self.table_catalog
        )

    @property
    def effective_table_properties(self) -> dict[str, str]:
        """The properties a new log table gets: the defaults, then ``table_properties``."""
        return {**DEFAULT_TABLE_PROPERTIES, **self.table_properties}
