"""Every property value sparkforge accepts, Delta accepts; every one it refuses, Delta refuses.

Each case sets one value on a real Delta table (``ALTER TABLE ... SET TBLPROPERTIES``, where
Delta checks its typed properties) and compares Delta's answer with
:func:`~sparkforge.table_operations.property_values.property_value_problem`'s. Checked on
Delta 4.0.1 and 4.3.1; an upgrade that changes a rule fails here. The order of the two
retentions (Delta 4.3 wants the log kept at least as long as removed files) is checked apart.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import TYPE_CHECKING

import pytest

from sparkforge.errors import TableOperationError
from sparkforge.table_operations.properties import validate_properties
from sparkforge.table_operations.property_values import property_value_problem

if TYPE_CHECKING:
    from collections.abc import Callable

    from pyspark.sql import SparkSession

pytestmark = pytest.mark.delta

#: Each log retention is set with a file retention of 0 in the same statement, so that Delta
#: >= 4.3's order of the two (judged within one statement, a week when it sets none) never
#: decides the value's own check.
_SET_WITH = {"delta.logretentionduration": ", 'delta.deletedFileRetentionDuration' = '0 days'"}

BOOLEAN_ACCEPTED = ["true", "false", "TRUE", "False", "tRuE"]
BOOLEAN_REFUSED = ["yes", "no", "1", "0", "", " true", "true ", "t", "on"]
INTERVAL_ACCEPTED = [
    "interval 30 days", "30 days", "INTERVAL 30 DAYS", "Interval 1 Day", "1 day", "30  days",
    "  interval 30 days  ", "interval 1 week", "interval 2 weeks", "interval 12 hours",
    "interval 90 minutes", "interval 3600 seconds", "interval 1.5 seconds", "interval .5 seconds",
    "interval 5. seconds", "interval 1.123456789 seconds", "interval 1 millisecond",
    "interval 10 microseconds", "interval 1 day 2 hours", "interval 30 DAYS 5 minutes",
    "interval 1 days 1 days", "interval 0 days", "interval -0 days", "interval +1 days",
    "interval 01 days", "interval 1 days -1 hours", "interval 0 months",
    "interval 0 years 30 days", "interval 12 months -1 years", "interval 2147483647 days",
    "interval 106751991 days", "interval 9223372036854775807 microseconds",
    "interval 3000000000 seconds",
]  # fmt: skip
INTERVAL_REFUSED = [
    "", "   ", "interval", "30", "interval 30", "30days", "forever", "P30D", "intervals 1 day",
    "interval 1 month", "interval 1 year", "interval -1 days", "interval 1 hours -2 hours",
    "interval 1.5 days", "interval 1.5 hours", "interval 1.5 milliseconds", "interval 1 d",
    "interval 1 h", "interval 1 ms", "interval 1 mins", "interval 1 secs", "interval 1 us",
    "interval 1 days, 2 hours", "interval 1 day interval 1 day", "interval-1 days",
    "interval\t30 days", "interval 2147483648 days", "interval 106751992 days",
    "interval 9223372036854775808 microseconds", "interval 1.1234567891 seconds",
]  # fmt: skip
CHECKPOINT_ACCEPTED = ["10", "1", "+5", "05", "2147483647"]
CHECKPOINT_REFUSED = ["0", "-1", "", " 5", "5 ", "1e3", "1.0", "2147483648", "ten", "0x10"]
INDEXED_COLS_ACCEPTED = ["32", "0", "-1", "+5", "2147483647"]
INDEXED_COLS_REFUSED = ["-2", "", "1.0", "2147483648", "all"]

CASES: list[tuple[str, str, bool]] = [
    *[("delta.appendOnly", v, True) for v in BOOLEAN_ACCEPTED],
    *[("delta.appendOnly", v, False) for v in BOOLEAN_REFUSED],
    *[(k, v, True) for k in ("delta.enableChangeDataFeed", "delta.enableDeletionVectors",
                             "delta.autoOptimize.optimizeWrite", "delta.autoOptimize.autoCompact")
      for v in ("true", "False")],
    *[(k, v, False) for k in ("delta.enableChangeDataFeed", "delta.enableDeletionVectors",
                              "delta.autoOptimize.optimizeWrite", "delta.autoOptimize.autoCompact")
      for v in ("yes", "1", "")],
    # Delta matches its keys without regard to case.
    ("delta.appendonly", "yes", False),
    ("DELTA.APPENDONLY", "yes", False),
    ("delta.appendonly", "TRUE", True),
    *[("delta.logRetentionDuration", v, True) for v in INTERVAL_ACCEPTED],
    *[("delta.logRetentionDuration", v, False) for v in INTERVAL_REFUSED],
    *[(k, v, ok) for k in ("delta.deletedFileRetentionDuration",
                           "delta.setTransactionRetentionDuration")
      for v, ok in (("interval 30 days", True), ("1 week", True), ("interval 1 month", False),
                    ("forever", False), ("interval -1 days", False))],
    *[("delta.checkpointInterval", v, True) for v in CHECKPOINT_ACCEPTED],
    *[("delta.checkpointInterval", v, False) for v in CHECKPOINT_REFUSED],
    *[("delta.dataSkippingNumIndexedCols", v, True) for v in INDEXED_COLS_ACCEPTED],
    *[("delta.dataSkippingNumIndexedCols", v, False) for v in INDEXED_COLS_REFUSED],
]  # fmt: skip
CASE_IDS = [f"{key}={value!r}:{'ok' if ok else 'refused'}" for key, value, ok in CASES]

#: Values sparkforge leaves to Delta although open-source Delta 4.0.1 refuses them: Delta on
#: Databricks accepts them (autoCompact), or Java's rules outside ASCII are not copied.
LEFT_TO_DELTA = [
    ("delta.autoOptimize.autoCompact", "auto"),
    ("delta.autoOptimize.autoCompact", "Legacy"),
    ("delta.appendOnly", "\uff54\uff52\uff55\uff45"),  # full-width "true"
]


@pytest.fixture(scope="module")
def set_property(
    spark: SparkSession, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str, str], str | None]:
    """Return a function setting one property on a scratch table: None, or Delta's refusal."""
    tables: dict[str, str] = {}

    def attempt(key: str, value: str) -> str | None:
        # One table per key, so an accepted value of one key never changes another's check.
        if key.lower() not in tables:
            path = str(tmp_path_factory.mktemp("props") / "t")
            spark.sql(f"CREATE TABLE delta.`{path}` (a INT) USING delta")
            tables[key.lower()] = path
        statement = (
            f"ALTER TABLE delta.`{tables[key.lower()]}` "
            f"SET TBLPROPERTIES ('{key}' = '{value}'{_SET_WITH.get(key.lower(), '')})"
        )
        try:
            spark.sql(statement)
        except Exception as exc:
            return str(exc)[:300]
        return None

    return attempt


@pytest.mark.parametrize(("key", "value", "accepted"), CASES, ids=CASE_IDS)
def test_property_value_problem_agrees_with_delta(
    set_property: Callable[[str, str], str | None], key: str, value: str, accepted: bool
) -> None:
    problem = property_value_problem(key, value)
    assert (problem is None) is accepted, problem
    refusal = set_property(key, value)
    assert (refusal is None) is accepted, refusal


@pytest.mark.parametrize(
    ("key", "value"), LEFT_TO_DELTA, ids=[f"{k}={v!r}" for k, v in LEFT_TO_DELTA]
)
def test_property_value_problem_leaves_platform_values_to_delta(
    set_property: Callable[[str, str], str | None], key: str, value: str
) -> None:
    assert property_value_problem(key, value) is None
    assert set_property(key, value) is not None  # open-source Delta 4.0.1 refuses it


def _delta_orders_retentions() -> bool:
    major, minor = (int(part) for part in version("delta-spark").split(".")[:2])
    return (major, minor) >= (4, 3)


def test_a_log_kept_shorter_than_removed_files_is_refused_before_delta_is_asked(
    spark: SparkSession, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = str(tmp_path_factory.mktemp("order") / "t")
    spark.sql(f"CREATE TABLE delta.`{path}` (a INT) USING delta")
    short_log = {
        "delta.logRetentionDuration": "interval 1 day",
        "delta.deletedFileRetentionDuration": "interval 2 days",
    }
    with pytest.raises(TableOperationError, match=r"delta\.logRetentionDuration.*shorter than"):
        validate_properties(short_log)
    with pytest.raises(TableOperationError, match="Delta's default"):
        validate_properties({"DELTA.logRetentionDuration": "12 hours"})
    pairs = ", ".join(f"'{key}' = '{value}'" for key, value in short_log.items())
    try:
        spark.sql(f"ALTER TABLE delta.`{path}` SET TBLPROPERTIES ({pairs})")
        refused = False
    except Exception:
        refused = True
    # Delta >= 4.3 refuses the pair itself; earlier versions took it.
    assert refused is _delta_orders_retentions()
    # The same log retention with removed files kept no longer: both sparkforge and Delta agree.
    equal = {**short_log, "delta.deletedFileRetentionDuration": "24 hours"}
    assert validate_properties(equal) == equal
    pairs = ", ".join(f"'{key}' = '{value}'" for key, value in equal.items())
    spark.sql(f"ALTER TABLE delta.`{path}` SET TBLPROPERTIES ({pairs})")
