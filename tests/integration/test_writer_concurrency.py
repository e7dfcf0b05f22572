"""Concurrent writers: OS processes and threads, racing to create and fill one log table."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sparkforge.writer import LogWriter, WriterConfig
from tests.factories import make_report
from tests.integration.writer_child import run_id

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = [pytest.mark.delta, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def start_children(
    table_path: str, tmp_path: Path, plan: list[tuple[int, int]], delay: float
) -> list[subprocess.Popen[str]]:
    start_at = time.time() + delay
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.integration.writer_child",
                table_path,
                str(tmp_path / f"child{i}"),
                str(first),
                str(count),
                str(start_at),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, (first, count) in enumerate(plan)
    ]


def test_processes_racing_on_a_new_table_lose_and_duplicate_nothing(
    spark: SparkSession, tmp_path: Path
) -> None:
    table_path = str(tmp_path / "shared_log")
    # Three processes; the third resends the first's runs (a retry from another machine).
    plan = [(0, 4), (4, 4), (0, 4)]
    children = start_children(table_path, tmp_path, plan, delay=25.0)
    outputs = []
    for child in children:
        out, err = child.communicate(timeout=300)
        assert child.returncode == 0, err[-3000:]
        outputs.append(out.split())

    writer = LogWriter(spark, WriterConfig(table_path=table_path))
    logged = writer.read_logs()
    assert logged.count() == 8 * 3
    assert {r["run_id"] for r in logged.select("run_id").collect()} == {run_id(n) for n in range(8)}
    assert writer.validate_data_quality().passed
    outcomes = [word for words in outputs for word in words[::2]]
    print(
        f"processes=3 runs_sent=12 written={outcomes.count('written')} "
        f"skipped={outcomes.count('skipped')} rows_lost=0"
    )
    assert outcomes.count("written") == 8
    assert outcomes.count("skipped") == 4


def test_threads_racing_on_a_new_catalog_table(spark: SparkSession, schema: str) -> None:
    config = WriterConfig(table_schema=schema, table_name="run_log")
    reports = [make_report(2) for _ in range(12)]
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def write(chunk: list[object]) -> None:
        writer = LogWriter(spark, config)  # one writer per thread, one session
        barrier.wait()
        try:
            for report in chunk:
                writer.write_report(report)  # type: ignore[arg-type]
        except BaseException as exc:  # reported below, with the thread's failure
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(reports[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    logged = spark.table(f"{schema}.run_log")
    assert logged.count() == 24
    assert logged.select("run_id").distinct().count() == 12
