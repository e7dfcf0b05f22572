"""``LegacyLogWriter``: the legacy ``LogWriter(spark, schema, table)``, a ``LogWriter``; no JVM."""

from __future__ import annotations

import inspect
import warnings
from typing import TYPE_CHECKING, Any, cast

import pytest

from sparkforge.errors import TableOperationError
from sparkforge.writer import LogWriter, WriterConfigurationError, WriterValidationError
from sparkforge.writer.legacy import MIN_LOG_SCHEMA, LegacyLogWriter

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import SparkSession

    from sparkforge.errors import SparkForgeError


class _NoSpark:
    def __getattr__(self, name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        raise AssertionError(f"Spark was touched ({name})")


NO_SPARK = cast("SparkSession", _NoSpark())
# LogWriter as the legacy code calls it (mypy reads LogWriter's signature from its __init__).
legacy_form = cast("Callable[..., LogWriter]", LogWriter)
CONSTRUCTOR_WARNING = (
    "LogWriter(spark, write_schema, logs_table_name) is deprecated; use "
    "LogWriter(spark, WriterConfig(table_schema=..., table_name=...))"
)
# The legacy API of the class; every other public method of LogWriter is v1 only.
LEGACY_METHODS = {"append", "create_table", "get_performance_metrics", "show"}
V1_METHODS = sorted(
    name
    for name, member in inspect.getmembers(LogWriter, inspect.isfunction)
    if not name.startswith("_") and name not in LEGACY_METHODS
)


def legacy_writer() -> LogWriter:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return legacy_form(NO_SPARK, "analytics", "pipeline_logs")


def test_legacy_log_writer_is_what_the_legacy_form_returns() -> None:
    writer = legacy_writer()

    assert type(writer) is LegacyLogWriter
    assert isinstance(writer, LogWriter)
    assert writer.spark is NO_SPARK
    assert (writer.write_schema, writer.logs_table_name) == ("analytics", "pipeline_logs")
    assert writer.schema is MIN_LOG_SCHEMA


def test_legacy_log_writer_constructor_warns_once_at_the_callers_line() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        legacy_form(NO_SPARK, "analytics", "pipeline_logs")
        LegacyLogWriter(NO_SPARK, "analytics", "pipeline_logs")

    assert [(w.category, str(w.message)) for w in caught] == [
        (DeprecationWarning, CONSTRUCTOR_WARNING)
    ] * 2
    assert {w.filename for w in caught} == {__file__}


LEGACY_CALLS: list[tuple[str, Callable[[LogWriter], object], str, type[SparkForgeError]]] = [
    (
        "create_table",
        lambda w: w.create_table({"bronze": 1}),  # type: ignore[call-arg]
        "LogWriter.create_table(report) is deprecated; use "
        "LogWriter(spark, WriterConfig(...)).create_table() and write_report(report)",
        WriterValidationError,
    ),
    (
        "append",
        lambda w: w.append({"bronze": 1}),  # type: ignore[attr-defined]
        "LogWriter.append(report) is deprecated; use write_report(report) on a "
        "LogWriter(spark, WriterConfig(...))",
        WriterValidationError,
    ),
    (
        "show",
        lambda w: w.show("5"),  # type: ignore[attr-defined]
        "LogWriter.show(n) is deprecated; use read_logs().show(n) on a "
        "LogWriter(spark, WriterConfig(...))",
        WriterConfigurationError,
    ),
]


@pytest.mark.parametrize(
    ("method", "call", "message", "error"), LEGACY_CALLS, ids=[c[0] for c in LEGACY_CALLS]
)
def test_legacy_log_writer_methods_warn_at_the_callers_line(
    method: str,
    call: Callable[[LogWriter], object],
    message: str,
    error: type[SparkForgeError],
) -> None:
    writer = legacy_writer()
    # Each call is refused before Spark (a malformed report, a bad n), after its warning.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(error):
            call(writer)

    assert [(w.category, str(w.message)) for w in caught] == [(DeprecationWarning, message)]
    assert caught[0].filename == __file__
    assert method in vars(LegacyLogWriter)


def test_legacy_log_writer_overrides_every_v1_method() -> None:
    # A v1 method added to LogWriter without its refusal here would run on a writer that has
    # no config: this fails first.
    assert V1_METHODS
    kept = [n for n in V1_METHODS if getattr(LegacyLogWriter, n) is getattr(LogWriter, n)]
    assert kept == []


@pytest.mark.parametrize("method", V1_METHODS, ids=V1_METHODS)
def test_legacy_log_writer_refuses_the_v1_methods(method: str) -> None:
    writer = legacy_writer()
    with pytest.raises(WriterConfigurationError) as caught:
        getattr(writer, method)()
    assert caught.value.code == "WRITER_MODE_MISMATCH"
    assert caught.value.params["method"] == method
    assert "WriterConfig" in caught.value.params["reason"]


def test_legacy_log_writer_create_table_without_report_is_the_v1_form() -> None:
    with pytest.raises(WriterConfigurationError) as caught:
        legacy_writer().create_table()
    assert caught.value.code == "WRITER_MODE_MISMATCH"
    assert caught.value.params["method"] == "create_table()"


def test_legacy_log_writer_metrics_count_nothing() -> None:
    metrics = legacy_writer().get_performance_metrics()

    assert not metrics.monitoring_enabled
    assert (metrics.writes, metrics.failed_writes, metrics.rows_written, metrics.commits) == (
        0,
        0,
        0,
        0,
    )
    assert (metrics.total_duration_secs, metrics.rows_per_sec) == (None, None)


BAD_FORMS: list[tuple[tuple[object, ...], dict[str, Any], str]] = [
    ((NO_SPARK, "analytics"), {}, "WRITER_CONFIG_INVALID"),
    ((NO_SPARK, "analytics", "logs", "extra"), {}, "WRITER_CONFIG_INVALID"),
    ((NO_SPARK, "analytics", "logs"), {"clock": object()}, "WRITER_CONFIG_INVALID"),
    ((NO_SPARK, "analytics", 5), {}, "IDENTIFIER_INVALID"),
    ((NO_SPARK, "analytics", "logs; DROP TABLE x"), {}, "IDENTIFIER_INVALID"),
    ((NO_SPARK, "", "logs"), {}, "IDENTIFIER_INVALID"),
]


@pytest.mark.parametrize(
    ("args", "kwargs", "code"),
    BAD_FORMS,
    ids=["two_args", "four_args", "v1_keyword", "table_not_text", "injection", "empty_schema"],
)
def test_legacy_log_writer_constructor_raises_only_sparkforge_errors(
    args: tuple[object, ...], kwargs: dict[str, Any], code: str
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises((WriterConfigurationError, TableOperationError)) as caught:
            legacy_form(*args, **kwargs)
    assert caught.value.code == code
