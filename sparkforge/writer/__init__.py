"""The Delta run log: one strict, typed table of every pipeline run's steps.

```python
from sparkforge.writer import LogWriter, WriterConfig

writer = LogWriter(spark, WriterConfig(table_schema="ops", table_name="run_log"))
writer.write_report(report)
```

The legacy names ``MinimalLogRow``, ``MIN_LOG_SCHEMA`` and ``flatten_report_min`` are still
served from here (docs/legacy.md); using one emits a ``DeprecationWarning`` naming its
replacement. Constants live in their modules: ``sparkforge.writer.config`` (``DEFAULT_*``,
``PARTITIONABLE_COLUMNS``) and ``sparkforge.writer.models`` (``LOG_COLUMNS``,
``LOG_SCHEMA_VERSION``, ``REQUIRED_COLUMNS``); the checks of a log table in
`sparkforge.validation`.
"""

from __future__ import annotations

import threading
import warnings

from sparkforge.writer.config import (
    Compression,
    Deduplication,
    FailurePolicy,
    WriteMode,
    WriterConfig,
)
from sparkforge.writer.core import Clock, LogWriter
from sparkforge.writer.exceptions import (
    WriterCommitUnconfirmedError,
    WriterConfigurationError,
    WriterError,
    WriterTableError,
    WriterValidationError,
)
from sparkforge.writer.migration import MigrationResult, migrate_legacy_table
from sparkforge.writer.models import (
    LOG_SCHEMA,
    DataQualityCheck,
    DataQualityResult,
    LogRow,
    RuleResultRow,
    WriteResult,
    WriterMetrics,
    report_problems,
    rows_from_report,
)

__all__ = [
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

# Deprecated names served by ``__getattr__``, with what replaces each.
_DEPRECATED_NAMES: dict[str, str] = {
    "MIN_LOG_SCHEMA": "sparkforge.writer.LOG_SCHEMA",
    "MinimalLogRow": "sparkforge.writer.LogRow",
    "flatten_report_min": "sparkforge.writer.rows_from_report",
}
# flatten_report_min warns when called, so getting it is silent (one warning per use).
_WARN_WHEN_CALLED = frozenset({"flatten_report_min"})
# The deprecated names that have warned in this process. Each warns on its first use only,
# as the default warning filter shows a warning once: that also makes
# ``from sparkforge.writer import NAME`` warn once, although importlib looks the name up
# twice (``hasattr`` to decide whether it is a submodule, then the import itself).
_WARNED: set[str] = set()
_WARNED_LOCK = threading.Lock()


def __getattr__(name: str) -> object:
    replacement = _DEPRECATED_NAMES.get(name)
    if replacement is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from sparkforge.writer import legacy

    with _WARNED_LOCK:
        first_use = name not in _WARNED and name not in _WARN_WHEN_CALLED
        if first_use:
            # stacklevel=2 names the user's line, also inside ``from ... import``: CPython's
            # warnings module skips importlib's frames when it counts levels.
            warnings.warn(
                f"sparkforge.writer.{name} is deprecated; use {replacement}",
                DeprecationWarning,
                stacklevel=2,
            )
            # Only after the warning: under an "error" filter the next use raises again.
            _WARNED.add(name)
    return getattr(legacy, name)


def __dir__() -> list[str]:
    return sorted([*__all__, *_DEPRECATED_NAMES], key=str.casefold)
