"""Case ``layout_reads_1m``: which layout new log tables should get, on a 1,000,000-row log.

A log grows by one small file per commit, so here the same 1,000,000 rows
(:func:`benchmarks.reads.synthesize_log`: 100,000 runs of 10 steps, 20 pipelines, one year)
arrive as ~2,000 small time-ordered files of 500 rows in ONE Delta append each into
``partitioned`` (``run_date``), ``unpartitioned`` and ``clustered`` (liquid ``CLUSTER BY
(pipeline_name, run_started_at)``) tables; each is timed as appended (``raw``) and, through a
byte-identical copy of its files, after ``OPTIMIZE`` (``optimized``), on three questions: one
pipeline's last 4 weeks, one run by id, and the full-scan aggregation.

The setup is cheap: each append is 20 tasks, each a contiguous stretch of time split into
files of ``rows / files`` rows by ``maxRecordsPerFile`` (a partitioned task also starts a new
file at each midnight), instead of one task per file; the files are the same small
time-ordered files.
"""

from __future__ import annotations

import functools
import shutil
import time
from datetime import timedelta
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from benchmarks.aging import auto_compaction_options, ensure_auto_compaction
from benchmarks.common import mib, table_details
from benchmarks.harness import interleave, ratio, summarize
from benchmarks.reads import END, create_clustered, full_scan_aggregation, synthesize_log, timed
from sparkforge.writer import LogWriter

if TYPE_CHECKING:
    from collections.abc import Callable

    from benchmarks.common import Bench

__all__ = [
    "LAYOUTS",
    "LAYOUT_BASELINE",
    "LAYOUT_QUERIES",
    "LAYOUT_STATES",
    "layout_figures",
    "run_layout_reads",
]

_BY_DAY = ("run_date",)
#: Tasks of each append: each writes its stretch of time as files of ``rows / files`` rows.
_APPEND_TASKS = 20


#: The layouts of ``layout_reads_1m``, the states of each, and the queries timed on each.
LAYOUTS = ("partitioned", "unpartitioned", "clustered")
LAYOUT_STATES = ("raw", "optimized")
LAYOUT_QUERIES = ("pipeline_4_weeks", "run_by_id", "full_scan")
#: Every ratio of ``layout_reads_1m`` divides by this table's median, query by query.
LAYOUT_BASELINE = "partitioned_raw"


def layout_figures(seconds: dict[str, list[float]]) -> dict[str, object]:
    """Return ``layout_reads_1m``'s ratios and winners from each variant's seconds.

    Parameters
    ----------
    seconds
        ``{table}_{query}`` -> one duration per measured round, where ``table`` is
        ``{layout}_{state}`` (see :data:`LAYOUTS`, :data:`LAYOUT_STATES`) and ``query`` one of
        :data:`LAYOUT_QUERIES`; the baseline :data:`LAYOUT_BASELINE` must be there.

    Returns
    -------
    dict
        ``ratios``: per query, each table's median / the baseline's median (below 1 faster);
        ``best``: per query, the table with the lowest median; ``{query}_best_ratio``: that
        table's ratio.

    Examples
    --------
    >>> figures = layout_figures({"partitioned_raw_run_by_id": [2.0, 2.0],
    ...     "clustered_optimized_run_by_id": [1.0, 1.0]})
    >>> figures["best"], figures["run_by_id_best_ratio"]
    ({'run_by_id': 'clustered_optimized'}, 0.5)
    """
    ratios: dict[str, dict[str, float]] = {}
    best: dict[str, str] = {}
    figures: dict[str, object] = {}
    for query in LAYOUT_QUERIES:
        suffix = f"_{query}"
        tables = {
            name.removesuffix(suffix): samples
            for name, samples in seconds.items()
            if name.endswith(suffix)
        }
        if not tables:
            continue
        if LAYOUT_BASELINE not in tables:
            raise ValueError(f"no measurements of {LAYOUT_BASELINE}{suffix}")
        base = tables[LAYOUT_BASELINE]
        ratios[query] = {table: round(ratio(s, base), 3) for table, s in tables.items()}
        best[query] = min(tables, key=lambda table: summarize(tables[table]).median)
        figures[f"{query}_best_ratio"] = ratios[query][best[query]]
    return {**figures, "best": best, "ratios": ratios}


def _build_small_files(bench: Bench, layout: str, rows: int, files: int) -> LogWriter:
    """Create the ``layout`` log table and append ``rows`` rows as ``files`` time-ordered files."""
    name = f"lr_{layout}_raw"
    # Off, so that the append stays ~files small files (auto compaction would merge them).
    options = auto_compaction_options(False)
    if layout == "clustered":
        writer = create_clustered(bench, name, ("pipeline_name", "run_started_at"))
    elif layout == "partitioned":
        writer = bench.writer(name, partition_columns=_BY_DAY, **options)
    else:
        writer = bench.writer(name, partition_columns=(), **options)
    ensure_auto_compaction(bench, writer.table.fqn, False)
    # A few tasks, each a contiguous stretch of time cut into files of rows / files rows
    # (a partitioned task also starts a new file at each day): the same small time-ordered
    # files as one task per file, without the overhead of thousands of tasks.
    tasks = min(_APPEND_TASKS, files)
    (
        synthesize_log(bench.spark, rows, files=tasks)
        .write.format("delta")
        .mode("append")
        .option("maxRecordsPerFile", max(1, rows // files))
        .saveAsTable(bench.fqn(name))
    )
    return writer


def _copy_table(bench: Bench, source: LogWriter, name: str, layout: str) -> LogWriter:
    """Register a byte-identical copy of ``source``'s files as the external table ``name``."""
    location = str(table_details(bench.spark, source.table.fqn)["location"])
    target = f"{location.rstrip('/')}_copy_{name}"
    shutil.copytree(location, target)
    bench.spark.sql(f"CREATE TABLE {bench.fqn(name)} USING DELTA LOCATION '{target}'")
    options: dict[str, object] = {"partition_columns": _BY_DAY if layout == "partitioned" else ()}
    writer = LogWriter(bench.spark, bench.config(name, **options))
    writer.create_table()  # the table exists: this only checks it can hold the log
    return writer


def run_layout_reads(bench: Bench) -> dict[str, object]:
    """Time the three log questions on each layout, as appended and after ``OPTIMIZE``.

    Parameters
    ----------
    bench
        The Spark context of the run.

    Returns
    -------
    dict
        The ``layout_reads_1m`` case (see its ``note``).
    """
    rows, files = (200_000, 400) if bench.quick else (1_000_000, 2_000)
    repetitions = 2 if bench.quick else 5
    spark = bench.spark
    writers: dict[str, LogWriter] = {}
    build: dict[str, float] = {}
    for layout in LAYOUTS:
        bench.progress(f"layout_reads: {layout}, {rows:,} rows as ~{files:,} small files")
        start = time.perf_counter()
        writers[f"{layout}_raw"] = _build_small_files(bench, layout, rows, files)
        build[f"{layout}_raw"] = time.perf_counter() - start
        copy = _copy_table(bench, writers[f"{layout}_raw"], f"lr_{layout}_optimized", layout)
        # OPTIMIZE runs when spark.sql is called (a command is eager): time that call.
        build[f"{layout}_optimize"] = timed(
            functools.partial(spark.sql, f"OPTIMIZE {copy.table.fqn}")
        )
        writers[f"{layout}_optimized"] = copy

    pipeline, since = "pipeline_07", END - timedelta(days=28)
    run_id = str(
        writers[LAYOUT_BASELINE]
        .read_logs(pipeline_name=pipeline, since=since)
        .agg(F.max("run_id").alias("run_id"))
        .collect()[0]["run_id"]
    )
    answers: dict[str, set[object]] = {query: set() for query in LAYOUT_QUERIES}

    def query(writer: LogWriter, kind: str) -> Callable[[int], object]:
        def run(_: int) -> None:
            if kind == "pipeline_4_weeks":
                row = (
                    writer.read_logs(pipeline_name=pipeline, since=since)
                    .agg(F.count(F.lit(1)).alias("rows"), F.sum("duration_secs").alias("secs"))
                    .collect()[0]
                )
                answers[kind].add((row["rows"], row["secs"]))
            elif kind == "run_by_id":
                found = writer.read_logs(run_id=run_id).collect()
                answers[kind].add(tuple(sorted(r["step"] for r in found)))
            else:
                answers[kind].add(len(full_scan_aggregation(writer.read_logs())))

        return run

    variants = {
        f"{table}_{kind}": query(writer, kind)
        for table, writer in writers.items()
        for kind in LAYOUT_QUERIES
    }
    bench.progress(f"layout_reads: {len(variants)} queries x (1 warm-up + {repetitions})")
    runs = interleave(
        variants,
        repetitions=repetitions,
        warmup=1,
        instrument=bench.jobs.counting,
        progress=lambda line: bench.progress(f"layout_reads: {line}"),
    )
    disagree = {kind: found for kind, found in answers.items() if len(found) != 1}
    if disagree:
        raise AssertionError(f"the layouts disagree on the answers: {disagree}")
    details = {table: table_details(spark, w.table.fqn) for table, w in writers.items()}
    figures = layout_figures({name: run.seconds for name, run in runs.items()})
    best = figures.pop("best")
    ratios = figures.pop("ratios")
    return {
        **figures,
        "pipeline_4_weeks_best": best["pipeline_4_weeks"],  # type: ignore[index]
        "run_by_id_best": best["run_by_id"],  # type: ignore[index]
        "full_scan_best": best["full_scan"],  # type: ignore[index]
        "ratios_vs_partitioned_raw": ratios,
        "files": {table: detail["num_files"] for table, detail in details.items()},
        "size_mib": {table: mib(detail["size_bytes"]) for table, detail in details.items()},
        "build_seconds": {key: round(value, 2) for key, value in build.items()},
        "rows": rows,
        "appended_files": files,
        "pipeline_4_weeks_rows": next(iter(answers["pipeline_4_weeks"]))[0],  # type: ignore[index]
        "repetitions": repetitions,
        "warmup": 1,
        "jobs": {name: summarize(run.extra("jobs")).median for name, run in runs.items()},
        "seconds": {name: run.summary().as_dict() for name, run in runs.items()},
        "note": f"{rows:,} log rows (synthesize_log: {rows // 10:,} runs of 10 steps, 20 "
        f"pipelines, one year) appended in ONE Delta commit as ~{files:,} time-ordered small "
        f"files of {rows // files:,} rows ({_APPEND_TASKS} tasks, each a contiguous stretch "
        "of time cut by maxRecordsPerFile; a partitioned task also starts a file at each "
        "midnight), to three layouts: partitioned (run_date, a writer option), "
        "unpartitioned (the writer's default), clustered (liquid CLUSTER BY pipeline_name, "
        "run_started_at). *_raw "
        "is that table as appended; *_optimized a byte-identical copy of its files after "
        "OPTIMIZE (which clusters the clustered one). Queries through LogWriter.read_logs, "
        "collected: pipeline_4_weeks = pipeline_name = 'pipeline_07' and run_started_at >= "
        "end - 28 days (read_logs adds run_date >= that date), count + sum(duration_secs); "
        "run_by_id = the 10 rows of one run by run_id; full_scan = groupBy(pipeline_name, "
        "step) count, avg(duration_secs), sum(rows_written). All 18 interleaved; ratios = "
        "median / median of partitioned_raw for the same query (below 1 faster); *_best = "
        "the table with the lowest median.",
    }
