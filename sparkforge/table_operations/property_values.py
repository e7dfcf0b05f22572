r"""Values of Delta's typed table properties that Delta would refuse, found before any write.

Delta checks the value of each ``delta.*`` property it knows when the property is set, so a
``delta.appendOnly = 'yes'`` in a writer's config would pass the config and fail the first
write. `property_value_problem` answers the same question without Spark, for the
properties whose rules are pinned down here. Every rule was checked against Delta 4.0.1 (see
``tests/integration/test_table_operations_property_values.py``, which sets each accepted and
each refused form on a real table; Delta 4.3.1 agrees):

=========================================  ==============================================
property                                    values Delta accepts
=========================================  ==============================================
``delta.appendOnly``,                       ``true`` or ``false``, in any case, nothing
``delta.enableChangeDataFeed``,             around them (not ``yes``, ``1``, ``' true'``)
``delta.enableDeletionVectors``,
``delta.autoOptimize.optimizeWrite``,
``delta.autoOptimize.autoCompact``
``delta.logRetentionDuration``,             an interval: optional ``interval``, then pairs
``delta.deletedFileRetentionDuration``,     ``<integer> <unit>`` (fractions for seconds
``delta.setTransactionRetentionDuration``   only), separated by spaces; units ``week``,
                                            ``day``, ``hour``, ``minute``, ``second``,
                                            ``millisecond``, ``microsecond`` (plural or
                                            not); no months or years; not negative
``delta.checkpointInterval``                an integer from 1 to 2147483647
``delta.dataSkippingNumIndexedCols``        an integer from -1 to 2147483647
=========================================  ==============================================

`retention_order_problem` adds the one rule between two of them: Delta 4.3 wants
``delta.logRetentionDuration`` at least as long as ``delta.deletedFileRetentionDuration``
(checked against Delta 4.3.1 by the same test file); sparkforge asks it on every version.

Delta matches ``delta.*`` keys without regard to case, and so does this module. Values holding
a character outside ASCII are left to Delta (Java's case and digit rules differ from
Python's there), and so are ``auto`` and ``legacy`` for ``delta.autoOptimize.autoCompact``:
open-source Delta 4.0.1 refuses them but Databricks accepts them.
"""

from __future__ import annotations

import re

__all__ = ["property_value_problem", "retention_order_problem"]

_BOOLEAN_KEYS = frozenset(
    {
        "delta.appendonly",
        "delta.enablechangedatafeed",
        "delta.enabledeletionvectors",
        "delta.autooptimize.optimizewrite",
        "delta.autooptimize.autocompact",
    }
)
# Values Delta on Databricks accepts for a key beside the booleans; left to Delta.
_PLATFORM_VALUES = {"delta.autooptimize.autocompact": frozenset({"auto", "legacy"})}
_INTERVAL_KEYS = frozenset(
    {
        "delta.logretentionduration",
        "delta.deletedfileretentionduration",
        "delta.settransactionretentionduration",
    }
)
#: The least value of each integer property; the greatest is Java's largest int.
_INTEGER_MINIMUM = {"delta.checkpointinterval": 1, "delta.dataskippingnumindexedcols": -1}

_INT_MAX = 2**31 - 1
_LONG_MAX = 2**63 - 1
_INTEGER = re.compile(r"[+-]?[0-9]+")
_SECONDS = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?")
_MAX_FRACTION_DIGITS = 9
_MICROS_PER_DAY = 86_400_000_000
# Microseconds per unit; None marks the month-based units, which Delta refuses here.
_UNIT_MICROS: dict[str, int | None] = {
    "year": None,
    "month": None,
    "week": 7 * _MICROS_PER_DAY,
    "day": _MICROS_PER_DAY,
    "hour": 3_600_000_000,
    "minute": 60_000_000,
    "second": 1_000_000,
    "millisecond": 1_000,
    "microsecond": 1,
}
# Java's String.trim: every character up to and including the space.
_TRIMMED = "".join(chr(code) for code in range(33))
_SHOWN_LENGTH = 80
_INTERVAL_EXAMPLE = "an interval such as 'interval 30 days'"


def _shown(value: str) -> str:
    return repr(value if len(value) <= _SHOWN_LENGTH else value[: _SHOWN_LENGTH - 3] + "...")


def _boolean_problem(key: str, value: str) -> str | None:
    if value.lower() in ("true", "false"):
        return None
    if value.lower() in _PLATFORM_VALUES.get(key, frozenset()):
        return None
    return f"its value {_shown(value)} is not a boolean: Delta accepts true or false"


def _integer_problem(key: str, value: str) -> str | None:
    minimum = _INTEGER_MINIMUM[key]
    wanted = f"Delta accepts an integer from {minimum} to {_INT_MAX}"
    if not _INTEGER.fullmatch(value) or not minimum <= int(value) <= _INT_MAX:
        return f"its value {_shown(value)} is out of bounds or not an integer: {wanted}"
    return None


def _amount_micros(amount: str, unit: str, per_unit: int) -> int | None:
    """Return ``amount`` of ``unit`` in microseconds, or None when Spark would not parse it."""
    if _INTEGER.fullmatch(amount):
        return int(amount) * per_unit
    seconds = _SECONDS.fullmatch(amount)
    if unit != "second" or seconds is None:
        return None
    sign, whole, fraction = seconds.group(1), seconds.group(2), seconds.group(3) or ""
    if not (whole or fraction) or len(fraction) > _MAX_FRACTION_DIGITS:
        return None
    micros = int(whole or "0") * per_unit + int(fraction[:6].ljust(6, "0"))
    return -micros if sign == "-" else micros


def _interval_problem(value: str) -> str | None:
    problem, _ = _interval_value(value)
    return problem


def _interval_value(value: str) -> tuple[str | None, int]:
    """Return why Delta refuses the interval ``value`` (or None), and its microseconds."""
    text = value.strip(_TRIMMED)
    if not text:
        return f"its value {_shown(value)} is empty: Delta accepts {_INTERVAL_EXAMPLE}", 0
    words = [word for word in text.split(" ") if word]
    if words[0].lower() == "interval":
        words = words[1:]
    refused = f"its value {_shown(value)} is not {_INTERVAL_EXAMPLE}"
    too_large = f"its value {_shown(value)} is too large for an interval"
    if not words or len(words) % 2:
        return refused, 0
    # Spark holds an interval's months and days in ints and the rest in a long, and fails on
    # any overflow while adding up; Delta then wants no months and a total of 0 or more.
    months = days = micros = 0
    for amount, unit_word in zip(words[::2], words[1::2], strict=True):
        unit = unit_word.lower()
        unit = unit[:-1] if unit.endswith("s") else unit
        if unit not in _UNIT_MICROS:
            return refused, 0
        per_unit = _UNIT_MICROS[unit]
        if per_unit is None or per_unit >= _MICROS_PER_DAY:
            if not _INTEGER.fullmatch(amount):
                return refused, 0
            count = int(amount) * (12 if unit == "year" else 7 if unit == "week" else 1)
            if per_unit is None:
                months += count
            else:
                days += count
            if max(abs(months), abs(days)) > _INT_MAX:
                return too_large, 0
            continue
        part = _amount_micros(amount, unit, per_unit)
        if part is None:
            return refused, 0
        micros += part
        if abs(micros) > _LONG_MAX:
            return too_large, 0
    if months:
        return (
            f"its value {_shown(value)} counts months or years, which Delta does not accept "
            "here: give days (e.g. 'interval 365 days')"
        ), 0
    # Delta adds the days, as microseconds, in a long that wraps around (checked on 4.0.1:
    # 2147483647 days pass, 106751992 days wrap below zero and are refused).
    exact = days * _MICROS_PER_DAY + micros
    wrapped = (exact + 2**63) % 2**64 - 2**63
    if wrapped < 0:
        if exact >= 0:
            return too_large, 0
        return f"its value {_shown(value)} is negative: Delta accepts durations of 0 or more", 0
    return None, wrapped


def property_value_problem(key: str, value: str) -> str | None:
    """Return why Delta would refuse ``value`` for the table property ``key``, or None.

    Only the typed ``delta.*`` properties listed in this module's documentation are judged
    (their keys without regard to case); any other key, and any value holding a character
    outside ASCII, is left to Delta (None).

    Parameters
    ----------
    key
        The property, e.g. ``"delta.appendOnly"``.
    value
        Its value, as it would be set.

    Returns
    -------
    str or None
        The reason, echoing the value and saying what Delta accepts (fit to follow "Invalid
        table property name 'delta.appendOnly': "), or None when Delta would accept the value
        or this module does not judge it.

    Examples
    --------
    >>> property_value_problem("delta.appendOnly", "yes")
    "its value 'yes' is not a boolean: Delta accepts true or false"
    >>> property_value_problem("delta.appendOnly", "TRUE") is None
    True
    >>> property_value_problem("delta.logRetentionDuration", "interval 1 month")
    "its value 'interval 1 month' counts months or years, which Delta does not accept here: \
give days (e.g. 'interval 365 days')"
    >>> property_value_problem("delta.logRetentionDuration", "30 days") is None
    True
    >>> property_value_problem("delta.checkpointInterval", "0")
    "its value '0' is out of bounds or not an integer: Delta accepts an integer from 1 to \
2147483647"
    >>> property_value_problem("sparkforge.owner", "anything") is None
    True
    """
    normalized = key.lower()
    if not value.isascii():
        return None
    if normalized in _BOOLEAN_KEYS:
        return _boolean_problem(normalized, value)
    if normalized in _INTERVAL_KEYS:
        return _interval_problem(value)
    if normalized in _INTEGER_MINIMUM:
        return _integer_problem(normalized, value)
    return None


#: Delta's default ``delta.deletedFileRetentionDuration`` (one week), in microseconds.
_DEFAULT_DELETED_FILE_RETENTION_MICROS = 7 * _MICROS_PER_DAY


def retention_order_problem(properties: dict[str, str]) -> tuple[str, str] | None:
    """Return the property and the reason when the log would be kept shorter than removed files.

    Delta 4.3 refuses a ``delta.logRetentionDuration`` shorter than the table's
    ``delta.deletedFileRetentionDuration`` (one week unless set): the log must outlive the
    files it still points to. Earlier Delta versions took such a pair; sparkforge refuses it
    on every version. Like Delta 4.3.1, it compares within the properties set together: the
    file retention is the one in ``properties``, else Delta's default, even when the table
    already holds a shorter one (give it again in the same call).

    Parameters
    ----------
    properties
        The properties to set (keys without regard to case); values already accepted by
        `property_value_problem`.

    Returns
    -------
    tuple of (str, str) or None
        The key of the log retention as given and the reason, or None.

    Examples
    --------
    >>> retention_order_problem({"delta.logRetentionDuration": "interval 1 day"})
    ('delta.logRetentionDuration', "its value 'interval 1 day' is shorter than \
delta.deletedFileRetentionDuration ('interval 1 week', Delta's default): Delta keeps the log at \
least as long as the files it removed")
    >>> retention_order_problem(
    ...     {"delta.logRetentionDuration": "1 day", "delta.deletedFileRetentionDuration": "1 day"}
    ... ) is None
    True
    """
    by_key = {key.lower(): (key, value) for key, value in properties.items()}
    log = by_key.get("delta.logretentionduration")
    if log is None or not log[1].isascii():
        return None
    deleted = by_key.get("delta.deletedfileretentionduration")
    if deleted is not None and not deleted[1].isascii():
        return None
    log_problem, log_micros = _interval_value(log[1])
    if deleted is None:
        deleted_micros = _DEFAULT_DELETED_FILE_RETENTION_MICROS
        deleted_shown = "'interval 1 week', Delta's default"
    else:
        deleted_problem, deleted_micros = _interval_value(deleted[1])
        if deleted_problem is not None:
            return None
        deleted_shown = _shown(deleted[1])
    if log_problem is not None or log_micros >= deleted_micros:
        return None
    return log[0], (
        f"its value {_shown(log[1])} is shorter than delta.deletedFileRetentionDuration "
        f"({deleted_shown}): Delta keeps the log at least as long as the files it removed"
    )
