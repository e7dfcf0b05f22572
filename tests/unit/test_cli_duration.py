"""Durations and instants as the command line reads them (pure, no JVM)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sparkforge.cli._duration import format_duration, parse_duration, parse_instant
from sparkforge.errors import ConfigurationError


@given(st.integers(min_value=1, max_value=10_000 * 365 * 86_400))
def test_parse_duration_reads_what_format_duration_writes(seconds: int) -> None:
    duration = timedelta(seconds=seconds)
    assert parse_duration(format_duration(duration)) == duration


@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=999), st.sampled_from("wdhmsWDHMS")),
        min_size=1,
        max_size=5,
    )
)
def test_parse_duration_sums_its_parts(parts: list[tuple[int, str]]) -> None:
    text = "".join(f"{count}{unit}" for count, unit in parts)
    size = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}
    seconds = sum(count * size[unit.lower()] for count, unit in parts)
    if seconds == 0:
        with pytest.raises(ConfigurationError) as caught:
            parse_duration(text)
        assert "greater than zero" in caught.value.params["reason"]
    else:
        assert parse_duration(f"  {text} ") == timedelta(seconds=seconds)


@given(st.text(alphabet="0123456789dhx-. +", max_size=12))
def test_parse_duration_accepts_only_counts_with_units(text: str) -> None:
    valid = re.fullmatch(r"(\d+[dh])+", text.strip()) is not None
    parts = re.findall(r"(\d+)([dh])", text)
    seconds = sum(int(n) * (86_400 if unit == "d" else 3_600) for n, unit in parts)
    if valid and 0 < seconds <= 10_000 * 365 * 86_400:
        assert parse_duration(text) > timedelta(0)
        return
    with pytest.raises(ConfigurationError) as caught:
        parse_duration(text)
    assert caught.value.code == "CONFIG_INVALID"
    assert caught.value.params["option"] == "duration"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", timedelta(days=90)),
        ("12h", timedelta(hours=12)),
        ("30m", timedelta(minutes=30)),
        ("2w", timedelta(weeks=2)),
        ("1d12h", timedelta(hours=36)),
        ("45S", timedelta(seconds=45)),
    ],
    ids=["days", "hours", "minutes", "weeks", "mixed", "upper-case"],
)
def test_parse_duration_examples(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "90", "d", "-3d", "3.5d", "3 d", "0d", "3y", "99999999w"],
    ids=[
        "empty",
        "no-unit",
        "no-count",
        "negative",
        "fraction",
        "blank-inside",
        "zero",
        "unknown-unit",
        "too-long",
    ],
)
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_duration(text, option="--older-than")
    assert caught.value.params["option"] == "--older-than"


def test_parse_duration_refuses_none() -> None:
    with pytest.raises(ConfigurationError):
        parse_duration(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-12", datetime(2026, 3, 12, tzinfo=timezone.utc)),
        ("2026-03-12T06:00:00Z", datetime(2026, 3, 12, 6, tzinfo=timezone.utc)),
        ("2026-03-12T06:00:00z", datetime(2026, 3, 12, 6, tzinfo=timezone.utc)),
        ("2026-03-12T11:30+05:30", datetime(2026, 3, 12, 6, tzinfo=timezone.utc)),
        ("2026-03-12 06:00", datetime(2026, 3, 12, 6, tzinfo=timezone.utc)),
    ],
    ids=["date", "zulu", "lower-zulu", "offset", "naive-is-utc"],
)
def test_parse_instant_is_utc(text: str, expected: datetime) -> None:
    moment = parse_instant(text)
    assert moment == expected
    assert moment.tzinfo is timezone.utc


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2026-13-01", "7d"], ids=["empty", "word", "month-13", "duration"]
)
def test_parse_instant_refuses(text: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_instant(text, option="--as-of")
    assert "ISO 8601" in caught.value.params["reason"]
