"""Age a log table fast: Delta commits written as Delta writes them, a file and a commit per run.

``aging_writes`` needs log tables that are N commits old (N up to 10,000) before it times
the next ``write_report`` calls. One real Delta append per run costs about a second on the
2-core machine, so the commits that are not timed ("fill") are made here in three ways:

- **staged** (most of them): every such run's rows are written ONCE by Delta itself into a
  scratch Delta table, one file per run (sorted by run id, ``maxRecordsPerFile`` = the run's
  rows, the writer's compression), so each file and its ``add`` action (path, size,
  statistics) is exactly what Delta writes for that run. Each table then gets, per run, a
  hard link to that file and one commit file ``<version>.json`` holding what a
  ``write_report`` commit holds: ``commitInfo`` (operation WRITE, Append, the writer's
  ``userMetadata`` marker), ``txn`` (the writer's ``txnAppId`` = ``sparkforge.log/<run_id>``,
  version 0) and that ``add`` (:func:`commit_lines`). Delta finds them when it next lists
  the log, as it finds any other writer's commits.
- **real** (:func:`real_append`): ``sparkforge.table_operations.append`` with the writer's
  transaction id, marker and compression (the writer's own commit, without its checks and
  its history look-up), for the :data:`REAL_BEFORE` commits before each timed window, so
  that Delta writes the checkpoint (every 10th version) and the version checksums
  (``.crc``) of the aged table itself before any timed write; and every fill commit
  landing on a version that is a multiple of :data:`CHECKPOINT_EVERY`, so that Delta
  checkpoints the log there and no operation of the fill replays thousands of commit files.
- compactions where the table's own would run: on the writer-compaction table, a fill
  commit reaching a multiple of ``compact_every`` is followed by
  ``sparkforge.table_operations.optimize`` as the writer calls it; on the Delta
  auto-compaction table, a fill commit leaving ``autoCompact.minNumFiles`` (small) files is
  followed by an OPTIMIZE of the table, which is what Delta's hook runs then in a process
  that made every commit. Delta keeps the small-file counts its hook decides on in the
  memory of the process that wrote them (``AutoCompactPartitionStats``), so it cannot see
  staged commits and would never compact them itself; in the timed windows its hook runs
  on every write as it would, counting the files of the real commits since the table's
  last compaction.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.common import table_details
from sparkforge import table_operations as ops
from sparkforge.writer._commit import marker_for, rows_dataframe, transaction_for
from sparkforge.writer.models import rows_from_report

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import date

    from benchmarks.common import Bench
    from sparkforge.models import PipelineReport
    from sparkforge.writer import LogWriter

__all__ = [
    "REAL_BEFORE",
    "MIN_FILES_CONF",
    "MIN_FILES_DEFAULT",
    "AgingTables",
    "CHECKPOINT_EVERY",
    "commit_lines",
    "engine_info",
    "fill_kinds",
    "first_day",
    "latest_version",
    "link_commit",
    "real_append",
    "stage_runs",
]

#: Fill commits made as real Delta appends right before each timed window: more than the
#: checkpoint interval (10), so that Delta writes a checkpoint and the checksums itself.
REAL_BEFORE = 12
#: Delta's setting of the small-file count that triggers its auto compaction, and its default.
MIN_FILES_CONF = "spark.databricks.delta.autoCompact.minNumFiles"
MIN_FILES_DEFAULT = 50
#: Every this many versions a fill commit is real, so Delta writes a checkpoint there
#: (a multiple of Delta's checkpoint interval, 10).
CHECKPOINT_EVERY = 100
_TXN_PREFIX = "sparkforge.log/"
_MARKER_PREFIX = "sparkforge.log.write:"
_ENGINE = "Apache-Spark/{spark} Delta-Lake/{delta}"


def fill_kinds(ages: Sequence[int], window: int, last: int) -> dict[int, str]:
    """Say how each commit 1 .. ``last`` is made: ``timed``, ``real`` or ``staged``.

    ``timed``: the writes ``N - window .. N + window`` around each age N; ``real``: the
    :data:`REAL_BEFORE` commits before each timed window (and every commit before the first
    one when it starts that early); ``staged``: the others.

    Examples
    --------
    >>> kinds = fill_kinds([10, 100], 2, 102)
    >>> [kinds[k] for k in (1, 7, 8, 12, 13, 85, 86, 97, 98)]
    ['real', 'real', 'timed', 'timed', 'staged', 'staged', 'real', 'real', 'timed']
    """
    timed = {k for n in ages for k in range(max(1, n - window), n + window + 1)}
    kinds: dict[int, str] = {}
    for k in range(1, last + 1):
        if k in timed:
            kinds[k] = "timed"
        elif any(0 < j - k <= REAL_BEFORE for j in timed if j - 1 not in timed):
            kinds[k] = "real"
        else:
            kinds[k] = "staged"
    return kinds


def commit_lines(
    add: Mapping[str, object],
    *,
    run_id: str,
    rows: int,
    read_version: int,
    timestamp_ms: int,
    engine: str,
) -> str:
    """Return the commit file of one ``write_report`` of one run: commitInfo, txn, add.

    Examples
    --------
    >>> text = commit_lines({"path": "p.parquet", "size": 7}, run_id="r1", rows=10,
    ...     read_version=4, timestamp_ms=1, engine="e")
    >>> [next(iter(json.loads(line))) for line in text.splitlines()]
    ['commitInfo', 'txn', 'add']
    >>> json.loads(text.splitlines()[1])["txn"]["appId"]
    'sparkforge.log/r1'
    """
    app_id = f"{_TXN_PREFIX}{run_id}"
    info = {
        "timestamp": timestamp_ms,
        "operation": "WRITE",
        "operationParameters": {"mode": "Append", "partitionBy": "[]"},
        "readVersion": read_version,
        "isolationLevel": "Serializable",
        "isBlindAppend": True,
        "operationMetrics": {
            "numFiles": "1",
            "numOutputRows": str(rows),
            "numOutputBytes": str(add.get("size")),
        },
        "userMetadata": f"{_MARKER_PREFIX}{app_id}#{uuid.uuid4().hex};runs=1",
        "engineInfo": engine,
        "txnId": str(uuid.uuid4()),
    }
    actions = (
        {"commitInfo": info},
        {"txn": {"appId": app_id, "version": 0, "lastUpdated": timestamp_ms}},
        {"add": {**add, "dataChange": True}},
    )
    return "".join(json.dumps(action, separators=(",", ":")) + "\n" for action in actions)


def _local(location: str) -> Path:
    return Path(location.removeprefix("file:"))


def stage_runs(
    bench: Bench,
    reports: Iterable[PipelineReport],
    directory: Path,
    *,
    compression: str,
) -> dict[str, dict[str, object]]:
    """Write the runs' rows once through Delta, one file per run; return each run's ``add``.

    Parameters
    ----------
    bench
        The Spark context of the run.
    reports
        The runs (each with as many rows as every other: one file each).
    directory
        A new directory for the scratch Delta table.
    compression
        The Parquet codec the writer writes with.

    Returns
    -------
    dict
        run id -> its file's ``add`` action (path relative to ``directory``).
    """
    rows = [row for report in reports for row in rows_from_report(report)]
    counts: dict[str, int] = {}
    for row in rows:
        counts[str(row["run_id"])] = counts.get(str(row["run_id"]), 0) + 1
    sizes = set(counts.values())
    if len(sizes) != 1:
        raise AssertionError(f"the staged runs differ in rows: {sorted(sizes)}")
    per_run = sizes.pop()
    (
        rows_dataframe(bench.spark, rows)
        .repartitionByRange(2, "run_id")
        .sortWithinPartitions("run_id")
        .write.format("delta")
        .option("maxRecordsPerFile", per_run)
        .option("compression", compression)
        .save(str(directory))
    )
    adds: dict[str, dict[str, object]] = {}
    for log_file in sorted((directory / "_delta_log").glob("*.json")):
        for line in log_file.read_text(encoding="utf-8").splitlines():
            action = json.loads(line)
            if "add" not in action:
                continue
            add = action["add"]
            stats = json.loads(add["stats"])
            first, last = stats["minValues"]["run_id"], stats["maxValues"]["run_id"]
            if first != last or stats["numRecords"] != per_run:
                raise AssertionError(f"a staged file holds more than one run: {stats}")
            adds[first] = add
    if set(adds) != set(counts):
        raise AssertionError(f"staged {len(adds)} files for {len(counts)} runs")
    return adds


def link_commit(
    table_location: str,
    staged: Path,
    add: Mapping[str, object],
    *,
    version: int,
    run_id: str,
    rows: int,
    engine: str,
) -> None:
    """Give the table ``staged``'s file of one run and its commit ``version`` (a new file)."""
    root = _local(table_location)
    path = str(add["path"])
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(staged / path, target)
    except OSError:  # another file system: a copy holds the same bytes
        target.write_bytes((staged / path).read_bytes())
    stamp = int(time.time() * 1000)
    text = commit_lines(
        {**add, "modificationTime": stamp},
        run_id=run_id,
        rows=rows,
        read_version=version - 1,
        timestamp_ms=stamp,
        engine=engine,
    )
    # "x": a commit file is never overwritten (Delta's put-if-absent).
    with open(root / "_delta_log" / f"{version:020d}.json", "x", encoding="utf-8") as handle:
        handle.write(text)


def engine_info(bench: Bench) -> str:
    """Return the ``engineInfo`` Delta writes in its commits in this session."""
    from importlib.metadata import version

    return _ENGINE.format(spark=bench.spark.version, delta=version("delta-spark"))


def first_day(report: PipelineReport) -> date | None:
    """Return the earliest ``run_date`` of the report's rows, as the writer's commit does."""
    rows = rows_from_report(report)
    return min((row["run_date"] for row in rows if row["run_date"] is not None), default=None)


def real_append(bench: Bench, writer: LogWriter, report: PipelineReport) -> None:
    """Make one real fill commit: the writer's own append of one run, without its checks.

    ``table_operations.append`` with the writer's transaction id, ``userMetadata`` marker
    and compression, as ``write_report`` calls it (not its history look-up afterwards).
    """
    transaction = transaction_for([report.run_id])
    ops.append(
        rows_dataframe(bench.spark, rows_from_report(report)).coalesce(1),
        writer.table,
        transaction=transaction,
        marker=marker_for(transaction, uuid.uuid4().hex, runs=1),
        options={"compression": str(writer.config.compression)},
    )


def latest_version(bench: Bench, fqn: str) -> int:
    """Return the table's latest version."""
    return int(bench.spark.sql(f"DESCRIBE HISTORY {fqn} LIMIT 1").collect()[0]["version"])


class AgingTables:
    """Log tables aged side by side, commit by commit: timed writes and fill commits.

    Parameters
    ----------
    bench
        The Spark context of the run.
    writers
        Table label -> the writer of its (created) table.
    compacting
        The label of the table whose writer compacts every ``compact_every`` commits.
    autocompacting
        The label of the table with Delta's auto compaction.
    stage_dir
        A new directory for the staged files (:func:`stage_runs`).
    """

    def __init__(
        self,
        bench: Bench,
        writers: Mapping[str, LogWriter],
        *,
        compacting: str,
        autocompacting: str,
        stage_dir: Path,
    ) -> None:
        self.bench = bench
        self.writers = dict(writers)
        self.compacting = compacting
        self.autocompacting = autocompacting
        self.stage_dir = stage_dir
        self.locations = {
            name: str(table_details(bench.spark, w.table.fqn)["location"])
            for name, w in self.writers.items()
        }
        every = self.writers[compacting].config.compact_every
        if every is None:
            raise AssertionError(f"the {compacting} table's writer does not compact")
        self.every = every
        self.version: dict[str, int] = {}
        self.files: dict[str, int] = {}
        for name in self.writers:
            self._refresh(name)
        self.min_files = int(
            bench.spark.conf.get(MIN_FILES_CONF, str(MIN_FILES_DEFAULT)) or MIN_FILES_DEFAULT
        )
        self.made = {name: {"timed": 0, "real": 0, "staged": 0} for name in self.writers}
        self.fill_seconds = dict.fromkeys(self.writers, 0.0)
        self.compactions = {"fill": 0, "fill_auto": 0, "timed_writes": 0}
        self.compaction_seconds = 0.0
        self.engine = engine_info(bench)
        self.adds: dict[str, dict[str, object]] = {}

    def stage(self, reports: Sequence[PipelineReport], *, compression: str) -> float:
        """Stage the files of the runs to be committed as staged; return the seconds."""
        start = time.perf_counter()
        self.adds = stage_runs(self.bench, reports, self.stage_dir, compression=compression)
        return time.perf_counter() - start

    def _refresh(self, name: str) -> None:
        fqn = self.writers[name].table.fqn
        self.version[name] = latest_version(self.bench, fqn)
        self.files[name] = int(str(table_details(self.bench.spark, fqn)["num_files"]))

    def _compact_if_due(self, name: str, day: date | None) -> None:
        """Compact after a fill commit where the table's compaction would have run.

        ``compacting``: when the commit's version is a multiple of ``compact_every``, as the
        writer's ``_keep_compact`` does. ``autocompacting``: when the table holds
        ``autoCompact.minNumFiles`` (small) files, as Delta's hook does in a process that
        made every commit of the table (its counts are kept in that process's memory, and
        do not see the staged commits).
        """
        if name == self.compacting and self.version[name] % self.every == 0:
            kind = "fill"
            window = ("run_date", day) if day is not None else None
        elif name == self.autocompacting and self.files[name] >= self.min_files:
            kind = "fill_auto"
            window = None
        else:
            return
        start = time.perf_counter()
        result = ops.optimize(self.bench.spark, self.writers[name].table, partitions_from=window)
        self.compaction_seconds += time.perf_counter() - start
        self.compactions[kind] += 1
        if result.version is not None:
            self.version[name] = result.version
        self.files[name] = result.files_after

    def timed(self, name: str, report: PipelineReport) -> float:
        """Time one ``write_report`` of ``report`` into table ``name``; return its seconds."""
        start = time.perf_counter()
        result = self.writers[name].write_report(report)
        elapsed = time.perf_counter() - start
        if result.skipped or result.rows_written != len(report.steps):
            raise AssertionError(f"write {report.run_id} into {name} did not happen: {result!r}")
        if result.maintenance_error is not None:
            raise AssertionError(f"write {report.run_id} into {name}: {result.maintenance_error}")
        self.made[name]["timed"] += 1
        if result.compacted is not None:
            self.compactions["timed_writes"] += 1
            self._refresh(name)
        elif name == self.autocompacting:
            self._refresh(name)  # Delta's hook may have compacted: ask the table
        else:
            self.version[name] = max(result.table_versions)
            self.files[name] += 1
        return elapsed

    def fill(self, name: str, report: PipelineReport, kind: str) -> None:
        """Make one fill commit of ``report`` in table ``name`` (``kind`` staged or real)."""
        start = time.perf_counter()
        # A real commit now and then lands on a version Delta checkpoints, so that no real
        # operation of the fill replays more than CHECKPOINT_EVERY staged commit files.
        if kind == "real" or (self.version[name] + 1) % CHECKPOINT_EVERY == 0:
            real_append(self.bench, self.writers[name], report)
            self.made[name]["real"] += 1
            if name == self.autocompacting:
                self._refresh(name)  # Delta's hook may have compacted: ask the table
            else:
                self.version[name] += 1  # checked against the table's history at the end
                self.files[name] += 1
        else:
            self.version[name] += 1
            link_commit(
                self.locations[name],
                self.stage_dir,
                self.adds[report.run_id],
                version=self.version[name],
                run_id=report.run_id,
                rows=len(report.steps),
                engine=self.engine,
            )
            self.files[name] += 1
            self.made[name]["staged"] += 1
        self.fill_seconds[name] += time.perf_counter() - start
        self._compact_if_due(name, first_day(report))
