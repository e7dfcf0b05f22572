"""The legacy report dict -> legacy rows, rule by rule (docs/legacy.md); no JVM."""

from __future__ import annotations

import copy
import hashlib
import math
import warnings
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, cast

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyspark.sql import types as T
from pyspark.sql.types import _make_type_verifier

from sparkforge.errors import TableOperationError
from sparkforge.models import RunMode
from sparkforge.writer.exceptions import WriterConfigurationError, WriterValidationError
from sparkforge.writer.legacy import (
    MIN_LOG_SCHEMA,
    LegacyLogWriter,
    MinimalLogRow,
    _flatten_report_min,
    flatten_report_min,
)
from sparkforge.writer.migration import legacy_run_id

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# The legacy writer's own warnings are tested in test_writer_legacy_api.py.
pytestmark = pytest.mark.filterwarnings("ignore:LogWriter.*is deprecated:DeprecationWarning")

Report = dict[str, Any]

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=timezone.utc)
IST = timezone(timedelta(hours=5, minutes=30))
NAMES = [
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
]


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def flatten(report: object) -> list[MinimalLogRow]:
    """Call the public function, which must warn every time."""
    with pytest.deprecated_call():
        return flatten_report_min(report)  # type: ignore[arg-type]


def good_report() -> Report:
    return {
        "run": {"mode": "incremental", "started_at": at(0), "ended_at": at(60)},
        "bronze": {
            "events": {
                "validation": {
                    "start_at": at(1),
                    "end_at": at(2),
                    "valid_rows": 98,
                    "invalid_rows": 2,
                    "validation_rate": 98.0,
                }
            }
        },
        "silver": {
            "orders": {
                "transform": {
                    "start_at": at(3),
                    "end_at": at(4),
                    "input_rows": 100,
                    "output_rows": 90,
                },
                "write": {"start_at": at(5), "end_at": at(6), "mode": "append", "rows_written": 90},
                "validation": {
                    "start_at": at(7),
                    "end_at": at(8),
                    "valid_rows": 90,
                    "invalid_rows": 0,
                    "validation_rate": 100.0,
                },
                "table_fqn": "analytics.orders",
            }
        },
        "gold": {
            "summary": {
                "transform": {
                    "start_at": at(9),
                    "end_at": at(10),
                    "input_rows": 90,
                    "output_rows": 3,
                },
                "write": {
                    "start_at": at(11),
                    "end_at": at(12),
                    "mode": "overwrite",
                    "rows_written": 3,
                },
                "validation": {
                    "start_at": at(13),
                    "end_at": at(14),
                    "valid_rows": 3,
                    "invalid_rows": 0,
                    "validation_rate": 100.0,
                },
                "table_fqn": "analytics.summary",
            }
        },
    }


DROP = object()


def edit(target: Report, path: str, value: object) -> None:
    """Set the dotted ``path`` of ``target`` to ``value`` (delete it for :data:`DROP`)."""
    *parents, last = path.split(".")
    for key in parents:
        target = target[key]
    if value is DROP:
        del target[last]
    else:
        target[last] = value


def mutated(*edits: tuple[str, object]) -> Report:
    report = good_report()
    for path, value in edits:
        edit(report, path, value)
    return report


def by_step(rows: list[MinimalLogRow]) -> dict[str, MinimalLogRow]:
    return {row["step"]: row for row in rows}


class _NoSpark:
    """Stands in for a SparkSession and fails the test on any use."""

    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):  # introspection (doctest collection, copy ...), not Spark
            raise AttributeError(name)
        raise AssertionError(f"Spark was touched ({name}) before the input was checked")


NO_SPARK = cast("SparkSession", _NoSpark())

# --------------------------------------------------------------------------- names


def test_min_log_schema_is_the_legacy_table() -> None:
    integer, text, stamp = T.IntegerType(), T.StringType(), T.TimestampType()
    expected = [
        ("run_mode", text, False),
        ("run_started_at", stamp, True),
        ("run_ended_at", stamp, True),
        ("phase", text, False),
        ("step", text, False),
        ("start_time", stamp, True),
        ("end_time", stamp, True),
        ("table_fqn", text, True),
        ("write_mode", text, True),
        ("input_rows", integer, True),
        ("output_rows", integer, True),
        ("rows_written", integer, True),
        ("valid_rows", integer, False),
        ("invalid_rows", integer, False),
        ("validation_rate", T.FloatType(), False),
        ("previous_watermark", stamp, True),
        ("filtered_rows", integer, True),
    ]
    assert [(f.name, f.dataType, f.nullable) for f in MIN_LOG_SCHEMA.fields] == expected


def test_minimal_log_row_has_the_schema_keys_in_order() -> None:
    assert list(MinimalLogRow.__annotations__) == NAMES
    assert MinimalLogRow.__required_keys__ == frozenset(NAMES)


# --------------------------------------------------------------------------- rows


def test_flatten_rows_follow_the_legacy_rules_row_by_row() -> None:
    rows = flatten(good_report())
    run = {"run_mode": "incremental", "run_started_at": at(0), "run_ended_at": at(60)}
    unset = {"previous_watermark": None, "filtered_rows": None}
    assert rows == [
        {
            **run,
            "phase": "bronze",
            "step": "events",
            "start_time": at(1),
            "end_time": at(2),
            "table_fqn": None,
            "write_mode": None,
            "input_rows": None,
            "output_rows": None,
            "rows_written": None,
            "valid_rows": 98,
            "invalid_rows": 2,
            "validation_rate": 98.0,
            **unset,
        },
        {
            **run,
            "phase": "silver",
            "step": "orders",
            "start_time": at(3),
            "end_time": at(4),
            "table_fqn": "analytics.orders",
            "write_mode": "append",
            "input_rows": 100,
            "output_rows": 90,
            "rows_written": 90,
            "valid_rows": 90,
            "invalid_rows": 0,
            "validation_rate": 100.0,
            **unset,
        },
        {
            **run,
            "phase": "gold",
            "step": "summary",
            "start_time": at(9),
            "end_time": at(10),
            "table_fqn": "analytics.summary",
            "write_mode": "overwrite",
            "input_rows": 90,
            "output_rows": 3,
            "rows_written": 3,
            "valid_rows": 3,
            "invalid_rows": 0,
            "validation_rate": 100.0,
            **unset,
        },
    ]
    assert all(list(row) == NAMES for row in rows)


@pytest.mark.parametrize("report", [{}, {"run": {"mode": "initial"}}], ids=["empty", "run_only"])
def test_flatten_report_without_steps_gives_no_rows(report: Report) -> None:
    assert flatten(report) == []


@pytest.mark.parametrize(
    "report",
    [{"run": None}, {"run": {"mode": 5}}, {"run": "x", "bronze": {}, "silver": {}}],
    ids=["run_none", "mode_int", "run_text_empty_phases"],
)
def test_flatten_run_block_is_only_read_for_rows(report: Report) -> None:
    # The legacy code read `run` while building a row: without steps it never looked.
    assert flatten(report) == []


@pytest.mark.parametrize("phase", ["bronze", "silver", "gold"], ids=["bronze", "silver", "gold"])
def test_flatten_defaults_for_an_empty_step(phase: str) -> None:
    (row,) = flatten({phase: {"s": {}}})
    assert (row["run_mode"], row["run_started_at"], row["run_ended_at"]) == ("initial", None, None)
    assert (row["valid_rows"], row["invalid_rows"], row["validation_rate"]) == (0, 0, 100.0)
    assert (row["start_time"], row["end_time"], row["table_fqn"], row["write_mode"]) == (
        None,
        None,
        None,
        None,
    )
    expected_io = {"bronze": None, "silver": None, "gold": 0}[phase]
    assert (row["input_rows"], row["output_rows"]) == (expected_io, expected_io)
    assert row["rows_written"] == (None if phase == "bronze" else 0)
    assert (row["previous_watermark"], row["filtered_rows"]) == (None, None)


def test_flatten_rows_come_bronze_silver_gold_each_in_dict_order() -> None:
    report: Report = {
        "gold": {"g2": {}, "g1": {}},
        "silver": {"s2": {}, "s1": {}, "s3": {}},
        "bronze": {"b2": {}, "b1": {}},
        "platinum": {"ignored": {}},
    }
    assert [(r["phase"], r["step"]) for r in flatten(report)] == [
        ("bronze", "b2"),
        ("bronze", "b1"),
        ("silver", "s2"),
        ("silver", "s1"),
        ("silver", "s3"),
        ("gold", "g2"),
        ("gold", "g1"),
    ]


def test_flatten_bronze_ignores_transform_write_and_table() -> None:
    report: Report = {
        "bronze": {
            "raw": {
                "transform": {"start_at": at(1), "input_rows": 5},
                "write": {"mode": "append", "rows_written": 5},
                "table_fqn": "raw.t",
                "validation": {"start_at": at(2), "end_at": at(3)},
            }
        }
    }
    (row,) = flatten(report)
    assert (row["start_time"], row["end_time"]) == (at(2), at(3))
    assert (row["table_fqn"], row["write_mode"], row["rows_written"]) == (None, None, None)
    assert (row["input_rows"], row["output_rows"]) == (None, None)


@pytest.mark.parametrize("phase", ["silver", "gold"], ids=["silver", "gold"])
@pytest.mark.parametrize(
    ("edits", "start", "end"),
    [
        ((), at(3), at(4)),
        ((("transform.start_at", DROP),), at(7), at(4)),
        ((("transform.start_at", DROP), ("validation.start_at", DROP)), at(5), at(4)),
        ((("transform.end_at", None),), at(3), at(8)),
        ((("transform.end_at", ""), ("validation.end_at", 0)), at(3), at(6)),
        (
            (("transform.start_at", DROP), ("validation.start_at", DROP), ("write.start_at", DROP)),
            None,
            at(4),
        ),
        ((("transform", DROP),), at(7), at(8)),
        ((("transform", DROP), ("validation", DROP)), at(5), at(6)),
    ],
    ids=[
        "transform_first",
        "then_validation",
        "then_write",
        "none_is_skipped",
        "falsy_values_are_skipped",
        "all_missing_is_none",
        "no_transform",
        "no_transform_no_validation",
    ],
)
def test_flatten_start_and_end_are_the_first_truthy(
    phase: str, edits: tuple[tuple[str, object], ...], start: datetime | None, end: datetime | None
) -> None:
    step: Report = {
        "transform": {"start_at": at(3), "end_at": at(4), "input_rows": 10, "output_rows": 9},
        "validation": {"start_at": at(7), "end_at": at(8)},
        "write": {"start_at": at(5), "end_at": at(6), "rows_written": 9},
    }
    for path, value in edits:
        edit(step, path, value)
    (row,) = flatten({phase: {"s": step}})
    assert (row["start_time"], row["end_time"]) == (start, end)


@pytest.mark.parametrize(
    "transform",
    [pytest.param(None, id="none"), {}, [], "", 0, False],
    ids=["none", "empty_dict", "empty_list", "empty_text", "zero", "false"],
)
def test_flatten_silver_falsy_transform_gives_none_counts(transform: object) -> None:
    (row,) = flatten({"silver": {"s": {"transform": transform, "write": {"rows_written": 4}}}})
    assert (row["input_rows"], row["output_rows"], row["rows_written"]) == (None, None, 4)


def test_flatten_silver_absent_transform_gives_none_counts() -> None:
    (row,) = flatten({"silver": {"s": {"validation": {"start_at": at(1)}}}})
    assert (row["input_rows"], row["output_rows"], row["start_time"]) == (None, None, at(1))


def test_flatten_silver_transform_without_counts_gives_zero() -> None:
    (row,) = flatten({"silver": {"s": {"transform": {"start_at": at(1)}}}})
    assert (row["input_rows"], row["output_rows"]) == (0, 0)


@pytest.mark.parametrize(
    "step",
    [{}, {"transform": None}, {"transform": {}}],
    ids=["absent", "none", "empty"],
)
def test_flatten_gold_missing_transform_counts_as_empty(step: Report) -> None:
    (row,) = flatten({"gold": {"g": step}})
    assert (row["input_rows"], row["output_rows"]) == (0, 0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, 1),
        (False, 0),
        ("12", 12),
        (" 7 ", 7),
        ("1_000", 1000),
        (b"12", 12),
        (3.9, 3),
        (-3.9, -3),
        (Decimal("4.7"), 4),
        (Fraction(9, 2), 4),
        (-5, -5),
        (2**31 - 1, 2**31 - 1),
        (-(2**31), -(2**31)),
    ],
    ids=[
        "true",
        "false",
        "text",
        "padded_text",
        "underscores",
        "bytes",
        "float_truncated",
        "negative_float_truncated",
        "decimal",
        "fraction",
        "negative_kept",
        "int32_max",
        "int32_min",
    ],
)
def test_flatten_counts_are_converted_as_int_does(value: object, expected: int) -> None:
    report: Report = {
        "silver": {"s": {"transform": {"input_rows": value}, "write": {"rows_written": value}}},
        "gold": {"g": {"validation": {"valid_rows": value, "invalid_rows": value}}},
    }
    silver, gold = flatten(report)
    for number in (
        silver["input_rows"],
        silver["rows_written"],
        gold["valid_rows"],
        gold["invalid_rows"],
    ):
        assert type(number) is int
        assert number == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (97, 97.0),
        ("97.5", 97.5),
        (True, 1.0),
        (Decimal("12.25"), 12.25),
        (-4.0, -4.0),
        (float("inf"), math.inf),
        ("-inf", -math.inf),
        (1e300, 1e300),
    ],
    ids=["int", "text", "true", "decimal", "negative_kept", "inf_kept", "inf_text", "huge"],
)
def test_flatten_rate_is_converted_as_float_does(value: object, expected: float) -> None:
    (row,) = flatten({"bronze": {"b": {"validation": {"validation_rate": value}}}})
    assert type(row["validation_rate"]) is float
    assert row["validation_rate"] == expected


@pytest.mark.parametrize("value", [float("nan"), "nan"], ids=["float", "text"])
def test_flatten_nan_rate_is_kept(value: object) -> None:
    (row,) = flatten({"bronze": {"b": {"validation": {"validation_rate": value}}}})
    assert math.isnan(row["validation_rate"])


def test_flatten_keeps_naive_and_aware_datetimes_as_given() -> None:
    naive = datetime(2026, 3, 1, 9, 30)
    (row,) = flatten(
        {"run": {"started_at": naive, "ended_at": at(5).astimezone(IST)}, "bronze": {"b": {}}}
    )
    assert row["run_started_at"] is naive
    assert row["run_ended_at"] == at(5)


def test_flatten_does_not_change_the_report() -> None:
    report = good_report()
    before = copy.deepcopy(report)
    flatten(report)
    assert report == before


# --------------------------------------------------------------------------- crashes


class _DateTimeSubclass(datetime):
    pass


class _BadInt:
    def __int__(self) -> int:
        raise RuntimeError("boom")


class _NoTruth:
    def __bool__(self) -> bool:
        raise RuntimeError("no truth value")


CRASHES: list[tuple[str, tuple[str, object], str]] = [
    ("run_mode_none", ("run.mode", None), "run.mode"),
    ("run_mode_int", ("run.mode", 5), "run.mode"),
    ("run_mode_str_enum", ("run.mode", RunMode.INITIAL), "run.mode"),
    ("run_none", ("run", None), "run"),
    ("run_list", ("run", []), "run"),
    ("run_started_text", ("run.started_at", "2026-03-01T08:00:00"), "run.started_at"),
    ("run_ended_date", ("run.ended_at", date(2026, 3, 1)), "run.ended_at"),
    ("run_started_subclass", ("run.started_at", _DateTimeSubclass(2026, 3, 1)), "run.started_at"),
    (
        "run_started_unstorable",
        ("run.started_at", datetime(1, 1, 1, tzinfo=IST)),
        "run.started_at",
    ),
    ("bronze_none", ("bronze", None), "bronze"),
    ("bronze_list", ("bronze", [1]), "bronze"),
    ("bronze_step_none", ("bronze.events", None), "bronze.events"),
    ("bronze_step_text", ("bronze.events", "x"), "bronze.events"),
    ("validation_none", ("bronze.events.validation", None), "bronze.events.validation"),
    ("validation_list", ("bronze.events.validation", []), "bronze.events.validation"),
    (
        "valid_rows_none",
        ("bronze.events.validation.valid_rows", None),
        "bronze.events.validation.valid_rows",
    ),
    (
        "valid_rows_text",
        ("bronze.events.validation.valid_rows", "abc"),
        "bronze.events.validation.valid_rows",
    ),
    (
        "valid_rows_float_text",
        ("bronze.events.validation.valid_rows", "1.5"),
        "bronze.events.validation.valid_rows",
    ),
    (
        "invalid_rows_nan",
        ("bronze.events.validation.invalid_rows", float("nan")),
        "bronze.events.validation.invalid_rows",
    ),
    (
        "invalid_rows_inf",
        ("bronze.events.validation.invalid_rows", float("inf")),
        "bronze.events.validation.invalid_rows",
    ),
    (
        "invalid_rows_raising_int",
        ("bronze.events.validation.invalid_rows", _BadInt()),
        "bronze.events.validation.invalid_rows",
    ),
    (
        "rate_none",
        ("bronze.events.validation.validation_rate", None),
        "bronze.events.validation.validation_rate",
    ),
    (
        "rate_text",
        ("bronze.events.validation.validation_rate", "high"),
        "bronze.events.validation.validation_rate",
    ),
    (
        "rate_huge_int",
        ("bronze.events.validation.validation_rate", 10**400),
        "bronze.events.validation.validation_rate",
    ),
    (
        "bronze_start_text",
        ("bronze.events.validation.start_at", "soon"),
        "bronze.events.validation.start_at",
    ),
    ("write_none", ("silver.orders.write", None), "silver.orders.write"),
    (
        "rows_written_none",
        ("silver.orders.write.rows_written", None),
        "silver.orders.write.rows_written",
    ),
    (
        "rows_written_over_int32",
        ("silver.orders.write.rows_written", 2**31),
        "silver.orders.write.rows_written",
    ),
    (
        "rows_written_under_int32",
        ("silver.orders.write.rows_written", -(2**31) - 1),
        "silver.orders.write.rows_written",
    ),
    (
        "rows_written_5000_digits",
        ("silver.orders.write.rows_written", 10**5000),
        "silver.orders.write.rows_written",
    ),
    ("silver_transform_text", ("silver.orders.transform", "x"), "silver.orders.transform"),
    (
        "silver_transform_no_truth",
        ("silver.orders.transform", _NoTruth()),
        "silver.orders.transform",
    ),
    (
        "input_rows_none",
        ("silver.orders.transform.input_rows", None),
        "silver.orders.transform.input_rows",
    ),
    ("table_fqn_int", ("silver.orders.table_fqn", 7), "silver.orders.table_fqn"),
    ("write_mode_true", ("silver.orders.write.mode", True), "silver.orders.write.mode"),
    (
        "chosen_start_text",
        ("silver.orders.transform.start_at", "soon"),
        "silver.orders.transform.start_at",
    ),
    ("validation_none_silver", ("silver.orders.validation", None), "silver.orders.validation"),
    ("gold_transform_list", ("gold.summary.transform", []), "gold.summary.transform"),
    (
        "gold_output_rows_none",
        ("gold.summary.transform.output_rows", None),
        "gold.summary.transform.output_rows",
    ),
    ("gold_step_int_name", ("gold", {1: {}}), "gold[0]"),
]


@pytest.mark.parametrize(
    ("change", "path"), [(c, p) for _, c, p in CRASHES], ids=[i for i, _, _ in CRASHES]
)
def test_flatten_legacy_crash_raises_validation_error_with_path(
    change: tuple[str, object], path: str
) -> None:
    with pytest.raises(WriterValidationError) as caught:
        flatten(mutated(change))
    assert caught.value.code == "WRITER_INPUT_INVALID"
    assert [p.path for p in caught.value.problems] == [path]
    assert caught.value.params["subject"] == "legacy report"


def test_flatten_falsy_last_start_is_a_crash() -> None:
    # `T.start_at or V.start_at or W.start_at` gives W's value even when it is falsy.
    report = mutated(
        ("silver.orders.transform.end_at", None),
        ("silver.orders.validation.end_at", DROP),
        ("silver.orders.write.end_at", ""),
    )
    with pytest.raises(WriterValidationError) as caught:
        flatten(report)
    assert [p.path for p in caught.value.problems] == ["silver.orders.write.end_at"]


def test_flatten_value_not_chosen_is_not_checked() -> None:
    # The legacy chain never looked at V.start_at once T.start_at was truthy.
    report = mutated(("silver.orders.validation.start_at", "not a datetime"))
    assert flatten(report)[1]["start_time"] == at(3)


@pytest.mark.parametrize("report", [None, [], "report", 3], ids=["none", "list", "text", "int"])
def test_flatten_report_not_a_dict(report: object) -> None:
    with pytest.raises(WriterValidationError) as caught:
        flatten(report)
    assert [p.path for p in caught.value.problems] == ["report"]


def test_flatten_reports_every_problem_together() -> None:
    report = mutated(
        ("run.mode", None),
        ("bronze.events.validation.valid_rows", "many"),
        ("silver.orders.write.rows_written", None),
        ("silver.orders.table_fqn", 1),
        ("gold.summary.transform.input_rows", 2**40),
    )
    with pytest.raises(WriterValidationError) as caught:
        flatten(report)
    assert caught.value.code == "WRITER_INPUT_INVALID"
    assert [p.path for p in caught.value.problems] == [
        "run.mode",
        "bronze.events.validation.valid_rows",
        "silver.orders.table_fqn",
        "silver.orders.write.rows_written",
        "gold.summary.transform.input_rows",
    ]
    assert "5 problem(s)" in caught.value.params["problems"]


# --------------------------------------------------------------------------- warnings


def test_flatten_report_min_warns_once_naming_the_replacement() -> None:
    with pytest.warns(DeprecationWarning, match="rows_from_report") as caught:
        flatten_report_min(good_report())
    assert len(caught) == 1
    assert "sparkforge.writer.rows_from_report" in str(caught[0].message)
    assert "PipelineReport" in str(caught[0].message)
    assert caught[0].filename == __file__  # stacklevel=2: the caller's line


def test_flatten_report_min_warns_also_when_it_raises() -> None:
    with (
        pytest.warns(DeprecationWarning, match="rows_from_report") as caught,
        pytest.raises(WriterValidationError),
    ):
        flatten_report_min({"bronze": None})
    assert len(caught) == 1


def test_flatten_private_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(_flatten_report_min(good_report())) == 3


# --------------------------------------------------------------------------- legacy_run_id


def _run_id_oracle(mode: str, start: datetime | None, end: datetime | None) -> str:
    def micros(moment: datetime | None) -> str:
        if moment is None:
            return "null"
        return str(int(moment.timestamp()) * 1_000_000 + moment.microsecond)

    digest = hashlib.sha256(f"{mode}|{micros(start)}|{micros(end)}".encode()).hexdigest()
    return f"legacy-{digest[:32]}"


@pytest.mark.parametrize(
    ("start", "end"),
    [(at(0), at(60)), (None, at(1)), (at(0), None), (None, None)],
    ids=["both", "no_start", "no_end", "neither"],
)
def test_legacy_run_id_follows_the_documented_formula(
    start: datetime | None, end: datetime | None
) -> None:
    assert legacy_run_id("initial", start, end) == _run_id_oracle("initial", start, end)


def test_legacy_run_id_ignores_the_offset_of_an_instant() -> None:
    ids = {
        legacy_run_id("incremental", at(0).astimezone(zone), at(1).astimezone(zone))
        for zone in (timezone.utc, IST, timezone(timedelta(hours=-7)))
    }
    assert len(ids) == 1


def test_legacy_run_id_tells_runs_apart() -> None:
    ids = [
        legacy_run_id("initial", at(0), at(1)),
        legacy_run_id("incremental", at(0), at(1)),
        legacy_run_id("initial", at(0), at(2)),
        legacy_run_id("initial", at(0) + timedelta(microseconds=1), at(1)),
        legacy_run_id("initial", None, at(1)),
        legacy_run_id("initial", at(1), None),
    ]
    assert len(set(ids)) == len(ids)
    assert all(i.startswith("legacy-") and len(i) == 39 for i in ids)


# --------------------------------------------------------------------------- writer, no Spark


@pytest.mark.parametrize(
    ("write_schema", "table"),
    [
        ("analytics", "logs; DROP TABLE x"),
        ("analytics", "a.b"),
        ("analytics", ""),
        ("analytics", "`logs`"),
        ("main.analytics", "logs"),
        (5, "logs"),
    ],
    # A SQL keyword is a usable (quoted) name now; table_operations tests that.
    ids=["injection", "dotted", "empty", "backticks", "three_part", "not_text"],
)
def test_legacy_writer_rejects_hostile_identifiers_before_spark(
    write_schema: str, table: str
) -> None:
    with pytest.raises(TableOperationError) as caught:
        LegacyLogWriter(NO_SPARK, write_schema, table)
    assert caught.value.code == "IDENTIFIER_INVALID"


@pytest.mark.parametrize("method", ["create_table", "append"], ids=["create_table", "append"])
def test_legacy_writer_checks_the_report_before_spark(method: str) -> None:
    writer = LegacyLogWriter(NO_SPARK, "analytics", "pipeline_logs")
    with pytest.raises(WriterValidationError) as caught:
        getattr(writer, method)(mutated(("silver.orders.write.rows_written", None)))
    assert caught.value.code == "WRITER_INPUT_INVALID"


def test_legacy_writer_has_the_legacy_attributes() -> None:
    writer = LegacyLogWriter(NO_SPARK, "analytics", "pipeline_logs")
    assert (writer.write_schema, writer.logs_table_name) == ("analytics", "pipeline_logs")
    assert writer.spark is NO_SPARK
    assert writer.schema is MIN_LOG_SCHEMA
    assert writer.table.fqn == "analytics.pipeline_logs"


@pytest.mark.parametrize("n", ["5", 2.0, True], ids=["text", "float", "bool"])
def test_legacy_writer_show_rejects_a_non_int(n: object) -> None:
    writer = LegacyLogWriter(NO_SPARK, "analytics", "pipeline_logs")
    with pytest.raises(WriterConfigurationError) as caught:
        writer.show(n)  # type: ignore[arg-type]
    assert caught.value.code == "WRITER_CONFIG_INVALID"


# --------------------------------------------------------------------------- properties


def _oracle(report: Report) -> list[dict[str, object]]:
    """Apply the legacy rules, transcribed straight from docs/legacy.md."""
    run = report.get("run", {})
    rows: list[dict[str, object]] = []

    def row(phase: str, step: str, **values: object) -> dict[str, object]:
        base: dict[str, object] = {
            "run_mode": run.get("mode", "initial"),
            "run_started_at": run.get("started_at"),
            "run_ended_at": run.get("ended_at"),
            "phase": phase,
            "step": step,
        }
        base.update(values)
        base.update(previous_watermark=None, filtered_rows=None)
        return {name: base[name] for name in NAMES}

    def checks(v: Report) -> dict[str, object]:
        return {
            "valid_rows": int(v.get("valid_rows", 0)),
            "invalid_rows": int(v.get("invalid_rows", 0)),
            "validation_rate": float(v.get("validation_rate", 100.0)),
        }

    for step, record in report.get("bronze", {}).items():
        v = record.get("validation", {})
        rows.append(
            row(
                "bronze",
                step,
                start_time=v.get("start_at"),
                end_time=v.get("end_at"),
                table_fqn=None,
                write_mode=None,
                input_rows=None,
                output_rows=None,
                rows_written=None,
                **checks(v),
            )
        )
    for phase in ("silver", "gold"):
        for step, record in report.get(phase, {}).items():
            t = record.get("transform")
            has_t = bool(t) if phase == "silver" else True
            t = t or {}
            v, w = record.get("validation", {}), record.get("write", {})
            rows.append(
                row(
                    phase,
                    step,
                    start_time=t.get("start_at") or v.get("start_at") or w.get("start_at"),
                    end_time=t.get("end_at") or v.get("end_at") or w.get("end_at"),
                    table_fqn=record.get("table_fqn"),
                    write_mode=w.get("mode"),
                    input_rows=int(t.get("input_rows", 0)) if has_t else None,
                    output_rows=int(t.get("output_rows", 0)) if has_t else None,
                    rows_written=int(w.get("rows_written", 0)),
                    **checks(v),
                )
            )
    return rows


def _comparable(rows: list[dict[str, object]] | list[MinimalLogRow]) -> list[object]:
    """Rows with types made visible (True != 1 here) and NaN equal to itself."""
    return [
        [
            (name, type(value).__name__, "nan" if value != value else value)
            for name, value in dict(row).items()
        ]
        for row in rows
    ]


def _optional(**fields: st.SearchStrategy[object]) -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries({}, optional=fields)


instants = (
    st.none()
    | st.datetimes(
        min_value=datetime(1971, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.none()
    )
    | st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(2100, 1, 1),
        timezones=st.sampled_from([timezone.utc, IST]),
    )
)
counts = (
    st.integers(-(2**31), 2**31 - 1)
    | st.booleans()
    | st.integers(0, 10**9).map(str)
    | st.floats(-1e9, 1e9, allow_nan=False)
)
rates = (
    st.floats()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False).map(repr)
    | st.booleans()
)
texts = st.text(max_size=12)


def legacy_reports(
    *,
    count: st.SearchStrategy[object],
    rate: st.SearchStrategy[object],
    instant: st.SearchStrategy[object],
    text: st.SearchStrategy[object],
) -> st.SearchStrategy[dict[str, object]]:
    """Legacy report dicts of the documented shape, with the given leaf values."""
    validations = _optional(
        start_at=instant, end_at=instant, valid_rows=count, invalid_rows=count, validation_rate=rate
    )
    transforms = _optional(start_at=instant, end_at=instant, input_rows=count, output_rows=count)
    writes = _optional(
        start_at=instant,
        end_at=instant,
        mode=st.none() | st.sampled_from(["overwrite", "append"]) | text,
        rows_written=count,
    )
    steps = _optional(
        transform=st.none() | transforms,
        write=writes,
        validation=validations,
        table_fqn=st.none() | text,
    )
    return _optional(
        run=_optional(
            mode=st.sampled_from(["initial", "incremental"]) | text,
            started_at=instant,
            ended_at=instant,
        ),
        bronze=st.dictionaries(texts, _optional(validation=validations), max_size=3),
        silver=st.dictionaries(texts, steps, max_size=3),
        gold=st.dictionaries(texts, steps, max_size=3),
    )


well_formed = legacy_reports(count=counts, rate=rates, instant=instants, text=texts)


@given(report=well_formed)
def test_flatten_matches_the_spec_oracle_on_well_formed_reports(report: Report) -> None:
    assert _comparable(_flatten_report_min(report)) == _comparable(_oracle(report))


KEYS = [
    "run",
    "bronze",
    "silver",
    "gold",
    "mode",
    "started_at",
    "ended_at",
    "validation",
    "transform",
    "write",
    "table_fqn",
    "start_at",
    "end_at",
    "valid_rows",
    "invalid_rows",
    "validation_rate",
    "input_rows",
    "output_rows",
    "rows_written",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**31 - 2, max_value=2**70),
    st.builds(pow, st.just(10), st.just(5000)),  # repr() of it fails: build it lazily
    st.floats(),
    st.text(),
    st.binary(max_size=8),
    st.decimals(),
    st.fractions(),
    st.complex_numbers(),
    st.dates(),
    st.datetimes(),
    st.datetimes(timezones=st.sampled_from([timezone.utc, IST, timezone(timedelta(hours=-12))])),
    st.sampled_from([RunMode.INITIAL, _NoTruth(), _BadInt(), object()]),
)
step_keys = st.text(max_size=4) | st.integers()
junk = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(KEYS) | st.text(max_size=4) | st.integers(), inner, max_size=5
        )
    ),
    max_leaves=25,
)
blocks = st.dictionaries(st.sampled_from(KEYS[4:]), scalars | junk, max_size=6)
# Hashable keys only (a signaling-NaN Decimal cannot be a dict key).
step_names = st.one_of(texts, st.none(), st.booleans(), st.integers(), st.dates())
steps = st.dictionaries(
    step_names, st.dictionaries(st.sampled_from(KEYS), blocks | junk), max_size=3
)
shaped_junk = st.fixed_dictionaries(
    {},
    optional={
        "run": blocks | junk,
        "bronze": steps | junk,
        "silver": steps | junk,
        "gold": steps | junk,
    },
)
# Mostly well-formed, with a junk value here and there: both outcomes happen often.
nearly_well_formed = legacy_reports(
    count=counts | counts | scalars,
    rate=rates | rates | scalars,
    instant=instants | instants | scalars,
    text=texts | texts | scalars,
)
_verify_row = _make_type_verifier(MIN_LOG_SCHEMA)


@given(report=junk | shaped_junk | nearly_well_formed)
def test_flatten_junk_gives_storable_rows_or_a_validation_error(report: object) -> None:
    error: WriterValidationError | None = None
    rows: list[MinimalLogRow] = []
    try:
        rows = _flatten_report_min(report)
    except WriterValidationError as exc:
        error = exc
    if error is not None:
        assert error.code == "WRITER_INPUT_INVALID"
        assert error.problems
        assert all(p.path and p.reason for p in error.problems)
    for row in rows:
        values = tuple(row[name] for name in NAMES)  # type: ignore[literal-required]
        _verify_row(values)  # what createDataFrame(rows, MIN_LOG_SCHEMA) checks
        MIN_LOG_SCHEMA.toInternal(values)  # and how it converts them


@pytest.mark.parametrize(
    ("started_at", "refused"),
    [
        (datetime(1899, 12, 31, 23, 59, tzinfo=timezone.utc), True),
        (datetime(1900, 1, 1, tzinfo=timezone.utc), False),
        (datetime(1900, 1, 1, 12, 0), True),  # naive: the session's zone may put it in 1899
        (datetime(1900, 1, 2), False),
    ],
    ids=["aware_1899", "aware_1900", "naive_1900_01_01", "naive_1900_01_02"],
)
def test_flatten_refuses_instants_spark_35_cannot_write(
    started_at: datetime, refused: bool
) -> None:
    report = {"run": {"started_at": started_at}, "bronze": {"b": {}}}
    if not refused:
        assert flatten(report)[0]["run_started_at"] is started_at
        return
    with pytest.raises(WriterValidationError) as caught:
        flatten(report)
    assert [p.path for p in caught.value.problems] == ["run.started_at"]
    assert "Spark 3.5 cannot write" in caught.value.problems[0].reason
