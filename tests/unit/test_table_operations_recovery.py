"""The abandoned-log recovery, on real directories and without a JVM."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sparkforge.errors import TableOperationError
from sparkforge.table_operations import TableRef
from sparkforge.table_operations.recovery import local_directory, remove_abandoned_log

_NOT_FOUND = RuntimeError("[DELTA_TABLE_NOT_FOUND] Delta table `x` doesn't exist.")
_PACKAGE = Path(__file__).parents[2] / "sparkforge"


def _log(root: Path, *entries: str) -> Path:
    log_dir = root / "_delta_log"
    log_dir.mkdir(parents=True)
    for name in entries:
        target = log_dir / name
        if name.endswith("/"):
            target.mkdir(parents=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text('{"commitInfo":{}}')
    return log_dir


def test_table_operations_package_never_reaches_into_the_jvm() -> None:
    pattern = re.compile(r"sparkContext|_jvm|_jsc")
    offenders = [
        f"{path.relative_to(_PACKAGE)}:{number}"
        for path in sorted(_PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/data/logs", Path("/data/logs")),
        ("rel/logs", Path("rel/logs")),
        ("file:/data/logs", Path("/data/logs")),
        ("file:///data/logs", Path("/data/logs")),
        ("file://localhost/data/logs", Path("/data/logs")),
        ("FILE:/data/logs", Path("/data/logs")),
        ("file://otherhost/data/logs", None),
        ("s3a://bucket/logs", None),
        ("abfss://c@account.dfs.core.windows.net/logs", None),
        ("hdfs:///logs", None),
    ],
    ids=[
        "absolute", "relative", "file-one-slash", "file-three-slashes", "file-localhost",
        "file-upper", "file-other-host", "s3a", "abfss", "hdfs",
    ],
)  # fmt: skip
def test_local_directory_is_local_only_without_scheme_or_with_file(
    path: str, expected: Path | None
) -> None:
    assert local_directory(path) == expected


@pytest.mark.parametrize(
    "leftover",
    [
        (),
        (".00000000000000000000.json.5f1e.tmp",),
        (".00000000000000000000.json.crc",),
        ("_commits/",),
        ("_commits/.00000000000000000000.uuid.json.tmp",),
    ],
    ids=["empty-log", "temporary-commit-file", "hidden-crc", "empty-commits-dir", "commits-tmp"],
)
def test_remove_abandoned_log_removes_a_local_log_with_only_leftovers(
    tmp_path: Path, leftover: tuple[str, ...]
) -> None:
    log_dir = _log(tmp_path / "t", *leftover)

    assert remove_abandoned_log(TableRef.at_path(str(tmp_path / "t")), _NOT_FOUND) is True
    assert not log_dir.exists()
    assert (tmp_path / "t").is_dir()


def test_remove_abandoned_log_accepts_a_file_uri(tmp_path: Path) -> None:
    log_dir = _log(tmp_path / "t")

    assert remove_abandoned_log(TableRef.at_path(f"file://{tmp_path}/t"), _NOT_FOUND) is True
    assert not log_dir.exists()


@pytest.mark.parametrize(
    "state",
    [
        "00000000000000000000.json",
        "00000000000000000003.crc",
        "00000000000000000010.checkpoint.parquet",
        "00000000000000000010.checkpoint.0000000001.0000000002.parquet",
        "_last_checkpoint",
        "_commits/00000000000000000001.5f1e.json",
        "_sidecars/",
    ],
    ids=[
        "commit", "checksum", "checkpoint", "multipart-checkpoint", "checkpoint-pointer",
        "unbackfilled-commit", "sidecars",
    ],
)  # fmt: skip
def test_remove_abandoned_log_keeps_a_log_holding_table_state(tmp_path: Path, state: str) -> None:
    log_dir = _log(tmp_path / "t", ".tmp", state)
    before = sorted(p.relative_to(log_dir) for p in log_dir.rglob("*"))

    assert remove_abandoned_log(TableRef.at_path(str(tmp_path / "t")), _NOT_FOUND) is False
    assert sorted(p.relative_to(log_dir) for p in log_dir.rglob("*")) == before


def test_remove_abandoned_log_refuses_a_local_log_holding_unknown_files(tmp_path: Path) -> None:
    log_dir = _log(tmp_path / "t", "notes.txt")

    with pytest.raises(TableOperationError) as caught:
        remove_abandoned_log(TableRef.at_path(str(tmp_path / "t")), _NOT_FOUND)

    assert caught.value.code == "TABLE_LOG_ABANDONED"
    assert caught.value.params["directory"] == str(log_dir)
    assert "'notes.txt'" in caught.value.params["reason"]
    assert "remove that directory" in str(caught.value)
    assert (log_dir / "notes.txt").exists()


def test_remove_abandoned_log_names_the_remote_directory_to_remove() -> None:
    table = TableRef.at_path("s3a://bucket/logs/")
    failure = RuntimeError(
        "An error occurred while calling o81.execute.\n"
        ": org.apache.spark.sql.delta.DeltaAnalysisException: [DELTA_TABLE_NOT_FOUND] Delta "
        "table `s3a://bucket/logs` doesn't exist."
    )

    with pytest.raises(TableOperationError) as caught:
        remove_abandoned_log(table, failure)

    assert caught.value.code == "TABLE_LOG_ABANDONED"
    assert caught.value.params["directory"] == "s3a://bucket/logs/_delta_log"
    assert "An error occurred" not in str(caught.value)
    assert ".." not in str(caught.value)
    assert "DELTA_TABLE_NOT_FOUND" in caught.value.params["reason"]


@pytest.mark.parametrize(
    ("table", "failure"),
    [
        (TableRef.at_path("s3a://bucket/logs"), RuntimeError("[INSUFFICIENT_PERMISSIONS] no")),
        (TableRef.named("ops", "logs"), _NOT_FOUND),
    ],
    ids=["remote-other-failure", "catalog-table"],
)
def test_remove_abandoned_log_leaves_other_failures_alone(
    table: TableRef, failure: Exception
) -> None:
    assert remove_abandoned_log(table, failure) is False


def test_remove_abandoned_log_without_a_log_does_nothing(tmp_path: Path) -> None:
    assert remove_abandoned_log(TableRef.at_path(str(tmp_path / "absent")), _NOT_FOUND) is False
