"""Recovering from a creator killed before its first commit (a commit-less ``_delta_log``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sparkforge.table_operations.table_ref import TableRef

__all__ = ["remove_abandoned_log"]

_COMMIT_FILE = re.compile(r"\d{20}\.")


def remove_abandoned_log(spark: SparkSession, table: TableRef) -> bool:
    """Remove a path table's ``_delta_log`` that holds no commit; return whether it did.

    A creator killed before its first commit leaves ``_delta_log`` with no commit file (empty,
    or a hidden temporary file of the commit it never made). Delta then neither sees a table
    there nor creates one (``DELTA_TABLE_NOT_FOUND``), and refuses a location holding anything
    else, so the directory is removed: it holds no data and no commit. Catalog tables and
    sessions without a JVM (Spark Connect) are left alone.
    """
    if table.path is None:
        return False
    try:
        jvm = spark.sparkContext._jvm
        log_dir = jvm.org.apache.hadoop.fs.Path(table.path, "_delta_log")  # type: ignore[union-attr]
        fs = log_dir.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
        if not fs.exists(log_dir):
            return False
        names = [status.getPath().getName() for status in fs.listStatus(log_dir)]
        if any(_COMMIT_FILE.match(name) for name in names):
            return False
        return bool(fs.delete(log_dir, True))
    except Exception:
        return False
