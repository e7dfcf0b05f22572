"""Delta table operations: identifiers, create-if-absent, idempotent appends, overwrites, history.

Every Delta operation sparkforge performs goes through this package, so the rules hold
everywhere:

- Identifiers are validated (what the catalog can hold, see ``identifiers``) and always
  quoted, also where a name goes to a catalog API. Only DataFrame and SQL APIs are used, never
  delta-spark's ``DeltaTable`` (which needs Delta's Connect plugin on Spark Connect): where
  Spark takes no parameter (DDL), values are written as escaped string literals or integers.
- Tables are created once (``create if not exists``); two writers racing to create the same
  table is normal and survived.
- Overwrites are Delta overwrites (history and time travel keep the old data); nothing here
  ever drops a table.
- Delta's commit conflicts are retried a bounded number of times. Delta's Python conflict
  classes share no common base, so they are listed in
  [`CONFLICT_ERRORS`][sparkforge.table_operations.CONFLICT_ERRORS]; and because delta-spark only
  converts the JVM's conflicts into those classes after an import with side effects
  (``delta.exceptions.captured``, which sparkforge does not make), a conflict usually arrives as a
  plain Py4J error, or on Spark Connect as a Connect exception carrying Delta's error condition.
  [`is_conflict`][sparkforge.table_operations.is_conflict] recognises every form.
- An append may carry a Delta transaction identifier (``txnAppId`` / ``txnVersion``): Delta
  skips a write whose identifier it has already committed, atomically, which makes retries of
  the same write idempotent even across processes. A marker in the commit's ``userMetadata``
  lets the caller find its commit (version, rows) in the table history, or learn that Delta
  skipped it.
- Every Spark or Delta failure leaves as a sparkforge error carrying Delta's reason without
  the Py4J preamble ([`failure_reason`][sparkforge.table_operations.failure_reason]); nothing
  reaches into the JVM, so all of it runs on Spark Connect.

Modules
-------
``identifiers``
    Which schema, table and column names are safe, and their quoting.
``table_ref``
    [`TableRef`][sparkforge.table_operations.TableRef], one table by catalog name or by path.
``failures``
    [`failure_reason`][sparkforge.table_operations.failure_reason] and the wrapping of Spark
    failures.
``conflicts``
    Commit conflicts: [`is_conflict`][sparkforge.table_operations.is_conflict],
    [`retry_on_conflict`][sparkforge.table_operations.retry_on_conflict].
``ddl``
    The ``CREATE TABLE`` text: quoted names, escaped literals, column definitions.
``creation``
    Schemas and tables: create once, check existence, read schemas.
``recovery``
    The commit-less log a creator killed before its first commit leaves.
``writes``
    Appends and overwrites.
``history``
    Typed commits (UTC instants), versions, finding a commit by marker.
``detail``
    [`TableDetail`][sparkforge.table_operations.TableDetail], one ``DESCRIBE DETAIL``; typed
    ``DESCRIBE HISTORY`` reads (SQL).
``properties``
    Reading, checking and setting table properties.
``maintenance``
    ``OPTIMIZE`` (compaction, Z-order, clustering) and ``VACUUM``, with typed results.
``time_travel``
    [`read_as_of`][sparkforge.table_operations.read_as_of] (a version or an instant) and
    [`restore`][sparkforge.table_operations.restore];
    [`version_frame`][sparkforge.table_operations.version_frame] (a version with its own schema).
``retention``
    [`prune`][sparkforge.table_operations.prune]: deleting whole runs older than a cutoff, in one
    commit.
"""

from __future__ import annotations

from sparkforge.table_operations.conflicts import CONFLICT_ERRORS, is_conflict, retry_on_conflict
from sparkforge.table_operations.creation import (
    create_table_if_not_exists,
    ensure_schema,
    read_schema,
    table_exists,
)
from sparkforge.table_operations.detail import TableDetail, describe_table
from sparkforge.table_operations.failures import failure_reason
from sparkforge.table_operations.history import (
    Commit,
    find_commit,
    history,
    latest_version,
    recent_commits,
)
from sparkforge.table_operations.identifiers import (
    RESERVED_WORDS,
    quote_identifier,
    validate_identifier,
)
from sparkforge.table_operations.maintenance import (
    OptimizeResult,
    VacuumResult,
    optimize,
    vacuum,
)
from sparkforge.table_operations.properties import (
    read_properties,
    set_properties,
    validate_properties,
)
from sparkforge.table_operations.retention import PruneResult, prune
from sparkforge.table_operations.session import check_delta_session, missing_delta_error
from sparkforge.table_operations.table_ref import TableRef
from sparkforge.table_operations.time_travel import (
    RestoreResult,
    read_as_of,
    restore,
    version_frame,
)
from sparkforge.table_operations.writes import Transaction, append, overwrite

__all__ = [
    "append",
    "check_delta_session",
    "Commit",
    "CONFLICT_ERRORS",
    "create_table_if_not_exists",
    "describe_table",
    "ensure_schema",
    "failure_reason",
    "find_commit",
    "history",
    "is_conflict",
    "latest_version",
    "missing_delta_error",
    "optimize",
    "OptimizeResult",
    "overwrite",
    "prune",
    "PruneResult",
    "quote_identifier",
    "read_as_of",
    "read_properties",
    "read_schema",
    "recent_commits",
    "RESERVED_WORDS",
    "restore",
    "RestoreResult",
    "retry_on_conflict",
    "set_properties",
    "table_exists",
    "TableDetail",
    "TableRef",
    "Transaction",
    "vacuum",
    "VacuumResult",
    "validate_identifier",
    "validate_properties",
    "version_frame",
]
