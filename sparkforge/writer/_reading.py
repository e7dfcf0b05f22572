"""The filters of ``LogWriter.read_logs``: checked arguments -> one pushed-down Column."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from sparkforge.errors import ProblemCollector
from sparkforge.writer.exceptions import WriterValidationError

if TYPE_CHECKING:
    from pyspark.sql import Column


def log_filter(
    *,
    pipeline_name: object = None,
    run_id: object = None,
    since: object = None,
    until: object = None,
) -> Column:
    """Return the condition selecting these runs; every bad argument is reported at once.

    ``since``/``until`` bound ``run_started_at`` (at or after / before) and prune the
    ``run_date`` partitions too.

    Raises
    ------
    WriterValidationError
        ``WRITER_ARGUMENT_INVALID``: a filter of the wrong type, a naive datetime, or
        ``since`` not before ``until``.

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
        name: _text_values(problems, name, value)
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
    if problems:
        raise WriterValidationError(
            "WRITER_ARGUMENT_INVALID",
            {"subject": "read_logs filters", "problems": problems.render()},
            problems=problems.problems,
        )
    condition = F.lit(True)
    for name, values in filters.items():
        if values:
            condition = condition & F.col(name).isin(values)
    if "since" in bounds:
        condition = condition & (F.col("run_started_at") >= F.lit(bounds["since"]))
        condition = condition & (F.col("run_date") >= F.lit(bounds["since"].date()))
    if "until" in bounds:
        condition = condition & (F.col("run_started_at") < F.lit(bounds["until"]))
        condition = condition & (F.col("run_date") <= F.lit(bounds["until"].date()))
    return condition


def _text_values(problems: ProblemCollector, name: str, value: object) -> list[str]:
    """Return a filter's values: a string or a non-empty sequence of strings."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, (list, tuple, set, frozenset)):
        values = list(value)
        if values and all(isinstance(v, str) for v in values):
            return values
    problems.add(name, f"expected a string or a non-empty sequence of strings, got {value!r}")
    return []
