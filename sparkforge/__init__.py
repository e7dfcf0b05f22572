"""sparkforge: PySpark + Delta Lake pipelines in the Medallion layout, with a typed run log.

Build a pipeline with [`PipelineBuilder`][sparkforge.PipelineBuilder]; every run returns a
[`PipelineReport`][sparkforge.PipelineReport]; [`LogWriter`][sparkforge.writer.LogWriter] keeps
those reports, run after run, in one Delta log table.

>>> import sparkforge
>>> sparkforge.RunStatus.SUCCESS == "success"
True
"""

from __future__ import annotations

from sparkforge._version import __version__
from sparkforge.errors import (
    ConfigurationError,
    ExportError,
    NotificationError,
    PipelineError,
    ReportError,
    SessionError,
    SparkForgeError,
    StepError,
    TableOperationError,
    ValidationError,
)
from sparkforge.logging import PipelineLogger
from sparkforge.models import (
    ErrorInfo,
    ExecutionContext,
    Phase,
    PipelineConfig,
    PipelineMetrics,
    PipelineReport,
    RuleResult,
    RunMode,
    RunStatus,
    StepResult,
    StepStatus,
    ValidationThresholds,
)
from sparkforge.pipeline import PipelineBuilder, PipelineRunner, RunLogConfig
from sparkforge.validation import Rule
from sparkforge.writer import LogWriter, WriteMode, WriterConfig, WriteResult

__all__ = [
    "__version__",
    "ConfigurationError",
    "ErrorInfo",
    "ExecutionContext",
    "ExportError",
    "LogWriter",
    "NotificationError",
    "Phase",
    "PipelineBuilder",
    "PipelineConfig",
    "PipelineError",
    "PipelineLogger",
    "PipelineMetrics",
    "PipelineReport",
    "PipelineRunner",
    "ReportError",
    "Rule",
    "RuleResult",
    "RunLogConfig",
    "RunMode",
    "RunStatus",
    "SessionError",
    "SparkForgeError",
    "StepError",
    "StepResult",
    "StepStatus",
    "TableOperationError",
    "ValidationError",
    "ValidationThresholds",
    "WriteMode",
    "WriterConfig",
    "WriteResult",
]
