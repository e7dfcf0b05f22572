"""Cases ``aging_writes`` (and opt-in ``aging_writes_10k``): the Nth write as the log ages.

Two log tables (the writer's default layout, ``deduplication="transaction"``, the writer's
own ``compact_every`` compaction off) age side by side: ``plain`` without and
``autocompact`` with Delta's automatic compaction (the table property
``delta.autoOptimize.autoCompact``). Commit ``k`` is one 10-step run of one of five
pipelines, started ``k`` x 10 minutes after 2025-01-01 UTC (144 runs a UTC day, so a day's
partition, on a ``run_date``-partitioned log, reaches Delta's 50-small-file threshold for
auto compaction). Both tables get
commit ``k`` one after the other, the order alternating with ``k``.

Around each age N the five writes N-2 .. N+2 are ``LogWriter.write_report`` calls, timed;
the commits before them ("fill") are one plain Delta append per run carrying the same
transaction id the writer gives it (``txnAppId = sparkforge.log/<run_id>``, ``txnVersion =
0``): same shape and same files as a ``write_report``, without the writer's checks and its
history look-up, because 2 x 1,000 ``write_report`` calls take more than 5 minutes on the
2-core machine. The table's file count (``DESCRIBE DETAIL numFiles``) is read after write N.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from benchmarks.harness import ratio, summarize
from sparkforge.writer import LOG_SCHEMA, WriterConfig
from sparkforge.writer.models import rows_from_report
from tests.factories import make_report

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from benchmarks.common import Bench
    from sparkforge.models import PipelineReport
    from sparkforge.writer import LogWriter

__all__ = [
    "AGING_AUTOCOMPACT",
    "AGING_PLAIN",
    "AUTO_COMPACT",
    "aging_figures",
    "auto_compaction_options",
    "ensure_auto_compaction",
    "run_aging",
    "run_aging_10k",
    "timed_commits",
]

#: The two tables of the case: without and with auto compaction.
AGING_PLAIN, AGING_AUTOCOMPACT = "plain", "autocompact"
#: Delta's table property turning automatic compaction on.
AUTO_COMPACT = "delta.autoOptimize.autoCompact"
_START = datetime(2025, 1, 1, tzinfo=timezone.utc)
_CADENCE = timedelta(minutes=10)
_PIPELINES = 5
#: Writes timed on each side of age N: N - 2 .. N + 2.
_WINDOW = 2


def timed_commits(ages: Sequence[int]) -> set[int]:
    """Return the commit numbers timed around each age (``N - 2 .. N + 2``, from 1).

    Examples
    --------
    >>> sorted(timed_commits([10, 1000]))
    [8, 9, 10, 11, 12, 998, 999, 1000, 1001, 1002]
    >>> sorted(timed_commits([2]))
    [1, 2, 3, 4]
    """
    return {k for n in ages for k in range(max(1, n - _WINDOW), n + _WINDOW + 1)}


def auto_compaction_options(enabled: bool) -> dict[str, object]:
    """Return the ``WriterConfig`` options creating a log table with or without auto compaction.

    ``WriterConfig(auto_compaction=...)`` where the config has that option; otherwise the
    property through ``table_properties`` (on) or nothing (off). The writer's own periodic
    compaction (``compact_every``, where the config has it) is off either way.

    Examples
    --------
    >>> "table_properties" in auto_compaction_options(False)
    False
    """
    fields = WriterConfig.__dataclass_fields__
    # The writer's own periodic OPTIMIZE (``compact_every``) would compact both: off.
    options: dict[str, object] = {"compact_every": None} if "compact_every" in fields else {}
    if "auto_compaction" in fields:
        return {**options, "auto_compaction": enabled}
    return {**options, "table_properties": {AUTO_COMPACT: "true"}} if enabled else options


def ensure_auto_compaction(bench: Bench, fqn: str, enabled: bool) -> str:
    """Make ``fqn``'s auto compaction ``enabled``; return how it got so.

    Returns ``"WriterConfig"`` when the table was created that way, ``"ALTER TABLE"`` when
    the property had to be set afterwards.
    """
    properties = {
        row["key"]: row["value"] for row in bench.spark.sql(f"SHOW TBLPROPERTIES {fqn}").collect()
    }
    if properties.get(AUTO_COMPACT, "false").strip().lower() == str(enabled).lower():
        return "WriterConfig"
    value = "true" if enabled else "false"
    bench.spark.sql(f"ALTER TABLE {fqn} SET TBLPROPERTIES ('{AUTO_COMPACT}' = '{value}')")
    return "ALTER TABLE"


def _report(k: int) -> PipelineReport:
    return make_report(
        10,
        pipeline=f"pipeline_{k % _PIPELINES}",
        run_id=f"aging-{k:06d}",
        start=_START + k * _CADENCE,
    )


def _append(bench: Bench, fqn: str, report: PipelineReport) -> None:
    """One plain Delta append of one run with the writer's transaction id (the fill)."""
    rows = rows_from_report(report)
    (
        bench.spark.createDataFrame(rows, LOG_SCHEMA, verifySchema=False)
        .coalesce(1)
        .write.format("delta")
        .mode("append")
        .option("txnAppId", f"sparkforge.log/{report.run_id}")
        .option("txnVersion", "0")
        .saveAsTable(fqn)
    )


def aging_figures(
    seconds: Mapping[str, Mapping[int, Sequence[float]]],
    files: Mapping[str, Mapping[int, int]],
    ages: Sequence[int],
) -> dict[str, object]:
    """Return the case's figures from the timed writes and file counts of both tables.

    Parameters
    ----------
    seconds
        ``plain`` / ``autocompact`` -> age N -> the seconds of writes N-2 .. N+2.
    files
        ``plain`` / ``autocompact`` -> age N -> the table's file count after write N.
    ages
        The ages, youngest first (at least two).

    Returns
    -------
    dict
        For the youngest and the oldest age: ``write_seconds_{young,aged}`` (median, plain),
        ``..._autocompact``, ``aged_vs_young`` (plain median at the oldest age / at the
        youngest), ``aged_vs_young_autocompact``, ``autocompact_vs_plain_{young,aged}``,
        ``files_aged`` and ``files_aged_autocompact``; then ``at``: per age, the same
        medians, ratio and file counts.

    Examples
    --------
    >>> f = aging_figures({"plain": {10: [1.0, 1.0], 1000: [2.0, 2.0]},
    ...     "autocompact": {10: [1.0, 1.0], 1000: [1.5, 1.5]}},
    ...     {"plain": {10: 10, 1000: 1000}, "autocompact": {10: 10, 1000: 30}}, [10, 1000])
    >>> f["aged_vs_young"], f["autocompact_vs_plain_aged"], f["files_aged_autocompact"]
    (2.0, 0.75, 30)
    """
    if len(ages) < 2:
        raise ValueError("aging needs a young and an aged table: give two ages at least")
    plain, compact = seconds[AGING_PLAIN], seconds[AGING_AUTOCOMPACT]
    young, aged = ages[0], ages[-1]
    at = {
        str(n): {
            "write_seconds": round(summarize(plain[n]).median, 4),
            "write_seconds_autocompact": round(summarize(compact[n]).median, 4),
            "autocompact_vs_plain": round(ratio(compact[n], plain[n]), 3),
            "files": files[AGING_PLAIN][n],
            "files_autocompact": files[AGING_AUTOCOMPACT][n],
        }
        for n in ages
    }
    return {
        "write_seconds_young": at[str(young)]["write_seconds"],
        "write_seconds_aged": at[str(aged)]["write_seconds"],
        "write_seconds_aged_autocompact": at[str(aged)]["write_seconds_autocompact"],
        "aged_vs_young": round(ratio(plain[aged], plain[young]), 3),
        "aged_vs_young_autocompact": round(ratio(compact[aged], compact[young]), 3),
        "autocompact_vs_plain_young": at[str(young)]["autocompact_vs_plain"],
        "autocompact_vs_plain_aged": at[str(aged)]["autocompact_vs_plain"],
        "files_aged": files[AGING_PLAIN][aged],
        "files_aged_autocompact": files[AGING_AUTOCOMPACT][aged],
        "young_n": young,
        "aged_n": aged,
        "at": at,
    }


def run_aging(bench: Bench, ages: Sequence[int] | None = None) -> dict[str, object]:
    """Age two log tables to each of ``ages`` commits and time the writes around each age.

    Parameters
    ----------
    bench
        The Spark context of the run.
    ages
        The ages N, youngest first (default 10 and 1,000; 10 and 100 in quick mode).

    Returns
    -------
    dict
        The ``aging_writes`` case (see :func:`aging_figures` and its ``note``).
    """
    ages = sorted(ages or ((10, 100) if bench.quick else (10, 1_000)))
    suffix = f"_{ages[-1]}"
    writers: dict[str, LogWriter] = {}
    set_via: dict[str, str] = {}
    for name, enabled in ((AGING_PLAIN, False), (AGING_AUTOCOMPACT, True)):
        writers[name] = bench.writer(f"aging_{name}{suffix}", **auto_compaction_options(enabled))
        set_via[name] = ensure_auto_compaction(bench, writers[name].table.fqn, enabled)
    timed = timed_commits(ages)
    seconds: dict[str, dict[int, list[float]]] = {name: {n: [] for n in ages} for name in writers}
    files: dict[str, dict[int, int]] = {name: {} for name in writers}
    fill_seconds = dict.fromkeys(writers, 0.0)
    names = list(writers)
    last = ages[-1] + _WINDOW
    started = time.perf_counter()
    for k in range(1, last + 1):
        report = _report(k)
        order = names if k % 2 else names[::-1]
        for name in order:
            writer = writers[name]
            start = time.perf_counter()
            if k in timed:
                result = writer.write_report(report)
                if result.skipped or result.rows_written != len(report.steps):
                    raise AssertionError(f"write {k} into {name} did not happen: {result!r}")
            else:
                _append(bench, writer.table.fqn, report)
            elapsed = time.perf_counter() - start
            if k in timed:
                for n in ages:
                    if abs(k - n) <= _WINDOW:
                        seconds[name][n].append(elapsed)
            else:
                fill_seconds[name] += elapsed
            if k in ages:
                detail = bench.spark.sql(f"DESCRIBE DETAIL {writer.table.fqn}").collect()[0]
                files[name][k] = int(detail["numFiles"])
        if k % 100 == 0 or k in ages:
            bench.progress(
                f"aging: {k}/{last} commits in {time.perf_counter() - started:.0f}s, files "
                + ", ".join(f"{n} {files[n].get(k, '-')}" for n in names)
            )
    versions: dict[str, int] = {}
    operations: dict[str, dict[str, int]] = {}
    for name, writer in writers.items():
        history = bench.spark.sql(f"DESCRIBE HISTORY {writer.table.fqn}")
        versions[name] = int(history.agg({"version": "max"}).collect()[0][0])
        operations[name] = {
            str(row["operation"]): int(row["count"])
            for row in history.groupBy("operation").count().collect()
        }
    return {
        **aging_figures(seconds, files, ages),
        "ages": list(ages),
        "repetitions": 2 * _WINDOW + 1,
        "partition_columns": list(writers[AGING_PLAIN].config.partition_columns),
        "table_versions_at_end": versions,
        "operations": operations,
        "auto_compaction_set_via": set_via,
        "fill_seconds": {name: round(value, 1) for name, value in fill_seconds.items()},
        "build_seconds": round(time.perf_counter() - started, 1),
        "seconds": {
            f"{name}_at_{n}": summarize(samples).as_dict()
            for name, by_age in seconds.items()
            for n, samples in by_age.items()
        },
        "note": "Two log tables (the writer's default layout: partition_columns; its own "
        "compact_every OPTIMIZE off) age commit by commit, side by side, without (plain) and "
        "with (autocompact) delta.autoOptimize.autoCompact=true (operations: their "
        "history). Commit k "
        "is one 10-step run (5 pipelines, one run every 10 minutes). write_seconds_* are the "
        "medians of the 5 timed LogWriter.write_report calls N-2..N+2 (deduplication="
        "'transaction'), N = young_n and aged_n; the other commits are plain Delta appends of "
        "one run each with the writer's txnAppId/txnVersion (fill_seconds), the same files "
        "and transactions, far faster to build. files_* = DESCRIBE DETAIL numFiles after "
        "write N. aged_vs_young = median at aged_n / median at young_n; autocompact_vs_plain "
        "= autocompact median / plain median at the same age (below 1 faster).",
    }


def run_aging_10k(bench: Bench) -> dict[str, object]:
    """Run the opt-in ``aging_writes_10k`` case: :func:`run_aging` to 10, 1,000, 10,000."""
    return run_aging(bench, (10, 100) if bench.quick else (10, 1_000, 10_000))
