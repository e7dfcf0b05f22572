"""Table paths: relative ones resolve against Python's current directory."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from sparkforge.table_operations import TableRef
from sparkforge.table_operations.table_ref import resolve_path

if TYPE_CHECKING:
    from pathlib import Path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("rel/dir", "{cwd}/rel/dir"),
        ("./rel/../dir", "{cwd}/dir"),
        ("file:rel/dir", "file:{cwd}/rel/dir"),
        ("/abs/dir", "/abs/dir"),
        ("file:/abs/dir", "file:/abs/dir"),
        ("file:///abs/dir", "file:/abs/dir"),
        ("file://localhost/abs/dir", "file:/abs/dir"),
        ("s3a://bucket/rel/../dir", "s3a://bucket/rel/../dir"),
        ("file://host/abs", "file://host/abs"),
    ],
    ids=[
        "relative", "dotted", "file-relative", "absolute", "file-absolute", "file-three-slashes",
        "file-localhost", "remote-untouched", "file-remote-host-untouched",
    ],
)  # fmt: skip
def test_resolve_path_uses_pythons_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    assert resolve_path(path) == expected.format(cwd=os.getcwd())


def test_table_ref_at_relative_path_is_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ref = TableRef.at_path("logs/run_log")
    assert ref.path == str(tmp_path / "logs" / "run_log")
    assert ref.quoted == f"delta.`{tmp_path}/logs/run_log`"
