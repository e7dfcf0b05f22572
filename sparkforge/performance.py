"""Measure how long things take and how much memory they use.

`Timer` gives UTC start and end instants plus a duration from a monotonic clock (so a
clock adjustment never makes a duration negative). `MemoryProbe` samples the resident
memory (RSS) of this Python process -- the driver's Python side, not the JVM PySpark starts
beside it and not Spark's executors -- in a background thread and reports how far its peak
rose over a block of work. `OperationStats` accumulates both over many operations,
safely from several threads.

Memory figures are ``None`` where the platform offers no way to read the RSS: ``/proc`` is
Linux-only and the ``resource`` module does not exist on Windows, where ``import sparkforge``
still works and only these figures are missing.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import time
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from sparkforge.errors import ConfigurationError
from sparkforge.models import utc_now

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
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


def current_rss_bytes() -> int | None:
    """Return the resident set size of this Python process now, in bytes.

    This is the Python (driver) process only: not the JVM that PySpark starts beside it, and
    not Spark's executors.

    Returns
    -------
    int or None
        Read from ``/proc/self/statm`` on Linux; elsewhere the peak resident set size (see
        `peak_rss_bytes`); None where neither can be read (e.g. Windows).

    Examples
    --------
    >>> rss = current_rss_bytes()
    >>> rss is None or rss > 0
    True
    """
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return peak_rss_bytes()


def peak_rss_bytes() -> int | None:
    """Return the peak resident set size of this Python process so far, in bytes.

    Returns
    -------
    int or None
        From `resource.getrusage`; None where the ``resource`` module does not exist
        (Windows).

    Examples
    --------
    >>> peak = peak_rss_bytes()
    >>> peak is None or peak > 0
    True
    """
    try:  # POSIX only: Windows has no ``resource`` module.
        import resource
    except ImportError:
        return None
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
        self.started_at = utc_now()
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
        self.ended_at = utc_now()

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
    """Sample this Python process's resident memory while a block runs; report its peak growth.

    What is measured is the resident set size (RSS) of the Python process running the code:
    on a Spark driver that is the Python side only, not the JVM (a separate process) and not
    the executors. Samples are taken every ``interval_secs`` by a background thread, at entry
    and at exit, so memory allocated and freed inside the block still counts if it lived at
    least one interval.

    Parameters
    ----------
    interval_secs
        Seconds between samples taken by the background thread.
    read_rss_bytes
        How this process's RSS is read (default `current_rss_bytes`); tests pass a fake.
        A reader returning None means "cannot be measured here", and the figures stay None.

    Raises
    ------
    ConfigurationError
        ``CONFIG_INVALID`` if ``interval_secs`` is not positive (also a ``ValueError``).

    Examples
    --------
    With a fake reader (a real one is `current_rss_bytes`):

    >>> rss = [100]
    >>> with MemoryProbe(interval_secs=0.001, read_rss_bytes=lambda: rss[0]) as probe:
    ...     rss[0] = 400
    >>> probe.baseline_rss_bytes, probe.peak_rss_bytes, probe.peak_python_rss_growth_bytes
    (100, 400, 300)

    *Changed in 0.1.0:* ``peak_growth_bytes`` became ``peak_python_rss_growth_bytes``,
    ``read_bytes`` ``read_rss_bytes`` (the probe measures this Python process only); figures are
    None where the RSS cannot be read.
    """

    def __init__(
        self,
        *,
        interval_secs: float = 0.01,
        read_rss_bytes: Callable[[], int | None] = current_rss_bytes,
    ) -> None:
        if not interval_secs > 0:
            raise ConfigurationError(
                "CONFIG_INVALID",
                {"option": "interval_secs", "reason": f"must be > 0, got {interval_secs!r}"},
            )
        self.interval_secs = interval_secs
        self._read = read_rss_bytes
        self.baseline_rss_bytes: int | None = None
        self.peak_rss_bytes: int | None = None
        self.end_rss_bytes: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> int | None:
        rss = self._read()
        if rss is not None and (self.peak_rss_bytes is None or rss > self.peak_rss_bytes):
            self.peak_rss_bytes = rss
        return rss

    def _run(self) -> None:
        while not self._stop.wait(self.interval_secs):
            self._sample()

    def __enter__(self) -> Self:
        self.peak_rss_bytes = self.end_rss_bytes = None
        self.baseline_rss_bytes = self._sample()
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
            self._thread = None
        self.end_rss_bytes = self._sample()

    @property
    def peak_python_rss_growth_bytes(self) -> int | None:
        """How far this Python process's peak RSS rose above its value at entry, in bytes.

        None where the RSS cannot be read on this platform (or before the block ran).
        """
        if self.baseline_rss_bytes is None or self.peak_rss_bytes is None:
            return None
        return max(0, self.peak_rss_bytes - self.baseline_rss_bytes)


class OperationStats:
    """Running totals over repeated operations of one kind (e.g. log writes); thread-safe.

    `record` and every read take one lock, so operations recorded from several threads
    at once are all counted, and `snapshot` gives figures that belong together.

    Examples
    --------
    >>> stats = OperationStats()
    >>> stats.record(rows=100, duration_secs=0.5)
    >>> stats.record(rows=300, duration_secs=1.5, peak_python_rss_growth_bytes=2048)
    >>> stats.count, stats.rows, stats.rows_per_sec, stats.max_duration_secs
    (2, 400, 200.0, 1.5)
    >>> stats.max_peak_python_rss_growth_bytes
    2048

    *Changed in 0.1.0:* Thread-safe; ``max_peak_memory_growth_bytes`` became
    ``max_peak_python_rss_growth_bytes`` (None until an operation measured it).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._failures = 0
        self._rows = 0
        self._total_duration_secs = 0.0
        self._max_duration_secs = 0.0
        self._max_peak_python_rss_growth_bytes: int | None = None

    def record(
        self,
        *,
        rows: int,
        duration_secs: float,
        peak_python_rss_growth_bytes: int | None = None,
        failed: bool = False,
    ) -> None:
        """Add one operation's measurements.

        Parameters
        ----------
        rows
            Rows the operation handled.
        duration_secs
            How long it took.
        peak_python_rss_growth_bytes
            Its `MemoryProbe.peak_python_rss_growth_bytes` (None: not measured).
        failed
            Whether it failed.
        """
        with self._lock:
            self._count += 1
            self._failures += int(failed)
            self._rows += rows
            self._total_duration_secs += duration_secs
            self._max_duration_secs = max(self._max_duration_secs, duration_secs)
            if peak_python_rss_growth_bytes is not None:
                known = self._max_peak_python_rss_growth_bytes
                self._max_peak_python_rss_growth_bytes = (
                    peak_python_rss_growth_bytes
                    if known is None
                    else max(known, peak_python_rss_growth_bytes)
                )

    def snapshot(self) -> OperationStats:
        """Return a copy of the totals, taken at one instant (no record lands half-way).

        Examples
        --------
        >>> stats = OperationStats()
        >>> stats.record(rows=5, duration_secs=1.0)
        >>> copy = stats.snapshot()
        >>> stats.record(rows=5, duration_secs=1.0)
        >>> copy.count, stats.count
        (1, 2)
        """
        copy = OperationStats()
        with self._lock:
            copy._count = self._count
            copy._failures = self._failures
            copy._rows = self._rows
            copy._total_duration_secs = self._total_duration_secs
            copy._max_duration_secs = self._max_duration_secs
            copy._max_peak_python_rss_growth_bytes = self._max_peak_python_rss_growth_bytes
        return copy

    @property
    def count(self) -> int:
        """Operations recorded."""
        with self._lock:
            return self._count

    @property
    def failures(self) -> int:
        """Operations recorded as failed."""
        with self._lock:
            return self._failures

    @property
    def rows(self) -> int:
        """Rows over all operations."""
        with self._lock:
            return self._rows

    @property
    def total_duration_secs(self) -> float:
        """Seconds over all operations."""
        with self._lock:
            return self._total_duration_secs

    @property
    def max_duration_secs(self) -> float:
        """The longest operation, in seconds (0.0 before the first)."""
        with self._lock:
            return self._max_duration_secs

    @property
    def max_peak_python_rss_growth_bytes(self) -> int | None:
        """The largest peak growth of this Python process's RSS over one operation.

        None until an operation recorded a measured growth.
        """
        with self._lock:
            return self._max_peak_python_rss_growth_bytes

    @property
    def mean_duration_secs(self) -> float:
        """Mean seconds per operation (0.0 before the first)."""
        with self._lock:
            return self._total_duration_secs / self._count if self._count else 0.0

    @property
    def rows_per_sec(self) -> float:
        """Rows per second over all operations (0.0 before any time was spent)."""
        with self._lock:
            seconds = self._total_duration_secs
            return self._rows / seconds if seconds > 0 else 0.0
