"""Case ``flatten``: report -> rows in pure Python (no JVM), at 10 to 100,000 steps.

Each sample turns at least ~100,000 rows (one report of 100,000 steps, or many calls on a
small report), so a sample lasts long enough for the clock. ``rows_from_report`` is measured
with the garbage collector as the caller left it: it never pauses or re-tunes the collector
(that is process-wide state), and the collections its own allocations start are in the
figures. The rows are dropped as soon as a call returns, so the figures leave out what a
caller that keeps them pays when later collections scan them. ``report_problems`` (the checks
``write_report`` runs first) is measured interleaved with it, because a write pays for both.
"""

from __future__ import annotations

import gc
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from benchmarks.environment import log
from benchmarks.harness import Summary, interleave, summarize
from sparkforge.writer.models import report_problems, rows_from_report
from tests.factories import make_report

if TYPE_CHECKING:
    from collections.abc import Callable

    from sparkforge.models import PipelineReport

__all__ = ["SIZES", "run_flatten"]

#: Steps per report measured; the headline is at 10,000.
SIZES: tuple[int, ...] = (10, 1_000, 10_000, 100_000)
_HEADLINE = 10_000
_ROWS_PER_SAMPLE = 100_000
_LOGGED_AT = datetime(2026, 3, 2, tzinfo=timezone.utc)


def _flatten(report: PipelineReport, calls: int) -> Callable[[int], object]:
    def run(_: int) -> None:
        for _ in range(calls):
            rows_from_report(report, logged_at=_LOGGED_AT)

    return run


def _check(report: PipelineReport, calls: int) -> Callable[[int], object]:
    def run(_: int) -> None:
        for _ in range(calls):
            if report_problems(report):
                raise AssertionError("the benchmark report is not consistent")

    return run


def _measure(
    steps: int, repetitions: int, progress: Callable[[str], None]
) -> dict[str, Summary | int]:
    report = make_report(steps, pipeline="bench")
    calls = max(1, _ROWS_PER_SAMPLE // steps)
    if len(rows_from_report(report)) != steps:
        raise AssertionError("one row per step expected")
    progress(f"flatten: {steps:,} steps x {calls:,} calls per sample")
    gc.collect()
    runs = interleave(
        {"flatten": _flatten(report, calls), "check": _check(report, calls)},
        repetitions=repetitions,
        warmup=1,
        progress=lambda line: progress(f"flatten {steps:,}: {line}"),
    )
    rows = steps * calls
    flat, checked = runs["flatten"].seconds, runs["check"].seconds
    return {
        "calls_per_sample": calls,
        "rows_per_s": summarize([rows / s for s in flat]),
        "check_rows_per_s": summarize([rows / s for s in checked]),
        "check_and_flatten_rows_per_s": summarize(
            [rows / (a + b) for a, b in zip(flat, checked, strict=True)]
        ),
    }


def run_flatten(*, quick: bool = False, progress: Callable[[str], None] = log) -> dict[str, object]:
    """Measure rows per second of ``rows_from_report`` and ``report_problems`` per report size.

    Parameters
    ----------
    quick
        Fewer repetitions.
    progress
        Receives progress lines.

    Returns
    -------
    dict
        ``rows_per_s`` (median at 10,000 steps, the headline), and per size the summaries of
        rows per second of flattening, of checking, and of both one after the other.
    """
    repetitions = 3 if quick else 7
    measured = {steps: _measure(steps, repetitions, progress) for steps in SIZES}

    def median(steps: int, figure: str) -> float:
        summary = measured[steps][figure]
        assert isinstance(summary, Summary)
        return round(summary.median)

    return {
        "rows_per_s": median(_HEADLINE, "rows_per_s"),
        "check_rows_per_s": median(_HEADLINE, "check_rows_per_s"),
        "check_and_flatten_rows_per_s": median(_HEADLINE, "check_and_flatten_rows_per_s"),
        "rows_per_s_at_100k": median(100_000, "rows_per_s"),
        "repetitions": repetitions,
        "warmup": 1,
        "sizes": {
            str(steps): {
                key: value.as_dict(digits=0) if isinstance(value, Summary) else value
                for key, value in figures.items()
            }
            for steps, figures in measured.items()
        },
        "note": "rows per second of rows_from_report (headline: reports of 10,000 steps), "
        "and of report_problems (the checks write_report runs before it), interleaved.",
    }
