"""Every run logged by itself, on real Delta: success, failure, raising, crashing, refusals.

Each run's rows are read back with ``LogWriter.read_logs``; an unwritable log is a real
refusal (the log table's schema replaced under the writer, so Delta refuses the append).
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

import pytest
from pyspark.sql import functions as F

from sparkforge.errors import PipelineError
from sparkforge.logging import context_of
from sparkforge.models import PipelineConfig, RunStatus, ValidationThresholds
from sparkforge.pipeline import PipelineBuilder, RunLogConfig
from sparkforge.validation import Rule
from sparkforge.writer import LogWriter, WriterConfig

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.models import PipelineReport
    from sparkforge.pipeline import PipelineRunner

pytestmark = pytest.mark.delta

EVENTS = [(1, "a"), (2, "b"), (3, None)]
EVENTS_DDL = "id BIGINT, kind STRING"
ENVIRON = {"AIRFLOW_CTX_DAG_ID": "events_daily", "AIRFLOW_CTX_TRY_NUMBER": "2"}


def identity(spark: SparkSession, df: DataFrame, prior: dict[str, DataFrame]) -> DataFrame:
    return df


def broken(spark: SparkSession, df: DataFrame, prior: dict[str, DataFrame]) -> DataFrame:
    raise RuntimeError("boom in transform")


INTERRUPT = KeyboardInterrupt("Ctrl-C in a transform")


def interrupted(spark: SparkSession, df: DataFrame, prior: dict[str, DataFrame]) -> DataFrame:
    raise INTERRUPT


def _pipeline(
    spark: SparkSession,
    schema: str,
    writer: LogWriter,
    transform: Callable[[SparkSession, DataFrame, dict[str, DataFrame]], DataFrame],
    *,
    raise_on_failure: bool = False,
    strict: bool = False,
    max_parallel: int = 1,
) -> PipelineRunner:
    config = PipelineConfig(
        thresholds=ValidationThresholds(bronze=0.0, silver=0.0, gold=0.0),
        raise_on_failure=raise_on_failure,
        max_parallel_steps=max_parallel,
    )
    return (
        PipelineBuilder(
            spark,
            schema=schema,
            config=config,
            pipeline_name="events",
            log_writer=writer,
            log_config=RunLogConfig(strict=strict, environ=ENVIRON, tags={"team": "data"}),
        )
        .with_bronze_rules(name="events", rules={})
        .add_silver_transform(
            name="clean",
            source_bronze="events",
            transform=transform,
            rules={"kind": [Rule("kind_present", F.col("kind").isNotNull())]},
            table_name="clean",
        )
        .to_pipeline()
    )


@pytest.fixture
def writer(spark: SparkSession, table_path: str) -> LogWriter:
    return LogWriter(spark, WriterConfig(table_path=table_path))


def _sources(spark: SparkSession) -> dict[str, DataFrame]:
    return {"events": spark.createDataFrame(EVENTS, EVENTS_DDL)}


def _logged(writer: LogWriter, run_id: str | None = None) -> list[dict[str, object]]:
    log_df = writer.read_logs() if run_id is None else writer.read_logs(run_id=run_id)
    rows = log_df.orderBy("run_id", "step_index").collect()
    return [
        {
            "run_id": r["run_id"],
            "run_status": r["run_status"],
            "step": r["step"],
            "step_status": r["step_status"],
            "error_type": r["error_type"],
            "tags": dict(r["tags"]),
        }
        for r in rows
    ]


def test_auto_log_a_successful_run_leaves_its_rows(
    spark: SparkSession, schema: str, writer: LogWriter
) -> None:
    report = _pipeline(spark, schema, writer, identity).run_initial_load(
        bronze_sources=_sources(spark), tags={"team": "ops"}
    )
    assert report.status is RunStatus.SUCCESS
    rows = _logged(writer)
    assert [(r["run_id"], r["step"], r["step_status"]) for r in rows] == [
        (report.run_id, "events", "success"),
        (report.run_id, "clean", "success"),
    ]
    tags = rows[0]["tags"]
    assert isinstance(tags, dict)
    # Detected, then the config's, then the run's own tags (which win).
    assert {k: tags[k] for k in ("airflow_dag_id", "airflow_try_number", "team")} == {
        "airflow_dag_id": "events_daily",
        "airflow_try_number": "2",
        "team": "ops",
    }
    outcome = report.log_write
    assert outcome is not None
    assert outcome.success
    assert outcome.table == str(writer.table)
    assert outcome.rows_written == 2  # Delta's count of the commit
    history = writer.history(limit=1)
    assert outcome.table_version == history[0].version


def test_auto_log_a_failed_run_leaves_its_rows(
    spark: SparkSession, schema: str, writer: LogWriter
) -> None:
    report = _pipeline(spark, schema, writer, broken).run_initial_load(
        bronze_sources=_sources(spark)
    )
    assert report.status is RunStatus.FAILED
    assert _logged(writer) == [
        {
            "run_id": report.run_id,
            "run_status": "failed",
            "step": step,
            "step_status": status,
            "error_type": error,
            "tags": _logged(writer)[0]["tags"],
        }
        for step, status, error in (
            ("events", "success", None),
            ("clean", "failed", "RuntimeError"),
        )
    ]
    assert report.log_write is not None
    assert report.log_write.success


def test_auto_log_a_run_raising_on_failure_is_logged_first(
    spark: SparkSession, schema: str, writer: LogWriter
) -> None:
    runner = _pipeline(spark, schema, writer, broken, raise_on_failure=True)
    with pytest.raises(PipelineError) as caught:
        runner.run_initial_load(bronze_sources=_sources(spark))
    assert caught.value.code == "PIPELINE_RUN_FAILED"
    report = cast("PipelineReport", caught.value.report)
    assert report.log_write is not None
    assert report.log_write.success
    rows = _logged(writer)
    assert [(r["run_id"], r["step"], r["step_status"]) for r in rows] == [
        (report.run_id, "events", "success"),
        (report.run_id, "clean", "failed"),
    ]


@pytest.mark.parametrize("max_parallel", [1, 2], ids=["sequential", "thread-pool"])
def test_auto_log_a_keyboard_interrupt_in_a_transform_is_logged_then_propagates(
    spark: SparkSession, schema: str, writer: LogWriter, max_parallel: int
) -> None:
    runner = _pipeline(spark, schema, writer, interrupted, max_parallel=max_parallel)
    with pytest.raises(KeyboardInterrupt) as caught:
        runner.run_initial_load(bronze_sources=_sources(spark))
    assert caught.value is INTERRUPT
    assert getattr(caught.value, "__notes__", []) == []
    # Its own traceback: it ends in the transform that raised it.
    frames = traceback.extract_tb(caught.value.__traceback__)
    assert frames[-1].name == "interrupted"
    rows = _logged(writer)
    # The run's row (its error: the interrupt), then one row per step that started.
    assert [(r["run_status"], r["step"], r["step_status"], r["error_type"]) for r in rows] == [
        ("failed", None, None, "KeyboardInterrupt"),
        ("failed", "events", "success", None),
        ("failed", "clean", "failed", "KeyboardInterrupt"),
    ]
    assert len({r["run_id"] for r in rows}) == 1


class _Interrupting(Mapping[str, "DataFrame"]):
    """Bronze sources whose reading is interrupted: the runner itself raises, before any step."""

    def __getitem__(self, key: str) -> DataFrame:
        raise INTERRUPT

    def __iter__(self) -> Iterator[str]:
        raise INTERRUPT

    def __len__(self) -> int:
        return 1

    def __contains__(self, key: object) -> bool:
        raise INTERRUPT


def test_auto_log_a_crash_in_the_runner_leaves_one_run_row(
    spark: SparkSession, schema: str, writer: LogWriter
) -> None:
    runner = _pipeline(spark, schema, writer, identity)
    with pytest.raises(KeyboardInterrupt) as caught:
        runner.run_initial_load(bronze_sources=_Interrupting())
    assert caught.value is INTERRUPT
    rows = writer.read_logs().collect()
    assert [(r["row_kind"], r["run_status"], r["error_type"]) for r in rows] == [
        ("run", "failed", "KeyboardInterrupt")
    ]


def _replace_the_log_schema(spark: SparkSession, writer: LogWriter) -> None:
    """Make the log unwritable for real: its schema replaced, so Delta refuses log rows."""
    path = writer.config.table_path
    assert path is not None
    (
        spark.createDataFrame([(1,)], "x INT")
        .write.format("delta")
        .mode("overwrite")
        .option("overwriteSchema", "true")
        .save(path)
    )


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_auto_log_a_refused_log_write(
    spark: SparkSession,
    schema: str,
    writer: LogWriter,
    strict: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = _pipeline(spark, schema, writer, identity).run_initial_load(
        bronze_sources=_sources(spark)
    )
    assert first.log_write is not None
    assert first.log_write.success
    _replace_the_log_schema(spark, writer)
    runner = _pipeline(spark, schema, writer, identity, strict=strict)
    with caplog.at_level(logging.ERROR, logger="sparkforge.pipeline"):
        if strict:
            with pytest.raises(PipelineError) as caught:
                runner.run_incremental(bronze_sources=_sources(spark))
            assert caught.value.code == "PIPELINE_RUN_FAILED"
            assert type(caught.value.__cause__).__name__ == "WriterTableError"
            report = cast("PipelineReport", caught.value.report)
        else:
            report = runner.run_incremental(bronze_sources=_sources(spark))
    # The run itself went well: its table was written; only its logging failed.
    assert report.status is RunStatus.SUCCESS
    assert report.step("clean").rows_written == 2
    outcome = report.log_write
    assert outcome is not None
    assert not outcome.success
    assert outcome.error is not None
    assert outcome.error.type == "WriterTableError"
    assert (outcome.rows_written, outcome.table_version) == (0, None)
    records = [r for r in caplog.records if "report to" in r.message and "failed" in r.message]
    assert len(records) == 1
    assert context_of(records[0])["run_id"] == report.run_id
    # Delta refused: the replaced table holds its one row, no log row.
    assert spark.read.format("delta").load(str(writer.config.table_path)).count() == 1
