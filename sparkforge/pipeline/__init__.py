"""Build and run Medallion pipelines: bronze validation, silver and gold Delta tables.

Declare the steps with [`PipelineBuilder`][sparkforge.PipelineBuilder], get a
[`PipelineRunner`][sparkforge.PipelineRunner] from ``to_pipeline()``, and run it; every run returns
a [`PipelineReport`][sparkforge.PipelineReport]. Give the builder a ``log_writer`` and every run
writes its report to that Delta log when it ends, crashes included
([`RunLogConfig`][sparkforge.RunLogConfig] sets the failure policy and the tags, among them those
`environment_tags` detects). See ``docs/pipeline.md`` for what each count means and how the run
modes behave.
"""

from __future__ import annotations

from sparkforge.pipeline.builder import PipelineBuilder
from sparkforge.pipeline.plan import (
    QUARANTINE_AT_COL,
    QUARANTINE_RUN_ID_COL,
    QUARANTINE_SUFFIX,
    PipelinePlan,
)
from sparkforge.pipeline.run_environment import environment_tags
from sparkforge.pipeline.run_log import RunLogConfig
from sparkforge.pipeline.runner import PipelineRunner
from sparkforge.pipeline.steps import (
    BronzeStep,
    GoldStep,
    GoldTransform,
    SilverStep,
    SilverTransform,
    StepSpec,
)

__all__ = [
    "BronzeStep",
    "environment_tags",
    "GoldStep",
    "GoldTransform",
    "PipelineBuilder",
    "PipelinePlan",
    "PipelineRunner",
    "QUARANTINE_AT_COL",
    "QUARANTINE_RUN_ID_COL",
    "QUARANTINE_SUFFIX",
    "RunLogConfig",
    "SilverStep",
    "SilverTransform",
    "StepSpec",
]
