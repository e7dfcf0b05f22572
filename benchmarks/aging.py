"""Cases ``aging_writes`` (and opt-in ``aging_writes_10k``): the Nth write as the log ages.

Three log tables (the writer's default layout, ``deduplication="transaction"``) age side by
side: ``plain`` (no compaction: ``compact_every=None``, no property), ``writer_compaction``
(the writer's own periodic OPTIMIZE, ``compact_every=100``, the default) and
``delta_autocompact`` (``compact_every=None`` and Delta's automatic compaction, the table
property ``delta.autoOptimize.autoCompact``). Commit ``k`` is one 10-step run of one of five
pipelines, started ``k`` x 10 minutes after 2025-01-01 UTC (144 runs a UTC day). Every table
gets commit ``k`` one after the other, the order rotating with ``k``.

Around each age N the five writes N-2 .. N+2 are ``LogWriter.write_report`` calls, timed
(on ``writer_compaction`` a write whose commit reaches a multiple of 100 runs its OPTIMIZE
inside the timed call, as it would for a user; on ``delta_autocompact`` Delta's compaction
hook runs inside it when due). The baselines are measured in the same run: the same
tables at N = 10, and the ``plain`` table at each age.

How the age is reached (:mod:`benchmarks.aging_fill`, counted in ``commits_made``): the
commits before the timed writes ("fill") are one commit per run, each holding what a
``write_report`` commit holds (one file of the run's 10 rows, ``txn`` = the writer's
``sparkforge.log/<run_id>`` version 0, ``commitInfo`` WRITE/Append with the writer's
``userMetadata`` marker). Most are *staged*: every such run's file is written once by
Delta itself (one file per run, Delta's statistics, the writer's compression) and
hard-linked into each table with its commit file written beside Delta's. The 12 commits
before each timed window are *real* (``table_operations.append`` as the writer calls it),
so Delta writes the aged table's checkpoint and checksums itself before any timed write;
so is every fill commit landing on a version that is a multiple of 100, where Delta
checkpoints the log (so that the fill's real operations never replay thousands of files).
Delta's auto compaction decides on small-file counts it keeps in the memory of the process
that made the commits, which staged commits are not in: so on ``delta_autocompact`` a fill
commit leaving ``autoCompact.minNumFiles`` files is followed by the OPTIMIZE that Delta's
hook runs then in a process that made every commit (``writer_compactions.fill_auto``); in
the timed windows the hook runs on every write as it would, counting the files of the real
commits since the last compaction. On ``writer_compaction``, a fill commit whose version
is a multiple of ``compact_every`` is followed by ``sparkforge.table_operations.optimize``
exactly as the writer's ``_keep_compact`` calls it. Each table's file count (``DESCRIBE
DETAIL numFiles``) is read after write N; at the end each table must hold every run's rows
and be at the version followed, and its OPTIMIZE commits are counted in its history.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.aging_fill import AgingTables, fill_kinds
from benchmarks.common import checkpoint_versions, table_details
from benchmarks.harness import ratio, summarize
from sparkforge.writer import WriterConfig
from sparkforge.writer.config import DEFAULT_COMPACT_EVERY
from tests.factories import make_report

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from benchmarks.common import Bench
    from sparkforge.models import PipelineReport
    from sparkforge.writer import LogWriter

__all__ = [
    "AGING_DELTA_AUTOCOMPACT",
    "AGING_PLAIN",
    "AGING_TABLES",
    "AGING_WRITER_COMPACTION",
    "AUTO_COMPACT",
    "aging_figures",
    "auto_compaction_options",
    "ensure_auto_compaction",
    "run_aging",
    "run_aging_10k",
    "timed_commits",
]

#: The three tables of the case: no compaction, the writer's, Delta's automatic one.
AGING_PLAIN = "plain"
AGING_WRITER_COMPACTION = "writer_compaction"
AGING_DELTA_AUTOCOMPACT = "delta_autocompact"
AGING_TABLES = (AGING_PLAIN, AGING_WRITER_COMPACTION, AGING_DELTA_AUTOCOMPACT)
#: Delta's table property turning automatic compaction on.
AUTO_COMPACT = "delta.autoOptimize.autoCompact"
_START = datetime(2025, 1, 1, tzinfo=timezone.utc)
_CADENCE = timedelta(minutes=10)
_PIPELINES = 5
_STEPS = 10
#: Writes timed on each side of age N: N - 2 .. N + 2.
_WINDOW = 2
#: The figures' suffix of each compared table (the plain one has none).
_SUFFIX = {AGING_WRITER_COMPACTION: "compaction", AGING_DELTA_AUTOCOMPACT: "autocompact"}


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


def _table_options(name: str) -> tuple[dict[str, object], bool]:
    """Return table ``name``'s WriterConfig options and whether Delta's auto compaction is on."""
    if name == AGING_WRITER_COMPACTION:
        return {"compact_every": DEFAULT_COMPACT_EVERY}, False
    enabled = name == AGING_DELTA_AUTOCOMPACT
    return auto_compaction_options(enabled), enabled


def _report(k: int) -> PipelineReport:
    return make_report(
        _STEPS,
        pipeline=f"pipeline_{k % _PIPELINES}",
        run_id=f"aging-{k:06d}",
        start=_START + k * _CADENCE,
    )


def aging_figures(
    seconds: Mapping[str, Mapping[int, Sequence[float]]],
    files: Mapping[str, Mapping[int, int]],
    ages: Sequence[int],
) -> dict[str, object]:
    """Return the case's figures from the timed writes and file counts of the three tables.

    Parameters
    ----------
    seconds
        Table (``plain``, ``writer_compaction``, ``delta_autocompact``) -> age N -> the
        seconds of writes N-2 .. N+2.
    files
        Table -> age N -> the table's file count after write N.
    ages
        The ages, youngest first (at least two).

    Returns
    -------
    dict
        Medians of the timed writes: ``write_seconds_{young,aged}`` (plain) and
        ``write_seconds_aged_{compaction,autocompact}``; ``aged_vs_young[_compaction,
        _autocompact]`` (a table's median at the oldest age / at the youngest);
        ``{compaction,autocompact}_vs_plain_{young,aged}`` (the table's median / plain's at
        the same age); ``files_aged[_compaction,_autocompact]``; then ``at``: per age, per
        table the median, mean and max of the timed writes and the file count, and the two
        ratios to plain.

    Examples
    --------
    >>> f = aging_figures({"plain": {10: [1.0, 1.0], 1000: [2.0, 2.0]},
    ...     "writer_compaction": {10: [1.0, 1.0], 1000: [1.0, 3.0]},
    ...     "delta_autocompact": {10: [1.0, 1.0], 1000: [1.5, 1.5]}},
    ...     {"plain": {10: 10, 1000: 1000}, "writer_compaction": {10: 10, 1000: 5},
    ...      "delta_autocompact": {10: 10, 1000: 30}}, [10, 1000])
    >>> f["aged_vs_young"], f["compaction_vs_plain_aged"], f["autocompact_vs_plain_aged"]
    (2.0, 1.0, 0.75)
    >>> f["files_aged_compaction"], f["at"]["1000"]["writer_compaction"]["max"]
    (5, 3.0)
    """
    if len(ages) < 2:
        raise ValueError("aging needs a young and an aged table: give two ages at least")
    plain = seconds[AGING_PLAIN]
    young, aged = ages[0], ages[-1]
    at: dict[str, dict[str, object]] = {}
    for n in ages:
        per_age: dict[str, object] = {}
        for name in AGING_TABLES:
            stats = summarize(seconds[name][n])
            per_age[name] = {
                "median": round(stats.median, 4),
                "mean": round(stats.mean, 4),
                "max": round(stats.maximum, 4),
                "files": files[name][n],
            }
        for name, suffix in _SUFFIX.items():
            per_age[f"{suffix}_vs_plain"] = round(ratio(seconds[name][n], plain[n]), 3)
        at[str(n)] = per_age
    figures: dict[str, object] = {
        "write_seconds_young": round(summarize(plain[young]).median, 4),
        "write_seconds_aged": round(summarize(plain[aged]).median, 4),
    }
    for name, suffix in _SUFFIX.items():
        figures[f"write_seconds_aged_{suffix}"] = round(summarize(seconds[name][aged]).median, 4)
    figures["aged_vs_young"] = round(ratio(plain[aged], plain[young]), 3)
    for name, suffix in _SUFFIX.items():
        figures[f"aged_vs_young_{suffix}"] = round(
            ratio(seconds[name][aged], seconds[name][young]), 3
        )
    for suffix in _SUFFIX.values():
        for label, n in (("young", young), ("aged", aged)):
            figures[f"{suffix}_vs_plain_{label}"] = at[str(n)][f"{suffix}_vs_plain"]
    figures["files_aged"] = files[AGING_PLAIN][aged]
    for name, suffix in _SUFFIX.items():
        figures[f"files_aged_{suffix}"] = files[name][aged]
    return {**figures, "young_n": young, "aged_n": aged, "at": at}


def run_aging(bench: Bench, ages: Sequence[int] | None = None) -> dict[str, object]:
    """Age three log tables to each of ``ages`` commits and time the writes around each age.

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
    started = time.perf_counter()
    suffix = f"_{ages[-1]}"
    writers: dict[str, LogWriter] = {}
    set_via: dict[str, str] = {}
    for name in AGING_TABLES:
        options, enabled = _table_options(name)
        writers[name] = bench.writer(f"aging_{name}{suffix}", **options)
        set_via[name] = ensure_auto_compaction(bench, writers[name].table.fqn, enabled)
    plain_location = str(table_details(bench.spark, writers[AGING_PLAIN].table.fqn)["location"])
    aging = AgingTables(
        bench,
        writers,
        compacting=AGING_WRITER_COMPACTION,
        autocompacting=AGING_DELTA_AUTOCOMPACT,
        stage_dir=Path(plain_location).parent / f"aging_stage{suffix}",
    )
    names = list(writers)
    last = ages[-1] + _WINDOW
    kinds = fill_kinds(ages, _WINDOW, last)
    stage_seconds = aging.stage(
        [_report(k) for k, kind in kinds.items() if kind == "staged"],
        compression=str(writers[AGING_PLAIN].config.compression),
    )
    bench.progress(f"aging: staged {len(aging.adds)} runs' files in {stage_seconds:.0f}s")
    seconds: dict[str, dict[int, list[float]]] = {name: {n: [] for n in ages} for name in names}
    files: dict[str, dict[int, int]] = {name: {} for name in names}
    checkpoints: dict[str, dict[int, int | None]] = {name: {} for name in names}
    for k in range(1, last + 1):
        report = _report(k)
        for name in names[k % len(names) :] + names[: k % len(names)]:
            if kinds[k] == "timed":
                elapsed = aging.timed(name, report)
                for n in ages:
                    if abs(k - n) <= _WINDOW:
                        seconds[name][n].append(elapsed)
            else:
                aging.fill(name, report, kinds[k])
            if k in ages:
                files[name][k] = aging.files[name]
                done = checkpoint_versions(aging.locations[name].removeprefix("file:"))
                checkpoints[name][k] = max(done) if done else None
        if k % 500 == 0 or k in ages:
            bench.progress(
                f"aging: {k}/{last} commits in {time.perf_counter() - started:.0f}s, files "
                + ", ".join(f"{n} {aging.files[n]}" for n in names)
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
        # Answered from the log's statistics: every run's rows are in the table's state.
        rows = int(bench.spark.table(writer.table.fqn).count())
        if rows != last * _STEPS:
            raise AssertionError(f"{name} holds {rows} rows after {last} runs of {_STEPS}")
    if versions != aging.version:
        raise AssertionError(f"the tables ended at {versions}, followed as {aging.version}")
    return {
        **aging_figures(seconds, files, ages),
        "optimize_commits": {
            name: counts.get("OPTIMIZE", 0) for name, counts in operations.items()
        },
        "writer_compactions": aging.compactions,
        "compact_every": aging.every,
        "auto_compact_min_files": aging.min_files,
        "ages": list(ages),
        "repetitions": 2 * _WINDOW + 1,
        "partition_columns": list(writers[AGING_PLAIN].config.partition_columns),
        "table_versions_at_end": versions,
        "operations": operations,
        "commits_made": aging.made,
        "last_checkpoint_at_age": {
            name: {str(n): v for n, v in by_age.items()} for name, by_age in checkpoints.items()
        },
        "auto_compaction_set_via": set_via,
        "stage_seconds": round(stage_seconds, 1),
        "fill_seconds": {name: round(value, 1) for name, value in aging.fill_seconds.items()},
        "fill_compaction_seconds": round(aging.compaction_seconds, 1),
        "build_seconds": round(time.perf_counter() - started, 1),
        "seconds": {
            f"{name}_at_{n}": summarize(samples).as_dict()
            for name, by_age in seconds.items()
            for n, samples in by_age.items()
        },
        "note": _NOTE,
    }


_NOTE = (
    "Three log tables (the writer's default layout: partition_columns) age commit by commit, "
    "side by side: plain (compact_every=None, no property), writer_compaction (compact_every, "
    "the writer's default: OPTIMIZE in its own commit whenever a commit brings the table to a "
    "multiple of it) and delta_autocompact (compact_every=None, "
    "delta.autoOptimize.autoCompact=true). Commit k is one 10-step run (5 pipelines, one run "
    "every 10 minutes). The timed writes are the 5 LogWriter.write_report calls N-2..N+2 "
    "(deduplication='transaction'), N = young_n and aged_n; a writer_compaction write reaching "
    "a multiple includes its OPTIMIZE, a delta_autocompact write Delta's compaction hook. How "
    "the age was reached (commits_made): 'staged' commits = each run's file written once by "
    "Delta (one file per run, the writer's compression, Delta's statistics) and hard-linked "
    "into the table with a commit file holding what a write_report commit holds (commitInfo "
    "WRITE/Append with the writer's userMetadata marker, txn sparkforge.log/<run_id> version "
    "0, the file's add); 'real' commits = table_operations.append with the writer's txn id, "
    "marker and compression: the 12 commits before each timed window (so Delta writes the "
    "checkpoint, last_checkpoint_at_age, and the .crc checksums itself) and each fill commit "
    "landing on a version multiple of 100 (a checkpoint of Delta's during the fill). On "
    "writer_compaction a fill commit reaching a multiple is followed by "
    "table_operations.optimize as the writer calls it (writer_compactions.fill); on "
    "delta_autocompact a fill commit leaving "
    "autoCompact.minNumFiles files by an OPTIMIZE, as Delta's hook does in a process that made "
    "every commit (writer_compactions.fill_auto: Delta counts small files in the memory of "
    "the writing process, so it never sees staged commits; in the timed windows its hook "
    "counts the real commits since the last compaction). Every table "
    "ends holding every run's rows and at the version followed. write_seconds_* are medians "
    "(at: median, mean and max per table). files_* = DESCRIBE DETAIL numFiles after write N. "
    "aged_vs_young = median at aged_n / median at young_n; compaction_vs_plain "
    "(writer_compaction) and autocompact_vs_plain (delta_autocompact) = the table's median / "
    "plain's at the same age (below 1 faster). optimize_commits = OPTIMIZE commits in each "
    "table's history."
)


def run_aging_10k(bench: Bench) -> dict[str, object]:
    """Run the opt-in ``aging_writes_10k`` case: :func:`run_aging` to 10, 1,000, 10,000."""
    return run_aging(bench, (10, 100) if bench.quick else (10, 1_000, 10_000))
