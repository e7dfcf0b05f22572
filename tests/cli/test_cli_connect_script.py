"""The real console script over Spark Connect: every command, its table and its JSON, its exit code.

The run's one Spark Connect server (``examples.remote_spark.start_connect_server``, a
session fixture of tests/conftest.py shared with tests/integration/test_spark_connect.py),
stopped at the end whatever happens. The logs are path tables under tmp, written through
``LogWriter`` on a Connect session to that server by a child process
(tests/cli/connect_logs.py: PySpark allows no Connect client beside the suite's classic
session); each command then runs as
``sparkforge CMD ... --remote sc://127.0.0.1:PORT`` in a subprocess, which starts no JVM
(Python start-up and gRPC only). The read-only commands share one log; the commands that
change a log (optimize, vacuum, prune, restore, migrate) get their own.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from tests.cli import connect_logs
from tests.cli.conftest import FAILED_RUN, OK_RUN, run_script
from tests.cli.connect_logs import ORDERS_DAYS, UPKEEP_RUNS
from tests.factories import BASE_TIME
from tests.remote_support import needs_connect_server, run_child

if TYPE_CHECKING:
    from pathlib import Path

    from examples.remote_spark import ConnectServer
    from tests.cli.conftest import Outcome

pytestmark = [pytest.mark.delta, pytest.mark.slow, needs_connect_server]

#: Seconds the log-writing child may take (a loaded machine needs far more than an idle one).
CHILD_TIMEOUT_SECS = 1200
ANOMALOUS_RUN = f"orders-{ORDERS_DAYS - 1:03d}"
#: One hour after the last ``orders`` run: the instant the analytics commands count from.
AS_OF = (BASE_TIME + timedelta(days=ORDERS_DAYS - 1, hours=1)).isoformat()
#: Every run of the shared log: the ``orders`` days, then ``billing``'s two.
ALL_RUNS = {f"orders-{day:03d}" for day in range(ORDERS_DAYS)} | {OK_RUN, FAILED_RUN}


@dataclass(frozen=True)
class Logs:
    """The module's server URL and its two path logs."""

    url: str
    shared: str
    upkeep: str


@pytest.fixture(scope="module")
def server(connect_server: ConnectServer) -> ConnectServer:
    """Return the run's Spark Connect server (tests/conftest.py)."""
    return connect_server


@pytest.fixture(scope="module")
def logs(server: ConnectServer, tmp_path_factory: pytest.TempPathFactory) -> Logs:
    """Write the two logs through LogWriter on Spark Connect, in a client child process."""
    work = tmp_path_factory.mktemp("cli_connect_logs")
    shared, upkeep = str(work / "shared_log"), str(work / "upkeep_log")
    written = run_child(
        [server.url, shared, upkeep], timeout_secs=CHILD_TIMEOUT_SECS, module=connect_logs.__name__
    )
    assert written == {"shared_runs": len(ALL_RUNS), "upkeep_runs": UPKEEP_RUNS}
    return Logs(url=server.url, shared=shared, upkeep=upkeep)


def cli(logs: Logs, *args: str) -> Outcome:
    """Run the console script with ``args`` on the module's Connect server."""
    return run_script(*args, "--remote", logs.url)


def cli_all(logs: Logs, *commands: list[str]) -> list[Outcome]:
    """Run several commands at once (each its own process), in the order given."""
    with ThreadPoolExecutor(max_workers=len(commands)) as pool:
        return list(pool.map(lambda args: cli(logs, *args), commands))


def one_error_line(outcome: Outcome) -> str:
    """Return the one ``Error:`` line of a failed command (no traceback, nothing on stdout)."""
    assert outcome.code == 2, outcome.out + outcome.err
    assert outcome.out == ""
    assert "Traceback" not in outcome.err
    assert len(outcome.err_lines) == 1, outcome.err
    return outcome.err_lines[0]


def test_runs_table_and_json(logs: Logs) -> None:
    data, table = cli_all(
        logs,
        ["runs", "--path", logs.shared, "--format", "json"],
        ["runs", "--path", logs.shared, "--pipeline", "billing"],
    )
    assert data.code == 0, data.err
    runs = data.json()["runs"]
    assert {r["run_id"] for r in runs} == ALL_RUNS
    by_id = {r["run_id"]: r for r in runs}
    assert by_id[FAILED_RUN]["run_status"] == "failed"
    assert by_id[FAILED_RUN]["failed_steps"] == 1
    assert (by_id[OK_RUN]["run_status"], by_id[OK_RUN]["steps"]) == ("success", 3)
    assert runs[0]["run_id"] == ANOMALOUS_RUN  # newest first
    assert table.code == 0, table.err
    assert OK_RUN in table.out
    assert FAILED_RUN in table.out
    assert "orders-" not in table.out


def test_steps_table_and_json_and_unknown_run(logs: Logs) -> None:
    table, data, missing = cli_all(
        logs,
        ["steps", FAILED_RUN, "--path", logs.shared],
        ["steps", ANOMALOUS_RUN, "--path", logs.shared, "--format", "json"],
        ["steps", "no-such-run", "--path", logs.shared],
    )
    assert table.code == 0, table.err
    assert f"Run {FAILED_RUN}" in table.out
    assert "step_1" in table.out
    assert "boom" in table.out
    assert data.code == 0, data.err
    steps = data.json()["steps"]
    assert [s["step_index"] for s in steps] == [0, 1, 2]
    assert [s["valid_rows"] for s in steps] == [9000] * 3
    line = one_error_line(missing)
    assert "ANALYSIS_ARGUMENT_INVALID" in line
    assert "no-such-run" in line


def test_summary_table_and_json(logs: Logs) -> None:
    data, table = cli_all(
        logs,
        ["summary", "--path", logs.shared, "--format", "json"],
        ["summary", "--path", logs.shared],
    )
    assert data.code == 0, data.err
    summary = data.json()
    assert summary["runs"] == len(ALL_RUNS)
    pipelines = {p["pipeline_name"]: p for p in summary["pipelines"]}
    assert set(pipelines) == {"orders", "billing"}
    assert (pipelines["billing"]["runs"], pipelines["billing"]["failed_runs"]) == (2, 1)
    assert (pipelines["orders"]["runs"], pipelines["orders"]["failed_runs"]) == (ORDERS_DAYS, 0)
    assert table.code == 0, table.err
    assert "orders" in table.out
    assert "billing" in table.out


def test_trends_regression_exit_1_and_calm_exit_0(logs: Logs) -> None:
    # The recent window is day 9 alone (9000 rows a step); the baseline days 0 to 8 (90).
    window = ["--pipeline", "orders", "--as-of", AS_OF, "--recent-days", "1", "--min-samples", "1"]
    data, calm = cli_all(
        logs,
        ["trends", "rows_written", "--path", logs.shared, *window, "--format", "json"],
        [
            "trends",
            "rows_written",
            "--path",
            logs.shared,
            *window,
            "--regression-threshold",
            "1000",
        ],
    )
    assert data.code == 1, data.err
    report = data.json()
    assert (report["metric"], report["recent_days"]) == ("rows_written", 1)
    regressed = {s["step"] for s in report["series"] if s["regressed"]}
    assert {None, "step_1", "step_2"} <= regressed, report["series"]
    assert calm.code == 0, calm.err
    assert "Trend of rows_written by day" in calm.out


def test_anomalies_found_exit_1_and_none_exit_0(logs: Logs) -> None:
    data, table, calm = cli_all(
        logs,
        ["anomalies", "--path", logs.shared, "--as-of", AS_OF, "--format", "json"],
        ["anomalies", "--path", logs.shared, "--as-of", AS_OF],
        [
            "anomalies",
            "--path",
            logs.shared,
            "--as-of",
            AS_OF,
            "--pipeline",
            "billing",
            "--no-freshness",
        ],
    )
    assert data.code == 1, data.err
    found = {(a["pipeline_name"], a["metric"], a["direction"]) for a in data.json()["anomalies"]}
    assert ("orders", "rows_written", "spike") in found
    assert table.code == 1, table.err
    assert "Anomalies" in table.out
    assert ANOMALOUS_RUN in table.out
    assert calm.code == 0, calm.err
    assert calm.out.startswith("0 anomalies as of ")


def test_quality_table_and_json_pass(logs: Logs) -> None:
    data, table = cli_all(
        logs,
        ["quality", "--path", logs.shared, "--format", "json"],
        ["quality", "--path", logs.shared],
    )
    assert data.code == 0, data.err
    result = data.json()
    assert result["passed"] is True
    assert result["failures"] == {}
    assert table.code == 0, table.err
    assert "all checks pass" in table.out


def test_history_table_and_json(logs: Logs) -> None:
    data, table = cli_all(
        logs,
        ["history", "--path", logs.shared, "--format", "json"],
        ["history", "--path", logs.shared],
    )
    assert data.code == 0, data.err
    commits = data.json()["commits"]
    assert [c["version"] for c in commits] == [1, 0]  # the writer's create, then its append
    assert table.code == 0, table.err
    assert "History" in table.out
    assert "WRITE" in table.out


def test_export_parquet_table_and_json(logs: Logs, tmp_path: Path) -> None:
    target, billing = tmp_path / "export_parquet", tmp_path / "billing_parquet"
    parquet = ["--format", "parquet", "--path", logs.shared]
    data, table = cli_all(
        logs,
        ["export", str(target), *parquet, "--output-format", "json"],
        ["export", str(billing), *parquet, "--pipeline", "billing"],
    )
    assert data.code == 0, data.err
    result = data.json()
    assert (result["format"], result["runs"]) == ("parquet", len(ALL_RUNS))
    assert list(target.glob("*.parquet"))
    assert table.code == 0, table.err
    assert "Export" in table.out
    assert "parquet" in table.out
    assert list(billing.glob("*.parquet"))


def test_openlineage_output_table_and_json(logs: Logs, tmp_path: Path) -> None:
    target, billing = tmp_path / "events.jsonl", tmp_path / "billing.jsonl"
    data, table = cli_all(
        logs,
        ["openlineage", "--path", logs.shared, "--output", str(target), "--format", "json"],
        ["openlineage", "--path", logs.shared, "--pipeline", "billing", "--output", str(billing)],
    )
    assert data.code == 0, data.err
    events = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert len(events) == data.json()["events"] == 2 * len(ALL_RUNS)  # a start and an end each
    assert {e["eventType"] for e in events} == {"START", "COMPLETE", "FAIL"}
    assert {e["job"]["name"] for e in events} == {"orders", "billing"}
    assert table.code == 0, table.err
    assert len(billing.read_text(encoding="utf-8").splitlines()) == 4
    assert "billing" in table.out


def test_report_table_and_json(logs: Logs, tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    data, table = cli_all(
        logs,
        ["report", "--path", logs.shared, "--output", str(target), "--format", "json"],
        ["report", "--path", logs.shared, "--output", str(tmp_path / "r2.html")],
    )
    assert data.code == 0, data.err
    assert data.json()["size_bytes"] == target.stat().st_size
    page = target.read_text(encoding="utf-8")
    assert "orders" in page
    assert "billing" in page
    assert table.code == 0, table.err
    assert "HTML report" in table.out
    assert (tmp_path / "r2.html").stat().st_size > 0


def test_missing_path_over_connect_is_one_line_exit_2(logs: Logs, tmp_path: Path) -> None:
    missing = cli(logs, "summary", "--path", str(tmp_path / "nothing_here"), "--format", "json")
    line = one_error_line(missing)
    assert "[TABLE_NOT_FOUND]" in line
    assert "nothing_here" in line


# The commands that change a log, in order, on the upkeep log: 3 commits (versions 1 to 3
# after the create), then optimize, vacuum, prune and restore add theirs.


def test_upkeep_optimize_table_and_json(logs: Logs) -> None:
    data = cli(logs, "optimize", "--path", logs.upkeep, "--format", "json")
    assert data.code == 0, data.err
    result = data.json()
    assert result["files_before"] >= 3  # one file per commit at least
    assert result["files_after"] < result["files_before"]
    table = cli(logs, "optimize", "--path", logs.upkeep)
    assert table.code == 0, table.err
    assert "Optimize" in table.out
    assert "files_before" in table.out


def test_upkeep_vacuum_table_and_json(logs: Logs) -> None:
    data = cli(logs, "vacuum", "--path", logs.upkeep, "--dry-run", "--format", "json")
    assert data.code == 0, data.err
    assert data.json()["dry_run"] is True
    assert data.json()["retention_hours"] == 168.0
    table = cli(logs, "vacuum", "--path", logs.upkeep)
    assert table.code == 0, table.err
    assert "Vacuum" in table.out


def test_upkeep_prune_restore_table_and_json(logs: Logs) -> None:
    # The runs started 2026-03-01, 100 and 200 days before; ages count from 2026-03-02.
    prune = ["prune", "--path", logs.upkeep, "--older-than", "14w", "--as-of", "2026-03-02"]
    pruned = cli(logs, *prune, "--format", "json")
    assert pruned.code == 0, pruned.err
    result = pruned.json()
    assert result["runs"] == 2
    assert result["cutoff"] == "2025-11-24T00:00:00+00:00"
    runs = cli(logs, "runs", "--path", logs.upkeep, "--format", "json").json()["runs"]
    assert [r["run_id"] for r in runs] == ["upkeep-0"]

    before = result["version"] - 1
    restored = cli(logs, "restore", str(before), "--path", logs.upkeep, "--format", "json")
    assert restored.code == 0, restored.err
    assert str(before) in restored.out
    # The restore brought the two runs back: the same prune finds them again.
    again = cli(logs, *prune)
    assert again.code == 0, again.err
    assert "Prune" in again.out
    assert "2025-11-24" in again.out

    table = cli(logs, "restore", str(before), "--path", logs.upkeep)
    assert table.code == 0, table.err
    assert "Restore" in table.out
    missing = cli(logs, "restore", "999", "--path", logs.upkeep)
    assert "999" in one_error_line(missing)


def test_upkeep_migrate_on_a_v1_log_does_nothing(logs: Logs) -> None:
    data = cli(logs, "migrate", "--path", logs.upkeep, "--format", "json")
    assert data.code == 0, data.err
    assert data.json()["migrated"] is False
    assert data.json()["table"] == logs.upkeep
    table = cli(logs, "migrate", "--path", logs.upkeep)
    assert table.code == 0, table.err
    assert logs.upkeep in table.out
