"""The commands that change or copy the log, on real Delta path logs, in this process."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from tests.cli.conftest import invoke

if TYPE_CHECKING:
    from pathlib import Path

    import pytest
    from pyspark.sql import SparkSession


def test_optimize_compacts_the_commits_files(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], small_log: str
) -> None:
    data = invoke(spark, capsys, "optimize", "--path", small_log, "--format", "json")
    assert data.code == 0, data.err
    result = data.json()
    assert result["files_before"] >= 3  # one file per commit at least
    assert result["files_after"] < result["files_before"]
    again = invoke(spark, capsys, "optimize", "--path", small_log)
    assert again.code == 0
    assert "Optimize" in again.out
    assert "files_before" in again.out


def test_vacuum_dry_run_and_unsafe_retention(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], small_log: str
) -> None:
    dry = invoke(spark, capsys, "vacuum", "--path", small_log, "--dry-run", "--format", "json")
    assert dry.code == 0, dry.err
    assert dry.json()["dry_run"] is True
    assert dry.json()["retention_hours"] == 168.0
    unsafe = invoke(spark, capsys, "vacuum", "--path", small_log, "--retention", "1h")
    assert unsafe.code == 2
    assert "[TABLE_RETENTION_UNSAFE]" in unsafe.err
    assert unsafe.err_lines == [unsafe.err.strip()]
    # The flag lifts sparkforge's check; Delta's own needs the session setting (--conf),
    # which the error names, and which this shared test session does not have. Delta 4.3
    # applies it only to a vacuum that would delete files: an OPTIMIZE removes some first, and
    # they are older than a second when the vacuum asks.
    assert invoke(spark, capsys, "optimize", "--path", small_log).code == 0
    allowed = invoke(
        spark,
        capsys,
        "vacuum",
        "--path",
        small_log,
        "--retention",
        "1s",
        "--allow-unsafe-retention",
    )
    assert allowed.code == 2
    assert "spark.databricks.delta.retentionDurationCheck.enabled=false" in allowed.err
    assert "[TABLE_RETENTION_UNSAFE]" in allowed.err


def test_prune_then_restore_brings_the_runs_back(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], small_log: str
) -> None:
    # The runs started 2026-03-01, 100 and 200 days before; ages count from 2026-03-02.
    pruned = invoke(
        spark,
        capsys,
        "prune",
        "--path",
        small_log,
        "--older-than",
        "14w",
        "--as-of",
        "2026-03-02",
        "--format",
        "json",
    )
    assert pruned.code == 0, pruned.err
    result = pruned.json()
    assert result["runs"] == 2
    assert result["cutoff"] == "2025-11-24T00:00:00+00:00"
    runs = invoke(spark, capsys, "runs", "--path", small_log, "--format", "json").json()["runs"]
    assert len(runs) == 1

    restored = invoke(spark, capsys, "restore", str(result["version"] - 1), "--path", small_log)
    assert restored.code == 0, restored.err
    assert "Restore" in restored.out
    runs = invoke(spark, capsys, "runs", "--path", small_log, "--format", "json").json()["runs"]
    assert len(runs) == 3

    missing = invoke(spark, capsys, "restore", "999", "--path", small_log)
    assert missing.code == 2
    assert missing.err_lines == [missing.err.strip()]


def test_migrate_on_a_v1_log_does_nothing(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], small_log: str
) -> None:
    outcome = invoke(spark, capsys, "migrate", "--path", small_log, "--format", "json")
    assert outcome.code == 0, outcome.err
    result = outcome.json()
    assert result["migrated"] is False
    assert result["table"] == small_log


def test_export_files_and_refusal_of_an_existing_target(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], small_log: str, tmp_path: Path
) -> None:
    target = tmp_path / "export_csv"
    outcome = invoke(
        spark,
        capsys,
        "export",
        str(target),
        "--format",
        "csv",
        "--path",
        small_log,
        "--output-format",
        "json",
    )
    assert outcome.code == 0, outcome.err
    result = outcome.json()
    assert result["format"] == "csv"
    assert result["runs"] == 3
    assert list(target.glob("*.csv"))
    again = invoke(spark, capsys, "export", str(target), "--format", "csv", "--path", small_log)
    assert again.code == 2
    assert "[EXPORT_TARGET_EXISTS]" in again.err
    table = invoke(
        spark,
        capsys,
        "export",
        str(target),
        "--format",
        "parquet",
        "--mode",
        "overwrite",
        "--path",
        small_log,
    )
    assert table.code == 0, table.err
    assert "Export" in table.out
    assert "parquet" in table.out


def test_openlineage_output_writes_json_lines(
    spark: SparkSession, capsys: pytest.CaptureFixture[str], small_log: str, tmp_path: Path
) -> None:
    target = tmp_path / "lineage" / "events.jsonl"
    outcome = invoke(
        spark,
        capsys,
        "openlineage",
        "--path",
        small_log,
        "--output",
        str(target),
        "--format",
        "json",
    )
    assert outcome.code == 0, outcome.err
    result = outcome.json()
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == result["events"] == 6  # START and COMPLETE of three runs
    events = [json.loads(line) for line in lines]
    assert {e["eventType"] for e in events} == {"START", "COMPLETE"}
    assert {e["job"]["name"] for e in events} == {"orders"}
    again = invoke(spark, capsys, "openlineage", "--path", small_log, "--output", str(target))
    assert again.code == 2
    assert "[EXPORT_TARGET_EXISTS]" in again.err
