"""Execute one step of a run: read, transform, validate, write, and measure each count.

Every count in a [`StepResult`][sparkforge.StepResult] is measured here: rows read and
filtered by one aggregation over the step's input, the validation counts by one aggregation
over its output ([`apply_rules`][sparkforge.validation.apply_rules]), rows written from Delta's
commit metrics (``numOutputRows`` of the commit carrying this step's marker).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sparkforge import table_operations as tables
from sparkforge.errors import StepError
from sparkforge.models import (
    ErrorInfo,
    RunMode,
    StepResult,
    StepStatus,
    utc_now,
)
from sparkforge.performance import Timer
from sparkforge.pipeline.plan import QUARANTINE_AT_COL, QUARANTINE_RUN_ID_COL, QUARANTINE_SUFFIX
from sparkforge.pipeline.steps import BronzeStep, SilverStep
from sparkforge.validation import apply_rules, check_threshold

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from pyspark.sql import Column, SparkSession

    from sparkforge.logging import PipelineLogger
    from sparkforge.models import PipelineConfig, RuleResult, WriteMode, WriteModeName
    from sparkforge.pipeline.plan import PipelinePlan
    from sparkforge.pipeline.steps import GoldStep, StepSpec
    from sparkforge.validation import ValidationCounts, ValidationResult

__all__ = ["RunContext", "run_step", "skipped_step"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(eq=False)
class RunContext:
    """What the steps of one run share: session, settings, and the data handed between steps."""

    spark: SparkSession
    schema: str
    config: PipelineConfig
    plan: PipelinePlan
    mode: RunMode
    run_id: str
    log: PipelineLogger
    bronze_sources: Mapping[str, DataFrame]
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _outputs: dict[str, DataFrame] = field(default_factory=dict)
    _held: list[ValidationResult] = field(default_factory=list)

    @property
    def writes(self) -> bool:
        """Whether this run writes tables (every mode but validation-only)."""
        return self.mode is not RunMode.VALIDATION_ONLY

    def publish(self, step: str, df: DataFrame) -> None:
        """Record the data a step hands to the steps that depend on it."""
        with self._lock:
            self._outputs[step] = df

    def output(self, step: str) -> DataFrame:
        """Return the data a finished step handed on."""
        with self._lock:
            return self._outputs[step]

    def hold(self, result: ValidationResult) -> None:
        """Keep ``result``'s rows persisted until the run ends."""
        with self._lock:
            self._held.append(result)

    def release_all(self) -> None:
        """Unpersist everything held for the run."""
        with self._lock:
            held, self._held = self._held, []
        for result in held:
            result.release()


@dataclass(slots=True)
class _Measured:
    table_fqn: str | None = None
    write_mode: WriteMode | WriteModeName | None = None
    input_rows: int | None = None
    output_rows: int | None = None
    rows_written: int | None = None
    valid_rows: int | None = None
    invalid_rows: int | None = None
    validation_rate: float | None = None
    rule_results: tuple[RuleResult, ...] = ()
    previous_watermark: datetime | None = None
    filtered_rows: int | None = None

    def record(self, counts: ValidationCounts) -> None:
        self.output_rows = counts.rows
        self.valid_rows = counts.valid_rows
        self.invalid_rows = counts.invalid_rows
        self.validation_rate = counts.validation_rate
        self.rule_results = counts.rule_results


def _table_of(ctx: RunContext, step: StepSpec) -> tables.TableRef | None:
    if isinstance(step, BronzeStep):
        return None
    return tables.TableRef.named(ctx.schema, step.table_name)


def skipped_step(ctx: RunContext, name: str, upstream: str) -> StepResult:
    """Return the result of a step not run because ``upstream`` failed."""
    step = ctx.plan.step(name)
    error = StepError(
        "STEP_SKIPPED", {"step": name, "phase": str(step.phase), "upstream": upstream}
    )
    ctx.log.bind(step=name).info("step skipped: upstream step %s failed", upstream)
    table = _table_of(ctx, step)
    return StepResult(
        step_name=name,
        phase=step.phase,
        status=StepStatus.SKIPPED,
        started_at=None,
        ended_at=None,
        duration_secs=None,
        table_fqn=None if table is None else table.fqn,
        error=ErrorInfo.from_exception(error, with_traceback=False),
    )


def run_step(ctx: RunContext, name: str) -> StepResult:
    """Run the step called ``name`` and return its result; a failure is recorded, not raised."""
    step = ctx.plan.step(name)
    log = ctx.log.bind(step=name)
    table = _table_of(ctx, step)
    measured = _Measured(table_fqn=None if table is None else table.fqn)
    error: Exception | None = None
    log.info("step started (%s)", step.phase)
    with Timer() as timer:
        try:
            if isinstance(step, BronzeStep):
                _bronze(ctx, step, measured)
            elif isinstance(step, SilverStep):
                assert table is not None
                _silver(ctx, step, table, measured)
            else:
                assert table is not None
                _gold(ctx, step, table, measured)
        except Exception as exc:
            error = exc
    result = StepResult(
        step_name=name,
        phase=step.phase,
        status=StepStatus.SUCCESS if error is None else StepStatus.FAILED,
        started_at=timer.started_at,
        ended_at=timer.ended_at,
        duration_secs=timer.duration_secs,
        table_fqn=measured.table_fqn,
        write_mode=measured.write_mode,
        input_rows=measured.input_rows,
        output_rows=measured.output_rows,
        rows_written=measured.rows_written,
        valid_rows=measured.valid_rows,
        invalid_rows=measured.invalid_rows,
        validation_rate=measured.validation_rate,
        rule_results=measured.rule_results,
        previous_watermark=measured.previous_watermark,
        filtered_rows=measured.filtered_rows,
        error=None if error is None else ErrorInfo.from_exception(error),
    )
    _log_end(log, result, error, timer.duration_secs)
    return result


def _log_end(
    log: PipelineLogger, result: StepResult, error: Exception | None, seconds: float
) -> None:
    counts = (
        f"input={result.input_rows} filtered={result.filtered_rows} "
        f"output={result.output_rows} valid={result.valid_rows} "
        f"invalid={result.invalid_rows} rate={result.validation_rate} "
        f"written={result.rows_written} in {seconds:.3f}s"
    )
    if error is None:
        log.info("step succeeded: %s", counts)
    else:
        log.error("step failed: %s: %s (%s)", type(error).__name__, error, counts)


def _validate(
    ctx: RunContext, step: StepSpec, df: DataFrame, measured: _Measured
) -> ValidationResult:
    result = apply_rules(df, step.rules)
    measured.record(result.counts)
    try:
        check_threshold(
            result.counts, step=step.name, phase=step.phase, thresholds=ctx.config.thresholds
        )
    except BaseException:
        result.release()
        raise
    return result


def _bronze(ctx: RunContext, step: BronzeStep, measured: _Measured) -> None:
    result = _validate(ctx, step, ctx.bronze_sources[step.name], measured)
    measured.input_rows = measured.output_rows
    ctx.hold(result)  # silver steps read the valid rows from the persisted data
    ctx.publish(step.name, result.valid_df)


def _silver(ctx: RunContext, step: SilverStep, table: tables.TableRef, measured: _Measured) -> None:
    bronze = ctx.plan.step(step.source_bronze)
    assert isinstance(bronze, BronzeStep)
    source_df = ctx.output(step.source_bronze)
    filter_col = bronze.incremental_col or step.watermark_col
    watermark_col = step.watermark_col or bronze.incremental_col
    mode: WriteMode | WriteModeName = "overwrite"
    if ctx.mode is RunMode.INCREMENTAL and filter_col is not None and watermark_col is not None:
        mode = "append"
        if filter_col not in source_df.columns:
            raise _step_error(
                step, f"incremental column {filter_col!r} is not a column of {bronze.name!r}"
            )
        watermark = read_watermark(ctx.spark, table, watermark_col, step=step)
        measured.previous_watermark = watermark
        newer = (
            F.lit(True)
            if watermark is None
            else F.coalesce(F.col(filter_col) > F.lit(watermark), F.lit(False))
        )
        row = source_df.agg(F.count(F.lit(1)), F.count(F.when(~newer, 1))).first()
        assert row is not None
        measured.input_rows, measured.filtered_rows = int(row[0]), int(row[1])
        source_df = source_df.filter(newer)
    else:
        measured.input_rows = source_df.count()
    prior = {name: ctx.output(name) for name in step.source_silvers}
    output = _transformed(step, lambda: step.transform(ctx.spark, source_df, prior))
    _finish(ctx, step, table, output, mode, measured)


def _gold(ctx: RunContext, step: GoldStep, table: tables.TableRef, measured: _Measured) -> None:
    silvers = {name: ctx.output(name) for name in ctx.plan.dependencies[step.name]}
    # Silver tables are Delta tables: their counts come from file statistics.
    measured.input_rows = sum(df.count() for df in silvers.values())
    output = _transformed(step, lambda: step.transform(ctx.spark, dict(silvers)))
    _finish(ctx, step, table, output, "overwrite", measured)


def _transformed(step: SilverStep | GoldStep, call: Callable[[], object]) -> DataFrame:
    output = call()
    if not isinstance(output, DataFrame):
        raise _step_error(
            step, f"its transform returned {type(output).__name__}, expected a DataFrame"
        )
    return output


def _finish(
    ctx: RunContext,
    step: SilverStep | GoldStep,
    table: tables.TableRef,
    output: DataFrame,
    mode: WriteMode | WriteModeName,
    measured: _Measured,
) -> None:
    result = _validate(ctx, step, output, measured)
    if not ctx.writes:
        ctx.hold(result)  # later steps read these rows, since no table holds them
        ctx.publish(step.name, result.valid_df)
        return
    with result:
        measured.write_mode = mode
        marker = f"sparkforge run {ctx.run_id} step {step.name}"
        measured.rows_written = _write(
            ctx,
            result.valid_df,
            table,
            mode=mode,
            marker=marker,
            empty=result.counts.valid_rows == 0,
        )
        if ctx.config.quarantine_invalid:
            _quarantine(ctx, step, result, table)
    ctx.publish(step.name, table.read(ctx.spark))


def _write(
    ctx: RunContext,
    df: DataFrame,
    table: tables.TableRef,
    *,
    mode: WriteMode | WriteModeName,
    marker: str,
    empty: bool,
) -> int | None:
    if mode == "append":
        tables.append(df, table, marker=marker)
    else:
        tables.overwrite(df, table, marker=marker)
    commit = tables.find_commit(ctx.spark, table, marker)
    if commit is not None:
        return commit.num_output_rows
    if mode == "append" and empty:
        return 0  # Delta makes no commit for an append of no rows
    ctx.log.warning("no commit found for %s on %s: rows_written not measured", marker, table)
    return None


def _quarantine(
    ctx: RunContext, step: SilverStep | GoldStep, result: ValidationResult, table: tables.TableRef
) -> None:
    # The quarantine table is an audit trail: appended to by every run, never overwritten.
    if result.counts.invalid_rows == 0:
        return
    target = tables.TableRef.named(ctx.schema, f"{table.name}{QUARANTINE_SUFFIX}")
    rows = result.invalid_df.select(
        "*",
        F.lit(ctx.run_id).alias(QUARANTINE_RUN_ID_COL),
        F.lit(utc_now()).alias(QUARANTINE_AT_COL),
    )
    # A full load may change the step's columns; the quarantine table takes new ones on.
    tables.append(rows, target, options={"mergeSchema": "true"})
    ctx.log.bind(step=step.name).info(
        "appended %d invalid row(s) to %s", result.counts.invalid_rows, target
    )


def read_watermark(
    spark: SparkSession, table: tables.TableRef, column: str, *, step: SilverStep
) -> datetime | None:
    """Return ``max(column)`` of ``table`` as an aware UTC datetime; None if absent or empty.

    The maximum is read as microseconds since the epoch (``unix_micros``), so neither the
    session time zone nor the Python process's local time enters the value.
    """
    if not tables.table_exists(spark, table):
        return None
    schema = tables.read_schema(spark, table)
    found = next((f for f in schema.fields if f.name == column), None)
    if found is None:
        raise _step_error(step, f"watermark column {column!r} is not a column of {table}")
    if not isinstance(found.dataType, T.TimestampType):
        raise _step_error(
            step,
            f"watermark column {column!r} of {table} is {found.dataType.simpleString()}, "
            "expected timestamp",
        )
    column_ref: Column = F.col(column)
    row = table.read(spark).agg(F.unix_micros(F.max(column_ref))).first()
    micros = None if row is None else row[0]
    return None if micros is None else _EPOCH + timedelta(microseconds=int(micros))


def _step_error(step: StepSpec, reason: str) -> StepError:
    return StepError("STEP_FAILED", {"step": step.name, "phase": str(step.phase), "reason": reason})
