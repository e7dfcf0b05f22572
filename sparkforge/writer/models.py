"""The log table's schema (version 1), its row type, and report -> rows.

One row per step per run (``row_kind = "step"``), and one ``row_kind = "run"`` row for a run
that has no steps or failed outside any step, so failed runs are never invisible. The legacy
columns come first with their names and meanings, counts widened to BIGINT and the rate to
DOUBLE; the new columns follow. [`rows_from_report`][sparkforge.writer.rows_from_report] is pure
Python and needs no JVM (``pyspark.sql.types`` is plain Python). The checks of a report before it is
written are [`sparkforge.validation.report_problems`][] (re-exported here), those of the log table
`sparkforge.validation.log_checks` (whose result types are re-exported here). The write
results live in `sparkforge.writer.results` (re-exported here too).
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from enum import Enum
from typing import TYPE_CHECKING, TypedDict

from pyspark.sql import types as T

from sparkforge._version import __version__
from sparkforge.models import Phase, StepStatus, WriteMode, utc_now
from sparkforge.validation.log_checks import DataQualityCheck, DataQualityResult
from sparkforge.validation.report_checks import report_problems
from sparkforge.writer.results import WriteResult, WriterMetrics

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sparkforge.models import ExecutionContext, PipelineReport

__all__ = [
    "DataQualityCheck",
    "DataQualityResult",
    "LOG_COLUMNS",
    "LOG_SCHEMA",
    "LOG_SCHEMA_VERSION",
    "LogRow",
    "report_problems",
    "REQUIRED_COLUMNS",
    "rows_from_report",
    "RuleResultRow",
    "WriteResult",
    "WriterMetrics",
]

#: The version of :data:`LOG_SCHEMA`, stored in every row's ``schema_version``.
LOG_SCHEMA_VERSION = 1


class RuleResultRow(TypedDict):
    """One element of a row's ``rule_results``.

    Examples
    --------
    >>> RuleResultRow(rule="non_negative", column="amount", failed_rows=2)
    {'rule': 'non_negative', 'column': 'amount', 'failed_rows': 2}
    """

    rule: str
    column: str | None
    failed_rows: int


class LogRow(TypedDict):
    """One row of the log table; keys and order are those of [`sparkforge.writer.LOG_SCHEMA`][].

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from sparkforge.models import PipelineReport, RunMode, RunStatus
    >>> t = datetime(2026, 1, 2, tzinfo=timezone.utc)
    >>> row: LogRow = rows_from_report(PipelineReport(run_id="r1", pipeline_name="orders",
    ...     mode=RunMode.INITIAL, status=RunStatus.SUCCESS, started_at=t, ended_at=t))[0]
    >>> row["run_id"], row["row_kind"], row["schema_version"], list(row) == list(LOG_COLUMNS)
    ('r1', 'run', 1, True)
    """

    run_mode: str
    run_started_at: datetime | None
    run_ended_at: datetime | None
    phase: str | None
    step: str | None
    start_time: datetime | None
    end_time: datetime | None
    table_fqn: str | None
    write_mode: str | None
    input_rows: int | None
    output_rows: int | None
    rows_written: int | None
    valid_rows: int | None
    invalid_rows: int | None
    validation_rate: float | None
    previous_watermark: datetime | None
    filtered_rows: int | None
    run_id: str
    pipeline_name: str
    run_status: str
    run_date: date | None
    row_kind: str
    step_index: int | None
    step_status: str | None
    duration_secs: float | None
    rule_results: list[RuleResultRow]
    error_type: str | None
    error_message: str | None
    tags: dict[str, str]
    logged_at: datetime
    schema_version: int
    writer_version: str


def _field(name: str, data_type: T.DataType, nullable: bool, doc: str) -> T.StructField:
    return T.StructField(name, data_type, nullable, metadata={"comment": doc})


_RULE_RESULT = T.StructType(
    [
        # Delta enforces NOT NULL only on top-level and struct fields, not inside arrays.
        T.StructField("rule", T.StringType(), True),
        T.StructField("column", T.StringType(), True),
        T.StructField("failed_rows", T.LongType(), True),
    ]
)

#: The log table's schema, version 1. NOT NULL where every row, migrated ones included, has a
#: value. The legacy columns come first, in their legacy order.
LOG_SCHEMA = T.StructType(
    [
        _field("run_mode", T.StringType(), False, "initial, incremental, full_refresh ..."),
        _field("run_started_at", T.TimestampType(), True, "UTC instant the run started"),
        _field("run_ended_at", T.TimestampType(), True, "UTC instant the run ended"),
        _field("phase", T.StringType(), True, "bronze, silver or gold; NULL on run rows"),
        _field("step", T.StringType(), True, "step name; NULL on run rows"),
        _field("start_time", T.TimestampType(), True, "UTC instant the step started"),
        _field("end_time", T.TimestampType(), True, "UTC instant the step ended"),
        _field("table_fqn", T.StringType(), True, "table the step wrote"),
        _field("write_mode", T.StringType(), True, "append or overwrite"),
        _field("input_rows", T.LongType(), True, "rows the step read"),
        _field("output_rows", T.LongType(), True, "rows the step validated"),
        _field("rows_written", T.LongType(), True, "rows written to table_fqn"),
        _field("valid_rows", T.LongType(), True, "validated rows that passed"),
        _field("invalid_rows", T.LongType(), True, "validated rows that failed"),
        _field("validation_rate", T.DoubleType(), True, "valid percent, 0-100"),
        _field("previous_watermark", T.TimestampType(), True, "incremental start point"),
        _field("filtered_rows", T.LongType(), True, "rows not newer than the watermark"),
        _field("run_id", T.StringType(), False, "the run's id"),
        _field("pipeline_name", T.StringType(), False, "the pipeline's name"),
        _field("run_status", T.StringType(), False, "success or failed"),
        _field("run_date", T.DateType(), True, "UTC date of run_started_at"),
        _field("row_kind", T.StringType(), False, "step, or run for a run-level row"),
        _field("step_index", T.IntegerType(), True, "0-based position in the run"),
        _field("step_status", T.StringType(), True, "success, failed or skipped"),
        _field("duration_secs", T.DoubleType(), True, "step seconds, monotonic clock"),
        _field("rule_results", T.ArrayType(_RULE_RESULT, True), False, "failed rows per rule"),
        _field("error_type", T.StringType(), True, "exception type of the failure"),
        _field("error_message", T.StringType(), True, "message of the failure"),
        _field("tags", T.MapType(T.StringType(), T.StringType(), True), False, "run context"),
        _field("logged_at", T.TimestampType(), False, "UTC instant the row was written"),
        _field("schema_version", T.IntegerType(), False, "log schema version"),
        _field("writer_version", T.StringType(), False, "sparkforge version that wrote it"),
    ]
)

#: The column names of :data:`LOG_SCHEMA`, in order.
LOG_COLUMNS: tuple[str, ...] = tuple(LOG_SCHEMA.fieldNames())

#: Columns that every row written by this writer fills (step rows also fill phase, step ...).
REQUIRED_COLUMNS: tuple[str, ...] = (
    "run_id",
    "pipeline_name",
    "run_mode",
    "run_status",
    "run_started_at",
    "run_ended_at",
    "run_date",
    "row_kind",
    "rule_results",
    "tags",
    "logged_at",
    "schema_version",
    "writer_version",
)


def _value(member: object) -> str:
    return str(member.value) if isinstance(member, Enum) else str(member)


# Enum members -> their text, looked up in the hot loop (much cheaper than ``.value``). A str
# enum member hashes and compares like its value, so a plain valid string finds the same text.
_TEXT: dict[object, str] = {
    member: str(member.value) for enum in (Phase, StepStatus, WriteMode) for member in enum
}


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is timezone.utc:
        return moment
    return moment.astimezone(timezone.utc)


def rows_from_report(
    report: PipelineReport,
    execution_context: ExecutionContext | None = None,
    *,
    logged_at: datetime | None = None,
    extra_tags: Mapping[str, str] | None = None,
) -> list[LogRow]:
    """Turn one run's report into its log rows.

    Parameters
    ----------
    report
        The run's report. It is not checked here: see
        [`report_problems`][sparkforge.validation.report_problems].
    execution_context
        Where the run executed; defaults to ``report.context``.
    logged_at
        The instant stamped on every row (default: now, UTC).
    extra_tags
        Tags added to every row; the context's own facts and tags win on a clash.

    Returns
    -------
    list[LogRow]
        One row per step in execution order, and a ``run`` row when the run has no steps or
        ``report.error`` is set. Every row owns its ``tags`` dict and ``rule_results`` list:
        changing one row changes no other.

    Notes
    -----
    Nothing process-wide is touched: the garbage collector runs as the caller left it.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from sparkforge.models import PipelineReport, RunMode, RunStatus
    >>> t = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    >>> report = PipelineReport(run_id="r1", pipeline_name="orders", mode=RunMode.INITIAL,
    ...     status=RunStatus.SUCCESS, started_at=t, ended_at=t)
    >>> [(row["row_kind"], row["run_date"].isoformat()) for row in rows_from_report(report)]
    [('run', '2026-01-02')]
    """
    context = execution_context if execution_context is not None else report.context
    tags: dict[str, str] = dict(extra_tags or {})
    if context is not None:
        tags.update(context.facts())
    stamp = _utc(logged_at) or utc_now()
    run_started = _utc(report.started_at)
    run_ended = _utc(report.ended_at)
    run_date = run_started.date() if run_started is not None else None
    return _rows(report, tags, stamp, run_started, run_ended, run_date)


def _rows(
    report: PipelineReport,
    tags: dict[str, str],
    stamp: datetime,
    run_started: datetime | None,
    run_ended: datetime | None,
    run_date: date | None,
) -> list[LogRow]:
    """Build the rows: copies of one run-level row, the step's fields set in each copy.

    Why so (measured on CPython 3.11; elsewhere this is just correct):

    - Copying a dict of 32 keys and setting 19 of them costs less than half of a 32-key
      literal, which the compiler builds one insertion at a time, resizing as it grows.
    - A dict holding a dict or a list is tracked by the cyclic garbage collector, and the
      collections that the loop's own allocations start would rescan every row built so
      far. A dict holding only str, int, float, datetime, date and None stays untracked, so
      each row gets its ``rule_results`` list and ``tags`` dict only after the loop: while
      it runs, the collector sees the small rule lists and none of the rows. That second
      loop allocates nothing, so no collection starts before the rows are complete; they are
      then tracked like any dict. Nothing process-wide (the collector's state) is touched.
    """
    template: LogRow = {
        "run_mode": _value(report.mode),
        "run_started_at": run_started,
        "run_ended_at": run_ended,
        "phase": None,
        "step": None,
        "start_time": None,
        "end_time": None,
        "table_fqn": None,
        "write_mode": None,
        "input_rows": None,
        "output_rows": None,
        "rows_written": None,
        "valid_rows": None,
        "invalid_rows": None,
        "validation_rate": None,
        "previous_watermark": None,
        "filtered_rows": None,
        "run_id": report.run_id,
        "pipeline_name": report.pipeline_name,
        "run_status": _value(report.status),
        "run_date": run_date,
        "row_kind": "step",
        "step_index": None,
        "step_status": None,
        "duration_secs": None,
        "rule_results": None,  # type: ignore[typeddict-item]  # each row's own, set below
        "error_type": None,
        "error_message": None,
        "tags": None,  # type: ignore[typeddict-item]  # each row's own, set below
        "logged_at": stamp,
        "schema_version": LOG_SCHEMA_VERSION,
        "writer_version": __version__,
    }
    new_row = template.copy
    rows: list[LogRow] = []
    append = rows.append
    # Each row owns its tags and rule results: changing one row changes no other.
    rule_lists: list[list[RuleResultRow]] = []
    add_rules = rule_lists.append
    row_tags: list[dict[str, str]] = []
    add_tags = row_tags.append
    copy_tags = tags.copy
    text = _TEXT.get
    # Step instants keep their own offset: they are aware, so Spark stores the same instant.
    for index, step in enumerate(report.steps):
        row = new_row()
        row["phase"] = text(step.phase, step.phase)
        row["step"] = step.step_name
        row["start_time"] = step.started_at
        row["end_time"] = step.ended_at
        row["table_fqn"] = step.table_fqn
        write_mode = step.write_mode
        if write_mode is not None:
            row["write_mode"] = text(write_mode, write_mode)
        row["input_rows"] = step.input_rows
        row["output_rows"] = step.output_rows
        row["rows_written"] = step.rows_written
        row["valid_rows"] = step.valid_rows
        row["invalid_rows"] = step.invalid_rows
        # ints are valid here, but Spark stores a Python int given for a DOUBLE as NULL.
        rate = step.validation_rate
        if rate is not None:
            row["validation_rate"] = float(rate)
        row["previous_watermark"] = step.previous_watermark
        row["filtered_rows"] = step.filtered_rows
        row["step_index"] = index
        row["step_status"] = text(step.status, step.status)
        duration = step.duration_secs
        if duration is not None:
            row["duration_secs"] = float(duration)
        error = step.error
        if error is not None:
            row["error_type"] = error.type
            row["error_message"] = error.message
        rule_list: list[RuleResultRow] = []
        # A plain loop: in CPython 3.11 a comprehension costs a function call per step.
        for r in step.rule_results:
            rule_list.append({"rule": r.rule, "column": r.column, "failed_rows": r.failed_rows})
        add_rules(rule_list)
        add_tags(copy_tags())
        append(row)
    # No allocation from here to the end of the loop, so no collection can start in it.
    for row, rule_list, own_tags in zip(rows, rule_lists, row_tags, strict=True):
        row["rule_results"] = rule_list
        row["tags"] = own_tags
    if not report.steps or report.error is not None:
        row = new_row()
        row["row_kind"] = "run"
        row["rule_results"] = []
        row["tags"] = copy_tags()
        if report.error is not None:
            row["error_type"] = report.error.type
            row["error_message"] = report.error.message
        append(row)
    return rows
