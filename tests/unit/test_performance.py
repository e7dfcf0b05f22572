"""Timers (UTC instants, monotonic durations), the memory probe and operation stats."""

from __future__ import annotations

import math
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import pytest

from sparkforge import performance
from sparkforge.errors import ConfigurationError
from sparkforge.performance import (
    MemoryProbe,
    OperationStats,
    Timer,
    current_rss_bytes,
    peak_rss_bytes,
    timed,
)

if TYPE_CHECKING:
    from collections.abc import Iterator


def test_timer_gives_utc_instants_and_a_duration() -> None:
    before = datetime.now(timezone.utc)
    with Timer() as timer:
        time.sleep(0.01)
    after = datetime.now(timezone.utc)
    assert timer.started_at is not None
    assert timer.ended_at is not None
    assert timer.started_at.tzinfo is timezone.utc
    assert timer.ended_at.tzinfo is timezone.utc
    assert before <= timer.started_at <= timer.ended_at <= after
    assert timer.duration_secs >= 0.01


def test_timer_duration_comes_from_the_monotonic_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks: Iterator[float] = iter([100.0, 102.5])
    monkeypatch.setattr(time, "perf_counter", lambda: next(ticks))
    with Timer() as timer:
        pass
    # Whatever the wall clock did meanwhile, the duration is the monotonic difference.
    assert timer.duration_secs == 2.5


def test_timer_duration_before_start_raises() -> None:
    with pytest.raises(RuntimeError, match="not started"):
        _ = Timer().duration_secs


def test_timer_duration_grows_while_running() -> None:
    with Timer() as timer:
        first = timer.duration_secs
        time.sleep(0.005)
        assert timer.duration_secs > first
        assert timer.ended_at is None
    frozen = timer.duration_secs
    time.sleep(0.005)
    assert timer.duration_secs == frozen


def test_timer_records_the_end_when_the_block_raises() -> None:
    timer = Timer()
    with pytest.raises(ValueError, match="boom"), timer:
        raise ValueError("boom")
    assert timer.ended_at is not None


def test_timed_reports_returns_and_raises() -> None:
    seen: list[tuple[str, float]] = []

    @timed(lambda name, secs: seen.append((name, secs)))
    def work(fail: bool) -> int:
        if fail:
            raise ValueError("x")
        return 7

    assert work(False) == 7
    with pytest.raises(ValueError, match="x"):
        work(True)
    assert [name for name, _ in seen] == [work.__qualname__] * 2
    assert all(secs >= 0 for _, secs in seen)


_MIB = 1024 * 1024
_ALLOCATION = 200 * _MIB


def _touch_pages(size: int) -> bytearray:
    # bytearray(n) may be mapped zero pages that are not resident until written: write one
    # byte per page so every page counts in the RSS.
    block = bytearray(size)
    for offset in range(0, size, 4096):
        block[offset] = 1
    return block


def test_memory_probe_reports_most_of_a_known_allocation_freed_inside_the_block() -> None:
    with MemoryProbe(interval_secs=0.001) as probe:
        block = _touch_pages(_ALLOCATION)
        time.sleep(0.1)  # several sampling intervals while the block is resident
        del block  # freed before the probe ends: only the sampling thread saw the peak
    growth = probe.peak_python_rss_growth_bytes
    assert growth is not None
    assert growth >= 0.8 * _ALLOCATION, f"{growth / _MIB:.1f} MiB seen of 200 MiB"
    assert probe.end_rss_bytes is not None
    assert probe.peak_rss_bytes is not None
    assert probe.end_rss_bytes < probe.peak_rss_bytes - 0.5 * _ALLOCATION


def test_memory_probe_around_nothing_reports_far_less() -> None:
    with MemoryProbe(interval_secs=0.001) as probe:
        time.sleep(0.1)
    growth = probe.peak_python_rss_growth_bytes
    assert growth is not None
    assert growth < 0.1 * _ALLOCATION


def test_memory_probe_figures_are_none_where_rss_cannot_be_read() -> None:
    with MemoryProbe(interval_secs=0.001, read_rss_bytes=lambda: None) as probe:
        time.sleep(0.005)
    assert probe.baseline_rss_bytes is None
    assert probe.peak_python_rss_growth_bytes is None


def test_memory_probe_figures_are_none_before_it_ran() -> None:
    assert MemoryProbe().peak_python_rss_growth_bytes is None


@pytest.mark.parametrize("interval", [0.0, -1.0, math.nan], ids=["zero", "negative", "nan"])
def test_memory_probe_rejects_non_positive_interval(interval: float) -> None:
    with pytest.raises(ConfigurationError) as caught:
        MemoryProbe(interval_secs=interval)
    assert caught.value.code == "CONFIG_INVALID"
    assert caught.value.params["option"] == "interval_secs"
    assert isinstance(caught.value, ValueError)


def test_rss_probes_are_consistent() -> None:
    current = current_rss_bytes()
    peak = peak_rss_bytes()
    assert current is not None
    assert peak is not None
    assert current > 0
    assert peak >= current


def test_current_rss_falls_back_to_peak_without_proc(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_proc(*args: object, **kwargs: object) -> object:
        raise OSError("no /proc")

    monkeypatch.setattr(performance, "open", no_proc, raising=False)
    monkeypatch.setattr(performance, "peak_rss_bytes", lambda: 4242)
    assert current_rss_bytes() == 4242


def test_operation_stats_accumulate() -> None:
    stats = OperationStats()
    assert (stats.mean_duration_secs, stats.rows_per_sec) == (0.0, 0.0)
    stats.record(rows=100, duration_secs=0.5)
    unmeasured = stats.max_peak_python_rss_growth_bytes
    assert unmeasured is None  # nothing measured yet
    stats.record(rows=300, duration_secs=1.5, peak_python_rss_growth_bytes=2048, failed=True)
    stats.record(rows=0, duration_secs=0.0, peak_python_rss_growth_bytes=1024)
    stats.record(rows=0, duration_secs=0.0, peak_python_rss_growth_bytes=None)
    assert (stats.count, stats.failures, stats.rows) == (4, 1, 400)
    assert stats.mean_duration_secs == pytest.approx(2.0 / 4)
    assert stats.rows_per_sec == 200.0
    assert stats.max_duration_secs == 1.5
    assert stats.max_peak_python_rss_growth_bytes == 2048
    assert stats.snapshot().count == 4


def test_operation_stats_count_every_record_from_many_threads() -> None:
    threads, records = 8, 20_000
    stats = OperationStats()
    start = threading.Barrier(threads)

    def work(worker: int) -> None:
        start.wait()
        for i in range(records):
            stats.record(
                rows=1,
                duration_secs=float(worker * records + i),
                peak_python_rss_growth_bytes=worker * records + i,
                failed=True,
            )

    # Switch threads as often as possible, so an unguarded read-modify-write loses updates.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        pool = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    total = threads * records
    figures = stats.snapshot()
    assert (figures.count, figures.failures, figures.rows) == (total, total, total)
    assert figures.total_duration_secs == float(sum(range(total)))
    assert figures.max_duration_secs == float(total - 1)
    assert figures.max_peak_python_rss_growth_bytes == total - 1


def test_memory_probe_samples_the_given_reader() -> None:
    readings = iter([100, 400, 250] + [250] * 10_000)

    with MemoryProbe(interval_secs=0.001, read_rss_bytes=lambda: next(readings)) as probe:
        time.sleep(0.05)

    assert probe.baseline_rss_bytes == 100
    assert probe.peak_rss_bytes == 400
    assert probe.peak_python_rss_growth_bytes == 300
    assert probe.end_rss_bytes == 250


def test_performance_imports_and_degrades_without_the_resource_module() -> None:
    # Windows has no ``resource``: a fresh interpreter where it cannot be imported must still
    # import sparkforge, and the figures that need it are None instead of an error.
    prelude = "import sys\nsys.modules['resource'] = None\n"
    code = (
        prelude + "import sparkforge\n"
        "from sparkforge.performance import MemoryProbe, peak_rss_bytes\n"
        "assert peak_rss_bytes() is None\n"
        "with MemoryProbe(interval_secs=0.001, read_rss_bytes=peak_rss_bytes) as probe:\n"
        "    pass\n"
        "assert probe.peak_python_rss_growth_bytes is None\n"
        "print('ok', 'resource' in sys.modules and sys.modules['resource'] is None)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok True"
