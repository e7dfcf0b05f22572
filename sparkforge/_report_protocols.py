"""What a [`sparkforge.errors.PipelineError`][] sees of the run report it carries.

[`sparkforge.models.PipelineReport`][] (with its [`StepResult`][sparkforge.StepResult] and
[`ErrorInfo`][sparkforge.ErrorInfo]) is the one implementation. The models import the
errors, so the errors type their report through these protocols instead of importing the
models. Users reach these names from `sparkforge.errors`.

This module imports nothing from pyspark or the rest of sparkforge.
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["ErrorText", "RunReport", "StepOutcome"]


class ErrorText(Protocol):
    """What [`RunReport`][sparkforge.errors.RunReport] says about a failure.

    The failure is a [`sparkforge.models.ErrorInfo`][].

    Examples
    --------
    >>> from sparkforge.models import ErrorInfo
    >>> text: ErrorText = ErrorInfo(type="ValueError", message="amount is negative")
    >>> text.type, text.message
    ('ValueError', 'amount is negative')
    """

    @property
    def type(self) -> str:
        """The exception class name."""
        ...

    @property
    def message(self) -> str:
        """The exception's message."""
        ...


class StepOutcome(Protocol):
    """What [`RunReport`][sparkforge.errors.RunReport] says about one step.

    The step is a [`sparkforge.models.StepResult`][].

    Examples
    --------
    >>> from sparkforge.models import Phase, StepResult, StepStatus
    >>> step: StepOutcome = StepResult(step_name="orders", phase=Phase.BRONZE,
    ...     status=StepStatus.SKIPPED, started_at=None, ended_at=None, duration_secs=None)
    >>> print(step.status, step.rows_written)
    skipped None
    """

    @property
    def status(self) -> str:
        """``success``, ``failed`` or ``skipped``."""
        ...

    @property
    def write_mode(self) -> str | None:
        """``append`` or ``overwrite``, if the step wrote a table."""
        ...

    @property
    def rows_written(self) -> int | None:
        """Rows the step wrote."""
        ...

    @property
    def valid_rows(self) -> int | None:
        """Validated rows that passed."""
        ...

    @property
    def invalid_rows(self) -> int | None:
        """Validated rows that failed."""
        ...

    @property
    def error(self) -> ErrorText | None:
        """Why the step failed or was skipped."""
        ...


class RunReport(Protocol):
    """The run report a [`sparkforge.errors.PipelineError`][] carries, as the errors see it.

    [`sparkforge.models.PipelineReport`][] is the one implementation; the protocol lets
    `sparkforge.errors` type `PipelineError.report` without importing the models
    (which import the errors).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from sparkforge.models import PipelineReport, RunMode, RunStatus
    >>> t = datetime(2026, 1, 2, tzinfo=timezone.utc)
    >>> report: RunReport = PipelineReport(run_id="r1", pipeline_name="orders",
    ...     mode=RunMode.INITIAL, status=RunStatus.FAILED, started_at=t, ended_at=t)
    >>> print(report.run_id, report.mode, report.status)
    r1 initial failed
    """

    @property
    def run_id(self) -> str:
        """The run's id."""
        ...

    @property
    def pipeline_name(self) -> str:
        """The pipeline's name."""
        ...

    @property
    def mode(self) -> str:
        """How the run treated its tables."""
        ...

    @property
    def status(self) -> str:
        """``success`` or ``failed``."""
        ...

    @property
    def error(self) -> ErrorText | None:
        """Why the run failed outside any step."""
        ...

    def step(self, name: str) -> StepOutcome:
        """Return the outcome of the step called ``name`` (KeyError if none).

        Examples
        --------
        >>> from datetime import datetime, timezone
        >>> from sparkforge.models import PipelineReport, RunMode, RunStatus
        >>> t = datetime(2026, 1, 2, tzinfo=timezone.utc)
        >>> report: RunReport = PipelineReport(run_id="r1", pipeline_name="orders",
        ...     mode=RunMode.INITIAL, status=RunStatus.SUCCESS, started_at=t, ended_at=t)
        >>> report.step("clean_orders")
        Traceback (most recent call last):
        ...
        KeyError: 'clean_orders'
        """
        ...
