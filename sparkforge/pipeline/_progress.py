"""What a run has done so far: kept step by step, so a run that crashes is still reported."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sparkforge.models import ErrorInfo, StepResult, StepStatus, utc_now
from sparkforge.performance import Timer
from sparkforge.pipeline.steps import BronzeStep
from sparkforge.table_operations import TableRef

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sparkforge.pipeline._execute import RunContext

__all__ = ["Progress"]


@dataclass(eq=False)
class Progress:
    """The steps of one run as they end, its environment facts and its tags."""

    order: Sequence[str]
    facts: dict[str, str | None] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    steps: list[StepResult] | None = None
    _done: dict[str, StepResult] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, result: StepResult) -> StepResult:
        """Record a step's result and return it."""
        with self._lock:
            self._done[result.step_name] = result
        return result

    def record(self, name: str, call: Callable[[], StepResult], ctx: RunContext) -> StepResult:
        """Run a step through ``call``; a step interrupted by an exception is recorded failed."""
        with Timer() as timer:
            try:
                return self.add(call())
            except BaseException as exc:  # run_step records Exceptions: this is an interrupt
                self.add(_interrupted(ctx, name, timer, exc))
                raise

    def ordered(self) -> tuple[StepResult, ...]:
        """Return the run's steps: all once it ended, else those that ended, in order."""
        if self.steps is not None:
            return tuple(self.steps)
        with self._lock:
            done = dict(self._done)
        return tuple(done[name] for name in self.order if name in done)


def _interrupted(ctx: RunContext, name: str, timer: Timer, exc: BaseException) -> StepResult:
    step = ctx.plan.step(name)
    table = None if isinstance(step, BronzeStep) else TableRef.named(ctx.schema, step.table_name)
    return StepResult(
        step_name=name,
        phase=step.phase,
        status=StepStatus.FAILED,
        started_at=timer.started_at,
        ended_at=utc_now(),
        duration_secs=timer.duration_secs,
        table_fqn=None if table is None else table.fqn,
        error=ErrorInfo.from_exception(exc),
    )
