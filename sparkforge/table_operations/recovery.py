"""Recovering from a creator killed before its first commit: the commit-less ``_delta_log``.

A creator killed before its first commit leaves ``_delta_log`` without any commit: empty, a
hidden temporary file of the commit it never made, an empty ``_commits`` directory. Delta then
neither sees a table there nor creates one (``DELTA_TABLE_NOT_FOUND``), so creation is blocked
until the directory goes. It is removed here only where that is provably safe: on a local
filesystem, read with ``os`` (no JVM, so this works on Spark Connect too), when the log holds
nothing a table could need. Anywhere else the caller is told which directory to remove.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sparkforge.errors import TableOperationError
from sparkforge.table_operations.failures import failure_reason

if TYPE_CHECKING:
    from sparkforge.table_operations.table_ref import TableRef

__all__ = ["local_directory", "remove_abandoned_log"]

#: What makes a log a table's, or possibly one's: a commit, checksum or compacted log file
#: (named by a version), a checkpoint, its pointer or sidecars, and any entry of ``_commits``
#: (an unbackfilled coordinated commit).
_TABLE_STATE = re.compile(r"\d{20}\..*|.*checkpoint.*|_sidecars|_commits/.*|_staged_commits/.*")
_COMMITS_DIR = "_commits"
_STAGED_DIRS = frozenset({_COMMITS_DIR, "_staged_commits"})
#: How Delta reports a location whose log holds no commit.
_NO_COMMIT_TEXT = re.compile(r"\[DELTA_TABLE_NOT_FOUND\]|DeltaTableNotFound|doesn't exist")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def local_directory(path: str) -> Path | None:
    """Return ``path`` as a local directory, or None when it names remote storage.

    A path without a scheme, or with ``file:``, is local.

    Examples
    --------
    >>> local_directory("/data/logs")
    PosixPath('/data/logs')
    >>> local_directory("file:///data/logs")
    PosixPath('/data/logs')
    >>> local_directory("s3a://bucket/logs") is None
    True
    """
    if not _SCHEME.match(path):
        return Path(path)
    parts = urlsplit(path)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        return None
    return Path(parts.path)


def _blocking_entry(log_dir: Path) -> str | None:
    """Return the first entry of ``log_dir`` that is more than an abandoned creation's leftover.

    Leftovers are hidden files (a temporary commit file, a checksum) and an empty, or only
    hidden-file holding, ``_commits`` directory.
    """
    for entry in sorted(log_dir.iterdir()):
        name = entry.name
        if name.startswith(".") and not entry.is_dir():
            continue
        if name in _STAGED_DIRS and entry.is_dir() and not entry.is_symlink():
            inner = [
                child.name
                for child in entry.iterdir()
                if not (child.name.startswith(".") and child.is_file())
            ]
            if not inner:
                continue
            return f"{name}/{sorted(inner)[0]}"
        return name
    return None


def remove_abandoned_log(table: TableRef, failure: BaseException) -> bool:
    """Remove the commit-less ``_delta_log`` of ``table``; return whether it did.

    Call it only after a creation failed with ``failure`` and the table still does not exist,
    once a racing creator has had time to commit.

    Parameters
    ----------
    table
        The table whose creation failed.
    failure
        What Delta said when the creation failed.

    Returns
    -------
    bool
        True when the log was removed (creation may be tried again); False when there is no
        abandoned log to speak of: a catalog table, no ``_delta_log``, or a log holding a
        commit or checkpoint (a table Delta cannot read: never removed).

    Raises
    ------
    TableOperationError
        ``TABLE_LOG_ABANDONED`` naming the directory to remove, when the log holds no commit
        but cannot be proven safe to remove here: remote storage (which is not listed without
        a JVM), or a local log holding files no abandoned creation leaves.

    Examples
    --------
    >>> import tempfile
    >>> from sparkforge.table_operations import TableRef
    >>> root = Path(tempfile.mkdtemp())
    >>> (root / "_delta_log").mkdir()
    >>> remove_abandoned_log(TableRef.at_path(str(root)), RuntimeError("no table"))
    True
    >>> (root / "_delta_log").exists()
    False
    """
    if table.path is None:
        return False
    log_location = f"{table.path.rstrip('/')}/_delta_log"
    directory = local_directory(table.path)
    if directory is None:
        if not _NO_COMMIT_TEXT.search(str(failure)[:4000]):
            return False
        raise TableOperationError(
            "TABLE_LOG_ABANDONED",
            {
                "table": str(table),
                "directory": log_location,
                "reason": f"Delta says {failure_reason(failure)}; sparkforge removes such a "
                "log by itself only on a local filesystem",
            },
        )
    log_dir = directory / "_delta_log"
    try:
        if not log_dir.is_dir() or log_dir.is_symlink():
            return False
        blocking = _blocking_entry(log_dir)
        if blocking is None:
            shutil.rmtree(log_dir)
            return True
    except OSError as exc:
        raise TableOperationError(
            "TABLE_LOG_ABANDONED",
            {"table": str(table), "directory": str(log_dir), "reason": failure_reason(exc)},
        ) from exc
    if _TABLE_STATE.fullmatch(blocking):
        return False
    raise TableOperationError(
        "TABLE_LOG_ABANDONED",
        {
            "table": str(table),
            "directory": str(log_dir),
            "reason": f"it holds {blocking!r}, which sparkforge does not remove by itself",
        },
    )
