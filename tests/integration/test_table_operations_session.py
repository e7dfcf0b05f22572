"""Sessions without Delta: refused up front, named as DELTA_NOT_CONFIGURED, nothing created.

A session without Delta cannot live beside the test session in one JVM, so each one runs in a
child process (``delta_session_child.py``) that prints the outcome of each call.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from sparkforge.errors import ERROR_TEMPLATES, TableOperationError
from sparkforge.table_operations.session import (
    DELTA_SETTINGS,
    check_delta_session,
    missing_delta_error,
)

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

CHILD = Path(__file__).with_name("delta_session_child.py")
MODES = ["plain", "jars"]
MODE_IDS = ["no_jars_no_settings", "jars_without_extension_and_catalog"]
#: The calls whose translation lives in this change's own modules (session, writes).
OWN_CALLS = [
    "check_delta_session",
    "append catalog",
    "append path",
    "overwrite path",
    "write_report catalog",
    "write_report path",
]
#: Calls of the creation module, which must translate the same way.
CREATION_CALLS = [
    "table_exists path",
    "create_table_if_not_exists catalog",
    "create_table_if_not_exists path",
]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    """Run the child once per mode; return {mode: {call: code, "left": {...}}}."""
    results: dict[str, dict[str, object]] = {}
    for mode in MODES:
        work = tmp_path_factory.mktemp(f"no_delta_{mode}")
        done = subprocess.run(
            [sys.executable, str(CHILD), str(work), mode],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            # The child imports the test factories: the repository root goes on its path.
            env={**os.environ, "PYTHONPATH": str(CHILD.parents[2])},
        )
        assert done.returncode == 0, done.stderr[-3000:]
        lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        found: dict[str, object] = {}
        for line in lines:
            if "left" in line:
                found["left"] = line["left"]
            else:
                found[line["call"]] = line["code"]
        results[mode] = found
    return results


@pytest.mark.spark
@pytest.mark.delta
@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
@pytest.mark.parametrize("call", OWN_CALLS, ids=[c.replace(" ", "_") for c in OWN_CALLS])
def test_check_delta_session_and_writes_refuse_a_session_without_delta(
    outcomes: dict[str, dict[str, object]], mode: str, call: str
) -> None:
    assert outcomes[mode][call] == "DELTA_NOT_CONFIGURED"


@pytest.mark.spark
@pytest.mark.delta
@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_check_delta_session_without_delta_creates_nothing(
    outcomes: dict[str, dict[str, object]], mode: str
) -> None:
    assert outcomes[mode]["left"] == {"schema": False, "directory": False}


@pytest.mark.spark
@pytest.mark.delta
@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES, ids=MODE_IDS)
def test_creation_refuses_a_session_without_delta(
    outcomes: dict[str, dict[str, object]], mode: str
) -> None:
    # Every creation call, the path check included (a Delta read of the path since the table
    # operations are SQL-only), says the session lacks Delta's extension and catalog.
    expected = dict.fromkeys(CREATION_CALLS, "DELTA_NOT_CONFIGURED")
    assert {call: outcomes[mode][call] for call in CREATION_CALLS} == expected


def test_check_delta_session_accepts_the_delta_session(spark: SparkSession) -> None:
    before = {db.name for db in spark.catalog.listDatabases()}
    check_delta_session(spark)
    assert {db.name for db in spark.catalog.listDatabases()} == before


# ----------------------------------------------------------------------------- without a JVM


class _Conf:
    def __init__(self, values: dict[str, str], *, unreadable: bool = False) -> None:
        self.values = values
        self.unreadable = unreadable

    def get(self, key: str, default: str | None = None) -> str | None:
        if self.unreadable:
            raise RuntimeError("[CONFIG_NOT_AVAILABLE] not shown here")
        return self.values.get(key, default)


class _Loaded:
    def __init__(self, error: Exception) -> None:
        self.error = error

    @property
    def schema(self) -> object:
        raise self.error


class _Reader:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def format(self, source: str) -> _Reader:
        assert source == "delta"
        return self

    def load(self) -> _Loaded:
        return _Loaded(self.error)


class _Session:
    """What check_delta_session reads of a session: its conf and the delta data source."""

    def __init__(self, conf: _Conf, probe_error: Exception) -> None:
        self.conf = conf
        self.read = _Reader(probe_error)


DELTA_PRESENT = RuntimeError("java.lang.IllegalArgumentException: 'path' is not specified")
DELTA_ABSENT = RuntimeError(
    "An error occurred while calling o35.load.\n: org.apache.spark.SparkClassNotFoundException: "
    "[DATA_SOURCE_NOT_FOUND] Failed to find the data source: delta. Make sure ..."
)
CONFIGURED = {
    "spark.sql.extensions": "com.example.Other, io.delta.sql.DeltaSparkSessionExtension",
    "spark.sql.catalog.spark_catalog": "org.apache.spark.sql.delta.catalog.DeltaCatalog",
}


@pytest.mark.parametrize(
    ("conf", "probe_error", "refused_because"),
    [
        (_Conf(CONFIGURED), DELTA_PRESENT, None),
        (_Conf(CONFIGURED), DELTA_ABSENT, "[DATA_SOURCE_NOT_FOUND]"),
        (_Conf({}), DELTA_PRESENT, "spark.sql.extensions is not set"),
        (
            _Conf({**CONFIGURED, "spark.sql.extensions": "com.example.Other"}),
            DELTA_PRESENT,
            "without io.delta.sql.DeltaSparkSessionExtension",
        ),
        (
            _Conf({"spark.sql.extensions": CONFIGURED["spark.sql.extensions"]}),
            DELTA_PRESENT,
            "spark.sql.catalog.spark_catalog is not set",
        ),
        # A catalog wrapping Delta's (Unity Catalog's, say) is the user's choice.
        (
            _Conf({**CONFIGURED, "spark.sql.catalog.spark_catalog": "io.unitycatalog.UC"}),
            DELTA_PRESENT,
            None,
        ),
        # Databricks: Delta built in, without the open-source settings.
        (
            _Conf({"spark.databricks.clusterUsageTags.sparkVersion": "16.4.x-scala2.13"}),
            DELTA_PRESENT,
            None,
        ),
        (_Conf({}, unreadable=True), DELTA_PRESENT, None),
    ],
    ids=[
        "configured",
        "no_data_source",
        "no_settings",
        "other_extension_only",
        "no_catalog",
        "wrapping_catalog",
        "databricks",
        "settings_unreadable",
    ],
)
def test_check_delta_session_decides_from_probe_and_settings(
    conf: _Conf, probe_error: Exception, refused_because: str | None
) -> None:
    session = _Session(conf, probe_error)
    if refused_because is None:
        check_delta_session(session)  # type: ignore[arg-type]
        return
    with pytest.raises(TableOperationError) as caught:
        check_delta_session(session)  # type: ignore[arg-type]
    assert caught.value.code == "DELTA_NOT_CONFIGURED"
    assert refused_because in caught.value.params["reason"]
    assert caught.value.params["settings"] == DELTA_SETTINGS
    assert "An error occurred while calling" not in str(caught.value)


def test_check_delta_session_takes_databricks_from_its_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "16.4")
    check_delta_session(_Session(_Conf({}), DELTA_PRESENT))  # type: ignore[arg-type]


def test_delta_settings_name_what_a_session_needs() -> None:
    for needed in (
        "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension",
        "spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog",
        "configure_spark_with_delta_pip",
    ):
        assert needed in DELTA_SETTINGS
    assert set(ERROR_TEMPLATES) >= {"DELTA_NOT_CONFIGURED"}


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (TypeError("'JavaPackage' object is not callable"), True),
        (DELTA_ABSENT, True),
        (
            RuntimeError(
                "[DELTA_CONFIGURE_SPARK_SESSION_WITH_EXTENSION_AND_CATALOG] This Delta operation "
                "requires the SparkSession to be configured with the"
            ),
            True,
        ),
        (
            RuntimeError(
                "[CANNOT_CREATE_DATA_SOURCE_TABLE.EXTERNAL_METADATA_UNSUPPORTED] Failed to create "
                "data source table `s`.`t`: provider 'delta' does not support external metadata"
            ),
            True,
        ),
        (RuntimeError("[DATA_SOURCE_NOT_FOUND] Failed to find the data source: avro."), False),
        (ValueError("'JavaPackage' object is not callable"), False),
        (TypeError("unsupported operand"), False),
        (RuntimeError("[DELTA_CONCURRENT_APPEND] another writer"), False),
    ],
    ids=[
        "java_package",
        "no_data_source",
        "no_extension",
        "no_catalog",
        "other_source",
        "not_a_type_error",
        "other_type_error",
        "conflict",
    ],
)
def test_missing_delta_error_recognises_each_form(exc: Exception, expected: bool) -> None:
    error = missing_delta_error(exc)
    assert (error is not None) is expected
    if error is not None:
        assert error.code == "DELTA_NOT_CONFIGURED"
        assert error.__cause__ is exc
        assert not error.params["reason"].startswith("An error occurred")


def test_missing_delta_error_looks_through_wrapping_errors() -> None:
    cause = TypeError("'JavaPackage' object is not callable")
    wrapper = TableOperationError(
        "TABLE_OPERATION_FAILED", {"operation": "x", "table": "t", "reason": "r"}
    )
    wrapper.__cause__ = cause
    error = missing_delta_error(wrapper)
    assert error is not None
    assert error.code == "DELTA_NOT_CONFIGURED"
    assert missing_delta_error(error) is error
