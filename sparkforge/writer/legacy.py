"""The deprecated legacy log writer API, kept so that code written against it keeps running.

:func:`flatten_report_min`, :data:`MinimalLogRow`, :data:`MIN_LOG_SCHEMA` and the legacy
``LogWriter(spark, write_schema, logs_table_name)`` (served by :class:`LegacyLogWriter`)
produce the rows they always did, and each use emits a ``DeprecationWarning`` naming its
replacement. Where the legacy code crashed on a malformed report dict, they raise
:class:`~sparkforge.writer.exceptions.WriterValidationError` listing every problem with its
path (``silver.orders_clean.write.rows_written``), and nothing is written. docs/legacy.md
describes this API; :mod:`sparkforge.writer.migration` upgrades its table to schema v1.

Nothing in sparkforge imports this module but ``sparkforge.writer`` (lazily, for the
deprecated names) and ``LogWriter.__new__`` (for the legacy form).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import fields
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn, TypedDict, cast

from pyspark.sql import types as T
from typing_extensions import override

from sparkforge import table_operations as ops
from sparkforge.errors import ProblemCollector, SparkForgeError
from sparkforge.table_operations import TableRef, failure_reason
from sparkforge.writer.core import LogWriter
from sparkforge.writer.exceptions import (
    WriterConfigurationError,
    WriterTableError,
    WriterValidationError,
)
from sparkforge.writer.migration import _LEGACY_LOG_SCHEMA, _has_v1_columns
from sparkforge.writer.models import WriterMetrics

if TYPE_CHECKING:
    from collections.abc import Sequence

    from pyspark.sql import DataFrame, SparkSession

__all__ = ["flatten_report_min", "LegacyLogWriter", "MIN_LOG_SCHEMA", "MinimalLogRow"]


class MinimalLogRow(TypedDict):
    """One row of the legacy log table; keys and order are those of :data:`MIN_LOG_SCHEMA`.

    .. deprecated:: 0.1.0
        Use :class:`sparkforge.writer.LogRow`.
    """

    run_mode: str
    run_started_at: datetime | None
    run_ended_at: datetime | None
    phase: str
    step: str
    start_time: datetime | None
    end_time: datetime | None
    table_fqn: str | None
    write_mode: str | None
    input_rows: int | None
    output_rows: int | None
    rows_written: int | None
    valid_rows: int
    invalid_rows: int
    validation_rate: float
    previous_watermark: datetime | None
    filtered_rows: int | None


#: The legacy log table's schema (deprecated: use :data:`sparkforge.writer.LOG_SCHEMA`).
MIN_LOG_SCHEMA: T.StructType = _LEGACY_LOG_SCHEMA

_MIN_COLUMNS: tuple[str, ...] = tuple(MIN_LOG_SCHEMA.fieldNames())
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_PHASES = ("bronze", "silver", "gold")
_TIMESTAMP = T.TimestampType()
_REPLACEMENT = (
    "LogWriter(spark, WriterConfig(table_schema=..., table_name=...)).write_report(report)"
)

# --------------------------------------------------------------------------- flattening


def _describe(value: object) -> str:
    """``type value`` for a message, short, and safe for any object (repr may fail)."""
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__, or an int too long to print
        text = "<unprintable>"
    if len(text) > 40:
        text = text[:37] + "..."
    return f"{type(value).__name__} {text}"


class _Flattener:
    """Build the legacy rows of one report, recording each place the legacy code crashed.

    Every check mirrors one operation of the legacy code: ``.get`` on a block (it must be a
    dict), ``int()`` / ``float()`` (whatever they raise), truthiness in ``a or b or c``, and
    what ``createDataFrame(rows, MIN_LOG_SCHEMA)`` then refused (None in a NOT NULL column,
    an int outside 32 bits, a timestamp that is not a ``datetime``).
    """

    def __init__(self) -> None:
        self.problems = ProblemCollector()

    def fail(self, path: str, reason: str) -> None:
        self.problems.add(path, reason)

    def mapping(self, value: object, path: str) -> Mapping[str, object] | None:
        if isinstance(value, Mapping):
            return cast("Mapping[str, object]", value)
        self.fail(path, f"expected a dict, got {_describe(value)}")
        return None

    def block(self, record: Mapping[str, object], key: str, path: str) -> Mapping[str, object]:
        # record.get(key, {}): a missing block is empty, a present one must be a dict.
        if key not in record:
            return {}
        return self.mapping(record[key], f"{path}.{key}" if path else key) or {}

    def truthy(self, value: object, path: str) -> bool:
        try:
            return bool(value)
        except Exception as exc:  # the legacy `or` chain crashed on it
            self.fail(path, f"its truth value cannot be determined ({type(exc).__name__})")
            return False

    def integer(self, block: Mapping[str, object], key: str, path: str) -> int | None:
        where, value = f"{path}.{key}", block.get(key, 0)
        if value is None:
            self.fail(where, "is None: int() cannot convert it (leave the key out for 0)")
            return None
        try:
            number: int = int(value)  # type: ignore[call-overload]
        except Exception as exc:  # int() of a user value may raise anything; legacy crashed
            self.fail(where, f"int() cannot convert {_describe(value)} ({type(exc).__name__})")
            return None
        if not _INT_MIN <= number <= _INT_MAX:
            shown = str(number) if number.bit_length() < 64 else f"a {number.bit_length()}-bit int"
            self.fail(where, f"{shown} does not fit the 32-bit INTEGER column")
            return None
        return number

    def rate(self, block: Mapping[str, object], path: str) -> float | None:
        where, value = f"{path}.validation_rate", block.get("validation_rate", 100.0)
        if value is None:
            self.fail(where, "is None: float() cannot convert it (leave the key out for 100.0)")
            return None
        try:
            return float(value)  # type: ignore[arg-type]
        except Exception as exc:  # as for int(): whatever float() raised, legacy crashed
            self.fail(where, f"float() cannot convert {_describe(value)} ({type(exc).__name__})")
            return None

    def instant(self, value: object, path: str) -> datetime | None:
        if value is None:
            return None
        # PySpark accepts exactly datetime.datetime (no subclass such as pandas.Timestamp).
        if type(value) is not datetime:
            self.fail(path, f"expected a datetime or None, got {_describe(value)}")
            return None
        try:
            _TIMESTAMP.toInternal(value)
        except Exception as exc:  # what createDataFrame does with it; e.g. year 1 at +05:00
            self.fail(path, f"cannot be stored as a timestamp ({type(exc).__name__})")
            return None
        return value

    def first_instant(
        self, blocks: Sequence[tuple[Mapping[str, object], str]], key: str
    ) -> datetime | None:
        # blocks[0][key] or blocks[1][key] or blocks[2][key]: the first truthy, else the last.
        value: object = None
        where = ""
        for block, path in blocks:
            value, where = block.get(key), f"{path}.{key}"
            if self.truthy(value, where):
                break
        return self.instant(value, where)

    def text(self, value: object, path: str, *, required: bool) -> str | None:
        if value is None:
            if required:
                self.fail(path, "is None, but the column is NOT NULL")
            return None
        # The legacy table stored the JVM's rendering of a non-str ("true", "{a=1}") or
        # crashed (a str subclass): the compatible API asks for a str.
        if type(value) is not str:
            self.fail(path, f"expected a str, got {_describe(value)}")
            return None
        return value


_Run = tuple[str | None, datetime | None, datetime | None]


def _row(run: _Run, phase: str, step: str, **values: object) -> MinimalLogRow:
    row: dict[str, object] = dict.fromkeys(_MIN_COLUMNS)
    row.update(run_mode=run[0], run_started_at=run[1], run_ended_at=run[2], phase=phase)
    row.update(step=step, **values)
    return cast("MinimalLogRow", row)


def _flatten_report_min(report: object) -> list[MinimalLogRow]:
    """Do the work of :func:`flatten_report_min`, without the deprecation warning."""
    check = _Flattener()
    if not isinstance(report, Mapping):
        check.fail("report", f"expected a dict, got {_describe(report)}")
        raise _invalid(check.problems)
    blocks = [(phase, check.block(report, phase, "")) for phase in _PHASES]
    # The legacy code read the run block only while building a row.
    run: _Run = ("initial", None, None)
    if any(steps for _, steps in blocks):
        run_block = check.block(report, "run", "")
        run = (
            check.text(run_block.get("mode", "initial"), "run.mode", required=True),
            check.instant(run_block.get("started_at"), "run.started_at"),
            check.instant(run_block.get("ended_at"), "run.ended_at"),
        )
    rows: list[MinimalLogRow] = []
    for phase, steps in blocks:
        for index, (step, entry) in enumerate(steps.items()):
            if type(step) is str:
                path = f"{phase}.{step}"
            else:
                path = f"{phase}[{index}]"
                check.fail(path, f"a step name must be a str, got {_describe(step)}")
            record = check.mapping(entry, path) or {}
            v_path = f"{path}.validation"
            v = check.block(record, "validation", path)
            counts = {
                "valid_rows": check.integer(v, "valid_rows", v_path),
                "invalid_rows": check.integer(v, "invalid_rows", v_path),
                "validation_rate": check.rate(v, v_path),
            }
            if phase == "bronze":
                start = check.instant(v.get("start_at"), f"{v_path}.start_at")
                end = check.instant(v.get("end_at"), f"{v_path}.end_at")
                rows.append(_row(run, phase, step, start_time=start, end_time=end, **counts))
                continue
            t_path, w_path = f"{path}.transform", f"{path}.write"
            t: Mapping[str, object] | None = {}
            transform = record.get("transform")
            if phase == "silver":
                # `(t or {})` and `... if t else None`: any falsy transform counts as absent.
                has_t = check.truthy(transform, t_path)
                t = check.mapping(transform, t_path) if has_t else None
            elif transform is not None:
                t = check.mapping(transform, t_path)
            w = check.block(record, "write", path)
            chain = [(t or {}, t_path), (v, v_path), (w, w_path)]
            rows.append(
                _row(
                    run,
                    phase,
                    step,
                    start_time=check.first_instant(chain, "start_at"),
                    end_time=check.first_instant(chain, "end_at"),
                    table_fqn=check.text(
                        record.get("table_fqn"), f"{path}.table_fqn", required=False
                    ),
                    write_mode=check.text(w.get("mode"), f"{w_path}.mode", required=False),
                    input_rows=None if t is None else check.integer(t, "input_rows", t_path),
                    output_rows=None if t is None else check.integer(t, "output_rows", t_path),
                    rows_written=check.integer(w, "rows_written", w_path),
                    **counts,
                )
            )
    if check.problems:
        raise _invalid(check.problems)
    return rows


def _invalid(problems: ProblemCollector) -> WriterValidationError:
    return WriterValidationError(
        "WRITER_INPUT_INVALID",
        {"subject": "legacy report", "problems": problems.render()},
        problems=problems.problems,
    )


def flatten_report_min(report: Mapping[str, object]) -> list[MinimalLogRow]:
    """Flatten a legacy report dict into legacy log rows, one per step.

    .. deprecated:: 0.1.0
        Build a :class:`~sparkforge.models.PipelineReport` and use
        :func:`sparkforge.writer.rows_from_report` (or ``LogWriter.write_report``).

    Parameters
    ----------
    report
        ``{"run": ..., "bronze": ..., "silver": ..., "gold": ...}``, any block or key missing.

    Returns
    -------
    list[MinimalLogRow]
        Every bronze step (in the dict's order), then every silver step, then every gold step.
        Numbers are converted as ``int()`` and ``float()`` convert them, so ``True`` gives 1,
        ``"12"`` gives 12 and ``3.9`` gives 3; a NaN or infinite ``validation_rate`` is kept.

    Raises
    ------
    WriterValidationError
        ``WRITER_INPUT_INVALID`` where the legacy code crashed, with every problem and its
        path (``silver.orders.write.rows_written``): a present key holding None where a number
        or a run mode is needed; a value ``int()``/``float()`` cannot convert (a NaN or
        infinite count among them); an int outside 32 bits; a block or report that is not a
        dict; a string column holding a non-``str``; a timestamp that is not a ``datetime``.

    Examples
    --------
    >>> import warnings
    >>> report = {"run": {"mode": "incremental"},
    ...           "bronze": {"events": {"validation": {"valid_rows": "98", "invalid_rows": 2}}}}
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     rows = flatten_report_min(report)
    >>> [w.category.__name__ for w in caught]
    ['DeprecationWarning']
    >>> [(r["run_mode"], r["phase"], r["step"], r["valid_rows"], r["validation_rate"])
    ...  for r in rows]
    [('incremental', 'bronze', 'events', 98, 100.0)]
    """
    warnings.warn(
        "flatten_report_min is deprecated; build a sparkforge.models.PipelineReport and use "
        "sparkforge.writer.rows_from_report(report) instead",
        DeprecationWarning,
        stacklevel=2,
    )
    return _flatten_report_min(report)


# --------------------------------------------------------------------------- legacy writer

_V1_ONLY = (
    "this writer was built with the legacy LogWriter(spark, schema, table) form; build it "
    "with LogWriter(spark, WriterConfig(...))"
)


def _v1_only(method: str) -> WriterConfigurationError:
    return WriterConfigurationError("WRITER_MODE_MISMATCH", {"method": method, "reason": _V1_ONLY})


class LegacyLogWriter(LogWriter):
    """The legacy ``LogWriter(spark, write_schema, logs_table_name)``.

    ``LogWriter(spark, "schema", "table")`` returns one: it is a :class:`LogWriter` whose
    table has the legacy schema :data:`MIN_LOG_SCHEMA`, with the legacy methods
    :meth:`create_table`, :meth:`append` and :meth:`show`. The v1 methods (``write_report``,
    ``write_reports``, ``read_logs``, ``validate_data_quality``, ``migrate_legacy_table``
    and ``create_table()`` without a report) raise ``WRITER_MODE_MISMATCH``.

    .. deprecated:: 0.1.0
        Use ``LogWriter(spark, WriterConfig(table_schema=..., table_name=...))``. Building
        one, and each legacy method call, emits a ``DeprecationWarning``.

    Parameters
    ----------
    spark
        The session.
    write_schema, logs_table_name
        The table ``write_schema.logs_table_name``; both are validated as identifiers.

    Raises
    ------
    TableOperationError
        ``IDENTIFIER_INVALID`` for an unsafe schema or table name (before any Spark call).
    WriterConfigurationError
        ``WRITER_CONFIG_INVALID`` for other arguments than these three.

    Examples
    --------
    >>> import warnings
    >>> from sparkforge.writer import LogWriter
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     writer = LogWriter(None, "analytics", "pipeline_logs")
    >>> type(writer).__name__, isinstance(writer, LogWriter), str(writer.table)
    ('LegacyLogWriter', True, 'analytics.pipeline_logs')
    >>> str(caught[0].message).split(";")[0]
    'LogWriter(spark, write_schema, logs_table_name) is deprecated'
    """

    def __init__(
        self,
        spark: SparkSession,
        write_schema: str,
        logs_table_name: str | None = None,
        *extra: object,
        **options: object,
    ) -> None:
        # LogWriter.__init__ is not called: it builds the v1 writer this class is not.
        warnings.warn(
            "LogWriter(spark, write_schema, logs_table_name) is deprecated; use "
            "LogWriter(spark, WriterConfig(table_schema=..., table_name=...))",
            DeprecationWarning,
            stacklevel=2,
        )
        if logs_table_name is None or extra or options:
            given = 2 + (logs_table_name is not None) + len(extra) + len(options)
            raise WriterConfigurationError(
                "WRITER_CONFIG_INVALID",
                {
                    "option": "logs_table_name",
                    "reason": "the legacy form takes exactly LogWriter(spark, write_schema, "
                    f"logs_table_name); got {given} argument(s)",
                },
            )
        self.table = TableRef.named(write_schema, logs_table_name)
        self.spark = spark
        self.write_schema = write_schema
        self.logs_table_name = logs_table_name
        self.schema = MIN_LOG_SCHEMA

    # ------------------------------------------------------------------ legacy methods

    @override
    def create_table(  # type: ignore[override]  # the legacy signature, kept as it was
        self, initial_report: Mapping[str, object] | None = None
    ) -> DataFrame:
        """Replace the table's rows (and schema) with the report's rows: a Delta overwrite.

        Earlier versions stay readable by time travel.

        .. deprecated:: 0.1.0
            Use ``LogWriter(spark, WriterConfig(...)).create_table()`` and ``write_report``.

        Returns
        -------
        DataFrame
            The rows written, with :data:`MIN_LOG_SCHEMA`.

        Raises
        ------
        WriterConfigurationError
            ``WRITER_MODE_MISMATCH`` without a report (that is the v1 ``create_table()``).
        WriterValidationError
            For a malformed report, before any Spark call; nothing is written.
        WriterTableError
            ``WRITER_LEGACY_TABLE`` if the table has the v1 schema (nothing is written);
            ``WRITER_WRITE_FAILED`` if Delta/Spark failed.
        """
        if initial_report is None:
            raise WriterConfigurationError(
                "WRITER_MODE_MISMATCH",
                {
                    "method": "create_table()",
                    "reason": "the legacy writer's create_table takes the initial report",
                },
            )
        warnings.warn(
            "LogWriter.create_table(report) is deprecated; use "
            "LogWriter(spark, WriterConfig(...)).create_table() and write_report(report)",
            DeprecationWarning,
            stacklevel=2,
        )
        return self._write_rows(initial_report, overwrite=True)

    def append(self, report: Mapping[str, object]) -> DataFrame:
        """Append the report's rows to the table (creating it if absent).

        .. deprecated:: 0.1.0
            Use :meth:`LogWriter.write_report` with a :class:`~sparkforge.models.PipelineReport`.

        Returns
        -------
        DataFrame
            The rows written, with :data:`MIN_LOG_SCHEMA`.

        Raises
        ------
        WriterValidationError
            For a malformed report, before any Spark call; nothing is written.
        WriterTableError
            As for :meth:`create_table`.
        """
        warnings.warn(
            "LogWriter.append(report) is deprecated; use write_report(report) on a "
            "LogWriter(spark, WriterConfig(...))",
            DeprecationWarning,
            stacklevel=2,
        )
        return self._write_rows(report, overwrite=False)

    def show(self, n: int | None = None) -> None:
        """Print the table's first ``n`` rows (``DataFrame.show``; 20 when ``n`` is None).

        .. deprecated:: 0.1.0
            Use ``read_logs().show(n)``.

        Raises
        ------
        WriterConfigurationError
            ``WRITER_CONFIG_INVALID`` if ``n`` is not an int.
        WriterTableError
            ``TABLE_NOT_FOUND`` if the table does not exist; ``TABLE_OPERATION_FAILED`` if
            Spark failed.
        """
        warnings.warn(
            "LogWriter.show(n) is deprecated; use read_logs().show(n) on a "
            "LogWriter(spark, WriterConfig(...))",
            DeprecationWarning,
            stacklevel=2,
        )
        if n is not None and (type(n) is not int):
            raise WriterConfigurationError(
                "WRITER_CONFIG_INVALID", {"option": "n", "reason": f"expected an int, got {n!r}"}
            )
        try:
            if not ops.table_exists(self.spark, self.table):
                raise WriterTableError("TABLE_NOT_FOUND", {"table": str(self.table)})
            # PySpark's show() needs an int; the legacy show(None) raised a TypeError there.
            self.table.read(self.spark).show(20 if n is None else n)
        except SparkForgeError as exc:
            if isinstance(exc, WriterTableError):
                raise
            raise WriterTableError(exc.code, exc.params) from exc
        except Exception as exc:
            raise WriterTableError(
                "TABLE_OPERATION_FAILED",
                {"operation": "show", "table": str(self.table), "reason": failure_reason(exc)},
            ) from exc

    def _write_rows(self, report: Mapping[str, object], *, overwrite: bool) -> DataFrame:
        rows = _flatten_report_min(report)
        data = [tuple(row[name] for name in _MIN_COLUMNS) for row in rows]  # type: ignore[literal-required]
        try:
            if ops.table_exists(self.spark, self.table) and _has_v1_columns(
                ops.read_schema(self.spark, self.table)
            ):
                raise WriterTableError(
                    "WRITER_LEGACY_TABLE",
                    {
                        "table": str(self.table),
                        "reason": "has the v1 log schema (it was migrated, or created by the new "
                        "writer), so the deprecated legacy writer will not touch it; write to it "
                        f"with {_REPLACEMENT}",
                    },
                )
            df = self.spark.createDataFrame(data, MIN_LOG_SCHEMA)
            if overwrite:
                ops.overwrite(df, self.table, overwrite_schema=True)
            else:
                ops.append(df, self.table)
        except WriterTableError:
            raise
        except SparkForgeError as exc:
            reason = exc.message
        except Exception as exc:
            reason = failure_reason(exc)
        else:
            return df
        raise WriterTableError(
            "WRITER_WRITE_FAILED", {"runs": "1", "table": str(self.table), "reason": reason}
        )

    # ------------------------------------------------------------------ v1 methods

    @override
    def write_report(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: the legacy writer has :meth:`append` instead."""
        raise _v1_only("write_report")

    @override
    def write_reports(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: the legacy writer has :meth:`append` instead."""
        raise _v1_only("write_reports")

    @override
    def read_logs(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: the legacy writer has :meth:`show` instead."""
        raise _v1_only("read_logs")

    @override
    def validate_data_quality(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: the checks apply to the v1 log only."""
        raise _v1_only("validate_data_quality")

    @override
    def migrate_legacy_table(self, *args: object, **kwargs: object) -> NoReturn:
        """Raise ``WRITER_MODE_MISMATCH``: a v1 writer on the same table migrates it."""
        raise _v1_only("migrate_legacy_table")

    @override
    def get_performance_metrics(self) -> WriterMetrics:
        """Return metrics with monitoring off and every count 0: the legacy writer keeps none.

        Examples
        --------
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", DeprecationWarning)
        ...     writer = LegacyLogWriter(None, "analytics", "pipeline_logs")
        >>> metrics = writer.get_performance_metrics()
        >>> metrics.monitoring_enabled, metrics.writes, metrics.rows_per_sec
        (False, 0, None)
        """
        # Counts are 0 and measurements None (not measured), whichever the metrics hold.
        values: dict[str, Any] = {
            f.name: 0 if f.type == "int" else None for f in fields(WriterMetrics)
        }
        values["monitoring_enabled"] = False
        return WriterMetrics(**values)
