"""Time zones: the same report logged under any session time zone stores the same instants.

The report (see ``writer_child.time_zone_report``) starts at 23:30 UTC, carries its instants in
zones with odd offsets, one inside the repeated hour of a DST fall-back and one inside a
spring-forward gap. It is logged twice under each of several ``spark.sql.session.timeZone``
values of the test session and (long variant) once from a child process whose session time
zone and whose ``TZ`` (the Python process's and the JVM's default zone) both differ from the
test's. Every stored instant is compared as epoch microseconds (Spark's ``unix_micros`` and
delta-rs), and the date filters of ``read_logs`` must find the same runs under every session
time zone. In the default run, other processes are covered by the concurrency test: its four
children each have their own session and process time zone and log this report among others,
and every row they wrote is compared exactly with what Python computes.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from sparkforge.writer import LogWriter, WriterConfig
from tests.reliability.support import (
    TIMESTAMP_COLUMNS,
    children,
    delta_rs_rows,
    expected_rows,
    record_figures,
    spark_rows,
)
from tests.reliability.writer_child import LOGGED_AT, fixed_clock, time_zone_report

if TYPE_CHECKING:
    from pathlib import Path

    from pyspark.sql import SparkSession

pytestmark = [pytest.mark.delta, pytest.mark.slow]

#: Session time zones of the test session: a DST zone, +12:45/+13:45, and -12 h (besides the
#: fixture's own Asia/Kolkata, +05:30, under which the other tests write).
SESSION_ZONES = ("America/Los_Angeles", "Pacific/Chatham", "Etc/GMT+12")

#: The child's session time zone, and its process time zone (Python's and the JVM's default).
CHILD_SESSION_ZONE = "Pacific/Kiritimati"
CHILD_PROCESS_ZONE = "America/St_Johns"

_SESSION_TZ = "spark.sql.session.timeZone"


def _without_run_id(row: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in row.items() if k != "run_id"}


@pytest.mark.parametrize(
    "child_process",
    [
        pytest.param(False, id="session_zones"),
        pytest.param(True, id="session_zones_and_a_child", marks=pytest.mark.long),
    ],
)
def test_time_zones_same_report_same_instants(
    spark: SparkSession, tmp_path: Path, child_process: bool
) -> None:
    started = time.monotonic()
    path = str(tmp_path / "log")
    writer = LogWriter(spark, WriterConfig(table_path=path), clock=fixed_clock)
    original = str(spark.conf.get(_SESSION_TZ))
    run_ids = []
    try:
        for zone in SESSION_ZONES:
            spark.conf.set(_SESSION_TZ, zone)
            for copy in (1, 2):
                run_ids.append(f"tz-{zone}-{copy}")
                writer.write_report(time_zone_report(run_ids[-1]))
    finally:
        spark.conf.set(_SESSION_TZ, original)
    assert spark.conf.get(_SESSION_TZ) == original

    if child_process:
        with children() as start:
            child = start(
                "timezone",
                path,
                str(tmp_path / "child"),
                CHILD_SESSION_ZONE,
                "tz-child",
                work_dir=tmp_path / "child",
                env={"TZ": CHILD_PROCESS_ZONE},
            )
            (line,) = child.finish(timeout=600)
        assert line.split()[-1] == CHILD_SESSION_ZONE
        run_ids.append("tz-child")

    rows = spark_rows(writer.read_logs())
    assert rows == expected_rows([time_zone_report(r) for r in run_ids], logged_at=LOGGED_AT)
    assert delta_rs_rows(path) == rows
    by_run: dict[str, list[dict[str, object]]] = {}
    for row in rows:
        by_run.setdefault(str(row["run_id"]), []).append(_without_run_id(row))
    assert len(by_run) == len(run_ids)
    first, *others = by_run.values()
    assert all(other == first for other in others)
    # For each stored instant, the values the runs hold for it: one each.
    spread = max(
        len({run[index][column] for run in by_run.values()})
        for index in range(len(first))
        for column in TIMESTAMP_COLUMNS
    )

    # The instant filters find the same runs whatever the session time zone.
    report = time_zone_report("probe")
    found = {}
    try:
        for zone in (*SESSION_ZONES, CHILD_SESSION_ZONE):
            spark.conf.set(_SESSION_TZ, zone)
            window = writer.read_logs(
                since=report.started_at, until=report.started_at + timedelta(microseconds=1)
            )
            found[zone] = window.select("run_id").distinct().count()
            assert writer.read_logs(until=report.started_at).count() == 0
    finally:
        spark.conf.set(_SESSION_TZ, original)
    assert set(found.values()) == {len(run_ids)}
    assert spread == 1

    record_figures(
        "time_zones",
        session_zones=len(SESSION_ZONES) + child_process,
        process_zones=1 + child_process,
        runs=len(run_ids),
        rows=len(rows),
        values_per_instant=spread,
        seconds=round(time.monotonic() - started),
    )
