"""The log table's schema (version 1), its row type, and report -> rows.

One row per step per run (``row_kind = "step"``), and one ``row_kind = "run"`` row for a run
that has no steps or failed outside any step, so failed runs are never invisible. The legacy
columns come first with their names and meanings, counts widened to BIGINT and the rate to
DOUBLE; the new columns follow. Everything here is pure Python: :func:`rows_from_report` and
:func:`report_problems` need no JVM (``pyspark.sql.types`` is plain Python).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from enum import Enum
from typing import TYPE_CHECKING, TypedDict

from pyspark.sql import types as T

from sparkforge._version import __version__
from sparkforge.errors import Problem
from sparkforge.models import (
    ErrorInfo,
    ExecutionContext,
    Phase,
    PipelineReport,
    RuleResult,
    RunMode,
    RunStatus,
    StepResult,
    StepStatus,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sparkforge.writer.exceptions import WriterError

__all__ = [
    "DataQualityCheck",
    "DataQualityResult",
    "LOG_COLUMNS",
    "LOG_SCHEMA",
    "LOG_SCHEMA_VERSION",
    "LogRow",
    "report_problems",
    "REQUIRED_COLUMNS",
    "row_to_tuple",
    "rows_from_report",
    "RuleResultRow",
    "WriteResult",
    "WriterMetrics",
]

#: The version of :data:`LOG_SCHEMA`, stored in every row's ``schema_version``.
LOG_SCHEMA_VERSION = 1

_MAX_BIGINT = 2**63 - 1
_MAX_ID_LENGTH = 256
_RATE_TOLERANCE = 0.01  # percentage points: producers may round the rate they report
# Spark writes TIMESTAMP columns as Parquet INT96, which other readers (pyarrow, delta-rs,
# DataFusion, pandas) decode through int64 nanoseconds: only instants in this window survive.
_MIN_INSTANT = datetime(1677, 9, 22, tzinfo=timezone.utc)
_MAX_INSTANT = datetime(2262, 4, 11, tzinfo=timezone.utc)


class RuleResultRow(TypedDict):
    """One element of a row's ``rule_results``."""

    rule: str
    column: str | None
    failed_rows: int


class LogRow(TypedDict):
    """One row of the log table; keys and order are those of :data:`LOG_SCHEMA`."""

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
    member: str(member.value) for enum in (Phase, StepStatus) for member in enum
}


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is timezone.utc:
        return moment
    return moment.astimezone(timezone.utc)


def _in_utc(moment: datetime | None) -> datetime:
    # Compare instants in UTC: Python compares two datetimes sharing a tzinfo by wall time, so
    # a step across a DST fall-back (same ZoneInfo, fold 0 then 1) would seem to end first.
    return moment.astimezone(timezone.utc)  # type: ignore[union-attr]


def _show(value: object) -> str:
    # repr() of an int past sys.get_int_max_str_digits() raises ValueError; the checks must not.
    try:
        return repr(value)
    except ValueError:
        return f"<{type(value).__name__}>"


@contextmanager
def _collector_paused() -> Iterator[None]:
    # Building many small dicts triggers the cyclic garbage collector over and over, which
    # halves the throughput; rows hold no reference cycles, so nothing is lost by pausing it.
    # The previous state is restored, so a caller that disabled it keeps it disabled.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


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
        The run's report. It is not checked here: see :func:`report_problems`.
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
        ``report.error`` is set.

    Notes
    -----
    The cyclic garbage collector is paused while the rows are built (the rows hold no cycles);
    this doubles the throughput on large reports.

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
    stamp = _utc(logged_at) or datetime.now(timezone.utc)
    run_started = _utc(report.started_at)
    run_ended = _utc(report.ended_at)
    run_date = run_started.date() if run_started is not None else None
    with _collector_paused():
        return _rows(report, tags, stamp, run_started, run_ended, run_date)


def _rows(
    report: PipelineReport,
    tags: dict[str, str],
    stamp: datetime,
    run_started: datetime | None,
    run_ended: datetime | None,
    run_date: date | None,
) -> list[LogRow]:
    run_id = report.run_id
    pipeline = report.pipeline_name
    mode = _value(report.mode)
    status = _value(report.status)
    rows: list[LogRow] = []
    append = rows.append
    text = _TEXT.get
    # Step instants keep their own offset: they are aware, so Spark stores the same instant.
    for index, step in enumerate(report.steps):
        error = step.error
        rules = step.rule_results
        # ints are valid here, but Spark stores a Python int given for a DOUBLE as NULL.
        rate = step.validation_rate
        duration = step.duration_secs
        append(
            {
                "run_mode": mode,
                "run_started_at": run_started,
                "run_ended_at": run_ended,
                "phase": text(step.phase, step.phase),
                "step": step.step_name,
                "start_time": step.started_at,
                "end_time": step.ended_at,
                "table_fqn": step.table_fqn,
                "write_mode": step.write_mode,
                "input_rows": step.input_rows,
                "output_rows": step.output_rows,
                "rows_written": step.rows_written,
                "valid_rows": step.valid_rows,
                "invalid_rows": step.invalid_rows,
                "validation_rate": None if rate is None else float(rate),
                "previous_watermark": step.previous_watermark,
                "filtered_rows": step.filtered_rows,
                "run_id": run_id,
                "pipeline_name": pipeline,
                "run_status": status,
                "run_date": run_date,
                "row_kind": "step",
                "step_index": index,
                "step_status": text(step.status, step.status),
                "duration_secs": None if duration is None else float(duration),
                "rule_results": [
                    {"rule": r.rule, "column": r.column, "failed_rows": r.failed_rows}
                    for r in rules
                ]
                if rules
                else [],
                "error_type": None if error is None else error.type,
                "error_message": None if error is None else error.message,
                "tags": tags,
                "logged_at": stamp,
                "schema_version": LOG_SCHEMA_VERSION,
                "writer_version": __version__,
            }
        )
    if not report.steps or report.error is not None:
        error = report.error
        append(
            {
                "run_mode": mode,
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
                "run_id": run_id,
                "pipeline_name": pipeline,
                "run_status": status,
                "run_date": run_date,
                "row_kind": "run",
                "step_index": None,
                "step_status": None,
                "duration_secs": None,
                "rule_results": [],
                "error_type": None if error is None else error.type,
                "error_message": None if error is None else error.message,
                "tags": tags,
                "logged_at": stamp,
                "schema_version": LOG_SCHEMA_VERSION,
                "writer_version": __version__,
            }
        )
    return rows


def row_to_tuple(row: LogRow) -> tuple[object, ...]:
    """Return ``row``'s values in :data:`LOG_SCHEMA` order (what ``createDataFrame`` takes)."""
    return tuple(row[name] for name in LOG_COLUMNS)  # type: ignore[literal-required]


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteResult:
    """What one ``write_report`` / ``write_reports`` call did.

    Parameters
    ----------
    run_ids
        The runs given, in order.
    written_run_ids
        The runs this call committed.
    skipped_run_ids
        The runs already in the log (a retry): nothing was added for them.
    rows_written
        Rows committed, as counted by Delta in the commits' metrics.
    table_versions
        The table version of each commit this call made.
    duration_secs
        Seconds the call took, from a monotonic clock.
    error
        Why the call failed (only with ``on_failure="warn"``; otherwise it raised). Runs in
        ``written_run_ids`` committed before the failure.
    """

    run_ids: tuple[str, ...]
    written_run_ids: tuple[str, ...] = ()
    skipped_run_ids: tuple[str, ...] = ()
    rows_written: int = 0
    table_versions: tuple[int, ...] = ()
    duration_secs: float = 0.0
    error: WriterError | None = None

    @property
    def success(self) -> bool:
        """Whether the call did everything it was asked to."""
        return self.error is None

    @property
    def run_id(self) -> str:
        """The run of a single-report write."""
        if len(self.run_ids) != 1:
            raise ValueError(f"this result covers {len(self.run_ids)} runs; see run_ids")
        return self.run_ids[0]

    @property
    def table_version(self) -> int | None:
        """The version of the last commit made, or None when nothing was committed."""
        return self.table_versions[-1] if self.table_versions else None

    @property
    def skipped(self) -> bool:
        """Whether every run given was already in the log, so nothing was written."""
        return bool(self.run_ids) and len(self.skipped_run_ids) == len(self.run_ids)

    @property
    def commits(self) -> int:
        """How many Delta commits the call made."""
        return len(self.table_versions)


@dataclass(frozen=True, slots=True, kw_only=True)
class WriterMetrics:
    """What a writer measured over its lifetime (see ``enable_performance_monitoring``).

    The counts are always kept; the timing and memory figures only while monitoring is on
    (they are ``None`` otherwise).
    """

    monitoring_enabled: bool
    writes: int
    failed_writes: int
    runs_written: int
    runs_skipped: int
    rows_written: int
    commits: int
    total_duration_secs: float | None
    mean_duration_secs: float | None
    max_duration_secs: float | None
    rows_per_sec: float | None
    peak_memory_growth_bytes: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DataQualityCheck:
    """One data-quality check over the log table and how many rows fail it."""

    name: str
    description: str
    failed_rows: int

    @property
    def passed(self) -> bool:
        """Whether no row fails the check."""
        return self.failed_rows == 0


@dataclass(frozen=True, slots=True, kw_only=True)
class DataQualityResult:
    """The result of :meth:`~sparkforge.writer.LogWriter.validate_data_quality`."""

    total_rows: int
    checks: tuple[DataQualityCheck, ...]

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return all(check.passed for check in self.checks)

    @property
    def failures(self) -> dict[str, int]:
        """Failed rows per failing check."""
        return {check.name: check.failed_rows for check in self.checks if not check.passed}


# --------------------------------------------------------------------------- input checks


class _Checker:
    """Collect the problems of one report, each with its field path."""

    def __init__(self, *, consistency: bool) -> None:
        self.consistency = consistency
        self.problems: list[Problem] = []

    def add(self, path: str, reason: str) -> None:
        self.problems.append(Problem(path, reason))

    def text(
        self,
        path: str,
        value: object,
        *,
        optional: bool = False,
        limit: int = 0,
        allow_blank: bool = False,
    ) -> None:
        if value is None:
            if not optional:
                self.add(path, "is required")
            return
        if not isinstance(value, str):
            self.add(path, f"expected a string, got {type(value).__name__}")
            return
        if not allow_blank and not value.strip():
            self.add(path, "must not be empty")
        if limit and len(value) > limit:
            self.add(path, f"longer than {limit} characters")
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                self.add(path, "is not valid Unicode (it holds a lone surrogate)")

    def enum(self, path: str, value: object, enum_type: type[Enum]) -> bool:
        if isinstance(value, enum_type):
            return True
        try:
            enum_type(value)
        except (ValueError, TypeError):
            allowed = ", ".join(str(m.value) for m in enum_type)
            self.add(path, f"expected one of {allowed}, got {_show(value)}")
            return False
        return True

    def instant(self, path: str, value: object, *, optional: bool = False) -> bool:
        if value is None:
            if not optional:
                self.add(path, "is required")
            return False
        if not isinstance(value, datetime):
            self.add(path, f"expected a datetime, got {type(value).__name__}")
            return False
        if value.tzinfo is None or value.utcoffset() is None:
            self.add(path, "is a naive datetime; instants must be timezone-aware")
            return False
        try:
            utc = value.astimezone(timezone.utc)
        except (OverflowError, ValueError):
            self.add(path, "is out of the range of a UTC timestamp")
            return False
        if not _MIN_INSTANT <= utc < _MAX_INSTANT:
            self.add(path, "is outside 1677-09-22 .. 2262-04-11 UTC (what Delta readers decode)")
            return False
        return True

    def count(self, path: str, value: object) -> bool:
        if value is None:
            return False
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, f"expected an integer count, got {type(value).__name__}")
            return False
        if value < 0:
            self.add(path, f"must be >= 0, got {_show(value)}")
            return False
        if value > _MAX_BIGINT:
            self.add(path, "is larger than a BIGINT holds")
            return False
        return True

    def number(self, path: str, value: object, *, low: float, high: float | None) -> bool:
        if value is None:
            return False
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.add(path, f"expected a number, got {type(value).__name__}")
            return False
        try:
            finite = math.isfinite(value)
        except OverflowError:  # an int no DOUBLE holds
            finite = False
        if not finite:
            self.add(path, f"must be finite, got {_show(value)}")
            return False
        if value < low or (high is not None and value > high):
            bounds = f"{low:g}-{high:g}" if high is not None else f">= {low:g}"
            self.add(path, f"must be within {bounds}, got {_show(value)}")
            return False
        return True

    def error(self, path: str, value: object) -> None:
        if value is None:
            return
        if not isinstance(value, ErrorInfo):
            self.add(path, f"expected an ErrorInfo, got {type(value).__name__}")
            return
        self.text(f"{path}.type", value.type)
        self.text(f"{path}.message", value.message, optional=True, allow_blank=True)

    def step(self, path: str, step: object, run_window: tuple[datetime, datetime] | None) -> None:
        if not isinstance(step, StepResult):
            self.add(path, f"expected a StepResult, got {type(step).__name__}")
            return
        self.text(f"{path}.step_name", step.step_name)
        self.enum(f"{path}.phase", step.phase, Phase)
        status_ok = self.enum(f"{path}.status", step.status, StepStatus)
        skipped = status_ok and _value(step.status) == StepStatus.SKIPPED.value
        start_ok = self.instant(f"{path}.started_at", step.started_at, optional=skipped)
        end_ok = self.instant(f"{path}.ended_at", step.ended_at, optional=skipped)
        if step.duration_secs is None and not skipped:
            self.add(f"{path}.duration_secs", "is required for a step that ran")
        self.number(f"{path}.duration_secs", step.duration_secs, low=0.0, high=None)
        self.text(f"{path}.table_fqn", step.table_fqn, optional=True)
        if step.write_mode is not None and step.write_mode not in ("append", "overwrite"):
            self.add(
                f"{path}.write_mode", f"expected append or overwrite, got {_show(step.write_mode)}"
            )
        counts = {}
        for name in (
            "input_rows",
            "output_rows",
            "rows_written",
            "valid_rows",
            "invalid_rows",
            "filtered_rows",
        ):
            value = getattr(step, name)
            counts[name] = value if self.count(f"{path}.{name}", value) else None
        rate = step.validation_rate
        rate_ok = self.number(f"{path}.validation_rate", rate, low=0.0, high=100.0)
        self.instant(f"{path}.previous_watermark", step.previous_watermark, optional=True)
        rules: object = step.rule_results
        if not isinstance(rules, (tuple, list)):
            self.add(f"{path}.rule_results", f"expected a tuple, got {type(rules).__name__}")
            rules = ()
        failed_per_rule: list[int] = []
        for i, item in enumerate(rules):
            where = f"{path}.rule_results[{i}]"
            rule: object = item
            if not isinstance(rule, RuleResult):
                self.add(where, f"expected a RuleResult, got {type(rule).__name__}")
                continue
            self.text(f"{where}.rule", rule.rule)
            self.text(f"{where}.column", rule.column, optional=True)
            if self.count(f"{where}.failed_rows", rule.failed_rows):
                failed_per_rule.append(rule.failed_rows)
            elif getattr(rule, "failed_rows", None) is None:
                self.add(f"{where}.failed_rows", "is required")
        self.error(f"{path}.error", step.error)
        if not self.consistency:
            return
        # Cross-field checks: each is a fact that holds for any correctly measured step.
        if start_ok and end_ok and _in_utc(step.ended_at) < _in_utc(step.started_at):
            self.add(f"{path}.ended_at", "is before started_at")
        if start_ok and run_window is not None and _in_utc(step.started_at) < run_window[0]:
            self.add(f"{path}.started_at", "is before the run started")
        if end_ok and run_window is not None and _in_utc(step.ended_at) > run_window[1]:
            self.add(f"{path}.ended_at", "is after the run ended")
        valid, invalid = counts["valid_rows"], counts["invalid_rows"]
        output, input_rows = counts["output_rows"], counts["input_rows"]
        if (valid is None) != (invalid is None):
            self.add(f"{path}.invalid_rows", "valid_rows and invalid_rows come together")
        if valid is not None and invalid is not None:
            if output is not None and valid + invalid != output:
                self.add(
                    f"{path}.valid_rows",
                    f"valid_rows + invalid_rows ({valid} + {invalid}) != output_rows ({output})",
                )
            if rate_ok and rate is not None:
                total = valid + invalid
                expected = 100.0 * valid / total if total else 100.0
                if abs(rate - expected) > _RATE_TOLERANCE:
                    self.add(
                        f"{path}.validation_rate",
                        f"{rate!r} does not match valid_rows / (valid_rows + invalid_rows) "
                        f"= {expected:.4f}",
                    )
            if failed_per_rule and invalid > sum(failed_per_rule):
                self.add(
                    f"{path}.invalid_rows",
                    "more invalid rows than rule failures: every invalid row fails a rule",
                )
            if failed_per_rule and max(failed_per_rule) > invalid:
                self.add(
                    f"{path}.rule_results",
                    "a rule failed more rows than are invalid: a row failing a rule is invalid",
                )
        elif rate is not None:
            self.add(f"{path}.validation_rate", "is set but valid_rows/invalid_rows are not")
        filtered = counts["filtered_rows"]
        if filtered is not None and input_rows is not None and filtered > input_rows:
            self.add(f"{path}.filtered_rows", "is larger than input_rows")
        if status_ok and _value(step.status) == StepStatus.FAILED.value and step.error is None:
            self.add(f"{path}.error", "a failed step must say why")


def report_problems(
    report: object,
    execution_context: object = None,
    *,
    consistency: bool = True,
) -> list[Problem]:
    """Check a report before it is logged; return every problem found (empty: loggable).

    Parameters
    ----------
    report
        What the caller passed as a report.
    execution_context
        What the caller passed as the execution context, if anything.
    consistency
        Also run the cross-field checks (valid + invalid = output rows, the rate matches the
        counts, end not before start, steps within the run, a failed run or step says why).
        The type and range checks always run.

    Returns
    -------
    list[Problem]
        Every problem, each with its field path (``steps[3].valid_rows``).

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> from sparkforge.models import PipelineReport, RunMode, RunStatus
    >>> t = datetime(2026, 1, 2, tzinfo=timezone.utc)
    >>> bad = PipelineReport(run_id="", pipeline_name="p", mode=RunMode.INITIAL,
    ...     status=RunStatus.SUCCESS, started_at=t, ended_at=t - timedelta(seconds=1))
    >>> [str(p) for p in report_problems(bad)]
    ['run_id: must not be empty', 'ended_at: is before started_at']
    """
    check = _Checker(consistency=consistency)
    if not isinstance(report, PipelineReport):
        check.add("<report>", f"expected a PipelineReport, got {type(report).__name__}")
        return check.problems
    run_id: object = report.run_id
    check.text("run_id", run_id, limit=_MAX_ID_LENGTH)
    if isinstance(run_id, str) and any(ord(c) < 32 for c in run_id):
        check.add("run_id", "must not contain control characters")
    check.text("pipeline_name", report.pipeline_name)
    check.enum("mode", report.mode, RunMode)
    status_ok = check.enum("status", report.status, RunStatus)
    start_ok = check.instant("started_at", report.started_at)
    end_ok = check.instant("ended_at", report.ended_at)
    window = None
    if start_ok and end_ok:
        window = (_in_utc(report.started_at), _in_utc(report.ended_at))
        if consistency and window[1] < window[0]:
            check.add("ended_at", "is before started_at")
            window = None
    check.error("error", report.error)
    _check_context(check, report, execution_context)
    steps: object = report.steps
    if not isinstance(steps, (tuple, list)):
        check.add("steps", f"expected a tuple of StepResult, got {type(steps).__name__}")
        return check.problems
    seen: set[str] = set()
    for i, step in enumerate(steps):
        check.step(f"steps[{i}]", step, window)
        name = getattr(step, "step_name", None)
        if isinstance(name, str):
            if name in seen:
                check.add(f"steps[{i}].step_name", f"duplicate step name {name!r} in the run")
            seen.add(name)
    if consistency and status_ok:
        # == on the str enum, not _value(): str() of a huge int raises, of a bad value misleads.
        failed = any(getattr(s, "status", None) == StepStatus.FAILED for s in steps)
        succeeded = _value(report.status) == RunStatus.SUCCESS.value
        if succeeded and (failed or report.error is not None):
            check.add("status", "is success, but a step or the run failed")
        if not succeeded and not failed and report.error is None:
            check.add("status", "is failed, but no step failed and the run has no error")
    return check.problems


def _check_context(check: _Checker, report: PipelineReport, given: object) -> None:
    for path, context in (("context", report.context), ("execution_context", given)):
        if context is None:
            continue
        if not isinstance(context, ExecutionContext):
            check.add(path, f"expected an ExecutionContext, got {type(context).__name__}")
            continue
        if context.run_id != report.run_id:
            check.add(f"{path}.run_id", f"{_show(context.run_id)} is not the report's run_id")
        if context.pipeline_name != report.pipeline_name:
            check.add(f"{path}.pipeline_name", "is not the report's pipeline_name")
        tags: object = context.tags
        if not isinstance(tags, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in tags.items()
        ):
            check.add(f"{path}.tags", "must map strings to strings")
        else:
            for key, value in tags.items():  # Spark would turn a lone surrogate into U+FFFD
                check.text(f"{path}.tags", key, optional=True, allow_blank=True)
                check.text(f"{path}.tags", value, optional=True, allow_blank=True)
        for fact in ("spark_version", "app_id", "user", "host"):
            check.text(f"{path}.{fact}", getattr(context, fact), optional=True, allow_blank=True)
