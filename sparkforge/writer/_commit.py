"""The writer's commit engine: runs -> batches -> Delta commits, each with a known outcome.

Each batch of whole runs is one Delta commit. The commit carries a Delta transaction
identifier (unless ``deduplication="none"``) and a marker in its ``userMetadata`` that names
that identifier plus a random part. After the write, the table history says which of three
things happened, and they are never confused:

``written``
    A commit carries this write's own marker: its version and Delta's row count are known.
``skipped``
    Delta skipped the write because the transaction identifier was committed before: a
    commit carrying the same identifier (another attempt's marker) is found.
``unconfirmed``
    The write returned without error but neither is found, or the history could not be read.
    The runs may or may not be in the log; a retry is safe only with transaction dedup.

A missing marker alone never means "skipped": with ``deduplication="none"`` Delta never
skips, so a missing marker is always ``unconfirmed``.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import uuid
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

import pyspark
from pyspark.sql import functions as F

from sparkforge import table_operations as ops
from sparkforge.errors import SparkForgeError
from sparkforge.performance import Timer
from sparkforge.writer._table import as_writer_error
from sparkforge.writer.exceptions import (
    WriterCommitUnconfirmedError,
    WriterTableError,
)
from sparkforge.writer.models import LOG_SCHEMA
from sparkforge.writer.results import WriteResult

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import pyarrow as pa
    from pyspark.sql import Column, DataFrame, SparkSession

    from sparkforge.logging import PipelineLogger
    from sparkforge.writer.config import WriterConfig
    from sparkforge.writer.exceptions import (
        WriterError,
    )
    from sparkforge.writer.models import LogRow

MARKER_PREFIX = "sparkforge.log.write:"
TXN_PREFIX = "sparkforge.log"
#: How many recent commits to look at, one window after another; None is the whole history.
HISTORY_WINDOWS: tuple[int | None, ...] = (1, 100, None)


class Outcome(str, Enum):
    """What became of one commit attempt."""

    WRITTEN = "written"
    SKIPPED = "skipped"
    UNCONFIRMED = "unconfirmed"


@dataclass(frozen=True, slots=True)
class PreparedRun:
    """One run's checked rows, ready to commit."""

    run_id: str
    rows: list[LogRow]


@dataclass(frozen=True, slots=True)
class Found:
    """What the history says about one write: its outcome, and the commit that shows it."""

    outcome: Outcome
    version: int | None = None
    rows: int | None = None


def transaction_for(
    run_ids: Sequence[str], *, overwrite_of: Sequence[str] | None = None, index: int = 0
) -> ops.Transaction:
    """Return the Delta transaction identifier of one batch.

    An append of one run is keyed by its run id, an append of many by a digest of their ids
    (order-free). A batch of an overwriting call is keyed by the whole call (all its run ids)
    and the batch's position, so a retry of the same overwrite is recognised, while an
    append of the same runs is a different transaction.

    Examples
    --------
    >>> transaction_for(["r1"]).app_id
    'sparkforge.log/r1'
    >>> transaction_for(["b", "a"]) == transaction_for(["a", "b"])
    True
    >>> transaction_for(["r1"], overwrite_of=["r1"]).app_id.startswith("sparkforge.log.overwrite/")
    True
    """
    if overwrite_of is not None:
        return ops.Transaction(app_id=f"{TXN_PREFIX}.overwrite/{_digest(overwrite_of)}/{index}")
    if len(run_ids) == 1:
        return ops.Transaction(app_id=f"{TXN_PREFIX}/{run_ids[0]}")
    return ops.Transaction(app_id=f"{TXN_PREFIX}.batch/{_digest(run_ids)}")


def _digest(run_ids: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(sorted(run_ids)).encode("utf-8")).hexdigest()[:40]


def marker_for(transaction: ops.Transaction | None, nonce: str, *, runs: int | None = None) -> str:
    """Return the ``userMetadata`` of one write attempt: its transaction id, a nonce, its runs.

    The run count follows the nonce as ``;runs=N`` (no ``#`` in it, so the transaction id is
    still everything before the last ``#``); `logged_runs` reads it back.

    Examples
    --------
    >>> marker_for(ops.Transaction(app_id="sparkforge.log/r1"), "n1")
    'sparkforge.log.write:sparkforge.log/r1#n1'
    >>> marker_for(None, "n1", runs=3)
    'sparkforge.log.write:#n1;runs=3'
    """
    suffix = f";runs={runs}" if runs is not None else ""
    return f"{MARKER_PREFIX}{transaction.app_id if transaction else ''}#{nonce}{suffix}"


def logged_runs(user_metadata: str | None) -> int | None:
    """Return how many runs a commit's marker says it logged; None for other commits.

    Examples
    --------
    >>> logged_runs("sparkforge.log.write:sparkforge.log/r1#n1;runs=1")
    1
    >>> logged_runs("sparkforge.log.write:sparkforge.log/r1#n1") is None
    True
    >>> logged_runs("a commit of someone else;runs=3") is None
    True
    """
    if user_metadata is None or not user_metadata.startswith(MARKER_PREFIX):
        return None
    _, _, tail = user_metadata.rpartition("#")
    _, found, count = tail.partition(";runs=")
    return int(count) if found and count.isdigit() else None


def classify(commits: Sequence[ops.Commit], marker: str) -> Found | None:
    """Say what ``commits`` (newest first) show about the write that used ``marker``.

    Returns ``written`` for a commit carrying the marker itself, ``skipped`` for a commit
    carrying another marker of the same transaction (an earlier attempt Delta kept), and
    None when neither is among them.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    >>> c = ops.Commit(version=4, operation="WRITE", num_output_rows=3, user_metadata="m#1",
    ...                timestamp=at)
    >>> classify([c], "m#1").outcome.value, classify([c], "m#2").outcome.value
    ('written', 'skipped')
    >>> classify([c], "x#1") is None
    True
    """
    transaction, _, _ = marker.rpartition("#")
    for commit in commits:
        if commit.user_metadata == marker:
            return Found(Outcome.WRITTEN, commit.version, commit.num_output_rows)
    if transaction == MARKER_PREFIX:  # no transaction: Delta never skips
        return None
    for commit in commits:
        meta = commit.user_metadata
        if meta is not None and meta.rpartition("#")[0] == transaction:
            return Found(Outcome.SKIPPED, commit.version, None)
    return None


def plan_batches(runs: Sequence[PreparedRun], batch_size: int) -> list[list[PreparedRun]]:
    """Cut runs into commits of at most ``batch_size`` rows; a run is never split.

    A run larger than ``batch_size`` gets a commit of its own.

    Examples
    --------
    >>> sizes = [2, 2, 5, 1]
    >>> runs = [PreparedRun(str(i), [{}] * n) for i, n in enumerate(sizes)]  # type: ignore
    >>> [[r.run_id for r in b] for b in plan_batches(runs, 4)]
    [['0', '1'], ['2'], ['3']]
    """
    batches: list[list[PreparedRun]] = []
    size = 0
    for run in runs:
        if batches and size + len(run.rows) <= batch_size:
            batches[-1].append(run)
            size += len(run.rows)
        else:
            batches.append([run])
            size = len(run.rows)
    return batches


#: ``createDataFrame`` takes a ``pyarrow.Table`` from PySpark 4.0 on; PySpark 3.5 would iterate
#: the table's columns as if they were rows.
SPARK_TAKES_ARROW_TABLES = int(pyspark.__version__.split(".", 1)[0]) >= 4


@functools.cache
def _arrow_schema() -> pa.Schema | None:
    """Return LOG_SCHEMA as an Arrow schema, or None when rows go to Spark as a list.

    They do without pyarrow, and on PySpark 3.5, which takes no Arrow table.
    """
    if not SPARK_TAKES_ARROW_TABLES:
        return None
    try:
        from pyspark.sql.pandas.types import to_arrow_schema

        # PySpark 4.2 made the time zone a required keyword (``timezone``); the log's instants
        # are UTC. Earlier releases take no such argument.
        convert: Callable[..., pa.Schema] = to_arrow_schema
        takes_zone = "timezone" in inspect.signature(convert).parameters
        return convert(LOG_SCHEMA, **({"timezone": "UTC"} if takes_zone else {}))
    except ImportError:  # pyarrow (or pandas support) is missing
        return None


def rows_dataframe(spark: SparkSession, rows: list[LogRow]) -> DataFrame:
    """Hand the rows to Spark: as one Arrow table when pyarrow is there, else as a list.

    Both give the same DataFrame. A list goes through a Python worker task that pickles every
    row; an Arrow table reaches Spark in columnar batches, which makes a write of 1,000 rows
    about a third faster (see docs/performance.md). pyarrow is optional: it comes with
    ``pyspark[sql]`` and with Databricks runtimes.
    """
    schema = _arrow_schema()
    if schema is None:
        return spark.createDataFrame(rows, LOG_SCHEMA, verifySchema=False)
    import pyarrow as pa

    return spark.createDataFrame(pa.Table.from_pylist(rows, schema=schema), LOG_SCHEMA)


@dataclass(slots=True)
class Progress:
    """What one write call has done so far, batch by batch."""

    run_ids: tuple[str, ...]
    written: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)
    commit_rows: list[int | None] = field(default_factory=list)

    def record(self, run_ids: Sequence[str], found: Found) -> None:
        """Add one batch's outcome."""
        if found.outcome is Outcome.SKIPPED:
            self.skipped.extend(run_ids)
            return
        if found.outcome is Outcome.UNCONFIRMED:
            self.unconfirmed.extend(run_ids)
            return
        self.written.extend(run_ids)
        if found.version is not None:
            self.versions.append(found.version)
            self.commit_rows.append(found.rows)

    def result(self, duration_secs: float, *, error: WriterError | None = None) -> WriteResult:
        """Return the call's result."""
        return WriteResult(
            run_ids=self.run_ids,
            written_run_ids=tuple(self.written),
            skipped_run_ids=tuple(self.skipped),
            unconfirmed_run_ids=tuple(self.unconfirmed),
            rows_written=sum(rows for rows in self.commit_rows if rows is not None),
            commit_rows_written=tuple(self.commit_rows),
            table_versions=tuple(self.versions),
            duration_secs=duration_secs,
            error=error,
        )


class CommitEngine:
    """Commit prepared runs to one log table, batch by batch, and tell each outcome.

    Parameters
    ----------
    spark
        The session.
    config
        The writer's options (table, batch size, write mode, deduplication, compression,
        conflict retries).
    log
        Where each commit is logged.
    """

    def __init__(self, spark: SparkSession, config: WriterConfig, log: PipelineLogger) -> None:
        self._spark = spark
        self._config = config
        self._table = config.table
        self._log = log

    def commit_all(self, runs: list[PreparedRun], progress: Progress) -> None:
        """Commit ``runs`` (the first batch of an overwriting call replaces the table).

        Raises
        ------
        WriterTableError
            ``WRITER_COMMIT_UNCONFIRMED`` when a commit cannot be confirmed (later batches are
            not sent), or the Delta/Spark failure of a batch (earlier batches stay logged).
        """
        config = self._config
        overwrite = str(config.write_mode) == "overwrite"
        if config.deduplication == "scan":
            # Refused with overwrite at config time: a scan would drop logged runs from it.
            logged = self.logged_run_ids(runs)
            progress.skipped.extend(run.run_id for run in runs if run.run_id in logged)
            runs = [run for run in runs if run.run_id not in logged]
        call_ids = [run.run_id for run in runs] if overwrite else None
        for index, batch in enumerate(plan_batches(runs, config.batch_size)):
            run_ids = [run.run_id for run in batch]
            transaction = None
            if config.deduplication != "none":
                transaction = transaction_for(run_ids, overwrite_of=call_ids, index=index)
            # Only the call's first batch replaces the table; the others add to it. A skipped
            # first batch means this same overwrite already replaced it (its transaction is
            # the call's own), so the later batches complete that call.
            found = self._commit(batch, transaction, overwrite=overwrite and index == 0)
            progress.record(run_ids, found)
            if found.outcome is Outcome.UNCONFIRMED:
                raise self._unconfirmed(run_ids, "no commit carries this write's marker")

    def _commit(
        self, batch: list[PreparedRun], transaction: ops.Transaction | None, *, overwrite: bool
    ) -> Found:
        run_ids = [run.run_id for run in batch]
        rows = [row for run in batch for row in run.rows]
        marker = marker_for(transaction, uuid.uuid4().hex, runs=len(batch))
        pipelines = sorted({run.rows[0]["pipeline_name"] for run in batch if run.rows})
        log = self._log.bind(
            run_id=run_ids[0] if len(run_ids) == 1 else f"{len(run_ids)} runs",
            pipeline=", ".join(pipelines) or None,
        )
        write = ops.overwrite if overwrite else ops.append
        with Timer() as timer:
            try:
                write(
                    rows_dataframe(self._spark, rows).coalesce(1),
                    self._table,
                    transaction=transaction,
                    marker=marker,
                    options={"compression": str(self._config.compression)},
                    max_attempts=self._config.max_commit_attempts,
                )
            except SparkForgeError as exc:
                raise as_writer_error(exc) from exc
            except Exception as exc:
                raise self._failed(run_ids, exc) from exc
            found = self._confirm(marker, run_ids)
        if found.outcome is Outcome.SKIPPED:
            log.info(
                "already in the log (commit %s), nothing added (%.3f s): %s",
                found.version,
                timer.duration_secs,
                ", ".join(run_ids),
            )
        elif found.outcome is Outcome.WRITTEN:
            log.info(
                "logged %s row(s) at table version %s in %.3f s",
                "an unknown number of" if found.rows is None else found.rows,
                found.version,
                timer.duration_secs,
            )
        return found

    def _confirm(self, marker: str, run_ids: list[str]) -> Found:
        """Read the history, newest first in growing windows, until the write's fate is known."""
        try:
            for window in HISTORY_WINDOWS:
                commits = ops.recent_commits(self._spark, self._table, limit=window)
                found = classify(commits, marker)
                if found is not None:
                    return found
                if window is None or len(commits) < window:
                    break
        except SparkForgeError as exc:
            raise self._unconfirmed(run_ids, f"the history could not be read: {exc}") from exc
        except Exception as exc:  # anything else reading the history
            reason = f"the history could not be read: {ops.failure_reason(exc)}"
            raise self._unconfirmed(run_ids, reason) from exc
        return Found(Outcome.UNCONFIRMED)

    def logged_run_ids(self, runs: Sequence[PreparedRun]) -> set[str]:
        """Return which of ``runs`` the log already holds (one filtered read)."""
        if not runs:
            return set()
        ids = [run.run_id for run in runs]
        condition: Column = F.col("run_id").isin(ids)
        # A run's rows share its run_date: the bound prunes partitions or skips files by stats.
        dates = sorted({str(run.rows[0]["run_date"]) for run in runs if run.rows})
        condition = condition & F.col("run_date").isin(dates)
        try:
            found = self._table.read(self._spark).where(condition).select("run_id").distinct()
            return {row["run_id"] for row in found.collect()}
        except Exception as exc:
            raise self._failed(ids, exc) from exc

    def _failed(self, run_ids: Sequence[str], exc: BaseException) -> WriterTableError:
        reason = ops.failure_reason(exc)
        return WriterTableError(
            "WRITER_WRITE_FAILED",
            {"runs": str(len(run_ids)), "table": str(self._table), "reason": reason},
        )

    def _unconfirmed(self, run_ids: Sequence[str], reason: str) -> WriterCommitUnconfirmedError:
        return WriterCommitUnconfirmedError(
            tuple(run_ids), table=str(self._table), reason=reason.rstrip(".")
        )
