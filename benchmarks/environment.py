"""Where the benchmark runs: machine facts, versions, a quiet machine, Spark jobs, JVM memory.

This module is application code (the benchmark builds its own SparkSession, which the library
never does), so it may use ``SparkContext`` and its status tracker.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, MutableMapping
    from types import TracebackType

    from pyspark import SparkContext
    from pyspark.sql import SparkSession
    from typing_extensions import Self

__all__ = [
    "JobCounter",
    "JvmMemorySampler",
    "QuietGate",
    "bench_session",
    "java_version",
    "jvm_pid",
    "load_average",
    "log",
    "machine_facts",
    "proc_status_kib",
    "versions",
    "wait_for_quiet",
]

_STARTED = time.perf_counter()


def log(message: str) -> None:
    """Print one progress line to stderr, prefixed with the seconds since the start."""
    print(f"[bench {time.perf_counter() - _STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


def load_average() -> tuple[float, float, float]:
    """Return the 1-, 5- and 15-minute load averages (zeros where the OS has none)."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return (0.0, 0.0, 0.0)
    return (round(one, 2), round(five, 2), round(fifteen, 2))


def wait_for_quiet(
    *,
    threshold: float = 1.5,
    timeout_secs: float = 600.0,
    poll_secs: float = 15.0,
    load: Callable[[], tuple[float, float, float]] = load_average,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[float, bool]:
    """Wait until the 1-minute load average is at most ``threshold``, or ``timeout_secs`` pass.

    Parameters
    ----------
    threshold
        The 1-minute load average that counts as quiet.
    timeout_secs
        The longest wait.
    poll_secs
        Seconds between looks.
    load, sleep
        Where the load comes from and how to wait (tests pass fakes).

    Returns
    -------
    tuple[float, bool]
        Seconds waited, and whether the machine was quiet at the end.
    """
    waited = 0.0
    while load()[0] > threshold:
        if waited >= timeout_secs:
            return waited, False
        log(f"load average {load()[0]:.2f} > {threshold}: waiting for a quiet machine")
        sleep(poll_secs)
        waited += poll_secs
    return waited, True


class QuietGate:
    """Wait for a quiet machine before each part of the run, within one overall time budget.

    Parameters
    ----------
    budget_secs
        The most seconds all the waits of the run may take together.
    threshold
        The 1-minute load average that counts as quiet.
    poll_secs
        Seconds between looks.
    load, sleep
        Where the load comes from and how to wait (tests pass fakes).
    """

    def __init__(
        self,
        budget_secs: float,
        *,
        threshold: float = 1.5,
        poll_secs: float = 15.0,
        load: Callable[[], tuple[float, float, float]] = load_average,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.remaining_secs = budget_secs
        self.threshold = threshold
        self.poll_secs = poll_secs
        self._load = load
        self._sleep = sleep
        self.waits: dict[str, float] = {}

    def wait(self, label: str) -> dict[str, object]:
        """Wait (within the budget left) for a quiet machine; return what was seen.

        Returns
        -------
        dict
            ``load_avg`` when the wait ended, ``waited_secs`` and ``quiet``.
        """
        waited, quiet = wait_for_quiet(
            threshold=self.threshold,
            timeout_secs=max(0.0, self.remaining_secs),
            poll_secs=self.poll_secs,
            load=self._load,
            sleep=self._sleep,
        )
        self.remaining_secs -= waited
        self.waits[label] = waited
        return {"load_avg": list(self._load()), "waited_secs": waited, "quiet": quiet}


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"^model name\s*:\s*(.+)$", text, flags=re.MULTILINE)
    return match.group(1).strip() if match else (platform.processor() or "unknown")


def _memory_gib() -> float | None:
    try:
        text = Path("/proc/meminfo").read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(r"^MemTotal:\s*(\d+) kB", text, flags=re.MULTILINE)
    return round(int(match.group(1)) / 1024 / 1024, 1) if match else None


def java_version() -> str:
    """Return the first line of ``java -version`` (from ``JAVA_HOME`` when set)."""
    home = os.environ.get("JAVA_HOME", "")
    java = str(Path(home) / "bin" / "java") if home else "java"
    try:
        done = subprocess.run(
            [java, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[0] if lines else "unknown"


def machine_facts() -> dict[str, object]:
    """Return the facts of this machine the results depend on.

    Returns
    -------
    dict
        CPU count and model, memory, OS, Python and Java versions.
    """
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": _memory_gib(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "java": java_version(),
    }


def versions() -> dict[str, str]:
    """Return the versions of sparkforge, PySpark and delta-spark in use."""
    import pyspark

    from sparkforge import __version__

    found = {"sparkforge": __version__, "pyspark": pyspark.__version__}
    try:
        found["delta-spark"] = metadata.version("delta-spark")
    except metadata.PackageNotFoundError:
        found["delta-spark"] = "unknown"
    return found


def bench_session(work_dir: Path) -> SparkSession:
    """Build the benchmark's one SparkSession: local[2], UI off, 2 shuffle partitions, Delta.

    Parameters
    ----------
    work_dir
        Where the warehouse and the metastore live (deleted by the caller at the end).
    """
    from examples.local_spark import local_delta_session

    return local_delta_session(
        "sparkforge-bench",
        work_dir=work_dir,
        master="local[2]",
        extra_conf={"spark.sql.session.timeZone": "UTC"},
    )


class JobCounter:
    """Count the Spark jobs a block of work starts, with a job group and the status tracker.

    Jobs run by Delta on helper threads inherit the group (Spark's local properties are
    inherited by child threads), so they are counted too. The status tracker is fed by the
    listener bus, which runs behind the driver: the count is read until it is stable.

    Parameters
    ----------
    context
        The SparkContext of the session under test.
    """

    def __init__(self, context: SparkContext) -> None:
        self._context = context
        self._tracker = context.statusTracker()

    def _count(self, group: str) -> int:
        return len(self._tracker.getJobIdsForGroup(group))

    def task_count(self, group: str) -> int:
        """Return the tasks that ran (completed or failed) in the stages of ``group``'s jobs.

        Stages Spark skipped (their shuffle output was reused) ran no task and count 0.
        """
        tasks = 0
        for job_id in self._tracker.getJobIdsForGroup(group):
            job = self._tracker.getJobInfo(job_id)
            for stage_id in job.stageIds if job is not None else ():
                stage = self._tracker.getStageInfo(stage_id)
                if stage is not None:
                    tasks += stage.numCompletedTasks + stage.numFailedTasks
        return tasks

    def settled_count(self, group: str, *, polls: int = 3, interval_secs: float = 0.02) -> int:
        """Return the number of jobs of ``group`` once it stops changing."""
        last = self._count(group)
        stable = 0
        deadline = time.monotonic() + 2.0
        while stable < polls and time.monotonic() < deadline:
            time.sleep(interval_secs)
            now = self._count(group)
            stable = stable + 1 if now == last else 0
            last = now
        return last

    @contextmanager
    def counting(self, label: str = "bench") -> Iterator[MutableMapping[str, float]]:
        """Count the jobs (``jobs``) and their tasks (``tasks``) started inside the block."""
        group = f"sparkforge-bench-{label}-{uuid.uuid4().hex[:12]}"
        figures: dict[str, float] = {}
        self._context.setJobGroup(group, label)
        try:
            yield figures
        finally:
            self._context.setLocalProperty("spark.jobGroup.id", None)  # type: ignore[arg-type]
            self._context.setLocalProperty("spark.job.description", None)  # type: ignore[arg-type]
            figures["jobs"] = float(self.settled_count(group))
            figures["tasks"] = float(self.task_count(group))


def proc_status_kib(pid: int, field: str) -> int | None:
    """Return a ``kB`` field (``VmRSS``, ``VmHWM`` ...) of ``/proc/<pid>/status``, or None."""
    try:
        text = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(rf"^{field}:\s*(\d+) kB", text, flags=re.MULTILINE)
    return int(match.group(1)) if match else None


def jvm_pid() -> int | None:
    """Return the pid of the JVM this Python process launched (PySpark's gateway), if found.

    Looks for a child process of this one whose command is ``java`` (Linux ``/proc`` only).
    """
    me = os.getpid()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text(encoding="utf-8")
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces, so split after the last ")".
        comm = stat[stat.find("(") + 1 : stat.rfind(")")]
        fields = stat[stat.rfind(")") + 2 :].split()
        if comm == "java" and len(fields) > 1 and int(fields[1]) == me:
            return int(entry.name)
    return None


class JvmMemorySampler:
    """Sample the JVM's resident memory (``/proc/<pid>/status`` VmRSS) while a block runs.

    The JVM is a separate process from the Python driver, so
    :class:`sparkforge.performance.MemoryProbe` (which measures the Python process only) cannot
    see it: this sampler reads the JVM's own RSS, apart, and only where ``/proc`` can be read
    (otherwise every figure is None).

    Parameters
    ----------
    pid
        The JVM's pid (see :func:`jvm_pid`); None disables the sampler.
    interval_secs
        Seconds between samples.
    """

    def __init__(self, pid: int | None, *, interval_secs: float = 0.05) -> None:
        self.pid = pid
        self.interval_secs = interval_secs
        self.baseline_kib: int | None = None
        self.peak_kib: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _sample(self) -> int | None:
        rss = None if self.pid is None else proc_status_kib(self.pid, "VmRSS")
        if rss is not None and (self.peak_kib is None or rss > self.peak_kib):
            self.peak_kib = rss
        return rss

    def _run(self) -> None:
        while not self._stop.wait(self.interval_secs):
            self._sample()

    def __enter__(self) -> Self:
        self.peak_kib = None
        self.baseline_kib = self._sample()
        if self.baseline_kib is not None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="bench-jvm-rss", daemon=True)
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
        self._sample()

    @property
    def growth_mib(self) -> float | None:
        """How far the JVM's RSS rose above its value at the start, in MiB (None: unknown)."""
        if self.baseline_kib is None or self.peak_kib is None:
            return None
        return round(max(0, self.peak_kib - self.baseline_kib) / 1024, 1)

    @property
    def peak_mib(self) -> float | None:
        """The JVM's highest sampled RSS, in MiB (None: unknown)."""
        return None if self.peak_kib is None else round(self.peak_kib / 1024, 1)
