"""The log writer's errors, all rooted in [`sparkforge.errors.SparkForgeError`][].

```text
SparkForgeError
└── WriterError
    ├── WriterConfigurationError (also a ConfigurationError, ValueError)
    ├── WriterValidationError    (also a ValidationError, ValueError): bad input,
    │                             with every problem as (field path, reason)
    └── WriterTableError         (also a TableOperationError, RuntimeError): the table
        │                         is missing or incompatible, or Delta/Spark failed;
        │                         the cause is chained
        └── WriterCommitUnconfirmedError  WRITER_COMMIT_UNCONFIRMED: a write returned
                                  but its commit could not be confirmed; .run_ids
```
"""

from __future__ import annotations

from sparkforge.errors import (
    ConfigurationError,
    SparkForgeError,
    TableOperationError,
    ValidationError,
)

__all__ = [
    "WriterCommitUnconfirmedError",
    "WriterConfigurationError",
    "WriterError",
    "WriterTableError",
    "WriterValidationError",
]


class WriterError(SparkForgeError):
    """Root of the log writer's errors.

    Examples
    --------
    >>> [cls.__name__ for cls in WriterError.__subclasses__()]
    ['WriterConfigurationError', 'WriterValidationError', 'WriterTableError']
    """


class WriterConfigurationError(WriterError, ConfigurationError):
    """A writer option has an invalid value, or a call does not fit how the writer was built.

    Examples
    --------
    >>> from sparkforge.writer import WriterConfig
    >>> try:
    ...     WriterConfig(table_schema="ops", table_name="run_log", batch_size=0)
    ... except ValueError as exc:
    ...     print(type(exc).__name__, exc.code, exc.problems[0].path)
    WriterConfigurationError WRITER_CONFIG_INVALID batch_size
    """


class WriterValidationError(WriterError, ValidationError):
    """A report (or legacy report dict) is malformed; nothing was written.

    ``problems`` lists every problem found, each with its field path (``steps[3].valid_rows``).

    Examples
    --------
    >>> error = WriterValidationError("WRITER_INPUT_INVALID", {"subject": "report",
    ...     "problems": "1 problem(s): steps[0].valid_rows: expected a count >= 0, got -1"})
    >>> print(error)
    [WRITER_INPUT_INVALID] Invalid report, nothing was written: 1 problem(s): \
steps[0].valid_rows: expected a count >= 0, got -1
    """


class WriterTableError(WriterError, TableOperationError):
    """The log table is missing or incompatible, or a Delta/Spark operation on it failed.

    Examples
    --------
    >>> error = WriterTableError("TABLE_NOT_FOUND", {"table": "ops.run_log"})
    >>> print(error)
    [TABLE_NOT_FOUND] Table ops.run_log does not exist.
    >>> isinstance(error, TableOperationError), isinstance(error, RuntimeError)
    (True, True)
    """


class WriterCommitUnconfirmedError(WriterTableError):
    """A write returned without error, but the history shows neither its commit nor a skip.

    The runs may or may not be in the log: a retry is safe only with
    ``deduplication="transaction"`` (Delta then skips what was committed).

    Parameters
    ----------
    run_ids
        The runs of the unconfirmed commit.
    table, reason
        The table, and why the commit could not be confirmed.

    Attributes
    ----------
    run_ids : tuple of str
        The runs of the unconfirmed commit.

    Examples
    --------
    >>> error = WriterCommitUnconfirmedError(("r1",), table="ops.log", reason="history unreadable")
    >>> error.code, error.run_ids
    ('WRITER_COMMIT_UNCONFIRMED', ('r1',))
    """

    def __init__(self, run_ids: tuple[str, ...], *, table: str, reason: str) -> None:
        shown = ", ".join(run_ids[:20])
        if len(run_ids) > 20:
            shown += f" and {len(run_ids) - 20} more"
        super().__init__(
            "WRITER_COMMIT_UNCONFIRMED",
            {"runs": str(len(run_ids)), "table": table, "reason": reason, "run_ids": shown},
        )
        self.run_ids = run_ids
