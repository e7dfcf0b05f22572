"""Helpers of the reliability suite: figures, exact read-back (Spark and delta-rs), children.

Rows are compared as plain dicts whose instants are microseconds since the Unix epoch: what
both engines store, independent of any time zone. Spark's own ``unix_micros`` gives them on the
Spark side; on the delta-rs side they come from the UTC-aware datetimes pyarrow returns.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn, cast

from pyspark.sql import functions as F
from pyspark.sql import types as T

from sparkforge.writer import LOG_SCHEMA, rows_from_report
from sparkforge.writer.models import LOG_COLUMNS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.models import ExecutionContext, PipelineReport

#: Environment variable naming a file that collects each test's figures as JSON lines.
REPORT_ENV = "SPARKFORGE_RELIABILITY_REPORT"

#: The repository root (children run with it as working directory and on PYTHONPATH).
ROOT = Path(__file__).resolve().parents[2]

TIMESTAMP_COLUMNS: tuple[str, ...] = tuple(
    f.name for f in LOG_SCHEMA.fields if isinstance(f.dataType, T.TimestampType)
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

Row = dict[str, object]

#: Strings that break naive SQL, paths, JSON, terminals or Unicode handling. None is empty or
#: blank and none holds a lone surrogate, so each is a valid pipeline or step name.
HOSTILE_STRINGS: tuple[str, ...] = (
    "'; DROP TABLE x; --",
    "x'); DELETE FROM logs WHERE ('1'='1",
    '"quoted" name',
    "back`tick`s",
    "`; DROP DATABASE default; --`",
    "semi;colon;",
    "with spaces  and\ttabs",
    "SELECT",
    "drop",
    "null",
    "NULL",
    "ünïcödé naïve café",
    "日本語のパイプライン",
    "emoji 🚀🔥💾 and 👩\u200d💻 (ZWJ)",
    "שלום עולם",
    "\u202eRTL override\u202c",
    "مرحبا بالعالم",
    "a.b.c",
    "a/b\\c",
    "../../etc/passwd",
    "%s %d {} {0} ${jndi:ldap://x/a}",
    "line\nbreak\rreturn",
    "nul\x00char",
    "\u2028line separator\u2029",
    "e\u0301 combining vs \u00e9",
    "x=y/z=w",
    "*?[]^{}",
    "\ufeffBOM",
    "L" * 10_000,
    "🚀" * 2_500,
)


# ------------------------------------------------------------------ figures


def record_figures(item: str, **figures: object) -> None:
    """Print one summary line of a test's figures, and append it as JSON to the report file.

    The line reads ``reliability.<item> key=value ...`` (pytest shows it with ``-s``, and in
    the captured output of a failure). When ``SPARKFORGE_RELIABILITY_REPORT`` names a file,
    ``{"item": item, **figures}`` is appended to it as one JSON line.
    """
    print(f"reliability.{item} " + " ".join(f"{key}={value}" for key, value in figures.items()))
    target = os.environ.get(REPORT_ENV)
    if target:
        line = json.dumps({"item": item, **figures}, default=str, ensure_ascii=False)
        with Path(target).open("a", encoding="utf-8") as sink:
            sink.write(line + "\n")


# ------------------------------------------------------------------ a session that must not be used


class SparkTouchedError(BaseException):
    """Raised on any use of :class:`NoSparkSession`.

    A ``BaseException``, so no ``except Exception`` in the code under test can swallow it.
    """


class NoSparkSession:
    """A stand-in for a SparkSession that raises :class:`SparkTouchedError` on any use."""

    def __getattr__(self, name: str) -> NoReturn:
        raise SparkTouchedError(f"spark.{name}")


def no_spark() -> SparkSession:
    """Return a session stand-in: a call that uses it proves Spark would have been touched."""
    return cast("SparkSession", NoSparkSession())


# ------------------------------------------------------------------ reading rows back exactly


def micros(moment: datetime) -> int:
    """Return an aware instant as microseconds since the Unix epoch."""
    return (moment - _EPOCH) // datetime.resolution


def row_key(row: Mapping[str, object]) -> tuple[str, str, int]:
    """Order rows by run, kind (run rows after step rows) and step position."""
    index = row["step_index"]
    return (str(row["run_id"]), str(row["row_kind"]), -1 if index is None else cast("int", index))


def expected_rows(
    reports: Iterable[PipelineReport | tuple[PipelineReport, ExecutionContext | None]],
    *,
    logged_at: datetime,
    extra_tags: Mapping[str, str] | None = None,
) -> list[Row]:
    """Return the rows the writer must store for ``reports``, in :func:`row_key` order."""
    rows: list[Row] = []
    for item in reports:
        report, context = item if isinstance(item, tuple) else (item, None)
        for log_row in rows_from_report(
            report, context, logged_at=logged_at, extra_tags=extra_tags
        ):
            row: Row = dict(log_row)
            for name in TIMESTAMP_COLUMNS:
                value = row[name]
                row[name] = micros(value) if isinstance(value, datetime) else value
            row["rule_results"] = [dict(rule) for rule in log_row["rule_results"]]
            row["tags"] = dict(log_row["tags"])
            rows.append(row)
    return sorted(rows, key=row_key)


def spark_rows(log_df: DataFrame) -> list[Row]:
    """Collect log rows with instants as epoch microseconds (Spark's own conversion)."""
    selected = log_df.select(
        *[
            F.unix_micros(F.col(name)).alias(name) if name in TIMESTAMP_COLUMNS else F.col(name)
            for name in LOG_COLUMNS
        ]
    )
    rows = []
    for spark_row in selected.collect():
        row: Row = spark_row.asDict(recursive=True)
        row["rule_results"] = list(cast("list[Row]", row["rule_results"]))
        row["tags"] = dict(cast("dict[str, str]", row["tags"]))
        rows.append(row)
    return sorted(rows, key=row_key)


def delta_rs_table(path: str) -> pa.Table:
    """Read the Delta table at ``path`` with delta-rs (no JVM involved)."""
    from deltalake import DeltaTable

    return DeltaTable(path).to_pyarrow_table()


def arrow_rows(table: pa.Table) -> list[Row]:
    """Return the log rows of an Arrow table, normalised as :func:`spark_rows` normalises."""
    rows = []
    for record in table.select(list(LOG_COLUMNS)).to_pylist():
        row: Row = dict(record)
        for name in TIMESTAMP_COLUMNS:
            value = row[name]
            if isinstance(value, datetime):
                assert value.utcoffset() is not None, f"{name} came back without a time zone"
                row[name] = micros(value)
        row["rule_results"] = [dict(rule) for rule in cast("list[Row]", row["rule_results"])]
        # pyarrow gives a MAP as a list of (key, value) pairs.
        row["tags"] = dict(cast("list[tuple[str, str]]", row["tags"]))
        rows.append(row)
    return sorted(rows, key=row_key)


def delta_rs_rows(path: str) -> list[Row]:
    """Read the log table at ``path`` with delta-rs, normalised as :func:`spark_rows`."""
    return arrow_rows(delta_rs_table(path))


def rows_per_run(rows: Iterable[Mapping[str, object]]) -> Counter[str]:
    """Count rows by ``run_id``."""
    return Counter(str(row["run_id"]) for row in rows)


def duplicate_keys(rows: Sequence[Mapping[str, object]]) -> int:
    """Return how many rows repeat a ``(run_id, row_kind, step)`` key."""
    keys = {(row["run_id"], row["row_kind"], row["step"]) for row in rows}
    return len(rows) - len(keys)


# ------------------------------------------------------------------ child processes


@dataclass
class Child:
    """A child process (``python -m tests.reliability.writer_child ...``) and its output.

    The child leads its own process group (``start_new_session=True``), so :meth:`kill`
    reaches its JVM too. A thread reads its stdout line by line as the lines come.
    """

    process: subprocess.Popen[str]
    stderr_path: Path
    started: float = field(default_factory=time.monotonic)
    lines: list[str] = field(default_factory=list)
    _queue: queue.Queue[str | None] = field(default_factory=queue.Queue)
    _reader: threading.Thread | None = None
    _closed: bool = False

    def __post_init__(self) -> None:
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        stdout = cast("IO[str]", self.process.stdout)
        for line in stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def next_line(self, timeout: float) -> str | None:
        """Return the next line, or None at the end of the output; raise on timeout."""
        if self._closed:
            return None
        try:
            line = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"no output for {timeout:.0f}s; stderr:\n{self.stderr()}") from None
        if line is None:
            self._closed = True
            return None
        self.lines.append(line)
        return line

    def wait_for(self, accept: Callable[[str], bool], *, timeout: float) -> str | None:
        """Read lines until one is accepted (return it) or the output ends (return None)."""
        deadline = time.monotonic() + timeout
        while True:
            line = self.next_line(max(deadline - time.monotonic(), 0.01))
            if line is None or accept(line):
                return line

    def drain(self, timeout: float = 60.0) -> list[str]:
        """Read the rest of the output (the child must be ending); return every line read."""
        while self.next_line(timeout) is not None:
            pass
        return self.lines

    def kill(self) -> None:
        """SIGKILL the child's whole process group, and wait until every member is gone."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                os.killpg(self.process.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        raise AssertionError(f"process group {self.process.pid} outlived SIGKILL")

    def finish(self, timeout: float) -> list[str]:
        """Wait for a normal exit; return the output lines (fail with stderr on an error)."""
        self.process.wait(timeout=timeout)
        self.drain()
        assert self.process.returncode == 0, self.stderr()
        return self.lines

    def stderr(self, tail: int = 4000) -> str:
        """Return the end of the child's stderr."""
        try:
            return self.stderr_path.read_text(errors="replace")[-tail:]
        except OSError:
            return "<no stderr>"


@contextlib.contextmanager
def children() -> Iterator[Callable[..., Child]]:
    """Yield a function starting children; on exit, kill whichever are still running."""
    started: list[Child] = []

    def start(*args: str, work_dir: Path, env: Mapping[str, str] | None = None) -> Child:
        work_dir.mkdir(parents=True, exist_ok=True)
        stderr_path = work_dir / "stderr.log"
        with stderr_path.open("w") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.reliability.writer_child", *args],
                cwd=ROOT,
                env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
                encoding="utf-8",
                start_new_session=True,
            )
        child = Child(process=process, stderr_path=stderr_path)
        started.append(child)
        return child

    try:
        yield start
    finally:
        for child in started:
            child.kill()  # also reaps a JVM left behind by a child that exited
            if child.process.stdout is not None:
                child.process.stdout.close()
