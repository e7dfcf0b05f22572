"""The writer on a Spark standalone cluster: executors in their own JVMs, not local mode.

One master and one worker (1 core, 1 GiB) for the module, started from the venv's pyspark
(``spark-class ...deploy.master.Master`` / ``...deploy.worker.Worker``) on 127.0.0.1 and
stopped at the end. A process holds one SparkContext and the suite's is local, so the driver
is a child Python process (``python -m tests.remote_support MASTER WORK``) with master
``spark://127.0.0.1:<port>``; the log tables live under tmp, which every JVM of this machine
sees. The child runs the scenario of tests/remote_support.py, then the cores of two suite
tests with its cluster session: the Spark-job count of a write
(tests/integration/test_writer_table.py) and four threads racing into a new table
(tests/reliability/test_concurrency.py). It prints what it found; each test checks one part.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from examples.remote_spark import start_standalone_cluster
from tests.remote_support import TIMED_WRITES, TRAINING_RUNS, run_child

if TYPE_CHECKING:
    from collections.abc import Iterator

    from examples.remote_spark import StandaloneCluster

pytestmark = [pytest.mark.delta, pytest.mark.slow]

#: Rows of one ``orders`` run: one per step.
ROWS_PER_RUN = 3
#: Minutes on an idle machine; a loaded one (eight engineers on two cores) needs far more.
CHILD_TIMEOUT_SECS = 2400


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandaloneCluster]:
    """Start the module's master and worker; stop them at the end."""
    running = start_standalone_cluster(tmp_path_factory.mktemp("standalone"))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def facts(cluster: StandaloneCluster, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the driver child once against the cluster; return the facts it printed."""
    work = tmp_path_factory.mktemp("standalone_driver")
    return run_child([cluster.master_url, str(work)], timeout_secs=CHILD_TIMEOUT_SECS)


def test_standalone_driver_uses_the_cluster(
    facts: dict[str, Any], cluster: StandaloneCluster
) -> None:
    assert facts["master"] == cluster.master_url
    assert facts["session"] == "pyspark.sql.session"
    print(f"standalone.startup_secs={cluster.startup_secs:.1f}")


def test_standalone_executors_ran_in_their_own_jvms(
    facts: dict[str, Any], cluster: StandaloneCluster
) -> None:
    # The worker launches each executor as a JVM of its own, with its own log directory.
    executor_logs = list((cluster.work_dir / "worker").glob("app-*/*/stderr"))
    assert executor_logs, "no executor was launched by the worker"
    assert any("Executor" in log.read_text(errors="replace") for log in executor_logs)


def test_standalone_pipeline_run_is_logged(facts: dict[str, Any]) -> None:
    assert facts["pipeline_logged"] is True
    assert facts["pipeline_rows"] == [["events", 2, 1]]


def test_standalone_create_write_retry(facts: dict[str, Any]) -> None:
    assert (facts["created"], facts["created_again"]) == (True, False)
    written = TRAINING_RUNS - TIMED_WRITES
    assert facts["batch"] == {"written": written, "rows": written * ROWS_PER_RUN}
    assert facts["timed_rows"] == [ROWS_PER_RUN] * TIMED_WRITES
    assert facts["retry"] == {"skipped": [f"orders-{TRAINING_RUNS - 1:03d}"], "rows": 0}
    print(f"standalone.write_secs={facts['write_secs']}")


def test_standalone_reads_and_answers(facts: dict[str, Any]) -> None:
    assert facts["rows"] == (TRAINING_RUNS + 1) * ROWS_PER_RUN
    assert facts["rows_as_of_version"] == TRAINING_RUNS * ROWS_PER_RUN
    assert facts["summary"]["runs"] == TRAINING_RUNS + 1
    assert facts["trend_series"] > 0
    assert ["rows_written", f"orders-{TRAINING_RUNS:03d}"] in facts["anomalies"]
    assert facts["openlineage"]["events"] == facts["openlineage"]["lines"] > 0


def test_standalone_maintenance_and_migration(facts: dict[str, Any]) -> None:
    assert facts["optimize"]["files_removed"] > 0
    assert facts["pruned_runs"] == TRAINING_RUNS - 1  # days 0 to 7
    assert facts["rows_after_restore"] == TRAINING_RUNS * ROWS_PER_RUN
    assert not any(code.startswith("raw") or code == "ok" for code in facts["errors"].values())
    assert facts["migrated_rows"] == facts["migration"]["rows"] > 0


def test_standalone_write_starts_only_an_idempotent_append_and_one_history_read(
    facts: dict[str, Any],
) -> None:
    assert facts["suite"]["jobs_of_a_write"] == "ok"


def test_standalone_threads_racing_into_a_new_table_lose_and_duplicate_nothing(
    facts: dict[str, Any],
) -> None:
    assert facts["suite"]["threads_4x5"] == "ok"
