"""PipelineLogger: run context on every record, binding, naming."""

from __future__ import annotations

import logging
import subprocess
import sys

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


def _run_fresh_python(code: str) -> subprocess.CompletedProcess[str]:
    # A fresh interpreter: no pytest handlers, no logging configured, as in a plain script.
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_package_logger_prints_nothing_when_the_application_configures_no_logging() -> None:
    done = _run_fresh_python(
        "import logging, sparkforge\n"
        "logging.getLogger('sparkforge.writer').warning('a warning nobody asked to see')\n"
        "from sparkforge.logging import PipelineLogger\n"
        "PipelineLogger('jobs', run_id='r1').error('an error nobody asked to see')\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout == ""


def test_package_logger_has_only_a_null_handler() -> None:
    handlers = logging.getLogger(ROOT_LOGGER_NAME).handlers
    assert [type(h) for h in handlers if not _is_pytest_handler(h)] == [logging.NullHandler]


def _is_pytest_handler(handler: logging.Handler) -> bool:
    return type(handler).__module__.startswith("_pytest")


def test_package_logger_records_reach_the_applications_handlers() -> None:
    done = _run_fresh_python(
        "import logging, sys, sparkforge\n"
        "logging.basicConfig(stream=sys.stdout, format='%(name)s|%(levelname)s|%(message)s')\n"
        "own = logging.getLogger('sparkforge')\n"
        "seen = []\n"
        "class Keep(logging.Handler):\n"
        "    def emit(self, record): seen.append(record.getMessage())\n"
        "own.addHandler(Keep())\n"
        "logging.getLogger('sparkforge.writer').warning('to root and to mine')\n"
        "print('kept', seen)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout.splitlines() == [
        "sparkforge.writer|WARNING|to root and to mine",
        "kept ['to root and to mine']",
    ]
