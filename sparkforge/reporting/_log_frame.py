"""What every question over the log shares: its checked arguments, filter and instants.

The analytics take a log DataFrame (any copy of the table). Here they find out whether it has
the columns they need, check their time-window arguments (every problem at once), build the
one pushed-down filter, and turn the instants they collect back into UTC-aware datetimes.

Instants are collected as microseconds since the epoch (``unix_micros``), never as Spark
timestamps: PySpark turns a collected timestamp into a naive datetime in the Python process's
time zone, so the same value would read differently on two machines.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from pyspark.sql import functions as F

from sparkforge.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from pyspark.sql import Column, DataFrame

    from sparkforge.errors import ProblemCollector

__all__ = [
    "argument_error",
    "check_instant",
    "check_log_columns",
    "check_names",
    "exact_percentiles",
    "from_micros",
    "micros",
    "percentile_of_sorted",
    "sorted_values",
    "window_filter",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def argument_error(subject: str, problems: ProblemCollector) -> ValidationError:
    """Return the ``ANALYSIS_ARGUMENT_INVALID`` error listing every problem found.

    Examples
    --------
    >>> from sparkforge.errors import ProblemCollector
    >>> problems = ProblemCollector()
    >>> problems.add("since", "expected a timezone-aware datetime, got 3")
    >>> argument_error("summary arguments", problems).code
    'ANALYSIS_ARGUMENT_INVALID'
    """
    return ValidationError(
        "ANALYSIS_ARGUMENT_INVALID",
        {"subject": subject, "problems": problems.render()},
        problems=problems.problems,
    )


def check_instant(problems: ProblemCollector, name: str, value: object) -> datetime | None:
    """Return ``value`` as a UTC datetime; None stays None; anything else is a problem.

    Examples
    --------
    >>> from sparkforge.errors import ProblemCollector
    >>> problems = ProblemCollector()
    >>> check_instant(problems, "since", datetime(2026, 1, 2, tzinfo=timezone.utc)).isoformat()
    '2026-01-02T00:00:00+00:00'
    >>> check_instant(problems, "until", datetime(2026, 1, 2)) is None, len(problems.problems)
    (True, 1)
    """
    if value is None:
        return None
    if not isinstance(value, datetime) or value.utcoffset() is None:
        problems.add(name, f"expected a timezone-aware datetime, got {value!r}")
        return None
    return value.astimezone(timezone.utc)


def check_names(problems: ProblemCollector, name: str, value: object) -> tuple[str, ...]:
    """Return a name filter's values: None (no filter), a string or a sequence of strings.

    Examples
    --------
    >>> from sparkforge.errors import ProblemCollector
    >>> check_names(ProblemCollector(), "pipeline_name", "orders")
    ('orders',)
    """
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (list, tuple, set, frozenset)):
        values = tuple(value)
        if values and all(isinstance(v, str) for v in values):
            return values
    problems.add(name, f"expected a string or a non-empty sequence of strings, got {value!r}")
    return ()


def check_log_columns(log: object, columns: Iterable[str], *, purpose: str) -> None:
    """Raise ``ANALYSIS_LOG_INVALID`` unless ``log`` is a DataFrame with all ``columns``.

    Only the names are checked (no Spark job): the analytics work on any copy of the log.
    """
    names = getattr(log, "columns", None)
    if not isinstance(names, list):
        raise ValidationError(
            "ANALYSIS_LOG_INVALID",
            {"reason": f"{purpose} needs a Spark DataFrame, got {type(log).__name__}"},
        )
    missing = [c for c in columns if c not in names]
    if missing:
        raise ValidationError(
            "ANALYSIS_LOG_INVALID",
            {"reason": f"{purpose} needs the column(s) {', '.join(missing)}, which it lacks"},
        )


def window_filter(
    *,
    pipelines: tuple[str, ...] = (),
    since: datetime | None = None,
    until: datetime | None = None,
) -> Column:
    """Return the condition selecting runs of ``pipelines`` started in [since, until).

    The bounds also prune the table's ``run_date`` partitions (a run's date is the UTC date
    of its start), so a window reads only the files it needs.
    """
    condition = F.lit(True)
    if pipelines:
        condition = condition & F.col("pipeline_name").isin(list(pipelines))
    if since is not None:
        condition = condition & (F.col("run_started_at") >= F.lit(since))
        condition = condition & (F.col("run_date") >= F.lit(since.date()))
    if until is not None:
        condition = condition & (F.col("run_started_at") < F.lit(until))
        condition = condition & (F.col("run_date") <= F.lit(until.date()))
    return condition


def micros(column: str | Column) -> Column:
    """Return a timestamp column as microseconds since the epoch (a BIGINT), to collect."""
    return F.unix_micros(F.col(column) if isinstance(column, str) else column)


def from_micros(value: int | None) -> datetime | None:
    """Return a collected ``unix_micros`` value as a UTC-aware datetime.

    Examples
    --------
    >>> from_micros(86_400_000_000).isoformat()
    '1970-01-02T00:00:00+00:00'
    >>> from_micros(None) is None
    True
    """
    if value is None:
        return None
    return _EPOCH + timedelta(microseconds=int(value))


def sorted_values(value: str | Column) -> Column:
    """Return the aggregate of a group's non-NULL ``value``s as one ascending array (NaN last).

    With [`percentile_of_sorted`][sparkforge.reporting._log_frame.percentile_of_sorted] it
    gives exact percentiles from one sort of each group's values: fixed work per value, where
    Spark's ``percentile`` keeps a map of value counts per group (an object aggregate that
    falls back to sorting past 128 groups per task and serializes every map).
    """
    return F.array_sort(F.collect_list(value))


def percentile_of_sorted(values: str, q: float) -> Column:
    """Return the exact ``q`` quantile of an ascending array: Spark's ``percentile``, bit for bit.

    Linear interpolation between the two closest ranks, ``(hi - pos) * v_lo + (pos - lo) *
    v_hi`` with ``pos = (n - 1) * q`` (as ``numpy.percentile`` does by default); NULL for an
    empty or NULL array. ``values`` names a column already computed (an aggregate or an
    earlier ``select``): the formula reads it six times, so an expression in its place would
    be evaluated six times per row.
    """
    array = F.col(values)
    position = (F.size(array) - F.lit(1)).cast("double") * F.lit(float(q))
    lo, hi = F.floor(position), F.ceil(position)
    v_lo = F.element_at(array, (lo + F.lit(1)).cast("int"))
    v_hi = F.element_at(array, (hi + F.lit(1)).cast("int"))
    interpolated = (hi.cast("double") - position) * v_lo + (position - lo.cast("double")) * v_hi
    return (
        F.when(F.size(array) < F.lit(1), F.lit(None).cast("double"))
        .when((hi == lo) | (v_lo == v_hi), v_lo)
        .otherwise(interpolated)
    )


def exact_percentiles(
    frame: DataFrame,
    keys: Sequence[str],
    value: str,
    quantiles: Sequence[float],
    *aggregates: Column,
) -> DataFrame:
    """Return per group of ``keys``: ``n``, the exact ``value`` percentiles, ``aggregates``.

    The percentiles are those of Spark's ``percentile`` (see `percentile_of_sorted`), from
    one aggregation: each group's values collected and sorted (`sorted_values`). ``value``
    must hold no NULL or NaN. The result has the columns ``keys``, ``n``, ``p0``, ``p1``...
    (one per quantile, in order) and the named ``aggregates``.
    """
    grouped = frame.groupBy(*keys).agg(
        F.count(F.lit(1)).alias("n"), sorted_values(value).alias("_sorted"), *aggregates
    )
    names = [c for c in grouped.columns if not c.startswith("_")]
    percentiles = [
        percentile_of_sorted("_sorted", q).alias(f"p{i}") for i, q in enumerate(quantiles)
    ]
    return grouped.select(*names, *percentiles)
