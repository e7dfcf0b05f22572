"""The log writer's errors, all rooted in :class:`sparkforge.errors.SparkForgeError`.

::

    SparkForgeError
    └── WriterError
        ├── WriterConfigurationError (also a ConfigurationError, ValueError)
        ├── WriterValidationError    (also a ValidationError, ValueError): bad input,
        │                             with every problem as (field path, reason)
        └── WriterTableError         (also a TableOperationError, RuntimeError): the table
                                      is missing or incompatible, or Delta/Spark failed;
                                      the cause is chained
"""

from __future__ import annotations

from sparkforge.errors import (
    ConfigurationError,
    SparkForgeError,
    TableOperationError,
    ValidationError,
)

__all__ = [
    "WriterConfigurationError",
    "WriterError",
    "WriterTableError",
    "WriterValidationError",
]


class WriterError(SparkForgeError):
    """Root of the log writer's errors."""


class WriterConfigurationError(WriterError, ConfigurationError):
    """A writer option has an invalid value, or a call does not fit how the writer was built."""


class WriterValidationError(WriterError, ValidationError):
    """A report (or legacy report dict) is malformed; nothing was written.

    ``problems`` lists every problem found, each with its field path (``steps[3].valid_rows``).
    """


class WriterTableError(WriterError, TableOperationError):
    """The log table is missing or incompatible, or a Delta/Spark operation on it failed."""
