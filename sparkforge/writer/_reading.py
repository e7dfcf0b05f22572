"""The arguments of ``LogWriter.read_logs``: checked -> one pushed-down Column and a version."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from sparkforge.errors import ProblemCollector
from sparkforge.reporting._log_frame import check_names
from sparkforge.writer.exceptions import WriterValidationError

if TYPE_CHECKING:
    from pyspark.sql import Column


#: A time-travel point: a table version, or an instant (exactly one is set).
TimeTravelPoint = tuple[int | None, datetime | None]


def log_filter(
    *,
    pipeline_name: object = None,
    run_id: object = None,
    since: object = None,
    until: object = None,
    as_of_version: object = None,
    as_of_timestamp: object = None,
) -> tuple[Column, TimeTravelPoint | None]:
    """Return the condition selecting these runs and the version to read; all checked at once.

    ``since``/``until`` bound ``run_started_at`` (at or after / before) and prune the
    ``run_date`` partitions too. ``as_of_version`` (an integer >= 0) or ``as_of_timestamp``
    (aware) is the time-travel point; None for the current version.

    Raises
    ------
    WriterValidationError
        ``WRITER_ARGUMENT_INVALID``: a filter of the wrong type, a naive datetime,
        ``since`` not before ``until``, a bad version, or both time-travel points.

    Examples
    --------
    >>> log_filter(since=datetime(2026, 1, 2), until=None)
    Traceback (most recent call last):
    ...
    sparkforge.writer.exceptions.WriterValidationError: [WRITER_ARGUMENT_INVALID] Invalid \
read_logs filters: 1 problem(s): since: expected a timezone-aware datetime, got \
datetime.datetime(2026, 1, 2, 0, 0)
    """
    problems = ProblemCollector()
    filters = {
        name: check_names(problems, name, value)
        for name, value in (("pipeline_name", pipeline_name), ("run_id", run_id))
    }
    bounds: dict[str, datetime] = {}
    for name, moment in (("since", since), ("until", until)):
        if moment is None:
            continue
        if not isinstance(moment, datetime) or moment.utcoffset() is None:
            problems.add(name, f"expected a timezone-aware datetime, got {moment!r}")
            continue
        bounds[name] = moment.astimezone(timezone.utc)
    if "since" in bounds and "until" in bounds and bounds["since"] >= bounds["until"]:
        problems.add(
            "since",
            f"{bounds['since'].isoformat()} is not before until "
            f"({bounds['until'].isoformat()}), so no run could match",
        )
    point = _time_travel_point(problems, as_of_version, as_of_timestamp)
    if problems:
        raise WriterValidationError(
            "WRITER_ARGUMENT_INVALID",
            {"subject": "read_logs filters", "problems": problems.render()},
            problems=problems.problems,
        )
    condition = F.lit(True)
    for name, values in filters.items():
        if values:
            condition = condition & F.col(name).isin(list(values))
    if "since" in bounds:
        condition = condition & (F.col("run_started_at") >= F.lit(bounds["since"]))
        condition = condition & (F.col("run_date") >= F.lit(bounds["since"].date()))
    if "until" in bounds:
        condition = condition & (F.col("run_started_at") < F.lit(bounds["until"]))
        condition = condition & (F.col("run_date") <= F.lit(bounds["until"].date()))
    return condition, point


def _time_travel_point(
    problems: ProblemCollector, version: object, timestamp: object
) -> TimeTravelPoint | None:
    if version is not None and timestamp is not None:
        problems.add(
            "as_of_version, as_of_timestamp",
            f"give one time-travel point, not both (got {version!r} and {timestamp!r})",
        )
        return None
    if version is not None:
        if isinstance(version, bool) or not isinstance(version, int) or version < 0:
            problems.add("as_of_version", f"expected an integer >= 0, got {version!r}")
            return None
        return (version, None)
    if timestamp is not None:
        if not isinstance(timestamp, datetime) or timestamp.utcoffset() is None:
            problems.add(
                "as_of_timestamp", f"expected a timezone-aware datetime, got {timestamp!r}"
            )
            return None
        return (None, timestamp.astimezone(timezone.utc))
    return None
