"""The command line's fixtures: logs written through LogWriter, and ways to run the CLI.

``invoke`` runs a command in this process on the session-wide ``spark`` (``main(..., spark=)``,
no JVM start); ``run_script`` runs the real console script ``sparkforge`` in a subprocess,
which builds its own local session (a JVM each: those tests are few and batched).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from sparkforge.cli import main
from sparkforge.writer import LogWriter, WriterConfig
from sparkforge.writer.models import LOG_SCHEMA
from tests.analytics_logs import scenario
from tests.factories import BASE_TIME, make_failed_before_steps, make_report

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sparkforge.models import PipelineReport

#: The console script installed next to this Python.
SCRIPT = Path(sys.executable).with_name("sparkforge")

#: Runs written through LogWriter into the shared log, beside the scenario's.
OK_RUN = "cli-run-ok"
FAILED_RUN = "cli-run-failed"


@dataclass(frozen=True)
class Outcome:
    """What one command did: its exit code, stdout and stderr."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """Return the stdout as the one JSON document it must be."""
        return json.loads(self.out)

    @property
    def err_lines(self) -> list[str]:
        """The stderr lines that are not the JVM's own start-up chatter."""
        return [line for line in self.err.splitlines() if line.startswith("Error: ")]


def invoke(spark: SparkSession, capsys: pytest.CaptureFixture[str], *args: str) -> Outcome:
    """Run ``sparkforge ARGS`` in this process on ``spark``."""
    capsys.readouterr()
    code = main(list(args), spark=spark)
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def spark_args() -> list[str]:
    """Return the options giving a subprocess's session Delta's JARs without a download."""
    args = ["--master", "local[1]", "--conf", "spark.sql.shuffle.partitions=1"]
    jar_dir = os.environ.get("SPARKFORGE_DELTA_JARS", "")
    jars = sorted(str(p) for p in Path(jar_dir).glob("*.jar")) if jar_dir else []
    if jars:
        args += ["--conf", "spark.jars=" + ",".join(jars)]
    return args


def child_env(**extra: str) -> dict[str, str]:
    """Return a subprocess's environment: none of the CLI's own variables unless given."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("SPARKFORGE_TABLE", "SPARKFORGE_PATH", "SPARK_REMOTE", "SPARKFORGE_DELTA_JARS")
    }
    env.update(extra)
    return env


def run_script(*args: str, env: dict[str, str] | None = None, cwd: str | None = None) -> Outcome:
    """Run the real console script with ``args``; wait for it (a JVM start under load)."""
    done = subprocess.run(
        [str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env=env if env is not None else child_env(),
        cwd=cwd,
        timeout=900,
        check=False,
    )
    return Outcome(done.returncode, done.stdout, done.stderr)


def billing_runs() -> list[PipelineReport]:
    """Return ``billing``'s two runs: OK_RUN, then FAILED_RUN an hour later (step 1 failed)."""
    return [
        make_report(pipeline="billing", run_id=OK_RUN),
        make_report(
            pipeline="billing",
            run_id=FAILED_RUN,
            start=BASE_TIME + timedelta(hours=1),
            failed_step=1,
        ),
    ]


@pytest.fixture(scope="session")
def scenario_log(spark: SparkSession, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Return a path log: ``billing`` runs written by LogWriter, then the scenario's rows."""
    path = str(tmp_path_factory.mktemp("cli_log") / "run_log")
    writer = LogWriter(spark, WriterConfig(table_path=path))
    writer.write_reports([*billing_runs(), make_failed_before_steps(pipeline="billing")])
    rows = scenario()
    spark.createDataFrame(rows, LOG_SCHEMA).write.format("delta").mode("append").save(path)
    return path


@pytest.fixture
def small_log(spark: SparkSession, tmp_path: Path) -> str:
    """Return a fresh path log of three runs, one commit each, for commands that change it."""
    path = str(tmp_path / "small_log")
    writer = LogWriter(spark, WriterConfig(table_path=path))
    for day in range(3):
        writer.write_report(
            make_report(pipeline="orders", start=BASE_TIME - timedelta(days=100 * day))
        )
    return path
