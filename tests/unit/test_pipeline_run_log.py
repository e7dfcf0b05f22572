"""Every run logged by itself: the failure policy and the tags, without a JVM.

The runs here fail before any Spark call (their input is invalid, or reading it raises), and the
writer is a ``LogWriter`` whose ``write_report`` answers from Python: what is tested is the
runner's policy around the write. The same paths on real Delta are in
tests/integration/test_auto_log.py.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, cast

import pytest

from sparkforge.errors import ConfigurationError, PipelineError, ValidationError
from sparkforge.logging import context_of
from sparkforge.models import PipelineConfig, PipelineReport, RunStatus
from sparkforge.pipeline import PipelineBuilder, RunLogConfig
from sparkforge.pipeline.run_log import run_tags
from sparkforge.writer import LogWriter, WriterConfig
from sparkforge.writer.exceptions import WriterTableError
from sparkforge.writer.models import report_problems
from sparkforge.writer.results import WriteResult
from tests.unit._fakes import NoSpark

if TYPE_CHECKING:
    from collections.abc import Iterator

    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.models import ExecutionContext
    from sparkforge.pipeline import PipelineRunner

REFUSAL = WriterTableError(
    "WRITER_WRITE_FAILED", {"runs": "1", "table": "ops.run_log", "reason": "refused"}
)


class ScriptedWriter(LogWriter):
    """A LogWriter whose writes answer from Python: accept, raise, or return a failed result."""

    outcome: str = "accept"
    written: list[PipelineReport]

    def write_report(
        self, report: PipelineReport, execution_context: ExecutionContext | None = None
    ) -> WriteResult:
        self.written.append(report)
        if self.outcome == "raise":
            raise REFUSAL
        if self.outcome == "crash":
            raise RuntimeError("py4j went away")
        if self.outcome == "warn":
            return WriteResult(run_ids=(report.run_id,), error=REFUSAL)
        return WriteResult(
            run_ids=(report.run_id,),
            written_run_ids=(report.run_id,),
            rows_written=3,
            commit_rows_written=(3,),
            table_versions=(7,),
            duration_secs=0.01,
        )


def _writer(outcome: str = "accept") -> ScriptedWriter:
    writer = ScriptedWriter(
        cast("SparkSession", NoSpark()), WriterConfig(table_schema="ops", table_name="run_log")
    )
    writer.outcome = outcome
    writer.written = []
    return writer


def _runner(
    writer: LogWriter | None,
    *,
    raise_on_failure: bool = False,
    log_config: RunLogConfig | None = None,
) -> PipelineRunner:
    return (
        PipelineBuilder(
            cast("SparkSession", NoSpark()),
            schema="shop",
            config=PipelineConfig(raise_on_failure=raise_on_failure),
            pipeline_name="orders",
            log_writer=writer,
            log_config=log_config,
        )
        .with_bronze_rules(name="orders", rules={})
        .to_pipeline()
    )


QUIET = RunLogConfig(environment_tags=False)


class Interrupting(Mapping[str, "DataFrame"]):
    """Bronze sources whose reading is interrupted, as by Ctrl-C: the runner itself raises."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def __getitem__(self, key: str) -> DataFrame:
        raise self.exc

    def __iter__(self) -> Iterator[str]:
        raise self.exc

    def __len__(self) -> int:
        return 1

    def __contains__(self, key: object) -> bool:
        raise self.exc


def test_run_log_a_failed_run_is_written_and_returned_with_its_outcome() -> None:
    writer = _writer()
    report = _runner(writer, log_config=QUIET).run_initial_load(bronze_sources={})
    assert report.status is RunStatus.FAILED
    assert [r.run_id for r in writer.written] == [report.run_id]
    assert writer.written[0].log_write is None  # the row is written before the outcome exists
    assert report.log_write is not None
    assert report.log_write.to_dict() == {
        "table": "ops.run_log",
        "rows_written": 3,
        "table_version": 7,
        "skipped": False,
        "duration_secs": report.log_write.duration_secs,
        "error": None,
    }
    assert report.log_write.success
    assert report.log_write.duration_secs >= 0.0


def test_run_log_without_a_writer_nothing_is_logged() -> None:
    report = _runner(None).run_initial_load(bronze_sources={})
    assert report.log_write is None


@pytest.mark.parametrize("outcome", ["raise", "warn", "crash"], ids=str)
def test_run_log_a_failed_write_does_not_fail_the_run_by_default(
    outcome: str, caplog: pytest.LogCaptureFixture
) -> None:
    writer = _writer(outcome)
    with caplog.at_level(logging.ERROR, logger="sparkforge.pipeline"):
        report = _runner(writer, log_config=QUIET).run_initial_load(bronze_sources={})
    assert report.log_write is not None
    assert not report.log_write.success
    assert report.log_write.error is not None
    expected_type = "RuntimeError" if outcome == "crash" else "WriterTableError"
    assert report.log_write.error.type == expected_type
    assert (report.log_write.rows_written, report.log_write.table_version) == (0, None)
    records = [r for r in caplog.records if "to ops.run_log failed" in r.message]
    assert len(records) == 1
    assert context_of(records[0])["run_id"] == report.run_id
    assert records[0].levelno == logging.ERROR


def test_run_log_strict_a_failed_write_raises_after_the_run() -> None:
    writer = _writer("raise")
    runner = _runner(writer, log_config=RunLogConfig(strict=True, environment_tags=False))
    with pytest.raises(PipelineError) as caught:
        runner.run_initial_load(bronze_sources={})
    error = caught.value
    assert error.code == "PIPELINE_RUN_FAILED"
    assert error.__cause__ is REFUSAL
    assert "its report was not written to the log ops.run_log" in str(error)
    report = cast("PipelineReport", error.report)
    assert report.log_write is not None
    assert report.log_write.error is not None
    assert [r.run_id for r in writer.written] == [report.run_id]


def test_run_log_strict_a_healthy_write_returns_the_report() -> None:
    writer = _writer()
    runner = _runner(writer, log_config=RunLogConfig(strict=True, environment_tags=False))
    report = runner.run_initial_load(bronze_sources={})
    assert report.log_write is not None
    assert report.log_write.success


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_run_log_raise_on_failure_logs_first_then_raises(strict: bool) -> None:
    writer = _writer("raise")
    config = RunLogConfig(strict=strict, environment_tags=False)
    runner = _runner(writer, raise_on_failure=True, log_config=config)
    with pytest.raises(PipelineError) as caught:
        runner.run_initial_load(bronze_sources={})
    error = caught.value
    # The run's own failure stays the exception raised, whatever the log write did.
    assert error.code == "PIPELINE_RUN_FAILED"
    assert "Invalid input to the pipeline run" in error.params["reason"]
    report = cast("PipelineReport", error.report)
    assert [r.run_id for r in writer.written] == [report.run_id]
    assert report.log_write is not None
    assert report.log_write.error is not None
    notes = getattr(error, "__notes__", [])
    if strict:
        assert len(notes) == 1
        assert "was not written to the log ops.run_log" in notes[0]
    else:
        assert notes == []


@pytest.mark.parametrize(
    "exc",
    [KeyboardInterrupt(), SystemExit(3)],
    ids=["keyboard-interrupt", "system-exit"],
)
def test_run_log_a_crashing_run_is_written_then_its_exception_propagates(
    exc: BaseException,
) -> None:
    writer = _writer()
    with pytest.raises(BaseException) as caught:  # noqa: PT011 - the very object is checked
        _runner(writer, log_config=QUIET).run_initial_load(bronze_sources=Interrupting(exc))
    assert caught.value is exc
    assert getattr(exc, "__notes__", []) == []
    (logged,) = writer.written
    assert logged.status is RunStatus.FAILED
    assert logged.error is not None
    assert logged.error.type == type(exc).__name__
    assert logged.error.traceback is not None
    assert "__contains__" in logged.error.traceback  # where it was raised
    assert report_problems(logged) == []  # the writer takes it as it is


def test_run_log_a_crashing_run_without_a_writer_just_raises() -> None:
    exc = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt) as caught:
        _runner(None).run_initial_load(bronze_sources=Interrupting(exc))
    assert caught.value is exc


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
def test_run_log_a_crash_whose_log_write_fails_keeps_its_exception(
    strict: bool, caplog: pytest.LogCaptureFixture
) -> None:
    writer = _writer("raise")
    exc = KeyboardInterrupt()
    config = RunLogConfig(strict=strict, environment_tags=False)
    with (
        caplog.at_level(logging.ERROR, logger="sparkforge.pipeline"),
        pytest.raises(KeyboardInterrupt) as caught,
    ):
        _runner(writer, log_config=config).run_initial_load(bronze_sources=Interrupting(exc))
    assert caught.value is exc
    assert exc.__cause__ is None
    notes = getattr(exc, "__notes__", [])
    assert len(notes) == (1 if strict else 0)
    assert any("run crashed: KeyboardInterrupt" in r.message for r in caplog.records)
    assert any("to ops.run_log failed" in r.message for r in caplog.records)


def test_run_log_tags_detected_then_config_then_run() -> None:
    environ = {"AIRFLOW_CTX_DAG_ID": "orders_daily", "CI_JOB_ID": "5"}
    config = RunLogConfig(tags={"team": "sales", "airflow_dag_id": "renamed"}, environ=environ)
    writer = _writer()
    report = _runner(writer, log_config=config).run_initial_load(
        bronze_sources={}, tags={"team": "ops"}
    )
    assert report.context is not None
    assert dict(report.context.tags) == {
        "airflow_dag_id": "renamed",
        "gitlab_job_id": "5",
        "team": "ops",
    }
    assert dict(writer.written[0].context.tags) == dict(report.context.tags)  # type: ignore[union-attr]


def test_run_log_environment_tags_can_be_turned_off() -> None:
    environ = {"AIRFLOW_CTX_DAG_ID": "orders_daily"}
    on = RunLogConfig(environ=environ)
    off = RunLogConfig(environ=environ, environment_tags=False)
    assert run_tags(on, {}) == {"airflow_dag_id": "orders_daily"}
    assert run_tags(off, {}) == {}
    report = _runner(_writer(), log_config=off).run_initial_load(bronze_sources={})
    assert report.context is not None
    assert dict(report.context.tags) == {}


def test_run_log_environment_is_read_from_os_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CTX_TASK_ID", "load")
    report = _runner(_writer()).run_initial_load(bronze_sources={})
    assert report.context is not None
    assert report.context.tags["airflow_task_id"] == "load"


def test_run_log_invalid_run_tags_are_reported_not_merged() -> None:
    report = _runner(_writer(), log_config=QUIET).run_initial_load(
        bronze_sources={"orders": 1},  # type: ignore[dict-item]
        tags={"team": 1},  # type: ignore[dict-item]
    )
    assert report.error is not None
    assert "tags: expected a mapping of strings to strings" in report.error.message
    assert report.log_write is not None


@pytest.mark.parametrize(
    ("kwargs", "option"),
    [
        ({"strict": "yes"}, "RunLogConfig(strict)"),
        ({"environment_tags": 1}, "RunLogConfig(environment_tags)"),
        ({"tags": {"team": 1}}, "RunLogConfig(tags)"),
        ({"tags": None}, "RunLogConfig(tags)"),
        ({"environ": ["PATH"]}, "RunLogConfig(environ)"),
    ],
    ids=["strict-str", "env-int", "tag-int", "tags-none", "environ-list"],
)
def test_run_log_config_rejects_bad_options(kwargs: dict[str, object], option: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        RunLogConfig(**kwargs)  # type: ignore[arg-type]
    assert caught.value.params["option"] == option


def test_run_log_config_freezes_its_tags() -> None:
    given = {"team": "a"}
    config = RunLogConfig(tags=given)
    given["team"] = "b"
    assert config.tags["team"] == "a"
    with pytest.raises(TypeError):
        config.tags["team"] = "c"  # type: ignore[index]


def test_run_log_outcome_round_trips_through_json() -> None:
    writer = _writer("warn")
    report = _runner(writer, log_config=QUIET).run_initial_load(bronze_sources={})
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert PipelineReport.from_dict(data) == report
    assert data["log_write"]["error"]["type"] == "WriterTableError"


def test_run_log_outcome_from_dict_names_a_bad_field() -> None:
    report = _runner(_writer(), log_config=QUIET).run_initial_load(bronze_sources={})
    data = report.to_dict()
    data["log_write"] = {**cast("dict[str, object]", data["log_write"]), "rows_written": "3"}
    with pytest.raises(ValidationError) as caught:
        PipelineReport.from_dict(data)
    assert [p.path for p in caught.value.problems] == ["log_write.rows_written"]
