"""The command line's formatting and shared options, without a JVM."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from io import StringIO

import click
import pytest
from rich.console import Console

from sparkforge.cli._params import DURATION, INSTANT, KEY_VALUE
from sparkforge.cli._render import cell, data_of, emit, fields_table, records_table
from sparkforge.cli._session import SessionOptions, local_conf
from sparkforge.cli._target import LogTarget
from sparkforge.errors import SparkForgeError
from sparkforge.table_operations import PruneResult


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "-"),
        (True, "yes"),
        (12345, "12,345"),
        (0.5, "0.500"),
        (12345.678, "12,345.7"),
        (
            datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2))),
            "2026-01-02 01:04:05Z",
        ),
        ("2026-01-02T03:04:05+02:00", "2026-01-02 01:04:05Z"),
        ("plain text", "plain text"),
        ((), "-"),
        ({"a": 1}, "a=1"),
    ],
    ids=[
        "none",
        "bool",
        "int",
        "float",
        "big-float",
        "instant",
        "iso-text",
        "text",
        "empty",
        "mapping",
    ],
)
def test_cell_formats_values(value: object, expected: str) -> None:
    assert cell(value) == expected


def _render(renderable: object) -> str:
    buffer = StringIO()
    Console(file=buffer, width=200, no_color=True).print(renderable)
    return buffer.getvalue()


def test_records_table_has_a_row_per_record_and_says_when_empty() -> None:
    records: list[dict[str, object]] = [{"a": 1, "b": "x"}, {"a": 2, "b": None}]
    text = _render(records_table("T", records, [("a", "A"), ("b", "B")]))
    assert "A" in text
    assert "x" in text
    assert "-" in text
    assert text.count("\n") >= 6
    assert records_table("T", [], [("a", "A")], empty="none here") == "T: none here"


def test_fields_table_and_data_of_a_result() -> None:
    result = PruneResult(
        cutoff=datetime(2026, 1, 1, tzinfo=timezone.utc), runs=2, rows=7, version=4
    )
    data = data_of(result)
    assert data == {"cutoff": "2026-01-01T00:00:00+00:00", "runs": 2, "rows": 7, "version": 4}
    text = _render(fields_table("Prune", data))
    assert "cutoff" in text
    assert "2026-01-01 00:00:00Z" in text


def test_emit_json_is_one_document(capsys: pytest.CaptureFixture[str]) -> None:
    emit("json", {"a": [1, 2]}, lambda console: console.print("never"))
    out = capsys.readouterr().out
    assert json.loads(out) == {"a": [1, 2]}
    emit("table", {"a": 1}, lambda console: console.print("drawn"))
    assert capsys.readouterr().out == "drawn\n"


def test_param_types_convert_and_fail_with_the_reason() -> None:
    assert DURATION.convert("2w", None, None) == timedelta(weeks=2)
    assert INSTANT.convert("2026-03-12Z", None, None) == datetime(2026, 3, 12, tzinfo=timezone.utc)
    week_ago = INSTANT.convert("7d", None, None)
    assert abs(datetime.now(timezone.utc) - timedelta(days=7) - week_ago) < timedelta(minutes=1)
    assert KEY_VALUE.convert("spark.jars=a.jar,b.jar", None, None) == (
        "spark.jars",
        "a.jar,b.jar",
    )
    assert KEY_VALUE.convert("k=", None, None) == ("k", "")
    for param_type, text in ((DURATION, "90"), (INSTANT, "soon"), (KEY_VALUE, "=v")):
        with pytest.raises(click.BadParameter):
            param_type.convert(text, None, None)


def test_log_target_config_by_name_and_by_path() -> None:
    named = LogTarget(table="cat.ops.runs").config()
    assert (named.table_catalog, named.table_schema, named.table_name) == ("cat", "ops", "runs")
    assert LogTarget(path="/data/log").config().table_path == "/data/log"
    with pytest.raises(SparkForgeError) as caught:
        LogTarget(table="just_a_name").config()
    assert caught.value.code == "IDENTIFIER_INVALID"


def test_local_conf_layout_jars_and_user_settings(tmp_path: object) -> None:
    plain = local_conf(SessionOptions(), environ={})
    assert plain["spark.log.level"] == "ERROR"
    assert "spark.jars" not in plain
    assert "spark.sql.warehouse.dir" not in plain
    warehouse = local_conf(SessionOptions(warehouse="demo-warehouse"), environ={})
    assert warehouse["spark.sql.warehouse.dir"].endswith("demo-warehouse/warehouse")
    assert "demo-warehouse/metastore_db" in warehouse["spark.hadoop.javax.jdo.option.ConnectionURL"]
    assert warehouse["spark.sql.catalogImplementation"] == "hive"
    given = local_conf(
        SessionOptions(conf={"spark.jars": "/x/delta.jar", "spark.log.level": "WARN"}),
        environ={"SPARKFORGE_DELTA_JARS": "/nowhere"},
    )
    assert given["spark.jars"] == "/x/delta.jar"
    assert given["spark.log.level"] == "WARN"


def test_local_conf_takes_jars_from_the_environment(tmp_path: object) -> None:
    from pathlib import Path

    directory = Path(str(tmp_path))
    (directory / "delta-spark_2.13-4.0.1.jar").write_bytes(b"")
    (directory / "delta-storage-4.0.1.jar").write_bytes(b"")
    conf = local_conf(SessionOptions(), environ={"SPARKFORGE_DELTA_JARS": str(directory)})
    assert conf["spark.jars"].split(",") == [
        str(directory / "delta-spark_2.13-4.0.1.jar"),
        str(directory / "delta-storage-4.0.1.jar"),
    ]
    (directory / "delta-storage-4.0.1.jar").unlink()
    partial = local_conf(SessionOptions(), environ={"SPARKFORGE_DELTA_JARS": str(directory)})
    assert "spark.jars" not in partial


def test_working_spins_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from contextlib import nullcontext

    from rich.status import Status

    from sparkforge.cli._render import working

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TTY_COMPATIBLE", "0")
    assert isinstance(working("Optimizing"), nullcontext)  # pytest's stderr is no terminal
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("TTY_COMPATIBLE")
    spinner = working("Optimizing")
    assert isinstance(spinner, Status)
