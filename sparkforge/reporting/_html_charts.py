"""The HTML report's charts: matplotlib figures saved as static, reproducible inline SVG.

Every chart is drawn on a `matplotlib.figure.Figure` of its own (no pyplot, so no
global figure state) inside a `matplotlib.rc_context` that fixes what the SVG depends
on: the id hash salt (``svg.hashsalt``: same input, same bytes), text kept as ``<text>``
(escaped by matplotlib, selectable, smaller than glyph paths), no mathtext (a ``$`` in a
pipeline name stays a ``$``) and UTC dates. The SVG's XML prologue and metadata are dropped so
it can sit inside the page.

The charts draw what the analytics computed (trend buckets, anomalies, run statuses); they
compute no statistic of their own.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.axes import Axes
    from matplotlib.typing import RcKeyType

    from sparkforge.reporting._anomaly_results import Anomaly
    from sparkforge.reporting._trend_results import TrendSeries

__all__ = [
    "CHART_METRICS",
    "ChartMetric",
    "MAX_MARKED_POINTS",
    "pipeline_svg",
    "RunMark",
    "STATUS_COLOURS",
    "timeline_svg",
]

#: The fixed salt of the SVG element ids: the same chart gives the same bytes.
_HASH_SALT = "sparkforge-report"
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_RC: dict[RcKeyType, object] = {
    "svg.hashsalt": _HASH_SALT,
    "date.epoch": "1970-01-01T00:00:00",
    "svg.fonttype": "none",
    "text.parse_math": False,
    "text.usetex": False,
    "timezone": "UTC",
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
}
#: Colour of a run by its ``run_status``; any other status is drawn grey.
STATUS_COLOURS: dict[str, str] = {"success": "#2e7d32", "failed": "#c62828"}
_OTHER_COLOUR = "#757575"
_ANOMALY_COLOUR = "#d81b60"
_WIDTH_IN = 9.0
_TICK = 0.35  # half the height of a run's stroke on the timeline, in rows
#: Series with more buckets than this are drawn as plain lines (a marker per point would
#: double a long chart's size for dots that touch anyway).
MAX_MARKED_POINTS = 31


@dataclass(frozen=True, slots=True)
class RunMark:
    """One run on the timeline: its pipeline, start (UTC) and ``run_status``."""

    pipeline_name: str
    run_id: str
    started_at: datetime
    status: str


@dataclass(frozen=True, slots=True)
class ChartMetric:
    """One chart of a pipeline: the metric, its title and which series it draws."""

    metric: str
    title: str
    run_level: bool


#: The charts drawn per pipeline, top to bottom: run series for duration and rows written
#: (one value per successful run), step series for invalid rows and validation rate.
CHART_METRICS: tuple[ChartMetric, ...] = (
    ChartMetric("duration_secs", "Run duration (s): daily median, min-max band", True),
    ChartMetric("rows_written", "Rows written per run: daily median, min-max band", True),
    ChartMetric("invalid_rows", "Invalid rows per step: daily median", False),
    ChartMetric("validation_rate", "Validation rate per step (%): daily median", False),
)


def _days(moments: Sequence[datetime]) -> list[float]:
    """Return instants as matplotlib dates: days since the epoch set in the chart style."""
    return [(m - _EPOCH) / timedelta(days=1) for m in moments]


def _svg(figure: object) -> str:
    """Return a figure as SVG markup to inline: no XML prologue, DTD or metadata."""
    from matplotlib.figure import Figure

    assert isinstance(figure, Figure)
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    start, end = text.find("<metadata>"), text.find("</metadata>")
    if start != -1 and end != -1:
        text = text[:start] + text[end + len("</metadata>") :]
    return text.strip() + "\n"


def timeline_svg(runs: Sequence[RunMark], pipelines: Sequence[str]) -> str:
    """Draw every run as a tick on its pipeline's row, coloured by its status.

    Parameters
    ----------
    runs
        The runs to draw (any order).
    pipelines
        The rows, top to bottom; runs of other pipelines are not drawn.

    Returns
    -------
    str
        An ``<svg>`` element.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> at = datetime(2026, 3, 1, tzinfo=timezone.utc)
    >>> timeline_svg([RunMark("orders", "r1", at, "success")], ["orders"]).startswith("<svg")
    True
    """
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    rows = {name: index for index, name in enumerate(pipelines)}
    with matplotlib.rc_context(_RC):
        figure = Figure(figsize=(_WIDTH_IN, 0.9 + 0.32 * max(len(rows), 1)), layout="constrained")
        axes = figure.add_subplot()
        statuses = sorted({run.status for run in runs if run.pipeline_name in rows})
        for status in statuses:
            # One path per status, a short vertical stroke per run (NaN breaks the line): a
            # few bytes a run where a marker per run would cost a hundred.
            xs: list[float] = []
            ys: list[float] = []
            for run in runs:
                if run.status == status and run.pipeline_name in rows:
                    (x,) = _days([run.started_at])
                    row = rows[run.pipeline_name]
                    xs += [x, x, math.nan]
                    ys += [row - _TICK, row + _TICK, math.nan]
            axes.plot(xs, ys, color=STATUS_COLOURS.get(status, _OTHER_COLOUR), linewidth=1.2)
        axes.set_yticks(range(len(rows)), list(rows))
        axes.set_ylim(len(rows) - 0.5, -0.5)
        axes.grid(axis="y", visible=False)
        axes.set_title("Runs by start time (UTC), coloured by status", loc="left")
        handles = [
            Line2D([], [], color=STATUS_COLOURS.get(s, _OTHER_COLOUR), linewidth=2)
            for s in statuses
        ]
        if handles:
            axes.legend(handles, statuses, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        else:
            axes.text(0.5, 0.5, "no runs", transform=axes.transAxes, ha="center")
        _date_axis(axes)
        return _svg(figure)


def _date_axis(axes: Axes) -> None:
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator()  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def _label(series: TrendSeries) -> str:
    name = series.step if series.step is not None else "(run)"
    return f"{name} (regressed)" if series.regressed else name


def _draw_metric(
    axes: Axes,
    chart: ChartMetric,
    series: Sequence[TrendSeries],
    anomalies: Sequence[Anomaly],
    chart_id: str,
) -> None:
    """Draw one metric's series of one pipeline and mark its anomalies."""
    drawn = [s for s in series if s.points and (s.step is None) == chart.run_level]
    for one in drawn:
        starts = _days([p.bucket_start for p in one.points])
        (line,) = axes.plot(
            starts,
            [p.p50 for p in one.points],
            marker="." if len(one.points) <= MAX_MARKED_POINTS else "",
            markersize=3,
            linewidth=1.6 if one.regressed else 1.0,
            label=_label(one),
        )
        if chart.run_level:
            axes.fill_between(
                starts,
                [p.min for p in one.points],
                [p.max for p in one.points],
                color=line.get_color(),
                alpha=0.15,
                linewidth=0,
            )
    steps = {s.step for s in drawn}
    marks = [a for a in anomalies if a.metric == chart.metric and a.step in steps]
    for direction, marker in (("spike", "^"), ("drop", "v")):
        chosen = [a for a in marks if a.direction == direction]
        if chosen:
            axes.scatter(
                _days([a.run_started_at for a in chosen]),
                [a.value for a in chosen],
                marker=marker,
                s=46,
                color=_ANOMALY_COLOUR,
                edgecolors="black",
                linewidths=0.5,
                zorder=5,
                label=f"anomaly ({direction})",
                gid=f"{chart_id}-anomaly-{chart.metric}-{direction}",
            )
    regressed = [s for s in drawn if s.regressed]
    title = chart.title
    if regressed:
        title += "  |  REGRESSED: " + ", ".join(_label(s) for s in regressed)
    axes.set_title(title, loc="left", color="#b71c1c" if regressed else "black")
    if drawn:
        axes.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    else:
        axes.text(0.5, 0.5, "no values", transform=axes.transAxes, ha="center", va="center")


def pipeline_svg(
    pipeline_name: str,
    series: Sequence[TrendSeries],
    anomalies: Sequence[Anomaly],
    *,
    chart_id: str = "chart",
) -> str:
    """Draw one pipeline's charts (`CHART_METRICS`) over time, anomalies marked.

    Parameters
    ----------
    pipeline_name
        The pipeline (its name is the figure's title, escaped by matplotlib).
    series
        Its trend series, of any of the charted metrics (others are ignored).
    anomalies
        Its anomalies: each is marked on the chart of its metric when its series (run level
        or step) is drawn there; spikes as up triangles, drops as down triangles.
    chart_id
        The prefix of the ids of the anomaly marks' groups
        (``{chart_id}-anomaly-{metric}-{spike|drop}``): unique per chart in a page.

    Returns
    -------
    str
        An ``<svg>`` element.

    Examples
    --------
    >>> pipeline_svg("orders", [], []).count("no values")
    4
    """
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        figure = Figure(figsize=(_WIDTH_IN, 1.9 * len(CHART_METRICS) + 0.4), layout="constrained")
        axes_list = figure.subplots(len(CHART_METRICS), 1, sharex=True, squeeze=False)[:, 0]
        mine = [a for a in anomalies if a.pipeline_name == pipeline_name and a.kind == "metric"]
        for axes, chart in zip(axes_list, CHART_METRICS, strict=True):
            of_metric = [
                s for s in series if s.metric == chart.metric and s.pipeline_name == pipeline_name
            ]
            _draw_metric(axes, chart, of_metric, mine, chart_id)
        _date_axis(axes_list[-1])
        figure.suptitle(pipeline_name, x=0.01, ha="left", fontweight="bold")
        return _svg(figure)
