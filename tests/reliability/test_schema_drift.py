"""Schema drift: an existing table that cannot hold the log is refused, and left as it was.

Each case creates a Delta table whose schema differs from ``LOG_SCHEMA`` in one way, and puts
one row in it. A table that cannot hold the log (a column missing, narrower or of another type,
an unknown NOT NULL column, a NOT NULL the log would violate, the legacy schema) must make every
write raise ``WriterTableError`` with a reason naming the column, before anything is written:
its history, schema, properties, rows and files are compared before and after. The documented
safe cases (an extra nullable column the writer leaves NULL; columns in another order; NOT NULL
relaxed; another partitioning) must take the run as one plain append that changes nothing else.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import pytest
from delta.tables import DeltaTable
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sparkforge import table_operations as ops
from sparkforge.writer import (
    LOG_SCHEMA,
    LogWriter,
    WriterConfig,
    WriterTableError,
    rows_from_report,
)
from sparkforge.writer.legacy import MIN_LOG_SCHEMA
from sparkforge.writer.models import LOG_COLUMNS
from tests.factories import make_failed_before_steps, make_report
from tests.reliability.support import expected_rows, record_figures, spark_rows
from tests.reliability.writer_child import LOGGED_AT, fixed_clock

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from pyspark.sql import SparkSession

    from sparkforge.models import PipelineReport

pytestmark = [pytest.mark.delta, pytest.mark.slow]


def _fields(
    *,
    drop: str | None = None,
    retype: dict[str, T.DataType] | None = None,
    not_null: str | None = None,
    extra: T.StructField | None = None,
) -> T.StructType:
    fields = []
    for field in LOG_SCHEMA.fields:
        if field.name == drop:
            continue
        data_type = (retype or {}).get(field.name, field.dataType)
        nullable = field.nullable and field.name != not_null
        fields.append(T.StructField(field.name, data_type, nullable, field.metadata))
    return T.StructType(fields + ([extra] if extra else []))


_NARROW_RULES = T.ArrayType(
    T.StructType(
        [
            T.StructField("rule", T.StringType()),
            T.StructField("column", T.StringType()),
            T.StructField("failed_rows", T.IntegerType()),
        ]
    )
)


@dataclass(frozen=True)
class Drift:
    """A drifted table schema, and the words the refusal must contain (empty: it is safe)."""

    schema: T.StructType
    reason: tuple[str, ...] = ()
    partition_by: tuple[str, ...] = ()


REFUSED: dict[str, Drift] = {
    "missing_column": Drift(_fields(drop="step_status"), ("step_status", "missing")),
    "narrower_count": Drift(_fields(retype={"input_rows": T.IntegerType()}), ("input_rows",)),
    "narrower_rate": Drift(
        _fields(retype={"validation_rate": T.FloatType()}), ("validation_rate",)
    ),
    "wall_clock_timestamp": Drift(
        _fields(retype={"run_started_at": T.TimestampNTZType()}), ("run_started_at",)
    ),
    "narrower_nested_count": Drift(
        _fields(retype={"rule_results": _NARROW_RULES}), ("rule_results",)
    ),
    "extra_not_null_column": Drift(
        _fields(extra=T.StructField("ticket", T.StringType(), False)), ("ticket", "NOT NULL")
    ),
    "not_null_where_the_log_writes_null": Drift(_fields(not_null="phase"), ("phase",)),
    "legacy_schema": Drift(MIN_LOG_SCHEMA, ("migrate_legacy_table()",)),
}

TOLERATED: dict[str, Drift] = {
    "extra_nullable_columns": Drift(
        _fields(extra=T.StructField("ticket", T.StringType(), True)),
    ),
    "columns_in_another_order": Drift(T.StructType(list(reversed(LOG_SCHEMA.fields)))),
    "not_null_relaxed": Drift(
        T.StructType([T.StructField(f.name, f.dataType, True) for f in LOG_SCHEMA.fields])
    ),
    "other_partitioning": Drift(_fields(), partition_by=("pipeline_name",)),
}


@dataclass(frozen=True)
class Snapshot:
    """What a table is: its commits, schema, partitioning, properties, rows and files."""

    history: list[tuple[int, str]]
    schema: str
    partitions: list[str]
    properties: dict[str, str]
    rows: list[str]
    files: list[str]


def _snapshot(spark: SparkSession, path: Path) -> Snapshot:
    table = DeltaTable.forPath(spark, str(path))
    detail = table.detail().collect()[0]
    log_df = spark.read.format("delta").load(str(path))
    return Snapshot(
        history=sorted(
            (int(r["version"]), str(r["operation"]))
            for r in table.history().select("version", "operation").collect()
        ),
        schema=log_df.schema.json(),
        partitions=list(detail["partitionColumns"]),
        properties=dict(detail["properties"]),
        rows=sorted(repr(row) for row in log_df.collect()),
        files=sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()),
    )


def _create(spark: SparkSession, path: Path, drift: Drift) -> None:
    """Create the drifted table and put one row in it (its values cast to the drift's types)."""
    ops.create_table_if_not_exists(
        spark, ops.TableRef.at_path(str(path)), drift.schema, partition_by=drift.partition_by
    )
    seed = rows_from_report(make_report(1, pipeline="seed"), logged_at=LOGGED_AT)
    seed_df = spark.createDataFrame(seed, LOG_SCHEMA)
    columns = []
    for field in drift.schema.fields:
        value = F.col(field.name) if field.name in LOG_COLUMNS else F.lit("seeded")
        if field.name == "rule_results" and field.dataType != LOG_SCHEMA["rule_results"].dataType:
            value = F.lit(None) if field.nullable else F.array()
        columns.append(value.cast(field.dataType).alias(field.name))
    seed_df.select(*columns).write.format("delta").mode("append").save(str(path))


def _report() -> PipelineReport:
    """Return a run that failed before its first step (a run row: NULL phase and step)."""
    return make_failed_before_steps(pipeline="drift")


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_schema_drift_that_cannot_hold_the_log_is_refused_untouched(
    spark: SparkSession, tmp_path: Path, case: str
) -> None:
    drift = REFUSED[case]
    path = tmp_path / "log"
    _create(spark, path, drift)
    before = _snapshot(spark, path)
    writer = LogWriter(spark, WriterConfig(table_path=str(path)), clock=fixed_clock)
    attempts: list[Callable[[], object]] = [
        writer.create_table,
        lambda: writer.write_report(make_report(2)),
        lambda: writer.write_report(_report()),
        lambda: writer.write_reports([make_report(1), _report()]),
    ]
    for attempt in attempts:
        with pytest.raises(WriterTableError) as caught:
            attempt()
        assert caught.value.code == "TABLE_SCHEMA_MISMATCH", caught.value
        for word in drift.reason:
            assert word in caught.value.params["reason"], caught.value
    assert _snapshot(spark, path) == before
    record_figures("schema_drift.refused", case=case, attempts=len(attempts), commits_added=0)


@pytest.mark.parametrize("case", list(TOLERATED), ids=list(TOLERATED))
def test_schema_drift_that_can_hold_the_log_takes_a_plain_append(
    spark: SparkSession, tmp_path: Path, case: str
) -> None:
    drift = TOLERATED[case]
    path = tmp_path / "log"
    _create(spark, path, drift)
    before = _snapshot(spark, path)
    writer = LogWriter(spark, WriterConfig(table_path=str(path)), clock=fixed_clock)
    reports = [make_report(2, pipeline="drift"), _report()]
    result = writer.write_reports(reports)
    after = _snapshot(spark, path)

    assert result.written_run_ids == tuple(r.run_id for r in reports)
    assert after.history == [*before.history, (len(before.history), "WRITE")]
    assert (after.schema, after.partitions, after.properties) == (
        before.schema,
        before.partitions,
        before.properties,
    )
    assert set(before.rows) <= set(after.rows)
    written = writer.read_logs(pipeline_name="drift")
    assert spark_rows(written) == expected_rows(reports, logged_at=LOGGED_AT)
    extra = [c for c in written.columns if c not in LOG_COLUMNS]
    for column in extra:
        assert written.where(F.col(column).isNotNull()).count() == 0
    record_figures("schema_drift.tolerated", case=case, commits_added=1, extra_columns=extra)


def test_schema_drift_check_constraint_violation_is_a_clear_error(
    spark: SparkSession, tmp_path: Path
) -> None:
    path = tmp_path / "log"
    _create(spark, path, Drift(_fields()))
    spark.sql(
        f"ALTER TABLE delta.`{path}` ADD CONSTRAINT valid_rows_below_a_million "
        "CHECK (valid_rows IS NULL OR valid_rows < 1000000)"
    )
    before = _snapshot(spark, path)
    report = make_report(1)
    step = replace(
        report.steps[0],
        valid_rows=2_000_000,
        invalid_rows=0,
        output_rows=2_000_000,
        input_rows=2_000_000,
        filtered_rows=0,
        validation_rate=100.0,
        rule_results=(),
    )
    started = time.monotonic()
    with pytest.raises(WriterTableError) as caught:
        LogWriter(spark, WriterConfig(table_path=str(path))).write_report(
            replace(report, steps=(step,))
        )
    after = _snapshot(spark, path)
    assert (after.history, after.schema, after.rows) == (before.history, before.schema, before.rows)
    # The message alone must say what went wrong: the constraint and its condition.
    assert "valid_rows_below_a_million" in str(caught.value), str(caught.value)
    record_figures(
        "schema_drift.check_constraint",
        commits_added=0,
        seconds=round(time.monotonic() - started),
    )
