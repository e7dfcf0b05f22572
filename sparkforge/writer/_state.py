"""The state every [`LogWriter`][sparkforge.writer.LogWriter] method shares, and its one read.

``LogWriter`` is assembled from this base, its own write and read methods (``core``), the
questions it answers (``_questions``) and the upkeep of its table (``_upkeep``): each part
stays one responsibility, and each method stays a thin call into the layer that does the work.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Protocol, TypeVar

from sparkforge import table_operations as ops
from sparkforge.errors import (
    ConfigurationError,
    SparkForgeError,
    TableOperationError,
    ValidationError,
)
from sparkforge.logging import PipelineLogger
from sparkforge.models import utc_now
from sparkforge.performance import OperationStats
from sparkforge.writer._commit import CommitEngine
from sparkforge.writer._table import LogTable, as_writer_error
from sparkforge.writer.config import WriterConfig
from sparkforge.writer.exceptions import (
    WriterConfigurationError,
    WriterError,
    WriterTableError,
    WriterValidationError,
)
from sparkforge.writer.models import LOG_SCHEMA

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from pyspark.sql import DataFrame, SparkSession

__all__ = ["Clock", "WriterState", "writer_error"]

_T = TypeVar("_T")


class Clock(Protocol):
    """Where the writer takes the ``logged_at`` instant from (tests pass a fixed one).

    Any function without arguments returning an aware datetime is a clock; give it as
    ``LogWriter(spark, config, clock=fixed)``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> def fixed() -> datetime:
    ...     return datetime(2026, 1, 2, tzinfo=timezone.utc)
    >>> clock: Clock = fixed
    >>> clock().isoformat()
    '2026-01-02T00:00:00+00:00'
    """

    def __call__(self) -> datetime:
        """Return the current instant, timezone-aware."""
        ...


class WriterState:
    """Build a v1 writer's state; the base of [`LogWriter`][sparkforge.writer.LogWriter].

    ``__init__`` lives here so that type checkers read ``LogWriter(...)``'s signature from
    ``LogWriter.__new__``, whose overloads also type the legacy form as ``LegacyLogWriter``.
    """

    def __init__(
        self,
        spark: SparkSession,
        config: WriterConfig,
        logger: logging.Logger | PipelineLogger | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        if not isinstance(config, WriterConfig):
            raise WriterConfigurationError(
                "WRITER_CONFIG_INVALID",
                {"option": "config", "reason": f"expected a WriterConfig, got {config!r}"},
            )
        if logger is not None and not isinstance(logger, (logging.Logger, PipelineLogger)):
            raise WriterConfigurationError(
                "WRITER_CONFIG_INVALID",
                {"option": "logger", "reason": f"expected a logging.Logger, got {logger!r}"},
            )
        self.spark = spark
        self.config = config
        self.table = config.table
        self.write_schema: str | None = config.table_schema
        self.logs_table_name: str | None = config.resolved_table_name
        self.schema = LOG_SCHEMA
        if isinstance(logger, PipelineLogger):
            self._log = logger
        else:
            self._log = PipelineLogger("sparkforge.writer", logger=logger)
        self._clock: Clock = clock or utc_now
        self._lock = threading.Lock()
        self._stats = OperationStats()
        self._writes = 0
        self._failed_writes = 0
        self._rows_written = 0
        self._runs_written = 0
        self._runs_skipped = 0
        self._commits = 0
        self._log_table = LogTable(spark, config, self._log)
        self._engine = CommitEngine(spark, config, self._log)

    def _read(self, operation: str) -> DataFrame:
        try:
            if not ops.table_exists(self.spark, self.table):
                raise WriterTableError("TABLE_NOT_FOUND", {"table": str(self.table)})
            return self.table.read(self.spark)
        except SparkForgeError as exc:
            raise as_writer_error(exc) from exc
        except Exception as exc:
            raise WriterTableError(
                "TABLE_OPERATION_FAILED",
                {
                    "operation": operation,
                    "table": str(self.table),
                    "reason": ops.failure_reason(exc),
                },
            ) from exc

    def _answer(self, operation: str, call: Callable[[], _T]) -> _T:
        """Run ``call``; any failure leaves as a sparkforge writer error naming ``operation``."""
        try:
            return call()
        except WriterError:
            raise
        except SparkForgeError as exc:
            raise writer_error(exc) from exc
        except Exception as exc:
            raise WriterTableError(
                "TABLE_OPERATION_FAILED",
                {
                    "operation": operation,
                    "table": str(self.table),
                    "reason": ops.failure_reason(exc),
                },
            ) from exc


def writer_error(exc: SparkForgeError) -> SparkForgeError:
    """Return ``exc`` as the writer error of its kind, same code, params and problems.

    Argument problems become [`WriterValidationError`][sparkforge.writer.WriterValidationError],
    option problems [`WriterConfigurationError`][sparkforge.writer.WriterConfigurationError], table
    failures [`WriterTableError`][sparkforge.writer.WriterTableError]; any other sparkforge error
    (an export's) is returned as it is.

    Examples
    --------
    >>> from sparkforge.errors import ProblemCollector
    >>> error = ValidationError("ANALYSIS_LOG_INVALID", {"reason": "no rows"})
    >>> type(writer_error(error)).__name__
    'WriterValidationError'
    """
    if isinstance(exc, WriterError):
        return exc
    converted: SparkForgeError
    if isinstance(exc, ValidationError):
        converted = WriterValidationError(exc.code, exc.params, problems=exc.problems)
    elif isinstance(exc, ConfigurationError):
        converted = WriterConfigurationError(exc.code, exc.params, problems=exc.problems)
    elif isinstance(exc, TableOperationError):
        converted = as_writer_error(exc)
    else:
        return exc
    converted.__cause__ = exc.__cause__ or exc
    return converted
