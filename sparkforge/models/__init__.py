"""Pure data of sparkforge: enums, step and run results, contexts and configuration.

Nothing here imports pyspark, so reports can be built, serialised and checked without a JVM;
nothing here imports sparkforge beyond `sparkforge.errors`. Every model round-trips
through ``to_dict()`` / ``from_dict()`` as JSON-safe data: instants are ISO 8601 strings with a
UTC offset, enums their values, tuples lists. ``from_dict`` checks the shape and types of its
input and raises [`ValidationError`][sparkforge.errors.ValidationError] naming the path of every bad
field.

Result models ([`StepResult`][sparkforge.StepResult],
[`PipelineReport`][sparkforge.PipelineReport] ...) do not validate themselves on construction: the
runner builds them from measurements, and whoever consumes one from outside (the log writer) checks
it at its own boundary. Configuration models validate in ``__post_init__`` and raise
[`ConfigurationError`][sparkforge.errors.ConfigurationError].

The package's modules: `enums` (closed value sets),
`results` (rules, errors, steps, run totals),
`report` (context and report), `config`
(pipeline configuration) and `rates` (the validation-rate formula).
"""

from __future__ import annotations

from sparkforge.models._base import JsonDict, utc_now
from sparkforge.models.config import PipelineConfig, ValidationThresholds
from sparkforge.models.enums import (
    Phase,
    PhaseName,
    RunMode,
    RunModeName,
    RunStatus,
    StepStatus,
    TableWriteMode,
    WriteMode,
    WriteModeName,
)
from sparkforge.models.rates import RATE_TOLERANCE, validation_rate
from sparkforge.models.report import ExecutionContext, LogWriteOutcome, PipelineReport
from sparkforge.models.results import ErrorInfo, PipelineMetrics, RuleResult, StepResult

__all__ = [
    "ErrorInfo",
    "ExecutionContext",
    "JsonDict",
    "LogWriteOutcome",
    "Phase",
    "PhaseName",
    "PipelineConfig",
    "PipelineMetrics",
    "PipelineReport",
    "RATE_TOLERANCE",
    "RuleResult",
    "RunMode",
    "RunModeName",
    "RunStatus",
    "StepResult",
    "StepStatus",
    "TableWriteMode",
    "utc_now",
    "validation_rate",
    "ValidationThresholds",
    "WriteMode",
    "WriteModeName",
]
