"""Bad input at scale: thousands of malformed reports and legacy dicts, nothing else escapes.

Every generated input goes through the public API twice: first through a writer whose session
is a stand-in that raises on any use (so a rejection provably happened before Spark), then
through the real writer. A case with a poison must be rejected with ``WriterValidationError``
naming the poisoned field; a clean case must be logged, exactly; no other exception may escape.
That the table never changes on a rejection is proven by counting: its history holds exactly
one commit per logged input (and the one creating it), and its rows are exactly theirs.
"""

from __future__ import annotations

import contextlib
import math
import struct
import time
import warnings
from collections import Counter
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sparkforge import table_operations as ops
from sparkforge.writer import LogWriter, WriterConfig, WriterValidationError, legacy
from tests.reliability.legacy_cases import legacy_cases
from tests.reliability.report_cases import report_cases
from tests.reliability.support import (
    SparkTouchedError,
    expected_rows,
    no_spark,
    record_figures,
    spark_rows,
)
from tests.reliability.writer_child import LOGGED_AT, fixed_clock

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Sequence
    from pathlib import Path

    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.errors import Problem
    from sparkforge.models import ExecutionContext, PipelineReport
    from tests.reliability.legacy_cases import LegacyCase
    from tests.reliability.report_cases import ReportCase

pytestmark = [pytest.mark.delta, pytest.mark.slow]

_SETTINGS = {
    "deadline": None,
    # No shrinking: accepted inputs are committed, so a replay would not see the same table.
    "phases": (Phase.explicit, Phase.reuse, Phase.generate),
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.filter_too_much,
    ],
}


def _names_a_poison(problems: Sequence[Problem], poisons: Sequence[str]) -> bool:
    """Whether some problem is at (or inside) the path of some poison."""
    return any(
        p.path == poison or p.path.startswith((f"{poison}.", f"{poison}["))
        for p in problems
        for poison in poisons
    )


@contextlib.contextmanager
def _counted(tally: Counter[str]) -> Iterator[None]:
    """Count an exception other than ``WriterValidationError`` escaping the block (re-raised)."""
    try:
        yield
    except WriterValidationError:
        raise
    except Exception:
        tally["other_exceptions"] += 1
        raise


def _history(spark: SparkSession, table: ops.TableRef) -> list[tuple[int, str]]:
    rows = ops.history(spark, table).select("version", "operation").collect()
    return sorted((int(r["version"]), str(r["operation"])) for r in rows)


# ------------------------------------------------------------------ PipelineReport


def _try_reports(spark: SparkSession, table_path: str, examples: int, tally: Counter[str]) -> None:
    config = WriterConfig(table_path=table_path)
    writer = LogWriter(spark, config, clock=fixed_clock)
    probe = LogWriter(no_spark(), config, clock=fixed_clock)
    table = config.table
    logged: dict[str, tuple[PipelineReport, ExecutionContext | None]] = {}

    @settings(max_examples=examples, **_SETTINGS)  # type: ignore[arg-type]
    @given(report_cases())
    def attempt(case: ReportCase) -> None:
        tally["inputs"] += 1
        tally[f"verdict_{case.verdict}"] += 1
        report, context = case.report, case.context
        try:
            probe.write_report(report, context)  # type: ignore[arg-type]
        except WriterValidationError as exc:
            problems = exc.problems
        except SparkTouchedError:
            problems = None
        except Exception:
            tally["other_exceptions"] += 1
            raise
        else:  # pragma: no cover - the stand-in session cannot write
            raise AssertionError("the writer returned without touching Spark")
        if problems is not None:
            assert case.verdict != "accept", f"a valid report was rejected: {problems}"
            if case.verdict == "reject":
                assert _names_a_poison(problems, case.poisons), (case.poisons, problems)
            with _counted(tally), pytest.raises(WriterValidationError) as caught:
                writer.write_report(report, context)  # type: ignore[arg-type]
            assert caught.value.problems == problems
            assert caught.value.code == "WRITER_INPUT_INVALID"
            tally["rejected"] += 1
            return
        assert case.verdict != "reject", f"malformed report accepted; poisons: {case.poisons}"
        if not logged:
            # Every input before this one was rejected: not even the table was created.
            assert not ops.table_exists(spark, table)
        with _counted(tally):
            result = writer.write_report(report, context)  # type: ignore[arg-type]
        run_id = str(report.run_id)  # type: ignore[attr-defined]
        if result.skipped:  # the same run id was drawn again: a retry, skipped
            assert run_id in logged
            tally["skipped_as_retry"] += 1
            return
        assert result.written_run_ids == (run_id,)
        assert result.commits == 1
        logged[run_id] = (report, context)  # type: ignore[assignment]
        tally["logged"] += 1
        tally["logged_doubtful"] += case.verdict == "either"

    attempt()
    tally["commits"] = len(logged)
    if logged:
        assert spark_rows(writer.read_logs()) == expected_rows(logged.values(), logged_at=LOGGED_AT)
        assert _history(spark, table) == [
            (0, "CREATE TABLE"),
            *[(v, "WRITE") for v in range(1, len(logged) + 1)],
        ]
        assert writer.validate_data_quality().passed
    else:
        assert not ops.table_exists(spark, table)


@pytest.mark.parametrize(
    "examples",
    [
        pytest.param(1_000, id="1000_reports"),
        pytest.param(25_000, id="25000_reports", marks=pytest.mark.long),
    ],
)
def test_bad_input_reports_are_logged_exactly_or_rejected_before_spark(
    spark: SparkSession, tmp_path: Path, examples: int
) -> None:
    started = time.monotonic()
    tally: Counter[str] = Counter()
    try:
        _try_reports(spark, str(tmp_path / "log"), examples, tally)
    finally:
        record_figures(
            "bad_input.reports",
            inputs=tally["inputs"],
            rejected=tally["rejected"],
            logged=tally["logged"],
            logged_doubtful=tally["logged_doubtful"],
            skipped_as_retry=tally["skipped_as_retry"],
            must_reject=tally["verdict_reject"],
            commits=tally["commits"],
            other_exceptions=tally["other_exceptions"],
            seconds=round(time.monotonic() - started),
        )
    assert tally["inputs"] >= examples
    assert tally["rejected"] + tally["logged"] + tally["skipped_as_retry"] == tally["inputs"]
    assert tally["logged"] > 0  # the clean cases were drawn, and logged


# ------------------------------------------------------------------ legacy report dicts

_LEGACY_TABLE = "legacy_log"


def _float32(value: float) -> float:
    """Round a double to the FLOAT column, as the JVM does (overflow gives an infinity)."""
    try:
        return float(struct.unpack("f", struct.pack("f", value))[0])
    except OverflowError:
        return math.copysign(math.inf, value)


def _legacy_expected(reports: Iterable[object]) -> list[tuple[object, ...]]:
    """Return the rows the legacy writer must have stored, as :func:`_legacy_rows` reads them."""
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for report in reports:
            for row in legacy.flatten_report_min(report):  # type: ignore[arg-type]
                values: list[object] = []
                for column in legacy.MIN_LOG_SCHEMA.fields:
                    value = row[column.name]  # type: ignore[literal-required]
                    if value is not None and isinstance(column.dataType, T.TimestampType):
                        value = column.dataType.toInternal(value)  # what PySpark stores
                    elif column.name == "validation_rate":
                        value = _float32(float(value))
                    values.append(value)
                rows.append(tuple(values))
    return sorted(rows, key=_sort_key)


def _legacy_rows(log_df: DataFrame) -> list[tuple[object, ...]]:
    columns = [
        F.unix_micros(F.col(f.name)).alias(f.name)
        if isinstance(f.dataType, T.TimestampType)
        else F.col(f.name)
        for f in log_df.schema.fields
    ]
    return sorted((tuple(row) for row in log_df.select(*columns).collect()), key=_sort_key)


def _sort_key(row: tuple[object, ...]) -> str:
    return repr(tuple("NaN" if isinstance(v, float) and math.isnan(v) else v for v in row))


def _same_rows(left: list[tuple[object, ...]], right: list[tuple[object, ...]]) -> bool:
    def nan_free(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
        return [
            tuple("NaN" if isinstance(v, float) and math.isnan(v) else v for v in row)
            for row in rows
        ]

    return nan_free(left) == nan_free(right)


def _try_legacy(spark: SparkSession, schema: str, examples: int, tally: Counter[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        writer = LogWriter(spark, schema, _LEGACY_TABLE)
        probe = LogWriter(no_spark(), schema, _LEGACY_TABLE)
    table = ops.TableRef.named(schema, _LEGACY_TABLE)
    logged: list[object] = []

    @settings(max_examples=examples, **_SETTINGS)  # type: ignore[arg-type]
    @given(legacy_cases())
    def attempt(case: LegacyCase) -> None:
        tally["inputs"] += 1
        tally[f"verdict_{case.verdict}"] += 1
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                probe.append(case.report)  # type: ignore[arg-type]
            except WriterValidationError as exc:
                problems = exc.problems
            except SparkTouchedError:
                problems = None
            except Exception:
                tally["other_exceptions"] += 1
                raise
            else:  # pragma: no cover - the stand-in session cannot write
                raise AssertionError("the legacy writer returned without touching Spark")
            if problems is not None:
                assert case.verdict != "accept", f"a valid legacy dict was rejected: {problems}"
                if case.verdict == "reject":
                    assert _names_a_poison(problems, case.poisons), (case.poisons, problems)
                with _counted(tally), pytest.raises(WriterValidationError) as caught:
                    writer.append(case.report)  # type: ignore[arg-type]
                assert caught.value.problems == problems
                tally["rejected"] += 1
                return
            assert case.verdict != "reject", f"malformed dict accepted; poisons: {case.poisons}"
            existed = ops.table_exists(spark, table)
            if not logged:
                assert not existed
            rows = len(legacy.flatten_report_min(case.report))  # type: ignore[arg-type]
            with _counted(tally):
                writer.append(case.report)  # type: ignore[arg-type]
        logged.append(case.report)
        # An append to an absent table creates it first (its own commit); Delta commits an
        # append of no rows to an existing table not at all.
        tally["commits"] += (0 if existed else 1) + (1 if rows else 0)
        tally["logged"] += 1
        tally["logged_doubtful"] += case.verdict == "either"
        tally["logged_without_rows"] += rows == 0

    attempt()
    if logged:
        history = _history(spark, table)
        assert [v for v, _ in history] == list(range(tally["commits"]))
        assert {op for _, op in history[1:]} <= {"WRITE"}
        assert _same_rows(_legacy_rows(spark.read.table(table.fqn)), _legacy_expected(logged))
    else:
        assert not ops.table_exists(spark, table)


@pytest.mark.parametrize(
    "examples",
    [
        pytest.param(1_000, id="1000_dicts"),
        pytest.param(25_000, id="25000_dicts", marks=pytest.mark.long),
    ],
)
def test_bad_input_legacy_dicts_are_logged_exactly_or_rejected_before_spark(
    spark: SparkSession, schema: str, examples: int
) -> None:
    started = time.monotonic()
    tally: Counter[str] = Counter()
    try:
        _try_legacy(spark, schema, examples, tally)
    finally:
        record_figures(
            "bad_input.legacy",
            inputs=tally["inputs"],
            rejected=tally["rejected"],
            logged=tally["logged"],
            logged_doubtful=tally["logged_doubtful"],
            logged_without_rows=tally["logged_without_rows"],
            must_reject=tally["verdict_reject"],
            commits=tally["commits"],
            other_exceptions=tally["other_exceptions"],
            seconds=round(time.monotonic() - started),
        )
    assert tally["inputs"] >= examples
    assert tally["rejected"] + tally["logged"] == tally["inputs"]
    assert tally["logged"] > 0
