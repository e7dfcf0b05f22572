"""Case ``analytics_1m``: summary, trends and anomaly detection over a 1,000,000-row log.

The log is :func:`benchmarks.reads.synthesize_log` with ``varied=True`` (durations and row
counts vary, drift and spike, so the statistics are not trivial): 50 pipelines x 2,000 runs
x 10 steps over one year (2025, UTC), in time order, appended to a log table of the writer's
default layout (one file per partition value if partitioned, else 20 time-ordered files),
without compaction. Each question
gets the same ``LogWriter.read_logs()`` DataFrame and is timed against one plain full-scan
aggregation of the same table (:func:`benchmarks.reads.full_scan_aggregation`, collected),
all interleaved in the same rounds; ``as_of`` is the end of the year.
"""

from __future__ import annotations

import dataclasses
import importlib
import types
from typing import TYPE_CHECKING

from benchmarks.aging import auto_compaction_options, ensure_auto_compaction
from benchmarks.harness import interleave, paired_ratios, ratio, summarize
from benchmarks.reads import END, full_scan_aggregation, synthesize_log, timed

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from benchmarks.common import Bench

__all__ = ["QUESTIONS", "analytics_figures", "question", "run_analytics"]

#: The timed questions: name -> (module of sparkforge.reporting, function names to try).
QUESTIONS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "summary": ("summary", ("summary", "summarize")),
    "trends": ("trends", ("trends",)),
    "anomalies": ("anomalies", ("detect_anomalies",)),
}
#: The variant every question is divided by.
BASELINE = "full_scan"


def question(name: str) -> Callable[..., object] | None:
    """Return the reporting function of question ``name``, or None while it does not exist.

    ``sparkforge.reporting.<function>`` when the package exports it, else the function in
    its module (``summarize`` in ``sparkforge/reporting/summary.py``).
    """
    module_name, functions = QUESTIONS[name]
    try:
        package = importlib.import_module("sparkforge.reporting")
    except ImportError:
        return None
    for function in functions:
        found = getattr(package, function, None)
        if callable(found) and not isinstance(found, types.ModuleType):
            return found  # type: ignore[no-any-return]
    try:
        module = importlib.import_module(f"sparkforge.reporting.{module_name}")
    except ImportError:
        return None
    for function in functions:
        found = getattr(module, function, None)
        if callable(found):
            return found  # type: ignore[no-any-return]
    return None


def analytics_figures(seconds: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """Return each question's median seconds and its ratio to the full scan of the same run.

    Parameters
    ----------
    seconds
        ``full_scan`` and each measured question -> one duration per measured round.

    Returns
    -------
    dict
        ``full_scan_seconds``; per question ``{q}_seconds``, ``{q}_vs_full_scan`` (median /
        median, the target's figure) and ``{q}_vs_full_scan_paired`` (median of the per-round
        ratios).

    Examples
    --------
    >>> analytics_figures({"full_scan": [1.0, 2.0], "trends": [2.0, 4.0]})
    {'full_scan_seconds': 1.5, 'trends_seconds': 3.0, 'trends_vs_full_scan': 2.0, \
'trends_vs_full_scan_paired': 2.0}
    """
    if BASELINE not in seconds:
        raise ValueError(f"no measurements of {BASELINE}")
    base = seconds[BASELINE]
    figures = {f"{BASELINE}_seconds": round(summarize(base).median, 4)}
    for name, samples in seconds.items():
        if name == BASELINE:
            continue
        figures[f"{name}_seconds"] = round(summarize(samples).median, 4)
        figures[f"{name}_vs_full_scan"] = round(ratio(samples, base), 3)
        figures[f"{name}_vs_full_scan_paired"] = round(
            summarize(paired_ratios(samples, base)).median, 3
        )
    return figures


def _sizes(result: object) -> dict[str, int]:
    """Return the lengths of a result's tuple fields: what it found (series, anomalies...)."""
    if not dataclasses.is_dataclass(result):
        return {}
    return {
        field.name: len(value)
        for field in dataclasses.fields(result)
        if isinstance(value := getattr(result, field.name), tuple)
    }


def run_analytics(bench: Bench) -> dict[str, object]:
    """Build the varied log and time each reporting question against the full scan.

    Parameters
    ----------
    bench
        The Spark context of the run.

    Returns
    -------
    dict
        The ``analytics_1m`` case (see :func:`analytics_figures` and its ``note``).
    """
    rows = 200_000 if bench.quick else 1_000_000
    repetitions = 2 if bench.quick else 5
    spark = bench.spark
    name = "analytics_log"
    writer = bench.writer(name, **auto_compaction_options(False))
    ensure_auto_compaction(bench, writer.table.fqn, False)
    layout = list(writer.config.partition_columns)
    bench.progress(f"analytics: building a {rows:,}-row varied log of 50 pipelines")
    source = synthesize_log(spark, rows, pipelines=50, varied=True)
    if layout:  # one file per partition value
        source = source.repartition(*layout)
    build_secs = timed(
        lambda: source.write.format("delta").mode("append").saveAsTable(bench.fqn(name))
    )
    log_df = writer.read_logs()
    calls: dict[str, Callable[[Callable[..., object]], object]] = {
        "summary": lambda f: f(log_df),
        "trends": lambda f: f(log_df, "duration_secs", as_of=END),
        "anomalies": lambda f: f(log_df, as_of=END),
    }
    found: dict[str, dict[str, int]] = {}
    missing: list[str] = []
    variants: dict[str, Callable[[int], object]] = {
        BASELINE: lambda _: full_scan_aggregation(log_df)
    }
    for key, call in calls.items():
        function = question(key)
        if function is None:
            missing.append(key)
            continue

        def run(
            _: int,
            key: str = key,
            call: Callable[[Callable[..., object]], object] = call,
            function: Callable[..., object] = function,
        ) -> None:
            found[key] = _sizes(call(function))

        variants[key] = run
    bench.progress(f"analytics: {len(variants)} variants x (1 warm-up + {repetitions})")
    runs = interleave(
        variants,
        repetitions=repetitions,
        warmup=1,
        instrument=bench.jobs.counting,
        progress=lambda line: bench.progress(f"analytics: {line}"),
    )
    return {
        **analytics_figures({key: run.seconds for key, run in runs.items()}),
        "missing": missing,
        "found": found,
        "rows": rows,
        "partition_columns": layout,
        "build_seconds": round(build_secs, 2),
        "repetitions": repetitions,
        "warmup": 1,
        "jobs": {key: summarize(run.extra("jobs")).median for key, run in runs.items()},
        "seconds": {key: run.summary().as_dict() for key, run in runs.items()},
        "note": f"{rows:,} varied log rows (50 pipelines, {rows // 500:,} runs each, 10 steps, "
        "one year) in the writer's default layout (partition_columns: one file per "
        "partition value; unpartitioned: 20 time-ordered files), no compaction. Each question "
        "gets "
        "LogWriter.read_logs() of the whole table: summary = summarize(log) (no window), "
        "trends = trends(log, 'duration_secs', as_of=end of year) (7 recent days vs 28 "
        "baseline days), anomalies = detect_anomalies(log, as_of=end of year) (default "
        "metrics, 2 detection + 28 training days). full_scan = groupBy(pipeline_name, step) "
        "count, avg(duration_secs), sum(rows_written) over the whole table, collected. All "
        "interleaved; {q}_vs_full_scan = median / median of full_scan in the same run. "
        "missing lists the questions whose module did not exist yet.",
    }
