"""OpenLineage events of a real log: built in Spark, sent through the client's own transports."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.serde import Serde
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import HttpConfig, HttpTransport
from pyspark.sql import functions as F

from sparkforge.errors import ExportError
from sparkforge.reporting._openlineage_events import run_uuid
from sparkforge.reporting.openlineage import emit_openlineage, openlineage_events
from sparkforge.writer.models import LOG_SCHEMA
from tests.factories import BASE_TIME
from tests.integration.test_reporting_export import HOSTILE, build_rows
from tests.unit.test_reporting_openlineage import check_event

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.writer.models import LogRow


@pytest.fixture(scope="module")
def rows() -> list[LogRow]:
    return build_rows()


@pytest.fixture(scope="module")
def log(spark: SparkSession, rows: list[LogRow]) -> DataFrame:
    return spark.createDataFrame(rows, LOG_SCHEMA)


class _Endpoint:
    """A lineage endpoint in a thread: records every body, answers with ``status``."""

    def __init__(self, status: int) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.paths: list[str] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                endpoint.bodies.append(json.loads(self.rfile.read(length)))
                endpoint.paths.append(self.path)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def client(self) -> OpenLineageClient:
        config = HttpConfig(url=self.url, retry={"total": 0}, timeout=10.0)
        return OpenLineageClient(transport=HttpTransport(config))


@pytest.fixture
def endpoint(request: pytest.FixtureRequest) -> Iterator[_Endpoint]:
    server = _Endpoint(getattr(request, "param", 200))
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def test_events_of_the_log_say_what_the_log_says(log: DataFrame, rows: list[LogRow]) -> None:
    events = list(openlineage_events(log, namespace="ops", dataset_namespace="lake"))
    docs = [json.loads(Serde.to_json(e)) for e in events]
    assert len(docs) == 8
    for doc in docs:
        check_event(doc)
    by_run: dict[str, list[dict[str, Any]]] = {}
    for doc in docs:
        by_run.setdefault(doc["run"]["runId"], []).append(doc)
    assert all(next(d["eventType"] for d in pair) == "START" for pair in by_run.values())
    # A run id that is no UUID gets the client's static UUID of its start and names.
    nightly = by_run[run_uuid("nightly-1", "orders", BASE_TIME)]
    assert [d["eventType"] for d in nightly] == ["START", "COMPLETE"]
    assert nightly[0]["eventTime"] == "2026-03-01T23:30:00+00:00"
    assert nightly[1]["eventTime"] == "2026-03-01T23:30:04+00:00"
    assert nightly[1]["job"] == {
        "namespace": "ops",
        "name": "orders",
        "facets": nightly[1]["job"]["facets"],
    }
    outputs = nightly[1]["outputs"]
    written = {
        r["table_fqn"]: r["rows_written"]
        for r in rows
        if r["run_id"] == "nightly-1" and r["table_fqn"]
    }
    assert {
        o["name"]: o["outputFacets"]["outputStatistics"]["rowCount"] for o in outputs
    } == written
    assert {o["namespace"] for o in outputs} == {"lake"}
    # The failed step's message, hostile characters and all, is the run's error.
    failed_run = next(r["run_id"] for r in rows if r["error_message"] == HOSTILE)
    fail = by_run[failed_run][1]
    assert fail["eventType"] == "FAIL"
    assert fail["run"]["facets"]["errorMessage"]["message"] == f"step step_1: ValueError: {HOSTILE}"
    before_steps = next(r["run_id"] for r in rows if r["row_kind"] == "run")
    message = by_run[before_steps][1]["run"]["facets"]["errorMessage"]["message"]
    assert message == "PipelineError: bronze source orders is missing"
    billing = [d for d in docs if d["job"]["name"] == "billing"]
    assert [d["eventType"] for d in billing] == ["START", "COMPLETE"]


def test_window_filters_apply(log: DataFrame) -> None:
    events = list(openlineage_events(log, pipeline_name=["billing"]))
    assert [(e.job.name, e.eventType.value if e.eventType else None) for e in events] == [
        ("billing", "START"),
        ("billing", "COMPLETE"),
    ]


def test_emit_through_the_file_transport(log: DataFrame, tmp_path: Path) -> None:
    target = tmp_path / "lineage.jsonl"
    client = OpenLineageClient(transport=FileTransport(FileConfig(str(target), append=True)))
    result = emit_openlineage(log, client=client, since=BASE_TIME)
    assert (result.events, result.runs) == (8, 4)
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 8
    for line in lines:
        check_event(json.loads(line))


def test_emit_through_the_http_transport(log: DataFrame, endpoint: _Endpoint) -> None:
    result = emit_openlineage(log, client=endpoint.client(), namespace="ops")
    assert (result.events, result.runs) == (8, 4)
    assert len(endpoint.bodies) == 8
    assert set(endpoint.paths) == {"/api/v1/lineage"}
    for body in endpoint.bodies:
        check_event(body)
        assert body["job"]["namespace"] == "ops"


@pytest.mark.parametrize("endpoint", [500], indirect=True)
def test_emit_failure_says_how_many_were_sent(log: DataFrame, endpoint: _Endpoint) -> None:
    with pytest.raises(ExportError) as caught:
        emit_openlineage(log, client=endpoint.client())
    assert caught.value.code == "OPENLINEAGE_EMIT_FAILED"
    assert (caught.value.params["sent"], caught.value.params["events"]) == ("0", "8")
    assert len(endpoint.bodies) == 1


def test_spark_failure_while_iterating_is_export_failed(log: DataFrame) -> None:
    broken = log.withColumn("run_status", F.raise_error(F.lit("boom")).cast("string"))
    events = openlineage_events(broken)
    with pytest.raises(ExportError) as caught:
        next(events)
    assert caught.value.code == "EXPORT_FAILED"
