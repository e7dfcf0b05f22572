"""Case ``report_100k``: one 100,000-step report: wall time and the driver's memory growth.

The driver's (this Python process's) resident memory is sampled by
:class:`sparkforge.performance.MemoryProbe` around each write; the JVM is a separate process,
whose resident memory is sampled from ``/proc/<pid>/status`` and reported apart. Python keeps
freed memory for reuse, so the first measured write shows the largest growth: the headline is
the largest growth of all writes.
"""

from __future__ import annotations

import gc
import time
from typing import TYPE_CHECKING

from benchmarks.common import fresh_copies, mib
from benchmarks.environment import JvmMemorySampler, jvm_pid
from benchmarks.harness import ratio, summarize
from sparkforge.performance import MemoryProbe
from sparkforge.writer import LOG_SCHEMA
from sparkforge.writer.models import report_problems, rows_from_report
from tests.factories import make_report

if TYPE_CHECKING:
    from benchmarks.common import Bench

__all__ = ["run_report_100k"]


def run_report_100k(bench: Bench) -> dict[str, object]:
    """Write a 100,000-step report several times; report seconds and peak memory growth.

    Parameters
    ----------
    bench
        The Spark context of the run.

    Returns
    -------
    dict
        The ``report_100k`` case: ``seconds`` (median) and ``peak_mem_mib`` (largest driver
        RSS growth over the writes), the JVM's RSS growth, jobs, and the pure-Python parts.
    """
    steps = 20_000 if bench.quick else 100_000
    repetitions = 1 if bench.quick else 3
    bench.progress(f"report_100k: building a {steps:,}-step report")
    base = make_report(steps, pipeline="bench")
    reports = fresh_copies(base, repetitions)
    writer = bench.writer("r100k")

    bench.progress("report_100k: warm-up write of 10,000 steps (not measured)")
    writer.write_report(make_report(10_000, pipeline="bench"))

    raw_table = bench.writer("r100k_raw").table.fqn  # the baseline's table, created alike
    raw_reports = fresh_copies(base, repetitions)

    def raw_append(index: int) -> float:
        rows = rows_from_report(raw_reports[index])  # untimed: the baseline starts from rows
        start = time.perf_counter()
        df = bench.spark.createDataFrame(rows, LOG_SCHEMA)
        df.write.format("delta").mode("append").saveAsTable(raw_table)
        return time.perf_counter() - start

    pid = jvm_pid()
    seconds: list[float] = []
    raw_seconds: list[float] = []
    growth: list[float] = []
    jvm_growth: list[float] = []
    jvm_peak: list[float] = []
    jobs: list[float] = []
    for index, report in enumerate(reports):
        if index % 2 == 1:  # alternate which of writer and baseline goes first
            raw_seconds.append(raw_append(index))
        gc.collect()
        with (
            bench.jobs.counting("r100k") as figures,
            MemoryProbe(interval_secs=0.005) as probe,
            JvmMemorySampler(pid) as jvm,
        ):
            start = time.perf_counter()
            result = writer.write_report(report)
            elapsed = time.perf_counter() - start
        if result.rows_written != steps or result.skipped:
            raise AssertionError(f"the 100k write did not write {steps} rows: {result!r}")
        seconds.append(elapsed)
        growth.append(mib(probe.peak_python_rss_growth_bytes) or 0.0)
        jobs.append(figures["jobs"])
        if jvm.growth_mib is not None and jvm.peak_mib is not None:
            jvm_growth.append(jvm.growth_mib)
            jvm_peak.append(jvm.peak_mib)
        if index % 2 == 0:
            raw_seconds.append(raw_append(index))
        bench.progress(
            f"report_100k: write {index + 1}/{repetitions}: {elapsed:.2f}s (raw "
            f"{raw_seconds[-1]:.2f}s), driver RSS +{growth[-1]:.0f} MiB, "
            f"JVM RSS +{jvm.growth_mib} MiB"
        )

    bench.progress("report_100k: timing the pure-Python parts (checks, rows)")
    check_secs = []
    rows_secs = []
    for _ in range(repetitions):
        start = time.perf_counter()
        report_problems(base)
        check_secs.append(time.perf_counter() - start)
        start = time.perf_counter()
        rows_from_report(base)
        rows_secs.append(time.perf_counter() - start)

    summary = summarize(seconds)
    raw_summary = summarize(raw_seconds)
    return {
        "seconds": round(summary.median, 3),
        "ratio_vs_raw": round(ratio(summary, raw_summary), 3),
        "peak_mem_mib": max(growth),
        "peak_mem_mib_per_write": growth,
        "jvm_rss_growth_mib": max(jvm_growth) if jvm_growth else None,
        "jvm_rss_peak_mib": max(jvm_peak) if jvm_peak else None,
        "jobs": summarize(jobs).median,
        "rows": steps,
        "repetitions": repetitions,
        "warmup": 1,
        "write_seconds": summary.as_dict(),
        "raw_seconds": raw_summary.as_dict(),
        "parts_seconds": {
            "report_problems": summarize(check_secs).as_dict(),
            "rows_from_report": summarize(rows_secs).as_dict(),
        },
        "note": "seconds = median write_report wall time (default config); ratio_vs_raw "
        "divides it by createDataFrame(rows, LOG_SCHEMA) + Delta append of the same number "
        "of rows, alternating with it. peak_mem_mib = the "
        "largest growth of this Python driver's RSS above its value when the write began "
        "(MemoryProbe, 5 ms samples; the report itself was built before). "
        "jvm_rss_growth_mib is the JVM process (a separate process, /proc/<pid>/status "
        "VmRSS sampled every 50 ms): it mostly reflects heap the JVM takes from the OS once "
        "and keeps (-Xmx bounds it).",
    }
