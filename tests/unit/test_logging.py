"""PipelineLogger: run context on every record, binding, naming."""

from __future__ import annotations

import logging

import pytest

from sparkforge.logging import ROOT_LOGGER_NAME, PipelineLogger, context_of


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("sparkforge", "sparkforge"),
        ("sparkforge.pipeline", "sparkforge.pipeline"),
        ("jobs", "sparkforge.jobs"),
        ("sparkforgery", "sparkforge.sparkforgery"),
    ],
    ids=["root", "child", "outside", "prefix-lookalike"],
)
def test_pipeline_logger_names_live_under_sparkforge(name: str, expected: str) -> None:
    assert PipelineLogger(name).logger.name == expected


def test_pipeline_logger_records_carry_context(caplog: pytest.LogCaptureFixture) -> None:
    log = PipelineLogger("sparkforge.test", run_id="r1", pipeline="orders")
    with caplog.at_level(logging.INFO, logger=ROOT_LOGGER_NAME):
        log.bind(step="silver_a").info("hello %s", "world")
        log.warning("no step")
    first, second = caplog.records
    assert first.getMessage() == "hello world"
    assert context_of(first) == {"run_id": "r1", "pipeline": "orders", "step": "silver_a"}
    assert context_of(second) == {"run_id": "r1", "pipeline": "orders", "step": "-"}


def test_pipeline_logger_bind_replaces_only_what_is_given() -> None:
    log = PipelineLogger(pipeline="p", run_id="r")
    bound = log.bind(step="s")
    assert bound.context == {"run_id": "r", "pipeline": "p", "step": "s"}
    assert log.context == {"run_id": "r", "pipeline": "p", "step": None}
    assert bound.logger is log.logger
    assert bound.bind(step=None).context["step"] is None


def test_pipeline_logger_bind_rejects_unknown_keys() -> None:
    with pytest.raises(TypeError, match="unknown log context keys"):
        PipelineLogger().bind(user="x")


def test_pipeline_logger_keeps_callers_extra(caplog: pytest.LogCaptureFixture) -> None:
    log = PipelineLogger("sparkforge.test", run_id="r1")
    with caplog.at_level(logging.INFO, logger=ROOT_LOGGER_NAME):
        log.info("x", extra={"step": "explicit", "rows": 3})
    (record,) = caplog.records
    assert getattr(record, "step", None) == "explicit"
    assert getattr(record, "rows", None) == 3
    assert getattr(record, "run_id", None) == "r1"


def test_context_of_foreign_record_is_dashes() -> None:
    record = logging.LogRecord("other", logging.INFO, __file__, 1, "m", None, None)
    assert context_of(record) == {"run_id": "-", "pipeline": "-", "step": "-"}


def test_pipeline_logger_wraps_a_given_logger() -> None:
    target = logging.getLogger("sparkforge.wrapped")
    assert PipelineLogger("ignored", logger=target).logger is target
