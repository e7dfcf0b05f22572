"""The write as users run it: the default writer against a bare idempotent append, per session.

Two cases, measured by the same code in two sessions:

- ``write_1000_tuned_session``: the benchmark's own session, which sets
  ``spark.databricks.delta.snapshotPartitions=2`` (``examples.local_spark``);
- ``write_1000_default_session``: a session with Delta's default ``snapshotPartitions`` (50),
  as an application that sets nothing runs it. One SparkContext per JVM, so this case runs in
  a child process (``python -m benchmarks.sessions``) after the main session has stopped.

Each case interleaves three variants on tables created the same way (by the writer): the
default writer's ``write_report`` of a 1,000-step run (``writer``), the bare idempotent append
of the same rows (``idempotent_append``: ``createDataFrame`` + ``df.write.format("delta")
.mode("append").option("txnAppId", ...).option("txnVersion", ...)``, no history read) and the
plain append (``plain_append``: the same without the transaction identifier). Both appends
build their DataFrame the way the writer does (from a pyarrow Table when pyarrow is
installed), so the ratios isolate what the writer adds. Spark jobs and tasks of every measured
write are counted: with the default setting an idempotent append runs a 50-task stage.

The figures (:func:`session_write_figures`, :func:`compare_sessions`) are pure and
unit-tested without a JVM.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.harness import paired_ratios, ratio, summarize

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from pyspark.sql import SparkSession

    from benchmarks.common import Bench
    from benchmarks.harness import Runs
    from sparkforge.writer import WriteResult

__all__ = [
    "compare_sessions",
    "default_delta_session",
    "DELTA_DEFAULT_SNAPSHOT_PARTITIONS",
    "main",
    "run_default_session_child",
    "run_session_write",
    "session_write_figures",
    "SNAPSHOT_PARTITIONS_KEY",
    "VARIANTS",
]

#: The Delta setting the two sessions differ by.
SNAPSHOT_PARTITIONS_KEY = "spark.databricks.delta.snapshotPartitions"
#: Delta's default for :data:`SNAPSHOT_PARTITIONS_KEY` (DeltaSQLConf, Delta 4.0.1).
DELTA_DEFAULT_SNAPSHOT_PARTITIONS = 50
#: The measured variants, in round order: candidate first, then the baselines.
VARIANTS = ("writer", "idempotent_append", "plain_append")

_STEPS = 1_000
_HERE = Path(__file__).resolve().parent


def session_write_figures(seconds: Mapping[str, Sequence[float]]) -> dict[str, float]:
    """Return a case's ratios from each variant's per-round seconds (same rounds, same run).

    Parameters
    ----------
    seconds
        ``writer``, ``idempotent_append`` and ``plain_append`` -> one duration per measured
        round, in round order.

    Returns
    -------
    dict
        ``ratio_vs_idempotent_append`` (median writer / median idempotent append, the target's
        figure; ``benchmarks.results.TARGETS`` holds it to <= 1.10), its ``_paired`` variant
        (median of the per-round ratios), ``ratio_vs_plain_append`` and
        ``idempotent_vs_plain_append``.

    Raises
    ------
    ValueError
        If a variant is missing, the rounds do not pair, or a baseline is not positive.

    Examples
    --------
    >>> session_write_figures({"writer": [1.1, 1.0, 1.3], "idempotent_append": [1.0, 1.0, 1.0],
    ...     "plain_append": [0.5, 0.4, 0.6]})  # doctest: +NORMALIZE_WHITESPACE
    {'ratio_vs_idempotent_append': 1.1, 'ratio_vs_idempotent_append_paired': 1.1,
     'ratio_vs_plain_append': 2.2, 'idempotent_vs_plain_append': 2.0}
    """
    missing = [name for name in VARIANTS if name not in seconds]
    if missing:
        raise ValueError(f"no measurements of {', '.join(missing)}")
    writer, idempotent, plain = (seconds[name] for name in VARIANTS)
    return {
        "ratio_vs_idempotent_append": round(ratio(writer, idempotent), 3),
        "ratio_vs_idempotent_append_paired": round(
            summarize(paired_ratios(writer, idempotent)).median, 3
        ),
        "ratio_vs_plain_append": round(ratio(writer, plain), 3),
        "idempotent_vs_plain_append": round(ratio(idempotent, plain), 3),
    }


def compare_sessions(
    tuned: Mapping[str, object], default: Mapping[str, object]
) -> dict[str, object]:
    """Return how much slower each variant's median write is in the default session.

    Parameters
    ----------
    tuned, default
        The ``write_1000_tuned_session`` and ``write_1000_default_session`` cases (each with
        ``seconds``: variant -> summary dict holding ``median``).

    Returns
    -------
    dict
        Variant -> default median / tuned median (rounded to 3 decimals); variants missing
        from either case (e.g. a failed case) are left out.

    Examples
    --------
    >>> compare_sessions({"seconds": {"writer": {"median": 0.8}, "plain_append": {"median":
    ...     0.4}}}, {"seconds": {"writer": {"median": 2.0}}})
    {'writer': 2.5}
    """
    found = []
    for case in (tuned, default):
        summaries = case.get("seconds")
        found.append(summaries if isinstance(summaries, dict) else {})
    medians = [
        {
            name: float(summary["median"])
            for name, summary in summaries.items()
            if isinstance(summary, dict) and isinstance(summary.get("median"), (int, float))
        }
        for summaries in found
    ]
    fast, slow = medians
    return {
        name: round(slow[name] / fast[name], 3)
        for name in VARIANTS
        if name in fast and name in slow and fast[name] > 0
    }


def _extras_figures(runs: Runs, name: str) -> dict[str, object]:
    values = runs.extra(name)
    if not values:
        return {}
    return {"median": summarize(values).median, "max": max(values), "per_write": values}


def run_session_write(bench: Bench, *, session: str) -> dict[str, object]:
    """Measure the default writer against the bare appends in ``bench``'s session.

    Parameters
    ----------
    bench
        The Spark context of the run (its session is the one measured).
    session
        ``"tuned"`` or ``"default"``: which session this is, for the table names and figures.

    Returns
    -------
    dict
        The case's figures: the ratios of :func:`session_write_figures`, seconds, jobs and
        tasks per variant, and the session's ``snapshotPartitions``.
    """
    from benchmarks.common import fresh_copies
    from benchmarks.harness import interleave
    from benchmarks.writes import _arrow_schema, _expect_written, _raw_append
    from sparkforge.writer.models import rows_from_report
    from tests.factories import make_report

    repetitions = 2 if bench.quick else 9
    warmup = 1
    rounds = warmup + repetitions
    base = make_report(_STEPS, pipeline="bench")
    tables = {name: f"session_{session}_{name}" for name in VARIANTS}
    writer = bench.writer(tables["writer"])
    for name in VARIANTS[1:]:
        bench.writer(tables[name])  # the same table (partitioning, properties) as the writer's
    reports = {name: fresh_copies(base, rounds) for name in VARIANTS}
    rows = {name: [rows_from_report(r) for r in reports[name]] for name in VARIANTS[1:]}
    arrow = _arrow_schema()
    results: list[WriteResult] = []

    def append_with(name: str, *, idempotent: bool) -> Callable[[int], object]:
        def run(i: int) -> None:
            txn = f"bench.{session}/{reports[name][i].run_id}" if idempotent else None
            fqn = bench.fqn(tables[name])
            _raw_append(bench, fqn, rows[name][i], txn, arrow_schema=arrow)

        return run

    variants: dict[str, Callable[[int], object]] = {
        "writer": lambda i: results.append(writer.write_report(reports["writer"][i])),
        "idempotent_append": append_with("idempotent_append", idempotent=True),
        "plain_append": append_with("plain_append", idempotent=False),
    }
    label = f"write_1000_{session}_session"
    bench.progress(f"{label}: {len(variants)} variants x ({warmup} warm-up + {repetitions})")
    runs = interleave(
        variants,
        repetitions=repetitions,
        warmup=warmup,
        instrument=bench.jobs.counting,
        progress=lambda line: bench.progress(f"{label}: {line}"),
    )
    _expect_written(results, _STEPS)
    setting = bench.spark.conf.get(SNAPSHOT_PARTITIONS_KEY, None)
    return {
        **session_write_figures({name: run.seconds for name, run in runs.items()}),
        "snapshot_partitions": int(setting) if setting else DELTA_DEFAULT_SNAPSHOT_PARTITIONS,
        "snapshot_partitions_set_by_session": setting is not None,
        "arrow_ingestion": arrow is not None,
        "rows": _STEPS,
        "repetitions": repetitions,
        "warmup": warmup,
        "seconds": {name: run.summary().as_dict() for name, run in runs.items()},
        "jobs": {name: _extras_figures(run, "jobs") for name, run in runs.items()},
        "tasks": {name: _extras_figures(run, "tasks") for name, run in runs.items()},
        "note": "ratio_vs_idempotent_append = median write_report (default config, 1,000 "
        "steps) / median bare idempotent append of the same rows (createDataFrame + Delta "
        "append with txnAppId/txnVersion, no history read), interleaved in the same run on "
        "tables created alike; target <= 1.10. plain_append is the same append without the "
        "transaction identifier. tasks = Spark tasks over the write's jobs; with Delta's "
        "default snapshotPartitions (50) the idempotent append's state reconstruction is a "
        "50-task stage.",
    }


def default_delta_session(work_dir: Path) -> SparkSession:
    """Build the benchmark's session, then drop the ``snapshotPartitions`` override.

    Everything else is the benchmark's session (``local[2]``, UI off, 2 shuffle partitions,
    Delta, UTC); the Delta setting falls back to its default, as in a session that never set
    it. The case's task counts show which value Delta used.
    """
    from benchmarks.environment import bench_session

    spark = bench_session(work_dir)
    spark.conf.unset(SNAPSHOT_PARTITIONS_KEY)
    return spark


def run_default_session_child(*, quick: bool, keep_work: bool) -> dict[str, object]:
    """Run ``write_1000_default_session`` in a child process; return its figures.

    The child (``python -m benchmarks.sessions``) builds its own session, so no other
    SparkContext must be running in this process's JVM (none is: a JVM per process).
    """
    result = _HERE / ".work" / f"default-session-{os.getpid()}.json"
    result.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "benchmarks.sessions", "--result", str(result)]
    command += ["--quick"] if quick else []
    command += ["--keep-work"] if keep_work else []
    try:
        done = subprocess.run(command, cwd=_HERE.parent, check=False, timeout=1800)
        if done.returncode != 0 or not result.exists():
            raise RuntimeError(f"the default-session child exited with {done.returncode}")
        figures: dict[str, object] = json.loads(result.read_text(encoding="utf-8"))
    finally:
        result.unlink(missing_ok=True)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    """Measure ``write_1000_default_session`` in this process and write its figures as JSON.

    Returns
    -------
    int
        0 once the figures are written.
    """
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sessions")
    parser.add_argument("--result", type=Path, required=True, help="where to write the JSON")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 rounds")
    parser.add_argument("--keep-work", action="store_true", help="keep the Spark warehouse")
    args = parser.parse_args(argv)

    from benchmarks.common import Bench
    from benchmarks.environment import JobCounter, log

    work = _HERE / ".work" / f"spark-default-{os.getpid()}"
    log(f"starting the default-settings SparkSession (work dir {work})")
    spark = default_delta_session(work)
    try:
        bench = Bench(spark=spark, jobs=JobCounter(spark.sparkContext), quick=args.quick)
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {bench.schema}")
        figures = run_session_write(bench, session="default")
    finally:
        spark.stop()
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)
    args.result.write_text(json.dumps(figures), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
