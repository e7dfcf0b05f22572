"""export() on real Spark: every format read back by another reader (pyarrow), modes, errors.

The session time zone is Asia/Kolkata (tests/conftest.py): the text formats must still say
the UTC instant.
"""

from __future__ import annotations

import json
import os
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq
import pytest
from pyspark.sql import functions as F

from sparkforge.errors import ExportError
from sparkforge.reporting.export import export
from sparkforge.writer.models import LOG_COLUMNS, LOG_SCHEMA, rows_from_report
from tests.factories import BASE_TIME, make_failed_before_steps, make_report
from tests.unit.test_reporting_openlineage import check_event

if TYPE_CHECKING:
    from datetime import datetime

    from pyspark.sql import DataFrame, SparkSession

    from sparkforge.writer.models import LogRow

#: A message CSV must quote: a comma, quotes and a line break.
HOSTILE = 'bad "value", here\nsecond line'


def build_rows() -> list[LogRow]:
    """Return the rows of four runs.

    Orders succeeded (its run id no UUID), orders failed in step 1, orders failed before any
    step, and billing a day later.
    """
    rows: list[LogRow] = []
    rows += rows_from_report(make_report(3, run_id="nightly-1"), logged_at=BASE_TIME)
    failed = rows_from_report(make_report(3, failed_step=1, start=BASE_TIME + timedelta(hours=1)))
    failed[1]["error_message"] = HOSTILE
    rows += failed
    rows += rows_from_report(make_failed_before_steps())
    rows += rows_from_report(
        make_report(2, pipeline="billing", start=BASE_TIME + timedelta(days=1))
    )
    return rows


@pytest.fixture(scope="module")
def rows() -> list[LogRow]:
    return build_rows()


@pytest.fixture(scope="module")
def log(spark: SparkSession, rows: list[LogRow]) -> DataFrame:
    return spark.createDataFrame(rows, LOG_SCHEMA)


def _utc_text(value: datetime | None) -> str:
    assert value is not None
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _local(uri: str) -> Path:
    return Path(urlparse(uri).path)


def _key(row: dict[str, Any]) -> tuple[str, int]:
    return (row["run_id"], -1 if row["step_index"] is None else row["step_index"])


def test_parquet_read_back_by_pyarrow(log: DataFrame, rows: list[LogRow], tmp_path: Path) -> None:
    target = str(tmp_path / "parquet")
    result = export(log, target, format="parquet")
    assert (result.format, result.path, result.rows, result.runs) == ("parquet", target, 9, 4)
    assert result.files
    assert all(_local(f).is_file() for f in result.files)
    assert all(f.endswith(".parquet") for f in result.files)
    table = pq.read_table([str(_local(f)) for f in result.files])
    assert table.num_rows == len(rows) == 9
    assert table.column_names == list(LOG_COLUMNS)
    got = sorted(table.to_pylist(), key=_key)
    want = sorted(rows, key=lambda r: _key(dict(r)))
    for g, w in zip(got, want, strict=True):
        assert (g["run_id"], g["step"], g["rows_written"]) == (
            w["run_id"],
            w["step"],
            w["rows_written"],
        )
        # INT96 / int64 timestamps both read as the UTC instant, naive: compare in UTC.
        started = w["run_started_at"]
        assert started is not None
        assert g["run_started_at"] == started.replace(tzinfo=None)
        assert g["rule_results"] == w["rule_results"]


def test_csv_read_back_by_pyarrow_says_utc_and_json_text(
    log: DataFrame, rows: list[LogRow], tmp_path: Path
) -> None:
    target = str(tmp_path / "csv")
    result = export(log, target, format="csv")
    assert (result.rows, result.runs) == (9, 4)
    strings = {name: pa.string() for name in LOG_COLUMNS}
    tables = [
        pacsv.read_csv(
            _local(f),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=strings, strings_can_be_null=True, quoted_strings_can_be_null=False
            ),
        )
        for f in result.files
    ]
    table = pa.concat_tables(t for t in tables if t.num_rows)
    assert table.column_names == list(LOG_COLUMNS)
    got = sorted(table.to_pylist(), key=lambda r: (r["run_id"], int(r["step_index"] or -1)))
    want = sorted(rows, key=lambda r: _key(dict(r)))
    assert len(got) == len(want) == 9
    for g, w in zip(got, want, strict=True):
        # 23:30 UTC is 05:00 the next day in Kolkata: the text must say the UTC instant.
        assert g["run_started_at"] == _utc_text(w["run_started_at"])
        assert g["logged_at"] == _utc_text(w["logged_at"])
        assert g["run_date"] == str(w["run_date"])
        assert json.loads(g["rule_results"]) == w["rule_results"]
        assert json.loads(g["tags"]) == w["tags"]
        assert g["error_message"] == w["error_message"]
        assert g["rows_written"] == (None if w["rows_written"] is None else str(w["rows_written"]))
    nightly = [g for g in got if g["run_id"] == "nightly-1"]
    assert {g["run_started_at"] for g in nightly} == {"2026-03-01T23:30:00.000000Z"}
    assert [g["start_time"] for g in nightly] == [
        "2026-03-01T23:30:00.000000Z",
        "2026-03-01T23:30:01.000000Z",
        "2026-03-01T23:30:02.000000Z",
    ]
    assert HOSTILE in {g["error_message"] for g in got}


def test_json_lines_read_back_by_pyarrow_with_utc_instants(
    log: DataFrame, rows: list[LogRow], tmp_path: Path
) -> None:
    target = str(tmp_path / "json")
    result = export(log, target, format="json")
    assert (result.rows, result.runs) == (9, 4)
    texts = pa.schema([(c, pa.string()) for c in ("run_started_at", "logged_at", "start_time")])
    options = pajson.ParseOptions(explicit_schema=texts, unexpected_field_behavior="infer")
    tables = [pajson.read_json(_local(f), parse_options=options) for f in result.files]
    got = sorted(
        (r for t in tables for r in t.to_pylist()),
        key=lambda r: (r["run_id"], r["step_index"] or -1),
    )
    want = sorted(rows, key=lambda r: _key(dict(r)))
    assert len(got) == 9
    for g, w in zip(got, want, strict=True):
        assert g["run_started_at"] == _utc_text(w["run_started_at"])
        assert g["start_time"] == (None if w["start_time"] is None else _utc_text(w["start_time"]))
        assert g["rule_results"] == w["rule_results"]
        # pyarrow reads the maps as one struct of every key seen: absent keys are None.
        assert {k: v for k, v in g["tags"].items() if v is not None} == w["tags"]
        # Null fields are written (ignoreNullFields=false): every row has every column.
        assert set(g) == set(LOG_COLUMNS)


def test_filters_select_runs_and_mode_error_keeps_the_target(
    log: DataFrame, tmp_path: Path
) -> None:
    target = str(tmp_path / "billing")
    result = export(log, target, format="parquet", pipeline_name="billing")
    assert (result.runs, result.rows) == (1, 2)
    before = sorted(p.name for p in Path(target).iterdir())
    with pytest.raises(ExportError) as caught:
        export(log, target, format="parquet")
    assert caught.value.code == "EXPORT_TARGET_EXISTS"
    assert sorted(p.name for p in Path(target).iterdir()) == before
    window = export(
        log,
        target,
        format="parquet",
        since=BASE_TIME + timedelta(minutes=30),
        until=BASE_TIME + timedelta(days=2),
        mode="overwrite",
    )
    assert (window.runs, window.rows) == (2, 5)
    assert pq.read_table([str(_local(f)) for f in window.files]).num_rows == 5
    after = {p.name for p in Path(target).iterdir() if p.name.startswith("part-")}
    assert after
    assert not after & set(before)


def test_spark_failure_is_export_failed(log: DataFrame, tmp_path: Path) -> None:
    broken = log.withColumn("run_status", F.raise_error(F.lit("boom")).cast("string"))
    with pytest.raises(ExportError) as caught:
        export(broken, str(tmp_path / "broken"), format="json")
    assert caught.value.code == "EXPORT_FAILED"
    assert "boom" in caught.value.params["reason"]


def test_openlineage_format_writes_one_file_of_valid_events(log: DataFrame, tmp_path: Path) -> None:
    target = tmp_path / "events" / "log.jsonl"
    result = export(log, str(target), format="openlineage", namespace="ops")
    assert (result.runs, result.rows, result.files) == (4, 8, (target.as_uri(),))
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 8
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    docs = [json.loads(line) for line in lines]
    for doc in docs:
        check_event(doc)
        assert doc["job"]["namespace"] == "ops"
    kinds: dict[str, list[str]] = {}
    for doc in docs:
        kinds.setdefault(doc["run"]["runId"], []).append(doc["eventType"])
    assert sorted(map(tuple, kinds.values())) == [
        ("START", "COMPLETE"),
        ("START", "COMPLETE"),
        ("START", "FAIL"),
        ("START", "FAIL"),
    ]
    with pytest.raises(ExportError) as caught:
        export(log, str(target), format="openlineage")
    assert caught.value.code == "EXPORT_TARGET_EXISTS"
    assert target.read_text(encoding="utf-8").splitlines() == lines
    again = export(
        log, str(target), format="openlineage", pipeline_name="billing", mode="overwrite"
    )
    assert (again.runs, again.rows) == (1, 2)
    assert len(target.read_text(encoding="utf-8").splitlines()) == 2
    assert [p.name for p in target.parent.iterdir()] == ["log.jsonl"]
