"""Unit tests of the benchmark harness: statistics, interleaving, the results document.

No JVM and nothing timed: clocks are fakes, and the Spark cases are not run here (``make
bench`` runs them).
"""

from __future__ import annotations

import json
import math
import statistics
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st

from benchmarks.__main__ import OPT_IN_SUITES, SUITES, _parse, _suite_of, selected_suites
from benchmarks.common import fresh_copies, legacy_report, mib, with_run_id
from benchmarks.environment import JobCounter, QuietGate, proc_status_kib, wait_for_quiet
from benchmarks.harness import (
    Summary,
    interleave,
    paired_ratios,
    quantile,
    ratio,
    rotated,
    speedup,
    summarize,
)
from benchmarks.results import (
    CASE_FIGURES,
    CASE_TITLES,
    HEADLINES,
    TARGETS,
    Target,
    build_document,
    check_targets,
    format_number,
    render_markdown,
    shape_problems,
    write_document,
)
from benchmarks.sessions import VARIANTS, compare_sessions, session_write_figures
from sparkforge.writer.models import report_problems
from tests.factories import make_report

if TYPE_CHECKING:
    from collections.abc import Iterator, MutableMapping
    from pathlib import Path

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@pytest.fixture(autouse=True)
def _no_jvm_started() -> Iterator[None]:
    """Fail any test here that starts a SparkContext (unit tests never start a JVM)."""
    from pyspark import SparkContext

    before = SparkContext._active_spark_context
    yield
    assert SparkContext._active_spark_context is before


class FakeClock:
    """A clock that advances by a given step each time a variant runs."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _complete_cases() -> dict[str, dict[str, object]]:
    return {case: dict.fromkeys(figures, 1.0) for case, figures in CASE_FIGURES.items()}


def _document(cases: dict[str, dict[str, object]] | None = None) -> dict[str, object]:
    return build_document(
        machine={"cpu_count": 2},
        versions={"sparkforge": "0.1.0"},
        run={"mode": "full"},
        cases=_complete_cases() if cases is None else cases,
    )


# ----------------------------------------------------------------------------- statistics


@pytest.mark.parametrize(
    ("samples", "q", "expected"),
    [
        ([5.0], 0.5, 5.0),
        ([1.0, 2.0, 3.0], 0.5, 2.0),
        ([4.0, 1.0, 3.0, 2.0], 0.5, 2.5),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 0.25, 2.0),
        ([1.0, 2.0, 3.0, 4.0, 5.0], 0.75, 4.0),
        ([1.0, 2.0, 3.0, 4.0], 0.25, 1.75),
        ([3.0, 1.0], 0.0, 1.0),
        ([3.0, 1.0], 1.0, 3.0),
    ],
    ids=["one", "odd-median", "even-median", "q1", "q3", "interpolated-q1", "min", "max"],
)
def test_quantile_interpolates_between_order_statistics(
    samples: list[float], q: float, expected: float
) -> None:
    assert quantile(samples, q) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("samples", "q"),
    [([], 0.5), ([1.0], -0.1), ([1.0], 1.5), ([1.0, math.nan], 0.5)],
    ids=["empty", "q-below-0", "q-above-1", "nan"],
)
def test_quantile_rejects_bad_input(samples: list[float], q: float) -> None:
    with pytest.raises(ValueError, match=r"."):
        quantile(samples, q)


@given(st.lists(finite, min_size=1, max_size=50))
def test_quantile_agrees_with_statistics_inclusive(samples: list[float]) -> None:
    if len(samples) >= 2:
        q1, _, q3 = statistics.quantiles(samples, n=4, method="inclusive")
        assert quantile(samples, 0.25) == pytest.approx(q1, rel=1e-9, abs=1e-6)
        assert quantile(samples, 0.75) == pytest.approx(q3, rel=1e-9, abs=1e-6)
    assert quantile(samples, 0.5) == pytest.approx(statistics.median(samples), rel=1e-9, abs=1e-6)


@given(st.lists(finite, min_size=1, max_size=50), st.floats(0, 1), st.floats(0, 1))
def test_quantile_is_monotonic_and_within_the_extremes(
    samples: list[float], a: float, b: float
) -> None:
    low, high = sorted((a, b))
    assert min(samples) <= quantile(samples, low) <= quantile(samples, high) <= max(samples)


def test_summarize_gives_median_quartiles_extremes_mean_and_count() -> None:
    summary = summarize([3.0, 1.0, 2.0, 10.0])
    assert summary == Summary(n=4, median=2.5, q1=1.75, q3=4.75, minimum=1.0, maximum=10.0,
                              mean=4.0)  # fmt: skip
    assert summary.iqr == pytest.approx(3.0)
    assert summary.as_dict(digits=2) == {
        "n": 4,
        "median": 2.5,
        "q1": 1.75,
        "q3": 4.75,
        "iqr": 3.0,
        "min": 1.0,
        "max": 10.0,
        "mean": 4.0,
    }


def test_summarize_of_one_sample_has_no_spread() -> None:
    summary = summarize([0.25])
    assert (summary.median, summary.iqr, summary.minimum, summary.maximum) == (0.25, 0, 0.25, 0.25)


def test_summarize_rejects_no_samples() -> None:
    with pytest.raises(ValueError, match="no samples"):
        summarize([])


@pytest.mark.parametrize(
    ("candidate", "baseline", "expected_ratio"),
    [
        ([1.1, 1.2, 1.3], [1.0, 1.0, 1.0], 1.2),
        (0.5, 2.0, 0.25),
        (summarize([3.0, 9.0, 6.0]), summarize([2.0, 4.0, 3.0]), 2.0),
    ],
    ids=["samples", "values", "summaries"],
)
def test_ratio_and_speedup_are_ratios_of_medians(
    candidate: list[float] | float | Summary,
    baseline: list[float] | float | Summary,
    expected_ratio: float,
) -> None:
    assert ratio(candidate, baseline) == pytest.approx(expected_ratio)
    assert speedup(candidate, baseline) == pytest.approx(1 / expected_ratio)


def test_ratio_uses_medians_so_one_outlier_does_not_move_it() -> None:
    assert ratio([1.0, 1.0, 100.0], [1.0, 1.0, 1.0]) == 1.0


@pytest.mark.parametrize(
    ("candidate", "baseline"),
    [(1.0, 0.0), (1.0, -1.0), ([], [1.0]), ([1.0], [])],
    ids=["zero-baseline", "negative-baseline", "empty-candidate", "empty-baseline"],
)
def test_ratio_rejects_a_baseline_it_cannot_divide_by(
    candidate: list[float] | float, baseline: list[float] | float
) -> None:
    with pytest.raises(ValueError, match=r"."):
        ratio(candidate, baseline)


def test_paired_ratios_divide_round_by_round() -> None:
    assert paired_ratios([2.0, 3.0, 9.0], [1.0, 2.0, 3.0]) == [2.0, 1.5, 3.0]


@pytest.mark.parametrize(
    ("candidate", "baseline"),
    [([1.0], [1.0, 2.0]), ([], []), ([1.0], [0.0])],
    ids=["unequal-rounds", "no-rounds", "zero-baseline"],
)
def test_paired_ratios_reject_rounds_that_do_not_pair(
    candidate: list[float], baseline: list[float]
) -> None:
    with pytest.raises(ValueError, match=r"."):
        paired_ratios(candidate, baseline)


def test_speedup_rejects_a_zero_candidate() -> None:
    with pytest.raises(ValueError, match="positive"):
        speedup(0.0, 1.0)


# ----------------------------------------------------------------------------- interleaving


def test_rotated_gives_each_variant_each_position_once_per_cycle() -> None:
    names = ["a", "b", "c"]
    orders = [rotated(names, r) for r in range(3)]
    assert all(sorted(order) == names for order in orders)
    for position in range(3):
        assert sorted(order[position] for order in orders) == names
    assert rotated([], 5) == []


def _fake_variants(
    clock: FakeClock, calls: list[tuple[str, int]], costs: dict[str, float]
) -> dict[str, object]:
    def variant(name: str) -> object:
        def run(round_index: int) -> None:
            calls.append((name, round_index))
            clock.now += costs[name]

        return run

    return {name: variant(name) for name in costs}


def test_interleave_measures_rounds_after_the_warmup_and_rotates_the_order() -> None:
    clock = FakeClock()
    calls: list[tuple[str, int]] = []
    variants = _fake_variants(clock, calls, {"candidate": 2.0, "baseline": 1.0})
    lines: list[str] = []
    runs = interleave(
        variants,  # type: ignore[arg-type]
        repetitions=3,
        warmup=1,
        clock=clock,
        progress=lines.append,
    )
    assert calls == [
        ("candidate", 0),
        ("baseline", 0),
        ("baseline", 1),
        ("candidate", 1),
        ("candidate", 2),
        ("baseline", 2),
        ("baseline", 3),
        ("candidate", 3),
    ]
    assert runs["candidate"].seconds == [2.0, 2.0, 2.0]
    assert runs["baseline"].seconds == [1.0, 1.0, 1.0]
    assert runs["candidate"].warmup_seconds == [2.0]
    assert ratio(runs["candidate"].summary(), runs["baseline"].summary()) == 2.0
    assert len(lines) == 4
    assert lines[0].startswith("warm-up 1/1")
    assert lines[-1].startswith("round 3/3")


def test_interleave_records_the_instruments_figures_outside_the_timer() -> None:
    clock = FakeClock()
    entered: list[str] = []

    @contextmanager
    def instrument(name: str) -> Iterator[MutableMapping[str, float]]:
        figures: dict[str, float] = {}
        entered.append(name)
        clock.now += 100.0  # instrument overhead must not be timed
        yield figures
        clock.now += 100.0
        figures["jobs"] = 5.0 if name == "a" else 1.0

    runs = interleave(
        _fake_variants(clock, [], {"a": 1.0, "b": 3.0}),  # type: ignore[arg-type]
        repetitions=2,
        warmup=1,
        clock=clock,
        instrument=instrument,
    )
    assert runs["a"].seconds == [1.0, 1.0]
    assert runs["b"].seconds == [3.0, 3.0]
    assert runs["a"].extra("jobs") == [5.0, 5.0]
    assert runs["b"].extra("jobs") == [1.0, 1.0]
    assert runs["a"].extra("missing") == []
    assert len(entered) == 6  # warm-up included, but its figures are not kept
    assert len(runs["a"].extras) == 2


@pytest.mark.parametrize(
    ("variants", "repetitions", "warmup", "message"),
    [
        ({}, 1, 0, "no variants"),
        ({"a": lambda i: None}, 0, 0, "repetitions"),
        ({"a": lambda i: None}, 1, -1, "warmup"),
    ],
    ids=["no-variants", "no-repetitions", "negative-warmup"],
)
def test_interleave_rejects_a_run_that_measures_nothing(
    variants: dict[str, object], repetitions: int, warmup: int, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        interleave(variants, repetitions=repetitions, warmup=warmup)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- results


def test_results_document_of_a_full_run_has_the_required_shape() -> None:
    document = _document()
    assert set(document) == {"machine", "versions", "run", "cases", "targets"}
    assert shape_problems(document) == []
    assert json.loads(json.dumps(document)) == document


def test_required_cases_are_those_of_the_issue() -> None:
    assert CASE_FIGURES == {
        "flatten": ("rows_per_s",),
        "write_1000_vs_raw": ("ratio",),
        "batch_100_vs_single": ("speedup", "commits"),
        "report_100k": ("seconds", "peak_mem_mib"),
        "jobs_per_write": ("jobs",),
        "legacy_vs_new_10k": ("ratio",),
        "filtered_read_1m": ("speedup",),
        "write_1000_tuned_session": ("ratio_vs_idempotent_append",),
        "write_1000_default_session": ("ratio_vs_idempotent_append",),
        "layout_reads_1m": ("pipeline_4_weeks_best_ratio", "run_by_id_best_ratio"),
        "aging_writes": (
            "write_seconds_aged",
            "aged_vs_young",
            "compaction_vs_plain_aged",
            "files_aged",
            "files_aged_compaction",
        ),
        "analytics_1m": ("summary_vs_full_scan", "trends_vs_full_scan", "anomalies_vs_full_scan"),
    }
    for case, figures in CASE_FIGURES.items():
        assert case in CASE_TITLES
        assert HEADLINES[case][: len(figures)] == figures


def test_every_required_case_is_produced_by_a_suite() -> None:
    produced = {case for cases in SUITES.values() for case in cases}
    assert set(CASE_FIGURES) <= produced
    assert all(_suite_of(case) in SUITES for case in produced)
    assert _suite_of("jobs_per_write") == "write_1000"


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda c: c.pop("flatten"), "cases.flatten is missing"),
        (lambda c: c["report_100k"].pop("peak_mem_mib"), "cases.report_100k.peak_mem_mib"),
        (lambda c: c["write_1000_vs_raw"].update(ratio="1.1"), "cases.write_1000_vs_raw.ratio"),
        (lambda c: c["jobs_per_write"].update(jobs=math.nan), "cases.jobs_per_write.jobs"),
        (lambda c: c["filtered_read_1m"].update(speedup=True), "cases.filtered_read_1m.speedup"),
        (lambda c: c["batch_100_vs_single"].update(commits=None), "batch_100_vs_single.commits"),
    ],
    ids=["missing-case", "missing-figure", "text", "nan", "bool", "none"],
)
def test_shape_problems_name_each_missing_or_invalid_figure(mutate: object, problem: str) -> None:
    cases = _complete_cases()
    mutate(cases)  # type: ignore[operator]
    problems = shape_problems(_document(cases))
    assert len(problems) == 1
    assert problem in problems[0]


def test_shape_problems_of_a_document_without_its_parts() -> None:
    assert shape_problems({}) == [
        "machine is missing or not an object",
        "versions is missing or not an object",
        "cases is missing or not an object",
    ]


def test_build_document_puts_required_cases_first_and_keeps_the_others() -> None:
    cases: dict[str, dict[str, object]] = {"extra_case": {"figure": 1.0}, **_complete_cases()}
    document = build_document(machine={}, versions={}, run={}, cases=cases)
    assert isinstance(document["cases"], dict)
    assert list(document["cases"]) == [*CASE_FIGURES, "extra_case"]


@pytest.mark.parametrize(
    ("target", "measured", "met"),
    [
        (Target("c", "f", "<", 30), 29.9, True),
        (Target("c", "f", "<", 30), 30.0, False),
        (Target("c", "f", "<=", 1.15), 1.15, True),
        (Target("c", "f", ">=", 10), 9.99, False),
        (Target("c", "f", ">", 0), 0.5, True),
    ],
    ids=["lt", "lt-equal", "le-equal", "ge-below", "gt"],
)
def test_target_holds_by_its_comparison(target: Target, measured: float, met: bool) -> None:
    assert target.holds(measured) is met


def test_check_targets_reports_met_missed_and_not_measured() -> None:
    cases: dict[str, dict[str, object]] = {
        "flatten": {"rows_per_s": 350_000},
        "write_1000_vs_raw": {"ratio": 2.1},
        "jobs_per_write": {"error": "boom"},
    }
    checks = {(c.target.case, c.target.figure): c for c in check_targets(cases)}
    assert checks["flatten", "rows_per_s"].met is True
    assert checks["write_1000_vs_raw", "ratio"].met is False
    assert checks["jobs_per_write", "jobs"].met is None
    assert checks["jobs_per_write", "jobs"].as_dict()["measured"] is None
    assert len(checks) == len(TARGETS)


def test_the_targets_are_those_of_the_issue() -> None:
    assert {(t.case, t.figure, t.op, t.value) for t in TARGETS} == {
        ("flatten", "rows_per_s", ">=", 300_000),
        ("write_1000_vs_raw", "ratio", "<=", 1.15),
        ("batch_100_vs_single", "speedup", ">=", 10),
        ("report_100k", "seconds", "<", 30),
        ("report_100k", "peak_mem_mib", "<", 1024),
        ("jobs_per_write", "jobs", "<=", 2),
        ("write_1000_tuned_session", "ratio_vs_idempotent_append", "<=", 1.10),
        ("write_1000_default_session", "ratio_vs_idempotent_append", "<=", 1.10),
        ("analytics_1m", "summary_vs_full_scan", "<=", 3.0),
        ("analytics_1m", "trends_vs_full_scan", "<=", 3.0),
        ("analytics_1m", "anomalies_vs_full_scan", "<=", 3.0),
    }


def test_render_markdown_shows_every_case_its_targets_and_its_summaries() -> None:
    cases = _complete_cases()
    cases["write_1000_vs_raw"]["seconds"] = {"raw": summarize([0.5, 0.4, 0.6]).as_dict()}
    cases["write_1000_vs_raw"]["note"] = "ratio = writer / raw"
    cases["jobs_per_write"]["per_write"] = [5, 5, 11]
    text = render_markdown(_document(cases))
    for case in CASE_FIGURES:
        assert f"| {case} |" in text
        assert f"## {case}" in text
    assert "| seconds.raw | 0.500 | 0.450 | 0.550 | 0.400 | 0.600 | 0.500 | 3 |" in text
    assert "Note: ratio = writer / raw" in text
    assert "- per_write: [5, 5, 11]" in text
    assert "ratio <= 1.150" in text


def test_write_document_writes_json_and_markdown(tmp_path: Path) -> None:
    document = _document()
    write_document(document, tmp_path / "results.json", tmp_path / "results.md")
    assert json.loads((tmp_path / "results.json").read_text(encoding="utf-8")) == document
    assert (tmp_path / "results.md").read_text(encoding="utf-8") == render_markdown(document)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1234567, "1,234,567"),
        (1234.5678, "1,235"),
        (12.3456, "12.35"),
        (0.123456, "0.123"),
        (2.0, "2"),
        (0.0, "0"),
        (None, "-"),
        (True, "yes"),
        (math.inf, "inf"),
        ("text", "text"),
    ],
    ids=["int", "thousands", "tens", "small", "whole", "zero", "none", "bool", "inf", "str"],
)
def test_format_number(value: object, text: str) -> None:
    assert format_number(value) == text


# ----------------------------------------------------------------------------- helpers


def test_wait_for_quiet_polls_until_the_load_drops() -> None:
    loads = iter([3.0, 2.0, 1.0])
    current = [3.0]
    slept: list[float] = []

    def load() -> tuple[float, float, float]:
        return (current[0], 0.0, 0.0)

    def sleep(secs: float) -> None:
        slept.append(secs)
        current[0] = next(loads)

    waited, quiet = wait_for_quiet(threshold=1.5, poll_secs=10, load=load, sleep=sleep)
    assert (waited, quiet) == (30.0, True)
    assert slept == [10, 10, 10]


def test_wait_for_quiet_gives_up_after_the_timeout() -> None:
    slept: list[float] = []
    waited, quiet = wait_for_quiet(
        threshold=1.5,
        timeout_secs=20,
        poll_secs=10,
        load=lambda: (4.0, 4.0, 4.0),
        sleep=slept.append,
    )
    assert (waited, quiet) == (20.0, False)
    assert slept == [10, 10]


def test_quiet_gate_shares_one_budget_between_its_waits() -> None:
    slept: list[float] = []
    gate = QuietGate(25, poll_secs=10, load=lambda: (4.0, 3.0, 2.0), sleep=slept.append)
    first = gate.wait("a")
    second = gate.wait("b")
    assert first == {"load_avg": [4.0, 3.0, 2.0], "waited_secs": 30.0, "quiet": False}
    assert second["waited_secs"] == 0.0
    assert gate.waits == {"a": 30.0, "b": 0.0}
    assert slept == [10, 10, 10]


def test_quiet_gate_does_not_wait_on_a_quiet_machine() -> None:
    gate = QuietGate(100, load=lambda: (0.5, 0.5, 0.5), sleep=lambda secs: None)
    assert gate.wait("a") == {"load_avg": [0.5, 0.5, 0.5], "waited_secs": 0.0, "quiet": True}


def test_proc_status_of_a_missing_process_is_none() -> None:
    assert proc_status_kib(2**22 + 12345, "VmRSS") is None


def test_mib_rounds_bytes_and_keeps_none() -> None:
    assert mib(3 * 1024 * 1024 + 100_000) == 3.1
    assert mib(None) is None


def test_fresh_copies_get_their_own_run_ids_and_stay_valid() -> None:
    report = make_report(5)
    copies = fresh_copies(report, 3)
    assert len({copy.run_id for copy in copies} | {report.run_id}) == 4
    for copy in copies:
        assert copy.context is not None
        assert copy.context.run_id == copy.run_id
        assert copy.steps is report.steps
        assert report_problems(copy) == []
    assert with_run_id(report, "r-1").run_id == "r-1"


def test_legacy_report_describes_the_same_steps_to_the_legacy_flattener() -> None:
    from sparkforge.writer.legacy import flatten_report_min

    report = make_report(9)
    with pytest.warns(DeprecationWarning, match="flatten_report_min is deprecated"):
        rows = flatten_report_min(legacy_report(report))
    assert [(row["phase"], row["step"]) for row in rows] == [
        (str(step.phase.value), step.step_name) for step in report.steps
    ]
    assert [row["valid_rows"] for row in rows] == [step.valid_rows for step in report.steps]


def test_command_line_options() -> None:
    args = _parse(["--quick", "--only", "flatten", "--only", "jobs_per_write", "--no-wait"])
    assert args.quick
    assert args.no_wait
    assert args.only == ["flatten", "jobs_per_write"]
    with pytest.raises(SystemExit):
        _parse(["--only", "no_such_case"])


# ----------------------------------------------------------------------------- sessions


def test_session_write_figures_are_ratios_of_medians_against_the_idempotent_append() -> None:
    figures = session_write_figures(
        {
            "writer": [2.2, 2.0, 9.0],  # one outlier: the median ignores it
            "idempotent_append": [2.0, 1.6, 2.0],
            "plain_append": [1.0, 0.8, 1.2],
        }
    )
    assert figures == {
        "ratio_vs_idempotent_append": round(2.2 / 2.0, 3),
        "ratio_vs_idempotent_append_paired": 1.25,  # per round: 1.1, 1.25, 4.5
        "ratio_vs_plain_append": round(2.2 / 1.0, 3),
        "idempotent_vs_plain_append": 2.0,
    }


@pytest.mark.parametrize(
    ("ratio_measured", "met"),
    [(1.10, True), (1.101, False), (0.9, True)],
    ids=["at-target", "just-over", "faster"],
)
def test_session_targets_hold_up_to_1_10(ratio_measured: float, met: bool) -> None:
    cases = {
        case: {"ratio_vs_idempotent_append": ratio_measured}
        for case in ("write_1000_tuned_session", "write_1000_default_session")
    }
    checks = [c for c in check_targets(cases) if c.target.case in cases]
    assert [c.met for c in checks] == [met, met]


@pytest.mark.parametrize(
    ("seconds", "problem"),
    [
        ({"writer": [1.0], "plain_append": [1.0]}, "no measurements of idempotent_append"),
        ({"writer": [1.0, 1.0], "idempotent_append": [1.0], "plain_append": [1.0]}, "rounds"),
        ({"writer": [1.0], "idempotent_append": [0.0], "plain_append": [1.0]}, "positive"),
    ],
    ids=["missing-variant", "unpaired", "zero-baseline"],
)
def test_session_write_figures_reject_measurements_they_cannot_divide(
    seconds: dict[str, list[float]], problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        session_write_figures(seconds)


@given(
    base=st.lists(st.floats(min_value=0.01, max_value=100.0), min_size=1, max_size=9),
    factor=st.floats(min_value=0.5, max_value=3.0),
)
def test_session_write_figures_scale_with_the_writer(base: list[float], factor: float) -> None:
    seconds = {
        "writer": [b * factor for b in base],
        "idempotent_append": base,
        "plain_append": base,
    }
    figures = session_write_figures(seconds)
    assert figures["ratio_vs_idempotent_append"] == pytest.approx(factor, abs=1e-3)
    assert figures["ratio_vs_idempotent_append_paired"] == pytest.approx(factor, abs=1e-3)
    assert figures["idempotent_vs_plain_append"] == 1.0


def test_compare_sessions_divides_the_default_medians_by_the_tuned_ones() -> None:
    tuned = {"seconds": {name: summarize([0.5, 0.5]).as_dict() for name in VARIANTS}}
    default = {
        "seconds": {
            "writer": summarize([2.0, 1.0]).as_dict(),
            "idempotent_append": summarize([1.0]).as_dict(),
            "plain_append": {"median": "n/a", "n": 1},
        }
    }
    assert compare_sessions(tuned, default) == {"writer": 3.0, "idempotent_append": 2.0}
    assert compare_sessions({"error": "boom"}, default) == {}


def test_session_cases_have_titles_headlines_and_run_in_the_suites() -> None:
    for case in ("write_1000_tuned_session", "write_1000_default_session"):
        assert case in CASE_TITLES
        assert HEADLINES[case][0] == "ratio_vs_idempotent_append"
    assert _suite_of("write_1000_tuned_session") == "write_tuned_session"
    assert _suite_of("write_1000_default_session") == "write_default_session"
    assert list(SUITES)[-1] == "write_default_session"  # after the main session has stopped


def test_render_markdown_shows_the_session_targets() -> None:
    cases = _complete_cases()
    cases["write_1000_default_session"]["ratio_vs_idempotent_append"] = 1.42
    text = render_markdown(_document(cases))
    assert "ratio_vs_idempotent_append <= 1.100" in text
    row = next(line for line in text.splitlines() if line.startswith("| write_1000_default"))
    assert "ratio_vs_idempotent_append 1.420" in row
    assert row.endswith("| no |")


class _FakeTracker:
    def __init__(self, jobs: dict[str, dict[int, list[int]]], stages: dict[int, object]) -> None:
        self._jobs = jobs
        self._stages = stages

    def getJobIdsForGroup(self, group: str) -> list[int]:  # PySpark's names
        return next((list(j) for g, j in self._jobs.items() if group.startswith(g)), [])

    def getJobInfo(self, job_id: int) -> object:
        stage_ids = next(j[job_id] for j in self._jobs.values() if job_id in j)
        return type("JobInfo", (), {"stageIds": stage_ids})()

    def getStageInfo(self, stage_id: int) -> object:
        return self._stages.get(stage_id)


def _stage(completed: int, failed: int = 0) -> object:
    return type("StageInfo", (), {"numCompletedTasks": completed, "numFailedTasks": failed})()


def test_job_counter_counts_the_tasks_that_ran_in_the_groups_stages() -> None:
    tracker = _FakeTracker(
        {"g": {1: [10, 11], 2: [12, 13]}},
        # 11 was skipped (reused shuffle output: no task ran); 13 is no longer known.
        {10: _stage(50), 11: _stage(0), 12: _stage(1, failed=1)},
    )
    context = type("Context", (), {"statusTracker": lambda self: tracker})()
    counter = JobCounter(context)
    assert counter.task_count("g-1") == 52
    assert counter.task_count("other") == 0


# ----------------------------------------------------------------- layouts, aging, analytics


def test_the_new_cases_run_in_their_suites_and_the_10k_aging_only_when_asked() -> None:
    assert _suite_of("layout_reads_1m") == "layout_reads"
    assert _suite_of("aging_writes") == "aging"
    assert _suite_of("analytics_1m") == "analytics"
    assert _suite_of("aging_writes_10k") == "aging_10k"
    assert OPT_IN_SUITES == ("aging_10k",)
    default = selected_suites(None)
    assert "aging_10k" not in default
    assert default == [suite for suite in SUITES if suite != "aging_10k"]
    assert "aging_writes_10k" not in CASE_FIGURES  # a full run does not require it
    assert selected_suites(["aging_writes_10k", "flatten"]) == ["flatten", "aging_10k"]
    assert selected_suites(["aging_writes"]) == ["aging"]
    for case in ("layout_reads_1m", "aging_writes", "aging_writes_10k", "analytics_1m"):
        assert case in CASE_TITLES
        assert case in HEADLINES


def _layout_seconds() -> dict[str, list[float]]:
    from benchmarks.layouts import LAYOUT_QUERIES, LAYOUT_STATES, LAYOUTS

    # partitioned_raw 2 s on every query; each other table faster or slower by a factor
    factors = {
        "partitioned_raw": 1.0,
        "partitioned_optimized": 0.9,
        "unpartitioned_raw": 1.5,
        "unpartitioned_optimized": 0.7,
        "clustered_raw": 1.4,
        "clustered_optimized": 0.4,
    }
    assert set(factors) == {f"{layout}_{state}" for layout in LAYOUTS for state in LAYOUT_STATES}
    seconds = {}
    for table, factor in factors.items():
        for query in LAYOUT_QUERIES:
            bump = 0.5 if (table, query) == ("unpartitioned_optimized", "run_by_id") else 1.0
            seconds[f"{table}_{query}"] = [2.0 * factor * bump, 2.0 * factor * bump, 50.0]
    return seconds


def test_layout_figures_are_ratios_to_partitioned_raw_with_the_fastest_table() -> None:
    from benchmarks.layouts import layout_figures

    figures = layout_figures(_layout_seconds())
    assert figures["best"] == {
        "pipeline_4_weeks": "clustered_optimized",
        "run_by_id": "unpartitioned_optimized",
        "full_scan": "clustered_optimized",
    }
    assert figures["pipeline_4_weeks_best_ratio"] == 0.4
    assert figures["run_by_id_best_ratio"] == 0.35
    ratios = figures["ratios"]
    assert isinstance(ratios, dict)
    assert ratios["pipeline_4_weeks"]["partitioned_raw"] == 1.0
    assert ratios["full_scan"]["unpartitioned_raw"] == 1.5
    assert len(ratios["run_by_id"]) == 6


def test_layout_figures_need_the_baseline_of_each_query() -> None:
    from benchmarks.layouts import layout_figures

    seconds = _layout_seconds()
    del seconds["partitioned_raw_run_by_id"]
    with pytest.raises(ValueError, match="partitioned_raw_run_by_id"):
        layout_figures(seconds)


def test_aging_times_two_writes_each_side_of_every_age() -> None:
    from benchmarks.aging import timed_commits

    assert sorted(timed_commits([10, 1000])) == [8, 9, 10, 11, 12, 998, 999, 1000, 1001, 1002]
    assert sorted(timed_commits([1, 3])) == [1, 2, 3, 4, 5]


def test_aging_figures_compare_ages_and_the_two_compactions_to_plain() -> None:
    from benchmarks.aging import AGING_TABLES, aging_figures

    assert AGING_TABLES == ("plain", "writer_compaction", "delta_autocompact")
    seconds = {
        "plain": {10: [0.4, 0.5, 0.6, 0.5, 9.0], 1000: [1.0, 1.2, 1.1, 1.0, 1.0]},
        "writer_compaction": {10: [0.5, 0.5, 0.5, 0.5, 0.5], 1000: [0.6, 0.6, 4.0, 0.7, 0.6]},
        "delta_autocompact": {10: [0.5, 0.4, 0.5, 0.6, 0.5], 1000: [0.55, 0.55, 0.5, 0.6, 0.55]},
    }
    files = {
        "plain": {10: 10, 1000: 1000},
        "writer_compaction": {10: 10, 1000: 7},
        "delta_autocompact": {10: 10, 1000: 21},
    }
    figures = aging_figures(seconds, files, [10, 1000])
    assert {k: v for k, v in figures.items() if k != "at"} == {
        "write_seconds_young": 0.5,
        "write_seconds_aged": 1.0,
        "write_seconds_aged_compaction": 0.6,
        "write_seconds_aged_autocompact": 0.55,
        "aged_vs_young": 2.0,
        "aged_vs_young_compaction": 1.2,
        "aged_vs_young_autocompact": 1.1,
        "compaction_vs_plain_young": 1.0,
        "compaction_vs_plain_aged": 0.6,
        "autocompact_vs_plain_young": 1.0,
        "autocompact_vs_plain_aged": 0.55,
        "files_aged": 1000,
        "files_aged_compaction": 7,
        "files_aged_autocompact": 21,
        "young_n": 10,
        "aged_n": 1000,
    }
    assert figures["at"] == {
        "10": {
            "plain": {"median": 0.5, "mean": 2.2, "max": 9.0, "files": 10},
            "writer_compaction": {"median": 0.5, "mean": 0.5, "max": 0.5, "files": 10},
            "delta_autocompact": {"median": 0.5, "mean": 0.5, "max": 0.6, "files": 10},
            "compaction_vs_plain": 1.0,
            "autocompact_vs_plain": 1.0,
        },
        "1000": {
            "plain": {"median": 1.0, "mean": 1.06, "max": 1.2, "files": 1000},
            "writer_compaction": {"median": 0.6, "mean": 1.3, "max": 4.0, "files": 7},
            "delta_autocompact": {"median": 0.55, "mean": 0.55, "max": 0.6, "files": 21},
            "compaction_vs_plain": 0.6,
            "autocompact_vs_plain": 0.55,
        },
    }
    cases = {"aging_writes": figures}
    assert shape_problems(_document({**_complete_cases(), **cases})) == []
    markdown = render_markdown(_document({**_complete_cases(), **cases}))
    assert "compaction_vs_plain_aged 0.600; files_aged 1,000; files_aged_compaction 7" in markdown
    with pytest.raises(ValueError, match="two ages"):
        aging_figures(seconds, files, [10])
    del seconds["writer_compaction"]
    with pytest.raises(KeyError, match="writer_compaction"):
        aging_figures(seconds, files, [10, 1000])


def test_aging_tables_compact_as_their_names_say() -> None:
    from benchmarks.aging import AGING_TABLES, AUTO_COMPACT, _table_options
    from sparkforge.writer import WriterConfig

    expected = {
        "plain": (None, False),
        "writer_compaction": (100, False),
        "delta_autocompact": (None, True),
    }
    for name in AGING_TABLES:
        options, auto = _table_options(name)
        config = WriterConfig(table_schema="s", table_name="t", **options)  # type: ignore[arg-type]
        properties = config.effective_table_properties
        on = properties.get(AUTO_COMPACT, "false") == "true"
        assert (config.compact_every, auto) == expected[name]
        assert on is auto


def test_auto_compaction_options_go_through_the_writer_config() -> None:
    from benchmarks.aging import AUTO_COMPACT, auto_compaction_options
    from sparkforge.writer import WriterConfig

    for enabled in (True, False):
        config = WriterConfig(table_schema="s", table_name="t", **auto_compaction_options(enabled))  # type: ignore[arg-type]
        properties = config.effective_table_properties
        properties = properties() if callable(properties) else properties
        assert (properties.get(AUTO_COMPACT) == "true") is enabled


def test_analytics_figures_divide_each_question_by_the_full_scan_of_the_same_run() -> None:
    from benchmarks.analytics import analytics_figures

    figures = analytics_figures(
        {
            "full_scan": [1.0, 2.0, 1.5],
            "summary": [2.0, 4.0, 3.0],
            "trends": [1.0, 1.0, 6.0],
            "anomalies": [4.0, 2.0, 1.5],
        }
    )
    assert figures == {
        "full_scan_seconds": 1.5,
        "summary_seconds": 3.0,
        "summary_vs_full_scan": 2.0,
        "summary_vs_full_scan_paired": 2.0,
        "trends_seconds": 1.0,
        "trends_vs_full_scan": 0.667,
        "trends_vs_full_scan_paired": 1.0,
        "anomalies_seconds": 2.0,
        "anomalies_vs_full_scan": 1.333,
        "anomalies_vs_full_scan_paired": 1.0,
    }
    checks = {
        c.target.figure: c.met
        for c in check_targets({"analytics_1m": {**figures, "anomalies_vs_full_scan": 3.2}})
        if c.target.case == "analytics_1m"
    }
    assert checks == {
        "summary_vs_full_scan": True,
        "trends_vs_full_scan": True,
        "anomalies_vs_full_scan": False,
    }
    with pytest.raises(ValueError, match="full_scan"):
        analytics_figures({"summary": [1.0]})


def test_analytics_questions_resolve_to_functions_or_none() -> None:
    import types

    from benchmarks.analytics import QUESTIONS, question

    assert set(QUESTIONS) == {"summary", "trends", "anomalies"}
    for name in QUESTIONS:
        found = question(name)
        assert found is None or not isinstance(found, types.ModuleType)


# ----------------------------------------------------------------- aging fill, merging


@given(
    ages=st.lists(st.integers(min_value=1, max_value=400), min_size=1, max_size=4, unique=True),
    window=st.integers(min_value=0, max_value=3),
)
def test_fill_kinds_make_the_commits_before_each_timed_window_real(
    ages: list[int], window: int
) -> None:
    from benchmarks.aging_fill import REAL_BEFORE, fill_kinds

    last = max(ages) + window
    kinds = fill_kinds(sorted(ages), window, last)
    assert sorted(kinds) == list(range(1, last + 1))
    timed = {k for n in ages for k in range(max(1, n - window), n + window + 1)}
    assert {k for k, kind in kinds.items() if kind == "timed"} == timed
    for start in (k for k in timed if k - 1 not in timed):
        # Delta writes a checkpoint every 10th version: more than 10 real commits before
        # a window (or all of them from the first) leave its checkpoint to Delta itself.
        before = range(max(1, start - REAL_BEFORE), start)
        assert all(kinds[k] in ("real", "timed") for k in before)
    assert REAL_BEFORE > 10
    assert set(kinds.values()) <= {"timed", "real", "staged"}


def test_fill_kinds_stage_most_commits_of_a_long_aging() -> None:
    from benchmarks.aging_fill import fill_kinds

    kinds = fill_kinds([10, 1_000, 10_000], 2, 10_002)
    counts = {kind: list(kinds.values()).count(kind) for kind in ("timed", "real", "staged")}
    assert counts == {"timed": 15, "real": 7 + 12 + 12, "staged": 10_002 - 15 - 31}


def test_a_staged_commit_holds_what_a_write_report_commit_holds() -> None:
    import json

    from benchmarks.aging_fill import commit_lines
    from sparkforge.writer._commit import MARKER_PREFIX, logged_runs, transaction_for

    add = {"path": "part-1.parquet", "size": 123, "stats": "{}", "partitionValues": {}}
    text = commit_lines(add, run_id="r-7", rows=10, read_version=41, timestamp_ms=5, engine="e")
    info, txn, added = (json.loads(line) for line in text.splitlines())
    assert txn == {
        "txn": {"appId": transaction_for(["r-7"]).app_id, "version": 0, "lastUpdated": 5}
    }
    assert added == {"add": {**add, "dataChange": True}}
    commit = info["commitInfo"]
    assert commit["operation"] == "WRITE"
    assert commit["operationParameters"]["mode"] == "Append"
    assert commit["readVersion"] == 41
    assert commit["isBlindAppend"] is True
    assert commit["operationMetrics"] == {
        "numFiles": "1",
        "numOutputRows": "10",
        "numOutputBytes": "123",
    }
    marker = commit["userMetadata"]
    assert marker.startswith(f"{MARKER_PREFIX}{transaction_for(['r-7']).app_id}#")
    assert logged_runs(marker) == 1
    second = commit_lines(add, run_id="r-7", rows=10, read_version=41, timestamp_ms=5, engine="e")
    assert json.loads(second.splitlines()[0])["commitInfo"]["txnId"] != commit["txnId"]


def _run_document(
    started_at: str, load: float, cases: dict[str, dict[str, object]]
) -> dict[str, object]:
    return build_document(
        machine={"cpu_count": 2, "load_avg_start": [load], "load_avg_end": [load + 1]},
        versions={"sparkforge": "0.1.0"},
        run={"mode": "full", "started_at": started_at, "duration_secs": 1.0},
        cases=cases,
    )


def test_merge_keeps_the_other_cases_with_their_dates_and_load() -> None:
    from benchmarks.merging import merge_documents

    old = _run_document(
        "2026-12-01T21:00:00+00:00",
        3.0,
        {"flatten": {"rows_per_s": 5.0, "load_avg_before": [3.0]}, "report_100k": {"seconds": 4.0}},
    )
    new = _run_document("2026-12-06T23:00:00+00:00", 9.0, {"report_100k": {"seconds": 2.0}})
    merged = merge_documents(old, new)
    cases = merged["cases"]
    assert isinstance(cases, dict)
    assert list(cases) == ["flatten", "report_100k"]
    assert cases["flatten"] == {
        "rows_per_s": 5.0,
        "load_avg_before": [3.0],
        "measured_at": "2026-12-01T21:00:00+00:00",
        "run_mode": "full",
    }
    assert cases["report_100k"]["seconds"] == 2.0
    assert cases["report_100k"]["measured_at"] == "2026-12-06T23:00:00+00:00"
    assert merged["runs"] == [
        {
            "started_at": "2026-12-01T21:00:00+00:00",
            "mode": "full",
            "duration_secs": 1.0,
            "load_avg_start": [3.0],
            "load_avg_end": [4.0],
            "waited_for_quiet_secs": None,
            "versions": {"sparkforge": "0.1.0"},
            "cases": ["flatten"],
        },
        {
            "started_at": "2026-12-06T23:00:00+00:00",
            "mode": "full",
            "duration_secs": 1.0,
            "load_avg_start": [9.0],
            "load_avg_end": [10.0],
            "waited_for_quiet_secs": None,
            "versions": {"sparkforge": "0.1.0"},
            "cases": ["report_100k"],
        },
    ]
    assert merged["run"] == new["run"]
    # The targets are checked again over the merged cases.
    targets = merged["targets"]
    assert isinstance(targets, list)
    checks = {(t["case"], t["figure"]): t for t in targets}
    assert checks[("report_100k", "seconds")]["measured"] == 2.0
    assert checks[("flatten", "rows_per_s")]["measured"] == 5.0


def test_merge_drops_a_run_whose_cases_were_all_measured_again() -> None:
    from benchmarks.merging import merge_documents

    first = merge_documents(None, _run_document("t0", 1.0, {"flatten": {"rows_per_s": 1.0}}))
    second = merge_documents(first, _run_document("t1", 2.0, {"report_100k": {"seconds": 1.0}}))
    third = merge_documents(second, _run_document("t2", 3.0, {"flatten": {"rows_per_s": 2.0}}))
    runs = third["runs"]
    assert isinstance(runs, list)
    assert [(r["started_at"], r["cases"]) for r in runs] == [
        ("t1", ["report_100k"]),
        ("t2", ["flatten"]),
    ]
    assert "Runs whose cases are here" in render_markdown(third)
    assert "- started_at t1, mode full" in render_markdown(third)


def test_merge_without_previous_results_stands_alone() -> None:
    from benchmarks.merging import merge_documents

    alone = merge_documents(None, _run_document("t0", 1.0, {"flatten": {"rows_per_s": 1.0}}))
    assert alone["cases"] == {
        "flatten": {"rows_per_s": 1.0, "measured_at": "t0", "run_mode": "full"}
    }
    runs = alone["runs"]
    assert isinstance(runs, list)
    assert [r["cases"] for r in runs] == [["flatten"]]


def test_read_document_of_a_missing_or_broken_file_is_none(tmp_path: Path) -> None:
    from benchmarks.merging import read_document

    assert read_document(tmp_path / "results.json") is None
    (tmp_path / "results.json").write_text("{not json", encoding="utf-8")
    assert read_document(tmp_path / "results.json") is None
    (tmp_path / "results.json").write_text('{"cases": {}}', encoding="utf-8")
    assert read_document(tmp_path / "results.json") == {"cases": {}}


def test_only_with_output_merges_into_the_results_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import benchmarks.flatten
    from benchmarks.__main__ import main

    committed = _run_document(
        "2026-12-01T21:00:00+00:00",
        3.0,
        {"flatten": {"rows_per_s": 1.0}, "report_100k": {"seconds": 4.0, "peak_mem_mib": 9.0}},
    )
    write_document(committed, tmp_path / "results.json", tmp_path / "results.md")
    measured = {"rows_per_s": 777_000.0, "repetitions": 1}
    monkeypatch.setattr(benchmarks.flatten, "run_flatten", lambda *, quick: dict(measured))
    assert main(["--only", "flatten", "--output", str(tmp_path), "--no-wait"]) == 0
    merged = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert merged["cases"]["report_100k"] == {
        "seconds": 4.0,
        "peak_mem_mib": 9.0,
        "measured_at": "2026-12-01T21:00:00+00:00",
        "run_mode": "full",
    }
    assert merged["cases"]["flatten"]["rows_per_s"] == 777_000.0
    assert merged["cases"]["flatten"]["measured_at"] == merged["run"]["started_at"]
    assert [r["cases"] for r in merged["runs"]] == [["report_100k"], ["flatten"]]
    markdown = (tmp_path / "results.md").read_text(encoding="utf-8")
    assert "| report_100k |" in markdown
    assert "rows_per_s 777,000" in markdown


def test_only_with_output_into_an_empty_directory_writes_just_its_cases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import benchmarks.flatten
    from benchmarks.__main__ import main

    monkeypatch.setattr(benchmarks.flatten, "run_flatten", lambda *, quick: {"rows_per_s": 1.0})
    assert main(["--only", "flatten", "--output", str(tmp_path), "--no-wait"]) == 0
    written = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert list(written["cases"]) == ["flatten"]
