"""The question commands on a real Delta log, in this process (``main(..., spark=spark)``).

Each command's table and JSON output, its exit codes 0/1/2, and what its options change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sparkforge.writer import LogWriter, WriterConfig
from sparkforge.writer.models import LOG_SCHEMA
from tests.analytics_logs import AS_OF
from tests.cli._webhook import Webhook
from tests.cli.conftest import FAILED_RUN, OK_RUN, invoke
from tests.factories import make_report

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
    from pyspark.sql import SparkSession

AS_OF_TEXT = AS_OF.isoformat()


def test_runs_json_filters_by_pipeline_and_status_newest_first(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], scenario_log: str
) -> None:
    outcome = invoke(
        spark, capsys, "runs", "--path", scenario_log, "--pipeline", "billing", "--format", "json"
    )
    assert outcome.code == 0, outcome.err
    runs = outcome.json()["runs"]
    assert len(runs) == 3
    assert {r["pipeline_name"] for r in runs} == {"billing"}
    starts = [r["run_started_at"] for r in runs]
    assert starts == sorted(starts, reverse=True)
    assert all(s.endswith("+00:00") for s in starts)  # UTC whatever the session's zone
    by_id = {r["run_id"]: r for r in runs}
    assert by_id[OK_RUN]["steps"] == 3
    assert by_id[OK_RUN]["failed_steps"] == 0
    assert by_id[FAILED_RUN]["failed_steps"] == 1

    failed = invoke(
        spark,
        capsys,
        "runs",
        "--path",
        scenario_log,
        "--pipeline",
        "billing",
        "--status",
        "failed",
        "--limit",
        "1",
        "--format",
        "json",
    ).json()["runs"]
    assert len(failed) == 1
    assert failed[0]["run_status"] == "failed"
    assert failed[0]["run_id"] == FAILED_RUN  # the newer of the two failed runs


def test_runs_table_names_the_runs(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], scenario_log: str
) -> None:
    outcome = invoke(
        spark, capsys, "runs", "--path", scenario_log, "--since", "2026-03-11", "--limit", "500"
    )
    assert outcome.code == 0, outcome.err
    assert "Runs" in outcome.out
    assert "status" in outcome.out
    assert "orders" in outcome.out
    assert "billing" not in outcome.out  # billing ran on 2026-03-01 only
    empty = invoke(spark, capsys, "runs", "--path", scenario_log, "--pipeline", "nope")
    assert empty.code == 0
    assert "no run matches" in empty.out


def test_steps_table_and_json_and_unknown_run(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], scenario_log: str
) -> None:
    table = invoke(spark, capsys, "steps", FAILED_RUN, "--path", scenario_log)
    assert table.code == 0, table.err
    assert f"Run {FAILED_RUN}" in table.out
    assert "step_1" in table.out
    assert "boom" in table.out
    data = invoke(spark, capsys, "steps", OK_RUN, "--path", scenario_log, "--format", "json")
    steps = data.json()["steps"]
    assert [s["step_index"] for s in steps] == [0, 1, 2]
    assert {s["step_status"] for s in steps} == {"success"}
    missing = invoke(spark, capsys, "steps", "no-such-run", "--path", scenario_log)
    assert missing.code == 2
    assert missing.out == ""
    assert missing.err_lines == [missing.err.strip()]
    assert "ANALYSIS_ARGUMENT_INVALID" in missing.err
    assert "no-such-run" in missing.err


def test_summary_table_and_json(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], scenario_log: str
) -> None:
    data = invoke(
        spark,
        capsys,
        "summary",
        "--path",
        scenario_log,
        "--pipeline",
        "billing",
        "--format",
        "json",
    )
    assert data.code == 0, data.err
    summary = data.json()
    assert summary["runs"] == 3
    assert [p["pipeline_name"] for p in summary["pipelines"]] == ["billing"]
    assert summary["pipelines"][0]["failed_runs"] == 2
    table = invoke(spark, capsys, "summary", "--path", scenario_log)
    assert table.code == 0
    for name in ("billing", "orders", "events", "customers"):
        assert name in table.out


def test_trends_json_exit_code_follows_regressions(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], scenario_log: str
) -> None:
    outcome = invoke(
        spark,
        capsys,
        "trends",
        "duration_secs",
        "--path",
        scenario_log,
        "--as-of",
        AS_OF_TEXT,
        "--pipeline",
        "orders",
        "--format",
        "json",
    )
    report = outcome.json()
    assert report["metric"] == "duration_secs"
    assert report["as_of"] == AS_OF_TEXT
    assert {s["pipeline_name"] for s in report["series"]} == {"orders"}
    regressed = any(s["regressed"] for s in report["series"])
    assert outcome.code == (1 if regressed else 0)

    # A threshold nothing can reach: no regression, exit 0, shown as a table.
    calm = invoke(
        spark,
        capsys,
        "trends",
        "duration_secs",
        "--path",
        scenario_log,
        "--as-of",
        AS_OF_TEXT,
        "--pipeline",
        "orders",
        "--regression-threshold",
        "1000",
        "--bucket",
        "week",
    )
    assert calm.code == 0, calm.err
    assert "Trend of duration_secs by week" in calm.out


def test_trends_bad_metric_is_one_line_exit_2(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], scenario_log: str
) -> None:
    outcome = invoke(spark, capsys, "trends", "no_metric", "--path", scenario_log)
    assert outcome.code == 2
    assert outcome.err_lines == [outcome.err.strip()]
    assert "no_metric" in outcome.err


def test_anomalies_found_exit_1_and_posted_to_the_webhook(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], scenario_log: str
) -> None:
    with Webhook() as hook:
        outcome = invoke(
            spark,
            capsys,
            "anomalies",
            "--path",
            scenario_log,
            "--as-of",
            AS_OF_TEXT,
            "--detection-days",
            "5",
            "--format",
            "json",
            "--notify",
            hook.url,
        )
    assert outcome.code == 1, outcome.err
    report = outcome.json()
    kinds = {(a["pipeline_name"], a["metric"], a["direction"]) for a in report["anomalies"]}
    assert ("events", "freshness", "late") in kinds
    assert ("orders", "rows_written", "spike") in kinds
    assert len(hook.bodies) == 1
    body = hook.bodies[0]
    assert body["text"].startswith("sparkforge anomalies on ")
    assert body["sparkforge"]["kind"] == "anomalies"
    assert body["sparkforge"]["findings"] == report["anomalies"]
    assert hook.content_types == ["application/json"]
    assert "Posted" in outcome.err
    assert "SECRET" not in outcome.err


def test_anomalies_none_found_exit_0_and_nothing_posted(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], scenario_log: str
) -> None:
    with Webhook() as hook:
        outcome = invoke(
            spark,
            capsys,
            "anomalies",
            "--path",
            scenario_log,
            "--as-of",
            "2026-03-05T06:00:00Z",
            "--pipeline",
            "customers",
            "--metric",
            "duration_secs",
            "--metric",
            "rows_written",
            "--no-freshness",
            "--notify",
            hook.url,
        )
    assert outcome.code == 0, outcome.err
    assert outcome.out.startswith("0 anomalies as of 2026-03-05 06:00:00Z")
    assert hook.bodies == []


def test_anomalies_webhook_refusing_is_notify_failed_exit_2(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], scenario_log: str
) -> None:
    with Webhook(status=500) as hook:
        outcome = invoke(
            spark,
            capsys,
            "anomalies",
            "--path",
            scenario_log,
            "--as-of",
            AS_OF_TEXT,
            "--notify",
            hook.url,
        )
    assert outcome.code == 2
    assert outcome.err_lines == [outcome.err.strip()]
    assert "[NOTIFY_FAILED]" in outcome.err
    assert "HTTP 500" in outcome.err
    assert "SECRET" not in outcome.err  # the webhook's path may hold a secret
    assert "Anomalies" in outcome.out  # the findings were shown before the post failed


def test_quality_passes_exit_0(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], scenario_log: str
) -> None:
    table = invoke(spark, capsys, "quality", "--path", scenario_log)
    assert table.code == 0, table.out + table.err
    assert "all checks pass" in table.out
    assert "negative_counts" in table.out


def test_quality_failing_exit_1_json_and_webhook(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = str(tmp_path / "bad_log")
    LogWriter(spark, WriterConfig(table_path=path)).write_report(make_report(steps=2))
    row = spark.read.format("delta").load(path).where("row_kind = 'step'").limit(1).collect()[0]
    bad = row.asDict() | {"run_id": "broken", "input_rows": -5}
    spark.createDataFrame([bad], LOG_SCHEMA).write.format("delta").mode("append").save(path)
    with Webhook() as hook:
        outcome = invoke(
            spark, capsys, "quality", "--path", path, "--format", "json", "--notify", hook.url
        )
    assert outcome.code == 1, outcome.err
    result = outcome.json()
    assert result["passed"] is False
    assert result["failures"] == {"negative_counts": 1}
    assert [f["name"] for f in hook.bodies[0]["sparkforge"]["findings"]] == ["negative_counts"]
    assert "negative_counts: 1 of 3 row(s) fail" in hook.bodies[0]["text"]


def test_history_table_and_json(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], scenario_log: str
) -> None:
    data = invoke(
        spark, capsys, "history", "--path", scenario_log, "--limit", "1", "--format", "json"
    )
    assert data.code == 0, data.err
    commits = data.json()["commits"]
    assert len(commits) == 1
    assert commits[0]["version"] == 2  # create, the writer's append, the scenario's append
    table = invoke(spark, capsys, "history", "--path", scenario_log)
    assert "History" in table.out
    assert "WRITE" in table.out


def test_missing_catalog_table_is_one_line_exit_2_and_debug_shows_the_traceback(
    spark: SparkSession, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = invoke(spark, capsys, "summary", "--table", "default.no_such_log")
    assert outcome.code == 2
    assert outcome.out == ""
    assert outcome.err.strip() == outcome.err_lines[0]
    assert "[TABLE_NOT_FOUND]" in outcome.err
    debug = invoke(spark, capsys, "summary", "--table", "default.no_such_log", "--debug")
    assert debug.code == 2
    assert "Traceback (most recent call last)" in debug.err
    assert debug.err.strip().splitlines()[-1].startswith("Error: [TABLE_NOT_FOUND]")


def test_report_writes_the_html_file(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], scenario_log: str, tmp_path: Path
) -> None:
    target = tmp_path / "report.html"
    outcome = invoke(
        spark,
        capsys,
        "report",
        "--path",
        scenario_log,
        "--output",
        str(target),
        "--pipeline",
        "orders",
        "--format",
        "json",
    )
    assert outcome.code == 0, outcome.err
    data = outcome.json()
    assert target.exists()
    assert data["size_bytes"] == target.stat().st_size
    table = invoke(
        spark, capsys, "report", "--path", scenario_log, "--output", str(tmp_path / "r2.html")
    )
    assert table.code == 0
    assert "HTML report" in table.out
