"""Concurrent writers: threads racing to create and fill one log table.

Processes racing (each its own JVM, a run sent twice) are tests/reliability/test_concurrency.py.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import pytest

from sparkforge.writer import LogWriter, WriterConfig
from tests.factories import make_report

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

pytestmark = [pytest.mark.delta, pytest.mark.slow]


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
