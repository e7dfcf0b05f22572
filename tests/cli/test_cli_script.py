"""The real console script in a subprocess: usage errors (no JVM), and a few real sessions.

The cheap cases fail before any session starts. The JVM cases are batched: a local session
reading a path log (stdout is nothing but the JSON document), an anomaly run posting to a
webhook (exit 1), and a --warehouse catalog log written by one process and read by another.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sparkforge.cli._params import EXIT_CODES
from tests.analytics_logs import AS_OF
from tests.cli._webhook import Webhook
from tests.cli.conftest import OK_RUN, SCRIPT, child_env, run_script, spark_args

_REPO = str(Path(__file__).resolve().parents[2])


def _one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("Error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_console_script_is_installed_and_python_m_works() -> None:
    assert SCRIPT.exists()
    version = run_script("--version")
    assert version.code == 0
    assert version.out.startswith("sparkforge, version ")
    helped = subprocess.run(
        [sys.executable, "-m", "sparkforge", "--help"],
        capture_output=True,
        text=True,
        check=False,
        env=child_env(),
    )
    assert helped.returncode == 0
    for name in ("runs", "steps", "summary", "trends", "anomalies", "quality", "history"):
        assert name in helped.stdout
    for name in ("optimize", "vacuum", "prune", "restore", "migrate", "export", "openlineage"):
        assert name in helped.stdout
    assert "Exit codes" in helped.stdout
    assert str(EXIT_CODES[1][0]) in helped.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["prune", "--path", "/tmp/x", "--older-than", "90"], "--older-than"),
        (["prune", "--path", "/tmp/x", "--older-than", "-3d"], "--older-than"),
        (["vacuum", "--path", "/tmp/x", "--retention", "soon"], "--retention"),
        (["runs", "--path", "/tmp/x", "--format", "yaml"], "--format"),
        (["anomalies", "--path", "/tmp/x", "--as-of", "yesterday"], "--as-of"),
        (["anomalies", "--path", "/tmp/x", "--notify", "file:///etc/passwd"], "--notify"),
        (["runs", "--path", "/tmp/x", "--conf", "no-equals-sign"], "--conf"),
        (["runs", "--path", "/tmp/x", "--limit", "0"], "--limit"),
        (["runs"], "--table"),
        (["runs", "--table", "ops.log", "--path", "/tmp/x"], "not both"),
        (["restore", "--path", "/tmp/x", "minus-one"], "VERSION"),
        (["no-such-command"], "no-such-command"),
    ],
    ids=[
        "duration-without-unit",
        "negative-duration",
        "bad-retention",
        "bad-format",
        "bad-instant",
        "webhook-not-http",
        "conf-without-equals",
        "limit-zero",
        "no-log",
        "table-and-path",
        "bad-version",
        "unknown-command",
    ],
)
def test_bad_usage_is_one_line_exit_2_before_any_session(args: list[str], expected: str) -> None:
    outcome = run_script(*args)
    assert outcome.code == 2
    assert outcome.out == ""
    assert expected in _one_error_line(outcome.err)
    assert "Spark" not in outcome.err  # no session was started


def test_missing_local_path_fails_before_any_session(tmp_path: Path) -> None:
    outcome = run_script("summary", "--path", str(tmp_path / "nothing_here"))
    assert outcome.code == 2
    line = _one_error_line(outcome.err)
    assert "[TABLE_NOT_FOUND]" in line
    assert "nothing_here" in line
    assert "log4j" not in outcome.err


def test_environment_names_the_log_and_an_option_beats_it(tmp_path: Path) -> None:
    env = child_env(SPARKFORGE_PATH=str(tmp_path / "from_env"))
    by_env = run_script("history", env=env)
    assert by_env.code == 2
    assert "from_env" in _one_error_line(by_env.err)
    by_option = run_script("history", "--path", str(tmp_path / "from_option"), env=env)
    assert "from_option" in _one_error_line(by_option.err)


def test_local_session_json_stdout_is_only_the_document(scenario_log: str) -> None:
    outcome = run_script(
        "runs", "--path", scenario_log, "--pipeline", "billing", "--format", "json", *spark_args()
    )
    assert outcome.code == 0, outcome.err
    runs = outcome.json()["runs"]  # the whole of stdout parses: no log line leaked into it
    assert OK_RUN in {r["run_id"] for r in runs}


def test_local_session_anomalies_exit_1_and_webhook(scenario_log: str) -> None:
    with Webhook() as hook:
        outcome = run_script(
            "anomalies",
            "--path",
            scenario_log,
            "--as-of",
            AS_OF.isoformat(),
            "--notify",
            hook.url,
            *spark_args(),
        )
    assert outcome.code == 1, outcome.err
    assert "anomalies as of 2026-03-12 06:00:00Z" in outcome.out
    assert len(hook.bodies) == 1
    assert hook.bodies[0]["sparkforge"]["findings"]


def test_warehouse_catalog_log_written_by_one_process_read_by_another(tmp_path: Path) -> None:
    warehouse = tmp_path / "wh"
    writer_script = textwrap.dedent(
        f"""
        from examples.local_spark import local_delta_session
        from sparkforge.writer import LogWriter, WriterConfig
        from tests.factories import make_report

        spark = local_delta_session("cli-writer", work_dir={str(warehouse)!r}, master="local[1]")
        config = WriterConfig(table_schema="ops", table_name="pipeline_runs")
        LogWriter(spark, config).write_report(make_report(pipeline="demo", run_id="wh-run"))
        spark.stop()
        """
    )
    written = subprocess.run(
        [sys.executable, "-c", writer_script],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
        env=child_env(SPARKFORGE_DELTA_JARS=_jar_dir()),
        cwd=_REPO,
    )
    assert written.returncode == 0, written.stderr[-3000:]
    # This child takes Delta's JARs from SPARKFORGE_DELTA_JARS (the Makefile's offline copy).
    outcome = run_script(
        "steps",
        "wh-run",
        "--warehouse",
        str(warehouse),
        "--table",
        "ops.pipeline_runs",
        "--master",
        "local[1]",
        "--format",
        "json",
        env=child_env(SPARKFORGE_DELTA_JARS=_jar_dir()),
    )
    assert outcome.code == 0, outcome.err
    assert len(outcome.json()["steps"]) == 3
    assert (warehouse / "metastore_db").is_dir()


def _jar_dir() -> str:
    import os

    return os.environ.get("SPARKFORGE_DELTA_JARS", "")


def test_unreachable_spark_connect_is_session_failed_at_once(tmp_path: Path) -> None:
    by_option = run_script("runs", "--path", str(tmp_path), "--remote", "sc://127.0.0.1:1")
    assert by_option.code == 2
    line = _one_error_line(by_option.err)
    assert line.startswith("Error: [SPARK_SESSION_FAILED]")
    assert "sc://127.0.0.1:1" in line
    by_env = run_script("runs", "--path", str(tmp_path), env=child_env(SPARK_REMOTE="sc://x"))
    assert by_env.code == 2
    assert "Spark Connect sc://x" in _one_error_line(by_env.err)
    not_connect = run_script("runs", "--path", str(tmp_path), "--remote", "http://host")
    assert "expected a Spark Connect URL" in _one_error_line(not_connect.err)
