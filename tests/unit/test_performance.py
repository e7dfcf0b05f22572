"""Timers (UTC instants, monotonic durations), the memory probe and operation stats."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import TYPE_CHECKING

import pytest

from sparkforge import performance
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


def test_memory_probe_sees_an_allocation() -> None:
    size = 64 * 1024 * 1024
    with MemoryProbe(interval_secs=0.001) as probe:
        block = b"x" * size  # written, so its pages are resident
        time.sleep(0.01)
    assert len(block) == size
    assert probe.peak_growth_bytes >= size // 2
    assert probe.peak_bytes >= probe.baseline_bytes
    assert probe.end_bytes > 0


@pytest.mark.parametrize("interval", [0.0, -1.0], ids=["zero", "negative"])
def test_memory_probe_rejects_non_positive_interval(interval: float) -> None:
    with pytest.raises(ValueError, match="interval_secs"):
        MemoryProbe(interval_secs=interval)


def test_rss_probes_are_consistent() -> None:
    current = current_rss_bytes()
    assert current > 0
    assert peak_rss_bytes() >= current


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
    stats.record(rows=300, duration_secs=1.5, peak_memory_growth_bytes=2048, failed=True)
    stats.record(rows=0, duration_secs=0.0, peak_memory_growth_bytes=1024)
    assert (stats.count, stats.failures, stats.rows) == (3, 1, 400)
    assert stats.mean_duration_secs == pytest.approx(2.0 / 3)
    assert stats.rows_per_sec == 200.0
    assert stats.max_duration_secs == 1.5
    assert stats.max_peak_memory_growth_bytes == 2048


def test_memory_probe_samples_the_given_reader() -> None:
    readings = iter([100, 400, 250] + [250] * 10_000)

    with MemoryProbe(interval_secs=0.001, read_bytes=lambda: next(readings)) as probe:
        time.sleep(0.05)

    assert probe.baseline_bytes == 100
    assert probe.peak_bytes == 400
    assert probe.peak_growth_bytes == 300
    assert probe.end_bytes == 250
