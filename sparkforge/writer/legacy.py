"""The deprecated single-file log writer API, and the migration of its table to schema v1.

Code written against the legacy writer keeps running: :func:`flatten_report_min`,
:data:`MinimalLogRow`, :data:`MIN_LOG_SCHEMA` and (through
:class:`sparkforge.writer.LogWriter`) the legacy ``LogWriter(spark, schema, table)`` produce the
rows they always did. Where the legacy code crashed on a malformed report dict, they raise
:class:`~sparkforge.writer.exceptions.WriterValidationError` listing every problem with its
path (``silver.orders_clean.write.rows_written``), and nothing is written.

:func:`migrate_legacy_table` upgrades a legacy log table to :data:`~sparkforge.writer.LOG_SCHEMA`
in place, in one Delta commit, keeping every row and the table's history.
"""

from __future__ import annotations

import hashlib
import uuid
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, TypedDict, cast

from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.window import Window

from sparkforge import table_operations as ops
from sparkforge.errors import Problem, TableOperationError, render_problems
from sparkforge.table_operations import TableRef
from sparkforge.writer.config import (
    DEFAULT_TABLE_PROPERTIES,
    PARTITIONABLE_COLUMNS,
    SCHEMA_VERSION_PROPERTY,
)
from sparkforge.writer.exceptions import (
    WriterConfigurationError,
    WriterTableError,
    WriterValidationError,
)
from sparkforge.writer.models import LOG_COLUMNS, LOG_SCHEMA

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pyspark.sql import Column, DataFrame, SparkSession

__all__ = [
    "flatten_report_min",
    "legacy_run_id",
    "LegacyLogWriter",
    "migrate_legacy_table",
    "MigrationResult",
    "MIN_LOG_SCHEMA",
    "MinimalLogRow",
]


class MinimalLogRow(TypedDict):
    """One row of the legacy log table; keys and order are those of :data:`MIN_LOG_SCHEMA`.

    .. deprecated:: 0.1.0
        Use :class:`sparkforge.writer.LogRow`.
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
MIN_LOG_SCHEMA = T.StructType(
    [
        T.StructField("run_mode", T.StringType(), False),
        T.StructField("run_started_at", T.TimestampType(), True),
        T.StructField("run_ended_at", T.TimestampType(), True),
        T.StructField("phase", T.StringType(), False),
        T.StructField("step", T.StringType(), False),
        T.StructField("start_time", T.TimestampType(), True),
        T.StructField("end_time", T.TimestampType(), True),
        T.StructField("table_fqn", T.StringType(), True),
        T.StructField("write_mode", T.StringType(), True),
        T.StructField("input_rows", T.IntegerType(), True),
        T.StructField("output_rows", T.IntegerType(), True),
        T.StructField("rows_written", T.IntegerType(), True),
        T.StructField("valid_rows", T.IntegerType(), False),
        T.StructField("invalid_rows", T.IntegerType(), False),
        T.StructField("validation_rate", T.FloatType(), False),
        T.StructField("previous_watermark", T.TimestampType(), True),
        T.StructField("filtered_rows", T.IntegerType(), True),
    ]
)

_MIN_COLUMNS: tuple[str, ...] = tuple(MIN_LOG_SCHEMA.fieldNames())
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_PHASES = ("bronze", "silver", "gold")
_TIMESTAMP = T.TimestampType()
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROS_PER_DAY = 86_400_000_000
_REPLACEMENT = (
    "LogWriter(spark, WriterConfig(table_schema=..., table_name=...)).write_report(report)"
)

# --------------------------------------------------------------------------- flattening


def _describe(value: object) -> str:
    """``type value`` for a message, short, and safe for any object (repr may fail)."""
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__, or an int too long to print
        text = "<unprintable>"
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(value).__name__} {text}"


class _Flattener:
    """Build the legacy rows of one report, recording each place the legacy code crashed.

    Every check mirrors one operation of the legacy code: ``.get`` on a block (it must be a
    dict), ``int()`` / ``float()`` (whatever they raise), truthiness in ``a or b or c``, and
    what ``createDataFrame(rows, MIN_LOG_SCHEMA)`` then refused (None in a NOT NULL column,
    an int outside 32 bits, a timestamp that is not a ``datetime``).
    """

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def fail(self, path: str, reason: str) -> None:
        self.problems.append(Problem(path, reason))

    def mapping(self, value: object, path: str) -> Mapping[str, object] | None:
        if isinstance(value, Mapping):
            return cast("Mapping[str, object]", value)
        self.fail(path, f"expected a dict, got {_describe(value)}")
        return None

    def block(self, record: Mapping[str, object], key: str, path: str) -> Mapping[str, object]:
        # record.get(key, {}): a missing block is empty, a present one must be a dict.
        if key not in record:
            return {}
        return self.mapping(record[key], f"{path}.{key}" if path else key) or {}

    def truthy(self, value: object, path: str) -> bool:
        try:
            return bool(value)
        except Exception as exc:  # the legacy `or` chain crashed on it
            self.fail(path, f"its truth value cannot be determined ({type(exc).__name__})")
            return False

    def integer(self, block: Mapping[str, object], key: str, path: str) -> int | None:
        where, value = f"{path}.{key}", block.get(key, 0)
        if value is None:
            self.fail(where, "is None: int() cannot convert it (leave the key out for 0)")
            return None
        try:
            number: int = int(value)  # type: ignore[call-overload]
        except Exception as exc:  # int() of a user value may raise anything; legacy crashed
            self.fail(where, f"int() cannot convert {_describe(value)} ({type(exc).__name__})")
            return None
        if not _INT_MIN <= number <= _INT_MAX:
            shown = str(number) if number.bit_length() < 64 else f"a {number.bit_length()}-bit int"
            self.fail(where, f"{shown} does not fit the 32-bit INTEGER column")
            return None
        return number

    def rate(self, block: Mapping[str, object], path: str) -> float | None:
        where, value = f"{path}.validation_rate", block.get("validation_rate", 100.0)
        if value is None:
            self.fail(where, "is None: float() cannot convert it (leave the key out for 100.0)")
            return None
        try:
            return float(value)  # type: ignore[arg-type]
        except Exception as exc:  # as for int(): whatever float() raised, legacy crashed
            self.fail(where, f"float() cannot convert {_describe(value)} ({type(exc).__name__})")
            return None

    def instant(self, value: object, path: str) -> datetime | None:
        if value is None:
            return None
        # PySpark accepts exactly datetime.datetime (no subclass such as pandas.Timestamp).
        if type(value) is not datetime:
            self.fail(path, f"expected a datetime or None, got {_describe(value)}")
            return None
        try:
            _TIMESTAMP.toInternal(value)
        except Exception as exc:  # what createDataFrame does with it; e.g. year 1 at +05:00
            self.fail(path, f"cannot be stored as a timestamp ({type(exc).__name__})")
            return None
        return value

    def first_instant(
        self, blocks: Sequence[tuple[Mapping[str, object], str]], key: str
    ) -> datetime | None:
        # blocks[0][key] or blocks[1][key] or blocks[2][key]: the first truthy, else the last.
        value: object = None
        where = ""
        for block, path in blocks:
            value, where = block.get(key), f"{path}.{key}"
            if self.truthy(value, where):
                break
        return self.instant(value, where)

    def text(self, value: object, path: str, *, required: bool) -> str | None:
        if value is None:
            if required:
                self.fail(path, "is None, but the column is NOT NULL")
            return None
        # The legacy table stored the JVM's rendering of a non-str ("true", "{a=1}") or
        # crashed (a str subclass): the compatible API asks for a str.
        if type(value) is not str:
            self.fail(path, f"expected a str, got {_describe(value)}")
            return None
        return value


_Run = tuple[str | None, datetime | None, datetime | None]


def _row(run: _Run, phase: str, step: str, **values: object) -> MinimalLogRow:
    row: dict[str, object] = dict.fromkeys(_MIN_COLUMNS)
    row.update(run_mode=run[0], run_started_at=run[1], run_ended_at=run[2], phase=phase)
    row.update(step=step, **values)
    return cast("MinimalLogRow", row)


def _flatten_report_min(report: object) -> list[MinimalLogRow]:
    """Do the work of :func:`flatten_report_min`, without the deprecation warning."""
    check = _Flattener()
    if not isinstance(report, Mapping):
        raise _invalid([Problem("report", f"expected a dict, got {_describe(report)}")])
    blocks = [(phase, check.block(report, phase, "")) for phase in _PHASES]
    # The legacy code read the run block only while building a row.
    run: _Run = ("initial", None, None)
    if any(steps for _, steps in blocks):
        run_block = check.block(report, "run", "")
        run = (
            check.text(run_block.get("mode", "initial"), "run.mode", required=True),
            check.instant(run_block.get("started_at"), "run.started_at"),
            check.instant(run_block.get("ended_at"), "run.ended_at"),
        )
    rows: list[MinimalLogRow] = []
    for phase, steps in blocks:
        for index, (step, entry) in enumerate(steps.items()):
            if type(step) is str:
                path = f"{phase}.{step}"
            else:
                path = f"{phase}[{index}]"
                check.fail(path, f"a step name must be a str, got {_describe(step)}")
            record = check.mapping(entry, path) or {}
            v_path = f"{path}.validation"
            v = check.block(record, "validation", path)
            counts = {
                "valid_rows": check.integer(v, "valid_rows", v_path),
                "invalid_rows": check.integer(v, "invalid_rows", v_path),
                "validation_rate": check.rate(v, v_path),
            }
            if phase == "bronze":
                start = check.instant(v.get("start_at"), f"{v_path}.start_at")
                end = check.instant(v.get("end_at"), f"{v_path}.end_at")
                rows.append(_row(run, phase, step, start_time=start, end_time=end, **counts))
                continue
            t_path, w_path = f"{path}.transform", f"{path}.write"
            t: Mapping[str, object] | None = {}
            transform = record.get("transform")
            if phase == "silver":
                # `(t or {})` and `... if t else None`: any falsy transform counts as absent.
                has_t = check.truthy(transform, t_path)
                t = check.mapping(transform, t_path) if has_t else None
            elif transform is not None:
                t = check.mapping(transform, t_path)
            w = check.block(record, "write", path)
            chain = [(t or {}, t_path), (v, v_path), (w, w_path)]
            rows.append(
                _row(
                    run,
                    phase,
                    step,
                    start_time=check.first_instant(chain, "start_at"),
                    end_time=check.first_instant(chain, "end_at"),
                    table_fqn=check.text(
                        record.get("table_fqn"), f"{path}.table_fqn", required=False
                    ),
                    write_mode=check.text(w.get("mode"), f"{w_path}.mode", required=False),
                    input_rows=None if t is None else check.integer(t, "input_rows", t_path),
                    output_rows=None if t is None else check.integer(t, "output_rows", t_path),
                    rows_written=check.integer(w, "rows_written", w_path),
                    **counts,
                )
            )
    if check.problems:
        raise _invalid(check.problems)
    return rows


def _invalid(problems: list[Problem]) -> WriterValidationError:
    found = tuple(problems)
    return WriterValidationError(
        "WRITER_INPUT_INVALID",
        {"subject": "legacy report", "problems": render_problems(found)},
        problems=found,
    )


def flatten_report_min(report: Mapping[str, object]) -> list[MinimalLogRow]:
    """Flatten a legacy report dict into legacy log rows, one per step.

    .. deprecated:: 0.1.0
        Build a :class:`~sparkforge.models.PipelineReport` and use
        :func:`sparkforge.writer.rows_from_report` (or ``LogWriter.write_report``).

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


def _has_v1_columns(schema: T.StructType) -> bool:
    return bool(set(schema.fieldNames()) & (set(LOG_COLUMNS) - set(_MIN_COLUMNS)))


def _is_v1(schema: T.StructType) -> bool:
    # Every v1 column with its type (nullability aside); later additions may follow.
    found = {f.name: f.dataType.simpleString() for f in schema.fields}
    return all(found.get(f.name) == f.dataType.simpleString() for f in LOG_SCHEMA.fields)


class LegacyLogWriter:
    """The legacy ``LogWriter(spark, write_schema, logs_table_name)``, behind ``LogWriter``.

    .. deprecated:: 0.1.0
        Use ``LogWriter(spark, WriterConfig(table_schema=..., table_name=...))``. The methods
        here do not warn: :class:`sparkforge.writer.LogWriter` does, once per legacy call.

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
    """

    def __init__(self, spark: SparkSession, write_schema: str, logs_table_name: str) -> None:
        self.table = TableRef.named(write_schema, logs_table_name)
        self.spark = spark
        self.write_schema = write_schema
        self.logs_table_name = logs_table_name
        self.schema = MIN_LOG_SCHEMA

    def create_table(self, initial_report: Mapping[str, object]) -> DataFrame:
        """Replace the table's rows (and schema) with the report's rows: a Delta overwrite.

        Earlier versions stay readable by time travel.

        Returns
        -------
        DataFrame
            The rows written, with :data:`MIN_LOG_SCHEMA`.

        Raises
        ------
        WriterValidationError
            For a malformed report, before any Spark call; nothing is written.
        WriterTableError
            ``WRITER_LEGACY_TABLE`` if the table has the v1 schema (nothing is written);
            ``WRITER_WRITE_FAILED`` if Delta/Spark failed.
        """
        return self._write(initial_report, overwrite=True)

    def append(self, report: Mapping[str, object]) -> DataFrame:
        """Append the report's rows to the table (creating it if absent).

        Returns
        -------
        DataFrame
            The rows written, with :data:`MIN_LOG_SCHEMA`.

        Raises
        ------
        WriterValidationError
            For a malformed report, before any Spark call; nothing is written.
        WriterTableError
            As for :meth:`create_table`.
        """
        return self._write(report, overwrite=False)

    def show(self, n: int | None = None) -> None:
        """Print the table's first ``n`` rows (``DataFrame.show``; 20 when ``n`` is None).

        Raises
        ------
        WriterConfigurationError
            ``WRITER_CONFIG_INVALID`` if ``n`` is not an int.
        WriterTableError
            ``TABLE_NOT_FOUND`` if the table does not exist.
        """
        if n is not None and (type(n) is not int):
            raise WriterConfigurationError(
                "WRITER_CONFIG_INVALID", {"option": "n", "reason": f"expected an int, got {n!r}"}
            )
        if not ops.table_exists(self.spark, self.table):
            raise WriterTableError("TABLE_NOT_FOUND", {"table": str(self.table)})
        # PySpark's show() needs an int; the legacy show(None) raised a TypeError there.
        self.table.read(self.spark).show(20 if n is None else n)

    def _write(self, report: Mapping[str, object], *, overwrite: bool) -> DataFrame:
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
                ops.append(df, self.table)
        except WriterTableError:
            raise
        except TableOperationError as exc:
            raise WriterTableError(
                "WRITER_WRITE_FAILED",
                {"runs": "1", "table": str(self.table), "reason": exc.message},
            ) from exc
        return df


# --------------------------------------------------------------------------- migration


@dataclass(frozen=True, slots=True, kw_only=True)
class MigrationResult:
    """What :func:`migrate_legacy_table` did.

    Attributes
    ----------
    migrated
        Whether a migration commit was made (False: the table already had schema v1).
    table
        The table.
    version_before
        The table's version before the call.
    version_after
        The version of the migration commit (``version_before`` when nothing was done; None
        if the commit was not found among the table's 100 latest).
    rows_migrated
        The rows the migration wrote, from Delta's commit metrics (0 when nothing was done;
        None when Delta did not report it).
    properties_set
        The table properties the call set (sorted), in one metadata-only commit after the
        data commit: those of ``table_properties`` the table did not have.
    """

    migrated: bool
    table: TableRef
    version_before: int
    version_after: int | None
    rows_migrated: int | None
    properties_set: tuple[str, ...] = ()


def legacy_run_id(
    run_mode: str | None, started_at: datetime | None, ended_at: datetime | None
) -> str:
    """Return the ``run_id`` that :func:`migrate_legacy_table` gives a legacy run.

    The legacy log has no run id; a run is known by its mode and its start and end instants.
    The id is ``"legacy-"`` and the first 32 hex digits of the SHA-256 of
    ``"{run_mode}|{start}|{end}"``, each instant as its microseconds since the Unix epoch
    (``null`` when missing; a missing mode counts as ``""``). It depends on the instants
    only, never on a time zone. Naive datetimes are taken as local time, as PySpark takes
    them when it stores them.

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> t = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    >>> legacy_run_id("initial", t, None)
    'legacy-15275b2ce585e7832f11aa4e3237d63f'
    >>> legacy_run_id("initial", t.astimezone(timezone(timedelta(hours=5, minutes=30))), None)
    'legacy-15275b2ce585e7832f11aa4e3237d63f'
    """

    def micros(moment: datetime | None) -> str:
        if moment is None:
            return "null"
        return str((moment.astimezone(timezone.utc) - _EPOCH) // timedelta(microseconds=1))

    key = f"{run_mode or ''}|{micros(started_at)}|{micros(ended_at)}"
    return "legacy-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _type_mismatches(schema: T.StructType, expected: Mapping[str, tuple[T.DataType, ...]]) -> str:
    found = {f.name: f.dataType.simpleString() for f in schema.fields}
    parts = []
    missing = [name for name in expected if name not in found]
    unexpected = [name for name in found if name not in expected]
    if missing:
        parts.append(f"missing columns {', '.join(missing)}")
    if unexpected:
        parts.append(f"unexpected columns {', '.join(unexpected)}")
    for name, types in expected.items():
        allowed = list(dict.fromkeys(t.simpleString() for t in types))
        if name in found and found[name] not in allowed:
            parts.append(f"column {name} is {found[name]}, expected {' or '.join(allowed)}")
    return "; ".join(parts)


_LEGACY_TYPES: dict[str, tuple[T.DataType, ...]] = {
    f.name: (f.dataType, LOG_SCHEMA[f.name].dataType) for f in MIN_LOG_SCHEMA.fields
}
_V1_TYPES: dict[str, tuple[T.DataType, ...]] = {f.name: (f.dataType,) for f in LOG_SCHEMA.fields}


def _config_error(option: str, reason: str) -> WriterConfigurationError:
    return WriterConfigurationError("WRITER_CONFIG_INVALID", {"option": option, "reason": reason})


def _check_migration_args(
    table: object, pipeline_name: object, partition_columns: object, logged_at: object
) -> None:
    if not isinstance(table, TableRef):
        raise _config_error("table", f"expected a TableRef, got {_describe(table)}")
    if not isinstance(pipeline_name, str) or not pipeline_name.strip():
        raise _config_error("pipeline_name", f"expected a non-empty str, got {pipeline_name!r}")
    if isinstance(partition_columns, str) or not isinstance(partition_columns, (tuple, list)):
        raise _config_error("partition_columns", "expected a sequence of column names")
    for column in partition_columns:
        if column not in PARTITIONABLE_COLUMNS:
            allowed = ", ".join(sorted(PARTITIONABLE_COLUMNS))
            raise _config_error("partition_columns", f"{column!r} is not one of {allowed}")
    if len(set(partition_columns)) != len(partition_columns):
        raise _config_error("partition_columns", "a column is named twice")
    if logged_at is not None and (
        not isinstance(logged_at, datetime) or logged_at.utcoffset() is None
    ):
        raise _config_error("logged_at", "expected a timezone-aware datetime")


def _migrated(source_df: DataFrame, *, pipeline_name: str, logged_at: datetime) -> DataFrame:
    """Return the legacy rows as v1 rows (see :func:`migrate_legacy_table` for each column)."""
    start_micros = F.unix_micros(F.col("run_started_at"))

    def instant_text(micros: Column) -> Column:
        return F.coalesce(micros.cast("string"), F.lit("null"))

    run_key = F.concat_ws(
        "|",
        F.coalesce(F.col("run_mode"), F.lit("")),
        instant_text(start_micros),
        instant_text(F.unix_micros(F.col("run_ended_at"))),
    )
    run_id = F.concat(F.lit("legacy-"), F.substring(F.sha2(run_key, 256), 1, 32))
    # The UTC date by integer arithmetic on the instant: no session time zone involved.
    days = (start_micros - F.pmod(start_micros, F.lit(_MICROS_PER_DAY))) / F.lit(_MICROS_PER_DAY)
    phase_rank = (
        F.when(F.col("phase") == "bronze", 0)
        .when(F.col("phase") == "silver", 1)
        .when(F.col("phase") == "gold", 2)
        .otherwise(3)
    )
    # Phase, then start time, then step; the other columns only break ties between otherwise
    # equal rows, so the numbering is the same on every run of the migration.
    ties = [
        F.col(name).asc_nulls_last()
        for name in _MIN_COLUMNS
        if name not in ("phase", "start_time", "step")
    ]
    order = [phase_rank, F.col("start_time").asc_nulls_last(), F.col("step").asc_nulls_last()]
    in_run = Window.partitionBy(run_id).orderBy(*order, *ties)
    values: dict[str, Column] = {name: F.col(name) for name in _MIN_COLUMNS}
    values.update(
        run_id=run_id,
        pipeline_name=F.lit(pipeline_name),
        run_status=F.lit("unknown"),
        run_date=F.date_from_unix_date(days.cast("int")),
        row_kind=F.lit("step"),
        step_index=F.row_number().over(in_run) - 1,
        step_status=F.lit("unknown"),
        duration_secs=F.lit(None),
        rule_results=F.array(),
        error_type=F.lit(None),
        error_message=F.lit(None),
        tags=F.create_map(F.lit("migrated_from"), F.lit("legacy")),
        logged_at=F.lit(logged_at),
        schema_version=F.lit(0),
        writer_version=F.lit("legacy"),
    )
    return source_df.select(
        *[
            values[f.name].cast(f.dataType).alias(f.name, metadata=f.metadata)
            for f in LOG_SCHEMA.fields
        ]
    )


def migrate_legacy_table(
    spark: SparkSession,
    table: TableRef,
    *,
    pipeline_name: str = "legacy",
    partition_columns: Sequence[str] = ("run_date",),
    logged_at: datetime | None = None,
    table_properties: Mapping[str, str] = DEFAULT_TABLE_PROPERTIES,
) -> MigrationResult:
    """Upgrade a legacy log table to :data:`~sparkforge.writer.LOG_SCHEMA` (v1), in place.

    One Delta overwrite (with ``overwriteSchema``) rewrites every row with the v1 columns; the
    table is never dropped, and the version before stays readable by time travel. A second,
    metadata-only commit then sets the ``table_properties`` the table lacks, so it carries
    what a log table the writer creates carries. Calling it again, or on a table the new
    writer created, does nothing; calling it again after a failure between the two commits
    sets the missing properties.

    Parameters
    ----------
    spark
        The session.
    table
        The legacy log table (a catalog name or a path).
    pipeline_name
        The ``pipeline_name`` of every migrated row (the legacy log had none).
    partition_columns
        How the migrated table is partitioned, as new log tables are (``()`` for none).
    logged_at
        The ``logged_at`` of every migrated row (a timezone-aware instant; default: now).
    table_properties
        The properties a log table should have (default
        :data:`~sparkforge.writer.DEFAULT_TABLE_PROPERTIES`). Only those the table lacks are
        set; values it already has are kept.

    Returns
    -------
    MigrationResult
        Whether a commit was made, the versions before and after, and Delta's count of the
        rows written.

    Raises
    ------
    WriterConfigurationError
        ``WRITER_CONFIG_INVALID`` for an invalid argument, before any Spark call.
    WriterTableError
        ``TABLE_NOT_FOUND``; ``TABLE_SCHEMA_MISMATCH`` (saying which columns differ) when the
        table is neither a legacy nor a v1 log table, and it is left untouched;
        ``TABLE_OPERATION_FAILED`` when Delta/Spark failed.

    Notes
    -----
    Every legacy column keeps its values: counts become BIGINT, ``validation_rate`` DOUBLE
    (the FLOAT value exactly). The new columns are filled as follows:

    - ``run_id``: :func:`legacy_run_id` of the row's mode and run instants. Legacy runs with
      the same mode and the same start and end (both missing, say) cannot be told apart and
      share an id.
    - ``run_status`` and ``step_status``: ``"unknown"`` (the legacy log did not record them).
    - ``run_date``: the UTC date of ``run_started_at``; ``row_kind``: ``"step"``.
    - ``step_index``: 0-based within the run, by phase (bronze, silver, gold), start time, step.
    - ``duration_secs``, ``error_type``, ``error_message``: NULL (never measured).
    - ``rule_results``: empty; ``tags``: ``{"migrated_from": "legacy"}``.
    - ``schema_version``: 0, which marks migrated rows; ``writer_version``: ``"legacy"``.

    Delta makes every column of an overwritten schema nullable, and Spark refuses to make a
    nullable column NOT NULL afterwards, so the migrated table has no NOT NULL constraints.
    Properties the table had before are kept.
    """
    _check_migration_args(table, pipeline_name, partition_columns, logged_at)
    if not isinstance(table_properties, Mapping):
        raise _config_error("table_properties", f"expected a mapping, got {table_properties!r}")
    try:
        wanted = ops.validate_properties(table_properties)
    except TableOperationError as exc:
        reason = f"property {exc.params['name']!r}: {exc.params['reason']}"
        raise _config_error("table_properties", reason) from None
    stamp = (logged_at or datetime.now(timezone.utc)).astimezone(timezone.utc)
    try:
        schema = ops.read_schema(spark, table)
        version_before = ops.latest_version(spark, table)
    except TableOperationError as exc:
        raise WriterTableError(exc.code, exc.params) from exc
    if _is_v1(schema):
        # A table the writer created has the schema-version property; one without it was
        # migrated by a call that stopped before (or predates) its properties commit.
        completed: tuple[str, ...] = ()
        have = _properties(spark, table)
        if SCHEMA_VERSION_PROPERTY not in have:
            completed = _complete_properties(spark, table, wanted, have)
        return MigrationResult(
            migrated=False,
            table=table,
            version_before=version_before,
            version_after=version_before,
            rows_migrated=0,
            properties_set=completed,
        )
    # A table with any v1-only column is compared with v1, whatever else it holds.
    against, expected = ("v1", _V1_TYPES) if _has_v1_columns(schema) else ("legacy", _LEGACY_TYPES)
    mismatch = _type_mismatches(schema, expected)
    if mismatch:
        raise WriterTableError(
            "TABLE_SCHEMA_MISMATCH",
            {
                "table": str(table),
                "reason": "it is neither a legacy nor a v1 log table; compared with the "
                f"{against} log schema: {mismatch}",
            },
        )
    marker = f"sparkforge.migrate_legacy_table:{uuid.uuid4().hex}"
    migrated_df = _migrated(table.read(spark), pipeline_name=pipeline_name, logged_at=stamp)
    try:
        ops.overwrite(
            migrated_df,
            table,
            marker=marker,
            partition_by=tuple(partition_columns),
            overwrite_schema=True,
        )
        commit = ops.find_commit(spark, table, marker)
    except TableOperationError as exc:
        raise WriterTableError(exc.code, exc.params) from exc
    completed = _complete_properties(spark, table, wanted, _properties(spark, table))
    return MigrationResult(
        migrated=True,
        table=table,
        version_before=version_before,
        version_after=None if commit is None else commit.version,
        rows_migrated=None if commit is None else commit.num_output_rows,
        properties_set=completed,
    )


def _properties(spark: SparkSession, table: TableRef) -> dict[str, str]:
    try:
        return ops.read_properties(spark, table)
    except TableOperationError as exc:
        raise WriterTableError(exc.code, exc.params) from exc


def _complete_properties(
    spark: SparkSession, table: TableRef, wanted: Mapping[str, str], have: Mapping[str, str]
) -> tuple[str, ...]:
    """Set the ``wanted`` properties ``table`` lacks (it ``have``s the others) in one commit.

    Returns the keys set, sorted.
    """
    missing = {key: value for key, value in wanted.items() if key not in have}
    try:
        ops.set_properties(spark, table, missing)
    except TableOperationError as exc:
        raise WriterTableError(exc.code, exc.params) from exc
    return tuple(sorted(missing))
