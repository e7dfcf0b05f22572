"""``sparkforge.writer``: its curated public names and the deprecated names it serves; no JVM."""

from __future__ import annotations

import importlib
import warnings

import pytest
from pyspark.sql import types as T

import sparkforge.writer
from sparkforge.writer import legacy

CURATED = [
    "Clock",
    "Compression",
    "DataQualityCheck",
    "DataQualityResult",
    "Deduplication",
    "FailurePolicy",
    "LOG_SCHEMA",
    "LogRow",
    "LogWriter",
    "migrate_legacy_table",
    "MigrationResult",
    "report_problems",
    "rows_from_report",
    "RuleResultRow",
    "WriteMode",
    "WriterCommitUnconfirmedError",
    "WriterConfig",
    "WriterConfigurationError",
    "WriterError",
    "WriteResult",
    "WriterMetrics",
    "WriterTableError",
    "WriterValidationError",
]
# Names no longer imported into the package, with the module that still has each.
MOVED = {
    "DEFAULT_BATCH_SIZE": "sparkforge.writer.config",
    "DEFAULT_MAX_COMMIT_ATTEMPTS": "sparkforge.writer.config",
    "DEFAULT_PARTITION_COLUMNS": "sparkforge.writer.config",
    "DEFAULT_TABLE_NAME_PATTERN": "sparkforge.writer.config",
    "DEFAULT_TABLE_PROPERTIES": "sparkforge.writer.config",
    "PARTITIONABLE_COLUMNS": "sparkforge.writer.config",
    "LOG_COLUMNS": "sparkforge.writer.models",
    "LOG_SCHEMA_VERSION": "sparkforge.writer.models",
    "REQUIRED_COLUMNS": "sparkforge.writer.models",
    "check_log_quality": "sparkforge.validation",
    "schema_problems": "sparkforge.validation",
}
WARNING_NAMES = {
    "MIN_LOG_SCHEMA": "sparkforge.writer.LOG_SCHEMA",
    "MinimalLogRow": "sparkforge.writer.LogRow",
}


@pytest.fixture
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the deprecated names unused yet, as at the start of a process."""
    monkeypatch.setattr(sparkforge.writer, "_WARNED", set())


def test_writer_package_all_is_the_curated_api() -> None:
    assert sparkforge.writer.__all__ == CURATED


@pytest.mark.parametrize(("name", "module"), sorted(MOVED.items()), ids=sorted(MOVED))
def test_writer_package_constants_live_in_their_modules(name: str, module: str) -> None:
    assert hasattr(importlib.import_module(module), name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not hasattr(sparkforge.writer, name)


@pytest.mark.usefixtures("fresh_process")
@pytest.mark.parametrize("name", sorted(WARNING_NAMES), ids=sorted(WARNING_NAMES))
def test_writer_package_deprecated_name_warns_on_first_use_only(name: str) -> None:
    with warnings.catch_warnings(record=True) as first:
        warnings.simplefilter("always")
        value = getattr(sparkforge.writer, name)
    with warnings.catch_warnings(record=True) as later:
        warnings.simplefilter("always")
        again = getattr(sparkforge.writer, name)

    assert [(w.category, str(w.message)) for w in first] == [
        (DeprecationWarning, f"sparkforge.writer.{name} is deprecated; use {WARNING_NAMES[name]}")
    ]
    assert first[0].filename == __file__  # stacklevel points at the caller
    # One warning per name per process, as the default filter would show it.
    assert later == []
    assert value is again is getattr(legacy, name)
    # Served, never bound: the module's own names stay the curated ones.
    assert name not in vars(sparkforge.writer)


@pytest.mark.usefixtures("fresh_process")
def test_writer_package_from_import_warns_once_at_the_import_line() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from sparkforge.writer import MIN_LOG_SCHEMA, MinimalLogRow

    assert sorted(str(w.message) for w in caught) == [
        "sparkforge.writer.MIN_LOG_SCHEMA is deprecated; use sparkforge.writer.LOG_SCHEMA",
        "sparkforge.writer.MinimalLogRow is deprecated; use sparkforge.writer.LogRow",
    ]
    # importlib looks each name up twice; the warning still names this file, not importlib.
    assert {w.filename for w in caught} == {__file__}
    assert isinstance(MIN_LOG_SCHEMA, T.StructType)
    assert MinimalLogRow is legacy.MinimalLogRow


@pytest.mark.usefixtures("fresh_process")
def test_writer_package_deprecated_name_under_error_filter_raises_every_time() -> None:
    # An escalated warning did not reach the user as a warning: it is not marked as shown.
    for _ in range(2):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(DeprecationWarning):
                _ = sparkforge.writer.MIN_LOG_SCHEMA


@pytest.mark.usefixtures("fresh_process")
def test_writer_package_flatten_report_min_warns_when_called_not_when_got() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        function = sparkforge.writer.flatten_report_min
    assert function is legacy.flatten_report_min
    for _ in range(2):  # every call warns
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert function({}) == []
        assert [w.category for w in caught] == [DeprecationWarning]
        assert caught[0].filename == __file__


def test_writer_package_unknown_name_raises_attribute_error() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(AttributeError):
            _ = sparkforge.writer.no_such_name
        with pytest.raises(ImportError):
            from sparkforge.writer import no_such_name  # noqa: F401


def test_writer_package_dir_lists_the_api_and_the_deprecated_names() -> None:
    listed = dir(sparkforge.writer)
    assert set(CURATED) <= set(listed)
    assert {"MIN_LOG_SCHEMA", "MinimalLogRow", "flatten_report_min"} <= set(listed)
