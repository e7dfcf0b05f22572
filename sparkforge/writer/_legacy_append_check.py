"""The legacy append, checked after its commit: no legacy row stays in a migrated table.

Private helper of `sparkforge.writer.legacy`. The legacy writer reads the table's schema,
then appends. A migration that commits between the two leaves the append's Delta transaction
reading the v1 table, and Delta accepts the legacy rows there (the v1-only columns are left
null), so a row without ``schema_version`` would sit among migrated ones. Delta records the
version each commit read (``readVersion``): when the append's commit read a v1 table, its rows
are taken out again (``DELETE ... WHERE schema_version IS NULL``: only a legacy row lacks it)
and the append is refused, exactly as one that found the v1 table beforehand. If the migration
was undone meanwhile (it restores the version before its own commit, which predates the append),
the restore already took those rows out.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from sparkforge import table_operations as ops
from sparkforge.table_operations import failure_reason
from sparkforge.writer._legacy_schema import _has_v1_columns
from sparkforge.writer._migration_commit import _recent_commits
from sparkforge.writer.exceptions import WriterTableError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from sparkforge.table_operations import TableRef
    from sparkforge.writer._migration_commit import _Commit

__all__: list[str] = []

# Attempts at taking the rows out while other commits (a restore, other appends) interleave.
_ATTEMPTS = 5
_FIRST_BACKOFF_SECS = 0.2
# The append's commit is normally the newest: the history is read that far, then further.
_HISTORY_WINDOWS = (10, 100)


def refuse_if_migrated_meanwhile(
    spark: SparkSession, table: TableRef, marker: str, replacement: str
) -> None:
    """Raise ``WRITER_LEGACY_TABLE`` if the append marked ``marker`` committed to a v1 table.

    Its rows are out of the table by then. Returns when the append read a legacy table (or its
    commit is no longer among the latest ones, so a migration after it rewrote its rows).
    """
    ours = _own_commit(spark, table, marker)
    if ours is None or ours.read_version is None:
        return
    if not _has_v1_columns(ops.version_frame(spark, table, ours.read_version).schema):
        return
    delay = _FIRST_BACKOFF_SECS
    reason = ""
    for attempt in range(1, _ATTEMPTS + 1):
        if not _has_v1_columns(ops.read_schema(spark, table)):
            raise _refused(
                table,
                f"was migrated (version {ours.read_version}) while this append ran, and the "
                "migration was undone since by a restore of an older version, which took this "
                f"append's rows out again (version {ours.version} is gone)",
                replacement,
            )
        try:
            spark.sql(f"DELETE FROM {table.sql_name} WHERE schema_version IS NULL").collect()
        except Exception as exc:  # a conflict, or the table changed shape meanwhile: look again
            reason = failure_reason(exc)
            if attempt < _ATTEMPTS:
                time.sleep(delay)
                delay *= 2
            continue
        raise _refused(
            table,
            f"was migrated (version {ours.read_version}) while this append ran; Delta "
            f"committed its rows to the v1 table (version {ours.version}), and they were taken "
            "out again",
            replacement,
        )
    raise WriterTableError(
        "WRITER_WRITE_FAILED",
        {
            "runs": "1",
            "table": str(table),
            "reason": f"the table was migrated (version {ours.read_version}) while this append "
            f"ran, so its rows landed in the v1 table (version {ours.version}), and taking them "
            f"out failed {_ATTEMPTS} times ({reason}); delete the rows whose schema_version is "
            "NULL by hand",
        },
    )


def _own_commit(spark: SparkSession, table: TableRef, marker: str) -> _Commit | None:
    """Return the commit marked ``marker``: among the newest few, else the latest 100."""
    for limit in _HISTORY_WINDOWS:
        commits = _recent_commits(spark, table, limit=limit)
        found = next((c for c in commits if c.user_metadata == marker), None)
        if found is not None:
            return found
    return None


def _refused(table: TableRef, reason: str, replacement: str) -> WriterTableError:
    return WriterTableError(
        "WRITER_LEGACY_TABLE",
        {
            "table": str(table),
            "reason": f"{reason}; the deprecated legacy writer will not write to a v1 table: "
            f"write to it with {replacement}",
        },
    )
