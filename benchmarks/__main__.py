"""Run the sparkforge benchmarks: ``python -m benchmarks`` (or ``make bench``).

A full run waits for a quiet machine (1-minute load average <= 1.5) before each group of
cases, at most 2 minutes in all (``--max-wait``), runs every case (but the opt-in ones,
such as ``aging_writes_10k``, run only when ``--only`` names them), writes
``benchmarks/results.json`` and ``benchmarks/results.md``, and prints the summary table.
Each case records the load average before and after its group, and when it was measured.
``--quick`` is a smoke run with fewer repetitions and smaller inputs; it and ``--only``
leave the committed results alone unless ``--output`` is given. ``--only CASE --output DIR``
merges the cases it ran into ``DIR/results.json`` (and ``results.md``): the other cases keep
their figures, their dates and the load they were measured under (see
:mod:`benchmarks.merging`). Progress goes to stderr.

The Spark cases share ONE SparkSession (``local[2]``, UI off, 2 shuffle partitions,
``spark.databricks.delta.snapshotPartitions=2``) whose warehouse and metastore live under
``benchmarks/.work/``, deleted at the end. Then ``write_1000_default_session`` measures the
write again in a session with Delta's default settings, in a child process (one SparkContext
per JVM), after that session has stopped.
"""

from __future__ import annotations

import argparse
import functools
import os
import shutil
import sys
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from benchmarks.environment import QuietGate, load_average, log, machine_facts, versions
from benchmarks.merging import merge_documents, read_document
from benchmarks.results import (
    CASE_FIGURES,
    build_document,
    render_markdown,
    shape_problems,
    write_document,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from benchmarks.common import Bench

__all__ = ["OPT_IN_SUITES", "SUITES", "main", "selected_suites"]

_HERE = Path(__file__).resolve().parent

#: Groups of cases measured together, in run order, with the cases each one yields.
SUITES: dict[str, tuple[str, ...]] = {
    "flatten": ("flatten",),
    "write_1000": ("write_1000_vs_raw", "jobs_per_write"),
    "write_tuned_session": ("write_1000_tuned_session",),
    "report_100k": ("report_100k",),
    "batch": ("batch_100_vs_single", "optimize_100_commits"),
    "legacy": ("legacy_vs_new_10k",),
    "reads": ("filtered_read_1m", "write_into_1m_log"),
    "layout_reads": ("layout_reads_1m",),
    "aging": ("aging_writes",),
    "analytics": ("analytics_1m",),
    "aging_10k": ("aging_writes_10k",),
    "write_default_session": ("write_1000_default_session",),
}

#: Suites a run measures only when ``--only`` names them (too long for every ``make bench``).
OPT_IN_SUITES = ("aging_10k",)

#: Suites that run in a child process with their own SparkSession, after the main one.
CHILD_SUITES = ("write_default_session",)


def _suite_of(case: str) -> str:
    for suite, cases in SUITES.items():
        if case in cases or case == suite:
            return suite
    raise ValueError(case)


def selected_suites(only: Sequence[str] | None) -> list[str]:
    """Return the suites to run, in run order: those of the ``only`` cases, else the defaults.

    The defaults are every suite but the opt-in ones (:data:`OPT_IN_SUITES`).
    """
    if not only:
        return [suite for suite in SUITES if suite not in OPT_IN_SUITES]
    wanted = {_suite_of(case) for case in only}
    return [suite for suite in SUITES if suite in wanted]


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    cases = sorted({case for cases in SUITES.values() for case in cases} | set(SUITES))
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: few repetitions, small inputs"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=cases,
        metavar="CASE",
        help=f"run only CASE ({', '.join(cases)}); repeatable",
    )
    parser.add_argument(
        "--output",
        type=Path,
        help="write results.json and results.md into this directory; with --only, merge the "
        "cases run into the results already there (the others are kept)",
    )
    parser.add_argument("--no-wait", action="store_true", help="do not wait for a quiet machine")
    parser.add_argument(
        "--max-wait",
        type=float,
        default=120.0,
        metavar="SECS",
        help="most seconds a full run waits, in all, for a 1-minute load average <= 1.5 "
        "before its groups of cases (default 120)",
    )
    parser.add_argument(
        "--keep-work", action="store_true", help="keep benchmarks/.work (Spark warehouse)"
    )
    return parser.parse_args(argv)


def _run_suite(
    suite: str,
    run: Callable[[], dict[str, object] | tuple[dict[str, object], ...]],
    gate: QuietGate,
) -> dict[str, dict[str, object]]:
    """Run one suite after the quiet gate; label its cases with the load around it."""
    before = gate.wait(suite)
    log(f"== {suite} (load average {before['load_avg']})")
    start = time.perf_counter()
    try:
        produced = run()
    except Exception as exc:  # one broken suite must not hide the others' figures
        traceback.print_exc()
        produced = tuple({"error": f"{type(exc).__name__}: {exc}"[:1000]} for _ in SUITES[suite])
    results = produced if isinstance(produced, tuple) else (produced,)
    elapsed = round(time.perf_counter() - start, 1)
    after = list(load_average())
    cases = {}
    for name, figures in zip(SUITES[suite], results, strict=True):
        figures.update(
            suite_seconds=elapsed,
            load_avg_before=before["load_avg"],
            load_avg_after=after,
            waited_for_quiet_secs=before["waited_secs"],
        )
        cases[name] = figures
    log(f"== {suite} done in {elapsed:.1f}s (load average {after})")
    return cases


def _run_spark(
    suites: list[str], gate: QuietGate, *, quick: bool, keep_work: bool
) -> dict[str, dict[str, object]]:
    from benchmarks.aging import run_aging, run_aging_10k
    from benchmarks.analytics import run_analytics
    from benchmarks.common import Bench
    from benchmarks.environment import JobCounter, bench_session
    from benchmarks.layouts import run_layout_reads
    from benchmarks.reads import run_filtered_read
    from benchmarks.scale import run_report_100k
    from benchmarks.sessions import run_session_write
    from benchmarks.writes import run_batch, run_legacy, run_write_1000

    runners: dict[str, Callable[[Bench], dict[str, object] | tuple[dict[str, object], ...]]] = {
        "write_1000": run_write_1000,
        "write_tuned_session": functools.partial(run_session_write, session="tuned"),
        "report_100k": run_report_100k,
        "batch": run_batch,
        "legacy": run_legacy,
        "reads": run_filtered_read,
        "layout_reads": run_layout_reads,
        "aging": run_aging,
        "analytics": run_analytics,
        "aging_10k": run_aging_10k,
    }
    work = _HERE / ".work" / f"spark-{os.getpid()}"
    log(f"starting the SparkSession (work dir {work})")
    spark = bench_session(work)
    try:
        bench = Bench(spark=spark, jobs=JobCounter(spark.sparkContext), quick=quick)
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {bench.schema}")
        cases: dict[str, dict[str, object]] = {}
        for suite in suites:
            cases.update(_run_suite(suite, functools.partial(runners[suite], bench), gate))
        return cases
    finally:
        spark.stop()
        if not keep_work:
            shutil.rmtree(work, ignore_errors=True)
            parent = work.parent
            if parent.exists() and not any(parent.iterdir()):
                parent.rmdir()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks and write the results.

    Parameters
    ----------
    argv
        Command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        0 when the results have the required shape (targets may still be missed: the
        results say which), 1 otherwise.
    """
    args = _parse(argv)
    full = not args.quick and not args.only
    suites = selected_suites(args.only)
    started_at = datetime.now(timezone.utc)
    start = time.perf_counter()
    # A full run waits for a quiet machine before each suite, all waits within one budget.
    gate = QuietGate(0.0 if args.no_wait or not full else args.max_wait)
    load_start = load_average()
    log(f"load average at start {load_start}; suites: {', '.join(suites)}")
    machine = machine_facts()
    cases: dict[str, dict[str, object]] = {}
    if "flatten" in suites:
        from benchmarks.flatten import run_flatten

        cases.update(_run_suite("flatten", lambda: run_flatten(quick=args.quick), gate))
    spark_suites = [s for s in suites if s != "flatten" and s not in CHILD_SUITES]
    if spark_suites:
        cases.update(_run_spark(spark_suites, gate, quick=args.quick, keep_work=args.keep_work))
    if "write_default_session" in suites:
        from benchmarks.sessions import compare_sessions, run_default_session_child

        child = functools.partial(
            run_default_session_child, quick=args.quick, keep_work=args.keep_work
        )
        cases.update(_run_suite("write_default_session", child, gate))
        tuned = cases.get("write_1000_tuned_session")
        default = cases["write_1000_default_session"]
        if tuned is not None and "error" not in default:
            default["default_vs_tuned_session"] = compare_sessions(tuned, default)
    machine["load_avg_start"] = list(load_start)
    machine["load_avg_end"] = list(load_average())
    machine["waited_for_quiet_secs"] = round(sum(gate.waits.values()), 1)
    document = build_document(
        machine=machine,
        versions=versions(),
        run={
            "mode": "quick" if args.quick else "full",
            "cases": ", ".join(cases),
            "started_at": started_at.isoformat(timespec="seconds"),
            "duration_secs": round(time.perf_counter() - start, 1),
        },
        cases=cases,
    )
    required = CASE_FIGURES if full else {c: f for c, f in CASE_FIGURES.items() if c in cases}
    problems = shape_problems(document, required=required)
    output: Path | None = args.output if args.output is not None else (_HERE if full else None)
    if output is not None:
        # A partial run updates the committed results: the other cases keep their figures.
        previous = None if full else read_document(output / "results.json")
        document = merge_documents(previous, document)
        if previous is not None:
            log(f"merged {', '.join(cases)} into {output / 'results.json'}")
    markdown = render_markdown(document)
    if output is not None:
        output.mkdir(parents=True, exist_ok=True)
        write_document(document, output / "results.json", output / "results.md")
        log(f"wrote {output / 'results.json'} and {output / 'results.md'}")
    print(markdown)
    for problem in problems:
        log(f"results shape: {problem}")
    log(f"done in {time.perf_counter() - start:.1f}s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
