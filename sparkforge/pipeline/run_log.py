"""Every run logged by itself: the settings, and the write at the end of each run.

A pipeline built with ``PipelineBuilder(..., log_writer=writer)`` writes each run's report to
the writer's log when the run ends: succeeded, failed, raised (``raise_on_failure``) or crashed
(an exception escaping the runner, ``KeyboardInterrupt`` included). The failure policy:

- By default a failing log write never fails the run: it is logged (``sparkforge.pipeline``,
  ERROR, with the run id) and said on the returned report (``report.log_write.error``).
- With ``RunLogConfig(strict=True)`` a run whose log write failed raises
  ``PipelineError("PIPELINE_RUN_FAILED")`` (its ``report`` attribute holds the report, its
  ``__cause__`` is the writer's error) instead of returning.
- A run that raises itself (``raise_on_failure``, a crash) always raises its own exception, the
  same object with the same traceback: its report is written first. In strict mode a failed log
  write is added to that exception as a note (``add_note``, Python 3.11+); it is logged either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING

from sparkforge.errors import ConfigurationError
from sparkforge.models import ErrorInfo, LogWriteOutcome
from sparkforge.performance import Timer
from sparkforge.pipeline.run_environment import environment_tags

if TYPE_CHECKING:
    from sparkforge.logging import PipelineLogger
    from sparkforge.models import PipelineReport
    from sparkforge.writer import LogWriter

__all__ = ["RunLogConfig", "log_run", "run_tags"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunLogConfig:
    """How a pipeline with a ``log_writer`` logs its runs.

    Parameters
    ----------
    strict
        Whether a run whose report could not be written to the log fails: it raises
        ``PipelineError("PIPELINE_RUN_FAILED")`` chained to the write error, instead of
        returning a report whose ``log_write.error`` says why. Default False.
    environment_tags
        Whether each run's context tags get where it executes (Databricks, Airflow, CI ids:
        see `sparkforge.pipeline.run_environment`). Default True.
    tags
        Tags added to every run's context. Detected tags yield to these, and these to the
        ``tags`` given to a ``run_*`` call.
    environ
        The environment to detect from; None (the default) reads ``os.environ`` at the start
        of each run.

    Raises
    ------
    ConfigurationError
        ``CONFIG_INVALID`` for an option of the wrong type.

    Examples
    --------
    >>> RunLogConfig(strict=True, tags={"team": "sales"}).tags["team"]
    'sales'

    *Added in 0.2.0.*
    """

    strict: bool = False
    environment_tags: bool = True
    tags: Mapping[str, str] = field(default_factory=dict)
    environ: Mapping[str, str] | None = None

    def __post_init__(self) -> None:
        for name in ("strict", "environment_tags"):
            value: object = getattr(self, name)
            if not isinstance(value, bool):
                _invalid(name, f"expected a bool, got {value!r}")
        for name in ("tags", "environ"):
            given: object = getattr(self, name)
            if given is None and name == "environ":
                continue
            if not isinstance(given, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in given.items()
            ):
                _invalid(name, f"expected a mapping of strings to strings, got {given!r}")
        object.__setattr__(self, "tags", MappingProxyType(dict(self.tags)))


def _invalid(option: str, reason: str) -> None:
    raise ConfigurationError(
        "CONFIG_INVALID", {"option": f"RunLogConfig({option})", "reason": reason}
    )


def run_tags(config: RunLogConfig, given: Mapping[str, str]) -> dict[str, str]:
    """Return a run's context tags: detected, then the config's, then the run's own.

    Examples
    --------
    >>> config = RunLogConfig(tags={"team": "a", "env": "dev"}, environ={"CI_JOB_ID": "9"})
    >>> run_tags(config, {"env": "prod"})
    {'gitlab_job_id': '9', 'team': 'a', 'env': 'prod'}
    """
    tags = environment_tags(config.environ) if config.environment_tags else {}
    tags.update(config.tags)
    tags.update(given)
    return tags


def log_run(
    writer: LogWriter,
    report: PipelineReport,
    *,
    log: PipelineLogger,
) -> tuple[PipelineReport, BaseException | None]:
    """Write ``report`` with ``writer``; return it with ``log_write`` saying how that went.

    Never raises for a failed write (whatever the writer's ``on_failure``): the failure is
    logged at ERROR, described in ``log_write.error`` and returned beside the report.
    """
    timer = Timer()
    error: BaseException | None = None
    rows, version, skipped = 0, None, False
    try:
        with timer:
            result = writer.write_report(report)
    except Exception as exc:  # the writer's errors, and anything else: the run's outcome wins
        error = exc
    else:
        error = result.error
        rows, version = result.rows_written, result.table_version
        skipped = result.skipped
    outcome = LogWriteOutcome(
        table=str(writer.table),
        rows_written=rows,
        table_version=version,
        skipped=skipped,
        duration_secs=timer.duration_secs,
        error=None if error is None else ErrorInfo.from_exception(error),
    )
    if error is None:
        log.info("run logged to %s: %d row(s) at version %s", outcome.table, rows, version)
    else:
        log.error(
            "writing the run's report to %s failed: %s: %s",
            outcome.table,
            type(error).__name__,
            error,
        )
    return replace(report, log_write=outcome), error


def note_log_failure(exc: BaseException, report: PipelineReport) -> None:
    """Add to ``exc`` (the run's own exception) a note that its report was not logged."""
    outcome = report.log_write
    add_note = getattr(exc, "add_note", None)  # Python 3.11+
    if outcome is None or outcome.error is None or add_note is None:
        return
    add_note(
        f"sparkforge: the report of run {report.run_id} was not written to the log "
        f"{outcome.table}: {outcome.error.type}: {outcome.error.message}"
    )
