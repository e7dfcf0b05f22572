"""SQL text for creating a Delta table: column definitions, literals, ``CREATE TABLE``.

Tables are created with ``CREATE TABLE IF NOT EXISTS ... USING DELTA`` rather than
delta-spark's ``DeltaTable`` builder, because every ``DeltaTable`` call needs Delta's Spark
Connect server plugin (not published for Delta 4.0 to 4.2), while SQL runs on any session
with Delta's SQL extension: classic, Spark Connect, Databricks.

Spark does not accept parameter markers in DDL, so names and values are written into the
text, and safely: every identifier is a backquoted identifier with its backticks doubled, and
every value (comments, property keys and values) a single-quoted literal whose backslashes and
quotes are escaped, which Spark's parser reads back as the exact original string (with
``spark.sql.parser.escapedStringLiterals`` at its default, false). Everything here is pure and
runs without a JVM.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyspark.sql import types as T

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["column_definitions", "create_table_statement", "quote_name", "sql_string", "type_sql"]


def quote_name(name: str) -> str:
    """Return ``name`` as a backquoted Spark SQL identifier (backticks doubled).

    Examples
    --------
    >>> quote_name("run_id")
    '`run_id`'
    >>> quote_name("odd`name")
    '`odd``name`'
    """
    return "`" + name.replace("`", "``") + "`"


def sql_string(value: str) -> str:
    r"""Return ``value`` as a Spark SQL string literal that reads back as exactly ``value``.

    Backslashes and single quotes are escaped with a backslash (Spark's way; a doubled quote
    is not an escape in Spark SQL). Other characters, newlines included, stand as they are.

    Examples
    --------
    >>> print(sql_string("it's"))
    'it\'s'
    >>> print(sql_string("C:\\logs"))
    'C:\\logs'
    """
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _field_sql(field: T.StructField, *, separator: str) -> str:
    text = f"{quote_name(field.name)}{separator}{type_sql(field.dataType)}"
    if not field.nullable:
        text += " NOT NULL"
    comment = (field.metadata or {}).get("comment")
    if isinstance(comment, str):
        text += f" COMMENT {sql_string(comment)}"
    return text


def type_sql(data_type: T.DataType) -> str:
    """Return the Spark SQL text of ``data_type``, nested field names quoted.

    Nested struct fields keep ``NOT NULL`` and their comments. Array elements and map
    values are declared as SQL declares them, nullable (SQL has no syntax for
    ``containsNull=False``).

    Examples
    --------
    >>> from pyspark.sql import types as T
    >>> type_sql(T.DecimalType(12, 2))
    'decimal(12,2)'
    >>> type_sql(T.ArrayType(T.StructType([T.StructField("n", T.LongType(), False)])))
    'ARRAY<STRUCT<`n`: bigint NOT NULL>>'
    >>> type_sql(T.MapType(T.StringType(), T.StringType()))
    'MAP<string, string>'
    """
    if isinstance(data_type, T.StructType):
        fields = ", ".join(_field_sql(field, separator=": ") for field in data_type.fields)
        return f"STRUCT<{fields}>"
    if isinstance(data_type, T.ArrayType):
        return f"ARRAY<{type_sql(data_type.elementType)}>"
    if isinstance(data_type, T.MapType):
        return f"MAP<{type_sql(data_type.keyType)}, {type_sql(data_type.valueType)}>"
    if isinstance(data_type, T.UserDefinedType):
        return type_sql(data_type.sqlType())
    return data_type.simpleString()


def column_definitions(schema: T.StructType) -> str:
    """Return the column list of ``CREATE TABLE`` for ``schema``, without parentheses.

    Examples
    --------
    >>> from pyspark.sql import types as T
    >>> column_definitions(T.StructType([
    ...     T.StructField("id", T.LongType(), False, {"comment": "the key"}),
    ...     T.StructField("note", T.StringType()),
    ... ]))
    "`id` bigint NOT NULL COMMENT 'the key', `note` string"
    """
    return ", ".join(_field_sql(field, separator=" ") for field in schema.fields)


def create_table_statement(
    name: str,
    schema: T.StructType,
    *,
    partition_by: Sequence[str] = (),
    cluster_by: Sequence[str] = (),
    properties: Mapping[str, str] | None = None,
    comment: str | None = None,
) -> str:
    r"""Return ``CREATE TABLE IF NOT EXISTS <name> (<columns>) USING DELTA ...``.

    Parameters
    ----------
    name
        The table as SQL text, already quoted (``TableRef.sql_name``).
    schema
        The columns: ``NOT NULL`` for non-nullable fields, ``COMMENT`` from the field
        metadata's ``comment``.
    partition_by, cluster_by
        ``PARTITIONED BY`` / ``CLUSTER BY`` columns (quoted here).
    properties
        ``TBLPROPERTIES``, keys and values as string literals.
    comment
        The table's ``COMMENT``.

    Examples
    --------
    >>> from pyspark.sql import types as T
    >>> statement = create_table_statement(
    ...     "`ops`.`log`",
    ...     T.StructType([T.StructField("day", T.DateType())]),
    ...     partition_by=["day"],
    ...     properties={"owner": "o'neil"},
    ... )
    >>> print(statement.replace(" USING", "\nUSING").replace(" TBL", "\nTBL"))
    CREATE TABLE IF NOT EXISTS `ops`.`log` (`day` date)
    USING DELTA PARTITIONED BY (`day`)
    TBLPROPERTIES ('owner' = 'o\'neil')
    """
    parts = [f"CREATE TABLE IF NOT EXISTS {name} ({column_definitions(schema)}) USING DELTA"]
    if partition_by:
        parts.append(f"PARTITIONED BY ({', '.join(quote_name(c) for c in partition_by)})")
    if cluster_by:
        parts.append(f"CLUSTER BY ({', '.join(quote_name(c) for c in cluster_by)})")
    if comment is not None:
        parts.append(f"COMMENT {sql_string(comment)}")
    if properties:
        pairs = ", ".join(f"{sql_string(k)} = {sql_string(v)}" for k, v in properties.items())
        parts.append(f"TBLPROPERTIES ({pairs})")
    return " ".join(parts)
