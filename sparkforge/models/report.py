"""One run as a whole: where it executed, what it did, and how its logging went.

[`ExecutionContext`][sparkforge.ExecutionContext], `LogWriteOutcome` and
[`PipelineReport`][sparkforge.PipelineReport].
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, cast

from sparkforge._parsing import join_path
from sparkforge.models._base import Model
from sparkforge.models.enums import RunMode, RunStatus
from sparkforge.models.results import ErrorInfo, PipelineMetrics, StepResult

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from typing_extensions import Self

    from sparkforge._parsing import Reader

__all__ = ["ExecutionContext", "LogWriteOutcome", "PipelineReport"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionContext(Model):
    """Where and how a run executed.

    Parameters
    ----------
    run_id
        The run's UUID, as a string.
    pipeline_name
        The pipeline's name.
    mode
        How the run treated its tables.
    started_at, ended_at
        UTC instants the run started and ended (``ended_at`` is None while it runs).
    spark_version, app_id, user, host
        Facts of the environment, when known.
    tags
        Free-form labels (environment name, job id, git sha ...).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> ctx = ExecutionContext(run_id="r1", pipeline_name="orders", mode=RunMode.INITIAL,
    ...     started_at=datetime(2026, 1, 2, tzinfo=timezone.utc), tags={"env": "dev"})
    >>> ctx.to_dict()["started_at"], ctx.tags["env"]
    ('2026-01-02T00:00:00+00:00', 'dev')
    """

    run_id: str
    pipeline_name: str
    mode: RunMode
    started_at: datetime
    ended_at: datetime | None = None
    spark_version: str | None = None
    app_id: str | None = None
    user: str | None = None
    host: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Freeze the tags too: a frozen context must not change under a report that holds it.
        object.__setattr__(self, "tags", MappingProxyType(dict(self.tags)))

    def facts(self) -> dict[str, str]:
        """Return the known environment facts and the tags as one flat string mapping.

        Tags win over facts of the same name.

        Examples
        --------
        >>> from sparkforge.models import RunMode, utc_now
        >>> ctx = ExecutionContext(run_id="r", pipeline_name="p", mode=RunMode.INITIAL,
        ...     started_at=utc_now(), user="ana", tags={"env": "dev"})
        >>> ctx.facts()
        {'user': 'ana', 'env': 'dev'}
        """
        facts = {
            key: value
            for key, value in (
                ("spark_version", self.spark_version),
                ("app_id", self.app_id),
                ("user", self.user),
                ("host", self.host),
            )
            if value is not None
        }
        facts.update(self.tags)
        return facts

    @classmethod
    def _read(cls, reader: Reader, data: object, path: str) -> Self | None:
        m = reader.mapping(data, path or "<root>")
        if m is None:
            return None
        before = len(reader.problems)
        result = cls(
            run_id=cast("str", reader.string(m, "run_id", path)),
            pipeline_name=cast("str", reader.string(m, "pipeline_name", path)),
            mode=cast("RunMode", reader.enum(m, "mode", path, RunMode)),
            started_at=cast("datetime", reader.instant(m, "started_at", path)),
            ended_at=reader.instant(m, "ended_at", path, optional=True),
            spark_version=reader.string(m, "spark_version", path, optional=True),
            app_id=reader.string(m, "app_id", path, optional=True),
            user=reader.string(m, "user", path, optional=True),
            host=reader.string(m, "host", path, optional=True),
            tags=reader.string_map(m, "tags", path) or {},
        )
        return None if len(reader.problems) > before else result


@dataclass(frozen=True, slots=True, kw_only=True)
class LogWriteOutcome(Model):
    """How writing a run's report to the run log went, when the pipeline logs every run.

    Parameters
    ----------
    table
        The log table written to.
    rows_written
        Rows committed, as counted by Delta in the commit's metrics.
    table_version
        The log table's version of the commit, None when nothing was committed.
    skipped
        Whether Delta found the run already logged (nothing was added).
    duration_secs
        Seconds the write took, from a monotonic clock.
    error
        Why the write failed; None when it did not.

    *Added in 0.2.0.*
    """

    table: str
    rows_written: int = 0
    table_version: int | None = None
    skipped: bool = False
    duration_secs: float = 0.0
    error: ErrorInfo | None = None

    @property
    def success(self) -> bool:
        """Whether the report reached the log (written now, or found already there)."""
        return self.error is None

    @classmethod
    def _read(cls, reader: Reader, data: object, path: str) -> Self | None:
        m = reader.mapping(data, path or "<root>")
        if m is None:
            return None
        before = len(reader.problems)
        error_raw = reader.get(m, "error", path, optional=True)
        result = cls(
            table=cast("str", reader.string(m, "table", path)),
            rows_written=cast("int", reader.integer(m, "rows_written", path)),
            table_version=reader.integer(m, "table_version", path, optional=True),
            skipped=cast("bool", reader.boolean(m, "skipped", path)),
            duration_secs=cast("float", reader.number(m, "duration_secs", path)),
            error=(
                None
                if error_raw is None
                else ErrorInfo._read(reader, error_raw, join_path(path, "error"))
            ),
        )
        return None if len(reader.problems) > before else result


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineReport(Model):
    """Everything one pipeline run did, in execution order.

    Parameters
    ----------
    run_id
        The run's UUID, as a string.
    pipeline_name
        The pipeline's name.
    mode
        How the run treated its tables.
    status
        ``failed`` when any step failed or the run failed outside a step.
    started_at, ended_at
        UTC instants the run started and ended.
    steps
        The steps' results in execution order (skipped steps included).
    metrics
        Totals over ``steps``.
    context
        Where and how the run executed.
    error
        Why the run failed outside any step (for example before its first step);
        ``None`` when it did not, or when the failure is a step's (see that step's ``error``).
    log_write
        How writing this report to the run log went, for a pipeline built with a
        ``log_writer``; None otherwise. The row written to the log has it None (it is known
        only once the write ended).

        *Added in 0.2.0.*

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> from sparkforge.models import Phase, StepResult, StepStatus
    >>> t = datetime(2026, 1, 2, tzinfo=timezone.utc)
    >>> step = StepResult(step_name="orders", phase=Phase.BRONZE, status=StepStatus.SUCCESS,
    ...     started_at=t, ended_at=t, duration_secs=0.4, valid_rows=3, invalid_rows=1)
    >>> report = PipelineReport(run_id="r1", pipeline_name="orders", mode=RunMode.INITIAL,
    ...     status=RunStatus.SUCCESS, started_at=t, ended_at=t, steps=(step,),
    ...     metrics=PipelineMetrics.from_steps((step,)))
    >>> report.metrics.validation_rate, PipelineReport.from_dict(report.to_dict()) == report
    (75.0, True)
    """

    run_id: str
    pipeline_name: str
    mode: RunMode
    status: RunStatus
    started_at: datetime
    ended_at: datetime
    steps: tuple[StepResult, ...] = ()
    metrics: PipelineMetrics = field(default_factory=PipelineMetrics)
    context: ExecutionContext | None = None
    error: ErrorInfo | None = None
    log_write: LogWriteOutcome | None = None

    def step(self, name: str) -> StepResult:
        """Return the result of the step called ``name``.

        Raises
        ------
        KeyError
            If the run has no such step.

        Examples
        --------
        >>> from datetime import datetime, timezone
        >>> from sparkforge.models import Phase, StepResult, StepStatus
        >>> t = datetime(2026, 1, 2, tzinfo=timezone.utc)
        >>> report = PipelineReport(run_id="r1", pipeline_name="orders", mode=RunMode.INITIAL,
        ...     status=RunStatus.FAILED, started_at=t, ended_at=t, steps=(StepResult(
        ...         step_name="orders", phase=Phase.BRONZE, status=StepStatus.SKIPPED,
        ...         started_at=None, ended_at=None, duration_secs=None),))
        >>> print(report.step("orders").status)
        skipped
        >>> report.step("gold_totals")
        Traceback (most recent call last):
        ...
        KeyError: 'gold_totals'
        """
        for step in self.steps:
            if step.step_name == name:
                return step
        raise KeyError(name)

    @classmethod
    def _read(cls, reader: Reader, data: object, path: str) -> Self | None:
        m = reader.mapping(data, path or "<root>")
        if m is None:
            return None
        before = len(reader.problems)
        steps_raw = reader.items(m, "steps", path)
        steps = [
            StepResult._read(reader, item, f"{join_path(path, 'steps')}[{i}]")
            for i, item in enumerate(steps_raw or [])
        ]
        kept = tuple(s for s in steps if s is not None)
        metrics_raw = reader.get(m, "metrics", path, optional=True)
        context_raw = reader.get(m, "context", path, optional=True)
        error_raw = reader.get(m, "error", path, optional=True)
        log_write_raw = reader.get(m, "log_write", path, optional=True)
        metrics = (
            PipelineMetrics.from_steps(kept)
            if metrics_raw is None
            else PipelineMetrics._read(reader, metrics_raw, join_path(path, "metrics"))
        )
        result = cls(
            run_id=cast("str", reader.string(m, "run_id", path)),
            pipeline_name=cast("str", reader.string(m, "pipeline_name", path)),
            mode=cast("RunMode", reader.enum(m, "mode", path, RunMode)),
            status=cast("RunStatus", reader.enum(m, "status", path, RunStatus)),
            started_at=cast("datetime", reader.instant(m, "started_at", path)),
            ended_at=cast("datetime", reader.instant(m, "ended_at", path)),
            steps=kept,
            metrics=metrics or PipelineMetrics(),
            context=(
                None
                if context_raw is None
                else ExecutionContext._read(reader, context_raw, join_path(path, "context"))
            ),
            error=(
                None
                if error_raw is None
                else ErrorInfo._read(reader, error_raw, join_path(path, "error"))
            ),
            log_write=(
                None
                if log_write_raw is None
                else LogWriteOutcome._read(reader, log_write_raw, join_path(path, "log_write"))
            ),
        )
        return None if len(reader.problems) > before else result
