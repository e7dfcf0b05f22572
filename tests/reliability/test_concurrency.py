"""Concurrency: writers racing into one log table that does not exist yet lose nothing.

Processes: two children by default, four in the long variants (each its own JVM,
``writer_child race``, each with its own session time zone and process ``TZ``) start their
SparkSessions, say ``ready``, and all begin writing at
one shared instant into a path table none of them has created. Threads: four threads share the
test's SparkSession, each with its own ``LogWriter``, released together by a barrier into a new
catalog table. Either way, every run must be in the log exactly once and whole, the table
history must hold one CREATE and one commit per run, and the data-quality checks must pass.
Every variant but the long ``4x25_distinct`` sends each run from two writers at once (a retry
from another machine racing the original), which Delta's transaction ids must absorb. The
default run keeps the JVMs and commits few (starting a JVM on two cores is most of its time):
two processes (the two most distant time zones), 12 runs, each sent by both; the long variants
start four processes and write the full 4 x 25 runs, and 4 x 50 sends.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import TYPE_CHECKING

import pytest

from sparkforge import table_operations as ops
from sparkforge.writer import LogWriter, WriterConfig
from tests.reliability.support import (
    children,
    delta_rs_rows,
    duplicate_keys,
    expected_rows,
    record_figures,
    spark_rows,
)
from tests.reliability.writer_child import (
    LOGGED_AT,
    SESSION_TZ_ENV,
    fixed_clock,
    numbered_report,
)

if TYPE_CHECKING:
    from pathlib import Path

    from pyspark.sql import SparkSession

    from tests.reliability.support import Row

pytestmark = [pytest.mark.delta, pytest.mark.slow]

WRITERS = 4

#: (session time zone, process TZ) of each child process; two processes take the first two.
CHILD_ZONES = (
    ("Pacific/Chatham", "America/St_Johns"),
    ("Etc/GMT+12", "Asia/Kathmandu"),
    ("UTC", "UTC"),
    ("America/Los_Angeles", "Asia/Tokyo"),
)


def _plan(writers: int, runs_each: int, *, overlap: bool) -> list[list[int]]:
    """Return each writer's runs: its own, or (overlap) those and the next writer's."""
    own = [list(range(w * runs_each, (w + 1) * runs_each)) for w in range(writers)]
    if not overlap:
        return own
    # Interleave, so that a run and its resend are in flight at about the same moment.
    return [
        [n for pair in zip(own[w], own[(w + 1) % writers], strict=True) for n in pair]
        for w in range(writers)
    ]


def _measure(rows: list[Row], runs: int) -> dict[str, int]:
    """Count what the log holds against what was sent (before anything is asserted)."""
    expected = expected_rows([numbered_report(n) for n in range(runs)], logged_at=LOGGED_AT)
    return {
        "rows": len(rows),
        "distinct_runs": len({row["run_id"] for row in rows}),
        "duplicates": duplicate_keys(rows),
        "rows_lost": sum(1 for row in expected if row not in rows),
    }


def _check_log(spark: SparkSession, writer: LogWriter, rows: list[Row], runs: int) -> None:
    """Every run exactly once and whole; one CREATE and one commit per run in the history.

    Besides them, only the writer's own compactions: one ``OPTIMIZE`` for each run's commit
    that landed on a multiple of ``compact_every`` (the long variants reach version 100).
    """
    expected = expected_rows([numbered_report(n) for n in range(runs)], logged_at=LOGGED_AT)
    assert duplicate_keys(rows) == 0
    assert len({row["run_id"] for row in rows}) == runs
    assert rows == expected
    assert writer.read_logs().select("run_id").distinct().count() == runs
    quality = writer.validate_data_quality()
    assert quality.passed, quality.failures
    history = ops.history(spark, writer.table).select("version", "operation").collect()
    operations = Counter(str(r["operation"]) for r in history)
    every = writer.config.compact_every
    owed = sum(
        1 for r in history if r["operation"] == "WRITE" and every and r["version"] % every == 0
    )
    assert operations == Counter({"CREATE TABLE": 1, "WRITE": runs, "OPTIMIZE": owed}), operations


def _processes(
    spark: SparkSession, tmp_path: Path, *, writers: int, runs_each: int, overlap: bool
) -> None:
    table_path = str(tmp_path / "shared_log")
    go = tmp_path / "go"
    plan = _plan(writers, runs_each, overlap=overlap)
    runs = writers * runs_each
    started = time.monotonic()
    with children() as start:
        racers = [
            start(
                "race",
                table_path,
                str(tmp_path / f"child_{w}"),
                ",".join(map(str, numbers)),
                str(go),
                work_dir=tmp_path / f"child_{w}",
                env={SESSION_TZ_ENV: CHILD_ZONES[w][0], "TZ": CHILD_ZONES[w][1]},
            )
            for w, numbers in enumerate(plan)
        ]
        for racer in racers:
            assert racer.wait_for(lambda line: line == "ready", timeout=300) == "ready", (
                racer.stderr()
            )
        ready = time.monotonic() - started
        assert not ops.table_exists(spark, ops.TableRef.at_path(table_path))
        go.write_text(str(time.time() + 1.0))
        outcomes = Counter[str]()
        for racer in racers:
            for line in racer.finish(timeout=900):
                outcomes[line.split()[0]] += 1
    writer = LogWriter(spark, WriterConfig(table_path=table_path), clock=fixed_clock)
    rows = spark_rows(writer.read_logs())
    sent = sum(len(numbers) for numbers in plan)
    record_figures(
        "concurrency.processes",
        processes=writers,
        session_zones=len({zone for zone, _ in CHILD_ZONES[:writers]}),
        process_zones=len({zone for _, zone in CHILD_ZONES[:writers]}),
        runs=runs,
        runs_sent=sent,
        written=outcomes["written"],
        skipped_as_duplicate=outcomes["skipped"],
        **_measure(rows, runs),
        seconds_until_all_ready=round(ready),
        seconds=round(time.monotonic() - started),
    )
    _check_log(spark, writer, rows, runs)
    assert delta_rs_rows(table_path) == rows
    assert outcomes["written"] == runs
    assert outcomes["skipped"] == sent - runs


@pytest.mark.parametrize(
    ("writers", "runs_each", "overlap"),
    [
        pytest.param(2, 6, True, id="2x12_each_run_twice"),
        pytest.param(WRITERS, 25, False, id="4x25_distinct", marks=pytest.mark.long),
        pytest.param(WRITERS, 25, True, id="4x50_each_run_twice", marks=pytest.mark.long),
    ],
)
def test_concurrency_processes_racing_into_a_new_table_lose_and_duplicate_nothing(
    spark: SparkSession, tmp_path: Path, writers: int, runs_each: int, overlap: bool
) -> None:
    _processes(spark, tmp_path, writers=writers, runs_each=runs_each, overlap=overlap)


def _threads(spark: SparkSession, schema: str, *, runs_each: int, overlap: bool) -> None:
    config = WriterConfig(table_schema=schema, table_name="run_log")
    plan = _plan(WRITERS, runs_each, overlap=overlap)
    runs = WRITERS * runs_each
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []
    outcomes = Counter[str]()
    lock = threading.Lock()
    started = time.monotonic()

    def write(numbers: list[int]) -> None:
        try:
            writer = LogWriter(spark, config, clock=fixed_clock)  # one writer per thread
            barrier.wait(timeout=60)
            for number in numbers:
                result = writer.write_report(numbered_report(number))
                with lock:
                    outcomes["skipped" if result.skipped else "written"] += 1
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    assert not spark.catalog.tableExists(f"{schema}.run_log")
    threads = [threading.Thread(target=write, args=(numbers,)) for numbers in plan]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=900)
    assert not any(thread.is_alive() for thread in threads)
    if errors:
        raise errors[0]
    writer = LogWriter(spark, config, clock=fixed_clock)
    rows = spark_rows(writer.read_logs())
    sent = sum(len(numbers) for numbers in plan)
    record_figures(
        "concurrency.threads",
        threads=WRITERS,
        runs=runs,
        runs_sent=sent,
        written=outcomes["written"],
        skipped_as_duplicate=outcomes["skipped"],
        **_measure(rows, runs),
        seconds=round(time.monotonic() - started),
    )
    _check_log(spark, writer, rows, runs)
    assert outcomes["written"] == runs
    assert outcomes["skipped"] == sent - runs


@pytest.mark.parametrize(
    ("runs_each", "overlap"),
    [
        pytest.param(5, False, id="4x5_distinct"),
        pytest.param(25, False, id="4x25_distinct", marks=pytest.mark.long),
        pytest.param(25, True, id="4x50_each_run_twice", marks=pytest.mark.long),
    ],
)
def test_concurrency_threads_sharing_a_session_lose_and_duplicate_nothing(
    spark: SparkSession, schema: str, runs_each: int, overlap: bool
) -> None:
    _threads(spark, schema, runs_each=runs_each, overlap=overlap)
