"""Unit tests of the WriterConfig options for the log over years: layout, compaction, retention."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from sparkforge.writer._upkeep import retention_cutoff
from sparkforge.writer.config import (
    CLUSTERABLE_COLUMNS,
    DEFAULT_COMPACT_EVERY,
    DEFAULT_OPENLINEAGE_NAMESPACE,
    WriterConfig,
)
from sparkforge.writer.exceptions import WriterConfigurationError


def _config(**options: object) -> WriterConfig:
    return WriterConfig(table_path="/tmp/sparkforge-log", **options)  # type: ignore[arg-type]


def test_defaults() -> None:
    config = _config()
    assert config.cluster_by == ()
    assert config.compact_every == DEFAULT_COMPACT_EVERY == 100
    assert config.retention is None
    assert config.openlineage_namespace == DEFAULT_OPENLINEAGE_NAMESPACE == "sparkforge"
    assert _config(compact_every=None).compact_every is None


def test_cluster_by_is_kept_as_a_tuple_without_partitions() -> None:
    config = _config(cluster_by=["pipeline_name", "run_started_at"], partition_columns=())
    assert config.cluster_by == ("pipeline_name", "run_started_at")


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"cluster_by": ("pipeline_name",), "partition_columns": ("run_date",)}, "not both"),
        ({"cluster_by": ("tags",), "partition_columns": ()}, "'tags' is not one of"),
        ({"cluster_by": ("step", "step"), "partition_columns": ()}, "listed twice"),
        (
            {"cluster_by": tuple(sorted(CLUSTERABLE_COLUMNS))[:5], "partition_columns": ()},
            "at most 4",
        ),
        ({"cluster_by": "pipeline_name", "partition_columns": ()}, "expected a tuple"),
        ({"compact_every": 1}, "compact_every: expected an integer in 2..1000000"),
        ({"compact_every": True}, "compact_every: expected an integer"),
        ({"compact_every": 10.0}, "compact_every: expected an integer"),
        ({"retention": timedelta(hours=23)}, "at least 1 day"),
        ({"retention": 30}, "expected a timedelta"),
        ({"openlineage_namespace": " spaced "}, "openlineage_namespace"),
        ({"openlineage_namespace": ""}, "openlineage_namespace"),
    ],
)
def test_invalid_options_are_named(options: dict[str, object], fragment: str) -> None:
    with pytest.raises(WriterConfigurationError) as caught:
        _config(**options)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("now", "retention", "cutoff"),
    [
        (datetime(2026, 3, 10, 15, 30, tzinfo=timezone.utc), timedelta(days=7), "2026-03-03"),
        (datetime(2026, 3, 10, 0, 0, tzinfo=timezone.utc), timedelta(days=1), "2026-03-09"),
        # An instant in another zone is the same UTC instant: 01:00+05:30 is 19:30Z the day before.
        (
            datetime(2026, 3, 10, 1, 0, tzinfo=timezone(timedelta(hours=5, minutes=30))),
            timedelta(days=1),
            "2026-03-08",
        ),
    ],
)
def test_retention_cutoff_is_the_start_of_a_utc_day(
    now: datetime, retention: timedelta, cutoff: str
) -> None:
    moment = retention_cutoff(now, retention)
    assert moment.isoformat() == f"{cutoff}T00:00:00+00:00"
    assert now - moment >= retention
