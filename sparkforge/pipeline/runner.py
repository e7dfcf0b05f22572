"""``PipelineRunner``: run a pipeline in one of four modes; every run returns a report.

A run never raises for what happens to its data: a failing step is recorded in the report
(status ``failed`` with its error), the steps depending on it are recorded as skipped, and the
report's status is ``failed``. A problem outside any step (a missing bronze DataFrame, say)
gives a report without steps whose ``error`` says why. Only with
``PipelineConfig(raise_on_failure=True)`` does a failed run raise, after its report is built.

With a ``log_writer`` every run's report is written to the log when the run ends, before any
exception propagates; `sparkforge.pipeline.run_log` states the failure policy.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

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
    utc_now,
)
from sparkforge.performance import Timer
from sparkforge.pipeline._execute import RunContext, run_step, skipped_step
from sparkforge.pipeline._inputs import environment_facts, input_problems, string_map
from sparkforge.pipeline._progress import Progress
from sparkforge.pipeline._scheduler import execute_graph
from sparkforge.pipeline.run_log import RunLogConfig, log_run, note_log_failure, run_tags
from sparkforge.table_operations import ensure_schema

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.models import PipelineConfig
    from sparkforge.pipeline.plan import PipelinePlan
    from sparkforge.writer import LogWriter

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
    log_writer
        Where to log every run when it ends (crashes included); None logs nothing.

        *Added in 0.2.0.*
    log_config
        How runs are logged (the failure policy, environment and extra tags); defaults to
        ``RunLogConfig()``. Used only with a ``log_writer``.

        *Added in 0.2.0.*

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

    *Added in 0.1.0.*

    Examples
    --------
    With a ``pipeline`` from
    [`PipelineBuilder.to_pipeline`][sparkforge.PipelineBuilder.to_pipeline]:

    ```python
    report = pipeline.run_initial_load(bronze_sources={"orders": orders_df})
    print(report.status, report.metrics.rows_written)
    report = pipeline.run_incremental(bronze_sources={"orders": new_orders_df})
    print(report.step("clean_orders").filtered_rows)  # rows not newer than the watermark
    ```
    """

    def __init__(
        self,
        spark: SparkSession,
        *,
        plan: PipelinePlan,
        schema: str,
        config: PipelineConfig,
        pipeline_name: str,
        log_writer: LogWriter | None = None,
        log_config: RunLogConfig | None = None,
    ) -> None:
        self._spark = spark
        self._plan = plan
        self._schema = schema
        self._config = config
        self._pipeline_name = pipeline_name
        self._log_writer = log_writer
        self._log_config = log_config if log_config is not None else RunLogConfig()
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

    @property
    def log_writer(self) -> LogWriter | None:
        """Where every run is logged when it ends; None when runs are not logged."""
        return self._log_writer

    @property
    def log_config(self) -> RunLogConfig:
        """How runs are logged."""
        return self._log_config

    def run_initial_load(
        self, *, bronze_sources: Mapping[str, DataFrame], tags: Mapping[str, str] | None = None
    ) -> PipelineReport:
        """Load everything: overwrite every silver and gold table.

        Parameters
        ----------
        bronze_sources
            One DataFrame per bronze step, by step name.
        tags
            Labels recorded in the report's context (environment, job id ...). With a
            ``log_writer`` they win over the detected environment tags and the
            ``log_config``'s tags.

        Returns
        -------
        PipelineReport
            What the run did; its status is ``failed`` if anything failed. With a
            ``log_writer``, ``log_write`` says how logging it went.

        Raises
        ------
        PipelineError
            ``PIPELINE_RUN_FAILED`` with ``raise_on_failure`` when the run failed, or with
            ``RunLogConfig(strict=True)`` when its report could not be logged; ``.report``
            holds the report. Any exception escaping the run (``KeyboardInterrupt`` ...)
            propagates unchanged, after the run's report was logged.

        Examples
        --------
        ```python
        report = pipeline.run_initial_load(
            bronze_sources={"orders": orders_df}, tags={"job_id": "nightly-42"}
        )
        print(report.status, report.metrics.rows_written, report.context.tags["job_id"])
        for step in report.steps:
            print(step.step_name, step.status, step.rows_written, step.validation_rate)
        ```
        """
        return self._run(RunMode.INITIAL, bronze_sources, tags)

    def run_incremental(
        self, *, bronze_sources: Mapping[str, DataFrame], tags: Mapping[str, str] | None = None
    ) -> PipelineReport:
        """Append the bronze rows newer than each silver table's watermark; recompute gold.

        Parameters and return value are those of
        [`run_initial_load`][sparkforge.PipelineRunner.run_initial_load].

        Examples
        --------
        ```python
        report = pipeline.run_incremental(bronze_sources={"orders": new_orders_df})
        step = report.step("clean_orders")
        print(step.write_mode, step.previous_watermark, step.filtered_rows)
        ```
        """
        return self._run(RunMode.INCREMENTAL, bronze_sources, tags)

    def run_full_refresh(
        self, *, bronze_sources: Mapping[str, DataFrame], tags: Mapping[str, str] | None = None
    ) -> PipelineReport:
        """Rebuild every silver and gold table from the given bronze data (Delta overwrites).

        Parameters and return value are those of
        [`run_initial_load`][sparkforge.PipelineRunner.run_initial_load].

        Examples
        --------
        ```python
        report = pipeline.run_full_refresh(bronze_sources={"orders": all_orders_df})
        print(report.mode, report.step("clean_orders").write_mode)  # full_refresh overwrite
        ```
        """
        return self._run(RunMode.FULL_REFRESH, bronze_sources, tags)

    def run_validation_only(
        self, *, bronze_sources: Mapping[str, DataFrame], tags: Mapping[str, str] | None = None
    ) -> PipelineReport:
        """Validate and transform as a full load would, but write no table.

        Parameters and return value are those of
        [`run_initial_load`][sparkforge.PipelineRunner.run_initial_load]; ``rows_written`` and
        ``write_mode`` of every step are None.

        Examples
        --------
        Try new rules on today's data without touching a table:

        ```python
        report = pipeline.run_validation_only(bronze_sources={"orders": orders_df})
        step = report.step("clean_orders")
        print(step.validation_rate, step.rule_results, step.rows_written)  # ... None
        ```
        """
        return self._run(RunMode.VALIDATION_ONLY, bronze_sources, tags)

    # ------------------------------------------------------------------ internals

    def _run(
        self, mode: RunMode, bronze_sources: Mapping[str, DataFrame], tags: Mapping[str, str] | None
    ) -> PipelineReport:
        run_id = str(uuid.uuid4())
        log = self._log.bind(run_id=run_id)
        log.info("run started (%s, %d steps)", mode, len(self._plan.order))
        progress = Progress(order=self._plan.order)
        timer = Timer()
        try:
            with timer:
                error = self._execute(mode, bronze_sources, tags, run_id, log, progress)
            report = self._report(mode, run_id, timer, progress, error)
        except BaseException as exc:  # a crash of the runner itself, KeyboardInterrupt included
            if self._log_writer is not None:
                self._log_crash(exc, mode, run_id, timer, progress, log)
            raise
        failed = [s.step_name for s in report.steps if s.status is StepStatus.FAILED]
        reason = (
            f"{type(error).__name__}: {error}"
            if error is not None
            else f"step(s) {', '.join(failed)} failed"
        )
        if report.status is RunStatus.SUCCESS:
            log.info("run succeeded in %.3fs", timer.duration_secs)
        else:
            log.error("run failed: %s", reason)
        write_error: BaseException | None = None
        if self._log_writer is not None:
            report, write_error = log_run(self._log_writer, report, log=log)
        if report.status is not RunStatus.SUCCESS and self._config.raise_on_failure:
            raised = PipelineError(
                "PIPELINE_RUN_FAILED",
                {"pipeline": self._pipeline_name, "run_id": run_id, "reason": reason},
                report=report,
            )
            if self._log_config.strict:
                note_log_failure(raised, report)
            raise raised from error
        if self._log_config.strict and write_error is not None:
            table = report.log_write.table if report.log_write is not None else "?"
            raise PipelineError(
                "PIPELINE_RUN_FAILED",
                {
                    "pipeline": self._pipeline_name,
                    "run_id": run_id,
                    "reason": (
                        f"its report was not written to the log {table} "
                        f"({type(write_error).__name__}: {write_error})"
                    ),
                },
                report=report,
            ) from write_error
        return report

    def _execute(
        self,
        mode: RunMode,
        bronze_sources: Mapping[str, DataFrame],
        tags: Mapping[str, str] | None,
        run_id: str,
        log: PipelineLogger,
        progress: Progress,
    ) -> Exception | None:
        """Run the steps, recording them in ``progress``; return the error outside any step."""
        given_tags: object = tags
        tag_map = string_map(given_tags)
        if tag_map is not None and self._log_writer is not None:
            tag_map = run_tags(self._log_config, tag_map)
        progress.tags = tag_map or {}
        try:
            problems = input_problems(self._plan, bronze_sources)
            if tag_map is None:
                problems.append(Problem("tags", "expected a mapping of strings to strings"))
            if problems:
                raise PipelineError(
                    "PIPELINE_INPUT_INVALID", {"reason": render_problems(tuple(problems))}
                )
            progress.facts = environment_facts(self._spark)
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
                progress.steps = execute_graph(
                    self._plan.order,
                    self._plan.dependencies,
                    run=lambda name: progress.record(name, lambda: run_step(ctx, name), ctx),
                    skip=lambda name, upstream: progress.add(skipped_step(ctx, name, upstream)),
                    max_parallel=self._config.max_parallel_steps,
                )
            finally:
                ctx.release_all()
        except Exception as exc:
            return exc
        return None

    def _report(
        self,
        mode: RunMode,
        run_id: str,
        timer: Timer,
        progress: Progress,
        error: BaseException | None,
    ) -> PipelineReport:
        started_at = timer.started_at or utc_now()
        ended_at = timer.ended_at or utc_now()
        steps = progress.ordered()
        failed = any(s.status is StepStatus.FAILED for s in steps)
        status = RunStatus.FAILED if error is not None or failed else RunStatus.SUCCESS
        context = ExecutionContext(
            run_id=run_id,
            pipeline_name=self._pipeline_name,
            mode=mode,
            started_at=started_at,
            ended_at=ended_at,
            spark_version=progress.facts.get("spark_version"),
            app_id=progress.facts.get("app_id"),
            user=progress.facts.get("user"),
            host=progress.facts.get("host"),
            tags=progress.tags,
        )
        return PipelineReport(
            run_id=run_id,
            pipeline_name=self._pipeline_name,
            mode=mode,
            status=status,
            started_at=started_at,
            ended_at=ended_at,
            steps=steps,
            metrics=PipelineMetrics.from_steps(steps),
            context=context,
            error=None if error is None else ErrorInfo.from_exception(error),
        )

    def _log_crash(
        self,
        exc: BaseException,
        mode: RunMode,
        run_id: str,
        timer: Timer,
        progress: Progress,
        log: PipelineLogger,
    ) -> None:
        """Write the report of a run that raised; never raise (the run's exception goes on)."""
        assert self._log_writer is not None
        log.error("run crashed: %s: %s", type(exc).__name__, exc)
        try:
            report = self._report(mode, run_id, timer, progress, exc)
            report, _ = log_run(self._log_writer, report, log=log)
        except Exception as failure:  # the crash itself may have broken the report's parts
            log.error(
                "the crashed run's report could not be built or written: %s: %s",
                type(failure).__name__,
                failure,
            )
            return
        if self._log_config.strict:
            note_log_failure(exc, report)
