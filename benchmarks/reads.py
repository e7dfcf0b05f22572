"""Case ``filtered_read_1m``: ``read_logs`` of one pipeline and one week on a 1,000,000-row log.

The log is synthesized with Spark expressions (no Python rows): 100,000 runs of 10 steps,
20 pipelines, spread evenly over 365 days in time order (as a log grows), each row a valid
:data:`~sparkforge.writer.LOG_SCHEMA` row. It is appended to three genuine log tables:

- ``partitioned``: created by ``LogWriter.create_table()`` (the default, ``PARTITIONED BY
  run_date``), one file per day;
- ``unpartitioned``: ``partition_columns=()``, 20 files in time order (each ~18 days);
- ``clustered``: created with the same schema and properties through the ``DeltaTable``
  builder with ``CLUSTER BY (pipeline_name, run_date)`` (liquid clustering; ``WriterConfig``
  has no clustering option), the same 20 files, then ``OPTIMIZE`` to cluster them.

On each table, the filtered query and the full scan compute the same aggregation (count and
sum of ``duration_secs``), interleaved. A bare ``count()`` of a whole Delta table is answered
from the log's statistics without reading data, so it is reported apart (``full_count``).

The layouts case ``layout_reads_1m`` is :mod:`benchmarks.layouts`; it and
:mod:`benchmarks.analytics` use :func:`synthesize_log`, :data:`END` and
:func:`full_scan_aggregation` from here.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from delta.tables import DeltaTable
from pyspark.sql import functions as F

from benchmarks.common import mib, table_details, with_run_id
from benchmarks.harness import interleave, ratio, speedup, summarize
from sparkforge import __version__
from sparkforge.writer import LOG_SCHEMA, LogWriter
from sparkforge.writer.config import DEFAULT_TABLE_PROPERTIES
from tests.factories import make_report

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import Column, DataFrame, Row, SparkSession

    from benchmarks.common import Bench
    from sparkforge.models import PipelineReport

__all__ = [
    "END",
    "WEEK_START",
    "create_clustered",
    "full_scan_aggregation",
    "run_filtered_read",
    "synthesize_log",
    "timed",
]

_START = datetime(2025, 1, 1, tzinfo=timezone.utc)
#: The week the filtered query asks for (inside the synthesized year).
WEEK_START = _START + timedelta(days=180)
_MICROS_PER_DAY = 86_400_000_000
#: The "partitioned" layout (given explicitly: the writer's default may be another).
_BY_DAY = ("run_date",)
_STEPS = 10


def synthesize_log(
    spark: SparkSession,
    rows: int,
    *,
    pipelines: int = 20,
    days: int = 365,
    files: int = 20,
    varied: bool = False,
) -> DataFrame:
    """Return ``rows`` valid log rows built by Spark expressions, in time order.

    Parameters
    ----------
    spark
        The session.
    rows
        Rows to build (a multiple of 10: runs have 10 steps).
    pipelines
        Pipelines the runs cycle through (``pipeline_00`` ...).
    days
        Days the runs spread over, evenly, from 2025-01-01 UTC.
    files
        Partitions of the result (contiguous time ranges).
    varied
        False: every step has the same counts and a 0.75 s duration. True: the values vary
        as in a real log, deterministically (hashes of the row and run numbers): durations
        grow by step, drift up 30 % over the span, vary +-20 % and are 10x in one run of
        1,000; row counts vary per step (50-249 valid, 0-19 invalid rows) and every count,
        rate and instant stays consistent; a failed run's failed step has no counts.

    Returns
    -------
    DataFrame
        Rows with :data:`~sparkforge.writer.LOG_SCHEMA`'s columns and types.
    """
    runs = rows // _STEPS
    step_index = (F.col("id") % _STEPS).cast("int")
    run = (F.col("id") / _STEPS).cast("long")
    start_micros = F.lit(int(_START.timestamp() * 1_000_000)) + (
        run * F.lit(days * _MICROS_PER_DAY // runs)
    )
    step_start_micros = start_micros + step_index.cast("long") * 1_000_000
    failed_run = (run % 97) == 0
    failed_step = failed_run & (step_index == _STEPS - 1)
    phase = (
        F.when(step_index < 3, F.lit("bronze"))
        .when(step_index < 7, F.lit("silver"))
        .otherwise(F.lit("gold"))
    )
    bronze = step_index < 3
    if varied:

        def noise(seed: int, modulus: int, of: Column) -> Column:
            return F.pmod(F.xxhash64(of, F.lit(seed)), F.lit(modulus))

        drift = F.lit(1.0) + F.lit(0.3) * run.cast("double") / F.lit(float(max(runs, 1)))
        jitter = F.lit(0.8) + noise(1, 401, F.col("id")).cast("double") / F.lit(1000.0)
        spike = F.when(noise(2, 1000, run) == 0, F.lit(10.0)).otherwise(F.lit(1.0))
        base = F.lit(0.2) + F.lit(0.1) * step_index.cast("double")
        duration_micros = (base * drift * jitter * spike * F.lit(1e6)).cast("long")
        valid = F.lit(50) + noise(3, 200, F.col("id"))
        invalid = noise(4, 20, F.col("id"))
        filtered = noise(5, 10, F.col("id"))
        counted = ~failed_step
        total = valid + invalid
        counts: dict[str, Column] = {
            "input_rows": F.when(counted, total + filtered),
            "output_rows": F.when(counted, total),
            "rows_written": F.when(counted & ~bronze, valid),
            "valid_rows": F.when(counted, valid),
            "invalid_rows": F.when(counted, invalid),
            "validation_rate": F.when(counted, valid.cast("double") * 100.0 / total),
            "filtered_rows": F.when(counted, filtered),
            "failed_rule_rows": F.when(counted, invalid),
        }
        run_end_micros = start_micros + (F.lit(30) + noise(6, 30, run)) * 1_000_000
    else:
        duration_micros = F.lit(750_000).cast("long")
        counts = {
            "input_rows": F.lit(105),
            "output_rows": F.lit(100),
            "rows_written": F.when(~bronze, F.lit(90)),
            "valid_rows": F.lit(90),
            "invalid_rows": F.lit(10),
            "validation_rate": F.lit(90.0),
            "filtered_rows": F.lit(5),
            "failed_rule_rows": F.lit(10),
        }
        run_end_micros = start_micros + 60_000_000
    values: dict[str, Column] = {
        "run_mode": F.lit("incremental"),
        "run_started_at": F.timestamp_micros(start_micros),
        "run_ended_at": F.timestamp_micros(run_end_micros),
        "phase": phase,
        "step": F.concat(F.lit("step_"), step_index.cast("string")),
        "start_time": F.timestamp_micros(step_start_micros),
        "end_time": F.timestamp_micros(step_start_micros + duration_micros),
        "table_fqn": F.when(~bronze, F.concat(F.lit("lake.step_"), step_index.cast("string"))),
        "write_mode": F.when(~bronze, F.lit("append")),
        **{name: counts[name] for name in counts if name != "failed_rule_rows"},
        "previous_watermark": F.lit(None),
        "run_id": F.concat(F.lit("run-"), F.substring(F.sha2(run.cast("string"), 256), 1, 32)),
        "pipeline_name": F.format_string("pipeline_%02d", run % pipelines),
        "run_status": F.when(failed_run, F.lit("failed")).otherwise(F.lit("success")),
        "run_date": F.date_from_unix_date((start_micros / F.lit(_MICROS_PER_DAY)).cast("int")),
        "row_kind": F.lit("step"),
        "step_index": step_index,
        "step_status": F.when(failed_step, F.lit("failed")).otherwise(F.lit("success")),
        "duration_secs": duration_micros.cast("double") / F.lit(1e6),
        "rule_results": F.array(
            F.struct(
                F.lit("amount_positive").alias("rule"),
                F.lit("amount").alias("column"),
                counts["failed_rule_rows"].cast("long").alias("failed_rows"),
            )
        ),
        "error_type": F.when(failed_step, F.lit("ValueError")),
        "error_message": F.when(failed_step, F.lit("boom")),
        "tags": F.create_map(F.lit("environment"), F.lit("bench")),
        "logged_at": F.timestamp_micros(run_end_micros + 1_000_000),
        "schema_version": F.lit(1),
        "writer_version": F.lit(__version__),
    }
    source = spark.range(0, rows, 1, numPartitions=files)
    return source.select(
        *[values[f.name].cast(f.dataType).alias(f.name) for f in LOG_SCHEMA.fields]
    )


def create_clustered(
    bench: Bench, table: str, columns: tuple[str, ...] = ("pipeline_name", "run_date")
) -> LogWriter:
    """Create a liquid-clustered log table (``CLUSTER BY columns``); return its writer.

    ``WriterConfig`` has no clustering option, so the table is created through the
    ``DeltaTable`` builder with the log's schema and default properties.
    """
    builder = (
        DeltaTable.createIfNotExists(bench.spark)
        .tableName(bench.fqn(table))
        .addColumns(LOG_SCHEMA)
        .clusterBy(*columns)
    )
    for key, value in DEFAULT_TABLE_PROPERTIES.items():
        builder = builder.property(key, value)
    builder.execute()
    writer = LogWriter(bench.spark, bench.config(table, partition_columns=()))
    writer.create_table()  # checks that the table can hold the log (it exists)
    return writer


def timed(action: Callable[[], object]) -> float:
    """Return the seconds ``action()`` took."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run_filtered_read(bench: Bench) -> tuple[dict[str, object], dict[str, object]]:
    """Build the 1,000,000-row logs and time filtered reads against full scans.

    Parameters
    ----------
    bench
        The Spark context of the run.

    Returns
    -------
    tuple[dict, dict]
        The ``filtered_read_1m`` case: ``speedup`` = full scan / filtered read on the default
        (``run_date``-partitioned) table, the same on the other layouts, build times, file
        counts, and the time of ``validate_data_quality()`` over the whole log. Then the
        ``write_into_1m_log`` case: 10-step writes into each layout, per deduplication mode.
    """
    rows = 200_000 if bench.quick else 1_000_000
    repetitions = 2 if bench.quick else 5
    spark = bench.spark
    build: dict[str, float] = {}
    writers: dict[str, LogWriter] = {}

    bench.progress(f"filtered_read: building a {rows:,}-row log, partitioned by run_date")
    writers["partitioned"] = bench.writer("r1m_partitioned", partition_columns=_BY_DAY)
    build["partitioned"] = timed(
        lambda: (
            synthesize_log(spark, rows)
            .repartition("run_date")
            .write.format("delta")
            .mode("append")
            .saveAsTable(bench.fqn("r1m_partitioned"))
        )
    )
    bench.progress(f"filtered_read: unpartitioned ({build['partitioned']:.1f}s for the first)")
    writers["unpartitioned"] = bench.writer("r1m_unpartitioned", partition_columns=())
    build["unpartitioned"] = timed(
        lambda: (
            synthesize_log(spark, rows)
            .write.format("delta")
            .mode("append")
            .saveAsTable(bench.fqn("r1m_unpartitioned"))
        )
    )
    clustered_error: str | None = None
    try:
        bench.progress("filtered_read: liquid-clustered (CLUSTER BY pipeline_name, run_date)")
        writers["clustered"] = create_clustered(bench, "r1m_clustered")
        build["clustered"] = timed(
            lambda: (
                synthesize_log(spark, rows)
                .write.format("delta")
                .mode("append")
                .saveAsTable(bench.fqn("r1m_clustered"))
            )
        )
        build["clustered_optimize"] = timed(
            lambda: spark.sql(f"OPTIMIZE {bench.fqn('r1m_clustered')}").collect()
        )
    except Exception as exc:  # report what Delta said; the other layouts still count
        clustered_error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:300]}"
        writers.pop("clustered", None)
        bench.progress(f"filtered_read: clustering failed: {clustered_error}")

    since = WEEK_START
    until = WEEK_START + timedelta(days=7)
    aggregates = (F.count(F.lit(1)).alias("rows"), F.sum("duration_secs").alias("secs"))
    answers: dict[str, list[tuple[int, float]]] = {}

    def query(layout: str, *, filtered: bool) -> Callable[[int], object]:
        writer = writers[layout]

        def run(_: int) -> object:
            log_df = (
                writer.read_logs(pipeline_name="pipeline_07", since=since, until=until)
                if filtered
                else writer.read_logs()
            )
            row = log_df.agg(*aggregates).collect()[0]
            answers.setdefault(f"{layout}/{filtered}", []).append((row["rows"], row["secs"]))
            return row

        return run

    variants: dict[str, Callable[[int], object]] = {}
    for layout in writers:
        variants[f"{layout}_filtered"] = query(layout, filtered=True)
        variants[f"{layout}_full_scan"] = query(layout, filtered=False)
    variants["partitioned_full_count"] = lambda _: writers["partitioned"].read_logs().count()
    bench.progress(f"filtered_read: {len(variants)} queries x (1 warm-up + {repetitions})")
    runs = interleave(
        variants,
        repetitions=repetitions,
        warmup=1,
        instrument=bench.jobs.counting,
        progress=lambda line: bench.progress(f"filtered_read: {line}"),
    )
    filtered_answers = {key: value[0] for key, value in answers.items() if key.endswith("True")}
    if len(set(filtered_answers.values())) != 1:
        raise AssertionError(f"the layouts disagree on the filtered answer: {filtered_answers}")
    seconds = {name: run.summary() for name, run in runs.items()}

    bench.progress("filtered_read: validate_data_quality() over the whole partitioned log")
    quality_secs = []
    quality_passed = True
    for _ in range(1 if bench.quick else 2):
        start = time.perf_counter()
        quality = writers["partitioned"].validate_data_quality()
        quality_secs.append(time.perf_counter() - start)
        quality_passed = quality_passed and quality.passed and quality.total_rows == rows

    details = {layout: table_details(spark, w.table.fqn) for layout, w in writers.items()}
    case: dict[str, object] = {
        "speedup": round(
            speedup(seconds["partitioned_filtered"], seconds["partitioned_full_scan"]), 2
        ),
        "speedup_unpartitioned": round(
            speedup(seconds["unpartitioned_filtered"], seconds["unpartitioned_full_scan"]), 2
        ),
    }
    if "clustered" in writers:
        case["speedup_clustered"] = round(
            speedup(seconds["clustered_filtered"], seconds["clustered_full_scan"]), 2
        )
        case["filtered_clustered_vs_partitioned"] = round(
            ratio(seconds["clustered_filtered"], seconds["partitioned_filtered"]), 3
        )
    case.update(
        {
            "filtered_partitioned_vs_unpartitioned": round(
                ratio(seconds["partitioned_filtered"], seconds["unpartitioned_filtered"]), 3
            ),
            "full_scan_partitioned_vs_unpartitioned": round(
                ratio(seconds["partitioned_full_scan"], seconds["unpartitioned_full_scan"]), 3
            ),
            "validate_data_quality_seconds": round(summarize(quality_secs).median, 3),
            "validate_data_quality_passed": quality_passed,
            "filtered_rows_returned": next(iter(filtered_answers.values()))[0],
            "rows": rows,
            "repetitions": repetitions,
            "warmup": 1,
            "clustering_error": clustered_error,
            "files": {layout: detail["num_files"] for layout, detail in details.items()},
            "size_mib": {layout: mib(detail["size_bytes"]) for layout, detail in details.items()},
            "build_seconds": {key: round(value, 2) for key, value in build.items()},
            "jobs": {name: summarize(run.extra("jobs")).median for name, run in runs.items()},
            "seconds": {name: summary.as_dict() for name, summary in seconds.items()},
            "note": "speedup = full scan / filtered read (read_logs(pipeline_name=..., since, "
            "until=since + 7 days)), both computing count and sum(duration_secs), on the "
            "default run_date-partitioned table. full_count is a bare count() of the whole "
            "table, which Delta answers from its log statistics.",
        }
    )
    return case, _writes_into(bench, writers)


def _writes_into(bench: Bench, writers: dict[str, LogWriter]) -> dict[str, object]:
    """Time 10-step writes into the 1M-row logs: what the layout costs each write."""
    repetitions = 1 if bench.quick else 3
    rounds = 1 + repetitions
    base = make_report(10, pipeline="pipeline_07", start=WEEK_START + timedelta(hours=12))
    variants: dict[str, Callable[[int], object]] = {}
    for layout, writer in writers.items():
        for mode in ("scan", "transaction"):
            options: dict[str, object] = {"deduplication": mode}
            options["partition_columns"] = _BY_DAY if layout == "partitioned" else ()
            other = LogWriter(bench.spark, bench.config(writer.table.name or "", **options))
            other.create_table()  # the table exists: this only checks it
            # run ids like the synthesized ones, so file statistics on run_id cannot skip them
            reports = [with_run_id(base, f"run-{uuid.uuid4().hex}") for _ in range(rounds)]
            variants[f"{layout}_{mode}"] = _writer_of(other, reports)
    bench.progress(f"write_into_1m_log: {len(variants)} variants x (1 warm-up + {repetitions})")
    runs = interleave(
        variants,
        repetitions=repetitions,
        warmup=1,
        instrument=bench.jobs.counting,
        progress=lambda line: bench.progress(f"write_into_1m_log: {line}"),
    )
    seconds = {name: run.summary() for name, run in runs.items()}
    figures: dict[str, object] = {
        "scan_unpartitioned_vs_partitioned": round(
            ratio(seconds["unpartitioned_scan"], seconds["partitioned_scan"]), 3
        ),
        "transaction_unpartitioned_vs_partitioned": round(
            ratio(seconds["unpartitioned_transaction"], seconds["partitioned_transaction"]), 3
        ),
    }
    if "clustered_scan" in seconds:
        figures["scan_clustered_vs_partitioned"] = round(
            ratio(seconds["clustered_scan"], seconds["partitioned_scan"]), 3
        )
    figures.update(
        {
            "repetitions": repetitions,
            "warmup": 1,
            "jobs": {name: summarize(run.extra("jobs")).median for name, run in runs.items()},
            "seconds": {name: summary.as_dict() for name, summary in seconds.items()},
            "note": "write_report of a 10-step run (inside the synthesized year, with a run id "
            "like the synthesized ones) into each 1,000,000-row table, per deduplication "
            "mode. scan looks the run id up before writing; the writer adds a run_date "
            "predicate to that look-up only when the table is partitioned by run_date.",
        }
    )
    return figures


def _writer_of(writer: LogWriter, reports: list[PipelineReport]) -> Callable[[int], object]:
    def run(i: int) -> None:
        result = writer.write_report(reports[i])
        if result.skipped or result.rows_written != len(reports[i].steps):
            raise AssertionError(f"the write into the 1M-row log did not happen: {result!r}")

    return run


#: The end of the synthesized year: "now" for the last-4-weeks query and the analytics.
END = _START + timedelta(days=365)


def full_scan_aggregation(log_df: DataFrame) -> list[Row]:
    """Collect the plain full-scan aggregation: per pipeline and step, count, mean, sum."""
    return (
        log_df.groupBy("pipeline_name", "step")
        .agg(
            F.count(F.lit(1)).alias("rows"),
            F.avg("duration_secs").alias("mean_secs"),
            F.sum("rows_written").alias("rows_written"),
        )
        .collect()
    )
