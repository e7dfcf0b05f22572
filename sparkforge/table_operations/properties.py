"""Table properties: reading, checking and setting them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sparkforge.table_operations.conflicts import retry_on_conflict
from sparkforge.table_operations.detail import describe_table
from sparkforge.table_operations.identifiers import identifier_error
from sparkforge.table_operations.property_values import (
    property_value_problem,
    retention_order_problem,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pyspark.sql import SparkSession

    from sparkforge.table_operations.table_ref import TableRef

__all__ = ["read_properties", "set_properties", "validate_properties"]

_PROPERTY_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*")
# A property value goes into SQL as a string literal: no quote or backslash (whose meaning
# depends on spark.sql.parser.escapedStringLiterals), no control character.
_PROPERTY_VALUE_FORBIDDEN = re.compile(r"['\\\x00-\x1f\x7f]")


def read_properties(spark: SparkSession, table: TableRef) -> dict[str, str]:
    """Return the table's properties (``DESCRIBE DETAIL``).

    Raises
    ------
    TableOperationError
        ``TABLE_OPERATION_FAILED`` with Delta's reason.

    Examples
    --------
    With a session ``spark`` and a ``table`` (the integration tests run this):

    ```python
    read_properties(spark, table)["delta.appendOnly"]  # 'true'
    ```
    """
    return dict(describe_table(spark, table).properties)


def validate_properties(properties: Mapping[str, str]) -> dict[str, str]:
    """Check that ``properties`` can be set on a table; return them as a dict.

    [`set_properties`][sparkforge.table_operations.set_properties] checks its properties with
    it. Keys are dotted words (``delta.logRetentionDuration``); values may hold any character but
    a quote, a backslash or a control character, and the value of a typed Delta property must
    be one Delta accepts (see `sparkforge.table_operations.property_values`).

    Raises
    ------
    TableOperationError
        ``IDENTIFIER_INVALID`` naming the first unusable key or value.

    Examples
    --------
    >>> validate_properties({"delta.logRetentionDuration": "interval 30 days"})
    {'delta.logRetentionDuration': 'interval 30 days'}
    >>> validate_properties({"delta.appendOnly": "yes"})
    Traceback (most recent call last):
    ...
    sparkforge.errors.TableOperationError: [IDENTIFIER_INVALID] Invalid table property name \
'delta.appendOnly': its value 'yes' is not a boolean: Delta accepts true or false.
    """
    checked: dict[str, str] = {}
    # Typed as str, but given by users: check what they are.
    items: list[tuple[object, object]] = list(properties.items())
    for key, value in items:
        if not isinstance(key, str) or not _PROPERTY_KEY.fullmatch(key):
            raise identifier_error(
                "table property", key, "expected letters, digits, '_', '-' and '.'"
            )
        if not isinstance(value, str):
            raise identifier_error(
                "table property", key, f"its value is a {type(value).__name__}, not a str"
            )
        if _PROPERTY_VALUE_FORBIDDEN.search(value):
            shown = value if len(value) <= 80 else value[:77] + "..."
            raise identifier_error(
                "table property",
                key,
                f"its value {shown!r} holds a quote, a backslash or a control character",
            )
        problem = property_value_problem(key, value)
        if problem is not None:
            raise identifier_error("table property", key, problem)
        checked[key] = value
    out_of_order = retention_order_problem(checked)
    if out_of_order is not None:
        raise identifier_error("table property", *out_of_order)
    return checked


def set_properties(spark: SparkSession, table: TableRef, properties: Mapping[str, str]) -> None:
    """Set table properties in one metadata-only commit (``ALTER TABLE ... SET TBLPROPERTIES``).

    The properties are checked by
    [`validate_properties`][sparkforge.table_operations.validate_properties] before any Spark call;
    a commit conflict with a concurrent writer is retried.

    Raises
    ------
    TableOperationError
        ``IDENTIFIER_INVALID`` before any Spark call, ``TABLE_CONFLICT`` or
        ``TABLE_OPERATION_FAILED`` with Delta's reason.

    Examples
    --------
    With a session ``spark`` and a ``table`` (the integration tests run this):

    ```python
    set_properties(spark, table, {"delta.appendOnly": "true"})
    ```
    """
    checked = validate_properties(properties)
    if not checked:
        return
    pairs = ", ".join(f"'{key}' = '{value}'" for key, value in checked.items())
    statement = f"ALTER TABLE {table.quoted} SET TBLPROPERTIES ({pairs})"
    retry_on_conflict(lambda: spark.sql(statement), name="set table properties", table=table)
