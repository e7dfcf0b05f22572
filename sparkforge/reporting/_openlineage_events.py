"""One run of the log -> its two OpenLineage events (pure: no Spark, no I/O).

`RunRecord` holds what the log says about one run, gathered in Spark by
`sparkforge.reporting.openlineage`; `run_events` turns it into a START event and an
end event (COMPLETE or FAIL) built only from openlineage-python's typed classes
(``openlineage.client.event_v2`` and ``openlineage.client.facet_v2``). This module imports
openlineage at import time: import it only once the package is known to be installed.

The mapping (log -> event):

=====================================  ===================================================
log                                    event
=====================================  ===================================================
``pipeline_name``                      ``job.name`` (``job.namespace``: the namespace given)
``run_id``                             ``run.runId``: itself when a UUID, else
                                       ``generate_static_uuid(run_started_at,
                                       pipeline_name NUL run_id)``
``run_started_at`` / ``run_ended_at``  ``eventTime`` of START / of the end event
``run_status``                         ``eventType``: COMPLETE when ``success``, else FAIL
``error_type``, ``error_message``      ``errorMessage`` run facet of a FAIL event
``writer_version``                     ``processing_engine`` run facet (name sparkforge)
``tags``                               ``tags`` run facet (source SPARKFORGE)
step ``table_fqn``                     an output dataset (namespace: ``dataset_namespace``)
step ``rows_written``                  its ``outputStatistics.rowCount`` (when measured)
step ``output_rows``                   its ``dataQualityMetrics.rowCount`` (when measured)
step ``rule_results``                  its ``dataQualityAssertions``: one per measured rule
=====================================  ===================================================
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, cast

from openlineage.client.event_v2 import Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    data_quality_assertions_dataset,
    data_quality_metrics_dataset,
    error_message_run,
    job_type_job,
    output_statistics_output_dataset,
    processing_engine_run,
    tags_run,
)
from openlineage.client.uuid import generate_static_uuid

from sparkforge._version import __version__

if TYPE_CHECKING:
    from openlineage.client.facet_v2 import (
        DatasetFacet,
        JobFacet,
        OutputDatasetFacet,
        RunFacet,
    )

__all__ = [
    "RuleRecord",
    "RunRecord",
    "StepRecord",
    "run_events",
    "run_uuid",
]

#: The instant of last resort, for a run whose rows carry no instant at all.
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class RuleRecord:
    """One element of a step's ``rule_results``: a rule and the rows that failed it.

    Examples
    --------
    >>> RuleRecord("id_not_null", "id", 0).failed_rows
    0
    """

    rule: str | None
    column: str | None
    failed_rows: int | None


@dataclass(frozen=True, slots=True)
class StepRecord:
    """What the log says about one step of a run (one ``row_kind = "step"`` row).

    Examples
    --------
    >>> StepRecord(0, "orders", "success", "lake.orders", 90, 100, ()).table_fqn
    'lake.orders'
    """

    index: int | None
    name: str | None
    status: str | None
    table_fqn: str | None
    rows_written: int | None
    output_rows: int | None
    rules: tuple[RuleRecord, ...]
    error_type: str | None = None
    error_message: str | None = None


@dataclass(frozen=True, slots=True)
class RunRecord:
    """What the log says about one run: its run-level facts and its steps in order.

    ``error_type`` and ``error_message`` are those of the run's ``row_kind = "run"`` row (a
    failure outside any step), None when it has none. ``logged_at`` (the earliest of its
    rows) stands in for a missing ``started_at`` or ``ended_at`` (rows migrated from a
    legacy table may lack them).

    Examples
    --------
    >>> RunRecord("r1", "orders", "success", None, None, None, None, None, "0.1.0", (), ()).run_id
    'r1'
    """

    run_id: str
    pipeline_name: str
    run_status: str
    started_at: datetime | None
    ended_at: datetime | None
    logged_at: datetime | None
    error_type: str | None
    error_message: str | None
    writer_version: str | None
    tags: tuple[tuple[str, str], ...]
    steps: tuple[StepRecord, ...]


def run_uuid(run_id: str, pipeline_name: str, started_at: datetime) -> str:
    r"""Return the OpenLineage ``runId`` of a run: a UUID, the same in every process.

    A ``run_id`` that is a UUID is used as is (in its canonical lower-case form); any other is
    turned into the client's static UUID of the run's start instant and of
    ``pipeline_name + "\\0" + run_id``: the same run always gets the same id.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> run_uuid("0F7A3B52-1C5E-4B8A-9D4E-2F6B8C1A7E90", "orders", datetime.now(timezone.utc))
    '0f7a3b52-1c5e-4b8a-9d4e-2f6b8c1a7e90'
    >>> t = datetime(2026, 1, 2, tzinfo=timezone.utc)
    >>> run_uuid("nightly-7", "orders", t) == run_uuid("nightly-7", "orders", t)
    True
    """
    try:
        return str(uuid.UUID(run_id))
    except ValueError:
        data = f"{pipeline_name}\0{run_id}".encode()
        return str(generate_static_uuid(instant=started_at, data=data))


def run_events(
    record: RunRecord,
    *,
    namespace: str,
    dataset_namespace: str,
    producer: str,
) -> tuple[RunEvent, RunEvent]:
    """Return the START and the end event (COMPLETE or FAIL) of one run.

    Parameters
    ----------
    record
        The run, as the log says.
    namespace
        The job namespace; the job name is the pipeline name.
    dataset_namespace
        The namespace of the output datasets (the steps' ``table_fqn``).
    producer
        The URI stamped as ``producer`` on the events and ``_producer`` on every facet.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    >>> record = RunRecord("r1", "orders", "success", t, t, t, None, None, "0.1.0", (), ())
    >>> start, end = run_events(record, namespace="sparkforge", dataset_namespace="sparkforge",
    ...     producer="https://github.com/sparkforge/sparkforge/tree/0.1.0")
    >>> start.eventType.value, end.eventType.value, end.eventTime
    ('START', 'COMPLETE', '2026-01-02T03:04:05+00:00')
    """
    started = record.started_at or record.logged_at or record.ended_at or _EPOCH
    ended = record.ended_at or record.logged_at or started
    run_id = run_uuid(record.run_id, record.pipeline_name, started)
    job_facets: dict[str, JobFacet] = {
        "jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH",
            integration="SPARKFORGE",
            jobType="PIPELINE",
            producer=producer,
        )
    }
    start_facets = _run_facets(record, producer)
    end_facets = dict(start_facets)
    failed = record.run_status != "success"
    if failed:
        end_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=_error_text(record),
            programmingLanguage="python",
            producer=producer,
        )
    tables = [s for s in record.steps if s.table_fqn]
    start = RunEvent(
        eventType=RunState.START,
        eventTime=started.isoformat(),
        run=Run(runId=run_id, facets=start_facets),
        job=Job(namespace=namespace, name=record.pipeline_name, facets=job_facets),
        inputs=[],
        outputs=[OutputDataset(dataset_namespace, cast("str", s.table_fqn)) for s in tables],
        producer=producer,
    )
    end = RunEvent(
        eventType=RunState.FAIL if failed else RunState.COMPLETE,
        eventTime=ended.isoformat(),
        run=Run(runId=run_id, facets=end_facets),
        job=Job(namespace=namespace, name=record.pipeline_name, facets=dict(job_facets)),
        inputs=[],
        outputs=[_output(s, dataset_namespace, producer) for s in tables],
        producer=producer,
    )
    return start, end


def _run_facets(record: RunRecord, producer: str) -> dict[str, RunFacet]:
    facets: dict[str, RunFacet] = {}
    if record.writer_version:
        facets["processing_engine"] = processing_engine_run.ProcessingEngineRunFacet(
            version=record.writer_version,
            name="sparkforge",
            openlineageAdapterVersion=__version__,
            producer=producer,
        )
    if record.tags:
        facets["tags"] = tags_run.TagsRunFacet(
            tags=[
                tags_run.TagsRunFacetFields(key=key, value=value, source="SPARKFORGE")
                for key, value in record.tags
            ],
            producer=producer,
        )
    return facets


def _error_text(record: RunRecord) -> str:
    """Describe the failure: the run-level error, else the first failed step's, else a note."""
    if record.error_type or record.error_message:
        return _join(record.error_type, record.error_message)
    for step in record.steps:
        if step.status == "failed" and (step.error_type or step.error_message):
            return f"step {step.name}: {_join(step.error_type, step.error_message)}"
    return f"the run ended with status {record.run_status!r}; the log records no error message"


def _join(kind: str | None, message: str | None) -> str:
    return ": ".join(part for part in (kind, message) if part)


def _output(step: StepRecord, namespace: str, producer: str) -> OutputDataset:
    facets: dict[str, DatasetFacet] = {}
    assertions = [
        data_quality_assertions_dataset.Assertion(
            assertion=rule.rule, success=rule.failed_rows == 0, column=rule.column
        )
        for rule in step.rules
        if rule.rule is not None and rule.failed_rows is not None
    ]
    if assertions:
        # The client types this facet as an input-dataset facet; its JSON is a valid dataset
        # facet (the spec's docs show it under a dataset's "facets"), which is where it goes.
        facets["dataQualityAssertions"] = cast(
            "DatasetFacet",
            data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
                assertions=assertions, producer=producer
            ),
        )
    if step.output_rows is not None:
        facets["dataQualityMetrics"] = data_quality_metrics_dataset.DataQualityMetricsDatasetFacet(
            columnMetrics={}, rowCount=step.output_rows, producer=producer
        )
    output_facets: dict[str, OutputDatasetFacet] = {}
    if step.rows_written is not None:
        output_facets["outputStatistics"] = (
            output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                rowCount=step.rows_written, producer=producer
            )
        )
    return OutputDataset(
        namespace, cast("str", step.table_fqn), facets=facets, outputFacets=output_facets
    )
