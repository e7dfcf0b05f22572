"""The writer's whole API, run on a session that is not the suite's local one.

:func:`run_scenario` takes any SparkSession (a Spark Connect session, a standalone cluster's
driver session) and runs one pipeline run into the log, then every writer call a user makes:
read, time travel, idempotent retry, summary, trends, anomalies, export (files and
OpenLineage), history, OPTIMIZE, VACUUM, prune, RESTORE, legacy migration. It returns what it
found as JSON-safe facts, which the tests assert; nothing is asserted here, so a child process
can run it and print the facts (``python -m tests.remote_support MASTER_URL WORK_DIR``);
``python -m tests.remote_support connect sc://HOST:PORT WORK_DIR`` runs it on a Spark Connect
session, and ``python -m tests.remote_support local WORK_DIR`` measures a local session the
same way.

A Connect client always runs in a child process: PySpark refuses a Connect session while a
classic one runs in the process (``SESSION_ALREADY_EXIST``), and once it has built one it
marks the whole process as a Connect client, so the suite's classic session would break.

The write cost is measured here, on the session given: single-run ``write_report`` calls,
timed one by one.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
import warnings
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyspark
import pytest
from pyspark.sql import functions as F

from sparkforge.errors import SparkForgeError
from sparkforge.models import Phase, PipelineMetrics
from tests.factories import BASE_TIME, make_report, make_step

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import SparkSession

    from sparkforge.models import PipelineReport

#: The Connect server's JAR in the installed pyspark, which a test server is started from.
#: PySpark 4's wheel ships it; 3.5's does not (there it is the Maven artifact spark-connect_2.12).
CONNECT_SERVER_JARS = sorted((Path(pyspark.__file__).parent / "jars").glob("spark-connect_*.jar"))
#: Skips a module that starts a Connect server when the installed pyspark cannot serve one.
needs_connect_server = pytest.mark.skipif(
    not CONNECT_SERVER_JARS,
    reason="this pyspark ships no Spark Connect server JAR (pyspark/jars/spark-connect_*.jar)",
)


#: Daily runs of the ``orders`` pipeline before the one whose rows jump.
TRAINING_RUNS = 9
#: Single-run writes timed for the write cost.
TIMED_WRITES = 3
#: The rows the last run's steps write, against 90 in every run before it.
ANOMALOUS_ROWS = 9000
#: Legacy runs written by the legacy writer, then migrated.
LEGACY_RUN = {
    "run": {"mode": "initial", "started_at": BASE_TIME, "ended_at": BASE_TIME + timedelta(hours=1)},
    "silver": {"orders": {"write": {"mode": "append", "rows_written": 10}}},
}


def orders_report(day: int, *, valid: int = 90) -> PipelineReport:
    """Return run ``day`` of the ``orders`` pipeline (three steps, ``valid`` rows each)."""
    start = BASE_TIME + timedelta(days=day)
    report = make_report(3, start=start, run_id=f"orders-{day:03d}")
    phases = (Phase.BRONZE, Phase.SILVER, Phase.GOLD)
    steps = tuple(
        make_step(f"step_{i}", phase=phases[i], index=i, start=start, valid=valid) for i in range(3)
    )
    return replace(report, steps=steps, metrics=PipelineMetrics.from_steps(steps))


def _code(call: Callable[[], object]) -> str:
    """Return the sparkforge error code ``call`` raised, ``ok``, or ``raw <type>``."""
    try:
        call()
    except SparkForgeError as exc:
        return exc.code
    except Exception as exc:
        return f"raw {type(exc).__module__}.{type(exc).__name__}"
    return "ok"


def _pipeline_run(spark: SparkSession, schema: str, log_path: str) -> dict[str, Any]:
    """Run a one-step pipeline with a log writer; return what was logged."""
    from sparkforge.pipeline import PipelineBuilder
    from sparkforge.validation import Rule
    from sparkforge.writer import LogWriter, WriterConfig

    writer = LogWriter(spark, WriterConfig(table_path=log_path))
    pipeline = (
        PipelineBuilder(spark, schema=schema, pipeline_name="events", log_writer=writer)
        .with_bronze_rules(
            name="events", rules={"id": [Rule("id_present", F.col("id").isNotNull())]}
        )
        .to_pipeline()
    )
    report = pipeline.run_initial_load(
        bronze_sources={"events": spark.createDataFrame([(1,), (None,), (3,)], "id BIGINT")}
    )
    logged = writer.read_logs(run_id=report.run_id).collect()
    return {
        "pipeline_logged": report.log_write is not None and report.log_write.success,
        "pipeline_rows": [[r["step"], r["valid_rows"], r["invalid_rows"]] for r in logged],
    }


def run_scenario(spark: SparkSession, work_dir: str | Path) -> dict[str, Any]:
    """Run every writer call on ``spark``; return the facts found (JSON-safe)."""
    from sparkforge.writer import LogWriter, WriterConfig
    from sparkforge.writer.legacy import LegacyLogWriter

    work = Path(work_dir)
    schema = f"remote_{int(time.time() * 1000) % 10**9}"
    spark.sql(f"CREATE SCHEMA IF NOT EXISTS `{schema}`")
    facts: dict[str, Any] = {"session": type(spark).__module__}
    facts.update(_pipeline_run(spark, schema, str(work / "events_log")))

    # A catalog log table: created by SQL, written in one batch, then run by run.
    writer = LogWriter(spark, WriterConfig(table_schema=schema, table_name="run_log"))
    began = time.perf_counter()
    facts["created"] = writer.create_table()
    facts["create_secs"] = time.perf_counter() - began
    facts["created_again"] = writer.create_table()
    reports = [orders_report(day) for day in range(TRAINING_RUNS)]
    batch = writer.write_reports(reports[: TRAINING_RUNS - TIMED_WRITES])
    facts["batch"] = {"written": len(batch.written_run_ids), "rows": batch.rows_written}
    durations = []
    for report in reports[TRAINING_RUNS - TIMED_WRITES :]:
        began = time.perf_counter()
        result = writer.write_report(report)
        durations.append(time.perf_counter() - began)
        facts.setdefault("timed_rows", []).append(result.rows_written)
    facts["write_secs"] = durations
    facts["write_secs_median"] = statistics.median(durations)
    retry = writer.write_report(reports[-1])
    facts["retry"] = {"skipped": list(retry.skipped_run_ids), "rows": retry.rows_written}
    version_before_anomaly = writer.history(limit=1)[0].version
    writer.write_report(orders_report(TRAINING_RUNS, valid=ANOMALOUS_ROWS))

    facts["rows"] = writer.read_logs(pipeline_name="orders").count()
    facts["runs"] = writer.read_logs().select("run_id").distinct().count()
    facts["rows_as_of_version"] = writer.read_logs(as_of_version=version_before_anomaly).count()
    summary = writer.summary(pipeline_name="orders")
    facts["summary"] = {"runs": summary.runs, "rows": summary.rows}
    trends = writer.trends("rows_written", pipeline_name="orders", as_of=orders_at(TRAINING_RUNS))
    facts["trend_series"] = len(trends.series)
    anomalies = writer.detect_anomalies(
        pipeline_name="orders", as_of=orders_at(TRAINING_RUNS + 1), freshness=False
    )
    facts["anomalies"] = sorted([a.metric, a.run_id] for a in anomalies.anomalies)
    exported = writer.export(str(work / "export_parquet"), format="parquet")
    facts["export_parquet"] = {"runs": exported.runs, "rows": exported.rows}
    lineage = writer.export(str(work / "lineage.jsonl"), format="openlineage")
    lines = (work / "lineage.jsonl").read_text(encoding="utf-8").splitlines()
    facts["openlineage"] = {
        "runs": lineage.runs,
        "events": lineage.rows,
        "lines": len(lines),
        "event_types": sorted({json.loads(line)["eventType"] for line in lines}),
    }

    # Maintenance on the same table.
    facts["history_ops"] = [c.operation for c in writer.history(limit=3)]
    optimized = writer.optimize()
    facts["optimize"] = {"files_removed": optimized.files_removed}
    vacuumed = writer.vacuum()
    facts["vacuum_retention_hours"] = vacuumed.retention_hours
    pruned = writer.prune(older_than=timedelta(days=2), as_of=orders_at(TRAINING_RUNS + 1))
    facts["pruned_runs"] = pruned.runs
    restored = writer.restore(version_before_anomaly)
    facts["restored_version"] = restored.restored_version
    facts["rows_after_restore"] = writer.read_logs(pipeline_name="orders").count()

    # Failures are sparkforge's, with the Connect or Py4J error as the cause.
    facts["errors"] = {
        "as_of_missing_version": _code(lambda: writer.read_logs(as_of_version=10**6).count()),
        "restore_missing_version": _code(lambda: writer.restore(10**6)),
        "history_of_nothing": _code(
            lambda: LogWriter(spark, WriterConfig(table_path=str(work / "none"))).history()
        ),
    }

    # A legacy table, written by the deprecated legacy writer, then migrated in place.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        legacy = LegacyLogWriter(spark, schema, "legacy_logs")
        legacy.create_table(LEGACY_RUN)
    migrating = LogWriter(spark, WriterConfig(table_schema=schema, table_name="legacy_logs"))
    migration = migrating.migrate_legacy_table(pipeline_name="legacy")
    facts["migration"] = {"migrated": migration.migrated, "rows": migration.rows_migrated}
    facts["migrated_rows"] = migrating.read_logs(pipeline_name="legacy").count()
    return facts


def orders_at(day: int) -> Any:
    """Return the instant ``day`` days after the first ``orders`` run."""
    return BASE_TIME + timedelta(days=day)


def _suite_cores(spark: SparkSession, work: Path) -> dict[str, str]:
    """Run the cores of two suite tests on ``spark``: Spark jobs of a write, racing threads.

    They are the suite's own functions (tests/integration/test_writer_table.py,
    tests/reliability/test_concurrency.py), called with this session instead of the local
    one; each part is ``ok`` or the end of its traceback.
    """
    import traceback

    from tests.integration.test_writer_table import (
        test_write_report_starts_only_an_idempotent_append_and_one_history_read as jobs_of_a_write,
    )
    from tests.reliability.test_concurrency import _threads

    def outcome(call: Callable[[], object]) -> str:
        try:
            call()
        except BaseException:
            return traceback.format_exc()[-3000:]
        return "ok"

    work.mkdir(parents=True, exist_ok=True)
    schema = f"threads_{int(time.time() * 1000) % 10**9}"
    spark.sql(f"CREATE SCHEMA `{schema}`")
    return {
        "jobs_of_a_write": outcome(
            lambda: jobs_of_a_write(spark, str(work / "jobs_log"), work / "jobs")
        ),
        "threads_4x5": outcome(lambda: _threads(spark, schema, runs_each=5, overlap=False)),
    }


def main(master_url: str, work_dir: str) -> None:
    """Run the scenario and the suite's cores on a driver of the cluster at ``master_url``.

    Prints one line, ``FACTS <json>``.
    """
    from examples.local_spark import local_delta_session
    from examples.remote_spark import cluster_session_conf

    began = time.perf_counter()
    spark = local_delta_session(
        "sparkforge-standalone",
        work_dir=Path(work_dir) / "driver",
        master=master_url,
        extra_conf=cluster_session_conf(),
    )
    session_secs = time.perf_counter() - began
    try:
        facts = run_scenario(spark, work_dir)
        facts["session_secs"] = session_secs
        facts["master"] = spark.conf.get("spark.master")
        facts["suite"] = _suite_cores(spark, Path(work_dir) / "suite")
    finally:
        spark.stop()
    print("FACTS " + json.dumps(facts, default=str), flush=True)


def _connect_table_operations(spark: SparkSession, work: Path) -> dict[str, Any]:
    """Return what table_operations answer over Connect: an error's cause, path checks."""
    from sparkforge import table_operations as ops
    from sparkforge.errors import TableOperationError

    facts: dict[str, Any] = {}
    try:
        ops.recent_commits(spark, ops.TableRef.at_path(str(work / "none")), limit=1)
    except TableOperationError as exc:
        facts["missing_history"] = {
            "code": exc.code,
            "cause_module": type(exc.__cause__).__module__,
            "jvm_stacktrace_in_reason": "JVM stacktrace" in str(exc.params["reason"]),
        }
    table = ops.TableRef.at_path(str(work / "t"))
    (work / "plain").mkdir(parents=True)
    exists = {"new_path": ops.table_exists(spark, table)}
    exists["plain_directory"] = ops.table_exists(spark, ops.TableRef.at_path(str(work / "plain")))
    schema = spark.createDataFrame([(1,)], "id BIGINT NOT NULL").schema
    facts["odd_comment"] = "it's \\ 'here'\n"
    exists["created"] = ops.create_table_if_not_exists(
        spark,
        table,
        schema,
        comment=facts["odd_comment"],
        properties={"note": facts["odd_comment"]},
    )
    exists["after_create"] = ops.table_exists(spark, table)
    facts["exists"] = exists
    (detail,) = spark.sql(f"DESCRIBE DETAIL {table.sql_name}").collect()
    facts["detail"] = [detail["description"], detail["properties"]["note"]]
    return facts


def connect_main(url: str, work_dir: str) -> None:
    """Run the scenario and the table-operation checks on a Connect session to ``url``.

    Prints one line, ``FACTS <json>``.
    """
    from examples.remote_spark import remote_session, stop_remote_session

    spark = remote_session(url)
    try:
        facts = run_scenario(spark, work_dir)
        facts["table_operations"] = _connect_table_operations(spark, Path(work_dir) / "ops")
    finally:
        stop_remote_session(spark)
    print("FACTS " + json.dumps(facts, default=str), flush=True)


def run_child(
    args: list[str], *, timeout_secs: float, module: str = "tests.remote_support"
) -> dict[str, Any]:
    """Run ``python -m MODULE ARGS`` from the repository; return the facts it printed."""
    import os
    import subprocess

    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root), "PYSPARK_PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=timeout_secs,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("FACTS ")]
    assert done.returncode == 0, done.stderr[-4000:]
    assert lines, done.stdout[-4000:]
    found: dict[str, Any] = json.loads(lines[-1].removeprefix("FACTS "))
    return found


def measure_local(work_dir: str) -> None:
    """Measure a local session like the remote ones: start-up, then single-run writes.

    Prints ``FACTS <json>`` with ``session_secs``, ``write_secs`` and their median.
    """
    from examples.local_spark import local_delta_session
    from sparkforge.writer import LogWriter, WriterConfig

    began = time.perf_counter()
    spark = local_delta_session("sparkforge-local-measure", work_dir=Path(work_dir) / "driver")
    facts: dict[str, Any] = {"session_secs": time.perf_counter() - began}
    try:
        writer = LogWriter(spark, WriterConfig(table_path=str(Path(work_dir) / "log")))
        writer.create_table()
        writer.write_report(orders_report(0))  # the first write warms the table's state
        durations = []
        for day in range(1, TIMED_WRITES + 1):
            began = time.perf_counter()
            writer.write_report(orders_report(day))
            durations.append(time.perf_counter() - began)
        facts["write_secs"] = durations
        facts["write_secs_median"] = statistics.median(durations)
    finally:
        spark.stop()
    print("FACTS " + json.dumps(facts), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "local":
        measure_local(sys.argv[2])
    elif sys.argv[1] == "connect":
        connect_main(sys.argv[2], sys.argv[3])
    else:
        main(sys.argv[1], sys.argv[2])
