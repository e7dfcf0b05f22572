"""The one exception tree of sparkforge.

Every error carries a stable ``code`` and its ``params``; the message is rendered from the
single template table :data:`ERROR_TEMPLATES` as ``"[CODE] message"``. Codes never change once
released, so callers and alerting can match on them.

::

    SparkForgeError (Exception)
    ├── ConfigurationError (ValueError)
    │   └── sparkforge.writer.WriterConfigurationError
    ├── ValidationError (ValueError)        .problems: every (path, reason) found
    │   └── sparkforge.writer.WriterValidationError
    ├── PipelineError (RuntimeError)    .report: the failed run's report, if any
    │   └── StepError
    ├── TableOperationError (RuntimeError)
    │   └── sparkforge.writer.WriterTableError
    ├── ExportError (RuntimeError)          export and OpenLineage emission
    ├── ReportError (RuntimeError)          the HTML report
    ├── NotificationError (RuntimeError)    alerts posted to a webhook
    ├── SessionError (RuntimeError)         a session the CLI could not start
    └── sparkforge.writer.WriterError       root of the writer's errors

This module imports nothing from pyspark or the rest of sparkforge.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "ConfigurationError",
    "ERROR_TEMPLATES",
    "ErrorText",
    "ExportError",
    "NotificationError",
    "PipelineError",
    "Problem",
    "ProblemCollector",
    "render_problems",
    "ReportError",
    "RunReport",
    "SessionError",
    "SparkForgeError",
    "StepError",
    "StepOutcome",
    "TableOperationError",
    "ValidationError",
]

#: Message templates by error code, sorted by code. Placeholders are the error's params.
ERROR_TEMPLATES: Mapping[str, str] = MappingProxyType(
    {
        "ANALYSIS_ARGUMENT_INVALID": "Invalid {subject}: {problems}",
        "ANALYSIS_LOG_INVALID": "The DataFrame given as a run log cannot be analysed: {reason}.",
        "CONFIG_INVALID": "Invalid value for {option}: {reason}.",
        "DELTA_NOT_CONFIGURED": (
            "The Spark session cannot use Delta Lake ({reason}); build it with {settings}."
        ),
        "EXPORT_FAILED": "Exporting the run log to {target} failed: {reason}.",
        "EXPORT_TARGET_EXISTS": "Export target {target} already exists ({hint}).",
        "IDENTIFIER_INVALID": "Invalid {kind} name {name!r}: {reason}.",
        "MODEL_INVALID": "Invalid {model}: {problems}",
        "NOTIFY_FAILED": "Posting {findings} finding(s) to {url} failed: {reason}.",
        "OPENLINEAGE_EMIT_FAILED": (
            "Sending OpenLineage events failed after {sent} of {events} were sent: {reason}."
        ),
        "OPTIONAL_DEPENDENCY_MISSING": (
            "{feature} needs the {package} package: install it with pip install '{requirement}'."
        ),
        "PIPELINE_GRAPH_INVALID": "Invalid pipeline: {reason}.",
        "PIPELINE_INPUT_INVALID": "Invalid input to the pipeline run: {reason}.",
        "PIPELINE_RUN_FAILED": "Pipeline {pipeline} run {run_id} failed: {reason}.",
        "REPORT_RENDER_FAILED": "Rendering the HTML report to {target} failed: {reason}.",
        "RULES_INVALID": "Invalid validation rules for step {step}: {reason}.",
        "SPARK_SESSION_FAILED": "Starting a Spark session ({where}) failed: {reason}.",
        "STEP_FAILED": "Step {step} ({phase}) failed: {reason}.",
        "STEP_SKIPPED": "Step {step} ({phase}) was skipped: upstream step {upstream} failed.",
        "TABLE_CONCURRENT_CHANGE": (
            "{operation} on {table} stopped because another writer committed meanwhile "
            "({reason}); nothing was changed."
        ),
        "TABLE_CONFLICT": (
            "{operation} on {table} kept conflicting with concurrent writers "
            "after {attempts} attempts: {reason}."
        ),
        "TABLE_LOCATION_NOT_EMPTY": (
            "Table {table} is not in this session's catalog, but its location {location} "
            "already holds files: {hint}."
        ),
        "TABLE_LOG_ABANDONED": (
            "Table {table} cannot be created: {directory} holds a Delta log without any "
            "commit ({reason}); remove that directory and try again."
        ),
        "TABLE_NOT_FOUND": "Table {table} does not exist.",
        "TABLE_OPERATION_FAILED": "{operation} on {table} failed: {reason}.",
        "TABLE_RETENTION_UNSAFE": (
            "A retention of {hours} hours on {table} is shorter than Delta's safety minimum "
            "of {minimum} hours: {hint}."
        ),
        "TABLE_SCHEMA_MISMATCH": "Table {table} has an incompatible schema: {reason}.",
        "TABLE_VERSION_UNAVAILABLE": "Table {table} cannot be read as of {point}: {reason}.",
        "VALIDATION_THRESHOLD": (
            "Step {step} ({phase}) validation rate {rate}% is below the {phase} "
            "minimum of {minimum}%."
        ),
        "WRITER_ARGUMENT_INVALID": "Invalid {subject}: {problems}",
        "WRITER_COMMIT_UNCONFIRMED": (
            "Writing {runs} run(s) to {table} returned without error, but the commit could "
            "not be confirmed ({reason}); a retry is safe only with "
            "deduplication='transaction'. Runs: {run_ids}."
        ),
        "WRITER_CONFIG_INVALID": "Invalid writer option {option}: {reason}.",
        "WRITER_INPUT_INVALID": "Invalid {subject}, nothing was written: {problems}",
        "WRITER_LEGACY_TABLE": "Table {table} {reason}.",
        "WRITER_MODE_MISMATCH": "{method} is not available here: {reason}.",
        "WRITER_NOT_A_LOG": "Table {table} is not a sparkforge run log: {reason}.",
        "WRITER_WRITE_FAILED": "Writing {runs} run(s) to {table} failed: {reason}.",
    }
)


def _placeholders(template: str) -> frozenset[str]:
    return frozenset(name for _, name, _, _ in string.Formatter().parse(template) if name)


def _render(template: str, params: Mapping[str, str]) -> str:
    """Format ``template`` with ``params``, never doubling a full stop where they meet.

    A value that ends a sentence itself (a nested error's message: ``"... failed."``) and is
    placed before the template's own ``"."`` keeps its punctuation and the template's is
    dropped, so the message never reads ``".."``.
    """
    parts: list[str] = []
    for literal, name, spec, conversion in string.Formatter().parse(template):
        text = literal
        if text.startswith(".") and parts and parts[-1].endswith("."):
            text = text[1:]
        parts.append(text)
        if name is not None:
            value = params[name]
            if conversion == "r":
                value = repr(value)
            elif conversion == "a":
                value = ascii(value)
            parts.append(format(value, spec or ""))
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in an input: where it is and what is wrong with it.

    Parameters
    ----------
    path
        Where the problem is, as a field path such as ``steps[2].valid_rows``.
    reason
        What is wrong, in words a user can act on.

    Examples
    --------
    >>> str(Problem("steps[2].valid_rows", "expected a count >= 0, got -1"))
    'steps[2].valid_rows: expected a count >= 0, got -1'
    """

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


class ProblemCollector:
    """Collect every problem of one input, so a check reports all of them at once.

    Every input check of sparkforge (models, reports, writer options, legacy dicts, read
    filters) collects its problems here and raises once, with all of them.

    Examples
    --------
    >>> problems = ProblemCollector()
    >>> problems.add("steps[0].valid_rows", "expected a count >= 0, got -1")
    >>> bool(problems), len(problems)
    (True, 1)
    >>> print(problems.render())
    1 problem(s): steps[0].valid_rows: expected a count >= 0, got -1
    """

    __slots__ = ("_problems",)

    def __init__(self) -> None:
        self._problems: list[Problem] = []

    def add(self, path: str, reason: str) -> None:
        """Record that the input is wrong at ``path`` for ``reason``.

        Examples
        --------
        >>> problems = ProblemCollector()
        >>> problems.add("batch_size", "expected an integer >= 1, got 0")
        >>> problems.problems
        (Problem(path='batch_size', reason='expected an integer >= 1, got 0'),)
        """
        self._problems.append(Problem(path, reason))

    def extend(self, problems: Iterable[Problem], *, prefix: str = "") -> None:
        """Record ``problems`` found elsewhere, their paths prefixed with ``prefix``.

        Examples
        --------
        >>> problems = ProblemCollector()
        >>> problems.extend([Problem("valid_rows", "expected >= 0, got -1")], prefix="steps[3].")
        >>> print(problems.problems[0])
        steps[3].valid_rows: expected >= 0, got -1
        """
        for problem in problems:
            self._problems.append(Problem(prefix + problem.path, problem.reason))

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem recorded so far, in the order found."""
        return tuple(self._problems)

    def render(self, *, limit: int = 20) -> str:
        """Render the problems with :func:`render_problems`.

        Examples
        --------
        >>> problems = ProblemCollector()
        >>> for i in range(3):
        ...     problems.add(f"steps[{i}].phase", "is required")
        >>> problems.render(limit=2)
        '3 problem(s): steps[0].phase: is required; steps[1].phase: is required; ... and 1 more'
        """
        return render_problems(self.problems, limit=limit)

    def raise_config_error(
        self, error_type: type[ConfigurationError] | None = None, *, code: str = "CONFIG_INVALID"
    ) -> None:
        """Raise one configuration error carrying every problem, if any was recorded.

        The error's ``option`` names the options at fault (the problems' paths) and its
        ``reason`` says what is wrong with each; with one problem they are its path and reason.

        Parameters
        ----------
        error_type
            The :class:`ConfigurationError` subclass to raise (default: itself).
        code
            Its code, a template taking ``{option}`` and ``{reason}``.

        Raises
        ------
        ConfigurationError
            When a problem was recorded; ``problems`` holds them all.

        Examples
        --------
        >>> problems = ProblemCollector()
        >>> problems.add("batch_size", "expected an integer in 1..10, got 0")
        >>> problems.raise_config_error()
        Traceback (most recent call last):
        ...
        sparkforge.errors.ConfigurationError: [CONFIG_INVALID] Invalid value for batch_size: \
expected an integer in 1..10, got 0.
        """
        if not self._problems:
            return
        found = self.problems
        if len(found) == 1:
            option, reason = found[0].path, found[0].reason
        else:
            option = ", ".join(dict.fromkeys(p.path for p in found))
            reason = "; ".join(str(p) for p in found)
        raise (error_type or ConfigurationError)(
            code, {"option": option, "reason": reason}, problems=found
        )

    def __len__(self) -> int:
        return len(self._problems)

    def __bool__(self) -> bool:
        return bool(self._problems)


def render_problems(problems: tuple[Problem, ...], *, limit: int = 20) -> str:
    """Render problems as one readable string, at most ``limit`` of them in full.

    Parameters
    ----------
    problems
        The problems to render.
    limit
        How many to spell out; the rest are counted.

    Returns
    -------
    str
        ``"N problem(s): path: reason; path: reason ..."``.

    Examples
    --------
    >>> render_problems((Problem("run_id", "is required"), Problem("mode", "is required")))
    '2 problem(s): run_id: is required; mode: is required'
    """
    shown = "; ".join(str(p) for p in problems[:limit])
    more = len(problems) - limit
    tail = f"; ... and {more} more" if more > 0 else ""
    return f"{len(problems)} problem(s): {shown}{tail}"


class SparkForgeError(Exception):
    """Root of every error sparkforge raises.

    Parameters
    ----------
    code
        A key of :data:`ERROR_TEMPLATES`; stable across releases.
    params
        The values of the template's placeholders, as strings.

    Attributes
    ----------
    code : str
        The stable error code.
    params : Mapping[str, str]
        The context the message was rendered from.

    Examples
    --------
    >>> error = SparkForgeError("TABLE_NOT_FOUND", {"table": "ops.run_log"})
    >>> error.code, dict(error.params)
    ('TABLE_NOT_FOUND', {'table': 'ops.run_log'})
    >>> print(error)
    [TABLE_NOT_FOUND] Table ops.run_log does not exist.
    >>> SparkForgeError("TABLE_NOT_FOUND", {})
    Traceback (most recent call last):
    ...
    KeyError: "error TABLE_NOT_FOUND takes params ['table'], was given []"
    """

    def __init__(self, code: str, params: Mapping[str, str] | None = None) -> None:
        given = dict(params or {})
        template = ERROR_TEMPLATES.get(code)
        if template is None:
            raise KeyError(f"unknown sparkforge error code {code!r}")
        expected = _placeholders(template)
        if set(given) != expected:
            raise KeyError(
                f"error {code} takes params {sorted(expected)}, was given {sorted(given)}"
            )
        self.code = code
        self.params: Mapping[str, str] = MappingProxyType(given)
        super().__init__(f"[{code}] {_render(template, given)}")

    @property
    def message(self) -> str:
        """The rendered message, ``"[CODE] ..."``."""
        return str(self.args[0])

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle as code, params and the subclass's own attributes.

        Errors cross process boundaries (``multiprocessing``, ``concurrent.futures``, Spark
        workers); the default exception pickling would call ``cls(message)``, which no
        sparkforge error accepts.
        """
        state = {k: v for k, v in self.__dict__.items() if k not in ("code", "params")}
        return (_restore_error, (type(self), self.code, dict(self.params)), state or None)


def _restore_error(
    cls: type[SparkForgeError], code: str, params: dict[str, str]
) -> SparkForgeError:
    """Rebuild a pickled error: its code and params, then (by pickle) its other attributes."""
    error = cls.__new__(cls)
    SparkForgeError.__init__(error, code, params)
    return error


class ConfigurationError(SparkForgeError, ValueError):
    """A configuration object or option has an invalid value.

    Parameters
    ----------
    code, params
        As for :class:`SparkForgeError`.
    problems
        Every problem found, each with the option at fault as its path.

    Examples
    --------
    >>> from sparkforge.models import PipelineConfig
    >>> try:
    ...     PipelineConfig(max_parallel_steps=0)
    ... except ValueError as exc:  # a ConfigurationError is a ValueError too
    ...     print(exc.code, exc.problems[0].path)
    CONFIG_INVALID PipelineConfig.max_parallel_steps
    """

    def __init__(
        self,
        code: str,
        params: Mapping[str, str] | None = None,
        *,
        problems: tuple[Problem, ...] = (),
    ) -> None:
        super().__init__(code, params)
        self.problems = problems


class ValidationError(SparkForgeError, ValueError):
    """Input data or a model failed validation.

    Parameters
    ----------
    code, params
        As for :class:`SparkForgeError`.
    problems
        Every problem found, each with its field path.

    Examples
    --------
    >>> from sparkforge.models import StepResult
    >>> StepResult.from_dict({"step_name": "clean", "phase": "platinum", "status": "success"})
    Traceback (most recent call last):
    ...
    sparkforge.errors.ValidationError: [MODEL_INVALID] Invalid StepResult: 1 problem(s): phase: \
expected one of bronze, silver, gold, got 'platinum'
    """

    def __init__(
        self,
        code: str,
        params: Mapping[str, str] | None = None,
        *,
        problems: tuple[Problem, ...] = (),
    ) -> None:
        super().__init__(code, params)
        self.problems = problems


class ErrorText(Protocol):
    """What :class:`RunReport` says about a failure (a :class:`sparkforge.models.ErrorInfo`).

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
    """What :class:`RunReport` says about one step (a :class:`sparkforge.models.StepResult`).

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
    """The run report a :class:`PipelineError` carries, as this module sees it.

    :class:`sparkforge.models.PipelineReport` is the one implementation; the protocol lets
    this module type :attr:`PipelineError.report` without importing the models (which import
    this module).

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


class PipelineError(SparkForgeError, RuntimeError):
    """A pipeline could not be built or run.

    Parameters
    ----------
    code, params
        As for :class:`SparkForgeError`.
    report
        The report of the failed run, when the error is raised after a run
        (``PipelineConfig(raise_on_failure=True)``).

    Attributes
    ----------
    report : RunReport or None
        The failed run's :class:`sparkforge.models.PipelineReport`, or None when no run
        happened (e.g. an invalid graph).

    Examples
    --------
    >>> error = PipelineError("PIPELINE_GRAPH_INVALID", {"reason": "silver step s reads no bronze"})
    >>> print(error)
    [PIPELINE_GRAPH_INVALID] Invalid pipeline: silver step s reads no bronze.
    >>> error.report is None, isinstance(error, RuntimeError)
    (True, True)
    """

    def __init__(
        self,
        code: str,
        params: Mapping[str, str] | None = None,
        *,
        report: RunReport | None = None,
    ) -> None:
        super().__init__(code, params)
        self.report = report


class StepError(PipelineError):
    """One pipeline step failed.

    Examples
    --------
    >>> error = StepError("STEP_FAILED", {"step": "clean", "phase": "silver", "reason": "boom"})
    >>> print(error)
    [STEP_FAILED] Step clean (silver) failed: boom.
    >>> isinstance(error, PipelineError)
    True
    """


class ExportError(SparkForgeError, RuntimeError):
    """Exporting the run log, or sending its OpenLineage events, failed.

    Codes: ``EXPORT_FAILED``, ``EXPORT_TARGET_EXISTS``, ``OPENLINEAGE_EMIT_FAILED``, and
    ``OPTIONAL_DEPENDENCY_MISSING`` when the export needs a package that is not installed.

    Examples
    --------
    >>> print(ExportError("OPENLINEAGE_EMIT_FAILED", {"sent": "3", "events": "8", "reason": "503"}))
    [OPENLINEAGE_EMIT_FAILED] Sending OpenLineage events failed after 3 of 8 were sent: 503.
    """


class TableOperationError(SparkForgeError, RuntimeError):
    """A Delta table operation failed; the Spark or Delta cause is chained.

    Examples
    --------
    >>> from sparkforge.table_operations import TableRef
    >>> try:
    ...     TableRef.parse("run_log")
    ... except RuntimeError as exc:  # a TableOperationError is a RuntimeError too
    ...     print(exc.code, exc.params["reason"])
    IDENTIFIER_INVALID expected schema.table or catalog.schema.table
    """


class ReportError(SparkForgeError, RuntimeError):
    """Rendering the HTML run report failed (code ``REPORT_RENDER_FAILED``).

    ``OPTIONAL_DEPENDENCY_MISSING`` is raised with this class when the report's packages
    (``sparkforge[report]``) are not installed.

    Examples
    --------
    >>> print(ReportError("REPORT_RENDER_FAILED", {"target": "report.html", "reason": "disk full"}))
    [REPORT_RENDER_FAILED] Rendering the HTML report to report.html failed: disk full.
    """


class NotificationError(SparkForgeError, RuntimeError):
    """Posting findings to a webhook failed: refused, timed out or answered with an error.

    Code: ``NOTIFY_FAILED``.

    Examples
    --------
    >>> error = NotificationError("NOTIFY_FAILED", {"findings": "2",
    ...     "url": "https://hooks.example.com/x", "reason": "HTTP 500"})
    >>> print(error)
    [NOTIFY_FAILED] Posting 2 finding(s) to https://hooks.example.com/x failed: HTTP 500.
    """


class SessionError(SparkForgeError, RuntimeError):
    """The command line could not start the Spark session it was asked for.

    Code: ``SPARK_SESSION_FAILED``. The library itself never starts a session.

    Examples
    --------
    >>> print(SessionError("SPARK_SESSION_FAILED", {"where": "local[2]", "reason": "no Java"}))
    [SPARK_SESSION_FAILED] Starting a Spark session (local[2]) failed: no Java.
    """
