"""The commands that ask the log questions, each calling one library function.

runs, steps, summary, history and report here; trends, anomalies and quality in
`sparkforge.cli._health`. ``QUESTION_COMMANDS`` holds all eight.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import click

from sparkforge.cli._health import anomalies_command, quality_command, trends_command
from sparkforge.cli._params import (
    EXIT_OK,
    INSTANT,
    log_command,
    names,
    pipeline_option,
    window_options,
)
from sparkforge.cli._render import cell, data_of, emit, fields_table, records_table

if TYPE_CHECKING:
    from datetime import datetime

    from rich.console import Console

    from sparkforge.cli._params import Invocation

__all__ = ["QUESTION_COMMANDS"]


# ---------------------------------------------------------------------------- runs / steps


@click.command("runs")
@pipeline_option
@click.option(
    "--status", type=click.Choice(["success", "failed"]), help="Only runs with this status."
)
@click.option("--since", type=INSTANT, help="Only runs started at or after this instant (or 7d).")
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Newest N runs."
)
@log_command()
def runs_command(
    inv: Invocation,
    *,
    pipeline_name: tuple[str, ...],
    status: str | None,
    since: datetime | None,
    limit: int,
) -> int:
    """List the newest runs of the log, newest first.

    Exit code 0 (2 on bad input).
    """
    from sparkforge.reporting.runs import list_runs

    log_df = inv.writer().read_logs(pipeline_name=names(pipeline_name), since=since)
    found = list_runs(log_df, status=status, limit=limit)
    records = [r.to_dict() for r in found]
    columns = [
        ("run_id", "run"),
        ("pipeline_name", "pipeline"),
        ("run_status", "status"),
        ("run_mode", "mode"),
        ("run_started_at", "started"),
        ("run_ended_at", "ended"),
        ("steps", "steps"),
        ("failed_steps", "failed"),
        ("rows_written", "rows written"),
    ]
    emit(
        inv.output,
        {"runs": records},
        lambda c: c.print(records_table("Runs", records, columns, empty="no run matches")),
    )
    return EXIT_OK


@click.command("steps")
@click.argument("run_id")
@log_command()
def steps_command(inv: Invocation, *, run_id: str) -> int:
    """Show the steps of run RUN_ID, in order.

    Exit code 0; 2 when the log has no run RUN_ID.
    """
    from sparkforge.errors import ValidationError
    from sparkforge.reporting.runs import list_steps

    writer = inv.writer()
    found = list_steps(writer.read_logs(run_id=run_id))
    if not found:
        raise ValidationError(
            "ANALYSIS_ARGUMENT_INVALID",
            {"subject": "RUN_ID", "problems": f"the log {writer.table} has no run {run_id!r}"},
        )
    records = [s.to_dict() for s in found]
    columns = [
        ("step_index", "#"),
        ("phase", "phase"),
        ("step", "step"),
        ("step_status", "status"),
        ("duration_secs", "seconds"),
        ("input_rows", "input"),
        ("rows_written", "written"),
        ("valid_rows", "valid"),
        ("invalid_rows", "invalid"),
        ("validation_rate", "valid %"),
        ("error_message", "error"),
    ]
    emit(
        inv.output,
        {"run_id": run_id, "steps": records},
        lambda c: c.print(records_table(f"Run {run_id}", records, columns)),
    )
    return EXIT_OK


# ---------------------------------------------------------------------------- analytics


@click.command("summary")
@pipeline_option
@window_options
@click.option(
    "--top-rules",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="Failing rules listed per step.",
)
@log_command()
def summary_command(
    inv: Invocation,
    *,
    pipeline_name: tuple[str, ...],
    since: datetime | None,
    until: datetime | None,
    top_rules: int,
) -> int:
    """Summarise the log per pipeline: runs, failures, durations, rows, validation.

    Exit code 0 (2 on bad input).
    """
    result = inv.writer().summary(
        pipeline_name=names(pipeline_name), since=since, until=until, top_rules=top_rules
    )
    data = data_of(result)

    def draw(console: Console) -> None:
        pipelines = cast("list[dict[str, object]]", data["pipelines"])
        console.print(
            f"{data['runs']} run(s), {data['rows']} row(s), from "
            f"{cell(data['first_run_at'])} to {cell(data['last_run_at'])}"
        )
        console.print(
            records_table(
                "Pipelines",
                pipelines,
                [
                    ("pipeline_name", "pipeline"),
                    ("runs", "runs"),
                    ("succeeded_runs", "succeeded"),
                    ("failed_runs", "failed"),
                    ("success_rate", "success %"),
                    ("last_run_at", "last run"),
                    ("last_status", "last status"),
                    ("rows_written", "rows written"),
                    ("mean_validation_rate", "valid %"),
                ],
                empty="no run in the log matches",
            )
        )

    emit(inv.output, data, draw)
    return EXIT_OK


@click.command("history")
@click.option(
    "--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Newest N commits."
)
@log_command()
def history_command(inv: Invocation, *, limit: int) -> int:
    """Show the log table's newest commits (Delta history), newest first.

    Exit code 0 (2 on bad input).
    """
    commits = inv.writer().history(limit=limit)
    records = [data_of(c) for c in commits]
    columns = [
        ("version", "version"),
        ("timestamp", "committed"),
        ("operation", "operation"),
        ("runs", "runs"),
        ("rows", "rows"),
        ("by_writer", "by writer"),
    ]
    emit(
        inv.output,
        {"commits": records},
        lambda c: c.print(records_table("History", records, columns)),
    )
    return EXIT_OK


# ---------------------------------------------------------------------------- HTML report


@click.command("report")
@click.option(
    "--output",
    "-o",
    required=True,
    type=click.Path(dir_okay=False, writable=True),
    help="The HTML file to write.",
)
@pipeline_option
@click.option("--since", type=INSTANT, help="Only runs started at or after this instant (or 7d).")
@log_command()
def report_command(
    inv: Invocation, *, output: str, pipeline_name: tuple[str, ...], since: datetime | None
) -> int:
    """Write the log's HTML report (one static file) to --output.

    Exit code 0 (2 on bad input).
    """
    from sparkforge.cli._render import working

    writer = inv.writer()
    with working(f"Rendering {output}"):
        result = writer.render_html(output, pipeline_name=names(pipeline_name), since=since)
    data = data_of(result)
    emit(inv.output, data, lambda c: c.print(fields_table("HTML report", data)))
    return EXIT_OK


QUESTION_COMMANDS = (
    runs_command,
    steps_command,
    summary_command,
    trends_command,
    anomalies_command,
    quality_command,
    history_command,
    report_command,
)
