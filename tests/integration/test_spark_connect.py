"""The writer on Spark Connect: a local Connect server with Delta, the whole API through it.

One server for the run, shared with the CLI's Connect tests (tests/conftest.py;
``spark-submit --class ...SparkConnectServer`` from the venv's
pyspark, Delta's JARs and its extension and catalog, a warehouse in tmp), stopped at the end.
The client is ``SparkSession.builder.remote(...)`` in a child Python process
(``python -m tests.remote_support connect URL WORK``): PySpark refuses a Connect session
beside the suite's classic one and, once it has built one, marks the whole process as a
Connect client. No JVM in the child serves it, and Delta's Connect plugin is not on the
server, so any ``DeltaTable`` call would fail. The scenario (tests/remote_support.py) and
the table-operation checks run once; each test checks one part of what the child found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.remote_support import TIMED_WRITES, TRAINING_RUNS, needs_connect_server, run_child

if TYPE_CHECKING:
    from examples.remote_spark import ConnectServer

pytestmark = [pytest.mark.delta, pytest.mark.slow, needs_connect_server]

#: Rows of one ``orders`` run: one per step.
ROWS_PER_RUN = 3
#: Seconds the Connect client child may take (a loaded machine needs far more than an idle one).
CHILD_TIMEOUT_SECS = 2400


@pytest.fixture(scope="module")
def server(connect_server: ConnectServer) -> ConnectServer:
    """Return the run's Spark Connect server (tests/conftest.py)."""
    return connect_server


@pytest.fixture(scope="module")
def facts(server: ConnectServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the scenario once in a Connect client child; return the facts it printed."""
    work = tmp_path_factory.mktemp("connect_scenario")
    return run_child(["connect", server.url, str(work)], timeout_secs=CHILD_TIMEOUT_SECS)


def test_spark_connect_session_is_remote(facts: dict[str, Any], server: ConnectServer) -> None:
    assert facts["session"] == "pyspark.sql.connect.session"
    print(f"spark_connect.startup_secs={server.startup_secs:.1f}")


def test_spark_connect_pipeline_run_is_logged(facts: dict[str, Any]) -> None:
    assert facts["pipeline_logged"] is True
    assert facts["pipeline_rows"] == [["events", 2, 1]]


def test_spark_connect_create_and_write(facts: dict[str, Any]) -> None:
    assert (facts["created"], facts["created_again"]) == (True, False)
    written = TRAINING_RUNS - TIMED_WRITES
    assert facts["batch"] == {"written": written, "rows": written * ROWS_PER_RUN}
    assert facts["timed_rows"] == [ROWS_PER_RUN] * TIMED_WRITES
    print(f"spark_connect.write_secs={facts['write_secs']}")


def test_spark_connect_retry_is_skipped_by_delta(facts: dict[str, Any]) -> None:
    assert facts["retry"] == {"skipped": [f"orders-{TRAINING_RUNS - 1:03d}"], "rows": 0}


def test_spark_connect_reads_and_time_travel(facts: dict[str, Any]) -> None:
    assert facts["rows"] == (TRAINING_RUNS + 1) * ROWS_PER_RUN
    assert facts["runs"] == TRAINING_RUNS + 1
    assert facts["rows_as_of_version"] == TRAINING_RUNS * ROWS_PER_RUN


def test_spark_connect_summary_trends_anomalies(facts: dict[str, Any]) -> None:
    assert facts["summary"] == {
        "runs": TRAINING_RUNS + 1,
        "rows": (TRAINING_RUNS + 1) * ROWS_PER_RUN,
    }
    assert facts["trend_series"] > 0
    anomalous_run = f"orders-{TRAINING_RUNS:03d}"
    assert ["rows_written", anomalous_run] in facts["anomalies"]
    assert {run for _, run in facts["anomalies"]} == {anomalous_run}


def test_spark_connect_export_and_openlineage(facts: dict[str, Any]) -> None:
    assert facts["export_parquet"] == {
        "runs": TRAINING_RUNS + 1,
        "rows": (TRAINING_RUNS + 1) * ROWS_PER_RUN,
    }
    lineage = facts["openlineage"]
    assert lineage["runs"] == TRAINING_RUNS + 1
    assert lineage["events"] == lineage["lines"] > 0
    assert "COMPLETE" in lineage["event_types"]


def test_spark_connect_maintenance(facts: dict[str, Any]) -> None:
    assert facts["history_ops"][0] == "WRITE"
    assert facts["optimize"]["files_removed"] > 0
    assert facts["vacuum_retention_hours"] == 168.0
    # Older than two days before day 10: the runs of days 0 to 7.
    assert facts["pruned_runs"] == TRAINING_RUNS - 1
    # Restoring the version before the last run undid the prune and that run.
    assert facts["rows_after_restore"] == TRAINING_RUNS * ROWS_PER_RUN


def test_spark_connect_failures_are_sparkforge_errors(facts: dict[str, Any]) -> None:
    assert not any(code.startswith("raw") for code in facts["errors"].values()), facts["errors"]
    assert "ok" not in facts["errors"].values()


def test_spark_connect_legacy_migration(facts: dict[str, Any]) -> None:
    assert facts["migration"]["migrated"] is True
    assert facts["migrated_rows"] == facts["migration"]["rows"] > 0


def test_spark_connect_table_operations_errors_chain_connect_exceptions(
    facts: dict[str, Any],
) -> None:
    assert facts["table_operations"]["missing_history"] == {
        "code": "TABLE_OPERATION_FAILED",
        "cause_module": "pyspark.errors.exceptions.connect",
        "jvm_stacktrace_in_reason": False,
    }


def test_spark_connect_table_exists_for_paths(facts: dict[str, Any]) -> None:
    found = facts["table_operations"]
    assert found["exists"] == {
        "new_path": False,
        "plain_directory": False,
        "created": True,
        "after_create": True,
    }
    assert found["detail"] == [found["odd_comment"]] * 2
    assert found["odd_comment"] == "it's \\ 'here'\n"
