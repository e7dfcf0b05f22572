"""OpenLineage events built from plain run records (no JVM), and the argument checks.

:func:`check_event` is the spec check every emitted event passes; the integration tests use
it too (on events read back from files and received over HTTP).
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar
from urllib.parse import urlparse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openlineage.client.serde import Serde

from sparkforge.errors import ExportError, ValidationError
from sparkforge.reporting._openlineage_events import (
    RuleRecord,
    RunRecord,
    StepRecord,
    run_events,
    run_uuid,
)
from sparkforge.reporting.export import export
from sparkforge.reporting.openlineage import emit_openlineage, openlineage_events

T0 = datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)
PRODUCER = "https://github.com/sparkforge/sparkforge/tree/9.9.9"
EVENT_TYPES = {"START", "RUNNING", "COMPLETE", "ABORT", "FAIL", "OTHER"}


def _is_uri(value: object) -> bool:
    parts = urlparse(value) if isinstance(value, str) else None
    return parts is not None and bool(parts.scheme) and bool(parts.netloc)


def _check_facets(facets: object, where: str) -> dict[str, Any]:
    assert isinstance(facets, dict), where
    for name, facet in facets.items():
        assert _is_uri(facet.get("_producer")), f"{where}.{name}._producer"
        assert _is_uri(facet.get("_schemaURL")), f"{where}.{name}._schemaURL"
    return facets


def check_event(doc: dict[str, Any]) -> None:
    """Assert that one serialized RunEvent has everything the spec requires of it."""
    moment = datetime.fromisoformat(doc["eventTime"])
    assert "T" in doc["eventTime"]
    assert moment.utcoffset() is not None
    assert _is_uri(doc["producer"])
    assert _is_uri(doc["schemaURL"])
    assert doc["eventType"] in EVENT_TYPES
    assert str(uuid.UUID(doc["run"]["runId"])) == doc["run"]["runId"]
    assert isinstance(doc["job"]["namespace"], str)
    assert doc["job"]["namespace"]
    assert isinstance(doc["job"]["name"], str)
    assert doc["job"]["name"]
    run_facets = _check_facets(doc["run"].get("facets", {}), "run.facets")
    _check_facets(doc["job"].get("facets", {}), "job.facets")
    if "errorMessage" in run_facets:
        error = run_facets["errorMessage"]
        assert isinstance(error["message"], str)
        assert error["message"]
        assert error["programmingLanguage"] == "python"
    for i, dataset in enumerate(doc.get("outputs", [])):
        assert isinstance(dataset["namespace"], str)
        assert dataset["namespace"]
        assert isinstance(dataset["name"], str)
        assert dataset["name"]
        facets = _check_facets(dataset.get("facets", {}), f"outputs[{i}].facets")
        outputs = _check_facets(dataset.get("outputFacets", {}), f"outputs[{i}].outputFacets")
        if "outputStatistics" in outputs:
            assert isinstance(outputs["outputStatistics"]["rowCount"], int)
        if "dataQualityMetrics" in facets:
            assert isinstance(facets["dataQualityMetrics"]["rowCount"], int)
        if "dataQualityAssertions" in facets:
            assertions = facets["dataQualityAssertions"]["assertions"]
            assert isinstance(assertions, list)
            assert assertions
            for item in assertions:
                assert {"assertion", "success"} <= set(item)
                assert isinstance(item["assertion"], str)
                assert isinstance(item["success"], bool)
                assert isinstance(item.get("column", ""), str)


def _docs(record: RunRecord, **kwargs: str) -> list[dict[str, Any]]:
    options = {"namespace": "ops", "dataset_namespace": "lake", "producer": PRODUCER}
    options.update(kwargs)
    events = run_events(record, **options)
    docs = [json.loads(Serde.to_json(event)) for event in events]
    for doc in docs:
        check_event(doc)
    return docs


def _step(index: int, **overrides: Any) -> StepRecord:
    values: dict[str, Any] = {
        "index": index,
        "name": f"step_{index}",
        "status": "success",
        "table_fqn": f"lake.step_{index}",
        "rows_written": 90,
        "output_rows": 100,
        "rules": (RuleRecord("amount_positive", "amount", 10), RuleRecord("id_ok", "id", 0)),
    }
    values.update(overrides)
    return StepRecord(**values)


def _run(steps: tuple[StepRecord, ...] = (), **overrides: Any) -> RunRecord:
    values: dict[str, Any] = {
        "run_id": "nightly-7",
        "pipeline_name": "orders",
        "run_status": "success",
        "started_at": T0,
        "ended_at": T0 + timedelta(seconds=4, microseconds=250),
        "logged_at": T0 + timedelta(seconds=5),
        "error_type": None,
        "error_message": None,
        "writer_version": "0.1.0",
        "tags": (("env", "test"), ("user", "tester")),
        "steps": steps,
    }
    values.update(overrides)
    return RunRecord(**values)


def test_successful_run_gives_start_and_complete_with_every_measured_fact() -> None:
    start, end = _docs(_run((_step(0), _step(1, rows_written=None, output_rows=None))))
    assert (start["eventType"], end["eventType"]) == ("START", "COMPLETE")
    assert start["eventTime"] == "2026-03-01T23:30:00+00:00"
    assert end["eventTime"] == "2026-03-01T23:30:04.000250+00:00"
    assert start["run"]["runId"] == end["run"]["runId"] == run_uuid("nightly-7", "orders", T0)
    assert start["job"]["namespace"] == end["job"]["namespace"] == "ops"
    assert start["job"]["name"] == "orders"
    assert start["producer"] == PRODUCER
    assert start["schemaURL"].startswith("https://openlineage.io/spec/")
    assert end["job"]["facets"]["jobType"]["processingType"] == "BATCH"
    engine = end["run"]["facets"]["processing_engine"]
    assert (engine["name"], engine["version"]) == ("sparkforge", "0.1.0")
    assert end["run"]["facets"]["tags"]["tags"] == [
        {"key": "env", "value": "test", "source": "SPARKFORGE"},
        {"key": "user", "value": "tester", "source": "SPARKFORGE"},
    ]
    assert "errorMessage" not in end["run"]["facets"]
    assert [(d["namespace"], d["name"]) for d in start["outputs"]] == [
        ("lake", "lake.step_0"),
        ("lake", "lake.step_1"),
    ]
    first, second = end["outputs"]
    assert first["outputFacets"]["outputStatistics"]["rowCount"] == 90
    assert first["facets"]["dataQualityMetrics"]["rowCount"] == 100
    assertions = first["facets"]["dataQualityAssertions"]["assertions"]
    assert [(a["assertion"], a["success"], a["column"]) for a in assertions] == [
        ("amount_positive", False, "amount"),
        ("id_ok", True, "id"),
    ]
    # Not measured (NULL in the log): no statistics and no metrics are invented.
    assert "outputStatistics" not in second.get("outputFacets", {})
    assert "dataQualityMetrics" not in second.get("facets", {})
    for doc in (start, end):
        for facet in doc["run"]["facets"].values():
            assert facet["_producer"] == PRODUCER


def test_failed_run_gives_fail_with_its_run_level_error() -> None:
    record = _run(run_status="failed", error_type="PipelineError", error_message="source gone")
    start, end = _docs(record)
    assert (start["eventType"], end["eventType"]) == ("START", "FAIL")
    error = end["run"]["facets"]["errorMessage"]
    assert error["message"] == "PipelineError: source gone"
    assert error["programmingLanguage"] == "python"
    assert "errorMessage" not in start["run"]["facets"]
    assert start["outputs"] == []
    assert end["outputs"] == []


def test_failed_step_error_is_the_message_when_the_run_has_none() -> None:
    failed = _step(
        1,
        status="failed",
        rows_written=None,
        output_rows=None,
        rules=(),
        error_type="ValueError",
        error_message="boom",
    )
    skipped = _step(
        2,
        status="skipped",
        table_fqn=None,
        rows_written=None,
        output_rows=None,
        rules=(RuleRecord("r", "c", None),),
    )
    _, end = _docs(_run((_step(0), failed, skipped), run_status="failed"))
    assert end["run"]["facets"]["errorMessage"]["message"] == "step step_1: ValueError: boom"
    # The skipped step wrote no table: it is no output.
    assert [d["name"] for d in end["outputs"]] == ["lake.step_0", "lake.step_1"]
    assert end["outputs"][1].get("facets", {}) == {}


def test_failed_run_without_any_recorded_error_says_so() -> None:
    _, end = _docs(_run(run_status="failed"))
    assert "no error message" in end["run"]["facets"]["errorMessage"]["message"]


def test_missing_instants_fall_back_to_logged_at() -> None:
    start, end = _docs(_run(started_at=None, ended_at=None))
    assert start["eventTime"] == end["eventTime"] == "2026-03-01T23:30:05+00:00"


def test_uuid_run_id_is_kept_in_canonical_form() -> None:
    given_id = "0F7A3B52-1C5E-4B8A-9D4E-2F6B8C1A7E90"
    start, _ = _docs(_run(run_id=given_id))
    assert start["run"]["runId"] == given_id.lower()


def test_static_run_uuid_is_the_same_in_another_process() -> None:
    code = (
        "from datetime import datetime, timezone\n"
        "from sparkforge.reporting._openlineage_events import run_uuid\n"
        "print(run_uuid('nightly-7', 'orders', datetime(2026, 3, 1, 23, 30, tzinfo=timezone.utc)))"
    )
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert other.stdout.strip() == run_uuid("nightly-7", "orders", T0)


@settings(max_examples=40, deadline=None)
@given(
    run_id=st.text(min_size=1, max_size=20),
    other=st.text(min_size=1, max_size=20),
    offset=st.integers(min_value=0, max_value=10**12),
)
def test_static_run_uuid_is_deterministic_and_tells_runs_apart(
    run_id: str, other: str, offset: int
) -> None:
    started = T0 + timedelta(microseconds=offset)
    value = run_uuid(run_id, "orders", started)
    assert value == run_uuid(run_id, "orders", started)
    assert str(uuid.UUID(value)) == value
    if other != run_id:
        try:
            uuid.UUID(run_id)
            uuid.UUID(other)
        except ValueError:
            assert run_uuid(other, "orders", started) != value


_names = st.text(st.characters(codec="utf-8"), min_size=1, max_size=8)
_counts = st.none() | st.integers(min_value=0, max_value=2**40)
_rules = st.tuples(st.none() | _names, st.none() | _names, _counts).map(lambda t: RuleRecord(*t))
_steps = st.builds(
    StepRecord,
    index=st.none() | st.integers(0, 50),
    name=st.none() | _names,
    status=st.sampled_from(["success", "failed", "skipped", None]),
    table_fqn=st.none() | _names,
    rows_written=_counts,
    output_rows=_counts,
    rules=st.lists(_rules, max_size=3).map(tuple),
    error_type=st.none() | _names,
    error_message=st.none() | _names,
)


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(_steps, max_size=4).map(tuple),
    status=st.sampled_from(["success", "failed"]),
    tags=st.lists(st.tuples(_names, _names), max_size=3).map(tuple),
    error=st.none() | _names,
    duration=st.integers(min_value=0, max_value=10**9),
)
def test_any_run_gives_two_valid_events(
    steps: tuple[StepRecord, ...],
    status: str,
    tags: tuple[tuple[str, str], ...],
    error: str | None,
    duration: int,
) -> None:
    record = _run(
        steps,
        run_status=status,
        tags=tags,
        error_message=error,
        ended_at=T0 + timedelta(microseconds=duration),
    )
    _start, end = _docs(record)
    assert end["eventType"] == ("COMPLETE" if status == "success" else "FAIL")
    assert ("errorMessage" in end["run"]["facets"]) is (status == "failed")
    written = [s for s in steps if s.table_fqn]
    assert [d["name"] for d in end["outputs"]] == [s.table_fqn for s in written]
    for step, dataset in zip(written, end["outputs"], strict=True):
        stats = dataset.get("outputFacets", {}).get("outputStatistics")
        assert (stats or {}).get("rowCount") == step.rows_written
        measured = [r for r in step.rules if r.rule is not None and r.failed_rows is not None]
        assertions = dataset.get("facets", {}).get("dataQualityAssertions", {"assertions": []})
        assert [a["success"] for a in assertions["assertions"]] == [
            r.failed_rows == 0 for r in measured
        ]


class _NotALog:
    columns: ClassVar[list[str]] = ["run_id"]


def test_arguments_are_checked_all_at_once_before_anything_else() -> None:
    naive = datetime(2026, 1, 1)
    with pytest.raises(ValidationError) as caught:
        openlineage_events(
            _NotALog(),  # type: ignore[arg-type]
            namespace="",
            producer="not a uri",
            since=naive,
            pipeline_name=3,  # type: ignore[arg-type]
        )
    assert caught.value.code == "ANALYSIS_ARGUMENT_INVALID"
    assert {p.path for p in caught.value.problems} == {
        "namespace",
        "producer",
        "since",
        "pipeline_name",
    }
    with pytest.raises(ValidationError) as caught:
        emit_openlineage(_NotALog(), client=object(), since=T0, until=T0)  # type: ignore[arg-type]
    assert {p.path for p in caught.value.problems} == {"client", "until"}


def test_export_arguments_are_checked_all_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        export(
            _NotALog(),  # type: ignore[arg-type]
            "",
            format="xlsx",
            mode="append",
            until=datetime(2026, 1, 1),
        )
    assert caught.value.code == "ANALYSIS_ARGUMENT_INVALID"
    assert {p.path for p in caught.value.problems} == {"format", "mode", "path", "until"}
    with pytest.raises(ValidationError) as caught:
        export(_NotALog(), "s3://b/x.jsonl", format="openlineage", namespace=" ")  # type: ignore[arg-type]
    assert {p.path for p in caught.value.problems} == {"path", "namespace"}
    with pytest.raises(ValidationError) as caught:
        export(_NotALog(), "/tmp/x", format="csv")  # type: ignore[arg-type]
    assert caught.value.code == "ANALYSIS_LOG_INVALID"


def test_missing_openlineage_package_is_told_with_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "openlineage.client.event_v2", None)
    with pytest.raises(ExportError) as caught:
        openlineage_events(_NotALog())  # type: ignore[arg-type]
    assert caught.value.code == "OPTIONAL_DEPENDENCY_MISSING"
    assert "pip install 'sparkforge[openlineage]'" in str(caught.value)


def test_reporting_modules_import_without_openlineage() -> None:
    code = (
        "import sys\n"
        "sys.modules['openlineage'] = None\n"
        "import sparkforge.reporting, sparkforge.reporting.export, "
        "sparkforge.reporting.openlineage\n"
        "print('ok')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.strip() == "ok"
