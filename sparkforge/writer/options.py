"""The enumerated options of [`sparkforge.writer.WriterConfig`][]: codecs, deduplication, failures.

Each option takes the enum member or its value as a plain string (``compression="zstd"``);
the ``*Name`` literals are those strings, for type checkers.
"""

from __future__ import annotations

from enum import Enum
from typing import Literal

__all__ = [
    "Compression",
    "CompressionName",
    "Deduplication",
    "DeduplicationName",
    "FailurePolicy",
    "FailurePolicyName",
]


class _OptionEnum(str, Enum):
    """A ``str`` enum of option values that prints as its value."""

    def __str__(self) -> str:
        return str(self.value)


class Compression(_OptionEnum):
    """Parquet codecs the log's data files may use.

    ``lz4_raw``, not Hadoop's ``lz4`` framing, which other Parquet readers cannot decode.

    Examples
    --------
    >>> from sparkforge.writer import WriterConfig
    >>> WriterConfig(table_schema="ops", table_name="run_log", compression="zstd").compression
    <Compression.ZSTD: 'zstd'>
    """

    SNAPPY = "snappy"
    ZSTD = "zstd"
    GZIP = "gzip"
    LZ4_RAW = "lz4_raw"
    UNCOMPRESSED = "uncompressed"


#: The values of :class:`Compression`, for options given as plain strings.
CompressionName = Literal["snappy", "zstd", "gzip", "lz4_raw", "uncompressed"]


class Deduplication(_OptionEnum):
    """How a write recognises runs already in the log.

    Examples
    --------
    >>> from sparkforge.writer import WriterConfig
    >>> WriterConfig(table_schema="ops", table_name="run_log").deduplication
    <Deduplication.TRANSACTION: 'transaction'>
    >>> try:
    ...     WriterConfig(table_schema="ops", table_name="run_log", write_mode="overwrite",
    ...         deduplication="scan")
    ... except ValueError as exc:  # a WriterConfigurationError
    ...     print(exc.params["option"])
    write_mode, deduplication
    """

    TRANSACTION = "transaction"
    """Each commit carries a Delta transaction identifier derived from its runs; Delta skips a
    commit whose identifier it already holds, atomically, even across processes. A retry of
    the same call is caught; a run resent in a different grouping (first in a
    ``write_reports`` batch, then alone) is not."""
    SCAN = "scan"
    """``"transaction"`` plus a look-up of the run ids in the table before writing (one
    read): catches every resent run, whatever call first wrote it."""
    NONE = "none"
    """Plain appends; a retried run is logged twice. The cheapest write."""


#: The values of :class:`Deduplication`, for options given as plain strings.
DeduplicationName = Literal["transaction", "scan", "none"]


class FailurePolicy(_OptionEnum):
    """What a failed write does.

    Examples
    --------
    >>> from sparkforge.writer import WriterConfig
    >>> WriterConfig(table_schema="ops", table_name="run_log", on_failure="warn").on_failure
    <FailurePolicy.WARN: 'warn'>
    >>> WriterConfig(table_schema="ops", table_name="run_log", on_failure="ignore")
    Traceback (most recent call last):
    ...
    sparkforge.writer.exceptions.WriterConfigurationError: [WRITER_CONFIG_INVALID] Invalid \
writer option on_failure: expected one of 'raise', 'warn', got 'ignore'.
    """

    RAISE = "raise"
    """Raise the [`WriterError`][sparkforge.writer.WriterError]."""
    WARN = "warn"
    """Log a warning and return a result whose ``error`` says what failed."""


#: The values of :class:`FailurePolicy`, for options given as plain strings.
FailurePolicyName = Literal["raise", "warn"]
