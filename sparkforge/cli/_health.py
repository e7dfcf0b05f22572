"""The commands that watch the pipelines' health: trends, anomalies and quality.

Each calls one library function; anomalies and quality can post what they find to a webhook
(``--notify``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import click

from sparkforge.cli._params import (
    EXIT_FINDINGS,
    EXIT_OK,
    INSTANT,
    log_command,
    names,
    pipeline_option,
    window_options,
)
from sparkforge.cli._render import cell, data_of, emit, records_table
from sparkforge.reporting.notify import DEFAULT_NOTIFY_TIMEOUT, check_webhook_url

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from rich.console import Console

    from sparkforge.cli._params import Invocation
    from sparkforge.reporting.notify import Alert

__all__ = ["anomalies_command", "quality_command", "trends_command"]


def _notify_options(command: Callable[..., int]) -> Callable[..., int]:
    command = click.option(
        "--notify-timeout",
        type=click.FloatRange(min=0.1, max=600.0),
        default=DEFAULT_NOTIFY_TIMEOUT,
        show_default=True,
        help="Seconds to wait for the webhook.",
    )(command)
    return click.option(
        "--notify",
        metavar="URL",
        callback=_check_url,
        help="POST the findings as JSON (Slack-compatible) to this webhook when there are any.",
    )(command)


def _check_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    from sparkforge.errors import NotificationError

    if value is None:
        return None
    try:
        return check_webhook_url(value)
    except NotificationError as exc:
        raise click.BadParameter(exc.params["reason"], ctx, param) from None


def _notify(alert: Alert, url: str | None, timeout: float) -> None:
    """Post ``alert`` when it has findings and a URL was given; say so on stderr."""
    from sparkforge.reporting.notify import post_alert

    if url is None or not alert.findings:
        return
    result = post_alert(alert, url, timeout=timeout)
    click.echo(
        f"Posted {result.findings} finding(s) to {result.url} (HTTP {result.status}).", err=True
    )


# ---------------------------------------------------------------- trends, anomalies, quality


@click.command("trends")
@click.argument("metric")
@pipeline_option
@click.option("--step", "step", multiple=True, metavar="NAME", help="Only this step (repeatable).")
@click.option(
    "--bucket",
    type=click.Choice(["hour", "day", "week"]),
    default="day",
    show_default=True,
    help="Width of the time buckets.",
)
@window_options
@click.option("--as-of", type=INSTANT, help="The instant 'now' is (ISO 8601); default: now.")
@click.option("--recent-days", type=int, default=7, show_default=True, help="Recent window.")
@click.option("--baseline-days", type=int, default=28, show_default=True, help="Baseline window.")
@click.option(
    "--regression-threshold",
    type=float,
    default=1.5,
    show_default=True,
    help="Recent/baseline ratio (in the worse direction) that counts as a regression.",
)
@click.option(
    "--min-samples", type=int, default=3, show_default=True, help="Samples needed per window."
)
@log_command()
def trends_command(
    inv: Invocation,
    *,
    metric: str,
    pipeline_name: tuple[str, ...],
    step: tuple[str, ...],
    bucket: str,
    since: datetime | None,
    until: datetime | None,
    as_of: datetime | None,
    recent_days: int,
    baseline_days: int,
    regression_threshold: float,
    min_samples: int,
) -> int:
    """Follow METRIC (duration_secs, rows_written, ...) over time per pipeline and step.

    Exit code 0; 1 when a series regressed; 2 on bad input.
    """
    result = inv.writer().trends(
        metric,
        pipeline_name=names(pipeline_name),
        step=names(step),
        bucket=bucket,
        since=since,
        until=until,
        as_of=as_of,
        recent_days=recent_days,
        baseline_days=baseline_days,
        regression_threshold=regression_threshold,
        min_samples=min_samples,
    )
    data = data_of(result)
    series = [s.to_dict() | {"points": len(s.points)} for s in result.series]

    def draw(console: Console) -> None:
        console.print(
            records_table(
                f"Trend of {metric} by {bucket}, as of {cell(data['as_of'])}",
                series,
                [
                    ("pipeline_name", "pipeline"),
                    ("step", "step"),
                    ("points", "buckets"),
                    ("slope_per_day", "slope/day"),
                    ("change_pct", "change %"),
                    ("regression_ratio", "recent/baseline"),
                    ("recent_samples", "recent n"),
                    ("baseline_samples", "baseline n"),
                    ("regressed", "regressed"),
                ],
                empty="no series",
            )
        )

    emit(inv.output, data, draw)
    return EXIT_FINDINGS if any(s.regressed for s in result.series) else EXIT_OK


@click.command("anomalies")
@pipeline_option
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    metavar="NAME",
    help="A metric to check (repeatable); default duration_secs, rows_written, "
    "invalid_rows, validation_rate.",
)
@click.option("--as-of", type=INSTANT, help="The instant 'now' is (ISO 8601); default: now.")
@click.option("--detection-days", type=int, default=2, show_default=True, help="Days scored.")
@click.option("--training-days", type=int, default=28, show_default=True, help="Days learnt.")
@click.option("--sensitivity", type=float, default=3.0, show_default=True, help="MADs allowed.")
@click.option(
    "--seasonality",
    type=click.Choice(["auto", "day_of_week", "hour_of_day", "none"]),
    default="auto",
    show_default=True,
    help="Seasonality of the expected values.",
)
@click.option(
    "--min-training-runs", type=int, default=7, show_default=True, help="Runs needed to score."
)
@click.option(
    "--min-relative-change",
    type=float,
    default=0.1,
    show_default=True,
    help="Smallest relative change reported.",
)
@click.option(
    "--direction",
    type=click.Choice(["both", "spike", "drop"]),
    default="both",
    show_default=True,
    help="Which deviations count.",
)
@click.option(
    "--freshness/--no-freshness", default=True, show_default=True, help="Report late pipelines."
)
@_notify_options
@log_command()
def anomalies_command(
    inv: Invocation,
    *,
    pipeline_name: tuple[str, ...],
    metrics: tuple[str, ...],
    as_of: datetime | None,
    detection_days: int,
    training_days: int,
    sensitivity: float,
    seasonality: str,
    min_training_runs: int,
    min_relative_change: float,
    direction: str,
    freshness: bool,
    notify: str | None,
    notify_timeout: float,
) -> int:
    """Find the recent runs out of line with their history, and late pipelines.

    Exit code 0 when nothing was found; 1 when anomalies or late pipelines were found; 2 on
    bad input or a failed webhook.
    """
    from sparkforge.reporting.notify import anomaly_alert

    writer = inv.writer()
    kwargs: dict[str, object] = {"metrics": metrics} if metrics else {}
    result = writer.detect_anomalies(
        pipeline_name=names(pipeline_name),
        as_of=as_of,
        detection_days=detection_days,
        training_days=training_days,
        sensitivity=sensitivity,
        seasonality=None if seasonality == "none" else seasonality,
        min_training_runs=min_training_runs,
        min_relative_change=min_relative_change,
        direction=direction,
        freshness=freshness,
        **kwargs,  # type: ignore[arg-type]
    )
    data = data_of(result)
    records = [a.to_dict() for a in result.anomalies]

    def draw(console: Console) -> None:
        console.print(
            f"{len(records)} anomal{'y' if len(records) == 1 else 'ies'} as of "
            f"{cell(data['as_of'])}: {result.checked_points} point(s) in {result.checked_series} "
            f"series checked, {len(result.skipped)} series skipped"
        )
        if records:
            console.print(
                records_table(
                    "Anomalies",
                    records,
                    [
                        ("kind", "kind"),
                        ("pipeline_name", "pipeline"),
                        ("step", "step"),
                        ("metric", "metric"),
                        ("direction", "direction"),
                        ("value", "value"),
                        ("expected", "expected"),
                        ("lower", "lower"),
                        ("upper", "upper"),
                        ("run_started_at", "run started"),
                        ("run_id", "run"),
                    ],
                )
            )

    emit(inv.output, data, draw)
    _notify(anomaly_alert(result, source=str(writer.table)), notify, notify_timeout)
    return EXIT_FINDINGS if records else EXIT_OK


@click.command("quality")
@_notify_options
@log_command()
def quality_command(inv: Invocation, *, notify: str | None, notify_timeout: float) -> int:
    """Run the data-quality checks of the log table itself, in one pass.

    Exit code 0 when every check passes; 1 when a check fails; 2 on bad input or a failed
    webhook.
    """
    from sparkforge.reporting.notify import quality_alert

    writer = inv.writer()
    result = writer.validate_data_quality()
    data = data_of(result) | {"passed": result.passed, "failures": result.failures}
    checks = cast("list[dict[str, object]]", data["checks"])
    records = [c | {"passed": c["failed_rows"] == 0} for c in checks]

    def draw(console: Console) -> None:
        verdict = "all checks pass" if result.passed else f"{len(result.failures)} check(s) fail"
        console.print(f"{result.total_rows} row(s) checked: {verdict}")
        console.print(
            records_table(
                "Checks",
                records,
                [
                    ("name", "check"),
                    ("failed_rows", "failed rows"),
                    ("passed", "passed"),
                    ("description", "what it checks"),
                ],
            )
        )

    emit(inv.output, data, draw)
    _notify(quality_alert(result, source=str(writer.table)), notify, notify_timeout)
    return EXIT_OK if result.passed else EXIT_FINDINGS
