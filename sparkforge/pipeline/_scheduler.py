"""Run the steps of a graph in dependency order, some at once, skipping what a failure blocks.

Pure Python: the work of a step is a callable, so this is tested without Spark.
"""

from __future__ import annotations

from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from sparkforge.models import StepStatus

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from concurrent.futures import Future

    from sparkforge.models import StepResult

__all__ = ["execute_graph"]


def execute_graph(
    order: Sequence[str],
    dependencies: Mapping[str, Sequence[str]],
    *,
    run: Callable[[str], StepResult],
    skip: Callable[[str, str], StepResult],
    max_parallel: int,
) -> list[StepResult]:
    """Run every step once its dependencies succeeded; skip it once one did not.

    Parameters
    ----------
    order
        Every step, dependencies first; steps start in this order when several are ready.
    dependencies
        The steps each step needs.
    run
        Runs a step and returns its result; it must not raise (a failure is a result).
    skip
        Returns the result of a skipped step, given the failed upstream step to blame.
    max_parallel
        How many steps may run at once; 1 runs them in ``order`` on the calling thread.

    Returns
    -------
    list[StepResult]
        The results in ``order``.
    """
    results: dict[str, StepResult] = {}
    blame: dict[str, str] = {}  # step -> the failed step that stops its dependents

    def settle(name: str, result: StepResult) -> None:
        results[name] = result
        if result.status is StepStatus.FAILED:
            blame[name] = name

    def blocked_by(name: str) -> str | None:
        return next((blame[d] for d in dependencies[name] if d in blame), None)

    def skip_step(name: str, upstream: str) -> None:
        blame[name] = upstream
        results[name] = skip(name, upstream)

    if max_parallel <= 1:
        for name in order:
            upstream = blocked_by(name)
            if upstream is None:
                settle(name, run(name))
            else:
                skip_step(name, upstream)
        return [results[name] for name in order]

    pending = list(order)
    running: dict[Future[StepResult], str] = {}
    with ThreadPoolExecutor(max_workers=max_parallel, thread_name_prefix="sparkforge") as pool:
        while pending or running:
            progressed = True
            while progressed:
                progressed = False
                for name in list(pending):
                    if not all(d in results for d in dependencies[name]):
                        continue
                    upstream = blocked_by(name)
                    if upstream is not None:
                        pending.remove(name)
                        skip_step(name, upstream)
                        progressed = True
                    elif len(running) < max_parallel:
                        pending.remove(name)
                        running[pool.submit(run, name)] = name
            if not running:
                if pending:  # pragma: no cover - a plan's dependencies are all in its order
                    raise AssertionError(f"steps wait on steps that never run: {pending}")
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                settle(running.pop(future), future.result())
    return [results[name] for name in order]
