"""Which log a command reads: ``--table [catalog.]schema.table`` or ``--path PATH``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sparkforge.writer import WriterConfig

__all__ = ["LogTarget"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LogTarget:
    """The log table a command reads, by catalog name or by path (exactly one of them).

    Examples
    --------
    >>> LogTarget(table="ops.pipeline_runs").config().table.fqn
    'ops.pipeline_runs'
    """

    table: str | None = None
    path: str | None = None

    def config(self) -> WriterConfig:
        """Return the writer configuration of this log.

        Raises
        ------
        TableOperationError
            ``IDENTIFIER_INVALID`` for a table name that is not ``[catalog.]schema.table``.
        WriterConfigurationError
            For a path or name the writer cannot use.
        """
        from sparkforge.table_operations import TableRef
        from sparkforge.writer import WriterConfig

        if self.path is not None:
            return WriterConfig(table_path=self.path)
        ref = TableRef.parse(self.table or "")
        return WriterConfig(table_catalog=ref.catalog, table_schema=ref.schema, table_name=ref.name)

    def check_exists(self, *, remote: bool) -> None:
        """Fail before any session starts when a local ``--path`` does not exist.

        Remote storage and catalog tables are left to Spark and Delta to judge; a Spark
        Connect server's paths are its own, so they are never checked here.

        Raises
        ------
        WriterTableError
            ``TABLE_NOT_FOUND`` for a local path that does not exist.
        """
        from sparkforge.table_operations.recovery import local_directory
        from sparkforge.writer import WriterTableError

        if self.path is None or remote:
            return
        local = local_directory(self.path)
        if local is not None and not local.exists():
            raise WriterTableError("TABLE_NOT_FOUND", {"table": str(self.config().table)})
