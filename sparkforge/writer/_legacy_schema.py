"""The legacy log table: its schema, how to recognise it, and its rows in v1 form.

Private helper of `sparkforge.writer.migration` (and of the deprecated
`sparkforge.writer.legacy`, which serves the schema as ``MIN_LOG_SCHEMA``); defined here
so that nothing but the package ``__init__`` has to import the deprecated module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import functions as F
from pyspark.sql import types as T
from pyspark.sql.window import Window

from sparkforge.writer.models import LOG_COLUMNS, LOG_SCHEMA

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from pyspark.sql import Column, DataFrame

__all__: list[str] = []

_MICROS_PER_DAY = 86_400_000_000

#: The legacy log table's schema (served as the deprecated ``legacy.MIN_LOG_SCHEMA``).
_LEGACY_LOG_SCHEMA = T.StructType(
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
_LEGACY_COLUMNS: tuple[str, ...] = tuple(_LEGACY_LOG_SCHEMA.fieldNames())
# --------------------------------------------------------------------------- schemas


def _has_v1_columns(schema: T.StructType) -> bool:
    """Whether ``schema`` has any column only the v1 log has."""
    return bool(set(schema.fieldNames()) & (set(LOG_COLUMNS) - set(_LEGACY_COLUMNS)))


def _is_v1(schema: T.StructType) -> bool:
    """Whether ``schema`` has every v1 column with its type (nullability aside)."""
    found = {f.name: f.dataType.simpleString() for f in schema.fields}
    return all(found.get(f.name) == f.dataType.simpleString() for f in LOG_SCHEMA.fields)


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
    f.name: (f.dataType, LOG_SCHEMA[f.name].dataType) for f in _LEGACY_LOG_SCHEMA.fields
}
_V1_TYPES: dict[str, tuple[T.DataType, ...]] = {f.name: (f.dataType,) for f in LOG_SCHEMA.fields}


# --------------------------------------------------------------------------- rows


def _migrated(source_df: DataFrame, *, pipeline_name: str, logged_at: datetime) -> DataFrame:
    """Return the legacy rows as v1 rows (see `migrate_legacy_table` for each column)."""
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
        for name in _LEGACY_COLUMNS
        if name not in ("phase", "start_time", "step")
    ]
    order = [phase_rank, F.col("start_time").asc_nulls_last(), F.col("step").asc_nulls_last()]
    in_run = Window.partitionBy(run_id).orderBy(*order, *ties)
    values: dict[str, Column] = {name: F.col(name) for name in _LEGACY_COLUMNS}
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
