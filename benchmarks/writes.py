"""Cases of writes to Delta: the writer against the floor Spark + Delta set, jobs, batching.

- ``write_1000_vs_raw`` and ``jobs_per_write``: one 1,000-step report, written by the writer
  under each deduplication mode and by the two baselines: ``raw`` (``createDataFrame(rows,
  LOG_SCHEMA)`` + a Delta append of the same rows) and ``raw_txn`` (the same append with
  ``txnAppId``/``txnVersion``: the floor of an idempotent append). All variants run
  interleaved, each on its own table created the same way, so every table is at the same
  version in the same round and Delta's checkpoint (every 10th commit) falls in the same
  round for all of them. The Spark jobs of every measured write are counted.
- ``batch_100_vs_single``: ``write_reports`` of 100 ten-step reports against 100
  ``write_report`` calls, on fresh tables each round; then ``optimize_100_commits``: reads of
  the 100-commit table before (time travel) and after ``OPTIMIZE``.
- ``legacy_vs_new_10k``: the legacy ``append`` against ``write_report`` on 10,000 steps.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from benchmarks.common import checkpoint_versions, fresh_copies, legacy_report, table_details
from benchmarks.harness import interleave, paired_ratios, ratio, speedup, summarize
from sparkforge.writer import LOG_SCHEMA

if TYPE_CHECKING:
    from collections.abc import Callable

    from benchmarks.common import Bench
    from benchmarks.environment import JobCounter
    from benchmarks.harness import Runs
    from sparkforge.models import PipelineReport
    from sparkforge.writer import LogWriter, WriteResult
    from sparkforge.writer.models import LogRow

__all__ = ["run_batch", "run_legacy", "run_write_1000"]


def _arrow_schema() -> object | None:
    """Return LOG_SCHEMA as a pyarrow schema, or None when pyarrow is not installed."""
    from pyspark.sql.pandas.types import to_arrow_schema

    try:
        schema: object = to_arrow_schema(LOG_SCHEMA)
    except ImportError:  # pyarrow is a dev dependency of sparkforge, not a runtime one
        return None
    return schema


def _raw_append(
    bench: Bench,
    fqn: str,
    rows: list[LogRow],
    txn_app_id: str | None,
    *,
    arrow_schema: object | None = None,
) -> None:
    data: object = rows
    if arrow_schema is not None:
        import pyarrow as pa

        data = pa.Table.from_pylist(rows, schema=arrow_schema)
    df = bench.spark.createDataFrame(data, LOG_SCHEMA)
    writer = df.write.format("delta").mode("append")
    if txn_app_id is not None:
        writer = writer.option("txnAppId", txn_app_id).option("txnVersion", "0")
    writer.saveAsTable(fqn)


def _expect_written(results: list[WriteResult], rows: int) -> None:
    for result in results:
        if result.skipped or result.rows_written != rows or not result.success:
            raise AssertionError(f"a measured write did not write {rows} rows: {result!r}")


def _jobs_figures(runs: Runs) -> dict[str, object]:
    jobs = runs.extra("jobs")
    return {
        "median": summarize(jobs).median,
        "max": max(jobs),
        "min": min(jobs),
        "per_write": [int(j) for j in jobs],
    }


def run_write_1000(bench: Bench) -> tuple[dict[str, object], dict[str, object]]:
    """Measure ``write_report`` of 1,000 steps against the raw baselines; count Spark jobs.

    Parameters
    ----------
    bench
        The Spark context of the run.

    Returns
    -------
    tuple[dict, dict]
        The ``write_1000_vs_raw`` and the ``jobs_per_write`` cases.
    """
    from sparkforge import table_operations as ops
    from sparkforge.writer.models import report_problems, rows_from_report
    from tests.factories import make_report

    steps = 1_000
    repetitions = 2 if bench.quick else 9
    warmup = 1
    rounds = warmup + repetitions
    base = make_report(steps, pipeline="bench")
    writers: dict[str, LogWriter] = {
        "writer_transaction": bench.writer("w1000_writer_transaction"),
        "writer_none": bench.writer("w1000_writer_none", deduplication="none"),
        "writer_scan": bench.writer("w1000_writer_scan", deduplication="scan"),
    }
    arrow = _arrow_schema()
    baselines = ["raw", "raw_txn", *(["raw_arrow", "raw_arrow_txn"] if arrow is not None else [])]
    for name in baselines:
        bench.writer(f"w1000_{name}")  # the same table (partitioning, properties) as the writer's
    reports = {name: fresh_copies(base, rounds) for name in [*writers, *baselines]}
    rows = {name: [rows_from_report(r) for r in reports[name]] for name in baselines}
    results: list[WriteResult] = []

    def write_with(name: str) -> Callable[[int], object]:
        writer = writers[name]
        return lambda i: results.append(writer.write_report(reports[name][i]))

    def raw_with(name: str) -> Callable[[int], object]:
        def run(i: int) -> None:
            txn = f"bench.raw/{reports[name][i].run_id}" if name.endswith("_txn") else None
            schema = arrow if "arrow" in name else None
            _raw_append(bench, bench.fqn(f"w1000_{name}"), rows[name][i], txn, arrow_schema=schema)

        return run

    variants: dict[str, Callable[[int], object]] = {
        **{name: raw_with(name) for name in baselines},
        **{name: write_with(name) for name in writers},
    }
    bench.progress(f"write_1000: {len(variants)} variants x ({warmup} warm-up + {repetitions})")
    runs = interleave(
        variants,
        repetitions=repetitions,
        warmup=warmup,
        instrument=bench.jobs.counting,
        progress=lambda line: bench.progress(f"write_1000: {line}"),
    )
    _expect_written(results, steps)
    seconds = {name: run.summary() for name, run in runs.items()}

    def paired(candidate: str, baseline: str) -> list[float]:
        return paired_ratios(runs[candidate].seconds, runs[baseline].seconds)

    # Where the writer's time goes beyond the append: each part timed on its own.
    bench.progress("write_1000: timing the writer's parts (checks, rows, table check, history)")
    log_table = writers["writer_none"].table
    marker = "sparkforge.bench:no-such-commit"
    parts = interleave(
        {
            "report_problems": lambda i: report_problems(base),
            "rows_from_report": lambda i: rows_from_report(base),
            "table_exists": lambda i: ops.table_exists(bench.spark, log_table),
            "find_commit": lambda i: ops.find_commit(bench.spark, log_table, marker, windows=(1,)),
        },
        repetitions=3 if bench.quick else 7,
        warmup=1,
        instrument=bench.jobs.counting,
    )
    checkpoints = {
        name: checkpoint_versions(
            str(table_details(bench.spark, bench.fqn(f"w1000_{name}"))["location"])
        )
        for name in variants
    }
    write_case: dict[str, object] = {
        "ratio": round(ratio(seconds["writer_transaction"], seconds["raw"]), 3),
        "ratio_vs_idempotent_floor": round(
            ratio(seconds["writer_transaction"], seconds["raw_txn"]), 3
        ),
        "ratio_dedup_none": round(ratio(seconds["writer_none"], seconds["raw"]), 3),
        "ratio_dedup_scan": round(ratio(seconds["writer_scan"], seconds["raw"]), 3),
        "ratio_dedup_scan_vs_idempotent_floor": round(
            ratio(seconds["writer_scan"], seconds["raw_txn"]), 3
        ),
        "idempotent_floor_vs_raw": round(ratio(seconds["raw_txn"], seconds["raw"]), 3),
        "ratio_paired": round(summarize(paired("writer_transaction", "raw")).median, 3),
        "ratio_vs_idempotent_floor_paired": round(
            summarize(paired("writer_transaction", "raw_txn")).median, 3
        ),
        "ratio_dedup_none_paired": round(summarize(paired("writer_none", "raw")).median, 3),
        "ratio_of_means": round(seconds["writer_transaction"].mean / seconds["raw"].mean, 3),
        **(
            {
                "arrow_floor_vs_raw": round(ratio(seconds["raw_arrow"], seconds["raw"]), 3),
                "arrow_idempotent_floor_vs_raw_txn": round(
                    ratio(seconds["raw_arrow_txn"], seconds["raw_txn"]), 3
                ),
            }
            if "raw_arrow" in seconds
            else {}
        ),
        "rows": steps,
        "repetitions": repetitions,
        "warmup": warmup,
        "seconds": {name: summary.as_dict() for name, summary in seconds.items()},
        "parts_seconds": {name: run.summary().as_dict() for name, run in parts.items()},
        "parts_jobs": {name: summarize(run.extra("jobs")).median for name, run in parts.items()},
        "checkpoint_versions": checkpoints,
        "note": "ratio = writer (deduplication='transaction', the default) / raw "
        "(createDataFrame(rows, LOG_SCHEMA) + Delta append). ratio_vs_idempotent_floor "
        "divides by raw_txn, the same append with txnAppId/txnVersion, which is what an "
        "idempotent append costs in Delta. *_paired figures are medians of the per-round "
        "ratios (less sensitive to load drift than ratios of medians). Every table was "
        "created by LogWriter.create_table() and gets one commit per round, so Delta's "
        "checkpoint (every 10th commit) falls in the same round for every variant: medians "
        "leave it out, means and max include it. raw_arrow / raw_arrow_txn build the same "
        "rows' DataFrame from a pyarrow Table instead of the list of rows (the Arrow path "
        "needs no Python worker).",
    }
    jobs = {name: _jobs_figures(run) for name, run in runs.items()}
    writer_jobs = runs["writer_transaction"].extra("jobs")
    jobs_case: dict[str, object] = {
        "jobs": summarize(writer_jobs).median,
        "jobs_max": max(writer_jobs),
        "jobs_dedup_none": jobs["writer_none"]["median"],
        "jobs_dedup_none_max": jobs["writer_none"]["max"],
        "jobs_dedup_scan": jobs["writer_scan"]["median"],
        "jobs_raw": jobs["raw"]["median"],
        "jobs_raw_max": jobs["raw"]["max"],
        "jobs_raw_txn": jobs["raw_txn"]["median"],
        "jobs_raw_txn_max": jobs["raw_txn"]["max"],
        "jobs_find_commit": summarize(parts["find_commit"].extra("jobs")).median,
        "jobs_table_exists": summarize(parts["table_exists"].extra("jobs")).median,
        "writes_counted": len(writer_jobs),
        "per_variant": jobs,
        "checkpoint_versions": checkpoints,
        "note": "Jobs counted per write with a job group and the status tracker (Delta's "
        "helper threads inherit the group). jobs = median over the measured 1,000-step writes "
        "of the default writer; jobs_max includes the round whose commit is a Delta "
        "checkpoint (every 10th commit), which adds jobs to every variant alike. Nothing is "
        "excluded: per_write lists every measured write.",
    }
    return write_case, jobs_case


def _timed_batch(writer: LogWriter, reports: list[PipelineReport], jobs: JobCounter) -> _Timed:
    with jobs.counting("batch") as figures:
        start = time.perf_counter()
        result = writer.write_reports(reports)
        elapsed = time.perf_counter() - start
    _expect_written([result], sum(len(r.steps) for r in reports))
    return _Timed(elapsed, [elapsed], result.commits, figures["jobs"])


def _timed_singles(writer: LogWriter, reports: list[PipelineReport], jobs: JobCounter) -> _Timed:
    calls = []
    commits = 0
    with jobs.counting("singles") as figures:
        start = time.perf_counter()
        for report in reports:
            call_start = time.perf_counter()
            result = writer.write_report(report)
            calls.append(time.perf_counter() - call_start)
            _expect_written([result], len(report.steps))
            commits += result.commits
        elapsed = time.perf_counter() - start
    return _Timed(elapsed, calls, commits, figures["jobs"])


@dataclass(frozen=True, slots=True)
class _Timed:
    seconds: float
    calls: list[float]
    commits: int
    jobs: float


def run_batch(bench: Bench) -> tuple[dict[str, object], dict[str, object]]:
    """Measure ``write_reports`` of 100 ten-step reports against 100 ``write_report`` calls.

    Each round uses two fresh tables (created untimed) and alternates which goes first.
    Afterwards, the last round's 100-commit table is read before (time travel) and after
    ``OPTIMIZE``.

    Parameters
    ----------
    bench
        The Spark context of the run.

    Returns
    -------
    tuple[dict, dict]
        The ``batch_100_vs_single`` and ``optimize_100_commits`` cases.
    """
    from tests.factories import make_report

    count = 20 if bench.quick else 100
    steps = 10
    rounds = 1 if bench.quick else 2
    base = make_report(steps, pipeline="bench")

    bench.progress("batch: warm-up (10 reports, batch and single), not measured")
    _timed_batch(bench.writer("batch_warmup_b"), fresh_copies(base, 10), bench.jobs)
    _timed_singles(bench.writer("batch_warmup_s"), fresh_copies(base, 10), bench.jobs)

    batches: list[_Timed] = []
    singles: list[_Timed] = []
    last_single: LogWriter | None = None
    for round_index in range(rounds):
        # No compaction by the writer: the case compares commits, and optimize_100_commits
        # then compacts the 100-commit table itself.
        batch_writer = bench.writer(f"batch_b{round_index}", compact_every=None)
        single_writer = bench.writer(f"batch_s{round_index}", compact_every=None)
        batch_reports = fresh_copies(base, count)
        single_reports = fresh_copies(base, count)
        if round_index % 2 == 0:
            batches.append(_timed_batch(batch_writer, batch_reports, bench.jobs))
            singles.append(_timed_singles(single_writer, single_reports, bench.jobs))
        else:
            singles.append(_timed_singles(single_writer, single_reports, bench.jobs))
            batches.append(_timed_batch(batch_writer, batch_reports, bench.jobs))
        bench.progress(
            f"batch: round {round_index + 1}/{rounds}: batch {batches[-1].seconds:.2f}s, "
            f"{count} single calls {singles[-1].seconds:.1f}s"
        )
        last_single = single_writer
    batch_summary = summarize([t.seconds for t in batches])
    totals_summary = summarize([t.seconds for t in singles])
    batch_case: dict[str, object] = {
        "speedup": round(speedup(batch_summary, totals_summary), 1),
        "commits": int(summarize([t.commits for t in batches]).median),
        "commits_single": int(summarize([t.commits for t in singles]).median),
        "reports": count,
        "steps_per_report": steps,
        "repetitions": rounds,
        "warmup": 1,
        "jobs_batch": summarize([t.jobs for t in batches]).median,
        "jobs_singles_total": summarize([t.jobs for t in singles]).median,
        "seconds": {
            "write_reports_batch": batch_summary.as_dict(),
            "single_calls_total": totals_summary.as_dict(),
            "single_call": summarize([c for t in singles for c in t.calls]).as_dict(),
        },
        "note": "speedup = median total of the single calls / median write_reports call. "
        "Fresh tables every round; batch and singles alternate which goes first. The singles' "
        "total includes the Delta checkpoints their commits write (every 10th commit); "
        "single_call summarizes every single call of every round.",
    }
    assert last_single is not None
    return batch_case, _optimize_case(bench, last_single)


def _optimize_case(bench: Bench, writer: LogWriter) -> dict[str, object]:
    from sparkforge import table_operations as ops

    table = writer.table
    before = table_details(bench.spark, table.fqn)
    version_before = ops.latest_version(bench.spark, table)
    start = time.perf_counter()
    ops.optimize(bench.spark, table)
    optimize_secs = time.perf_counter() - start
    after = table_details(bench.spark, table.fqn)
    location = str(after["location"])

    def query(version: int | None) -> Callable[[int], object]:
        def read(_: int) -> object:
            reader = bench.spark.read.format("delta")
            if version is not None:
                reader = reader.option("versionAsOf", str(version))
            log_df = reader.load(location)
            return log_df.agg(F.count(F.lit(1)), F.sum("duration_secs")).collect()

        return read

    repetitions = 3 if bench.quick else 7
    bench.progress(f"optimize: {before['num_files']} files -> {after['num_files']}")
    runs = interleave(
        {"read_before_optimize": query(version_before), "read_after_optimize": query(None)},
        repetitions=repetitions,
        warmup=1,
    )
    seconds = {name: run.summary() for name, run in runs.items()}
    return {
        "read_speedup": round(
            speedup(seconds["read_after_optimize"], seconds["read_before_optimize"]), 2
        ),
        "optimize_seconds": round(optimize_secs, 3),
        "files_before": before["num_files"],
        "files_after": after["num_files"],
        "repetitions": repetitions,
        "warmup": 1,
        "seconds": {name: summary.as_dict() for name, summary in seconds.items()},
        "note": "The last 100-commit table of batch_100_vs_single (one file per write_report "
        "call): an aggregation over all rows read at the version before OPTIMIZE (time travel) "
        "and after it, interleaved. optimize_seconds is one OPTIMIZE (compaction).",
    }


def run_legacy(bench: Bench) -> dict[str, object]:
    """Measure the legacy ``append`` against ``write_report`` on the same 10,000-step report.

    Returns
    -------
    dict
        The ``legacy_vs_new_10k`` case: ``ratio`` = new / legacy (below 1: the new writer is
        faster).
    """
    from sparkforge.writer import LogWriter
    from tests.factories import make_report

    steps = 10_000
    repetitions = 2 if bench.quick else 5
    warmup = 1
    rounds = warmup + repetitions
    base = make_report(steps, pipeline="bench")
    legacy_dict = legacy_report(base)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        legacy = LogWriter(bench.spark, bench.schema, "legacy10k_legacy")
    new = bench.writer("legacy10k_new")
    new_none = bench.writer("legacy10k_new_none", deduplication="none")
    new_reports = fresh_copies(base, rounds)
    none_reports = fresh_copies(base, rounds)
    results: list[WriteResult] = []

    def legacy_append(_: int) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            legacy.append(legacy_dict)

    bench.progress(f"legacy_10k: 3 variants x ({warmup} warm-up + {repetitions})")
    runs = interleave(
        {
            "legacy_append": legacy_append,
            "write_report": lambda i: results.append(new.write_report(new_reports[i])),
            "write_report_dedup_none": lambda i: results.append(
                new_none.write_report(none_reports[i])
            ),
        },
        repetitions=repetitions,
        warmup=warmup,
        instrument=bench.jobs.counting,
        progress=lambda line: bench.progress(f"legacy_10k: {line}"),
    )
    _expect_written(results, steps)
    legacy_rows = bench.spark.table(bench.fqn("legacy10k_legacy")).count()
    if legacy_rows != steps * rounds:
        raise AssertionError(f"the legacy table holds {legacy_rows} rows, not {steps * rounds}")
    seconds = {name: run.summary() for name, run in runs.items()}
    return {
        "ratio": round(ratio(seconds["write_report"], seconds["legacy_append"]), 3),
        "ratio_dedup_none": round(
            ratio(seconds["write_report_dedup_none"], seconds["legacy_append"]), 3
        ),
        "rows": steps,
        "repetitions": repetitions,
        "warmup": warmup,
        "jobs": {name: summarize(run.extra("jobs")).median for name, run in runs.items()},
        "seconds": {name: summary.as_dict() for name, summary in seconds.items()},
        "note": "ratio = write_report (default, idempotent, 32 columns, checks every field) / "
        "legacy append (17 columns, plain append, no idempotency); below 1 the new writer is "
        "faster. Same run, interleaved, separate tables.",
    }
