"""The run log as OpenLineage events: built, written to a file, or sent to a backend.

Every run in the log becomes two ``RunEvent`` objects of openlineage-python (a START at
``run_started_at``, then COMPLETE or FAIL at ``run_ended_at``); the mapping is described in
`sparkforge.reporting._openlineage_events`. The log is read once, its filters pushed
down; Spark groups its rows by run (the steps of a run gathered with ``collect_list``) and the
driver takes the runs one at a time (``toLocalIterator``), so the whole log is never collected.

The openlineage package is optional (``pip install 'sparkforge[openlineage]'``) and imported
only when one of these functions is called; without it they raise ``ExportError`` with code
``OPTIONAL_DEPENDENCY_MISSING``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol
from urllib.parse import urlparse

from pyspark.sql import functions as F

from sparkforge._result import Result
from sparkforge.errors import ConfigurationError, ExportError, ProblemCollector, SparkForgeError
from sparkforge.reporting._log_frame import (
    argument_error,
    check_log_columns,
    from_micros,
    micros,
    window_filter,
)
from sparkforge.reporting.export import _check_namespace, _check_window
from sparkforge.table_operations.failures import failure_reason

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import datetime

    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import RunEvent
    from pyspark.sql import DataFrame, Row

    from sparkforge.reporting._openlineage_events import RunRecord

__all__ = ["emit_openlineage", "EmitResult", "openlineage_events", "OpenLineageClientLike"]

_COLUMNS = (
    "run_id",
    "pipeline_name",
    "run_status",
    "run_started_at",
    "run_ended_at",
    "run_date",
    "row_kind",
    "step_index",
    "step",
    "step_status",
    "table_fqn",
    "rows_written",
    "output_rows",
    "rule_results",
    "error_type",
    "error_message",
    "tags",
    "logged_at",
    "writer_version",
)


class OpenLineageClientLike(Protocol):
    """What [`emit_openlineage`][sparkforge.reporting.emit_openlineage] needs of a client.

    ``OpenLineageClient`` is one.

    Examples
    --------
    >>> class Recorder:
    ...     def __init__(self) -> None:
    ...         self.sent: list[object] = []
    ...     def emit(self, event: object) -> None:
    ...         self.sent.append(event)
    >>> client: OpenLineageClientLike = Recorder()
    """

    def emit(self, event: RunEvent) -> object:
        """Send one event; raise if it cannot be sent.

        Examples
        --------
        A client that keeps the events instead of sending them:

        ```python
        from sparkforge.reporting import emit_openlineage


        class Recorder:
            def __init__(self) -> None:
                self.sent: list[object] = []

            def emit(self, event: object) -> None:
                self.sent.append(event)


        recorder = Recorder()
        result = emit_openlineage(spark.read.table("ops.run_log"), client=recorder)
        assert len(recorder.sent) == result.events
        ```
        """
        ...


@dataclass(frozen=True, slots=True)
class EmitResult(Result):
    """What [`emit_openlineage`][sparkforge.reporting.emit_openlineage] sent.

    Every event was accepted by the client.

    Examples
    --------
    >>> print(EmitResult(events=4, runs=2))
    events  4
    runs    2
    """

    events: int
    runs: int

    def __str__(self) -> str:
        return f"events  {self.events}\nruns    {self.runs}"


def openlineage_events(
    log: DataFrame,
    *,
    namespace: str = "sparkforge",
    dataset_namespace: str | None = None,
    producer: str | None = None,
    pipeline_name: str | Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Iterator[RunEvent]:
    """Return the OpenLineage events of the log's runs: START then COMPLETE or FAIL, per run.

    Parameters
    ----------
    log
        The run log (any DataFrame with the log's columns).
    namespace
        The job namespace (the job name is the pipeline name).
    dataset_namespace
        The namespace of the output datasets, named by the steps' ``table_fqn``; default
        ``namespace``. Set it to the namespace other integrations give those tables (e.g. the
        OpenLineage Spark integration's) so the datasets are the same in the backend.
    producer
        The producer URI; default ``https://github.com/sparkforge/sparkforge/tree/<version>``.
    pipeline_name, since, until
        Only runs of these pipelines started in ``[since, until)`` (aware datetimes).

    Returns
    -------
    Iterator[RunEvent]
        Lazily, in order of run start: Spark runs when iteration begins, and Spark failures
        raise ``ExportError`` ``EXPORT_FAILED`` from the iteration.

    Examples
    --------
    ```python
    from openlineage.client.serde import Serde
    from sparkforge.reporting.openlineage import openlineage_events

    for event in openlineage_events(spark.read.table("ops.pipeline_log"), since=day):
        print(Serde.to_json(event))
    ```
    """
    problems = ProblemCollector()
    pipelines, start, end = _check_window(problems, pipeline_name, since, until)
    namespaces = _check_namespaces(problems, namespace, dataset_namespace, producer)
    if problems:
        raise argument_error("OpenLineage arguments", problems)
    _require_openlineage("OpenLineage events")
    check_log_columns(log, _COLUMNS, purpose="OpenLineage events")
    records = _gather_runs(log, pipelines, start, end, target="OpenLineage events")
    return _events_of(records, *namespaces)


def emit_openlineage(
    log: DataFrame,
    *,
    client: OpenLineageClientLike | None = None,
    namespace: str = "sparkforge",
    dataset_namespace: str | None = None,
    producer: str | None = None,
    pipeline_name: str | Sequence[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> EmitResult:
    """Send the OpenLineage events of the log's runs with an OpenLineage client.

    Parameters
    ----------
    log
        The run log.
    client
        The client to send with; default ``OpenLineageClient()``, configured as the client
        always is: ``openlineage.yml`` (``OPENLINEAGE_CONFIG``, the working directory,
        ``~/.openlineage``), ``OPENLINEAGE__TRANSPORT__...`` variables or ``OPENLINEAGE_URL``.
    namespace, dataset_namespace, producer, pipeline_name, since, until
        As for [`openlineage_events`][sparkforge.reporting.openlineage_events].

    Returns
    -------
    EmitResult
        The events sent and the runs they describe.

    Raises
    ------
    ExportError
        ``OPENLINEAGE_EMIT_FAILED`` at the first event the client fails to send (how many
        were sent before is in the error), ``EXPORT_FAILED`` when Spark fails,
        ``OPTIONAL_DEPENDENCY_MISSING`` without the openlineage package.
    ConfigurationError
        ``CONFIG_INVALID`` when no client is given and the default one cannot be configured.

    Examples
    --------
    ```python
    from openlineage.client import OpenLineageClient
    from openlineage.client.transport.http import HttpConfig, HttpTransport

    client = OpenLineageClient(transport=HttpTransport(HttpConfig(url="http://marquez:5000")))
    print(emit_openlineage(spark.read.table("ops.pipeline_log"), client=client))
    ```
    """
    problems = ProblemCollector()
    pipelines, start, end = _check_window(problems, pipeline_name, since, until)
    namespaces = _check_namespaces(problems, namespace, dataset_namespace, producer)
    if client is not None and not callable(getattr(client, "emit", None)):
        problems.add("client", f"expected an OpenLineageClient, got {type(client).__name__}")
    if problems:
        raise argument_error("OpenLineage arguments", problems)
    _require_openlineage("Sending OpenLineage events")
    check_log_columns(log, _COLUMNS, purpose="OpenLineage events")
    sender: OpenLineageClientLike = client if client is not None else _default_client()
    transport = getattr(getattr(sender, "transport", None), "kind", None) or "configured"
    target = f"the OpenLineage {transport} transport"
    sent = runs = 0
    for record in _gather_runs(log, pipelines, start, end, target=target):
        for event in _events_of(iter((record,)), *namespaces):
            try:
                sender.emit(event)
            except Exception as exc:
                total = _total_events(log, pipelines, start, end)
                raise ExportError(
                    "OPENLINEAGE_EMIT_FAILED",
                    {"sent": str(sent), "events": total, "reason": failure_reason(exc)},
                ) from exc
            sent += 1
        runs += 1
    return EmitResult(events=sent, runs=runs)


def _gather_runs(
    log: DataFrame,
    pipelines: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    *,
    target: str,
) -> Iterator[RunRecord]:
    """Yield the runs in the window, one at a time, gathered in Spark."""
    from sparkforge.reporting._openlineage_events import RuleRecord, RunRecord, StepRecord

    is_step = F.col("row_kind") == "step"
    is_run = F.col("row_kind") == "run"
    step = F.struct(
        F.col("step_index").alias("index"),
        F.col("step").alias("name"),
        F.col("step_status").alias("status"),
        "table_fqn",
        "rows_written",
        "output_rows",
        "rule_results",
        "error_type",
        "error_message",
    )
    runs = (
        log.where(window_filter(pipelines=pipelines, since=since, until=until))
        .groupBy("pipeline_name", "run_id")
        .agg(
            F.max("run_status").alias("run_status"),
            F.min(micros("run_started_at")).alias("started"),
            F.max(micros("run_ended_at")).alias("ended"),
            F.min(micros("logged_at")).alias("logged"),
            F.max(F.when(is_run, F.col("error_type"))).alias("error_type"),
            F.max(F.when(is_run, F.col("error_message"))).alias("error_message"),
            F.max("writer_version").alias("writer_version"),
            F.array_sort(F.map_entries(F.first("tags", ignorenulls=True))).alias("tags"),
            F.sort_array(F.collect_list(F.when(is_step, step))).alias("steps"),
        )
        .orderBy(F.col("started").asc_nulls_first(), "pipeline_name", "run_id")
    )
    try:
        for row in runs.toLocalIterator():
            steps = tuple(
                StepRecord(
                    index=s["index"],
                    name=s["name"],
                    status=s["status"],
                    table_fqn=s["table_fqn"],
                    rows_written=s["rows_written"],
                    output_rows=s["output_rows"],
                    rules=tuple(
                        RuleRecord(r["rule"], r["column"], r["failed_rows"])
                        for r in s["rule_results"] or ()
                    ),
                    error_type=s["error_type"],
                    error_message=s["error_message"],
                )
                for s in row["steps"] or ()
            )
            yield RunRecord(
                run_id=row["run_id"],
                pipeline_name=row["pipeline_name"],
                run_status=row["run_status"],
                started_at=from_micros(row["started"]),
                ended_at=from_micros(row["ended"]),
                logged_at=from_micros(row["logged"]),
                error_type=row["error_type"],
                error_message=row["error_message"],
                writer_version=row["writer_version"],
                tags=_tags(row),
                steps=steps,
            )
    except SparkForgeError:
        raise
    except Exception as exc:
        raise _failed(target, exc) from exc


def _tags(row: Row) -> tuple[tuple[str, str], ...]:
    return tuple((e["key"], e["value"]) for e in row["tags"] or () if e["value"] is not None)


def _events_of(
    records: Iterator[RunRecord], namespace: str, dataset_namespace: str, producer: str
) -> Iterator[RunEvent]:
    from sparkforge.reporting._openlineage_events import run_events

    for record in records:
        yield from run_events(
            record, namespace=namespace, dataset_namespace=dataset_namespace, producer=producer
        )


def _check_namespaces(
    problems: ProblemCollector, namespace: object, dataset_namespace: object, producer: object
) -> tuple[str, str, str]:
    ns = _check_namespace(problems, "namespace", namespace)
    datasets = ns
    if dataset_namespace is not None:
        datasets = _check_namespace(problems, "dataset_namespace", dataset_namespace)
    if producer is not None:
        parts = urlparse(producer) if isinstance(producer, str) else None
        if parts is None or not parts.scheme or not parts.netloc:
            problems.add("producer", f"expected an absolute URI, got {producer!r}")
    return ns, datasets, producer if isinstance(producer, str) else _default_producer()


def _default_producer() -> str:
    from sparkforge._version import __version__

    return f"https://github.com/sparkforge/sparkforge/tree/{__version__}"


def _require_openlineage(feature: str) -> None:
    try:
        import openlineage.client.event_v2  # noqa: F401
    except ImportError as exc:
        raise ExportError(
            "OPTIONAL_DEPENDENCY_MISSING",
            {
                "feature": feature,
                "package": "openlineage-python",
                "requirement": "sparkforge[openlineage]",
            },
        ) from exc


def _default_client() -> OpenLineageClient:
    from openlineage.client import OpenLineageClient

    try:
        return OpenLineageClient()
    except Exception as exc:
        raise ConfigurationError(
            "CONFIG_INVALID",
            {"option": "the OpenLineage client configuration", "reason": failure_reason(exc)},
        ) from exc


def _total_events(
    log: DataFrame, pipelines: tuple[str, ...], since: datetime | None, until: datetime | None
) -> str:
    """Count the events the call would have sent (two per run), once sending failed."""
    try:
        selected = log.where(window_filter(pipelines=pipelines, since=since, until=until))
        return str(2 * selected.select("pipeline_name", "run_id").distinct().count())
    except Exception:
        return "an unknown number"


def _failed(target: str, exc: BaseException) -> ExportError:
    return ExportError("EXPORT_FAILED", {"target": target, "reason": failure_reason(exc)})
