"""The checked arguments of [`sparkforge.reporting.detect_anomalies`][].

Every argument is checked before any Spark job, and every problem is reported at once
(``ANALYSIS_ARGUMENT_INVALID``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sparkforge.errors import ProblemCollector
from sparkforge.models import utc_now
from sparkforge.reporting._anomaly_rule import STEP_METRICS
from sparkforge.reporting._log_frame import argument_error, check_instant, check_names

if TYPE_CHECKING:
    from datetime import datetime

__all__ = ["Options", "check_options", "models"]

_SEASONALITIES = (None, "auto", "day_of_week", "hour_of_day")
_DIRECTIONS = ("both", "spike", "drop")


@dataclass(frozen=True, slots=True)
class Options:
    """The options of one detection, checked; ``as_of`` is UTC."""

    pipelines: tuple[str, ...]
    metrics: tuple[str, ...]
    as_of: datetime
    detection_days: int
    training_days: int
    sensitivity: float
    seasonality: str | None
    min_training_runs: int
    min_relative_change: float
    direction: str
    freshness: bool


def _int(problems: ProblemCollector, name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        problems.add(name, f"expected an int >= {minimum}, got {value!r}")
        return minimum
    return value


def _number(problems: ProblemCollector, name: str, value: object, *, positive: bool) -> float:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    number = float(value) if ok else math.nan  # type: ignore[arg-type]
    if not math.isfinite(number) or number < 0 or (positive and number == 0):
        problems.add(
            name, f"expected a finite number {'> 0' if positive else '>= 0'}, got {value!r}"
        )
        return 1.0
    return number


def _metrics(problems: ProblemCollector, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        problems.add("metrics", f"expected a non-empty sequence of metric names, got {value!r}")
        return ()
    names = tuple(value)
    unknown = [n for n in names if n not in STEP_METRICS]
    if unknown:
        problems.add(
            "metrics", f"unknown metric(s) {unknown!r}; allowed: {', '.join(STEP_METRICS)}"
        )
    if len(set(map(repr, names))) != len(names):
        problems.add("metrics", f"expected each metric once, got {list(names)!r}")
    return names


def check_options(**kw: object) -> Options:
    """Return the checked options, or raise ``ANALYSIS_ARGUMENT_INVALID`` with every problem.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> opts = check_options(metrics=("rows_written",), pipeline_name=None,
    ...     as_of=datetime(2026, 3, 1, tzinfo=timezone.utc), detection_days=2, training_days=28,
    ...     sensitivity=3, seasonality="auto", min_training_runs=7, min_relative_change=0.1,
    ...     direction="both", freshness=True)
    >>> opts.sensitivity, opts.seasonality
    (3.0, 'auto')
    """
    problems = ProblemCollector()
    pipelines = check_names(problems, "pipeline_name", kw["pipeline_name"])
    metrics = _metrics(problems, kw["metrics"])
    as_of = check_instant(problems, "as_of", kw["as_of"]) if kw["as_of"] is not None else utc_now()
    detection_days = _int(problems, "detection_days", kw["detection_days"], 1)
    training_days = _int(problems, "training_days", kw["training_days"], 1)
    sensitivity = _number(problems, "sensitivity", kw["sensitivity"], positive=True)
    seasonality = kw["seasonality"]
    if seasonality not in _SEASONALITIES:
        problems.add("seasonality", f"expected one of {_SEASONALITIES!r}, got {seasonality!r}")
    min_runs = _int(problems, "min_training_runs", kw["min_training_runs"], 2)
    relative = _number(problems, "min_relative_change", kw["min_relative_change"], positive=False)
    direction = kw["direction"]
    if direction not in _DIRECTIONS:
        problems.add("direction", f"expected one of {_DIRECTIONS!r}, got {direction!r}")
    if not isinstance(kw["freshness"], bool):
        problems.add("freshness", f"expected a bool, got {kw['freshness']!r}")
    if problems or as_of is None:
        raise argument_error("anomaly detection arguments", problems)
    return Options(
        pipelines=pipelines,
        metrics=metrics,
        as_of=as_of,
        detection_days=detection_days,
        training_days=training_days,
        sensitivity=sensitivity,
        seasonality=seasonality,  # type: ignore[arg-type]
        min_training_runs=min_runs,
        min_relative_change=relative,
        direction=str(direction),
        freshness=bool(kw["freshness"]),
    )


def models(seasonality: str | None) -> tuple[str, ...]:
    """Return the models a seasonality option lets a series choose from.

    Examples
    --------
    >>> models("day_of_week")
    ('none', 'day_of_week')
    """
    if seasonality == "auto":
        return ("none", "day_of_week", "hour_of_day")
    return ("none",) if seasonality is None else ("none", seasonality)
