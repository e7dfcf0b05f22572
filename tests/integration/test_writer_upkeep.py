"""The log over years, through ``LogWriter``: history, time travel, prune, retention, restore.

The operations themselves are tested in ``test_table_operations_*``; here the writer's own
part: its arguments, the runs its commits record, the retention it applies after its writes,
and that everything reaches Delta as one commit of whole runs.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest

from sparkforge import table_operations as ops
from sparkforge.writer import (
    LogWriter,
    WriterConfig,
    WriterTableError,
    WriterValidationError,
)
from tests.factories import make_report

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sparkforge.writer import (
        Clock,
    )

pytestmark = pytest.mark.delta

_DAY = datetime(2026, 3, 1, 6, tzinfo=timezone.utc)


def _runs(writer: LogWriter, **kwargs: object) -> set[str]:
    rows = writer.read_logs(**kwargs).select("run_id").distinct().collect()  # type: ignore[arg-type]
    return {row["run_id"] for row in rows}


def _fixed(moment: datetime) -> Clock:
    return lambda: moment


def test_history_says_which_commits_logged_how_many_runs(
    spark: SparkSession, table_path: str
) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path, compact_every=None))
    one = writer.write_report(make_report(2))
    batch = writer.write_reports([make_report(1), make_report(3)])

    commits = writer.history(limit=5)

    assert [c.version for c in commits] == sorted((c.version for c in commits), reverse=True)
    newest, previous = commits[0], commits[1]
    assert (newest.version, newest.runs, newest.rows) == (batch.table_version, 2, 4)
    assert (previous.version, previous.runs, previous.rows) == (one.table_version, 1, 2)
    assert newest.by_writer
    assert newest.operation == "WRITE"
    creation = commits[-1]
    assert (creation.runs, creation.by_writer) == (None, False)
    assert all(c.timestamp.tzinfo is timezone.utc for c in commits)
    assert len(writer.history(limit=1)) == 1


def test_history_refuses_a_bad_limit(spark: SparkSession, table_path: str) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path))
    with pytest.raises(WriterValidationError, match="limit"):
        writer.history(limit=0)
    with pytest.raises(WriterTableError, match="TABLE_NOT_FOUND"):
        writer.history()


def test_read_logs_travels_to_a_version_and_an_instant(
    spark: SparkSession, table_path: str
) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path))
    first, second = make_report(1), make_report(1)
    version = writer.write_report(first).table_version
    writer.write_report(second)
    assert version is not None
    at = writer.history(limit=2)[1].timestamp

    assert _runs(writer, as_of_version=version) == {first.run_id}
    assert _runs(writer, as_of_timestamp=at) == {first.run_id}
    assert _runs(writer) == {first.run_id, second.run_id}
    assert _runs(writer, as_of_version=version, pipeline_name="elsewhere") == set()
    assert _runs(writer, run_id=[first.run_id]) == {first.run_id}
    assert _runs(writer, run_id=(first.run_id, second.run_id), as_of_version=version) == {
        first.run_id
    }

    with pytest.raises(WriterValidationError) as caught:
        writer.read_logs(as_of_version=-1, as_of_timestamp=datetime(2026, 1, 1))
    assert "as_of_version" in str(caught.value)
    with pytest.raises(WriterTableError, match="TABLE_VERSION_UNAVAILABLE"):
        writer.read_logs(as_of_version=version + 50)


def test_prune_removes_whole_old_runs_in_one_commit(spark: SparkSession, table_path: str) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path))
    old = [make_report(3, start=_DAY - timedelta(days=40 + i)) for i in range(3)]
    young = [make_report(2, start=_DAY - timedelta(days=i)) for i in range(2)]
    writer.write_reports(old + young)
    before = writer.history(limit=1)[0].version

    result = writer.prune(older_than=timedelta(days=30), as_of=_DAY)

    assert (result.runs, result.rows) == (3, 9)
    assert result.cutoff == _DAY - timedelta(days=30)
    assert _runs(writer) == {r.run_id for r in young}
    assert writer.history(limit=1)[0].version == before + 1
    # The pruned runs stay readable by time travel until a vacuum.
    assert {r.run_id for r in old} <= _runs(writer, as_of_version=before)


def test_prune_refuses_bad_ages_and_changes_nothing(spark: SparkSession, table_path: str) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path))
    writer.write_report(make_report(1, start=_DAY - timedelta(days=400)))
    before = writer.history(limit=1)[0].version
    for older_than in (timedelta(days=-1), timedelta(0), 30):
        with pytest.raises(WriterValidationError, match="older_than"):
            writer.prune(older_than=older_than)  # type: ignore[arg-type]
    with pytest.raises(WriterValidationError, match="as_of"):
        writer.prune(older_than=timedelta(days=1), as_of=datetime(2026, 1, 1))
    assert writer.history(limit=1)[0].version == before
    assert writer.read_logs().count() == 1


def test_retention_prunes_after_a_write_in_whole_days(spark: SparkSession, table_path: str) -> None:
    now = datetime(2026, 3, 10, 15, tzinfo=timezone.utc)
    config = WriterConfig(table_path=table_path, retention=timedelta(days=7))
    writer = LogWriter(spark, config, clock=_fixed(now))
    keep = LogWriter(spark, WriterConfig(table_path=table_path))
    # Two days before the cutoff day, and one on it (7 days and 1 hour old: kept, same day).
    gone = [
        make_report(2, start=now - timedelta(days=9)),
        make_report(1, start=now - timedelta(days=8)),
    ]
    same_day = make_report(1, start=now - timedelta(days=7, hours=1))
    keep.write_reports([*gone, same_day])

    result = writer.write_report(make_report(1, start=now))

    assert result.pruned is not None
    assert (result.pruned.runs, result.pruned.rows) == (2, 3)
    assert result.maintenance_error is None
    assert _runs(writer) == {same_day.run_id, result.run_id}
    again = writer.write_report(make_report(1, start=now))
    assert again.pruned is None  # nothing older: no DELETE, no commit
    assert [c.operation for c in writer.history(limit=2)] == ["WRITE", "DELETE"]


def test_a_failed_retention_never_fails_the_write(
    spark: SparkSession, table_path: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = WriterConfig(table_path=table_path, retention=timedelta(days=7))
    writer = LogWriter(spark, config)
    writer.write_report(make_report(1))
    # Delta refuses a DELETE on an append-only table: the retention fails, the write stands.
    ops.set_properties(spark, writer.table, {"delta.appendOnly": "true"})
    old = make_report(1, start=datetime(2020, 1, 1, tzinfo=timezone.utc))
    LogWriter(spark, WriterConfig(table_path=table_path)).write_report(old)

    with caplog.at_level(logging.WARNING, logger="sparkforge"):
        result = writer.write_report(make_report(1))

    assert result.success
    assert result.written_run_ids == result.run_ids
    assert isinstance(result.maintenance_error, WriterTableError)
    assert result.pruned is None
    assert "retention" in caplog.text
    assert old.run_id in _runs(writer)


def test_optimize_and_restore_through_the_writer(spark: SparkSession, table_path: str) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path, compact_every=None))
    for _ in range(6):
        writer.write_report(make_report(1))
    rows = sorted(r["run_id"] for r in writer.read_logs().select("run_id").collect())
    good = writer.history(limit=1)[0].version

    optimized = writer.optimize()

    assert optimized.files_before >= 6
    assert optimized.files_after == 1
    assert sorted(r["run_id"] for r in writer.read_logs().select("run_id").collect()) == rows

    LogWriter(spark, WriterConfig(table_path=table_path, write_mode="overwrite")).write_report(
        make_report(1)
    )
    assert writer.read_logs().count() == 1
    restored = writer.restore(good)
    assert restored.restored_version == good
    assert sorted(r["run_id"] for r in writer.read_logs().select("run_id").collect()) == rows
    writer.write_report(make_report(1))  # the writer still writes after a restore
    with pytest.raises(WriterValidationError, match="version"):
        writer.restore(-2)


def test_compact_every_compacts_after_the_commit_that_reaches_a_multiple(
    spark: SparkSession, table_path: str
) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path, compact_every=4))
    results = [writer.write_report(make_report(1)) for _ in range(4)]

    # Version 0 created the table; the commits of versions 1-3 leave it alone, version 4 compacts.
    assert [r.table_version for r in results] == [1, 2, 3, 4]
    assert [r.compacted is not None for r in results] == [False, False, False, True]
    compacted = results[-1].compacted
    assert compacted is not None
    assert (compacted.files_before, compacted.files_after) == (4, 1)
    assert [c.operation for c in writer.history(limit=2)] == ["OPTIMIZE", "WRITE"]
    assert writer.read_logs().count() == 4
    # The compaction is its own commit, after the write's: the write's version is its own.
    assert writer.history(limit=2)[1].version == 4


def test_compact_every_none_never_compacts(spark: SparkSession, table_path: str) -> None:
    writer = LogWriter(spark, WriterConfig(table_path=table_path, compact_every=None))
    results = [writer.write_report(make_report(1)) for _ in range(4)]
    assert all(r.compacted is None for r in results)
    assert "OPTIMIZE" not in {c.operation for c in writer.history()}
