"""Migration of a legacy log while legacy writers keep appending: nothing is lost, ever.

Real Delta commits race the migration: a thread appends legacy rows through the legacy
writer, in a loop or exactly inside the migration's transaction (a gate in the migration's
plan waits for it), and every appended row must be in the table afterwards.
"""

from __future__ import annotations

import threading
import time
import warnings
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

import pytest
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sparkforge import table_operations as ops
from sparkforge.table_operations import TableRef
from sparkforge.writer import WriterTableError
from sparkforge.writer import _migration_commit as migration_commit_module
from sparkforge.writer import migration as migration_module
from sparkforge.writer._legacy_schema import _is_v1
from sparkforge.writer.legacy import MIN_LOG_SCHEMA, LegacyLogWriter
from sparkforge.writer.migration import migrate_legacy_table

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from pyspark.sql import DataFrame, SparkSession

pytestmark = [
    pytest.mark.delta,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:LogWriter.*is deprecated:DeprecationWarning"),
]

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=timezone.utc)


def legacy_report(step: str, minute: int) -> dict[str, object]:
    """One legacy run with one bronze step named ``step`` (the step names tell rows apart)."""
    start = T0 + timedelta(minutes=minute)
    return {
        "run": {"mode": "incremental", "started_at": start, "ended_at": start},
        "bronze": {step: {"validation": {"valid_rows": 1, "invalid_rows": 0}}},
    }


def legacy_table(spark: SparkSession, schema: str, name: str) -> tuple[LegacyLogWriter, TableRef]:
    writer = LegacyLogWriter(spark, schema, name)
    writer.create_table(legacy_report("initial", 0))
    return writer, TableRef.named(schema, name)


def steps_in(spark: SparkSession, table: TableRef) -> list[str]:
    return sorted(row["step"] for row in table.read(spark).select("step").collect())


def is_legacy(schema: T.StructType) -> bool:
    return [f.name for f in schema.fields] == MIN_LOG_SCHEMA.fieldNames()


def append_in_the_gap(monkeypatch: pytest.MonkeyPatch, writer: LegacyLogWriter) -> None:
    """Commit a legacy append (step ``in_the_gap``) right after the migration's last check.

    That check (the second ``latest_version`` call) precedes the overwrite, whose Delta
    transaction then begins after the append: the one moment conflict detection misses.
    """
    real_latest_version = ops.latest_version
    calls = 0

    def latest_version_then_commit(spark: SparkSession, table: TableRef) -> int:
        nonlocal calls
        calls += 1
        version = real_latest_version(spark, table)
        if calls == 2:
            writer.append(legacy_report("in_the_gap", 5))
        return version

    monkeypatch.setattr(ops, "latest_version", latest_version_then_commit)


class Appender(threading.Thread):
    """Append legacy runs in a loop until stopped, remembering each one that committed."""

    def __init__(self, writer: LegacyLogWriter, *, pause_secs: float) -> None:
        super().__init__(daemon=True)
        self.writer = writer
        self.pause_secs = pause_secs
        self.stop = threading.Event()
        self.committed: list[str] = []
        self.refused: list[str] = []

    def run(self) -> None:
        number = 0
        while not self.stop.wait(self.pause_secs):
            number += 1
            step = f"appended_{number:04d}"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                try:
                    self.writer.append(legacy_report(step, number))
                except WriterTableError as exc:  # the table was migrated: refused, not lost
                    self.refused.append(exc.code)
                    continue
            self.committed.append(step)


@pytest.mark.parametrize(
    "pause_secs",
    [pytest.param(0.0, marks=pytest.mark.long), 1.0],
    ids=["appending_back_to_back", "appending_every_second"],
)
def test_migration_concurrency_loses_no_row_of_a_legacy_writer_appending_meanwhile(
    spark: SparkSession, schema: str, pause_secs: float
) -> None:
    writer, table = legacy_table(spark, schema, "busy_logs")
    appender = Appender(writer, pause_secs=pause_secs)
    appender.start()
    outcomes: list[str] = []
    try:
        while len(appender.committed) < 2:  # the appender is in its loop
            time.sleep(0.1)
        for _ in range(2):
            try:
                result = migrate_legacy_table(spark, table, max_commit_attempts=2)
            except WriterTableError as exc:
                outcomes.append(exc.code)
                # Failed cleanly: still the legacy table, with every row appended so far.
                assert is_legacy(table.read(spark).schema)
                assert set(appender.committed) <= set(steps_in(spark, table))
                continue
            outcomes.append("migrated" if result.migrated else "already")
            break
    finally:
        appender.stop.set()
        appender.join(timeout=120)
    assert not appender.is_alive()
    final_df = table.read(spark)
    steps = steps_in(spark, table)
    assert set(outcomes) <= {"TABLE_CONCURRENT_CHANGE", "TABLE_CONFLICT", "migrated"}, outcomes
    # Every committed append is there, once, with the first run; none was lost or doubled.
    assert sorted({"initial", *appender.committed}) == steps
    if "migrated" in outcomes:
        # The whole table is migrated: no legacy row slipped in after the migration.
        assert _is_v1(final_df.schema)
        assert final_df.where("schema_version = 0").count() == len(steps)
        assert set(appender.refused) <= {"WRITER_LEGACY_TABLE", "WRITER_WRITE_FAILED"}
    else:
        assert is_legacy(final_df.schema), outcomes


class Gate:
    """A step in the migration's plan that holds each attempt's write until a commit landed.

    The gate runs in the Python worker, during the overwrite's Spark job, so after the
    overwrite's Delta transaction began and before it commits. It writes ``open-N`` and waits
    for ``done-N``; the test thread commits a legacy append in between.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.attempts = 0

    def wrap(self, build: Callable[..., DataFrame]) -> Callable[..., DataFrame]:
        def gated(source_df: DataFrame, **kwargs: Any) -> DataFrame:
            self.attempts += 1
            opened = str(self.directory / f"open-{self.attempts}")
            done = str(self.directory / f"done-{self.attempts}")

            def wait_for_commit() -> bool:
                import os
                import time

                if not os.path.exists(done):
                    with open(opened, "w"):
                        pass
                    deadline = time.time() + 120
                    while not os.path.exists(done) and time.time() < deadline:
                        time.sleep(0.05)
                return True

            gate = F.udf(wait_for_commit, T.BooleanType()).asNondeterministic()
            return build(source_df, **kwargs).where(gate())

        return gated

    def commit_inside(self, attempt: int, commit: Callable[[], None]) -> None:
        deadline = time.time() + 120
        while not (self.directory / f"open-{attempt}").exists():
            assert time.time() < deadline, f"attempt {attempt} never reached its write"
            time.sleep(0.05)
        try:
            commit()
        finally:
            (self.directory / f"done-{attempt}").touch()


@pytest.mark.parametrize("attempts", [1, 2], ids=["one_attempt", "two_attempts"])
def test_migration_concurrency_retries_a_real_conflict_max_commit_attempts_times(
    spark: SparkSession,
    schema: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    attempts: int,
) -> None:
    writer, table = legacy_table(spark, schema, "contended_logs")
    gate = Gate(tmp_path)
    monkeypatch.setattr(migration_module, "_migrated", gate.wrap(migration_module._migrated))
    appended: list[str] = []

    def append_inside_each_attempt() -> None:
        for attempt in range(1, attempts + 1):
            step = f"racer_{attempt}"

            def commit(step: str = step) -> None:
                writer.append(legacy_report(step, 9))

            gate.commit_inside(attempt, commit)
            appended.append(step)

    racer = threading.Thread(target=append_inside_each_attempt, daemon=True)
    racer.start()
    version_before = ops.latest_version(spark, table)
    with pytest.raises(WriterTableError) as caught:
        migrate_legacy_table(spark, table, max_commit_attempts=attempts)
    racer.join(timeout=120)

    assert caught.value.code == "TABLE_CONFLICT"
    assert caught.value.params["attempts"] == str(attempts)
    assert gate.attempts == attempts
    assert appended == [f"racer_{n}" for n in range(1, attempts + 1)]
    # Nothing of the migration was committed: the racers' appends are the only new commits.
    assert ops.latest_version(spark, table) == version_before + attempts
    assert is_legacy(table.read(spark).schema)
    assert steps_in(spark, table) == sorted(["initial", *appended])


def test_migration_concurrency_succeeds_on_the_attempt_after_a_conflict(
    spark: SparkSession, schema: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer, table = legacy_table(spark, schema, "retried_logs")
    gate = Gate(tmp_path)
    monkeypatch.setattr(migration_module, "_migrated", gate.wrap(migration_module._migrated))
    # Only the first attempt is raced; the second finds its gate open (done-2 exists).
    (tmp_path / "done-2").touch()
    racer = threading.Thread(
        target=gate.commit_inside,
        args=(1, lambda: writer.append(legacy_report("racer", 9))),
        daemon=True,
    )
    racer.start()
    result = migrate_legacy_table(spark, table, max_commit_attempts=2)
    racer.join(timeout=120)

    assert (result.migrated, result.attempts, gate.attempts) == (True, 2, 2)
    assert result.rows_migrated == 2
    assert _is_v1(table.read(spark).schema)
    assert steps_in(spark, table) == ["initial", "racer"]


def test_migration_concurrency_undoes_an_overwrite_that_began_after_a_commit(
    spark: SparkSession, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The one moment Delta's conflict detection does not cover: a commit after the pinned read
    # and after the last version check, before the overwrite's transaction begins. The
    # overwrite then removes that commit's files; the migration must notice and undo itself.
    writer, table = legacy_table(spark, schema, "gap_logs")
    append_in_the_gap(monkeypatch, writer)
    with pytest.raises(WriterTableError) as caught:
        migrate_legacy_table(spark, table)
    monkeypatch.undo()

    assert caught.value.code == "TABLE_CONCURRENT_CHANGE"
    assert "every row is there" in caught.value.params["reason"]
    assert is_legacy(table.read(spark).schema)
    assert steps_in(spark, table) == ["in_the_gap", "initial"]
    history = ops.history(spark, table, limit=3).collect()
    # initial (0), the append in the gap (1), the migration (2), its undoing (3).
    assert [(h["version"], h["operation"], h["readVersion"]) for h in history] == [
        (3, "RESTORE", 2),
        (2, "CREATE OR REPLACE TABLE AS SELECT", 1),
        (1, "WRITE", 0),
    ]
    # Once the table is quiet, the migration goes through with every row.
    result = migrate_legacy_table(spark, table)
    assert result.migrated
    assert steps_in(spark, table) == ["in_the_gap", "initial"]


def test_migration_concurrency_legacy_append_that_lands_in_the_migrated_table_is_taken_out(
    spark: SparkSession, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The legacy writer reads the schema, then appends: a migration committing in between
    # leaves the append reading the v1 table, where Delta accepts the legacy row.
    writer, table = legacy_table(spark, schema, "slipped_logs")
    real_read_schema = ops.read_schema
    migrated: list[int | None] = []

    def read_schema_then_migrate(spark: SparkSession, table: TableRef) -> T.StructType:
        schema_read = real_read_schema(spark, table)
        if not migrated:
            migrated.append(migrate_legacy_table(spark, table).version_after)
        return schema_read

    monkeypatch.setattr(ops, "read_schema", read_schema_then_migrate)
    with pytest.raises(WriterTableError) as caught:
        writer.append(legacy_report("slipped", 3))
    monkeypatch.undo()

    assert caught.value.code == "WRITER_LEGACY_TABLE"
    assert "taken out again" in caught.value.params["reason"]
    final_df = table.read(spark)
    assert _is_v1(final_df.schema)
    assert steps_in(spark, table) == ["initial"]
    assert final_df.where("schema_version IS NULL").count() == 0
    assert migrated == [1]
    history = ops.history(spark, table, limit=4).collect()
    # The migration (1) and its properties (2), the append that read them (3), its removal (4).
    assert [(h["version"], h["operation"], h["readVersion"]) for h in history] == [
        (4, "DELETE", 3),
        (3, "WRITE", 2),
        (2, "SET TBLPROPERTIES", 1),
        (1, "CREATE OR REPLACE TABLE AS SELECT", 0),
    ]


def test_migration_concurrency_undo_goes_through_after_other_commits(
    spark: SparkSession, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An append in the gap before the overwrite (the migration must undo itself), then a legacy
    # append onto the migrated table before the undo: the append is refused and taken out,
    # and the undo still restores the legacy table with every row appended before it.
    writer, table = legacy_table(spark, schema, "undo_logs")
    real_recent_commits = migration_commit_module._recent_commits
    refusals: list[str] = []
    real_read_schema = ops.read_schema
    legacy_schema = table.read(spark).schema

    def recent_commits_after_an_append(spark: SparkSession, table: TableRef) -> Any:
        commits = real_recent_commits(spark, table)
        if not refusals:
            # The append's schema check ran before the migration committed: it saw legacy.
            schemas = iter([legacy_schema])
            monkeypatch.setattr(
                ops, "read_schema", lambda *args: next(schemas, None) or real_read_schema(*args)
            )
            try:
                writer.append(legacy_report("after_the_migration", 6))
            except WriterTableError as exc:
                refusals.append(exc.code)
            monkeypatch.setattr(ops, "read_schema", real_read_schema)
        return commits

    append_in_the_gap(monkeypatch, writer)
    monkeypatch.setattr(migration_commit_module, "_recent_commits", recent_commits_after_an_append)
    with pytest.raises(WriterTableError) as caught:
        migrate_legacy_table(spark, table)
    monkeypatch.undo()

    assert refusals == ["WRITER_LEGACY_TABLE"]
    assert caught.value.code == "TABLE_CONCURRENT_CHANGE"
    assert "check the versions after 2" in caught.value.params["reason"]
    assert is_legacy(table.read(spark).schema)
    assert steps_in(spark, table) == ["in_the_gap", "initial"]
    history = ops.history(spark, table, limit=4).collect()
    # the migration (2), the append that read it (3), its removal (4), the undo (5).
    assert [(h["version"], h["operation"]) for h in history] == [
        (5, "RESTORE"),
        (4, "DELETE"),
        (3, "WRITE"),
        (2, "CREATE OR REPLACE TABLE AS SELECT"),
    ]
