"""A separate process that writes runs to a log table, for the crash, race and time-zone tests.

Usage::

    python -m tests.reliability.writer_child crash TABLE_PATH WORK_DIR FIRST LAST
    python -m tests.reliability.writer_child race TABLE_PATH WORK_DIR RUNS GO_FILE
    python -m tests.reliability.writer_child timezone TABLE_PATH WORK_DIR SESSION_TZ RUN_ID

``crash`` writes runs FIRST .. LAST-1 one ``write_report`` each, printing ``about-to-write N``
before and ``written N V`` / ``skipped N`` after each, so that the parent can kill it at chosen
moments. ``race`` prints ``ready`` once its session is up, waits for GO_FILE to name a start
instant (epoch seconds), sleeps until then and writes the runs listed in RUNS (``0,1,2``).
``timezone`` writes :func:`time_zone_report` with RUN_ID from a session whose
``spark.sql.session.timeZone`` is SESSION_TZ. ``crash`` and ``race`` take their session time
zone from the environment variable named by :data:`SESSION_TZ_ENV`, when set; the process's own
``TZ`` (Python's and the JVM's default zone) is the parent's choice too. Every line is flushed
at once: the parent reads them while the child runs.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from examples.local_spark import local_delta_session
from sparkforge.writer import LogWriter, WriterConfig
from tests.factories import BASE_TIME, make_failed_before_steps, make_report

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sparkforge.models import PipelineReport, StepResult

#: Namespace of the deterministic run ids the children write.
RUN_NAMESPACE = uuid.UUID("0b8e3f6c-2d5a-4e71-9c3b-5f4a6d7e8f90")

#: Environment variable giving the session time zone of ``crash`` and ``race`` children.
SESSION_TZ_ENV = "SPARKFORGE_TEST_SESSION_TZ"

#: The ``logged_at`` of every row the children and their parent write, so rows compare exactly.
LOGGED_AT = datetime(2026, 3, 2, 1, 2, 3, 456789, tzinfo=timezone.utc)


def fixed_clock() -> datetime:
    """Return :data:`LOGGED_AT` (the writer's clock in these tests)."""
    return LOGGED_AT


def run_id(number: int) -> str:
    """Return the run id of run ``number``."""
    return str(uuid.uuid5(RUN_NAMESPACE, f"run-{number}"))


def numbered_report(number: int) -> PipelineReport:
    """Return run ``number``: 1-4 steps, every seventh run failing, every eleventh before steps.

    Runs differ in size so that a partly written run would show as a wrong row count; every
    fifth is :func:`time_zone_report` (instants where time zones disagree).
    """
    if number % 5 == 2:
        return time_zone_report(run_id(number))
    start = BASE_TIME + timedelta(minutes=number)
    if number % 11 == 10:
        report = make_failed_before_steps(pipeline="crash_log")
        return replace(report, run_id=run_id(number), started_at=start, ended_at=start)
    steps = 1 + number % 4
    failed = steps - 1 if number % 7 == 6 else None
    return make_report(
        steps, pipeline="crash_log", run_id=run_id(number), start=start, failed_step=failed
    )


def time_zone_report(rid: str) -> PipelineReport:
    """Return a report whose instants sit where time zones disagree.

    The run starts at 23:30 UTC (the next day in Asia/Kolkata, the previous wall date nowhere),
    its steps carry their instants in zones with odd offsets, one of them in the repeated hour
    of a DST fall-back (``fold=1``), and the watermark is a New York wall time that never
    happened (inside the spring-forward gap; Python and Spark both read it with the offset
    before the gap).
    """
    start = datetime(2025, 11, 1, 23, 30, 0, 123456, tzinfo=timezone.utc)
    base = make_report(3, pipeline="tz_log", run_id=rid, start=start)
    new_york = ZoneInfo("America/New_York")
    # 2025-11-02 01:30 happens twice in New York; fold=1 is the second (06:30 UTC).
    fall_back = datetime(2025, 11, 2, 1, 30, 0, 654321, tzinfo=new_york, fold=1)
    zones = (
        ZoneInfo("Pacific/Chatham"),
        timezone(timedelta(hours=-9, minutes=-30)),
        ZoneInfo("Asia/Kathmandu"),
    )
    steps: list[StepResult] = []
    for index, step in enumerate(base.steps):
        assert step.started_at is not None
        assert step.ended_at is not None
        steps.append(
            replace(
                step,
                started_at=step.started_at.astimezone(zones[index]),
                ended_at=(fall_back if index == 2 else step.ended_at).astimezone(zones[index]),
                previous_watermark=datetime(2025, 3, 9, 2, 30, tzinfo=new_york),
            )
        )
    # From the UTC instant: arithmetic on the wall time would drop fold=1 (an hour earlier).
    ended = fall_back.astimezone(timezone.utc) + timedelta(minutes=5)
    return replace(
        base,
        started_at=start.astimezone(ZoneInfo("Asia/Kolkata")),
        ended_at=ended.astimezone(ZoneInfo("America/Los_Angeles")),
        steps=tuple(steps),
        error=None,
        context=replace(base.context, ended_at=ended) if base.context is not None else None,
    )


def _session(app_name: str, work_dir: str, session_tz: str | None = None) -> SparkSession:
    zone = session_tz or os.environ.get(SESSION_TZ_ENV)
    return local_delta_session(
        app_name,
        work_dir=work_dir,
        master="local[1]",
        extra_conf={"spark.sql.session.timeZone": zone} if zone else None,
    )


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _crash(table_path: str, work_dir: str, first: str, last: str) -> int:
    spark = _session("sparkforge-crash-child", work_dir)
    writer = LogWriter(spark, WriterConfig(table_path=table_path), clock=fixed_clock)
    _say("ready")
    for number in range(int(first), int(last)):
        _say(f"about-to-write {number}")
        result = writer.write_report(numbered_report(number))
        if result.skipped:
            _say(f"skipped {number}")
        else:
            _say(f"written {number} {result.table_version}")
    _say("done")
    spark.stop()
    return 0


def _race(table_path: str, work_dir: str, runs: str, go_file: str) -> int:
    spark = _session("sparkforge-race-child", work_dir)
    writer = LogWriter(spark, WriterConfig(table_path=table_path), clock=fixed_clock)
    _say("ready")
    go = Path(go_file)
    while not go.exists() or not go.read_text().strip():
        time.sleep(0.02)
    start_at = float(go.read_text())
    while time.time() < start_at:
        time.sleep(0.005)
    for number in (int(n) for n in runs.split(",")):
        result = writer.write_report(numbered_report(number))
        _say(f"{'skipped' if result.skipped else 'written'} {number}")
    _say("done")
    spark.stop()
    return 0


def _time_zone(table_path: str, work_dir: str, session_tz: str, rid: str) -> int:
    spark = _session("sparkforge-tz-child", work_dir, session_tz)
    writer = LogWriter(spark, WriterConfig(table_path=table_path), clock=fixed_clock)
    result = writer.write_report(time_zone_report(rid))
    _say(f"written {rid} {result.table_version} {spark.conf.get('spark.sql.session.timeZone')}")
    spark.stop()
    return 0


def main(argv: list[str]) -> int:
    """Run the sub-command named by ``argv[0]`` with the rest as its arguments."""
    command, *args = argv
    if command == "crash":
        return _crash(*args)
    if command == "race":
        return _race(*args)
    if command == "timezone":
        return _time_zone(*args)
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
