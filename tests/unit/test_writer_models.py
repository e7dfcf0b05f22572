"""Unit tests of ``sparkforge.writer.models``: the log schema, report -> rows, report checks.

No JVM: ``pyspark.sql.types`` is plain Python, and nothing here builds a DataFrame.
"""

from __future__ import annotations

import dataclasses
import gc
import math
import sys
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyspark.sql import types as T

from sparkforge._version import __version__
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
    WriteMode,
)
from sparkforge.writer.models import (
    LOG_COLUMNS,
    LOG_SCHEMA,
    LOG_SCHEMA_VERSION,
    REQUIRED_COLUMNS,
    LogRow,
    report_problems,
    rows_from_report,
)
from tests.factories import BASE_TIME, make_failed_before_steps, make_report, make_step

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sparkforge.errors import Problem


@pytest.fixture(autouse=True)
def _no_jvm_started() -> Iterator[None]:
    """Fail any test here that starts a SparkContext (unit tests never start a JVM)."""
    from pyspark import SparkContext

    before = SparkContext._active_spark_context
    yield
    assert SparkContext._active_spark_context is before


# --------------------------------------------------------------------------- the schema

#: The legacy log's columns, in the legacy order (see docs/legacy.md).
LEGACY_COLUMNS = (
    "run_mode",
    "run_started_at",
    "run_ended_at",
    "phase",
    "step",
    "start_time",
    "end_time",
    "table_fqn",
    "write_mode",
    "input_rows",
    "output_rows",
    "rows_written",
    "valid_rows",
    "invalid_rows",
    "validation_rate",
    "previous_watermark",
    "filtered_rows",
)

_STRING = T.StringType()
_BIGINT = T.LongType()
_TIMESTAMP = T.TimestampType()

#: Every column's type, written out independently of the module under test.
EXPECTED_TYPES: dict[str, T.DataType] = {
    "run_mode": _STRING,
    "run_started_at": _TIMESTAMP,
    "run_ended_at": _TIMESTAMP,
    "phase": _STRING,
    "step": _STRING,
    "start_time": _TIMESTAMP,
    "end_time": _TIMESTAMP,
    "table_fqn": _STRING,
    "write_mode": _STRING,
    "input_rows": _BIGINT,
    "output_rows": _BIGINT,
    "rows_written": _BIGINT,
    "valid_rows": _BIGINT,
    "invalid_rows": _BIGINT,
    "validation_rate": T.DoubleType(),
    "previous_watermark": _TIMESTAMP,
    "filtered_rows": _BIGINT,
    "run_id": _STRING,
    "pipeline_name": _STRING,
    "run_status": _STRING,
    "run_date": T.DateType(),
    "row_kind": _STRING,
    "step_index": T.IntegerType(),
    "step_status": _STRING,
    "duration_secs": T.DoubleType(),
    "rule_results": T.ArrayType(
        T.StructType(
            [
                T.StructField("rule", _STRING, True),
                T.StructField("column", _STRING, True),
                T.StructField("failed_rows", _BIGINT, True),
            ]
        ),
        True,
    ),
    "error_type": _STRING,
    "error_message": _STRING,
    "tags": T.MapType(_STRING, _STRING, True),
    "logged_at": _TIMESTAMP,
    "schema_version": T.IntegerType(),
    "writer_version": _STRING,
}

#: The NOT NULL columns: those every row has, rows migrated from the legacy log included.
NOT_NULL_COLUMNS = frozenset(
    {
        "run_mode",
        "run_id",
        "pipeline_name",
        "run_status",
        "row_kind",
        "rule_results",
        "tags",
        "logged_at",
        "schema_version",
        "writer_version",
    }
)

#: The Python type a row holds for each Spark type.
PYTHON_TYPES: dict[type[T.DataType], type] = {
    T.StringType: str,
    T.LongType: int,
    T.IntegerType: int,
    T.DoubleType: float,
    T.TimestampType: datetime,
    T.DateType: date,
    T.ArrayType: list,
    T.MapType: dict,
}


def test_log_schema_starts_with_the_legacy_columns_in_legacy_order() -> None:
    assert LOG_SCHEMA.fieldNames()[: len(LEGACY_COLUMNS)] == list(LEGACY_COLUMNS)


def test_log_schema_has_exactly_the_expected_columns_once() -> None:
    assert sorted(LOG_SCHEMA.fieldNames()) == sorted(EXPECTED_TYPES)
    assert len(set(LOG_SCHEMA.fieldNames())) == len(LOG_SCHEMA.fields)
    assert tuple(LOG_SCHEMA.fieldNames()) == LOG_COLUMNS


@pytest.mark.parametrize("name", list(EXPECTED_TYPES), ids=list(EXPECTED_TYPES))
def test_log_schema_column_has_its_type(name: str) -> None:
    assert LOG_SCHEMA[name].dataType == EXPECTED_TYPES[name]


def test_log_schema_counts_are_bigint_and_the_rate_double() -> None:
    counts = [
        "input_rows",
        "output_rows",
        "rows_written",
        "valid_rows",
        "invalid_rows",
        "filtered_rows",
    ]
    assert all(isinstance(LOG_SCHEMA[n].dataType, T.LongType) for n in counts)
    assert isinstance(LOG_SCHEMA["validation_rate"].dataType, T.DoubleType)


def test_log_schema_not_null_exactly_on_the_documented_columns() -> None:
    assert {f.name for f in LOG_SCHEMA.fields if not f.nullable} == NOT_NULL_COLUMNS


def test_log_schema_required_columns_cover_the_not_null_ones() -> None:
    assert set(REQUIRED_COLUMNS) <= set(LOG_COLUMNS)
    assert set(REQUIRED_COLUMNS) >= NOT_NULL_COLUMNS
    assert len(set(REQUIRED_COLUMNS)) == len(REQUIRED_COLUMNS)


def test_log_schema_every_column_has_a_comment() -> None:
    missing = [f.name for f in LOG_SCHEMA.fields if not f.metadata.get("comment", "").strip()]
    assert missing == []


def test_log_row_keys_are_the_log_columns_in_order() -> None:
    assert tuple(typing.get_type_hints(LogRow)) == LOG_COLUMNS
    assert tuple(LogRow.__annotations__) == LOG_COLUMNS
    assert LogRow.__required_keys__ == frozenset(LOG_COLUMNS)


@pytest.mark.parametrize("name", list(EXPECTED_TYPES), ids=list(EXPECTED_TYPES))
def test_log_row_type_matches_the_schema_column(name: str) -> None:
    hint = typing.get_type_hints(LogRow)[name]
    union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    args = typing.get_args(hint) if union else (hint,)
    optional = type(None) in args
    [base] = [a for a in args if a is not type(None)]
    field = LOG_SCHEMA[name]
    assert optional == field.nullable
    assert (typing.get_origin(base) or base) is PYTHON_TYPES[type(field.dataType)]


# --------------------------------------------------------------------------- rows_from_report

LOGGED_AT = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def _text(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def _float(value: object) -> object:
    return None if value is None else float(cast("float", value))


def _expected_rows(
    report: PipelineReport,
    context: ExecutionContext | None = None,
    *,
    logged_at: datetime = LOGGED_AT,
    extra_tags: dict[str, str] | None = None,
) -> list[dict[str, object]]:
    """Spell out, field by field, the rows a report must give."""
    ctx = context if context is not None else report.context
    tags = {**(extra_tags or {}), **(ctx.facts() if ctx is not None else {})}
    run: dict[str, object] = {
        "run_mode": _text(report.mode),
        "run_started_at": report.started_at,
        "run_ended_at": report.ended_at,
        "run_id": report.run_id,
        "pipeline_name": report.pipeline_name,
        "run_status": _text(report.status),
        "run_date": report.started_at.astimezone(timezone.utc).date(),
        "tags": tags,
        "logged_at": logged_at,
        "schema_version": LOG_SCHEMA_VERSION,
        "writer_version": __version__,
    }
    rows: list[dict[str, object]] = []
    for index, step in enumerate(report.steps):
        row = dict.fromkeys(LOG_COLUMNS)
        row.update(run)
        row.update(
            phase=_text(step.phase),
            step=step.step_name,
            start_time=step.started_at,
            end_time=step.ended_at,
            table_fqn=step.table_fqn,
            write_mode=step.write_mode,
            input_rows=step.input_rows,
            output_rows=step.output_rows,
            rows_written=step.rows_written,
            valid_rows=step.valid_rows,
            invalid_rows=step.invalid_rows,
            validation_rate=_float(step.validation_rate),
            previous_watermark=step.previous_watermark,
            filtered_rows=step.filtered_rows,
            row_kind="step",
            step_index=index,
            step_status=_text(step.status),
            duration_secs=_float(step.duration_secs),
            rule_results=[
                {"rule": r.rule, "column": r.column, "failed_rows": r.failed_rows}
                for r in step.rule_results
            ],
            error_type=None if step.error is None else step.error.type,
            error_message=None if step.error is None else step.error.message,
        )
        rows.append(row)
    if not report.steps or report.error is not None:
        row = dict.fromkeys(LOG_COLUMNS)
        row.update(run)
        row.update(
            row_kind="run",
            rule_results=[],
            error_type=None if report.error is None else report.error.type,
            error_message=None if report.error is None else report.error.message,
        )
        rows.append(row)
    return rows


def _assert_rows(rows: list[LogRow], expected: list[dict[str, object]]) -> None:
    assert [tuple(row) for row in rows] == [LOG_COLUMNS] * len(expected)
    assert [dict(row) for row in rows] == expected
    for row in rows:
        # Equal instants, stored as UTC (whatever offset the report used).
        for name in ("run_started_at", "run_ended_at", "logged_at"):
            moment = row[name]
            assert moment is None or moment.utcoffset() == timedelta(0), name
        for name in ("run_mode", "run_status", "row_kind", "phase", "step_status"):
            value = row[name]  # type: ignore[literal-required]
            assert value is None or type(value) is str, name
        for name in ("validation_rate", "duration_secs"):
            value = row[name]  # type: ignore[literal-required]
            assert value is None or type(value) is float, name


def _with(obj: typing.Any, **changes: object) -> typing.Any:
    """Return a copy of a frozen model with fields set, bypassing its declared types."""
    copy = dataclasses.replace(obj)
    for name, value in changes.items():
        object.__setattr__(copy, name, value)
    return copy


def test_rows_from_report_one_row_per_step_in_order() -> None:
    report = make_report(4)
    rows = rows_from_report(report, logged_at=LOGGED_AT)
    assert [row["step"] for row in rows] == ["step_0", "step_1", "step_2", "step_3"]
    assert [row["step_index"] for row in rows] == [0, 1, 2, 3]
    assert {row["row_kind"] for row in rows} == {"step"}
    _assert_rows(rows, _expected_rows(report))


def test_rows_from_report_copies_every_step_field() -> None:
    started = datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=timezone(timedelta(hours=-3)))
    step = StepResult(
        step_name="orders_clean",
        phase=Phase.SILVER,
        status=StepStatus.FAILED,
        started_at=started,
        ended_at=started + timedelta(seconds=12),
        duration_secs=11.5,
        table_fqn="lake.orders_clean",
        write_mode="overwrite",
        input_rows=1_000,
        output_rows=900,
        rows_written=700,
        valid_rows=700,
        invalid_rows=200,
        validation_rate=100.0 * 700 / 900,
        rule_results=(
            RuleResult(rule="amount_positive", column="amount", failed_rows=150),
            RuleResult(rule="dates_ordered", column=None, failed_rows=60),
        ),
        previous_watermark=datetime(2026, 5, 5, tzinfo=timezone.utc),
        filtered_rows=100,
        error=ErrorInfo(type="StepError", message="write failed", traceback="tb"),
    )
    report = PipelineReport(
        run_id="run-42",
        pipeline_name="orders",
        mode=RunMode.INCREMENTAL,
        status=RunStatus.FAILED,
        started_at=started - timedelta(seconds=1),
        ended_at=started + timedelta(seconds=13),
        steps=(step,),
    )
    [row] = rows_from_report(report, logged_at=LOGGED_AT)
    assert dict(row) == {
        "run_mode": "incremental",
        "run_started_at": datetime(2026, 5, 6, 10, 8, 8, 123456, tzinfo=timezone.utc),
        "run_ended_at": datetime(2026, 5, 6, 10, 8, 22, 123456, tzinfo=timezone.utc),
        "phase": "silver",
        "step": "orders_clean",
        "start_time": datetime(2026, 5, 6, 10, 8, 9, 123456, tzinfo=timezone.utc),
        "end_time": datetime(2026, 5, 6, 10, 8, 21, 123456, tzinfo=timezone.utc),
        "table_fqn": "lake.orders_clean",
        "write_mode": "overwrite",
        "input_rows": 1_000,
        "output_rows": 900,
        "rows_written": 700,
        "valid_rows": 700,
        "invalid_rows": 200,
        "validation_rate": 100.0 * 700 / 900,
        "previous_watermark": datetime(2026, 5, 5, tzinfo=timezone.utc),
        "filtered_rows": 100,
        "run_id": "run-42",
        "pipeline_name": "orders",
        "run_status": "failed",
        "run_date": date(2026, 5, 6),
        "row_kind": "step",
        "step_index": 0,
        "step_status": "failed",
        "duration_secs": 11.5,
        "rule_results": [
            {"rule": "amount_positive", "column": "amount", "failed_rows": 150},
            {"rule": "dates_ordered", "column": None, "failed_rows": 60},
        ],
        "error_type": "StepError",
        "error_message": "write failed",
        "tags": {},
        "logged_at": LOGGED_AT,
        "schema_version": 1,
        "writer_version": __version__,
    }


def test_rows_from_report_skipped_step_has_no_times() -> None:
    base = make_report(2)
    skipped = make_step("late", status=StepStatus.SKIPPED)
    report = dataclasses.replace(base, steps=(*base.steps, skipped))
    rows = rows_from_report(report, logged_at=LOGGED_AT)
    assert (rows[-1]["step_status"], rows[-1]["start_time"], rows[-1]["end_time"]) == (
        "skipped",
        None,
        None,
    )
    assert rows[-1]["duration_secs"] is None
    _assert_rows(rows, _expected_rows(report))


def test_rows_from_report_run_row_when_the_run_has_no_steps() -> None:
    report = dataclasses.replace(make_report(0), status=RunStatus.SUCCESS)
    rows = rows_from_report(report, logged_at=LOGGED_AT)
    assert [row["row_kind"] for row in rows] == ["run"]
    step_columns = [c for c in LEGACY_COLUMNS if not c.startswith("run_")]
    assert [rows[0][c] for c in step_columns] == [None] * len(step_columns)  # type: ignore[literal-required]
    assert (rows[0]["step_index"], rows[0]["step_status"], rows[0]["rule_results"]) == (
        None,
        None,
        [],
    )
    _assert_rows(rows, _expected_rows(report))


def test_rows_from_report_run_row_carries_the_run_error() -> None:
    report = make_failed_before_steps()
    [row] = rows_from_report(report, logged_at=LOGGED_AT)
    assert (row["row_kind"], row["run_status"], row["error_type"], row["error_message"]) == (
        "run",
        "failed",
        "PipelineError",
        "bronze source orders is missing",
    )
    _assert_rows([row], _expected_rows(report))


def test_rows_from_report_run_row_after_the_steps_when_the_run_failed_outside_them() -> None:
    error = ErrorInfo(type="TimeoutError", message="run cancelled")
    report = dataclasses.replace(make_report(2), status=RunStatus.FAILED, error=error)
    rows = rows_from_report(report, logged_at=LOGGED_AT)
    assert [row["row_kind"] for row in rows] == ["step", "step", "run"]
    assert (rows[0]["error_type"], rows[2]["error_type"]) == (None, "TimeoutError")
    _assert_rows(rows, _expected_rows(report))


def test_rows_from_report_no_run_row_when_steps_ran_and_the_run_has_no_error() -> None:
    report = make_report(3, failed_step=1)
    rows = rows_from_report(report, logged_at=LOGGED_AT)
    assert [row["row_kind"] for row in rows] == ["step"] * 3
    assert rows[1]["error_type"] == "ValueError"


def test_rows_from_report_tags_are_context_facts_over_extra_tags() -> None:
    context = ExecutionContext(
        run_id="r1",
        pipeline_name="orders",
        mode=RunMode.INITIAL,
        started_at=BASE_TIME,
        user="ana",
        host="node-1",
        tags={"env": "dev", "host": "tagged-host"},
    )
    report = dataclasses.replace(make_report(1, run_id="r1"), context=context)
    rows = rows_from_report(
        report, logged_at=LOGGED_AT, extra_tags={"env": "prod", "team": "data", "user": "bob"}
    )
    assert rows[0]["tags"] == {
        "env": "dev",
        "team": "data",
        "user": "ana",
        "host": "tagged-host",
    }


def test_rows_from_report_execution_context_replaces_the_report_context() -> None:
    report = make_report(2, tags={"env": "test"})
    given_context = ExecutionContext(
        run_id=report.run_id,
        pipeline_name=report.pipeline_name,
        mode=report.mode,
        started_at=report.started_at,
        app_id="app-7",
        tags={"env": "prod"},
    )
    rows = rows_from_report(report, given_context, logged_at=LOGGED_AT)
    assert [row["tags"] for row in rows] == [{"app_id": "app-7", "env": "prod"}] * 2
    _assert_rows(rows, _expected_rows(report, given_context))


def test_rows_from_report_without_any_context_has_only_extra_tags() -> None:
    report = dataclasses.replace(make_report(1), context=None)
    assert rows_from_report(report)[0]["tags"] == {}
    assert rows_from_report(report, extra_tags={"environment": "ci"})[0]["tags"] == {
        "environment": "ci"
    }


@pytest.mark.parametrize(
    ("utc_instant", "offset", "expected"),
    [
        # 23:30 UTC is 05:00 the next day at +05:30.
        (datetime(2026, 3, 1, 23, 30), timedelta(hours=5, minutes=30), date(2026, 3, 1)),
        # 02:00 UTC is 18:00 the previous day at -08:00.
        (datetime(2026, 3, 1, 2, 0), timedelta(hours=-8), date(2026, 3, 1)),
        # New Year in Kiritimati (+14) is still the old year in UTC.
        (datetime(2025, 12, 31, 10, 0), timedelta(hours=14), date(2025, 12, 31)),
    ],
    ids=["ahead_next_local_day", "behind_previous_local_day", "plus_14_new_year"],
)
def test_rows_from_report_run_date_is_the_utc_date_of_the_start(
    utc_instant: datetime, offset: timedelta, expected: date
) -> None:
    moment = utc_instant.replace(tzinfo=timezone.utc).astimezone(timezone(offset))
    assert moment.date() != expected  # the local date differs, or the test proves nothing
    report = make_report(2, start=moment)
    rows = rows_from_report(report)
    assert [row["run_date"] for row in rows] == [expected, expected]
    assert rows[0]["run_started_at"] == moment
    assert rows[0]["run_started_at"] is not None
    assert rows[0]["run_started_at"].utcoffset() == timedelta(0)


def test_rows_from_report_logged_at_defaults_to_now_in_utc() -> None:
    before = datetime.now(timezone.utc)
    rows = rows_from_report(make_report(2))
    after = datetime.now(timezone.utc)
    stamp = rows[0]["logged_at"]
    assert stamp.utcoffset() == timedelta(0)
    assert before <= stamp <= after
    assert rows[1]["logged_at"] == stamp


def test_rows_from_report_logged_at_given_is_stamped_as_utc() -> None:
    given_at = datetime(2026, 3, 2, 10, 0, tzinfo=timezone(timedelta(hours=2)))
    rows = rows_from_report(make_report(2), logged_at=given_at)
    assert [row["logged_at"] for row in rows] == [given_at, given_at]
    assert all(row["logged_at"].utcoffset() == timedelta(0) for row in rows)


@pytest.mark.parametrize("as_strings", [False, True], ids=["enum_members", "plain_strings"])
def test_rows_from_report_enums_and_plain_strings_give_plain_text(as_strings: bool) -> None:
    report = make_report(2, failed_step=1, mode=RunMode.FULL_REFRESH)
    if as_strings:
        steps = tuple(_with(s, phase=s.phase.value, status=s.status.value) for s in report.steps)
        report = _with(report, mode="full_refresh", status="failed", steps=steps)
        assert type(report.steps[0].phase) is str
    rows = rows_from_report(report, logged_at=LOGGED_AT)
    assert [(r["run_mode"], r["run_status"], r["phase"], r["step_status"]) for r in rows] == [
        ("full_refresh", "failed", "bronze", "success"),
        ("full_refresh", "failed", "silver", "failed"),
    ]
    _assert_rows(rows, _expected_rows(report))


def test_rows_from_report_integer_rate_and_duration_become_floats() -> None:
    # An int is a valid rate (mypy takes it for a float, report_problems accepts it), but Spark
    # stores a Python int given for a DOUBLE column as NULL: the rows must hold floats.
    step = _with(make_step("s", valid=10, invalid=0), validation_rate=100, duration_secs=2)
    report = dataclasses.replace(make_report(0), steps=(step,))
    assert report_problems(report) == []
    [row] = rows_from_report(report)
    assert (row["validation_rate"], row["duration_secs"]) == (100.0, 2.0)
    assert (type(row["validation_rate"]), type(row["duration_secs"])) == (float, float)


def test_rows_from_report_rows_fill_every_required_column() -> None:
    for report in (make_report(3), make_failed_before_steps(), make_report(2, failed_step=0)):
        for row in rows_from_report(report):
            assert [c for c in REQUIRED_COLUMNS if row[c] is None] == []  # type: ignore[literal-required]


def _mutable_values(row: LogRow) -> list[object]:
    values: list[object] = []
    for value in row.values():
        if isinstance(value, (dict, list)):
            values.append(value)
        if isinstance(value, list):
            values.extend(item for item in value if isinstance(item, dict))
    return values


def test_rows_from_report_rows_share_no_mutable_object() -> None:
    report = make_report(4)
    rows = rows_from_report(report, extra_tags={"team": "data"})
    shared = [id(v) for row in rows for v in _mutable_values(row)]
    assert len(shared) == len(set(shared))
    rows[0]["tags"]["env"] = "changed"
    rows[0]["rule_results"].clear()
    assert [row["tags"]["env"] for row in rows[1:]] == ["test"] * 3
    assert all(row["rule_results"] for row in rows[1:])
    assert report.context is not None
    assert report.context.tags["env"] == "test"
    again = rows_from_report(report, extra_tags={"team": "data"})
    assert again[0]["tags"]["env"] == "test"


def test_rows_from_report_run_row_owns_its_tags() -> None:
    report = make_failed_before_steps()
    rows = rows_from_report(report, extra_tags={"team": "data"})
    rows[-1]["tags"]["team"] = "changed"
    assert rows_from_report(report, extra_tags={"team": "data"})[-1]["tags"]["team"] == "data"


def test_rows_from_report_never_switches_the_garbage_collector(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse() -> None:
        raise AssertionError("a library call must not change the process's collector state")

    was_enabled = gc.isenabled()
    monkeypatch.setattr(gc, "disable", refuse)
    monkeypatch.setattr(gc, "enable", refuse)
    assert len(rows_from_report(make_report(50))) == 50
    assert gc.isenabled() is was_enabled


def test_rows_from_report_lets_the_collector_run_during_a_big_flatten() -> None:
    # Observed from inside the collector: it keeps running while a big report is flattened.
    if not gc.isenabled():
        pytest.fail("the test process runs with the garbage collector disabled")
    report = make_report(20_000)
    collections: list[int] = []

    def observe(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            collections.append(info["generation"])

    gc.callbacks.append(observe)
    try:
        rows = rows_from_report(report)
    finally:
        gc.callbacks.remove(observe)
    assert len(rows) == 20_000
    assert collections  # the old implementation paused the collector: none ran
    assert gc.isenabled()


@pytest.mark.skipif(
    sys.implementation.name != "cpython", reason="which objects the collector tracks is CPython's"
)
def test_rows_from_report_collections_during_the_flatten_see_no_row() -> None:
    # Rows are built untracked (their tags and rule lists go in after the loop), so the
    # collections the loop starts never rescan the rows built so far.
    if not gc.isenabled():
        pytest.fail("the test process runs with the garbage collector disabled")
    report = make_report(3_000)
    rows_seen: list[int] = []

    def observe(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            rows_seen.append(
                sum(1 for o in gc.get_objects() if type(o) is dict and o.get("row_kind") == "step")
            )

    gc.callbacks.append(observe)
    try:
        rows = rows_from_report(report, logged_at=LOGGED_AT)
    finally:
        gc.callbacks.remove(observe)
    assert rows_seen  # collections ran during the flatten
    assert rows_seen == [0] * len(rows_seen)
    _assert_rows(rows, _expected_rows(report))


def test_rows_from_report_step_without_rules_gets_its_own_empty_list() -> None:
    steps = tuple(_with(s, rule_results=()) for s in make_report(3).steps)
    report = _with(make_report(3), steps=steps)
    rows = rows_from_report(report, logged_at=LOGGED_AT)
    assert [row["rule_results"] for row in rows] == [[], [], []]
    assert all(type(row["rule_results"]) is list for row in rows)
    assert len({id(row["rule_results"]) for row in rows}) == 3
    _assert_rows(rows, _expected_rows(report))


def test_rows_from_report_write_mode_is_plain_text() -> None:
    step = dataclasses.replace(
        make_step("s", phase=Phase.SILVER, index=0), write_mode=WriteMode.OVERWRITE
    )
    (row,) = rows_from_report(_with(make_report(1), steps=(step,)))
    assert row["write_mode"] == "overwrite"
    assert type(row["write_mode"]) is str


# --------------------------------------------------------------------------- report_problems


def _paths(problems: list[Problem]) -> list[str]:
    return [p.path for p in problems]


def test_report_problems_accepts_the_factory_reports() -> None:
    for report in (
        make_report(0),
        make_report(5),
        make_report(3, failed_step=2),
        make_failed_before_steps(),
    ):
        assert report_problems(report) == []


def test_report_problems_names_the_bad_step_field() -> None:
    report = make_report(3)
    steps = list(report.steps)
    steps[2] = dataclasses.replace(steps[2], valid_rows=steps[2].valid_rows + 1)  # type: ignore[operator]
    problems = report_problems(dataclasses.replace(report, steps=tuple(steps)))
    assert "steps[2].valid_rows" in _paths(problems)


def test_report_problems_rejects_what_is_not_a_report() -> None:
    assert _paths(report_problems({"run_id": "r"})) == ["<report>"]
    assert _paths(report_problems(None)) == ["<report>"]


def test_report_problems_rejects_an_execution_context_of_the_wrong_type() -> None:
    assert _paths(report_problems(make_report(1), "ctx")) == ["execution_context"]


def test_report_problems_accepts_a_step_across_a_dst_fall_back() -> None:
    # 01:50 EDT, then 20 minutes later 01:10 EST: same ZoneInfo, so Python compares wall
    # times and the end seems to precede the start. As instants, it ran forwards.
    new_york = ZoneInfo("America/New_York")
    start = datetime(2026, 11, 1, 5, 50, tzinfo=timezone.utc)
    end = start + timedelta(minutes=20)
    step = dataclasses.replace(
        make_step("across_dst"),
        started_at=start.astimezone(new_york),
        ended_at=end.astimezone(new_york),
    )
    report = dataclasses.replace(
        make_report(0, start=start - timedelta(minutes=1)),
        ended_at=end.astimezone(new_york),
        steps=(step,),
    )
    assert report.ended_at.fold == 1
    assert report_problems(report) == []


def test_report_problems_flags_context_tags_with_lone_surrogates() -> None:
    # Spark turns a lone surrogate into U+FFFD: the tag would be silently corrupted.
    report = make_report(1)
    assert report.context is not None
    context = dataclasses.replace(report.context, tags={"env": "dev\ud800"})
    assert "context.tags" in _paths(report_problems(dataclasses.replace(report, context=context)))


# ------------------------------------------------------------------ hypothesis: valid reports

_ZONES = (
    timezone.utc,
    timezone(timedelta(hours=5, minutes=30)),
    timezone(timedelta(hours=5, minutes=45)),
    timezone(timedelta(hours=-8)),
    timezone(timedelta(hours=14)),
    timezone(timedelta(hours=-12)),
    ZoneInfo("America/New_York"),
    ZoneInfo("Europe/London"),
    ZoneInfo("Australia/Lord_Howe"),
)
_zones = st.sampled_from(_ZONES)
_unicode = st.characters(codec="utf-8")  # no lone surrogates
_names = st.text(_unicode, min_size=1, max_size=16).filter(lambda s: bool(s.strip()))
_run_ids = st.text(st.characters(codec="utf-8", min_codepoint=32), min_size=1, max_size=40).filter(
    lambda s: bool(s.strip())
)
_gaps = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=2))
_MAX = 2**63 - 1
_counts = st.integers(0, 2**62 - 1)


def _shown(draw: st.DrawFn, moment: datetime) -> datetime:
    """Return ``moment`` as seen in a random time zone (the same instant)."""
    return moment.astimezone(draw(_zones))


def _member(draw: st.DrawFn, member: Enum) -> typing.Any:
    """Return an enum member, or its plain string value (both are valid)."""
    return member.value if draw(st.booleans()) else member


_errors = st.builds(
    ErrorInfo,
    type=_names,
    message=st.text(_unicode, max_size=30),
    traceback=st.none() | st.text(_unicode, max_size=30),
)


@st.composite
def _rules(draw: st.DrawFn, invalid: int | None) -> tuple[RuleResult, ...]:
    """Rule failures consistent with ``invalid``: every invalid row fails at least one rule."""
    if invalid is None or not draw(st.booleans()):
        return ()
    failed = [invalid, *draw(st.lists(st.integers(0, invalid), max_size=2))]
    names = draw(st.lists(_names, min_size=len(failed), max_size=len(failed), unique=True))
    columns = draw(st.lists(st.none() | _names, min_size=len(failed), max_size=len(failed)))
    rules = [
        RuleResult(rule=n, column=c, failed_rows=f)
        for n, c, f in zip(names, columns, failed, strict=True)
    ]
    return tuple(draw(st.permutations(rules)))


@st.composite
def _step(draw: st.DrawFn, name: str, not_before: datetime) -> tuple[StepResult, datetime]:
    """One consistent step starting at or after ``not_before``; also the instant it ended."""
    status = draw(st.sampled_from(StepStatus))
    phase = draw(st.sampled_from(Phase))
    if status is StepStatus.SKIPPED:
        step = StepResult(
            step_name=name,
            phase=_member(draw, phase),
            status=_member(draw, status),
            started_at=None,
            ended_at=None,
            duration_secs=None,
            error=draw(st.none() | _errors),
        )
        return step, not_before
    start = not_before + draw(_gaps)
    end = start + draw(_gaps)
    valid = invalid = output = None
    rate: float | None = None
    if draw(st.booleans()):
        valid, invalid = draw(_counts), draw(_counts)
        output = valid + invalid
        rate = 100.0 * valid / output if output else 100.0
        if rate.is_integer() and draw(st.booleans()):
            rate = int(rate)
    input_rows = draw(st.none() | st.integers(0, _MAX))
    filtered = None if input_rows is None else draw(st.none() | st.integers(0, input_rows))
    step = StepResult(
        step_name=name,
        phase=_member(draw, phase),
        status=_member(draw, status),
        started_at=_shown(draw, start),
        ended_at=_shown(draw, end),
        duration_secs=draw(
            st.floats(0, 1e7, allow_nan=False, allow_infinity=False) | st.integers(0, 10**7)
        ),
        table_fqn=draw(st.none() | _names),
        write_mode=draw(st.sampled_from([None, "append", "overwrite"])),
        input_rows=input_rows,
        output_rows=output,
        rows_written=draw(st.none() | st.integers(0, _MAX)),
        valid_rows=valid,
        invalid_rows=invalid,
        validation_rate=rate,
        rule_results=draw(_rules(invalid)),
        previous_watermark=draw(
            st.none()
            | st.datetimes(
                min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=_zones
            )
        ),
        filtered_rows=filtered,
        error=draw(_errors) if status is StepStatus.FAILED else None,
    )
    return step, end


@dataclass(frozen=True)
class _Case:
    """A report and the execution context given with it (None: the report's own)."""

    report: PipelineReport
    context: ExecutionContext | None


@st.composite
def _valid_cases(draw: st.DrawFn, *, min_steps: int = 0, max_steps: int = 5) -> _Case:
    run_start = draw(
        st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1))
    ).replace(tzinfo=timezone.utc)
    names = draw(st.lists(_names, min_size=min_steps, max_size=max_steps, unique=True))
    cursor = run_start
    steps = []
    for name in names:
        step, cursor = draw(_step(name, cursor))
        steps.append(step)
    run_end = cursor + draw(_gaps)
    run_error = draw(st.none() | _errors)
    failed = run_error is not None or any(_text(s.status) == StepStatus.FAILED.value for s in steps)
    run_id, pipeline = draw(_run_ids), draw(_names)
    mode = draw(st.sampled_from(RunMode))

    def context() -> ExecutionContext:
        return ExecutionContext(
            run_id=run_id,
            pipeline_name=pipeline,
            mode=mode,
            started_at=run_start,
            ended_at=draw(st.none() | st.just(run_end)),
            spark_version=draw(st.none() | _names),
            app_id=draw(st.none() | _names),
            user=draw(st.none() | _names),
            host=draw(st.none() | _names),
            tags=draw(st.dictionaries(_names, st.text(_unicode, max_size=10), max_size=3)),
        )

    report = PipelineReport(
        run_id=run_id,
        pipeline_name=pipeline,
        mode=_member(draw, mode),
        status=_member(draw, RunStatus.FAILED if failed else RunStatus.SUCCESS),
        started_at=_shown(draw, run_start),
        ended_at=_shown(draw, run_end),
        steps=tuple(steps),
        context=context() if draw(st.booleans()) else None,
        error=run_error,
    )
    return _Case(report, context() if draw(st.booleans()) else None)


@given(_valid_cases())
def test_report_problems_finds_nothing_in_valid_reports(case: _Case) -> None:
    assert report_problems(case.report, case.context) == []
    assert report_problems(case.report, case.context, consistency=False) == []


@given(_valid_cases(), st.none() | st.dictionaries(_names, _names, max_size=3))
def test_rows_from_report_rows_equal_the_models_values(
    case: _Case, extra_tags: dict[str, str] | None
) -> None:
    rows = rows_from_report(case.report, case.context, logged_at=LOGGED_AT, extra_tags=extra_tags)
    report = case.report
    run_row = not report.steps or report.error is not None
    assert len(rows) == len(report.steps) + run_row
    _assert_rows(rows, _expected_rows(report, case.context, extra_tags=extra_tags))


# ------------------------------------------------------------------ hypothesis: malformed ones


@dataclass(frozen=True)
class _Mutation:
    """A change that breaks a valid case, and the field path a problem must name."""

    path: str
    apply: Callable[[_Case], _Case]
    cross_field: bool = False


def _on_report(**changes: object) -> Callable[[_Case], _Case]:
    return lambda case: _Case(_with(case.report, **changes), case.context)


def _on_step(index: int, change: Callable[[StepResult, _Case], object]) -> Callable[[_Case], _Case]:
    def apply(case: _Case) -> _Case:
        steps = list(case.report.steps)
        steps[index] = cast("StepResult", change(steps[index], case))
        return _Case(_with(case.report, steps=tuple(steps)), case.context)

    return apply


_NAIVE = datetime(2026, 1, 1, 12, 0)
_BAD_COUNTS: list[object] = [-1, 2**63, -(10**400), 1.5, "10", True, 3 + 0j]
_BAD_RATES: list[object] = [
    math.nan,
    math.inf,
    -math.inf,
    100.5,
    -0.1,
    2**63,
    10**400,
    "99.5",
    True,
]
_BAD_DURATIONS: list[object] = [math.nan, math.inf, -math.inf, -1.0, 10**400, "1.5", False]
_BAD_TEXT: list[object] = ["", "   ", "\t\n", "bad\ud800name", "\udfff", 42, None]
_BAD_INSTANTS: list[object] = [_NAIVE, "2026-01-01T00:00:00+00:00", 1.5]

#: Bad values of a step's fields; setting any of them is found with consistency off too.
STEP_BAD_VALUES: dict[str, list[object]] = {
    "step_name": _BAD_TEXT,
    "phase": ["platinum", "BRONZE", "", 3, None, StepStatus.SUCCESS],
    "status": ["done", "SUCCESS", None, 1, Phase.GOLD],
    "started_at": _BAD_INSTANTS,
    "ended_at": _BAD_INSTANTS,
    "duration_secs": _BAD_DURATIONS,
    "input_rows": _BAD_COUNTS,
    "output_rows": _BAD_COUNTS,
    "rows_written": _BAD_COUNTS,
    "valid_rows": _BAD_COUNTS,
    "invalid_rows": _BAD_COUNTS,
    "filtered_rows": _BAD_COUNTS,
    "validation_rate": _BAD_RATES,
    "table_fqn": [3, "lake.\ud800"],
    "write_mode": ["merge", "APPEND", 1],
    "rule_results": ["amount > 0", 5, {"rule": "r"}],
    "previous_watermark": _BAD_INSTANTS,
    "error": ["boom", 1],
}

#: Bad values of a report's fields.
RUN_BAD_VALUES: dict[str, list[object]] = {
    "run_id": ["", "   ", None, 42, "run\x00id", "run\nid", "r" * 257, "run\ud800"],
    "pipeline_name": _BAD_TEXT,
    "mode": ["sometimes", "INITIAL", None, 0, RunStatus.SUCCESS],
    "status": ["ok", "SUCCESS", None, StepStatus.SKIPPED],
    "started_at": [*_BAD_INSTANTS, None],
    "ended_at": [*_BAD_INSTANTS, None],
    "error": ["boom", 1],
}


def _set_step_field(name: str, value: object) -> Callable[[StepResult, _Case], object]:
    return lambda step, _: _with(step, **{name: value})


def _step_times(step: StepResult, case: _Case) -> dict[str, object]:
    """Return times inside the run for a step that was skipped (so had none)."""
    if step.started_at is not None:
        return {}
    start = case.report.started_at
    return {"started_at": start, "ended_at": start, "duration_secs": 0.0}


@st.composite
def _step_mutation(
    draw: st.DrawFn, index: int, anchor: int | None, *, cross: bool, window: bool
) -> _Mutation:
    """Draw a mutation of step ``index``.

    ``anchor`` is an untouched step (for duplicate names); ``window`` says whether the run's
    start and end stay valid (so a step outside them is a problem).
    """
    where = f"steps[{index}]"
    if cross:
        kinds = ["counts", "rate", "end_before_start", "failed_no_error"]
        kind = draw(st.sampled_from([*kinds, "before_run", "after_run"] if window else kinds))
        if kind in ("before_run", "after_run"):
            shift = draw(st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(1)))
            zone = draw(_zones)

            def outside(step: StepResult, case: _Case) -> object:
                if kind == "before_run":
                    end = case.report.started_at.astimezone(timezone.utc)
                    start = end - shift
                else:
                    start = case.report.ended_at.astimezone(timezone.utc)
                    end = start + shift
                return _with(step, started_at=start.astimezone(zone), ended_at=end.astimezone(zone))

            path = "started_at" if kind == "before_run" else "ended_at"
            return _Mutation(f"{where}.{path}", _on_step(index, outside), cross_field=True)
        if kind == "counts":
            # Small enough that no count leaves the BIGINT range (that is a range problem).
            valid, invalid = draw(st.integers(0, 2**60)), draw(st.integers(0, 2**60))
            extra = draw(st.integers(1, 2**40))
            total = valid + invalid
            changes: dict[str, object] = {
                "valid_rows": valid,
                "invalid_rows": invalid,
                "output_rows": total + extra if draw(st.booleans()) else max(total - extra, 0),
                "validation_rate": 100.0 * valid / total if total else 100.0,
            }
            if changes["output_rows"] == total:
                changes["output_rows"] = total + extra
            return _Mutation(
                f"{where}.valid_rows",
                _on_step(index, lambda s, _: _with(s, **changes)),
                cross_field=True,
            )
        if kind == "rate":
            valid, invalid = draw(st.integers(0, 10**6)), draw(st.integers(1, 10**6))
            right = 100.0 * valid / (valid + invalid)
            wrong = draw(st.floats(0, 100).filter(lambda r: abs(r - right) > 0.02))
            rate_changes: dict[str, object] = {
                "valid_rows": valid,
                "invalid_rows": invalid,
                "output_rows": valid + invalid,
                "validation_rate": wrong,
                "rule_results": (),
            }
            return _Mutation(
                f"{where}.validation_rate",
                _on_step(index, lambda s, _: _with(s, **rate_changes)),
                cross_field=True,
            )
        if kind == "end_before_start":
            back = draw(st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(1)))
            zone = draw(_zones)

            def end_before_start(step: StepResult, case: _Case) -> object:
                # Subtract in UTC: wall-clock arithmetic in a DST zone can move forwards.
                start = case.report.started_at.astimezone(timezone.utc)
                return _with(
                    step,
                    started_at=start.astimezone(zone),
                    ended_at=(start - back).astimezone(zone),
                )

            return _Mutation(f"{where}.ended_at", _on_step(index, end_before_start), True)

        def failed_no_error(step: StepResult, case: _Case) -> object:
            return _with(step, status=StepStatus.FAILED, error=None, **_step_times(step, case))

        return _Mutation(f"{where}.error", _on_step(index, failed_no_error), True)

    kinds = ["field", "not_a_step", "rule_count", "rule_name", "rule_item", "error_type"]
    if anchor is not None:
        kinds.append("duplicate_name")
    kind = draw(st.sampled_from(kinds))
    if kind == "field":
        name = draw(st.sampled_from(sorted(STEP_BAD_VALUES)))
        value = draw(st.sampled_from(STEP_BAD_VALUES[name]))
        return _Mutation(f"{where}.{name}", _on_step(index, _set_step_field(name, value)))
    if kind == "not_a_step":
        item = draw(
            st.sampled_from([None, "step", 7, RuleResult(rule="r", column=None, failed_rows=0)])
        )
        return _Mutation(where, _on_step(index, lambda *_: item))
    if kind == "rule_count":
        bad = draw(st.sampled_from([-1, 2**63, None, 1.5, "3", -(10**400)]))
        rules = (RuleResult(rule="r", column=None, failed_rows=bad),)  # type: ignore[arg-type]
        return _Mutation(
            f"{where}.rule_results[0].failed_rows",
            _on_step(index, _set_step_field("rule_results", rules)),
        )
    if kind == "rule_name":
        rule = RuleResult(
            rule=draw(st.sampled_from(["", " ", "r\ud800"])), column=None, failed_rows=0
        )
        return _Mutation(
            f"{where}.rule_results[0].rule",
            _on_step(index, _set_step_field("rule_results", (rule,))),
        )
    if kind == "rule_item":
        rule_item = draw(st.sampled_from([{"rule": "r"}, "r", None]))
        return _Mutation(
            f"{where}.rule_results[0]",
            _on_step(index, _set_step_field("rule_results", (rule_item,))),
        )
    if kind == "error_type":
        error = ErrorInfo(type=draw(st.sampled_from(["", "  ", "E\ud800"])), message="m")
        return _Mutation(f"{where}.error.type", _on_step(index, _set_step_field("error", error)))
    assert anchor is not None

    def duplicate(step: StepResult, case: _Case) -> object:
        return _with(step, step_name=case.report.steps[anchor].step_name)

    # The later of the two steps is the duplicate.
    return _Mutation(f"steps[{max(index, anchor)}].step_name", _on_step(index, duplicate))


@st.composite
def _run_mutation(draw: st.DrawFn, name: str, *, cross: bool) -> _Mutation:
    """Draw a mutation of the report field ``name`` (or of a context)."""
    if cross:
        if name == "ended_at":
            back = draw(st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(1)))

            def end_before_start(case: _Case) -> _Case:
                start = case.report.started_at
                end = (start.astimezone(timezone.utc) - back).astimezone(start.tzinfo)
                return _Case(_with(case.report, ended_at=end), case.context)

            return _Mutation("ended_at", end_before_start, cross_field=True)

        def flip(case: _Case) -> _Case:
            # The status the steps and the run error do not support (after step mutations).
            report = case.report
            failed = report.error is not None or any(
                _text(s.status) == StepStatus.FAILED.value for s in report.steps
            )
            status = RunStatus.SUCCESS if failed else RunStatus.FAILED
            return _Case(_with(report, status=status), case.context)

        return _Mutation("status", flip, cross_field=True)
    if name == "context":
        # A control character: no valid run id has one, so this is another run's id.
        other = "\x00" + draw(_run_ids)
        where = draw(st.sampled_from(["context", "execution_context"]))

        def other_run(case: _Case) -> _Case:
            report = case.report
            context = ExecutionContext(
                run_id=other,
                pipeline_name=report.pipeline_name,
                mode=RunMode.INITIAL,
                started_at=report.started_at,
            )
            if where == "context":
                return _Case(_with(report, context=context), case.context)
            return _Case(report, context)

        return _Mutation(f"{where}.run_id", other_run)
    if name == "context_tags":
        bad = draw(st.sampled_from([{"env": "dev\ud800"}, {"k\udc00": "v"}]))

        def bad_tags(case: _Case) -> _Case:
            report = case.report
            context = ExecutionContext(
                run_id=report.run_id,
                pipeline_name=report.pipeline_name,
                mode=RunMode.INITIAL,
                started_at=report.started_at,
                tags=bad,
            )
            return _Case(_with(report, context=context), case.context)

        return _Mutation("context.tags", bad_tags)
    if name == "error_type":
        error = ErrorInfo(type=draw(st.sampled_from(["", " "])), message="m")
        return _Mutation("error.type", _on_report(error=error))
    return _Mutation(name, _on_report(**{name: draw(st.sampled_from(RUN_BAD_VALUES[name]))}))


_RUN_TARGETS = [*RUN_BAD_VALUES, "context", "context_tags", "error_type"]


@st.composite
def _malformed(draw: st.DrawFn, *, cross: bool) -> tuple[_Case, list[_Mutation]]:
    """Draw a valid case broken by one or more mutations of distinct steps and fields."""
    case = draw(_valid_cases(max_steps=4))
    count = len(case.report.steps)
    targets = draw(st.permutations(range(count)))[: draw(st.integers(0, min(count, 3)))]
    anchors = [i for i in range(count) if i not in targets]
    run_targets = ["ended_at", "status"] if cross else _RUN_TARGETS  # cross-field report checks
    run_fields = draw(st.lists(st.sampled_from(run_targets), unique=True, max_size=2))
    for first, second in (("context", "context_tags"), ("error", "error_type")):
        if first in run_fields and second in run_fields:
            run_fields.remove(second)  # both set the same report field
    if not targets and not run_fields:
        run_fields = [draw(st.sampled_from(run_targets))]
    window = not {"started_at", "ended_at"} & set(run_fields)
    mutations = [
        draw(
            _step_mutation(
                i,
                draw(st.sampled_from(anchors)) if anchors else None,
                cross=cross,
                window=window,
            )
        )
        for i in targets
    ]
    # Report fields last: the step mutations above place steps inside the valid run window.
    mutations += [draw(_run_mutation(name, cross=cross)) for name in run_fields]
    for mutation in mutations:
        case = mutation.apply(case)
    return case, mutations


def _missing(problems: list[Problem], mutations: list[_Mutation]) -> list[str]:
    found = set(_paths(problems))
    return [m.path for m in mutations if m.path not in found]


@given(_malformed(cross=False))
def test_report_problems_names_every_mutated_field(
    malformed: tuple[_Case, list[_Mutation]],
) -> None:
    case, mutations = malformed
    problems = report_problems(case.report, case.context)
    assert _missing(problems, mutations) == [], [str(p) for p in problems]
    assert all(p.reason for p in problems)


@given(_malformed(cross=False))
def test_report_problems_without_consistency_still_finds_type_and_range_problems(
    malformed: tuple[_Case, list[_Mutation]],
) -> None:
    case, mutations = malformed
    problems = report_problems(case.report, case.context, consistency=False)
    assert _missing(problems, mutations) == [], [str(p) for p in problems]


@given(_malformed(cross=True))
def test_report_problems_cross_field_checks_only_with_consistency(
    malformed: tuple[_Case, list[_Mutation]],
) -> None:
    case, mutations = malformed
    assert all(m.cross_field for m in mutations)
    with_checks = report_problems(case.report, case.context)
    assert _missing(with_checks, mutations) == [], [str(p) for p in with_checks]
    assert report_problems(case.report, case.context, consistency=False) == []


@pytest.mark.parametrize(
    "steps",
    ["step_0", {"step_0": 1}, None, 3],
    ids=["string", "dict", "none", "int"],
)
def test_report_problems_rejects_steps_that_are_not_a_sequence(steps: object) -> None:
    report = _with(make_report(1), steps=steps)
    assert "steps" in _paths(report_problems(report))


_HUGE = 10**5000  # more digits than Python turns into text by default (ValueError on repr)


@pytest.mark.parametrize(
    ("field", "value", "path"),
    [
        ("valid_rows", -_HUGE, "steps[0].valid_rows"),
        ("input_rows", _HUGE, "steps[0].input_rows"),
        ("validation_rate", _HUGE, "steps[0].validation_rate"),
        ("validation_rate", -_HUGE, "steps[0].validation_rate"),
        ("duration_secs", _HUGE, "steps[0].duration_secs"),
        ("phase", _HUGE, "steps[0].phase"),
        ("status", _HUGE, "steps[0].status"),
        ("write_mode", _HUGE, "steps[0].write_mode"),
    ],
    ids=[
        "negative_count",
        "huge_count",
        "huge_rate",
        "negative_huge_rate",
        "huge_duration",
        "phase",
        "status",
        "write_mode",
    ],
)
def test_report_problems_survives_step_numbers_too_big_to_print(
    field: str, value: int, path: str
) -> None:
    report = make_report(1)
    report = dataclasses.replace(report, steps=(_with(report.steps[0], **{field: value}),))
    assert path in _paths(report_problems(report))


@pytest.mark.parametrize(
    ("field", "path"),
    [("mode", "mode"), ("status", "status"), ("run_id", "run_id"), ("context", "context")],
    ids=["mode", "status", "run_id", "context_run_id"],
)
def test_report_problems_survives_report_numbers_too_big_to_print(field: str, path: str) -> None:
    report = make_report(1)
    if field == "context":
        assert report.context is not None
        report = _with(report, context=_with(report.context, run_id=_HUGE))
        path = "context.run_id"
    else:
        report = _with(report, **{field: _HUGE})
    assert path in _paths(report_problems(report))


# --------------------------------------------------------------------------- result types


def test_write_result_counts_commits_whose_row_count_is_unknown() -> None:
    from sparkforge.writer.models import WriteResult

    result = WriteResult(
        run_ids=("a", "b", "c"),
        written_run_ids=("a",),
        skipped_run_ids=("b",),
        unconfirmed_run_ids=("c",),
        rows_written=5,
        commit_rows_written=(5, None),
        table_versions=(3, 4),
    )
    assert (result.rows_written, result.rows_unknown_commits, result.commits) == (5, 1, 2)
    assert result.success  # an unconfirmed commit is not an error
    assert WriteResult(run_ids=()).rows_unknown_commits == 0


def test_writer_metrics_names_the_python_rss_growth() -> None:
    from sparkforge.writer.models import WriterMetrics

    names = [f.name for f in dataclasses.fields(WriterMetrics)]
    assert "peak_python_rss_growth_bytes" in names
    assert "peak_memory_growth_bytes" not in names


def test_writer_models_has_no_dead_helpers() -> None:
    import sparkforge.writer.models as module

    assert not hasattr(module, "row_to_tuple")
    assert not hasattr(module, "_collector_paused")
