"""Measure how long things take and how much memory they use.

:class:`Timer` gives UTC start and end instants plus a duration from a monotonic clock (so a
clock adjustment never makes a duration negative). :class:`MemoryProbe` samples the process's
resident memory in a background thread and reports the peak growth over a block of work.
:class:`OperationStats` accumulates both over many operations.
"""

from __future__ import annotations

import functools
import os
import resource
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, ParamSpec, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import TracebackType

    from typing_extensions import Self

__all__ = [
    "current_rss_bytes",
    "MemoryProbe",
    "OperationStats",
    "peak_rss_bytes",
    "timed",
    "Timer",
]

_P = ParamSpec("_P")
_R = TypeVar("_R")

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def current_rss_bytes() -> int:
    """Return this process's resident set size now, in bytes.

    Reads ``/proc/self/statm`` on Linux; elsewhere falls back to the peak RSS.
    """
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return peak_rss_bytes()


def peak_rss_bytes() -> int:
    """Return this process's peak resident set size so far, in bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes.
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


class Timer:
    """Time a block: UTC instants at both ends and a duration from a monotonic clock.

    Examples
    --------
    >>> with Timer() as timer:
    ...     _ = sum(range(1000))
    >>> timer.duration_secs >= 0.0 and timer.ended_at >= timer.started_at
    True
    """

    def __init__(self) -> None:
        self._start: float | None = None
        self._end: float | None = None
        self.started_at: datetime | None = None
        self.ended_at: datetime | None = None

    def __enter__(self) -> Self:
        self.started_at = datetime.now(timezone.utc)
        self._start = time.perf_counter()
        self._end = None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._end = time.perf_counter()
        self.ended_at = datetime.now(timezone.utc)

    @property
    def duration_secs(self) -> float:
        """Seconds elapsed: so far while running, in total once the block ended."""
        if self._start is None:
            raise RuntimeError("the timer has not started")
        end = self._end if self._end is not None else time.perf_counter()
        return end - self._start


def timed(sink: Callable[[str, float], None]) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Decorate a function so each call's duration is passed to ``sink(name, seconds)``.

    The duration is reported whether the call returns or raises.

    Examples
    --------
    >>> seen = []
    >>> @timed(lambda name, secs: seen.append(name))
    ... def work() -> int:
    ...     return 1
    >>> work(), seen
    (1, ['work'])
    """

    def decorate(func: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(func)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                sink(func.__qualname__, time.perf_counter() - start)

        return wrapper

    return decorate


class MemoryProbe:
    """Sample resident memory while a block runs; report its baseline, peak and growth.

    Parameters
    ----------
    interval_secs
        Seconds between samples taken by the background thread.
    read_bytes
        What to sample: this process's resident memory by default; pass another reader to
        watch another process (e.g. the JVM's ``/proc/<pid>/status``).

    Examples
    --------
    >>> with MemoryProbe(interval_secs=0.001) as probe:
    ...     block = bytearray(32 * 1024 * 1024)
    >>> probe.peak_growth_bytes >= 0
    True
    """

    def __init__(
        self,
        *,
        interval_secs: float = 0.01,
        read_bytes: Callable[[], int] = current_rss_bytes,
    ) -> None:
        if interval_secs <= 0:
            raise ValueError("interval_secs must be > 0")
        self.interval_secs = interval_secs
        self._read = read_bytes
        self.baseline_bytes = 0
        self.peak_bytes = 0
        self.end_bytes = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> None:
        rss = self._read()
        if rss > self.peak_bytes:
            self.peak_bytes = rss

    def _run(self) -> None:
        while not self._stop.wait(self.interval_secs):
            self._sample()

    def __enter__(self) -> Self:
        self.baseline_bytes = self.peak_bytes = self._read()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sparkforge-memory", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()
        self.end_bytes = self._read()

    @property
    def peak_growth_bytes(self) -> int:
        """How far the peak rose above the baseline, in bytes."""
        return max(0, self.peak_bytes - self.baseline_bytes)


@dataclass(slots=True)
class OperationStats:
    """Running totals over repeated operations of one kind (e.g. log writes).

    Examples
    --------
    >>> stats = OperationStats()
    >>> stats.record(rows=100, duration_secs=0.5)
    >>> stats.record(rows=300, duration_secs=1.5, peak_memory_growth_bytes=2048)
    >>> stats.count, stats.rows, stats.rows_per_sec, stats.max_duration_secs
    (2, 400, 200.0, 1.5)
    """

    count: int = 0
    failures: int = 0
    rows: int = 0
    total_duration_secs: float = 0.0
    max_duration_secs: float = 0.0
    max_peak_memory_growth_bytes: int = 0

    def record(
        self,
        *,
        rows: int,
        duration_secs: float,
        peak_memory_growth_bytes: int = 0,
        failed: bool = False,
    ) -> None:
        """Add one operation's measurements."""
        self.count += 1
        self.failures += int(failed)
        self.rows += rows
        self.total_duration_secs += duration_secs
        self.max_duration_secs = max(self.max_duration_secs, duration_secs)
        self.max_peak_memory_growth_bytes = max(
            self.max_peak_memory_growth_bytes, peak_memory_growth_bytes
        )

    @property
    def mean_duration_secs(self) -> float:
        """Mean seconds per operation (0.0 before the first)."""
        return self.total_duration_secs / self.count if self.count else 0.0

    @property
    def rows_per_sec(self) -> float:
        """Rows per second over all operations (0.0 before any time was spent)."""
        return self.rows / self.total_duration_secs if self.total_duration_secs > 0 else 0.0
