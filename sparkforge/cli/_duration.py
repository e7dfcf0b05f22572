"""Durations and instants as the command line spells them: ``90d``, ``12h``, ISO 8601.

Pure Python (no click, no Spark), so the parsing is tested on its own.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sparkforge.errors import ConfigurationError

__all__ = ["DURATION_UNITS", "format_duration", "parse_duration", "parse_instant"]

#: The units a duration may use, in seconds: weeks, days, hours, minutes, seconds.
DURATION_UNITS: dict[str, int] = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}

_PART = re.compile(r"(\d+)([wdhms])")
_WHOLE = re.compile(r"(?:\d+[wdhms])+")
# timedelta holds at most 999,999,999 days; stay well inside it.
_MAX_SECONDS = 10_000 * 365 * 86_400


def parse_duration(text: str, *, option: str = "duration") -> timedelta:
    """Return the positive duration ``text`` spells: ``90d``, ``12h``, ``30m``, ``2w``, ``1d12h``.

    Parameters
    ----------
    text
        One or more ``<count><unit>`` parts, units ``w`` (weeks), ``d`` (days), ``h``
        (hours), ``m`` (minutes), ``s`` (seconds); case and surrounding blanks are ignored.
    option
        The option's name, for the error message.

    Returns
    -------
    timedelta
        The duration, greater than zero.

    Raises
    ------
    ConfigurationError
        ``CONFIG_INVALID`` for anything else (no unit, a zero duration, a negative sign,
        more than 10,000 years).

    Examples
    --------
    >>> parse_duration("90d")
    datetime.timedelta(days=90)
    >>> parse_duration("1d12h") == timedelta(hours=36)
    True
    >>> parse_duration("90")
    Traceback (most recent call last):
    ...
    sparkforge.errors.ConfigurationError: [CONFIG_INVALID] Invalid value for duration: \
expected a duration such as 90d, 12h, 30m or 2w (units w, d, h, m, s), got '90'.
    """
    given: object = text
    cleaned = given.strip().lower() if isinstance(given, str) else ""
    if not _WHOLE.fullmatch(cleaned):
        raise _invalid(
            option,
            f"expected a duration such as 90d, 12h, 30m or 2w (units w, d, h, m, s), got {text!r}",
        )
    seconds = sum(int(count) * DURATION_UNITS[unit] for count, unit in _PART.findall(cleaned))
    if seconds <= 0:
        raise _invalid(option, f"expected a duration greater than zero, got {text!r}")
    if seconds > _MAX_SECONDS:
        raise _invalid(option, f"expected a duration of at most 10000 years, got {text!r}")
    return timedelta(seconds=seconds)


def format_duration(duration: timedelta) -> str:
    """Spell a whole-second duration the way `parse_duration` reads it.

    Examples
    --------
    >>> format_duration(timedelta(days=9, hours=3))
    '1w2d3h'
    """
    seconds = int(duration.total_seconds())
    parts = []
    for unit, size in DURATION_UNITS.items():
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def parse_instant(text: str, *, option: str = "instant") -> datetime:
    """Return the UTC-aware instant an ISO 8601 text names; one without an offset is UTC.

    Parameters
    ----------
    text
        ``2026-03-12``, ``2026-03-12T06:00``, ``2026-03-12T06:00:00Z``,
        ``2026-03-12T11:30+05:30`` ...
    option
        The option's name, for the error message.

    Raises
    ------
    ConfigurationError
        ``CONFIG_INVALID`` when ``text`` is no ISO 8601 date or date-time.

    Examples
    --------
    >>> parse_instant("2026-03-12T11:30+05:30").isoformat()
    '2026-03-12T06:00:00+00:00'
    >>> parse_instant("2026-03-12").isoformat()
    '2026-03-12T00:00:00+00:00'
    """
    given: object = text
    cleaned = given.strip() if isinstance(given, str) else ""
    if cleaned.endswith(("z", "Z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise _invalid(
            option,
            f"expected an ISO 8601 date or date-time such as 2026-03-12T06:00:00Z, got {text!r}",
        ) from None
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _invalid(option: str, reason: str) -> ConfigurationError:
    return ConfigurationError("CONFIG_INVALID", {"option": option, "reason": reason})
