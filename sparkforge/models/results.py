"""Results of a run's steps: rule failures, errors, step results and run totals.

Result models do not validate themselves on construction: the runner builds them from
measurements, and whoever consumes one from outside (the log writer) checks it at its own
boundary ([`sparkforge.validation.report_problems`][]).
"""

from __future__ import annotations

import traceback as traceback_module
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from sparkforge._parsing import join_path
from sparkforge.models._base import Model
from sparkforge.models.enums import Phase, StepStatus, WriteMode, as_member
from sparkforge.models.rates import validation_rate

if TYPE_CHECKING:
    from datetime import datetime

    from typing_extensions import Self

    from sparkforge._parsing import Reader
    from sparkforge.models.enums import WriteModeName

__all__ = ["ErrorInfo", "PipelineMetrics", "RuleResult", "StepResult"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleResult(Model):
    """How many rows failed one validation rule of a step.

    Parameters
    ----------
    rule
        The rule's name.
    column
        The column the rule checks, or None for a rule over several columns.
    failed_rows
        Rows for which the rule was false or NULL.

    Examples
    --------
    >>> RuleResult(rule="non_negative", column="amount", failed_rows=3).to_dict()
    {'rule': 'non_negative', 'column': 'amount', 'failed_rows': 3}
    """

    rule: str
    column: str | None
    failed_rows: int

    @classmethod
    def _read(cls, reader: Reader, data: object, path: str) -> Self | None:
        m = reader.mapping(data, path or "<root>")
        if m is None:
            return None
        rule = reader.string(m, "rule", path)
        column = reader.string(m, "column", path, optional=True)
        failed = reader.integer(m, "failed_rows", path)
        if rule is None or failed is None:
            return None
        return cls(rule=rule, column=column, failed_rows=failed)


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorInfo(Model):
    """What went wrong: the exception's type, message and (optionally) traceback.

    Parameters
    ----------
    type
        The exception class name, e.g. ``"ValidationError"``.
    message
        The exception's message.
    traceback
        The formatted traceback, if kept.

    Examples
    --------
    >>> ErrorInfo(type="ValueError", message="amount is negative").to_dict()
    {'type': 'ValueError', 'message': 'amount is negative', 'traceback': None}
    """

    type: str
    message: str
    traceback: str | None = None

    @classmethod
    def from_exception(cls, exc: BaseException, *, with_traceback: bool = True) -> Self:
        """Describe ``exc``.

        Parameters
        ----------
        exc
            The exception to describe.
        with_traceback
            Whether to keep the formatted traceback.

        Returns
        -------
        ErrorInfo
            The exception's type name, message and traceback.

        Examples
        --------
        >>> ErrorInfo.from_exception(ValueError("bad"), with_traceback=False)
        ErrorInfo(type='ValueError', message='bad', traceback=None)
        """
        text = "".join(traceback_module.format_exception(exc)) if with_traceback else None
        return cls(type=type(exc).__name__, message=str(exc), traceback=text)

    @classmethod
    def _read(cls, reader: Reader, data: object, path: str) -> Self | None:
        m = reader.mapping(data, path or "<root>")
        if m is None:
            return None
        type_name = reader.string(m, "type", path)
        message = reader.string(m, "message", path)
        text = reader.string(m, "traceback", path, optional=True)
        if type_name is None or message is None:
            return None
        return cls(type=type_name, message=message, traceback=text)


@dataclass(frozen=True, slots=True, kw_only=True)
class StepResult(Model):
    """What one step of a run read, wrote, rejected, and how long it took.

    Counts are measured while the step runs; ``None`` means "not measured" (for example the
    counts of a step that failed before validating, or every count of a skipped step).

    Parameters
    ----------
    step_name
        The step's unique name in its pipeline.
    phase
        The Medallion layer of the step.
    status
        Whether the step succeeded, failed or was skipped.
    started_at, ended_at
        UTC instants the step started and ended; ``None`` only for a skipped step.
    duration_secs
        Seconds the step took, from a monotonic clock; ``None`` only for a skipped step.
    table_fqn
        The table the step wrote (silver and gold), as ``schema.table``.
    write_mode
        How the step wrote its table: a [`WriteMode`][sparkforge.WriteMode] or its value (stored as
        the member).
    input_rows
        Rows the step read from its source.
    output_rows
        Rows the step validated: what its transform produced (for bronze, the rows read).
    rows_written
        Rows written to the step's table.
    valid_rows, invalid_rows
        Validated rows that passed and failed the step's rules; they add up to
        ``output_rows``.
    validation_rate
        ``valid_rows`` as a percentage (0-100) of the rows validated; 100.0 when none were.
    rule_results
        Failed rows per rule.
    previous_watermark
        The watermark an incremental step started from.
    filtered_rows
        Rows an incremental step dropped because they were not newer than the watermark.
    error
        Why the step failed, or was skipped.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 1, 2, 3, 0, tzinfo=timezone.utc)
    >>> step = StepResult(step_name="clean_orders", phase=Phase.SILVER,
    ...     status=StepStatus.SUCCESS, started_at=t, ended_at=t, duration_secs=1.5,
    ...     write_mode="overwrite", output_rows=4, valid_rows=3, invalid_rows=1)
    >>> step.write_mode, step.to_dict()["started_at"]
    (<WriteMode.OVERWRITE: 'overwrite'>, '2026-01-02T03:00:00+00:00')
    """

    step_name: str
    phase: Phase
    status: StepStatus
    started_at: datetime | None
    ended_at: datetime | None
    duration_secs: float | None
    table_fqn: str | None = None
    write_mode: WriteMode | WriteModeName | None = None
    input_rows: int | None = None
    output_rows: int | None = None
    rows_written: int | None = None
    valid_rows: int | None = None
    invalid_rows: int | None = None
    validation_rate: float | None = None
    rule_results: tuple[RuleResult, ...] = ()
    previous_watermark: datetime | None = None
    filtered_rows: int | None = None
    error: ErrorInfo | None = None

    def __post_init__(self) -> None:
        # Store the member for a valid value; an invalid one stays for report_problems to name.
        mode: object = self.write_mode
        if mode is not None and not isinstance(mode, WriteMode):
            member = as_member(WriteMode, mode)
            if member is not None:
                object.__setattr__(self, "write_mode", member)

    @classmethod
    def _read(cls, reader: Reader, data: object, path: str) -> Self | None:
        m = reader.mapping(data, path or "<root>")
        if m is None:
            return None
        before = len(reader.problems)
        name = reader.string(m, "step_name", path)
        phase = reader.enum(m, "phase", path, Phase)
        status = reader.enum(m, "status", path, StepStatus)
        write_mode = reader.enum(m, "write_mode", path, WriteMode, optional=True)
        rules_raw = reader.items(m, "rule_results", path)
        rules = [
            RuleResult._read(reader, item, f"{join_path(path, 'rule_results')}[{i}]")
            for i, item in enumerate(rules_raw or [])
        ]
        error_raw = reader.get(m, "error", path, optional=True)
        error = (
            None
            if error_raw is None
            else ErrorInfo._read(reader, error_raw, join_path(path, "error"))
        )
        result = cls(
            step_name=cast("str", name),
            phase=cast("Phase", phase),
            status=cast("StepStatus", status),
            started_at=reader.instant(m, "started_at", path, optional=True),
            ended_at=reader.instant(m, "ended_at", path, optional=True),
            duration_secs=reader.number(m, "duration_secs", path, optional=True),
            table_fqn=reader.string(m, "table_fqn", path, optional=True),
            write_mode=write_mode,
            input_rows=reader.integer(m, "input_rows", path, optional=True),
            output_rows=reader.integer(m, "output_rows", path, optional=True),
            rows_written=reader.integer(m, "rows_written", path, optional=True),
            valid_rows=reader.integer(m, "valid_rows", path, optional=True),
            invalid_rows=reader.integer(m, "invalid_rows", path, optional=True),
            validation_rate=reader.number(m, "validation_rate", path, optional=True),
            rule_results=tuple(r for r in rules if r is not None),
            previous_watermark=reader.instant(m, "previous_watermark", path, optional=True),
            filtered_rows=reader.integer(m, "filtered_rows", path, optional=True),
            error=error,
        )
        return None if len(reader.problems) > before else result


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineMetrics(Model):
    """Totals over the steps of one run.

    Parameters
    ----------
    total_steps, successful_steps, failed_steps, skipped_steps
        Steps by status.
    input_rows, rows_written, valid_rows, invalid_rows
        Sums of the measured step counts (unmeasured counts add nothing).
    steps_duration_secs
        Sum of the steps' durations; steps that ran concurrently overlap in it.

    Examples
    --------
    >>> metrics = PipelineMetrics(total_steps=2, successful_steps=2, valid_rows=98,
    ...     invalid_rows=2)
    >>> metrics.validation_rate, metrics.failed_steps
    (98.0, 0)
    """

    total_steps: int = 0
    successful_steps: int = 0
    failed_steps: int = 0
    skipped_steps: int = 0
    input_rows: int = 0
    rows_written: int = 0
    valid_rows: int = 0
    invalid_rows: int = 0
    steps_duration_secs: float = 0.0

    @property
    def validation_rate(self) -> float:
        """``valid_rows`` as a percentage of the run's validated rows (100.0 when none).

        Examples
        --------
        >>> PipelineMetrics(valid_rows=3, invalid_rows=1).validation_rate
        75.0
        """
        return validation_rate(self.valid_rows, self.invalid_rows)

    @classmethod
    def from_steps(cls, steps: tuple[StepResult, ...]) -> Self:
        """Add up the steps of a run.

        Examples
        --------
        >>> PipelineMetrics.from_steps(()).total_steps
        0
        """
        by_status = dict.fromkeys(StepStatus, 0)
        for step in steps:
            by_status[step.status] += 1
        return cls(
            total_steps=len(steps),
            successful_steps=by_status[StepStatus.SUCCESS],
            failed_steps=by_status[StepStatus.FAILED],
            skipped_steps=by_status[StepStatus.SKIPPED],
            input_rows=sum(s.input_rows or 0 for s in steps),
            rows_written=sum(s.rows_written or 0 for s in steps),
            valid_rows=sum(s.valid_rows or 0 for s in steps),
            invalid_rows=sum(s.invalid_rows or 0 for s in steps),
            steps_duration_secs=sum(s.duration_secs or 0.0 for s in steps),
        )

    @classmethod
    def _read(cls, reader: Reader, data: object, path: str) -> Self | None:
        m = reader.mapping(data, path or "<root>")
        if m is None:
            return None
        counts = {
            key: reader.integer(m, key, path)
            for key in (
                "total_steps",
                "successful_steps",
                "failed_steps",
                "skipped_steps",
                "input_rows",
                "rows_written",
                "valid_rows",
                "invalid_rows",
            )
        }
        duration = reader.number(m, "steps_duration_secs", path)
        if duration is None or any(v is None for v in counts.values()):
            return None
        return cls(steps_duration_secs=duration, **cast("dict[str, int]", counts))
