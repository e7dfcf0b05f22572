"""The one exception tree of sparkforge.

Every error carries a stable ``code`` and its ``params``; the message is rendered from the
single template table [`ERROR_TEMPLATES`][sparkforge.errors.ERROR_TEMPLATES] as
``"[CODE] message"``. Codes never change once released, so callers and alerting can match
on them.

```text
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
```

The code table lives in `sparkforge._error_codes`, the problem collection
([`Problem`][sparkforge.errors.Problem], [`ProblemCollector`][sparkforge.errors.ProblemCollector],
[`render_problems`][sparkforge.errors.render_problems]) in `sparkforge._problems`, and the protocols
through which [`PipelineError`][sparkforge.errors.PipelineError] sees a run report
([`RunReport`][sparkforge.errors.RunReport], [`StepOutcome`][sparkforge.errors.StepOutcome],
[`ErrorText`][sparkforge.errors.ErrorText]) in `sparkforge._report_protocols`; this module
re-exports them, and users import them from here. It imports nothing from pyspark, and from
sparkforge only those three modules, which import nothing else at import time (models import this
module, so it must not import them).
"""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING

from sparkforge._error_codes import ERROR_TEMPLATES, render_message
from sparkforge._problems import Problem, ProblemCollector, render_problems
from sparkforge._report_protocols import ErrorText, RunReport, StepOutcome

if TYPE_CHECKING:
    from collections.abc import Mapping

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


class SparkForgeError(Exception):
    """Root of every error sparkforge raises.

    Parameters
    ----------
    code
        A key of [`ERROR_TEMPLATES`][sparkforge.errors.ERROR_TEMPLATES]; stable across releases.
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
        message = render_message(code, given)
        self.code = code
        self.params: Mapping[str, str] = MappingProxyType(given)
        super().__init__(message)

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
        As for [`SparkForgeError`][sparkforge.errors.SparkForgeError].
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
        As for [`SparkForgeError`][sparkforge.errors.SparkForgeError].
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


class PipelineError(SparkForgeError, RuntimeError):
    """A pipeline could not be built or run.

    Parameters
    ----------
    code, params
        As for [`SparkForgeError`][sparkforge.errors.SparkForgeError].
    report
        The report of the failed run, when the error is raised after a run
        (``PipelineConfig(raise_on_failure=True)``).

    Attributes
    ----------
    report : RunReport or None
        The failed run's [`sparkforge.models.PipelineReport`][], or None when no run
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
