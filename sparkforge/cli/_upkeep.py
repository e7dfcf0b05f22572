"""The commands that change or copy the log, each calling one ``LogWriter`` method.

optimize, vacuum, prune, restore, migrate, export and openlineage.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from sparkforge.cli._params import (
    DURATION,
    EXIT_OK,
    INSTANT,
    log_command,
    names,
    pipeline_option,
    window_options,
)
from sparkforge.cli._render import data_of, emit, fields_table, working

if TYPE_CHECKING:
    from datetime import datetime

    from sparkforge.cli._params import Invocation
    from sparkforge.reporting.openlineage import OpenLineageClientLike

__all__ = ["UPKEEP_COMMANDS"]


def _show(inv: Invocation, title: str, result: object) -> int:
    data = data_of(result)
    emit(inv.output, data, lambda c: c.print(fields_table(title, data)))
    return EXIT_OK


@click.command("optimize")
@click.option(
    "--zorder-by", multiple=True, metavar="COLUMN", help="Z-order the files by this column."
)
@log_command()
def optimize_command(inv: Invocation, *, zorder_by: tuple[str, ...]) -> int:
    """Compact the log's small files (Delta OPTIMIZE).

    Exit code 0 (2 on bad input).
    """
    writer = inv.writer()
    with working(f"Optimizing {writer.table}"):
        result = writer.optimize(zorder_by=zorder_by or None)
    return _show(inv, "Optimize", result)


@click.command("vacuum")
@click.option(
    "--retention",
    type=DURATION,
    default="7d",
    show_default=True,
    help="Keep the files any version of this age needs (e.g. 7d, 168h).",
)
@click.option(
    "--allow-unsafe-retention",
    is_flag=True,
    help="Allow a retention shorter than the table's deleted-file retention (Delta also "
    "needs --conf spark.databricks.delta.retentionDurationCheck.enabled=false).",
)
@click.option("--dry-run", is_flag=True, help="Only count the files a vacuum would delete.")
@log_command()
def vacuum_command(
    inv: Invocation, *, retention: timedelta, allow_unsafe_retention: bool, dry_run: bool
) -> int:
    """Delete data files no version within --retention needs (Delta VACUUM).

    Exit code 0 (2 on bad input, e.g. an unsafe retention).
    """
    writer = inv.writer()
    with working(f"Vacuuming {writer.table}"):
        result = writer.vacuum(
            retention_hours=retention / timedelta(hours=1),
            allow_unsafe_retention=allow_unsafe_retention,
            dry_run=dry_run,
        )
    return _show(inv, "Vacuum", result)


@click.command("prune")
@click.option(
    "--older-than",
    type=DURATION,
    required=True,
    help="Delete the runs started longer ago than this (90d, 12h, 30m, 2w).",
)
@click.option("--as-of", type=INSTANT, help="The instant ages count from (ISO 8601); default now.")
@log_command()
def prune_command(inv: Invocation, *, older_than: timedelta, as_of: datetime | None) -> int:
    """Delete the runs older than --older-than, in one Delta DELETE (time travel keeps them).

    Exit code 0 (2 on bad input).
    """
    result = inv.writer().prune(older_than=older_than, as_of=as_of)
    return _show(inv, "Prune", result)


@click.command("restore")
@click.argument("version", type=click.IntRange(min=0))
@log_command()
def restore_command(inv: Invocation, *, version: int) -> int:
    """Bring the log back to table VERSION (Delta RESTORE), in a new commit.

    Exit code 0 (2 on bad input, e.g. a version the table does not have).
    """
    return _show(inv, "Restore", inv.writer().restore(version))


@click.command("migrate")
@click.option(
    "--pipeline-name",
    default="legacy",
    show_default=True,
    help="The pipeline name given to the legacy rows.",
)
@log_command()
def migrate_command(inv: Invocation, *, pipeline_name: str) -> int:
    """Upgrade a legacy log table to schema v1, in place (nothing to do on a v1 log).

    Exit code 0 (2 on bad input).
    """
    writer = inv.writer()
    with working(f"Migrating {writer.table}"):
        result = writer.migrate_legacy_table(pipeline_name=pipeline_name)
    data = data_of(result) | {"table": str(result.table)}
    emit(inv.output, data, lambda c: c.print(fields_table("Migration", data)))
    return EXIT_OK


@click.command("export")
@click.argument("destination", metavar="PATH")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["parquet", "csv", "json", "openlineage"]),
    default="parquet",
    show_default=True,
    help="Format of the files written.",
)
@pipeline_option
@window_options
@click.option(
    "--mode",
    type=click.Choice(["error", "overwrite"]),
    default="error",
    show_default=True,
    help="What to do when PATH exists.",
)
@log_command(output_flag="--output-format")
def export_command(
    inv: Invocation,
    *,
    destination: str,
    file_format: str,
    pipeline_name: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    mode: str,
) -> int:
    """Write the log's rows (or their OpenLineage events) as files to PATH.

    The output format of this command is --output-format (its --format is the files').
    Exit code 0 (2 on bad input, e.g. PATH exists with --mode error).
    """
    writer = inv.writer()
    with working(f"Exporting {writer.table} to {destination}"):
        result = writer.export(
            destination,
            format=file_format,
            pipeline_name=names(pipeline_name),
            since=since,
            until=until,
            mode=mode,
        )
    return _show(inv, "Export", result)


@click.command("openlineage")
@pipeline_option
@window_options
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    help="Write the events as JSON lines to this new file instead of sending them.",
)
@log_command()
def openlineage_command(
    inv: Invocation,
    *,
    pipeline_name: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    output: str | None,
) -> int:
    """Send each run's OpenLineage events through the client's configured transport.

    The transport is configured the OpenLineage client's usual way (openlineage.yml,
    OPENLINEAGE_URL ...); with --output the events are written to a file instead.
    Exit code 0 (2 on bad input or a failed emission).
    """
    client = None if output is None else _file_client(output)
    writer = inv.writer()
    with working(f"Emitting OpenLineage events of {writer.table}"):
        result = writer.emit_openlineage(
            client=client, pipeline_name=names(pipeline_name), since=since, until=until
        )
    data = data_of(result) | ({"output": output} if output is not None else {})
    emit(inv.output, data, lambda c: c.print(fields_table("OpenLineage", data)))
    return EXIT_OK


def _file_client(output: str) -> OpenLineageClientLike:
    """Return an OpenLineage client appending each event as one JSON line to ``output``."""
    from sparkforge.errors import ExportError

    if Path(output).exists():
        raise ExportError(
            "EXPORT_TARGET_EXISTS", {"target": output, "hint": "remove it or choose another file"}
        )
    try:
        from openlineage.client import OpenLineageClient
        from openlineage.client.transport.file import FileConfig, FileTransport
    except ImportError:
        from sparkforge.errors import ConfigurationError

        raise ConfigurationError(
            "OPTIONAL_DEPENDENCY_MISSING",
            {
                "feature": "OpenLineage emission",
                "package": "openlineage-python",
                "requirement": "sparkforge[openlineage]",
            },
        ) from None
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    return OpenLineageClient(transport=FileTransport(FileConfig(log_file_path=output, append=True)))


UPKEEP_COMMANDS = (
    optimize_command,
    vacuum_command,
    prune_command,
    restore_command,
    migrate_command,
    export_command,
    openlineage_command,
)
