"""The rules of Delta's typed table properties, without a JVM.

Delta's own answers to the same values are in
``tests/integration/test_table_operations_property_values.py``.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparkforge.errors import TableOperationError
from sparkforge.table_operations import validate_properties
from sparkforge.table_operations.property_values import (
    property_value_problem,
    retention_order_problem,
)
from sparkforge.writer import WriterConfig, WriterConfigurationError

BOOLEAN_KEYS = [
    "delta.appendOnly",
    "delta.enableChangeDataFeed",
    "delta.enableDeletionVectors",
    "delta.autoOptimize.optimizeWrite",
    "delta.autoOptimize.autoCompact",
]
INTERVAL_KEYS = [
    "delta.logRetentionDuration",
    "delta.deletedFileRetentionDuration",
    "delta.setTransactionRetentionDuration",
]
INTEGER_KEYS = {"delta.checkpointInterval": 1, "delta.dataSkippingNumIndexedCols": -1}
INT_MAX = 2**31 - 1
ascii_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20)


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        (
            "delta.appendOnly",
            "yes",
            "its value 'yes' is not a boolean: Delta accepts true or false",
        ),
        (
            "delta.checkpointInterval",
            "0",
            "its value '0' is out of bounds or not an integer: Delta accepts an integer from 1 "
            "to 2147483647",
        ),
        (
            "delta.logRetentionDuration",
            "forever",
            "its value 'forever' is not an interval such as 'interval 30 days'",
        ),
        (
            "delta.logRetentionDuration",
            "",
            "its value '' is empty: Delta accepts an interval such as 'interval 30 days'",
        ),
        (
            "delta.logRetentionDuration",
            "interval 1 year",
            "its value 'interval 1 year' counts months or years, which Delta does not accept "
            "here: give days (e.g. 'interval 365 days')",
        ),
        (
            "delta.deletedFileRetentionDuration",
            "interval -1 days",
            "its value 'interval -1 days' is negative: Delta accepts durations of 0 or more",
        ),
        (
            "delta.setTransactionRetentionDuration",
            "interval 106751992 days",
            "its value 'interval 106751992 days' is too large for an interval",
        ),
        (
            "delta.appendOnly",
            "y" * 100,
            f"its value '{'y' * 77}...' is not a boolean: Delta accepts true or false",
        ),
    ],
    ids=["boolean", "integer", "interval", "empty", "months", "negative", "overflow", "long"],
)
def test_property_value_problem_says_why_and_echoes_the_value(
    key: str, value: str, reason: str
) -> None:
    assert property_value_problem(key, value) == reason


@given(key=st.sampled_from(BOOLEAN_KEYS), value=ascii_text)
def test_property_value_problem_booleans_are_true_or_false_in_any_case(
    key: str, value: str
) -> None:
    platform = key == "delta.autoOptimize.autoCompact" and value.lower() in ("auto", "legacy")
    expected = value.lower() in ("true", "false") or platform
    assert (property_value_problem(key, value) is None) is expected


@given(key=st.sampled_from(sorted(INTEGER_KEYS)), number=st.integers(-(2**40), 2**40))
def test_property_value_problem_integers_within_bounds(key: str, number: int) -> None:
    expected = INTEGER_KEYS[key] <= number <= INT_MAX
    assert (property_value_problem(key, str(number)) is None) is expected
    assert property_value_problem(key, f"{number}.0") is not None


@given(
    key=st.sampled_from(INTERVAL_KEYS),
    days=st.integers(0, 100_000),
    hours=st.integers(0, 10_000),
    prefix=st.sampled_from(["", "interval ", "INTERVAL "]),
    plural=st.booleans(),
)
def test_property_value_problem_accepts_non_negative_day_intervals(
    key: str, days: int, hours: int, prefix: str, plural: bool
) -> None:
    s = "s" if plural else ""
    assert property_value_problem(key, f"{prefix}{days} day{s} {hours} hour{s}") is None


@given(key=st.sampled_from(INTERVAL_KEYS), days=st.integers(1, 100_000))
def test_property_value_problem_refuses_negative_and_month_intervals(key: str, days: int) -> None:
    assert property_value_problem(key, f"interval -{days} days") is not None
    assert property_value_problem(key, f"interval {days} months") is not None
    assert property_value_problem(key, f"interval {days}") is not None


@given(key=ascii_text, value=ascii_text)
def test_property_value_problem_leaves_other_keys_alone(key: str, value: str) -> None:
    known = {k.lower() for k in [*BOOLEAN_KEYS, *INTERVAL_KEYS, *INTEGER_KEYS]}
    if key.lower() not in known:
        assert property_value_problem(key, value) is None


@pytest.mark.parametrize(
    "key",
    ["delta.appendonly", "DELTA.APPENDONLY", "Delta.AppendOnly"],
    ids=["lower", "upper", "mixed"],
)
def test_property_value_problem_matches_keys_in_any_case(key: str) -> None:
    assert property_value_problem(key, "yes") is not None
    assert property_value_problem(key, "true") is None


@given(
    key=st.sampled_from([*BOOLEAN_KEYS, *INTERVAL_KEYS, *INTEGER_KEYS]),
    value=st.text(min_size=1).filter(lambda text: not text.isascii()),
)
def test_property_value_problem_leaves_non_ascii_values_to_delta(key: str, value: str) -> None:
    assert property_value_problem(key, value) is None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("delta.appendOnly", "yes"),
        ("delta.enableChangeDataFeed", "1"),
        ("delta.logRetentionDuration", "interval 1 month"),
        ("delta.checkpointInterval", "0"),
    ],
    ids=["boolean", "boolean-digit", "interval-months", "integer"],
)
def test_property_value_problem_refuses_at_config_time(key: str, value: str) -> None:
    with pytest.raises(TableOperationError) as caught:
        validate_properties({key: value})
    assert (caught.value.code, caught.value.params["name"]) == ("IDENTIFIER_INVALID", key)
    assert repr(value) in caught.value.params["reason"]
    with pytest.raises(WriterConfigurationError) as refused:
        WriterConfig(table_schema="ops", table_name="run_log", table_properties={key: value})
    assert refused.value.params["option"] == "table_properties"
    assert key in refused.value.params["reason"]
    assert repr(value) in refused.value.params["reason"]


def test_property_value_problem_lets_good_values_through_the_config() -> None:
    properties = {"delta.appendOnly": "TRUE", "delta.logRetentionDuration": "30 days"}
    assert validate_properties(properties) == properties
    config = WriterConfig(table_schema="ops", table_name="run_log", table_properties=properties)
    assert dict(config.table_properties) == properties


@given(log_hours=st.integers(0, 24 * 60), deleted_hours=st.integers(0, 24 * 60) | st.none())
def test_retention_order_problem_is_a_log_kept_shorter_than_removed_files(
    log_hours: int, deleted_hours: int | None
) -> None:
    properties = {"delta.logRetentionDuration": f"interval {log_hours} hours"}
    if deleted_hours is not None:
        properties["Delta.DeletedFileRetentionDuration"] = f"{deleted_hours} hours"
    kept = 7 * 24 if deleted_hours is None else deleted_hours
    found = retention_order_problem(properties)
    assert (found is not None) is (log_hours < kept)
    if found is not None:
        assert found[0] == "delta.logRetentionDuration"
        assert f"'interval {log_hours} hours'" in found[1]


@pytest.mark.parametrize(
    "properties",
    [
        {"delta.deletedFileRetentionDuration": "interval 1 day"},
        {"delta.logRetentionDuration": "interval 1 month"},  # its own problem, said apart
        {"delta.logRetentionDuration": "1 day", "delta.deletedFileRetentionDuration": "forever"},
    ],
    ids=["no-log-retention", "log-unparsed", "deleted-unparsed"],
)
def test_retention_order_problem_judges_only_two_readable_retentions(
    properties: dict[str, str],
) -> None:
    assert retention_order_problem(properties) is None


def test_a_short_log_retention_is_refused_by_the_config() -> None:
    with pytest.raises(WriterConfigurationError) as refused:
        WriterConfig(
            table_schema="ops",
            table_name="run_log",
            table_properties={"delta.logRetentionDuration": "interval 2 days"},
        )
    assert "shorter than delta.deletedFileRetentionDuration" in refused.value.params["reason"]
    both = {
        "delta.logRetentionDuration": "interval 2 days",
        "delta.deletedFileRetentionDuration": "interval 2 days",
    }
    config = WriterConfig(table_schema="ops", table_name="run_log", table_properties=both)
    assert dict(config.table_properties) == both
