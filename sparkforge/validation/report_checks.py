"""The checks of a report before it is logged: types, ranges, and facts every run obeys.

[`report_problems`][sparkforge.validation.report_problems] returns every problem found in a
[`PipelineReport`][sparkforge.PipelineReport], each with its field path, collected in one
[`ProblemCollector`][sparkforge.errors.ProblemCollector]. A value already reported invalid (a
negative count, a rate outside 0-100, an unknown status) is kept out of the cross-field checks, so
one bad value gives one problem, not a chain of follow-on ones. Pure Python: no JVM needed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime, timezone
from enum import Enum
from typing import TYPE_CHECKING

from sparkforge.errors import ProblemCollector
from sparkforge.models import (
    RATE_TOLERANCE,
    ErrorInfo,
    ExecutionContext,
    Phase,
    PipelineReport,
    RuleResult,
    RunMode,
    RunStatus,
    StepResult,
    StepStatus,
    WriteMode,
    validation_rate,
)

if TYPE_CHECKING:
    from sparkforge.errors import Problem

__all__ = ["MAX_BIGINT", "MAX_RUN_ID_LENGTH", "MIN_INSTANT", "report_problems"]

#: The largest count a BIGINT column holds.
MAX_BIGINT = 2**63 - 1
#: The longest run id the log accepts.
MAX_RUN_ID_LENGTH = 256
# Spark writes TIMESTAMP columns as Parquet INT96, which other readers (pyarrow, delta-rs,
# DataFusion, pandas) decode through int64 nanoseconds: only instants before 2262-04-11
# survive. Spark 3.5 refuses to write an INT96 instant before 1900 without a calendar rebase
# (INCONSISTENT_BEHAVIOR_CROSS_VERSION.WRITE_ANCIENT_DATETIME; Spark 4 writes it as is): the
# window is what every supported Spark writes and every reader decodes.
#: The oldest instant the log accepts (the legacy API holds its instants to it too).
MIN_INSTANT = datetime(1900, 1, 1, tzinfo=timezone.utc)
_MAX_INSTANT = datetime(2262, 4, 11, tzinfo=timezone.utc)
_STEP_STATUSES = frozenset(StepStatus)
_COUNTS = (
    "input_rows",
    "output_rows",
    "rows_written",
    "valid_rows",
    "invalid_rows",
    "filtered_rows",
)


def _value(member: object) -> str:
    return str(member.value) if isinstance(member, Enum) else str(member)


def _in_utc(moment: datetime | None) -> datetime:
    # Compare instants in UTC: Python compares two datetimes sharing a tzinfo by wall time, so
    # a step across a DST fall-back (same ZoneInfo, fold 0 then 1) would seem to end first.
    return moment.astimezone(timezone.utc)  # type: ignore[union-attr]


def _show(value: object) -> str:
    # repr() of an int past sys.get_int_max_str_digits() raises ValueError; the checks must not.
    try:
        return repr(value)
    except ValueError:
        return f"<{type(value).__name__}>"


class _Checker(ProblemCollector):
    """Collect the problems of one report, each with its field path."""

    __slots__ = ("consistency",)

    def __init__(self, *, consistency: bool) -> None:
        super().__init__()
        self.consistency = consistency

    def text(
        self,
        path: str,
        value: object,
        *,
        optional: bool = False,
        limit: int = 0,
        allow_blank: bool = False,
    ) -> None:
        if value is None:
            if not optional:
                self.add(path, "is required")
            return
        if not isinstance(value, str):
            self.add(path, f"expected a string, got {type(value).__name__} {_show(value)[:40]}")
            return
        if not allow_blank and not value.strip():
            self.add(path, "must not be empty")
        if limit and len(value) > limit:
            self.add(path, f"longer than {limit} characters ({len(value)})")
        if not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                self.add(path, "is not valid Unicode (it holds a lone surrogate)")

    def enum(self, path: str, value: object, enum_type: type[Enum]) -> bool:
        if isinstance(value, enum_type):
            return True
        try:
            enum_type(value)
        except (ValueError, TypeError):
            allowed = ", ".join(str(m.value) for m in enum_type)
            self.add(path, f"expected one of {allowed}, got {_show(value)}")
            return False
        return True

    def instant(self, path: str, value: object, *, optional: bool = False) -> bool:
        if value is None:
            if not optional:
                self.add(path, "is required")
            return False
        if not isinstance(value, datetime):
            self.add(path, f"expected a datetime, got {type(value).__name__}")
            return False
        if value.tzinfo is None or value.utcoffset() is None:
            self.add(path, "is a naive datetime; instants must be timezone-aware")
            return False
        try:
            utc = value.astimezone(timezone.utc)
        except (OverflowError, ValueError):
            self.add(path, "is out of the range of a UTC timestamp")
            return False
        if not MIN_INSTANT <= utc < _MAX_INSTANT:
            self.add(
                path,
                "is outside 1900-01-01 .. 2262-04-11 UTC (what Spark and Delta's readers keep)",
            )
            return False
        return True

    def count(self, path: str, value: object) -> bool:
        if value is None:
            return False
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path, f"expected an integer count, got {type(value).__name__}")
            return False
        if value < 0:
            self.add(path, f"must be >= 0, got {_show(value)}")
            return False
        if value > MAX_BIGINT:
            self.add(path, f"is larger than a BIGINT holds ({MAX_BIGINT})")
            return False
        return True

    def number(self, path: str, value: object, *, low: float, high: float | None) -> bool:
        if value is None:
            return False
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.add(path, f"expected a number, got {type(value).__name__}")
            return False
        try:
            finite = math.isfinite(value)
        except OverflowError:  # an int no DOUBLE holds
            finite = False
        if not finite:
            self.add(path, f"must be finite, got {_show(value)}")
            return False
        if value < low or (high is not None and value > high):
            bounds = f"{low:g}-{high:g}" if high is not None else f">= {low:g}"
            self.add(path, f"must be within {bounds}, got {_show(value)}")
            return False
        return True

    def error(self, path: str, value: object) -> None:
        if value is None:
            return
        if not isinstance(value, ErrorInfo):
            self.add(path, f"expected an ErrorInfo, got {type(value).__name__}")
            return
        self.text(f"{path}.type", value.type)
        self.text(f"{path}.message", value.message, optional=True, allow_blank=True)

    def step(self, path: str, step: object, run_window: tuple[datetime, datetime] | None) -> None:
        if not isinstance(step, StepResult):
            self.add(path, f"expected a StepResult, got {type(step).__name__}")
            return
        self.text(f"{path}.step_name", step.step_name)
        self.enum(f"{path}.phase", step.phase, Phase)
        status_ok = self.enum(f"{path}.status", step.status, StepStatus)
        # An unknown status says nothing of whether the step ran: demand nothing from it.
        skipped = not status_ok or _value(step.status) == StepStatus.SKIPPED.value
        start_ok = self.instant(f"{path}.started_at", step.started_at, optional=skipped)
        end_ok = self.instant(f"{path}.ended_at", step.ended_at, optional=skipped)
        if step.duration_secs is None and not skipped:
            self.add(f"{path}.duration_secs", "is required for a step that ran")
        self.number(f"{path}.duration_secs", step.duration_secs, low=0.0, high=None)
        self.text(f"{path}.table_fqn", step.table_fqn, optional=True)
        if step.write_mode is not None:
            self.enum(f"{path}.write_mode", step.write_mode, WriteMode)
        # counts: the valid values (None when absent or invalid); bad: the invalid ones, which
        # the cross-field checks must not read as "absent" either.
        counts: dict[str, int | None] = {}
        bad: set[str] = set()
        for name in _COUNTS:
            value = getattr(step, name)
            if self.count(f"{path}.{name}", value):
                counts[name] = value
            else:
                counts[name] = None
                if value is not None:
                    bad.add(name)
        rate = step.validation_rate
        rate_ok = self.number(f"{path}.validation_rate", rate, low=0.0, high=100.0)
        if rate is not None and not rate_ok:
            bad.add("validation_rate")
        self.instant(f"{path}.previous_watermark", step.previous_watermark, optional=True)
        failed_per_rule = self._rules(path, step.rule_results)
        self.error(f"{path}.error", step.error)
        if self.consistency:
            self._step_facts(path, step, run_window, counts, bad, failed_per_rule)
            if status_ok and _value(step.status) == StepStatus.FAILED.value and step.error is None:
                self.add(f"{path}.error", "a failed step must say why")
            self._step_window(path, step, run_window, start_ok=start_ok, end_ok=end_ok)

    def _rules(self, path: str, rules: object) -> list[int] | None:
        """Check the rule results; return their failed counts, or None if any is invalid."""
        if not isinstance(rules, (tuple, list)):
            self.add(f"{path}.rule_results", f"expected a tuple, got {type(rules).__name__}")
            return None
        failed_per_rule: list[int] | None = []
        for i, item in enumerate(rules):
            where = f"{path}.rule_results[{i}]"
            rule: object = item
            if not isinstance(rule, RuleResult):
                self.add(where, f"expected a RuleResult, got {type(rule).__name__}")
                failed_per_rule = None
                continue
            self.text(f"{where}.rule", rule.rule)
            self.text(f"{where}.column", rule.column, optional=True)
            if self.count(f"{where}.failed_rows", rule.failed_rows):
                if failed_per_rule is not None:
                    failed_per_rule.append(rule.failed_rows)
            else:
                if getattr(rule, "failed_rows", None) is None:
                    self.add(f"{where}.failed_rows", "is required")
                failed_per_rule = None
        return failed_per_rule

    def _step_window(
        self,
        path: str,
        step: StepResult,
        run_window: tuple[datetime, datetime] | None,
        *,
        start_ok: bool,
        end_ok: bool,
    ) -> None:
        """Check the step's valid instants: in order, and within the run's."""
        if start_ok and end_ok and _in_utc(step.ended_at) < _in_utc(step.started_at):
            self.add(f"{path}.ended_at", "is before started_at")
        if start_ok and run_window is not None and _in_utc(step.started_at) < run_window[0]:
            self.add(f"{path}.started_at", "is before the run started")
        if end_ok and run_window is not None and _in_utc(step.ended_at) > run_window[1]:
            self.add(f"{path}.ended_at", "is after the run ended")

    def _step_facts(
        self,
        path: str,
        step: StepResult,
        run_window: tuple[datetime, datetime] | None,
        counts: dict[str, int | None],
        bad: set[str],
        failed_per_rule: list[int] | None,
    ) -> None:
        """Check the facts of a correctly measured step, over the values found valid."""
        valid, invalid = counts["valid_rows"], counts["invalid_rows"]
        output, input_rows = counts["output_rows"], counts["input_rows"]
        rate = step.validation_rate
        pair_bad = bool(bad & {"valid_rows", "invalid_rows"})
        if not pair_bad and (valid is None) != (invalid is None):
            self.add(f"{path}.invalid_rows", "valid_rows and invalid_rows come together")
        if valid is not None and invalid is not None:
            if output is not None and valid + invalid != output:
                self.add(
                    f"{path}.valid_rows",
                    f"valid_rows + invalid_rows ({valid} + {invalid}) != output_rows ({output})",
                )
            if rate is not None and "validation_rate" not in bad:
                expected = validation_rate(valid, invalid)
                if abs(rate - expected) > RATE_TOLERANCE:
                    self.add(
                        f"{path}.validation_rate",
                        f"{rate!r} does not match valid_rows / (valid_rows + invalid_rows) "
                        f"= {expected:.4f}",
                    )
            if failed_per_rule and invalid > sum(failed_per_rule):
                self.add(
                    f"{path}.invalid_rows",
                    "more invalid rows than rule failures: every invalid row fails a rule",
                )
            if failed_per_rule and max(failed_per_rule) > invalid:
                self.add(
                    f"{path}.rule_results",
                    "a rule failed more rows than are invalid: a row failing a rule is invalid",
                )
        elif rate is not None and not pair_bad and "validation_rate" not in bad:
            self.add(f"{path}.validation_rate", "is set but valid_rows/invalid_rows are not")
        filtered = counts["filtered_rows"]
        if filtered is not None and input_rows is not None and filtered > input_rows:
            self.add(f"{path}.filtered_rows", "is larger than input_rows")


def report_problems(
    report: object,
    execution_context: object = None,
    *,
    consistency: bool = True,
) -> list[Problem]:
    """Check a report before it is logged; return every problem found (empty: loggable).

    Parameters
    ----------
    report
        What the caller passed as a report.
    execution_context
        What the caller passed as the execution context, if anything.
    consistency
        Also run the cross-field checks (valid + invalid = output rows, the rate matches the
        counts, end not before start, steps within the run, a failed run or step says why).
        The type and range checks always run.

    Returns
    -------
    list[Problem]
        Every problem, each with its field path (``steps[3].valid_rows``).

    Examples
    --------
    >>> from datetime import datetime, timedelta, timezone
    >>> from sparkforge.models import PipelineReport, RunMode, RunStatus
    >>> t = datetime(2026, 1, 2, tzinfo=timezone.utc)
    >>> bad = PipelineReport(run_id="", pipeline_name="p", mode=RunMode.INITIAL,
    ...     status=RunStatus.SUCCESS, started_at=t, ended_at=t - timedelta(seconds=1))
    >>> [str(p) for p in report_problems(bad)]
    ['run_id: must not be empty', 'ended_at: is before started_at']
    """
    check = _Checker(consistency=consistency)
    if not isinstance(report, PipelineReport):
        check.add("<report>", f"expected a PipelineReport, got {type(report).__name__}")
        return list(check.problems)
    run_id: object = report.run_id
    check.text("run_id", run_id, limit=MAX_RUN_ID_LENGTH)
    if isinstance(run_id, str) and any(ord(c) < 32 for c in run_id):
        check.add("run_id", "must not contain control characters")
    check.text("pipeline_name", report.pipeline_name)
    check.enum("mode", report.mode, RunMode)
    status_ok = check.enum("status", report.status, RunStatus)
    start_ok = check.instant("started_at", report.started_at)
    end_ok = check.instant("ended_at", report.ended_at)
    window = None
    if start_ok and end_ok:
        window = (_in_utc(report.started_at), _in_utc(report.ended_at))
        if consistency and window[1] < window[0]:
            check.add("ended_at", "is before started_at")
            window = None
    check.error("error", report.error)
    _check_context(check, report, execution_context)
    steps: object = report.steps
    if not isinstance(steps, (tuple, list)):
        check.add("steps", f"expected a tuple of StepResult, got {type(steps).__name__}")
        return list(check.problems)
    seen: set[str] = set()
    for i, step in enumerate(steps):
        check.step(f"steps[{i}]", step, window)
        name = getattr(step, "step_name", None)
        if isinstance(name, str):
            if name in seen:
                check.add(f"steps[{i}].step_name", f"duplicate step name {name!r} in the run")
            seen.add(name)
    if consistency and status_ok:
        # == on the str enum, not _value(): str() of a huge int raises, of a bad value misleads.
        statuses = [getattr(s, "status", None) for s in steps]
        failed = any(status == StepStatus.FAILED for status in statuses)
        # A step whose status is not a known one may have failed: claim nothing about it.
        unknown = any(
            not (isinstance(status, str) and status in _STEP_STATUSES) for status in statuses
        )
        succeeded = _value(report.status) == RunStatus.SUCCESS.value
        if succeeded and (failed or report.error is not None):
            check.add("status", "is success, but a step or the run failed")
        if not succeeded and not failed and not unknown and report.error is None:
            check.add("status", "is failed, but no step failed and the run has no error")
    return list(check.problems)


def _check_context(check: _Checker, report: PipelineReport, given: object) -> None:
    for path, context in (("context", report.context), ("execution_context", given)):
        if context is None:
            continue
        if not isinstance(context, ExecutionContext):
            check.add(path, f"expected an ExecutionContext, got {type(context).__name__}")
            continue
        if context.run_id != report.run_id:
            check.add(f"{path}.run_id", f"{_show(context.run_id)} is not the report's run_id")
        if context.pipeline_name != report.pipeline_name:
            check.add(f"{path}.pipeline_name", "is not the report's pipeline_name")
        tags: object = context.tags
        if not isinstance(tags, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in tags.items()
        ):
            check.add(f"{path}.tags", "must map strings to strings")
        else:
            for key, value in tags.items():  # Spark would turn a lone surrogate into U+FFFD
                check.text(f"{path}.tags", key, optional=True, allow_blank=True)
                check.text(f"{path}.tags", value, optional=True, allow_blank=True)
        for fact in ("spark_version", "app_id", "user", "host"):
            check.text(f"{path}.{fact}", getattr(context, fact), optional=True, allow_blank=True)
