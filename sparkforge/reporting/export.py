"""Export the run log to files: Parquet, CSV, JSON lines, or OpenLineage events.

[`export`][sparkforge.reporting.export.export] reads the log once (its pipeline and time-window
filters pushed down) and writes the selected rows with Spark's own file writers, so it works on any
filesystem Spark can write (local, HDFS, object stores) and on Spark Connect. The counts it returns
are measured on the data written: ``rows`` by ``DataFrame.observe`` during the write itself,
``runs`` by one small aggregate (distinct ``run_id``) of the same filtered read. ``files`` are
the data files the write produced, listed afterwards through Spark's file index
(``DataFrame.inputFiles()`` of the target, which lists without reading any data).

Formats:

- ``parquet``: the rows as they are, column types kept. Timestamps are written as the session
  configures (``spark.sql.parquet.outputTimestampType``, INT96 by default); every Parquet
  reader reads them as the UTC instants they are.
- ``json``: one JSON object per line (null fields kept); every instant ISO 8601 in UTC with
  microseconds and a ``Z`` suffix (``2026-03-01T23:30:00.000000Z``), whatever the session
  time zone (the writer's ``timeZone`` option is ``UTC``).
- ``csv``: a header row, RFC 4180 quoting (a quote inside a value is doubled); every array,
  map or struct column (``rule_results``, ``tags``) as JSON text (``to_json``); instants as
  for ``json``; dates ``yyyy-MM-dd``; NULL as an empty field.
- ``openlineage``: one OpenLineage ``RunEvent`` per line (see
  `sparkforge.reporting.openlineage`), written to the one local file ``path`` by the
  driver; needs ``pip install 'sparkforge[openlineage]'``.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pyspark.sql import Observation
from pyspark.sql import functions as F
from pyspark.sql import types as T

from sparkforge._result import Result
from sparkforge.errors import ExportError, ProblemCollector, SparkForgeError
from sparkforge.reporting._log_frame import (
    argument_error,
    check_instant,
    check_log_columns,
    check_names,
    window_filter,
)
from sparkforge.table_operations.failures import failure_reason

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from pyspark.sql import Column, DataFrame

__all__ = ["export", "EXPORT_FORMATS", "EXPORT_MODES", "ExportResult"]

#: The formats :func:`export` writes.
EXPORT_FORMATS: tuple[str, ...] = ("parquet", "csv", "json", "openlineage")
#: What :func:`export` does when ``path`` exists: fail, or replace it.
EXPORT_MODES: tuple[str, ...] = ("error", "overwrite")

#: Instants as ISO 8601 with microseconds and the offset (``Z`` in UTC).
_INSTANT_FORMAT = "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"
_TEXT_OPTIONS = {"timeZone": "UTC", "timestampFormat": _INSTANT_FORMAT, "dateFormat": "yyyy-MM-dd"}
_WRITER_OPTIONS: dict[str, dict[str, str]] = {
    "parquet": {},
    "json": {**_TEXT_OPTIONS, "ignoreNullFields": "false"},
    "csv": {**_TEXT_OPTIONS, "header": "true", "escape": '"', "nullValue": ""},
}
#: Only the file listing is wanted when reading the target back: no schema inference job.
_LISTING_SCHEMA = T.StructType([T.StructField("_listing", T.StringType(), True)])
_FILTER_COLUMNS = ("run_id", "pipeline_name", "run_started_at", "run_date")


@dataclass(frozen=True, slots=True)
class ExportResult(Result):
    """What [`export`][sparkforge.reporting.export.export] wrote.

    Attributes
    ----------
    path : str
        The target, as given.
    format : str
        ``parquet``, ``csv``, ``json`` or ``openlineage``.
    runs : int
        Distinct runs (``pipeline_name``, ``run_id``) in the data written.
    rows : int
        Records written: log rows for the file formats (counted during the write), events
        (lines) for ``openlineage``.
    files : tuple[str, ...]
        URIs of the data files written, sorted (no ``_SUCCESS`` or other marker files).

    Examples
    --------
    >>> result = ExportResult("/tmp/log", "csv", 2, 7, ("file:///tmp/log/part-0.csv",))
    >>> print(result)
    export  csv -> /tmp/log
    runs    2
    rows    7
    files   1
    """

    path: str
    format: str
    runs: int
    rows: int
    files: tuple[str, ...]

    def __str__(self) -> str:
        return "\n".join(
            (
                f"export  {self.format} -> {self.path}",
                f"runs    {self.runs}",
                f"rows    {self.rows}",
                f"files   {len(self.files)}",
            )
        )


def _check_window(
    problems: ProblemCollector, pipeline_name: object, since: object, until: object
) -> tuple[tuple[str, ...], datetime | None, datetime | None]:
    """Check the shared filter arguments; return them as ``window_filter`` takes them."""
    pipelines = check_names(problems, "pipeline_name", pipeline_name)
    start = check_instant(problems, "since", since)
    end = check_instant(problems, "until", until)
    if start is not None and end is not None and start >= end:
        problems.add("until", f"expected an instant after since ({start.isoformat()})")
    return pipelines, start, end


def _check_namespace(problems: ProblemCollector, name: str, value: object) -> str:
    """Check an OpenLineage namespace: a non-empty string."""
    if isinstance(value, str) and value.strip():
        return value
    problems.add(name, f"expected a non-empty string, got {value!r}")
    return ""


def export(
    log: DataFrame,
    path: str,
    *,
    format: str,
    pipeline_name: str | Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    mode: str = "error",
    namespace: str = "sparkforge",
) -> ExportResult:
    """Write the log's rows (optionally of some pipelines, in a time window) to files.

    Parameters
    ----------
    log
        The run log (any DataFrame with the log's columns).
    path
        The target directory (file formats) or file (``openlineage``, a local path).
    format
        ``parquet``, ``csv``, ``json`` or ``openlineage``; see the module docs.
    pipeline_name
        Only these pipelines (a name or a sequence of names); all when None.
    since, until
        Only runs started in ``[since, until)``; timezone-aware datetimes.
    mode
        ``error`` (default): an existing ``path`` raises ``EXPORT_TARGET_EXISTS`` and nothing
        is written. ``overwrite``: ``path`` is replaced.
    namespace
        ``openlineage`` only: the job namespace of the events (and of their datasets).

    Returns
    -------
    ExportResult
        The target, runs and rows written (measured on the data written) and the files.

    Raises
    ------
    ValidationError
        ``ANALYSIS_ARGUMENT_INVALID`` (every problem at once, before any Spark job) or
        ``ANALYSIS_LOG_INVALID`` (the DataFrame lacks a column).
    ExportError
        ``EXPORT_TARGET_EXISTS``, ``EXPORT_FAILED`` (Spark or the filesystem failed, cause
        chained) or ``OPTIONAL_DEPENDENCY_MISSING`` (``openlineage`` without the package).

    Examples
    --------
    ```python
    from sparkforge.reporting.export import export

    log = spark.read.table("ops.pipeline_log")
    result = export(log, "s3://bucket/exports/orders", format="csv",
                    pipeline_name="orders", mode="overwrite")
    print(result)
    ```
    """
    problems = ProblemCollector()
    if format not in EXPORT_FORMATS:
        problems.add("format", f"expected one of {', '.join(EXPORT_FORMATS)}, got {format!r}")
    if mode not in EXPORT_MODES:
        problems.add("mode", f"expected one of {', '.join(EXPORT_MODES)}, got {mode!r}")
    target: object = path
    if not isinstance(target, str) or not target.strip():
        problems.add("path", f"expected a non-empty path, got {path!r}")
    elif format == "openlineage" and "://" in target:
        problems.add(
            "path",
            "the openlineage format writes one local file from the driver; for remote "
            "storage use emit_openlineage with the client's file transport",
        )
    pipelines, start, end = _check_window(problems, pipeline_name, since, until)
    if format == "openlineage":
        _check_namespace(problems, "namespace", namespace)
    if problems:
        raise argument_error("export arguments", problems)
    if format == "openlineage":
        return _export_events(
            log, path, mode=mode, namespace=namespace, pipelines=pipelines, since=start, until=end
        )
    check_log_columns(log, _FILTER_COLUMNS, purpose="export")
    selected = log.where(window_filter(pipelines=pipelines, since=start, until=end))
    return _write_files(selected, path, format, mode)


def _write_files(frame: DataFrame, path: str, fmt: str, mode: str) -> ExportResult:
    if fmt == "csv":
        frame = frame.select(*_csv_columns(frame))
    observation = Observation(f"sparkforge_export_{uuid.uuid4().hex}")
    observed = frame.observe(observation, F.count(F.lit(1)).alias("rows"))
    writer = observed.write.format(fmt).mode("overwrite" if mode == "overwrite" else "error")
    try:
        writer.options(**_WRITER_OPTIONS[fmt]).save(path)
    except Exception as exc:
        if "PATH_ALREADY_EXISTS" in str(exc):
            raise _exists(path) from exc
        raise _failed(path, exc) from exc
    try:
        rows = int(observation.get["rows"])
        runs = frame.select("pipeline_name", "run_id").distinct().count()
        reader = frame.sparkSession.read.format(fmt).schema(_LISTING_SCHEMA)
        files = tuple(sorted(reader.load(path).inputFiles()))
    except Exception as exc:
        raise _failed(path, exc) from exc
    return ExportResult(path=path, format=fmt, runs=runs, rows=rows, files=files)


def _export_events(
    log: DataFrame,
    path: str,
    *,
    mode: str,
    namespace: str,
    pipelines: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
) -> ExportResult:
    """Write the events as JSON lines to the local file ``path`` (``export`` checked the rest).

    The lines go to a temporary file beside ``path`` that then takes its name, so ``path``
    never holds half an export: in ``error`` mode with a hard link (which fails if ``path``
    appeared meanwhile), in ``overwrite`` mode by an atomic rename.
    """
    from sparkforge.reporting.openlineage import (
        _COLUMNS,
        _default_producer,
        _events_of,
        _gather_runs,
        _require_openlineage,
    )

    _require_openlineage("Exporting OpenLineage events")
    check_log_columns(log, _COLUMNS, purpose="OpenLineage export")
    from openlineage.client.serde import Serde

    target = Path(path)
    if mode == "error" and (target.exists() or target.is_symlink()):
        raise _exists(path)
    namespaces = (namespace, namespace, _default_producer())
    records = _gather_runs(log, pipelines, since, until, target=path)
    events = runs = 0
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Created like any new file (mode 0o666 less the umask), never replacing another.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        handle = os.fdopen(descriptor, "w", encoding="utf-8")
    except OSError as exc:
        raise _failed(path, exc) from exc
    try:
        with handle:
            for record in records:
                for event in _events_of(iter((record,)), *namespaces):
                    handle.write(Serde.to_json(event) + "\n")
                    events += 1
                runs += 1
        _publish(temporary, target, mode, path)
    except BaseException as exc:
        temporary.unlink(missing_ok=True)
        if isinstance(exc, Exception) and not isinstance(exc, SparkForgeError):
            raise _failed(path, exc) from exc
        raise
    return ExportResult(
        path=path, format="openlineage", runs=runs, rows=events, files=(target.absolute().as_uri(),)
    )


def _publish(temporary: Path, target: Path, mode: str, path: str) -> None:
    if mode == "overwrite":
        os.replace(temporary, target)
        return
    try:
        os.link(temporary, target)
    except FileExistsError as exc:
        raise _exists(path) from exc
    except OSError:
        # No hard links on this filesystem: check, then rename (a tiny race remains).
        if target.exists():
            raise _exists(path) from None
        os.replace(temporary, target)
        return
    temporary.unlink()


def _csv_columns(frame: DataFrame) -> list[Column]:
    """Return the columns as CSV can hold them: arrays, maps and structs as JSON text."""
    complex_types = (T.ArrayType, T.MapType, T.StructType)
    return [
        F.to_json(frame[f.name]).alias(f.name)
        if isinstance(f.dataType, complex_types)
        else frame[f.name]
        for f in frame.schema.fields
    ]


def _exists(path: str) -> ExportError:
    return ExportError(
        "EXPORT_TARGET_EXISTS", {"target": path, "hint": "pass mode='overwrite' to replace it"}
    )


def _failed(target: str, exc: BaseException) -> SparkForgeError:
    if isinstance(exc, SparkForgeError):
        return exc
    return ExportError("EXPORT_FAILED", {"target": target, "reason": failure_reason(exc)})
