"""Crashes: a writer process SIGKILLed before, during and after its commits loses nothing.

A child process (``writer_child crash``) writes numbered runs one ``write_report`` each and
announces every write before (``about-to-write N``) and after (``written N V``) it. The test
kills the child's process group (its JVM included) at chosen moments: a random delay after
start, a random delay into its first write (which creates the table when it is new), right
after an ``about-to-write`` marker plus a random fraction of a commit, or right after a commit
returned. After every kill the table must be readable by Spark and by delta-rs, every run in
it must be whole, no run may appear twice, and every run a child saw committed must be there.
The next child resumes from the first run it cannot know was committed (as a restarted job
would), so a run committed by a writer that died before returning is resent, and must be
recognised. At the end the parent resends every run: the log is then complete, exactly once.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass, field
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
    rows_per_run,
    spark_rows,
)
from tests.reliability.writer_child import (
    LOGGED_AT,
    SESSION_TZ_ENV,
    fixed_clock,
    numbered_report,
    run_id,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from pyspark.sql import SparkSession

    from tests.reliability.support import Child, Row

pytestmark = [pytest.mark.delta, pytest.mark.slow]

#: How the kill of each child is timed: in this order on each table (the first creates it).
KILL_KINDS = ("first_write", "in_flight", "after_commit", "random_delay")

#: Runs a child is given: more than it can write before any planned kill.
RUNS_PER_CHILD = 60

#: Seconds to wait for a child's marker before calling it stuck (Spark starts in 10-30 s).
MARKER_TIMEOUT = 240.0

#: (session time zone, process TZ) of the children in turn: the rows must not depend on them.
CHILD_ZONES = (
    ("America/Los_Angeles", "Asia/Kolkata"),
    ("Pacific/Chatham", "America/St_Johns"),
    ("UTC", "Australia/Lord_Howe"),
    ("Asia/Kathmandu", "UTC"),
)


@dataclass
class TableState:
    """What the test knows about one log table across the children that wrote to it."""

    path: str
    next_run: int = 0
    announced: set[int] = field(default_factory=set)
    confirmed: set[int] = field(default_factory=set)


@dataclass
class Figures:
    """What the crash test tried and saw."""

    kills: int = 0
    landings: Counter[str] = field(default_factory=Counter)
    recognised_on_resend: int = 0
    checks: int = 0


def _kill_at(child: Child, kind: str, rng: random.Random) -> None:
    """Wait for the moment ``kind`` asks for (with a random part), then kill the child."""

    def marker(prefix: str, nth: int) -> Callable[[str], bool]:
        seen = [0]

        def accept(line: str) -> bool:
            if line.startswith(prefix):
                seen[0] += 1
            return seen[0] >= nth

        return accept

    if kind == "first_write":
        # The first write of a fresh JVM takes several seconds: creating the table (when it
        # is new), planning, writing the file, committing, reading the commit back.
        child.wait_for(marker("about-to-write", 1), timeout=MARKER_TIMEOUT)
        time.sleep(rng.uniform(0.0, 7.0))
    elif kind == "in_flight":
        # Time one whole write of this child, then kill the next one somewhere between its
        # start and a little past its usual end: before, during or just after the commit.
        child.wait_for(marker("about-to-write", 1), timeout=MARKER_TIMEOUT)
        child.wait_for(lambda line: not line.startswith("about"), timeout=MARKER_TIMEOUT)
        child.wait_for(marker("about-to-write", 1), timeout=MARKER_TIMEOUT)
        began = time.monotonic()
        child.wait_for(lambda line: not line.startswith("about"), timeout=MARKER_TIMEOUT)
        one_write = time.monotonic() - began
        child.wait_for(marker("about-to-write", 1), timeout=MARKER_TIMEOUT)
        time.sleep(rng.uniform(0.0, 1.1) * one_write)
    elif kind == "after_commit":
        child.wait_for(marker("written", rng.choice((1, 2))), timeout=MARKER_TIMEOUT)
    else:
        time.sleep(max(0.0, rng.uniform(2.0, 18.0) - (time.monotonic() - child.started)))
    exited = child.process.poll() is not None
    child.kill()
    # A child that ended by itself failed (it has runs left to write): that is a finding.
    assert not exited, f"the writer child exited before it was killed:\n{child.stderr()}"


def _landing(
    lines: list[str], *, existed_before: bool, exists_after: bool, in_table: set[int]
) -> tuple[str, int | None]:
    """Say where the kill landed, from the child's last marker and the table's state."""
    markers = [line.split() for line in lines if line != "ready"]
    if not markers:
        return "before_first_write", None
    word = markers[-1][0]
    if word != "about-to-write":
        return "between_writes", None
    number = int(markers[-1][1])
    if number in in_table:
        landing = "in_flight_committed"
    elif existed_before:
        landing = "in_flight_not_committed"
    elif exists_after:
        landing = "in_flight_table_created_run_not_committed"
    else:
        landing = "in_flight_before_table_created"
    return landing, number


def _check_table(spark: SparkSession, state: TableState) -> set[int]:
    """Check the table after a kill; return the runs it holds."""
    table = ops.TableRef.at_path(state.path)
    if not ops.table_exists(spark, table):
        assert not state.confirmed, "runs a child saw committed are gone with the table"
        return set()
    rows = spark_rows(spark.read.format("delta").load(state.path))
    by_number = {run_id(n): n for n in state.announced}
    counts = rows_per_run(rows)
    present = set()
    for rid, count in counts.items():
        assert rid in by_number, f"run {rid} was never sent"
        number = by_number[rid]
        whole = expected_rows([numbered_report(number)], logged_at=LOGGED_AT)
        assert count == len(whole), f"run {number} is partly written: {count}/{len(whole)}"
        assert [r for r in rows if r["run_id"] == rid] == whole
        present.add(number)
    assert duplicate_keys(rows) == 0
    lost = state.confirmed - present
    assert not lost, f"runs confirmed by a child are missing: {sorted(lost)}"
    # Nothing in the table needs Spark: the other engine sees the same rows.
    assert delta_rs_rows(state.path) == rows
    return present


def _crash_campaign(
    spark: SparkSession, tmp_path: Path, *, kills: int, kills_per_table: int, seed: int
) -> None:
    rng = random.Random(seed)
    figures = Figures()
    tables: list[TableState] = []
    started = time.monotonic()
    with children() as start:
        for k in range(kills):
            if k % kills_per_table == 0:
                tables.append(TableState(path=str(tmp_path / f"log_{len(tables)}")))
            state = tables[-1]
            # A fresh table is first hit in its first write; then the other kinds take turns
            # (each table meets every kind once its kills_per_table reach len(KILL_KINDS)).
            kind = KILL_KINDS[k % kills_per_table % len(KILL_KINDS)]
            table_existed = ops.table_exists(spark, ops.TableRef.at_path(state.path))
            first = state.next_run
            session_zone, process_zone = CHILD_ZONES[k % len(CHILD_ZONES)]
            child = start(
                "crash",
                state.path,
                str(tmp_path / f"child_{k}"),
                str(first),
                str(first + RUNS_PER_CHILD),
                work_dir=tmp_path / f"child_{k}",
                env={SESSION_TZ_ENV: session_zone, "TZ": process_zone},
            )
            _kill_at(child, kind, rng)
            lines = child.drain()
            figures.kills += 1
            for line in lines:
                word, *rest = line.split()
                if word == "about-to-write":
                    state.announced.add(int(rest[0]))
                elif word in ("written", "skipped"):
                    state.confirmed.add(int(rest[0]))
                    if word == "skipped" and int(rest[0]) == first:
                        figures.recognised_on_resend += 1
            present = _check_table(spark, state)
            figures.checks += 1
            landing, in_flight = _landing(
                lines,
                existed_before=table_existed,
                exists_after=ops.table_exists(spark, ops.TableRef.at_path(state.path)),
                in_table=present,
            )
            figures.landings[f"{kind}/{landing}"] += 1
            # Resume as a restarted job would: from the first run not known to be committed.
            state.next_run = in_flight if in_flight is not None else max(state.confirmed | {-1}) + 1

    resent = Counter[str]()
    measured = Counter[str]()
    checks: list[tuple[LogWriter, list[int], list[Row], list[Row]]] = []
    for state in tables:
        writer = LogWriter(spark, WriterConfig(table_path=state.path), clock=fixed_clock)
        numbers = sorted(state.announced)
        for number in numbers:
            result = writer.write_report(numbered_report(number))
            resent["skipped" if result.skipped else "written"] += 1
        # A second resend adds nothing.
        resent["skipped_again"] += sum(
            writer.write_report(numbered_report(n)).skipped for n in numbers
        )
        rows = spark_rows(writer.read_logs())
        expected = expected_rows([numbered_report(n) for n in numbers], logged_at=LOGGED_AT)
        measured["rows"] += len(rows)
        measured["rows_lost"] += sum(1 for row in expected if row not in rows)
        measured["duplicates"] += duplicate_keys(rows)
        checks.append((writer, numbers, rows, expected))

    record_figures(
        "crashes",
        kills=figures.kills,
        tables=len(tables),
        landings=dict(sorted(figures.landings.items())),
        runs_sent=sum(len(s.announced) for s in tables),
        runs_confirmed_by_children=sum(len(s.confirmed) for s in tables),
        committed_then_recognised_on_resend=figures.recognised_on_resend,
        table_checks_after_kills=figures.checks,
        parent_resend_written=resent["written"],
        parent_resend_skipped=resent["skipped"],
        **measured,
        seconds=round(time.monotonic() - started),
    )
    assert figures.kills == kills
    for writer, numbers, rows, expected in checks:
        assert rows == expected
        assert writer.read_logs().select("run_id").distinct().count() == len(numbers)
        assert writer.validate_data_quality().passed
        assert delta_rs_rows(str(writer.table.path)) == rows
        # One commit per run, and the one that created the table: nothing was written twice.
        operations = Counter(
            r["operation"] for r in ops.history(spark, writer.table).select("operation").collect()
        )
        assert operations == Counter({"CREATE TABLE": 1, "WRITE": len(numbers)})
    assert resent["skipped_again"] == resent["written"] + resent["skipped"]


@pytest.mark.parametrize(
    ("kills", "kills_per_table"),
    [
        pytest.param(4, 4, id="4_kills"),
        pytest.param(32, 4, id="32_kills", marks=pytest.mark.long),
    ],
)
def test_crash_sigkilled_writers_leave_whole_runs_and_resend_completes(
    spark: SparkSession, tmp_path: Path, kills: int, kills_per_table: int
) -> None:
    _crash_campaign(spark, tmp_path, kills=kills, kills_per_table=kills_per_table, seed=kills)
