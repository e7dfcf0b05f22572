"""``PipelineRunner``: run a pipeline in one of four modes; every run returns a report.

A run never raises for what happens to its data: a failing step is recorded in the report
(status ``failed`` with its error), the steps depending on it are recorded as skipped, and the
report's status is ``failed``. A problem outside any step (a missing bronze DataFrame, say)
gives a report without steps whose ``error`` says why. Only with
``PipelineConfig(raise_on_failure=True)`` does a failed run raise, after its report is built.
"""

from __future__ import annotations

import getpass
import socket
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING

from pyspark.sql import DataFrame

from sparkforge.errors import PipelineError, Problem, render_problems
from sparkforge.logging import PipelineLogger
from sparkforge.models import (
    ErrorInfo,
    ExecutionContext,
    PipelineMetrics,
    PipelineReport,
    RunMode,
    RunStatus,
    StepStatus,
)
from sparkforge.performance import Timer
from sparkforge.pipeline._execute import RunContext, run_step, skipped_step
from sparkforge.pipeline._scheduler import execute_graph
from sparkforge.pipeline.steps import BronzeStep
from sparkforge.table_operations import ensure_schema

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import SparkSession

    from sparkforge.models import PipelineConfig, StepResult
    from sparkforge.pipeline.plan import PipelinePlan

__all__ = ["PipelineRunner"]


class PipelineRunner:
    """A validated pipeline, ready to run. Get one from ``PipelineBuilder.to_pipeline()``.

    Parameters
    ----------
    spark
        The session to run on.
    plan
        The validated graph.
    schema
        The catalog schema of the silver and gold tables (created on the first writing run).
    config
        How runs go.
    pipeline_name
        The name in reports and logs.

    Notes
    -----
    The run modes:

    ``run_initial_load`` / ``run_full_refresh``
        Validate every bronze row; overwrite every silver and gold table with its valid rows.
    ``run_incremental``
        A silver step whose bronze step has an ``incremental_col`` (or which has a
        ``watermark_col``) appends only the bronze rows newer than its table's
        ``max(watermark_col)``; other silver steps are recomputed and overwritten. Gold steps
        are recomputed from the whole silver tables and overwritten.
    ``run_validation_only``
        Validate and transform everything as a full load would, write nothing.

    .. versionadded:: 0.1.0
    """

    def __init__(
        self,
        spark: SparkSession,
        *,
        plan: PipelinePlan,
        schema: str,
        config: PipelineConfig,
        pipeline_name: str,
    ) -> None:
        self._spark = spark
        self._plan = plan
        self._schema = schema
        self._config = config
        self._pipeline_name = pipeline_name
        self._log = PipelineLogger("sparkforge.pipeline", pipeline=pipeline_name)

    @property
    def plan(self) -> PipelinePlan:
        """The pipeline's steps, dependencies and execution order."""
        return self._plan

    @property
    def schema(self) -> str:
        """The catalog schema of the pipeline's tables."""
        return self._schema

    @property
    def config(self) -> PipelineConfig:
        """How the pipeline runs."""
        return self._config

    @property
    def pipeline_name(self) -> str:
        """The pipeline's name."""
        return self._pipeline_name

    def run_initial_load(
        self, *, bronze_sources: Mapping[str, DataFrame], tags: Mapping[str, str] | None = None
    ) -> PipelineReport:
        """Load everything: overwrite every silver and gold table.

        Parameters
        ----------
        bronze_sources
            One DataFrame per bronze step, by step name.
        tags
            Labels recorded in the report's context (environment, job id ...).

        Returns
        -------
        PipelineReport
            What the run did; its status is ``failed`` if anything failed.

        Raises
        ------
        PipelineError
            ``PIPELINE_RUN_FAILED``, only with ``raise_on_failure``; ``.report`` holds the report.
        """
        return self._run(RunMode.INITIAL, bronze_sources, tags)

    def run_incremental(
        self, *, bronze_sources: Mapping[str, DataFrame], tags: Mapping[str, str] | None = None
    ) -> PipelineReport:
        """Append the bronze rows newer than each silver table's watermark; recompute gold.

        Parameters and return value are those of :meth:`run_initial_load`.
        """
        return self._run(RunMode.INCREMENTAL, bronze_sources, tags)

    def run_full_refresh(
        self, *, bronze_sources: Mapping[str, DataFrame], tags: Mapping[str, str] | None = None
    ) -> PipelineReport:
        """Rebuild every silver and gold table from the given bronze data (Delta overwrites).

        Parameters and return value are those of :meth:`run_initial_load`.
        """
        return self._run(RunMode.FULL_REFRESH, bronze_sources, tags)

    def run_validation_only(
        self, *, bronze_sources: Mapping[str, DataFrame], tags: Mapping[str, str] | None = None
    ) -> PipelineReport:
        """Validate and transform as a full load would, but write no table.

        Parameters and return value are those of :meth:`run_initial_load`; ``rows_written``
        and ``write_mode`` of every step are None.
        """
        return self._run(RunMode.VALIDATION_ONLY, bronze_sources, tags)

    # ------------------------------------------------------------------ internals

    def _input_problems(self, bronze_sources: object) -> list[Problem]:
        problems: list[Problem] = []
        if not isinstance(bronze_sources, Mapping):
            problems.append(
                Problem(
                    "bronze_sources",
                    "expected a mapping of bronze step name to DataFrame, "
                    f"got {type(bronze_sources).__name__}",
                )
            )
            return problems
        expected = [n for n, s in self._plan.steps.items() if isinstance(s, BronzeStep)]
        for name in expected:
            if name not in bronze_sources:
                problems.append(Problem("bronze_sources", f"no DataFrame for bronze step {name!r}"))
            elif not isinstance(bronze_sources[name], DataFrame):
                got = type(bronze_sources[name]).__name__
                problems.append(
                    Problem(f"bronze_sources[{name!r}]", f"expected a DataFrame, got {got}")
                )
        for name in bronze_sources:
            if name not in expected:
                problems.append(
                    Problem(
                        "bronze_sources",
                        f"{name!r} is not a bronze step of the pipeline "
                        f"(bronze steps: {', '.join(expected) or 'none'})",
                    )
                )
        return problems

    def _run(
        self, mode: RunMode, bronze_sources: Mapping[str, DataFrame], tags: Mapping[str, str] | None
    ) -> PipelineReport:
        run_id = str(uuid.uuid4())
        log = self._log.bind(run_id=run_id)
        log.info("run started (%s, %d steps)", mode, len(self._plan.order))
        steps: list[StepResult] = []
        error: Exception | None = None
        facts: dict[str, str | None] = {}
        given_tags: object = tags
        tag_map = _string_map(given_tags)
        with Timer() as timer:
            try:
                problems = self._input_problems(bronze_sources)
                if tag_map is None:
                    problems.append(Problem("tags", "expected a mapping of strings to strings"))
                if problems:
                    raise PipelineError(
                        "PIPELINE_INPUT_INVALID", {"reason": render_problems(tuple(problems))}
                    )
                facts = _environment(self._spark)
                ctx = RunContext(
                    spark=self._spark,
                    schema=self._schema,
                    config=self._config,
                    plan=self._plan,
                    mode=mode,
                    run_id=run_id,
                    log=log,
                    bronze_sources=bronze_sources,
                )
                if ctx.writes:
                    ensure_schema(self._spark, self._schema)
                try:
                    steps = execute_graph(
                        self._plan.order,
                        self._plan.dependencies,
                        run=lambda name: run_step(ctx, name),
                        skip=lambda name, upstream: skipped_step(ctx, name, upstream),
                        max_parallel=self._config.max_parallel_steps,
                    )
                finally:
                    ctx.release_all()
            except Exception as exc:
                error = exc
        started_at, ended_at = timer.started_at, timer.ended_at
        assert started_at is not None
        assert ended_at is not None
        failed = [s.step_name for s in steps if s.status is StepStatus.FAILED]
        status = RunStatus.FAILED if error is not None or failed else RunStatus.SUCCESS
        context = ExecutionContext(
            run_id=run_id,
            pipeline_name=self._pipeline_name,
            mode=mode,
            started_at=started_at,
            ended_at=ended_at,
            spark_version=facts.get("spark_version"),
            app_id=facts.get("app_id"),
            user=facts.get("user"),
            host=facts.get("host"),
            tags=tag_map or {},
        )
        report = PipelineReport(
            run_id=run_id,
            pipeline_name=self._pipeline_name,
            mode=mode,
            status=status,
            started_at=started_at,
            ended_at=ended_at,
            steps=tuple(steps),
            metrics=PipelineMetrics.from_steps(tuple(steps)),
            context=context,
            error=None if error is None else ErrorInfo.from_exception(error),
        )
        if status is RunStatus.SUCCESS:
            log.info("run succeeded in %.3fs", timer.duration_secs)
            return report
        reason = (
            f"{type(error).__name__}: {error}"
            if error is not None
            else f"step(s) {', '.join(failed)} failed"
        )
        log.error("run failed: %s", reason)
        if self._config.raise_on_failure:
            raise PipelineError(
                "PIPELINE_RUN_FAILED",
                {"pipeline": self._pipeline_name, "run_id": run_id, "reason": reason},
                report=report,
            ) from error
        return report


def _environment(spark: SparkSession) -> dict[str, str | None]:
    def attempt(get: Callable[[], object]) -> str | None:
        try:
            value = get()
        except Exception:  # a fact we cannot learn is left out, never fatal
            return None
        return None if value is None else str(value)

    return {
        "spark_version": attempt(lambda: spark.version),
        "app_id": attempt(lambda: spark.conf.get("spark.app.id", None)),
        "user": attempt(getpass.getuser),
        "host": attempt(socket.gethostname),
    }


def _string_map(value: object) -> dict[str, str] | None:
    if value is None:
        return {}
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        return dict(value)
    return None
