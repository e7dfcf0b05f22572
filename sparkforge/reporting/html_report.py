"""The run report as one HTML file people would rather look at than read.

[`render_html`][sparkforge.reporting.render_html] writes it. The page is self-contained: its
style is inline, its charts inline SVG drawn by matplotlib, and it holds no script to run and makes
no network request, so it opens offline and can be mailed or attached to a ticket. It shows the
log's answers, never figures of its own: the summary (header and per pipeline), every run on a
timeline coloured by status, per pipeline the trends of run duration, rows written, invalid rows and
validation rate with the detected anomalies marked and regressions called out, the latest failure of
each pipeline with its error, the most failing rules and the log's data-quality checks.

The same log and ``as_of`` give the same bytes (the SVG ids are salted with a constant, no
instant but ``as_of`` is printed), so a report can be diffed or cached.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sparkforge._result import Result
from sparkforge.errors import ProblemCollector, ReportError
from sparkforge.models import utc_now
from sparkforge.reporting._log_frame import argument_error, check_instant, check_names

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from pyspark.sql import DataFrame

__all__ = ["HtmlReport", "render_html"]

_FEATURE = "The HTML run report"
_EXTRA = "sparkforge[report]"


@dataclass(frozen=True, slots=True)
class HtmlReport(Result):
    """The report [`render_html`][sparkforge.reporting.render_html] wrote, and what it holds.

    Attributes
    ----------
    path
        The file written (absolute).
    size_bytes
        Its size on disk, read back from the file system after the write.
    pipelines
        The pipelines shown (those with runs in the window).
    runs
        The runs in the window (the summary's count).
    anomalies
        The anomalies found as of ``as_of`` (metric and freshness).
    regressions
        The trend series that regressed, over the charted metrics.
    as_of
        The instant the report answers for (UTC).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> at = datetime(2026, 3, 12, tzinfo=timezone.utc)
    >>> HtmlReport("/tmp/report.html", 1024, 2, 30, 1, 0, at).to_dict()["as_of"]
    '2026-03-12T00:00:00+00:00'
    """

    path: str
    size_bytes: int
    pipelines: int
    runs: int
    anomalies: int
    regressions: int
    as_of: datetime


def _check_arguments(
    path: object, pipeline_name: object, since: object, as_of: object
) -> tuple[str, tuple[str, ...], datetime | None, datetime]:
    """Return the target, pipelines, since and as_of, or raise every problem at once."""
    problems = ProblemCollector()
    target = ""
    if isinstance(path, (str, os.PathLike)) and str(os.fspath(path)).strip():
        target = os.path.abspath(os.fspath(path))
    else:
        problems.add("path", f"expected a non-empty file path, got {path!r}")
    pipelines = check_names(problems, "pipeline_name", pipeline_name)
    start = check_instant(problems, "since", since)
    moment = check_instant(problems, "as_of", as_of) if as_of is not None else utc_now()
    if start is not None and moment is not None and start > moment:
        problems.add("since", f"expected an instant not after as_of ({moment.isoformat()})")
    if problems or moment is None:
        raise argument_error("HTML report arguments", problems)
    return target, pipelines, start, moment


def _check_dependencies() -> None:
    """Raise ``OPTIONAL_DEPENDENCY_MISSING`` unless matplotlib and Jinja2 import."""
    for package in ("matplotlib", "jinja2"):
        try:
            __import__(package)
        except ImportError as exc:
            raise ReportError(
                "OPTIONAL_DEPENDENCY_MISSING",
                {"feature": _FEATURE, "package": package, "requirement": _EXTRA},
            ) from exc


def _failed(target: str, reason: str) -> ReportError:
    return ReportError("REPORT_RENDER_FAILED", {"target": target, "reason": reason})


def _check_target(target: str) -> None:
    """Fail before any Spark job when the file cannot be written there."""
    folder = os.path.dirname(target)
    if os.path.isdir(target):
        raise _failed(target, "it is a directory")
    if not os.path.isdir(folder):
        raise _failed(target, f"the folder {folder} does not exist")


def _write(target: str, page: str) -> int:
    """Write the page atomically (a temporary file renamed over the target); return its size."""
    folder = os.path.dirname(target)
    temporary = None
    try:
        with tempfile.NamedTemporaryFile(
            "wb", dir=folder, prefix=".sparkforge-report-", suffix=".tmp", delete=False
        ) as handle:
            temporary = handle.name
            handle.write(page.encode("utf-8"))
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
        temporary = None
        return os.stat(target).st_size
    except OSError as exc:
        raise _failed(target, exc.strerror or str(exc)) from exc
    finally:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)


def render_html(
    log_df: DataFrame,
    path: str | os.PathLike[str],
    *,
    pipeline_name: str | Sequence[str] | None = None,
    since: datetime | None = None,
    as_of: datetime | None = None,
) -> HtmlReport:
    """Write the run report of ``log_df`` to ``path``: one self-contained HTML file.

    Parameters
    ----------
    log_df
        The run log (the table, a time-travelled version, or any DataFrame with its columns).
    path
        The HTML file to write; its folder must exist. An existing file is replaced (the page
        is written to a temporary file beside it, then renamed).
    pipeline_name
        Only these pipelines (a name or a sequence of names); None for all. A name without
        runs in the window gives a valid report that says so (no pipelines, 0 runs), as the
        summary does.
    since
        Only runs started at or after this instant (timezone-aware); None from the first run.
    as_of
        The instant the report answers for (timezone-aware; default now): runs started after
        it are left out, anomalies are detected in the days before it and trends compare the
        week before it with the four weeks before that. Same log and ``as_of``: same bytes.

    Returns
    -------
    HtmlReport
        The file written, its size and what it shows.

    Raises
    ------
    ValidationError
        ``ANALYSIS_ARGUMENT_INVALID`` listing every bad argument, ``ANALYSIS_LOG_INVALID``
        when ``log_df`` lacks a column the report reads; both before any Spark job.
    ReportError
        ``OPTIONAL_DEPENDENCY_MISSING`` when matplotlib or Jinja2 is missing (install
        ``sparkforge[report]``); ``REPORT_RENDER_FAILED`` when the file cannot be written
        (missing folder, a directory, no permission, disk full).
    TableOperationError
        ``TABLE_OPERATION_FAILED`` when Spark fails reading the log.

    See Also
    --------
    sparkforge.reporting.summary, sparkforge.reporting.trends,
    sparkforge.reporting.detect_anomalies : the answers the report shows.

    Examples
    --------
    ```python
    from datetime import datetime, timezone
    from sparkforge.reporting import render_html

    report = render_html(spark.table("ops.pipeline_log"), "/tmp/run_report.html",
                         as_of=datetime(2026, 3, 12, 6, tzinfo=timezone.utc))
    print(report.path, report.size_bytes, report.anomalies)
    ```
    """
    target, pipelines, start, moment = _check_arguments(path, pipeline_name, since, as_of)
    _check_dependencies()
    _check_target(target)
    from sparkforge.reporting._html_data import gather
    from sparkforge.reporting._html_page import page_context, render_page

    facts = gather(log_df, pipelines=pipelines, since=start, as_of=moment)
    try:
        page = render_page(page_context(facts))
    except ImportError as exc:
        raise ReportError(
            "OPTIONAL_DEPENDENCY_MISSING",
            {"feature": _FEATURE, "package": exc.name or "jinja2", "requirement": _EXTRA},
        ) from exc
    except Exception as exc:  # a template or drawing failure: still a sparkforge error
        raise _failed(target, f"{type(exc).__name__}: {exc}") from exc
    return HtmlReport(
        path=target,
        size_bytes=_write(target, page),
        pipelines=len(facts.summary.pipelines),
        runs=facts.summary.runs,
        anomalies=len(facts.anomalies.anomalies),
        regressions=sum(len(report.regressions) for report in facts.trends),
        as_of=moment,
    )
