"""The step scheduler: dependency order, concurrency limit, skipping what a failure blocks."""

from __future__ import annotations

import threading
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparkforge.models import Phase, StepResult, StepStatus
from sparkforge.pipeline._scheduler import execute_graph

_T = datetime(2026, 1, 1, tzinfo=timezone.utc)


def _result(name: str, status: StepStatus, blame: str | None = None) -> StepResult:
    return StepResult(
        step_name=name,
        phase=Phase.SILVER,
        status=status,
        started_at=None if status is StepStatus.SKIPPED else _T,
        ended_at=None if status is StepStatus.SKIPPED else _T,
        duration_secs=None if status is StepStatus.SKIPPED else 0.0,
        table_fqn=blame,  # the tests read the blamed step back from here
    )


class _Recorder:
    """Runs steps (failing some), records order, start/finish and the peak concurrency."""

    def __init__(self, failing: set[str], barrier: threading.Barrier | None = None) -> None:
        self.failing = failing
        self.barrier = barrier
        self.lock = threading.Lock()
        self.active = 0
        self.peak = 0
        self.ran: list[str] = []
        self.finished: set[str] = set()
        self.seen_done_deps: dict[str, set[str]] = {}

    def run(self, name: str) -> StepResult:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.ran.append(name)
            self.seen_done_deps[name] = set(self.finished)
        if self.barrier is not None:
            self.barrier.wait(timeout=30)
        with self.lock:
            self.active -= 1
            self.finished.add(name)
        return _result(name, StepStatus.FAILED if name in self.failing else StepStatus.SUCCESS)

    def skip(self, name: str, upstream: str) -> StepResult:
        return _result(name, StepStatus.SKIPPED, blame=upstream)


DEPS = {"b": (), "s1": ("b",), "s2": ("b",), "s3": ("s1",), "g": ("s2", "s3")}
ORDER = ("b", "s1", "s2", "s3", "g")


@pytest.mark.parametrize("parallel", [1, 3], ids=["sequential", "threads"])
def test_execute_graph_runs_everything_in_order_when_nothing_fails(parallel: int) -> None:
    recorder = _Recorder(failing=set())
    results = execute_graph(
        ORDER, DEPS, run=recorder.run, skip=recorder.skip, max_parallel=parallel
    )
    assert [r.step_name for r in results] == list(ORDER)
    assert {r.status for r in results} == {StepStatus.SUCCESS}
    for name, deps in DEPS.items():
        assert set(deps) <= recorder.seen_done_deps[name]
    if parallel == 1:
        assert recorder.ran == list(ORDER)


@pytest.mark.parametrize("parallel", [1, 2], ids=["sequential", "threads"])
def test_execute_graph_skips_dependents_of_a_failure_and_blames_it(parallel: int) -> None:
    recorder = _Recorder(failing={"s1"})
    results = {
        r.step_name: r
        for r in execute_graph(
            ORDER, DEPS, run=recorder.run, skip=recorder.skip, max_parallel=parallel
        )
    }
    assert results["s1"].status is StepStatus.FAILED
    assert results["s2"].status is StepStatus.SUCCESS  # independent of the failure
    assert (results["s3"].status, results["s3"].table_fqn) == (StepStatus.SKIPPED, "s1")
    # g depends on s3, which was skipped: the blame goes to the step that failed.
    assert (results["g"].status, results["g"].table_fqn) == (StepStatus.SKIPPED, "s1")
    assert sorted(recorder.ran) == ["b", "s1", "s2"]


def test_execute_graph_runs_independent_steps_at_once() -> None:
    deps = {"a": (), "b": (), "c": ()}
    # Each step waits until two are running together: only concurrency lets them finish.
    recorder = _Recorder(failing=set(), barrier=threading.Barrier(2))
    execute_graph(
        ("a", "b"), {"a": (), "b": ()}, run=recorder.run, skip=recorder.skip, max_parallel=2
    )
    assert recorder.peak == 2
    limited = _Recorder(failing=set())
    execute_graph(("a", "b", "c"), deps, run=limited.run, skip=limited.skip, max_parallel=1)
    assert limited.peak == 1


@st.composite
def _graphs(draw: st.DrawFn) -> tuple[list[str], dict[str, tuple[str, ...]], set[str]]:
    size = draw(st.integers(min_value=1, max_value=8))
    names = [f"n{i}" for i in range(size)]
    deps = {
        name: tuple(draw(st.sets(st.sampled_from(names[:i]))) if i else ())
        for i, name in enumerate(names)
    }
    failing = draw(st.sets(st.sampled_from(names)))
    return names, deps, failing


@settings(max_examples=60)
@given(_graphs(), st.integers(min_value=1, max_value=4))
def test_execute_graph_skips_exactly_what_a_failure_blocks(
    graph: tuple[list[str], dict[str, tuple[str, ...]], set[str]], parallel: int
) -> None:
    names, deps, failing = graph
    recorder = _Recorder(failing=failing)
    results = execute_graph(
        names, deps, run=recorder.run, skip=recorder.skip, max_parallel=parallel
    )
    assert [r.step_name for r in results] == names
    assert recorder.peak <= parallel
    assert sorted(recorder.ran) == sorted(set(recorder.ran))  # each step runs at most once
    by_name = {r.step_name: r for r in results}
    for name in names:
        blocked = [d for d in deps[name] if by_name[d].status is not StepStatus.SUCCESS]
        result = by_name[name]
        if blocked:
            assert result.status is StepStatus.SKIPPED
            assert name not in recorder.ran
            assert result.table_fqn in failing  # blamed on a step that really failed
        else:
            assert name in recorder.ran
            assert set(deps[name]) <= recorder.seen_done_deps[name]
            expected = StepStatus.FAILED if name in failing else StepStatus.SUCCESS
            assert result.status is expected
